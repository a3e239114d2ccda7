"""News intensity against volatility as text lines and its lags as CSV (pure): what
`newsmarks intensity` prints and writes."""

from __future__ import annotations

import math

from dashboard.analysis.intensity import IntensityResult
from ingest.csv_safety import format_number, write_csv

NEWS_WORDS = {"count": "headlines", "risk": "risk share"}


def _num(value: float, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def intensity_lines(result: IntensityResult, label: str) -> list[str]:
    """The correlation, what was left out, and r by lag against the band."""
    news = NEWS_WORDS[result.news]
    lines = [
        f"intensity: {label}, {result.bucket} buckets, {news} vs |log return|",
        f"buckets with a return{' and headlines' if result.news == 'risk' else ''}: {result.n} "
        f"(left out: {result.n_flagged} whose return crosses a flagged bar"
        + (f"; {result.n_day_only} headlines dated to the day only, not counted by hour" if result.n_day_only
           else "") + ")",
        f"Pearson r = {_num(result.pearson_r)}  p = {_num(result.pearson_p)}",
        f"Spearman r = {_num(result.spearman_r)}  p = {_num(result.spearman_p)}",
        f"r by lag (positive: news first; band ±{_num(result.band)}):",
    ]
    for row in result.lags.itertuples():
        beyond = " *" if not math.isnan(row.r) and not math.isnan(result.band) and abs(row.r) > result.band else ""
        lines.append(f"  {row.lag:+d}: {_num(row.r)} ({row.pairs} pairs){beyond}")
    return lines


def lags_csv(result: IntensityResult) -> str:
    """`lag,pairs,r,band`: one row per lag."""
    rows = ([str(int(r.lag)), str(int(r.pairs)), format_number(r.r), format_number(result.band)]
            for r in result.lags.itertuples())
    return write_csv(["lag", "pairs", "r", "band"], rows)
