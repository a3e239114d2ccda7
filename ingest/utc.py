"""UTC helpers: conversions between the store's integer UTC seconds and timezone-aware times, and
a command-line date read as a UTC day."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pandas as pd


def to_epoch(moment: datetime | pd.Timestamp) -> int:
    """UTC seconds of an aware time; a naive time is refused (times are UTC inside)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive time {moment!r}: times must carry a zone")
    return int(moment.timestamp() // 1)


def from_epoch(seconds: int | None) -> datetime | None:
    """An aware UTC datetime from epoch seconds (None stays None)."""
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


def epoch_series(values: pd.Series) -> pd.Series:
    """UTC-aware, second-resolution timestamps from a Series of epoch seconds."""
    return pd.to_datetime(values.astype("int64"), unit="s", utc=True)


def series_to_epoch(values: pd.Series) -> pd.Series:
    """Epoch seconds (int64) from a Series of aware timestamps."""
    if getattr(values.dt, "tz", None) is None:
        raise ValueError("naive timestamps: times must carry a zone")
    return values.dt.tz_convert("UTC").dt.as_unit("s").astype("int64")


def utc_day(value: datetime | None, end: bool = False) -> datetime | None:
    """A naive date or time from the command line as UTC: a date alone is its first moment, or
    with `end` its last (an inclusive end day); a time keeps its clock."""
    if value is None:
        return None
    if value.hour or value.minute or value.second:
        return value.replace(tzinfo=UTC)
    return datetime.combine(value.date(), time.max if end else time.min, UTC)


def aware_utc(moment: datetime, name: str) -> datetime:
    """`moment` in UTC; ValueError naming `name` when it has no time zone."""
    if moment.tzinfo is None:
        raise ValueError(f"{name} {moment.isoformat()} has no time zone (expected UTC)")
    return moment.astimezone(UTC)
