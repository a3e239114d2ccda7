"""Times as the charts show them: tz-aware UTC times as naive wall-clock times of the chosen zone
(plotly has no time-zone support; around a DST change an hour repeats or is skipped)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from dashboard.analysis.time_columns import require_aware

TIME_FORMAT = "%Y-%m-%d %H:%M %Z"   # a time in a hover label


def zone(tz: str) -> ZoneInfo:
    """The time zone named `tz`; ValueError for an unknown name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def display_times(values: pd.Series, tz: str, what: str = "times") -> pd.Series:
    """tz-aware UTC times -> naive wall-clock times in ``tz``, to the second (what the chart shows)."""
    zone(tz)
    require_aware(values, what)
    # on an index, not through Series.dt, which is slower, and a chart makes eight of these
    local = pd.DatetimeIndex(values).tz_convert(tz).tz_localize(None).as_unit("s")
    return pd.Series(local, index=values.index, name=values.name)
