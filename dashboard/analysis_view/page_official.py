"""The Analysis tab's "Page against official" table: for each value a news page's strip showed in
the chart's window (the view's instruments), the official value it equals, how late the page was
and by how much it differed (dashboard.analysis.page_vs_official, pure). Reads the snapshots and
the official daily closes, then builds the table from values (text only: a page's source name is
untrusted and shown as text)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import html

from dashboard.analysis.page_vs_official import describe, duration_text, official_span, page_vs_official
from dashboard.context import DashboardContext

SHOWN = 50        # rows of the table: the newest captures
CAPTION = ("Each value a news page's header showed, against the official series of its instrument: the "
           "newest official value known by the capture that equals it at the page's two decimals, how long "
           "after that value became known the page was captured (at least that late: the page may have "
           "changed between two captures), and the difference. Stale: a newer official value was known.")
MATCH_WORDS = {"latest": "the newest known", "older": "an older one (stale)", "none": "none",
               "no official": "no official value yet"}


def page_official(ctx: DashboardContext, instruments: tuple[str, ...] | list[str], start: datetime | None,
                  end: datetime | None) -> pd.DataFrame:
    """The matching of the snapshots captured in [start, end) of `instruments` against their
    official daily closes (page_vs_official), newest capture first."""
    snapshots = ctx.store.snapshots(start, end, list(instruments))
    if snapshots.empty:
        return page_vs_official(snapshots, pd.DataFrame(columns=["instrument_id", "ts", "known", "close"]))
    closes = ctx.store.closes(sorted(set(snapshots["instrument_id"].dropna())), "1d", *official_span(snapshots))
    return page_vs_official(snapshots, closes).sort_values("captured_at", ascending=False, kind="stable")


def page_official_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table's every row (not only the SHOWN) as its CSV gives them: the matching's columns
    with the lag in seconds (`lag_seconds`)."""
    out = frame.drop(columns=["lag"]).copy()
    out.insert(out.columns.get_loc("difference"), "lag_seconds", frame["lag"].dt.total_seconds())
    return out.reset_index(drop=True)


def page_official_table(frame: pd.DataFrame, labels: dict[str, str], tz: str) -> html.Div:
    """The SHOWN newest rows: capture time, page, mark and value, the official value it equals
    (dated, known), how late, the difference, and the row in words."""
    caption = html.Div(CAPTION, className="nm-note mb-1")
    if frame.empty:
        return html.Div([caption, html.Div("No page values of the view's instruments in the chart's window "
                                           "(watched pages: [[pages]] in the config; saved ones: newsmarks "
                                           "snapshot).", className="nm-note")])
    head = html.Thead(html.Tr([html.Th(h) for h in (
        f"Captured ({tz})", "Page", "Shown", "Equals", "Official dated", f"Known ({tz})", "Late by", "Difference",
        "In words")]))
    rows = []
    for row in frame.head(SHOWN).itertuples():
        label = labels.get(row.instrument_id, row.instrument_id)
        dated = f"{row.official_ts:%Y-%m-%d}" if pd.notna(row.official_ts) else "-"
        known = f"{row.official_known.tz_convert(tz):%Y-%m-%d %H:%M}" if pd.notna(row.official_known) else "-"
        rows.append(html.Tr([
            html.Td(f"{row.captured_at.tz_convert(tz):%Y-%m-%d %H:%M}"), html.Td(str(row.source)),
            html.Td(f"{row.mark} {row.value:.2f}"), html.Td(MATCH_WORDS[row.match]), html.Td(dated),
            html.Td(known), html.Td(duration_text(row.lag), className="text-end"),
            html.Td(f"{row.difference:+.4f}" if pd.notna(row.difference) else "-", className="text-end"),
            html.Td(describe(row, label, tz))]))
    stale, equal = int(frame["stale"].sum()), int(frame["match"].isin(("latest", "older")).sum())
    foot = html.Div(f"{len(frame):,} page values; {equal:,} equal an official value, {stale:,} of them an older one.",
                    className="nm-note")
    return html.Div([caption, html.Table([head, html.Tbody(rows)], className="table table-sm mb-0"), foot])
