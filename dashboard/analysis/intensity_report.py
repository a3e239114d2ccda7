"""News intensity against volatility as text lines and its lags as CSV (pure): what
`newsmarks intensity` prints and writes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ingest.csvio.csv_safety import format_number, write_csv

if TYPE_CHECKING:   # intensity imports this module for IntensityResult.summary
    from dashboard.analysis.intensity import IntensityResult

NEWS_WORDS = {"count": "headlines", "risk": "risk share"}
CLOSED_WORDS = {"next": "counted in the next trading period", "exclude": "left out"}
LAG_COLUMNS = ("lag", "pairs", "r", "band", "family_band")


def _num(value: float, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _sig(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.6g}"


def _beyond(r: float, band: float) -> bool:
    return not (math.isnan(r) or math.isnan(band)) and abs(r) > band


def beyond_counts(result: IntensityResult) -> tuple[int, int]:
    """How many lags' r lie beyond their pointwise band, and beyond their family band."""
    rows = list(result.lags.itertuples())
    return sum(_beyond(r.r, r.band) for r in rows), sum(_beyond(r.r, r.family_band) for r in rows)


def left_out_words(result: IntensityResult) -> str:
    """What was left out and why, in words."""
    parts = [f"{result.n_flagged} whose return crosses a flagged bar",
             f"{result.n_uncovered} whose headline period has a day without collection",
             f"{result.n_outside} whose headline period is not wholly in the view"]
    if result.news == "risk":
        parts.append("those without headlines (no risk share)")
    if result.n_day_only:
        parts.append(f"{result.n_day_only} headlines dated to the day only, not counted by hour")
    return "; ".join(parts)


def intensity_lines(result: IntensityResult, label: str) -> list[str]:
    """The calendar, what was left out, the weekday-controlled regression and partial r, the raw
    correlations, and r by lag against its two bands."""
    news = NEWS_WORDS[result.news]
    reg = result.regression
    pointwise, family = beyond_counts(result)
    whitened = (f"of the AR({result.ar_orders[0]}) / AR({result.ar_orders[1]}) residuals (pre-whitened); "
                if result.prewhitened and result.ar_orders else "")
    lines = [
        f"intensity: {label}, {result.bucket} buckets, {news} vs |log return|",
        f"trading calendar: {len(result.aligned)} trading periods with a return; {result.n_closed:,} headlines "
        f"arrived while the market was closed, {CLOSED_WORDS[result.closed]} (--closed {result.closed})",
        f"used: {result.n} (left out: {left_out_words(result)})",
    ]
    if reg is not None:
        lines += [
            f"weekday-controlled: |log return| on {news} with {reg.controls} dummies, OLS with Newey-West HAC "
            f"({reg.hac_lags} lags): b = {_sig(reg.coef)}  HAC t = {_num(reg.t, 3)}  p = {_num(reg.p)}  "
            f"(n = {reg.n}, k = {reg.k})",
            f"partial r given the {reg.controls} = {_num(reg.partial_r)}  p = {_num(reg.partial_p)}  "
            f"(df = {reg.partial_df})",
        ]
    lines += [
        f"raw, no controls: Pearson r = {_num(result.pearson_r)}  p = {_num(result.pearson_p)}",
        f"raw, no controls: Spearman r = {_num(result.spearman_r)}  p = {_num(result.spearman_p)}",
        f"r by lag (positive: news first; {whitened}band per lag: pointwise ±1.96/√n, family "
        f"±{_num(result.family_z, 3)}/√n, Šidák over {result.lags_tested} lags; * beyond the pointwise band "
        f"({pointwise}), ** beyond the family band ({family})):",
    ]
    for row in result.lags.itertuples():
        mark = " **" if _beyond(row.r, row.family_band) else " *" if _beyond(row.r, row.band) else ""
        lines.append(f"  {row.lag:+d}: {_num(row.r)} ({row.pairs} pairs; band ±{_num(row.band)}, "
                     f"family ±{_num(row.family_band)}){mark}")
    return lines


def lags_csv(result: IntensityResult) -> str:
    """`lag,pairs,r,band,family_band`: one row per lag (the bands from the lag's own pairs)."""
    rows = ([str(int(r.lag)), str(int(r.pairs)), format_number(r.r), format_number(r.band),
             format_number(r.family_band)] for r in result.lags.itertuples())
    return write_csv(list(LAG_COLUMNS), rows)
