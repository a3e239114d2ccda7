"""The trading calendar of intensity (described in intensity's docstring): bars into buckets, and
which buckets' headline periods were collected and read in full (missing, not zero)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import DAY_NS, known_bars

_SECOND_NS = 10**9


def bucket_closes(bars: pd.DataFrame, size: int) -> pd.DataFrame:
    """Per bucket with a bar: bucket start and close time (int64 ns UTC, the known time of its
    last bar), close, and whether the return from the previous bucket's close is clean (no bad
    bar from the previous bucket's last bar to this bucket's last bar)."""
    series = known_bars(bars, "bars")
    known = series.known
    start = (known - 1) // size * size            # right-closed buckets: (start, start + size]
    last = np.ones(len(start), dtype=bool)
    last[:-1] = start[1:] != start[:-1]           # known times ascend: the bucket's last bar
    ends = np.flatnonzero(last)
    previous = np.concatenate([[-1], ends[:-1]])
    clean = series.clean(previous, ends)
    return pd.DataFrame({"start": start[ends], "closed": known[ends], "close": series.close[ends],
                         "clean": clean})


def collected_days(coverage: pd.Series, floor: float) -> tuple[int, np.ndarray]:
    """(first day, collected per day from it) of a series of headline counts per UTC day."""
    if not isinstance(coverage.index, pd.DatetimeIndex) or coverage.index.tz is None:
        raise ValueError("coverage must be indexed by tz-aware UTC days")
    days = coverage.index.tz_convert("UTC").as_unit("ns").asi8 // DAY_NS
    counts = pd.to_numeric(coverage, errors="coerce").fillna(0).to_numpy(dtype=float)
    if not len(days):
        return 0, np.zeros(0, dtype=bool)
    first = int(days.min())
    per_day = np.zeros(int(days.max()) - first + 1)
    np.add.at(per_day, days - first, counts)
    positive = per_day[per_day > 0]
    threshold = floor * float(np.median(positive)) if len(positive) else 0.0
    return first, (per_day > 0) & (per_day >= threshold)


def news_known(closes: pd.DataFrame, size: int, coverage: pd.Series | None, floor: float, closed: str,
                since: int | None, until: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(outside, uncovered) per bucket: its headline period [previous close, close) is not wholly
    inside [since, until + 1 s); it touches a day not collected (intensity's docstring). The first
    bucket (no period) is neither."""
    closes_at = closes["closed"].to_numpy()
    n = len(closes_at)
    outside, uncovered = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if n < 2:
        return outside, uncovered
    begin, end = closes_at[:-1], closes_at[1:]
    if since is not None:
        outside[1:] |= begin < since
    if until is not None:
        outside[1:] |= end > until + _SECOND_NS
    if coverage is None:
        return outside, uncovered
    first, collected = collected_days(coverage, floor)
    d0, d1 = begin // DAY_NS, (end - 1) // DAY_NS
    low, high = int(min(d0.min(), first)), int(max(d1.max(), first + len(collected) - 1))
    gap = np.ones(high - low + 1, dtype=bool)                 # days outside the series: not collected
    gap[first - low:first - low + len(collected)] = ~collected
    if closed == "exclude":                                  # only days with a trading period matter
        trading = np.zeros(high - low + 1, dtype=bool)
        trading[np.unique(closes["start"].to_numpy() // DAY_NS) - low] = True
        gap &= trading
    cumulative = np.concatenate([[0], np.cumsum(gap, dtype=np.int64)])
    uncovered[1:] = cumulative[d1 - low + 1] - cumulative[d0 - low] > 0
    return outside, uncovered
