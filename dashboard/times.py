"""Time columns for the vectorised code (pure): tz-aware times as UTC nanoseconds. One place, so
every analysis refuses naive times the same way (pandas 3 keeps s/ms/us/ns apart, and merge_asof
and searchsorted need one zone and one unit)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def utc_ns(values: pd.Series, what: str) -> pd.Series:
    """`values` as UTC nanosecond timestamps; ValueError naming `what` for naive or non-time values."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{what} must be tz-aware timestamps (UTC), got dtype {values.dtype}")
    return values.dt.tz_convert("UTC").dt.as_unit("ns")


def epoch_ns(values: pd.Series, what: str) -> np.ndarray:
    """int64 nanoseconds since the epoch of tz-aware times (NaT becomes the NaT sentinel)."""
    naive = utc_ns(values, what).dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ns]").view("i8")
