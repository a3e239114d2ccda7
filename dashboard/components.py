"""Pieces of the page built from data (pure: values in, components out). Untrusted text is
always passed as a component's children, which Dash renders as text, never as HTML; only
http(s) links become anchors."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.ticker import TickerItem

_ARROWS = {"up": "▲", "down": "▼", "flat": ""}


def ticker_strip(items: list[TickerItem], zone: str) -> list:
    """`$ 87.70 -0.69`-style items, green up / red down, the value's time on hover."""
    children = []
    for item in items:
        when = item.time.tz_convert(zone).strftime("%Y-%m-%d %H:%M") + f" ({zone})"
        children.append(html.Span([
            html.Span(item.mark, className="nm-mark"),
            html.Span(item.value, className="nm-value"),
            html.Span(item.change, className=f"nm-change nm-{item.direction}"),
        ], className="nm-ticker-item", title=f"{item.instrument_id}: {item.value} at {when}",
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


def detail_body(headline: dict, moves: list[dict], labels: dict[str, str], zone: str) -> list:
    """The detail panel: title, source, time, link, summary, and each instrument's move after it."""
    when = pd.Timestamp(headline["published"]).tz_convert(zone)
    rows = []
    for move in moves:
        pct = move["pct"]
        shown = "not known yet" if pct is None or pd.isna(pct) else f"{pct:+.2f}%"
        rows.append(html.Tr([html.Td(labels.get(move["instrument_id"], move["instrument_id"])),
                             html.Td(move["horizon"]), html.Td(shown)]))
    link = headline.get("link")
    return [
        html.H5(headline["title"]),
        html.P([html.Span(headline["source"]), " · ",
                html.Span(f"{when:%Y-%m-%d %H:%M} {zone}"),
                " (time inferred)" if headline.get("time_inferred") else ""], className="text-muted"),
        html.P(safe_anchor(link, "Open the article") if is_web_link(link) else "No link"),
        html.P(headline.get("summary") or ""),
        html.H6("What the prices did next"),
        html.Table([html.Thead(html.Tr([html.Th("instrument"), html.Th("after"), html.Th("move")])),
                    html.Tbody(rows)], className="nm-detail-moves"),
    ]
