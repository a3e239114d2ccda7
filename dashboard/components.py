"""Pieces of the page built from data (pure: values in, components out). Untrusted text is
always passed as a component's children, which Dash renders as text, never as HTML; only
http(s) links become anchors."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.ticker import TickerItem

_ARROWS = {"up": "▲", "down": "▼", "flat": ""}


def ticker_title(item: TickerItem, zone: str) -> str:
    """The hover of a strip item: which bar the value is and when it became known, e.g.
    `usd_rub: 87.70, the close dated 2026-03-17, known 2026-03-16 17:00 (Europe/Moscow)`."""
    if item.interval == "1d":
        what = f"the close dated {item.time.tz_convert('UTC'):%Y-%m-%d}"
    else:
        what = f"the close of the hour from {item.time.tz_convert(zone):%Y-%m-%d %H:%M}"
    known = f", known {item.known.tz_convert(zone):%Y-%m-%d %H:%M}" if item.known is not None else ""
    return f"{item.instrument_id}: {item.value}, {what}{known} ({zone})"


def ticker_strip(items: list[TickerItem], zone: str) -> list:
    """`$ 87.70 -0.69`-style items, green up / red down; on hover which close it is and when it
    became known."""
    children = []
    for item in items:
        children.append(html.Span([
            html.Span(item.mark, className="nm-mark"),
            html.Span(item.value, className="nm-value"),
            html.Span(item.change, className=f"nm-change nm-{item.direction}"),
        ], className="nm-ticker-item", title=ticker_title(item, zone),
            id=f"nm-ticker-{item.instrument_id}"))
    return children


def source_badges(runs: dict[str, dict]) -> list:
    """A warning badge per source whose last run failed, the error on hover."""
    failing = sorted((key, run) for key, run in runs.items() if run["status"] in ("error", "interrupted"))
    return [html.Span(f"⚠ {key}", className="badge text-bg-warning", title=run.get("error") or run["status"])
            for key, run in failing]


def last_refresh(runs: dict[str, dict], zone: str) -> str:
    """'Last refresh 2026-11-27 18:00 UTC' from the newest finished run."""
    finished = [run["finished"] for run in runs.values() if run.get("finished")]
    if not finished:
        return "Not refreshed yet"
    when = pd.Timestamp(max(finished), unit="s", tz="UTC").tz_convert(zone)
    return f"Last refresh {when:%Y-%m-%d %H:%M} {zone}"


def is_web_link(link) -> bool:
    """True for an http(s) URL: the only links that become anchors."""
    return isinstance(link, str) and link.lower().startswith(("http://", "https://"))


def safe_anchor(link: str | None, text: str):
    """An anchor opening in a new tab for http(s) links; plain text otherwise."""
    if is_web_link(link):
        return html.A(text, href=link, target="_blank", rel="noopener noreferrer")
    return html.Span(text)


def empty_state(runs: dict[str, dict], config) -> html.Div:
    """What a new store shows instead of a blank chart: what happened per source, what to do."""
    rows = []
    for key, run in sorted(runs.items()):
        rows.append(html.Tr([html.Td(key), html.Td(run["status"]), html.Td(run.get("error") or "")]))
    if rows:
        what = html.Table([html.Thead(html.Tr([html.Th("source"), html.Th("last run"), html.Th("error")])),
                           html.Tbody(rows)], className="table table-sm")
    else:
        what = html.P("No source has been refreshed yet.")
    return html.Div([
        html.H5("No data yet"),
        html.P("The store has no prices and no headlines. This is what the sources did:"),
        what,
        html.Ul([
            html.Li("Wait for the scheduled refresh (it runs at start and then every "
                    f"{config.refresh.prices} for prices, {config.refresh.feeds} for feeds)."),
            html.Li("If every source says it cannot connect, check the network or the proxy settings "
                    "([sources.*] url in the config)."),
            html.Li(["Or load data from files: ", html.Code("newsmarks import-prices FILE --instrument ID"),
                     " and ", html.Code("newsmarks import-headlines FILE"), "."]),
        ]),
    ], className="nm-card nm-empty mb-3")


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
