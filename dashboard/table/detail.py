"""The headline's detail panel (pure: values in, components out). Untrusted text is always a
component's children, which Dash renders as text, never as HTML; only http(s) links become anchors."""

from __future__ import annotations

import pandas as pd
from dash import html

from ingest.stories.importance import KIND_NAMES


def is_web_link(link) -> bool:
    """True for an http(s) URL: the only links that become anchors."""
    return isinstance(link, str) and link.lower().startswith(("http://", "https://"))


def safe_anchor(link: str | None, text: str):
    """An anchor opening in a new tab for http(s) links; plain text otherwise."""
    if is_web_link(link):
        return html.A(text, href=link, target="_blank", rel="noopener noreferrer")
    return html.Span(text)


def _move_text(move: dict) -> str:
    pct = move.get("pct")
    if pct is not None and not pd.isna(pct):
        return f"{pct:+.2f}%"
    return move.get("why") or "not known yet"


def detail_body(headline: dict, moves: list[dict], labels: dict[str, str], zone: str,
                rules: dict[str, str] | None = None) -> list:
    """The detail panel: title, source, time, link, summary, each instrument's move after it (or
    why there is none: "no hourly data", "no close within 1d"...) with the closes it runs between,
    and the rule saying when each instrument's closes were known."""
    when = pd.Timestamp(headline["published"]).tz_convert(zone)
    shown_time = f"{when:%Y-%m-%d} (date only)" if headline.get("day_precision") else f"{when:%Y-%m-%d %H:%M} {zone}"
    rows = []
    for move in moves:
        span = ""
        if move.get("from_known") is not None and move.get("to_known") is not None:
            span = (f"{move['from_close']:,.4f} (known {move['from_known'].tz_convert(zone):%m-%d %H:%M}) → "
                    f"{move['to_close']:,.4f} (known {move['to_known'].tz_convert(zone):%m-%d %H:%M})")
        rows.append(html.Tr([html.Td(labels.get(move["instrument_id"], move["instrument_id"])),
                             html.Td(move["horizon"]), html.Td(_move_text(move)),
                             html.Td(span, className="text-muted")]))
    link = headline.get("link")
    notes = [html.Li(f"{labels.get(i, i)}: {text}") for i, text in (rules or {}).items()]
    return [
        html.H5(headline["title"]),
        html.P([html.Span(headline["source"]), " · ",
                html.Span(shown_time),
                " (time inferred)" if headline.get("time_inferred") else ""], className="text-muted"),
        html.P(safe_anchor(link, "Open the article") if is_web_link(link) else "No link"),
        html.P(headline.get("summary") or ""),
        html.H6("What the prices did next"),
        html.Table([html.Thead(html.Tr([html.Th("instrument"), html.Th("after"), html.Th("move"),
                                        html.Th("from → to")])),
                    html.Tbody(rows)], className="nm-detail-moves"),
        html.P("Each move runs from the price known when the headline came out (a headline dated to the day "
               "only: at the end of that day) to the price known the horizon later; it is empty when no new "
               "close became known in between, and never crosses a flagged bar.", className="small text-muted"),
        html.Ul(notes, className="small text-muted nm-close-rules") if notes else None,
    ]


def cluster_body(stories: pd.DataFrame, count: int, first: pd.Timestamp, last: pd.Timestamp, zone: str,
                 story_button_id) -> list:
    """The side panel for a clicked cluster: how many stories it holds and when, then its stories
    most important first (`stories`: Store.ranked_stories rows), each a button that opens the
    story's detail (`story_button_id(headline id)` gives the button's id)."""
    when = f"{first.tz_convert(zone):%Y-%m-%d %H:%M} – {last.tz_convert(zone):%Y-%m-%d %H:%M} {zone}"
    items = []
    for row in stories.itertuples():
        kind = KIND_NAMES.get(row.story_kind, KIND_NAMES["none"])
        sources = int(row.story_sources) if pd.notna(row.story_sources) else 1
        score = int(row.importance) if pd.notna(row.importance) else 0
        items.append(html.Li([
            html.Button(row.title, id=story_button_id(int(row.id)), n_clicks=0,
                        className="btn btn-link p-0 text-start nm-cluster-story"),
            html.Div(f"{pd.Timestamp(row.published).tz_convert(zone):%m-%d %H:%M} · {row.source} · {kind} · "
                     f"{sources} source{'s' if sources != 1 else ''} · importance {score}",
                     className="nm-note")], className="mb-2"))
    shown = f"the {len(stories):,} most important" if count > len(stories) else "all of them"
    return [html.H6(f"{count:,} stor{'y' if count == 1 else 'ies'}"), html.Div(when, className="nm-note"),
            html.Div(f"Most important first ({shown}); click one for its detail and the moves after it.",
                     className="nm-note mb-2"),
            html.Ol(items, className="ps-3")]
