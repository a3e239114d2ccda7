"""Min/max downsampling of price series, so long series stay light in the browser and spikes survive.

Buckets are equal-COUNT (consecutive runs of rows), not equal-time: that bounds the output size exactly
(at most 4 rows per bucket, ``max_points // 4`` buckets) and does not waste buckets on gaps with no bars
(nights, weekends, holidays), where equal-time buckets would be empty while busy stretches get squeezed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["minmax_downsample", "downsample_bars"]

MIN_POINTS = 4


def _first_per_bucket(mask: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """Positions of the first True of ``mask`` in each bucket (buckets are contiguous and ascending)."""
    hits = np.flatnonzero(mask)
    if hits.size == 0:
        return hits
    owner = bucket[hits]
    first = np.empty(hits.size, dtype=bool)
    first[0] = True
    np.not_equal(owner[1:], owner[:-1], out=first[1:])
    return hits[first]


def minmax_downsample(frame: pd.DataFrame, x: str = "ts", y: str = "close", max_points: int = 2000) -> pd.DataFrame:
    """Reduce one series to at most ``max_points`` rows, keeping each bucket's first, last, min and max row.

    The frame is split into ``max_points // 4`` buckets of (nearly) equal row count, in ``x`` order; the
    kept rows come back in time order without duplicates and with all their columns (and index labels).
    A frame of ``max_points`` rows or fewer is returned unchanged. NaN values of ``y`` are never picked as
    a min or max (a bucket of only NaN keeps just its first and last row).
    """
    if max_points < MIN_POINTS:
        raise ValueError(f"max_points must be at least {MIN_POINTS}, got {max_points}")
    for column in (x, y):
        if column not in frame.columns:
            raise KeyError(f"minmax_downsample: column {column!r} not in frame (columns: {list(frame.columns)})")
    n = len(frame)
    if n <= max_points:
        return frame
    if not frame[x].is_monotonic_increasing:
        frame = frame.sort_values(x, kind="stable")

    values = frame[y].to_numpy(dtype="float64", na_value=np.nan)
    n_buckets = max_points // MIN_POINTS
    starts = (np.arange(n_buckets, dtype=np.int64) * n) // n_buckets
    sizes = np.diff(np.append(starts, n))
    ends = starts + sizes - 1
    bucket = np.repeat(np.arange(n_buckets), sizes)

    missing = np.isnan(values)
    low = np.where(missing, np.inf, values)
    high = np.where(missing, -np.inf, values)
    bucket_min = np.minimum.reduceat(low, starts)
    bucket_max = np.maximum.reduceat(high, starts)
    min_pos = _first_per_bucket(low == bucket_min[bucket], bucket)
    max_pos = _first_per_bucket(high == bucket_max[bucket], bucket)

    keep = np.unique(np.concatenate([starts, ends, min_pos, max_pos]))
    return frame.iloc[keep]


def downsample_bars(bars: pd.DataFrame, max_points: int = 2000, *, x: str = "ts", y: str = "close") -> pd.DataFrame:
    """Apply :func:`minmax_downsample` to each ``instrument_id`` of ``bars`` separately.

    ``max_points`` is per instrument. Instruments come out in sorted order, each in time order (short series
    keep their input order, which the store gives as ts), with a fresh RangeIndex.
    """
    if "instrument_id" not in bars.columns:
        raise KeyError("downsample_bars: bars have no 'instrument_id' column")
    if bars.empty:
        return bars.reset_index(drop=True)
    parts = [
        minmax_downsample(group, x=x, y=y, max_points=max_points)
        for _, group in bars.groupby("instrument_id", sort=True)
    ]
    return pd.concat(parts).reset_index(drop=True)
