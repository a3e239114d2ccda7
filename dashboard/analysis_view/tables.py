"""The Analysis tab's tables (pure): the statistics rows, the largest-moves table with its links
to the chart, and every table as CSV bytes (one writer: `frame_csv`).

CSV files follow dashboard.downloads.csv_files: UTF-8 with a byte-order mark, `\\n` line ends, text cells
(and header names) through `ingest.csvio.csv_safety.neutralise_cell`, numbers through `format_number`
(the exact float, NaN as an empty cell), times as ISO 8601 in the display zone with the offset.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from dash import dcc, html

from dashboard import ids
from dashboard.analysis.event_report import stat_rows
from dashboard.analysis.event_study import EventStudyResult
from dashboard.analysis.intensity import IntensityResult
from dashboard.analysis.intensity_report import CLOSED_WORDS, beyond_counts
from dashboard.analysis.largest_moves import RANKING_RULE
from dashboard.downloads.csv_files import local_iso
from dashboard.state import ViewState, state_to_search
from ingest.csvio.csv_safety import format_number, neutralise_cell, write_csv

DOWNLOAD_KINDS = ("events", "stats", "lags", "moves", "risk", "hindsight", "pages")
NEWS_WORDS = {"count": "headlines", "risk": "risk share"}   # the news side of the correlation, in labels
LINK_DAYS = 3                 # a "show on chart" link opens the days D - 3 … D + 3 around the move
HEADLINES_PER_MOVE = 3        # stories shown per move on the page (the CSV has them all)
_BOM = "\ufeff"


def _stat(statistic: str, value) -> dict:
    return {"statistic": statistic, "value": value}


def stats_table_rows(result: EventStudyResult | None, intensity: IntensityResult | None,
                     means: pd.DataFrame | None = None) -> list[dict]:
    """The statistics table: rows {'statistic', 'value'} of the event study (its counts, what was
    left out and why, the CAAR and each test at +1 and +W, the placebo: event_report.stat_rows; moves
    as log return ×100, i.e. %), then of intensity against volatility, then the mean move after the headlines
    over calendar horizons (`means`, dashboard.analysis.inputs.run_mean_moves: empty moves are
    left out of the mean and counted); a side that is None is left out. Counts are ints, the rest
    floats (NaN where undefined)."""
    rows: list[dict] = []
    if result is not None:        # the same rows `newsmarks study` prints (event_report.stat_rows)
        rows += [_stat(statistic, value) for statistic, value in stat_rows(result)]
    if intensity is not None:
        rows += intensity_rows(intensity)
    for m in ([] if means is None else means.itertuples()):
        rows += [
            _stat(f"Mean move {m.horizon} after a headline, %", m.mean),
            _stat(f"Headlines with a {m.horizon} move", int(m.used)),
            _stat(f"Headlines without a {m.horizon} move (left out of the mean)", int(m.empty)),
        ]
    return rows


def intensity_rows(intensity: IntensityResult) -> list[dict]:
    """The statistics rows of intensity against volatility: the buckets used and left out (and
    why), the closed-market headlines, the weekday-controlled news coefficient with its HAC t and
    p and the partial r, the raw (no controls) correlations, and the lags beyond each band."""
    news = NEWS_WORDS[intensity.news]
    reg = intensity.regression
    pointwise, family = beyond_counts(intensity)
    rows = [
        _stat(f"Trading periods ({intensity.bucket}) with a return", len(intensity.aligned)),
        _stat(f"Buckets ({intensity.bucket}) used: a return and "
              + ("a risk share" if intensity.news == "risk" else "a news value"), intensity.n),
        _stat("Buckets left out: return across a flagged bar", intensity.n_flagged),
        _stat("Buckets left out: a day of the headline period without collection", intensity.n_uncovered),
        _stat("Buckets left out: headline period not wholly in the view", intensity.n_outside),
        _stat(f"Headlines from closed-market periods ({CLOSED_WORDS[intensity.closed]})", intensity.n_closed),
    ]
    if intensity.bucket != "1d":
        rows.append(_stat("Headlines dated to the day only (not counted by hour)", intensity.n_day_only))
    if reg is not None:
        rows += [
            _stat(f"News coefficient, |return| on {news} with {reg.controls} dummies", reg.coef),
            _stat(f"HAC t (Newey–West, {reg.hac_lags} lags)", reg.t),
            _stat("HAC p", reg.p),
            _stat(f"Partial r given the {reg.controls}", reg.partial_r),
            _stat("Partial p", reg.partial_p),
        ]
    rows += [
        _stat(f"Raw Pearson r (no controls), {news} vs |return|", intensity.pearson_r),
        _stat("Raw Pearson p", intensity.pearson_p),
        _stat(f"Raw Spearman r (no controls), {news} vs |return|", intensity.spearman_r),
        _stat("Raw Spearman p", intensity.spearman_p),
        _stat("Lags tested", intensity.lags_tested),
        _stat("Lags beyond the pointwise band ±1.96/√n", pointwise),
        _stat("Lags beyond the family band ±z/√n (Šidák"
              + (f", z = {intensity.family_z:.3f})" if np.isfinite(intensity.family_z) else ")"), family),
    ]
    if intensity.prewhitened and intensity.ar_orders is not None:
        rows += [_stat(f"Pre-whitening: AR order of the {news}", intensity.ar_orders[0]),
                 _stat("Pre-whitening: AR order of |return|", intensity.ar_orders[1])]
    return rows


def format_value(value) -> str:
    """How the page shows a statistic: counts with thousands separators, other numbers to four
    significant digits, NaN as '–'."""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if value is None or np.isnan(value):
        return "–"
    return f"{value:.4g}"


def stats_table(rows: list[dict]) -> html.Table:
    """The statistics as a small HTML table (text only)."""
    body = [html.Tr([html.Td(row["statistic"]), html.Td(format_value(row["value"]), className="text-end")])
            for row in rows]
    return html.Table([html.Thead(html.Tr([html.Th("Statistic"), html.Th("Value", className="text-end")])),
                       html.Tbody(body)], className="table table-sm mb-0")


def chart_link(state: ViewState, bar_ts: pd.Timestamp | datetime) -> str:
    """The URL query of the chart at a move: the view `state` (instruments and filters kept) over
    the UTC days D - LINK_DAYS … D + LINK_DAYS, D the day of the move's bar."""
    day = pd.Timestamp(bar_ts).tz_convert("UTC").date()
    span = timedelta(days=LINK_DAYS)
    return state_to_search(replace(state, range="custom", start=day - span, end=day + span))


def _when(value: pd.Timestamp, tz: str, interval: str) -> str:
    if pd.isna(value):
        return ""
    return value.tz_convert(tz).strftime("%Y-%m-%d" if interval == "1d" else "%Y-%m-%d %H:%M")


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _sources(row) -> str:
    """The sources that carried a story by the close, as shown: 'BBC World, DW, France 24'."""
    return ", ".join(name for name in _text(row["sources"]).split(";") if name) or _text(row["source"])


def moves_table(moves: pd.DataFrame, state: ViewState, interval: str, tz: str) -> html.Table:
    """The largest moves (dashboard.analysis.largest_moves rows) as an HTML table: per move its
    rank, bar, % change, close and a "show on chart" link (a dcc.Link to `chart_link`, inside a
    span with a pattern-matching id whose clicks switch to the Chart tab), then up to
    HEADLINES_PER_MOVE of its stories in rank order: time, the sources that carried it by the
    close, title, and why it ranks there (its `reason`; the rule on hover over that column's
    header and in the table's foot). Headline text is text, never markup."""
    why = html.Th("Why it ranks", title=RANKING_RULE, style={"textDecoration": "underline dotted"})
    head = html.Thead(html.Tr([*[html.Th(h) for h in ("#", f"Bar ({tz})", "Move %", "Close", "Headline time",
                                                      "Sources", "Headline")], why, html.Th("")]))
    body = []
    for rank, group in moves.groupby("rank", sort=True):
        first = group.iloc[0]
        shown = group.iloc[:HEADLINES_PER_MOVE] if pd.notna(first["headline_id"]) else group.iloc[:0]
        link = html.Span(dcc.Link("show on chart", href=chart_link(state, first["ts"])),
                         id={"type": ids.ANALYSIS_SHOW_ON_CHART, "index": int(rank)})
        move_cells = [html.Td(str(int(rank))), html.Td(_when(first["ts"], tz, interval)),
                      html.Td(f"{first['pct']:+.2f}", className="text-end"),
                      html.Td(format_number(first["close"]), className="text-end")]
        if shown.empty:
            body.append(html.Tr([*move_cells, html.Td("No headline in the window before this move", colSpan=4),
                                 html.Td(link)]))
            continue
        for position, (_, row) in enumerate(shown.iterrows()):
            cells = move_cells if position == 0 else [html.Td("") for _ in move_cells]
            body.append(html.Tr([*cells, html.Td(_when(row["published"], tz, "1h")), html.Td(_sources(row)),
                                 html.Td(_text(row["title"])), html.Td(_text(row["reason"])),
                                 html.Td(link if position == 0 else "")]))
        if len(group) > len(shown):
            body.append(html.Tr([html.Td("", colSpan=4),
                                 html.Td(f"… and {len(group) - len(shown):,} more stories (in the CSV)",
                                         colSpan=5, className="nm-note")]))
    foot = html.Tfoot(html.Tr(html.Td(RANKING_RULE, colSpan=9, className="nm-note")))
    return html.Table([head, html.Tbody(body), foot], className="table table-sm mb-0")


def _cells(values: pd.Series, tz: str) -> list[str]:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return local_iso(values, tz)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return [format_number(v) for v in values.tolist()]
    return [neutralise_cell(_text(v)) for v in values.tolist()]


def frame_csv(frame: pd.DataFrame, tz: str = "UTC") -> bytes:
    """A frame as CSV bytes (see the module docstring): tz-aware time columns in zone `tz`,
    numeric columns as numbers, every other column as neutralised text."""
    columns = [_cells(frame[name], tz) for name in frame.columns]
    header = [neutralise_cell(str(name)) for name in frame.columns]
    return (_BOM + write_csv(header, (list(row) for row in zip(*columns, strict=True)))).encode("utf-8")


def lags_frame(intensity: IntensityResult) -> pd.DataFrame:
    """The lag table: lag, pairs, r, and each lag's bands from its own pairs — band (pointwise,
    ±1.96/√n) and family_band (Šidák over the lags tested)."""
    return intensity.to_frame()


def risk_frame(index: pd.DataFrame) -> pd.DataFrame:
    """The daily risk index with its UTC day as a date (YYYY-MM-DD) in `day_utc`."""
    days = index["day"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d").astype(object)
    return pd.DataFrame({"day_utc": days, **{c: index[c] for c in index.columns if c != "day"}})


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def download_name(kind: str, instrument: str, start: date | datetime | None, end: date | datetime | None) -> str:
    """`newsmarks-analysis-<kind>-<instrument>-<start>-to-<end>.csv` (`from-…`, `to-…` or `all`
    when a side is open). kind: one of DOWNLOAD_KINDS."""
    if kind not in DOWNLOAD_KINDS:
        raise ValueError(f"unknown analysis download {kind!r} (known: {', '.join(DOWNLOAD_KINDS)})")
    first, last = _day(start), _day(end)
    span = (f"{first}-to-{last}" if first and last else f"from-{first}" if first
            else f"to-{last}" if last else "all")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in instrument)
    return f"newsmarks-analysis-{kind}-{safe}-{span}.csv"
