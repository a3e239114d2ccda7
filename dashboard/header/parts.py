"""The header's pieces built from data (pure: values in, components out): the ticker strip, the
failing-source badges, the time of the last refresh, and what an empty store shows. Untrusted text
(source errors) is always a component's children, which Dash renders as text, never as HTML."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.header.ticker import TickerItem


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


FAILED = ("error", "interrupted", "rate-limited")


def source_badges(runs: dict[str, dict]) -> list:
    """One compact badge, '⚠ 3 of 14 sources failing', when any source's last run failed (none
    when all are fine); a click opens the list of the failing sources with each one's error."""
    failing = sorted((key, run) for key, run in runs.items() if run["status"] in FAILED)
    if not failing:
        return []
    items = [html.Li([html.Strong(key), ": ", run.get("error") or run["status"]]) for key, run in failing]
    return [html.Details([
        html.Summary(f"⚠ {len(failing)} of {len(runs)} source{'s' if len(runs) != 1 else ''} failing",
                     className="badge text-bg-warning nm-status-badge",
                     title="click for each failing source and its error"),
        html.Ul(items, className="nm-status-list")], className="nm-status")]


def last_refresh(runs: dict[str, dict], zone: str) -> str:
    """'Last refresh 2026-11-27 18:00 UTC: all 14 sources ok' — or what did not go well: '…: 3 of
    14 sources failed, 1 partly, 2 still running' — from each source's last run, dated by the
    newest finished one. A source whose run is still going is neither ok nor failed yet."""
    finished = [run["finished"] for run in runs.values() if run.get("finished")]
    if not finished:
        return "Not refreshed yet"
    when = pd.Timestamp(max(finished), unit="s", tz="UTC").tz_convert(zone)
    statuses = [run["status"] for run in runs.values()]
    failed, partly = sum(s in FAILED for s in statuses), statuses.count("partial")
    running = statuses.count("running")
    plural = "s" if len(runs) != 1 else ""
    if not (failed or partly or running):
        outcome = f"all {len(runs)} source{plural} ok" if len(runs) > 1 else "ok"
    else:
        counts = [(failed, "failed"), (partly, "partly failed"), (running, "still running")]
        said = [(n, what) for n, what in counts if n]
        first_n, first_what = said[0]
        outcome = ", ".join([f"{first_n} of {len(runs)} source{plural} {first_what}"]
                            + [f"{n} {what}" for n, what in said[1:]])
    return f"Last refresh {when:%Y-%m-%d %H:%M} {zone}: {outcome}"


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
