"""What each instrument did after each headline (pure, vectorised).

The price of an instrument at a moment t is the close of its last bar stamped at or before t,
known only when t lies within the bars: first bar ts <= t <= last bar ts (before the first
bar there is no price; after the last bar a later bar may still come, so the price is not
known yet). The move over a horizon h is the percent change from the price at `published` to
the price at `published + h`: (to_close - from_close) / from_close * 100.

Which bars: per headline and horizon, the instrument's hourly bars ('1h') when they cover both
moments (first hourly ts <= published and published + h <= last hourly ts), else its daily
bars ('1d'); both prices always come from the same interval.

Daily bars are stamped at the start of their day (00:00 UTC) and carry that day's close, so:
- a headline at any time on trading day D starts from D's close (the bar stamped D, whose close
  is taken at the end of D, after the headline); on a day without a bar (weekend, holiday) it
  starts from the last trading day's close;
- a 1-day move compares consecutive closes: D's close with the close of the next trading day
  D+1 when D+1 follows D by one calendar day (for a headline at 08:15 on Monday 2022-03-07:
  close of 03-07 → close of 03-08). When the next bar is further away than published + 1 day
  (a headline on a Friday, or on a weekend), the price a day later is still the same close and
  the move is 0.0;
- a 1-hour move on daily bars (no covering hourly bars) is 0.0 unless a day boundary with a
  bar lies within the hour.
A move is NaN when either price is unknown, and when the starting close is zero or negative
(a percent change from there means nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

DEFAULT_HORIZONS: Mapping[str, timedelta] = MappingProxyType(
    {"1h": timedelta(hours=1), "1d": timedelta(days=1)})
PREFERENCE = ("1h", "1d")          # finest first: the first interval covering both moments wins
BAR_COLUMNS = ("instrument_id", "interval", "ts", "close")


@dataclass(frozen=True)
class _Series:
    """One instrument's bars of one interval: sorted unique times (int64 ns UTC) and closes."""

    ts: np.ndarray
    close: np.ndarray

    def last_index(self, moments: np.ndarray) -> np.ndarray:
        """Index of the last bar at or before each moment (-1 before the first bar). Fastest
        with sorted moments."""
        return np.searchsorted(self.ts, moments, side="right") - 1

    def within(self, moments: np.ndarray) -> np.ndarray:
        """Where a price is known: first bar ts <= moment <= last bar ts."""
        return (moments >= self.ts[0]) & (moments <= self.ts[-1])


@dataclass(frozen=True)
class _Resolved:
    """Per headline, for one instrument and horizon: the bars used (NaT/NaN where unknown)."""

    instrument_id: str
    horizon: str
    interval: np.ndarray       # object: '1h', '1d' or None
    from_ts: np.ndarray        # int64 ns UTC; meaningless where from_close is NaN
    from_close: np.ndarray
    to_ts: np.ndarray
    to_close: np.ndarray

    def pct(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (self.to_close - self.from_close) / self.from_close * 100.0
        return np.where(self.from_close > 0, pct, np.nan)


def _utc_ns(values: pd.Series, what: str) -> np.ndarray:
    """int64 nanoseconds since the epoch (UTC) of tz-aware times; NaT stays the NaT sentinel."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{what} must be tz-aware timestamps (UTC), got dtype {values.dtype}")
    naive = values.dt.tz_convert("UTC").dt.as_unit("ns").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ns]").view("i8")


def _check_horizons(horizons: Mapping[str, timedelta]) -> dict[str, int]:
    out: dict[str, int] = {}
    for label, span in horizons.items():
        if not isinstance(label, str) or not label:
            raise ValueError(f"horizon labels must be non-empty strings, got {label!r}")
        if not isinstance(span, timedelta) or span <= timedelta(0):
            raise ValueError(f"horizon {label!r} must be a positive timedelta, got {span!r}")
        out[label] = pd.Timedelta(span).as_unit("ns").value
    return out


def _series(bars: pd.DataFrame) -> dict[str, dict[str, _Series]]:
    """instrument_id → interval → its bars, instruments in order of first appearance."""
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    unknown = sorted(set(bars["interval"].dropna().unique()) - set(PREFERENCE))
    if unknown or bars["interval"].isna().any():
        raise ValueError(f"bars have unknown interval(s) {unknown or [None]} (known: {', '.join(PREFERENCE)})")
    frame = pd.DataFrame({
        "instrument_id": bars["instrument_id"].to_numpy(),
        "interval": bars["interval"].to_numpy(),
        "ts": _utc_ns(bars["ts"], "bars.ts"),
        "close": pd.to_numeric(bars["close"], errors="coerce").astype("float64").to_numpy(),
    })
    frame = frame[frame["close"].notna() & (frame["ts"] != np.iinfo(np.int64).min)]
    frame = frame.sort_values(["instrument_id", "interval", "ts"], kind="stable")
    frame = frame.drop_duplicates(["instrument_id", "interval", "ts"], keep="last")
    out: dict[str, dict[str, _Series]] = {inst: {} for inst in pd.unique(bars["instrument_id"].to_numpy())}
    for (inst, interval), group in frame.groupby(["instrument_id", "interval"], sort=False):
        out[inst][interval] = _Series(group["ts"].to_numpy(), group["close"].to_numpy())
    return out


def _resolve(published: np.ndarray, bars: pd.DataFrame,
             horizons: Mapping[str, timedelta]) -> list[_Resolved]:
    """The bars used for every instrument (in order of first appearance) and horizon (in the
    given order), for headlines at `published` (int64 ns UTC; NaT → unknown)."""
    spans = _check_horizons(horizons)
    # Work on the headlines sorted by time (searchsorted on sorted queries is several times
    # faster), and put the results back in the given order at the end.
    order = np.argsort(published, kind="stable")
    moments = published[order]
    known = moments != np.iinfo(np.int64).min
    n = len(moments)
    back = np.empty_like(order)
    back[order] = np.arange(n)
    resolved: list[_Resolved] = []
    for inst, by_interval in _series(bars).items():
        present = [name for name in PREFERENCE if name in by_interval]
        at_published = {name: by_interval[name].last_index(moments) for name in present}
        from_known = {name: known & by_interval[name].within(moments) for name in present}
        for label, span in spans.items():
            later = moments + span
            interval = np.full(n, None, dtype=object)
            from_ts = np.zeros(n, dtype=np.int64)
            to_ts = np.zeros(n, dtype=np.int64)
            from_close = np.full(n, np.nan)
            to_close = np.full(n, np.nan)
            pending = known.copy()
            for name in present:
                series = by_interval[name]
                to_known = series.within(later)
                # The finest interval covering both moments; the coarsest one takes the rest.
                use = pending if name == present[-1] else pending & from_known[name] & to_known
                pending = pending & ~use
                interval[use] = name
                f = use & from_known[name]
                fi = at_published[name][f]
                from_ts[f], from_close[f] = series.ts[fi], series.close[fi]
                t = use & to_known
                ti = series.last_index(later[t])
                to_ts[t], to_close[t] = series.ts[ti], series.close[ti]
            resolved.append(_Resolved(inst, label, interval[back], from_ts[back], from_close[back],
                                      to_ts[back], to_close[back]))
    return resolved


def move_column(instrument_id: str, horizon: str) -> str:
    """Name of the moves column for an instrument and horizon: `move_<instrument>_<horizon>`."""
    return f"move_{instrument_id}_{horizon}"


def moves_after(headlines: pd.DataFrame, bars: pd.DataFrame,
                horizons: Mapping[str, timedelta] = DEFAULT_HORIZONS) -> pd.DataFrame:
    """Percent moves of every instrument after every headline.

    headlines: columns id, published (tz-aware). bars: columns instrument_id, interval ('1d' or
    '1h'), ts (tz-aware), close. Returns one row per headline (same order): `id`, then
    `move_<instrument>_<horizon>` (float, percent; NaN where unknown) for each instrument in
    order of first appearance in `bars` and each horizon in the given order. See the module
    docstring for which bars are used."""
    missing = [c for c in ("id", "published") if c not in headlines.columns]
    if missing:
        raise ValueError(f"headlines frame lacks column(s) {', '.join(missing)}")
    published = _utc_ns(headlines["published"], "headlines.published")
    columns: dict[str, np.ndarray] = {"id": headlines["id"].to_numpy()}
    for item in _resolve(published, bars, horizons):
        columns[move_column(item.instrument_id, item.horizon)] = item.pct()
    return pd.DataFrame(columns, index=pd.RangeIndex(len(headlines)))


def moves_for_one(headline_time: datetime | pd.Timestamp, bars: pd.DataFrame,
                  horizons: Mapping[str, timedelta] = DEFAULT_HORIZONS) -> list[dict]:
    """The moves after one headline, with the bars used (for the detail panel): one dict per
    instrument and horizon, in `moves_after`'s column order, with keys instrument_id, horizon,
    interval ('1h'/'1d', or None without bars), from_ts, from_close, to_ts, to_close (UTC
    Timestamps and floats, None where unknown) and pct (float, None where unknown)."""
    moment = pd.Timestamp(headline_time)
    if moment.tzinfo is None:
        raise ValueError(f"headline_time must be tz-aware, got naive {headline_time!r}")
    published = _utc_ns(pd.Series([moment]), "headline_time")
    out: list[dict] = []
    for item in _resolve(published, bars, horizons):
        pct = float(item.pct()[0])
        has_from, has_to = not np.isnan(item.from_close[0]), not np.isnan(item.to_close[0])
        out.append({
            "instrument_id": item.instrument_id,
            "horizon": item.horizon,
            "interval": item.interval[0],
            "from_ts": pd.Timestamp(int(item.from_ts[0]), tz="UTC") if has_from else None,
            "from_close": float(item.from_close[0]) if has_from else None,
            "to_ts": pd.Timestamp(int(item.to_ts[0]), tz="UTC") if has_to else None,
            "to_close": float(item.to_close[0]) if has_to else None,
            "pct": None if np.isnan(pct) else pct,
        })
    return out
