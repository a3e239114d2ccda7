"""Time columns for the vectorised code (pure): tz-aware times as UTC nanoseconds. One place, so
every analysis refuses naive times the same way (pandas 3 keeps s/ms/us/ns apart, and merge_asof
and searchsorted need one zone and one unit)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd


def require_aware(values: pd.Series, what: str) -> None:
    """ValueError naming `what` unless `values` are tz-aware timestamps."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{what} must be tz-aware timestamps (UTC), got dtype {values.dtype}")


def utc_ns(values: pd.Series, what: str) -> pd.Series:
    """`values` as UTC nanosecond timestamps; ValueError naming `what` for naive or non-time values."""
    require_aware(values, what)
    return values.dt.tz_convert("UTC").dt.as_unit("ns")


def epoch_ns(values: pd.Series, what: str) -> np.ndarray:
    """int64 nanoseconds since the epoch of tz-aware times (NaT becomes the NaT sentinel)."""
    naive = utc_ns(values, what).dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ns]").view("i8")


# formats written by numpy's datetime_as_string at a unit (ISO 8601 with a space for the T): one
# C loop instead of a strftime per value (a chart's price hover: ~50 ms for 12,000 closes)
_ISO_UNITS = {"%Y-%m-%d": "D", "%Y-%m-%d %H:%M": "m", "%Y-%m-%d %H:%M:%S": "s"}


def format_times(values: pd.Series, zone: ZoneInfo, fmt: str, what: str = "times") -> list[str | None]:
    """`fmt` (strftime) of tz-aware times as wall-clock times in `zone`, to the second; None for
    NaT. The same text as pandas' `.dt.tz_convert(zone).dt.strftime(fmt)`, which is slower: it
    makes a Timestamp of every value first (docs/performance.md)."""
    unit = _ISO_UNITS.get(fmt)
    if unit is not None and len(values):
        require_aware(values, what)
        local = pd.DatetimeIndex(values).tz_convert(zone).tz_localize(None).to_numpy()
        text = np.datetime_as_string(local.astype(f"datetime64[{unit}]"))
        if unit != "D":
            text = np.char.replace(text, "T", " ")
        out = text.astype(object)
        out[np.isnat(local)] = None
        return out.tolist()
    naive = utc_ns(values, what).dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    seconds = naive.view("i8").tolist()
    missing = np.isnat(naive)
    return [None if gone else datetime.fromtimestamp(s, zone).strftime(fmt)
            for s, gone in zip(seconds, missing.tolist(), strict=True)]


def ns_times(values: np.ndarray) -> pd.Series:
    """int64 nanoseconds since the epoch as a Series of UTC times (the inverse of `epoch_ns`)."""
    return pd.Series(pd.to_datetime(values, unit="ns", utc=True))
