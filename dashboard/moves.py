"""What each instrument did after each headline (pure, vectorised), by the closed-bar rule.

The closed-bar rule (shared with the event study): a bar stamped `ts` with interval I closes at
`ts + I` (INTERVAL_LENGTH: '1d' → 1 day, '1h' → 1 hour; `close_times` applies it), and only
then is its close known. So:
- the price known at a moment t is the close of the last bar that had closed at or before t
  (`ts + I <= t`), and it is known only when first close time <= t <= last close time: before
  the first bar closed there is no price; after the last stored bar closed a later bar may
  still come, so the price is not known yet;
- the move over a horizon h after a headline at t is the percent change from the price known
  at t to the price known at t + h: (to_close - from_close) / from_close * 100. As the starting
  bar closed before the headline, the move holds the reaction to it.

Which bars: per headline and horizon, the instrument's hourly bars ('1h') when they cover both
moments (first hourly close time <= t and t + h <= last hourly close time), else its daily bars
('1d'); both prices always come from the same interval.

Daily bars are stamped at the start of their day and close at its end, so:
- a headline at any time on day D starts from the close of the last trading day before D (for
  08:15 on Monday 2022-03-07: Friday 03-04's close, that bar closing at 03-05 00:00);
- a 1-day move then ends at the close of the last bar closed by t + 1 day, i.e. D's own close
  when D is a trading day (03-04's close → 03-07's close, which holds the reaction); for a
  headline on a weekend or holiday both prices are the same close and the move is 0.0 (the
  reaction shows in the next trading day's close, which has not closed by t + 1 day);
- a 1-hour move on daily bars (no covering hourly bars) is 0.0 unless a bar closes within the
  hour (at midnight).
An hourly bar stamped 10:00 closes at 11:00: a headline at 10:30 starts from the close of the
09:00 bar, and its 1-hour move ends at the close of the 10:00 bar.

The rule never uses a price before it was known, and may take one a little later than it was:
Yahoo's last hourly bar of a session can be shorter than an hour; a daily bar stamped at local
midnight (Yahoo) closes 24 hours later, an hour off on the day clocks change; the Bank of
Russia publishes the rate for day D in the afternoon of D - 1.
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
INTERVAL_LENGTH: Mapping[str, timedelta] = MappingProxyType(
    {"1d": timedelta(days=1), "1h": timedelta(hours=1)})
PREFERENCE = ("1h", "1d")          # finest first: the first interval covering both moments wins
BAR_COLUMNS = ("instrument_id", "interval", "ts", "close")
_NAT = np.iinfo(np.int64).min


def close_times(ts: pd.Series, interval: str | pd.Series) -> pd.Series:
    """When each bar closed (its close became known): `ts + INTERVAL_LENGTH[interval]`.

    ts: the bars' stamps (tz-aware). interval: one interval name for all bars, or a Series of
    names aligned with `ts` (a bars frame's `interval` column). Returns a Series with the index,
    zone and unit of `ts` (NaT stays NaT). Raises ValueError for naive times or an interval not in
    INTERVAL_LENGTH."""
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"bar times must be tz-aware timestamps (UTC), got dtype {ts.dtype}")
    if isinstance(interval, str):
        if interval not in INTERVAL_LENGTH:
            raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
        return ts + pd.Timedelta(INTERVAL_LENGTH[interval])
    if not isinstance(interval, pd.Series) or not interval.index.equals(ts.index):
        raise ValueError("interval must be a string or a Series with the same index as ts")
    lengths = interval.map(dict(INTERVAL_LENGTH))
    if lengths.isna().any():
        unknown = sorted({repr(v) for v in interval[lengths.isna()].unique()})
        raise ValueError(f"unknown interval(s) {', '.join(unknown)} (known: {', '.join(INTERVAL_LENGTH)})")
    return ts + pd.to_timedelta(lengths).dt.as_unit(ts.dt.unit)


@dataclass(frozen=True)
class _Series:
    """One instrument's bars of one interval, sorted by time with unique stamps: stamps and
    close times (int64 ns UTC) and closes."""

    ts: np.ndarray
    closed: np.ndarray
    close: np.ndarray

    def last_closed(self, moments: np.ndarray) -> np.ndarray:
        """Index of the last bar closed at or before each moment (-1 before the first one
        closed). Fastest with sorted moments."""
        return np.searchsorted(self.closed, moments, side="right") - 1

    def within(self, moments: np.ndarray) -> np.ndarray:
        """Where the price is known: first close time <= moment <= last close time."""
        return (moments >= self.closed[0]) & (moments <= self.closed[-1])


@dataclass(frozen=True)
class _Resolved:
    """Per headline, for one instrument and horizon: the bars used. Stamps and close times are
    int64 ns UTC, meaningless where the close next to them is NaN (unknown)."""

    instrument_id: str
    horizon: str
    interval: np.ndarray       # object: '1h', '1d' or None
    from_ts: np.ndarray
    from_closed: np.ndarray
    from_close: np.ndarray
    to_ts: np.ndarray
    to_closed: np.ndarray
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
    unknown = sorted({repr(v) for v in bars["interval"].unique()} - {repr(v) for v in PREFERENCE})
    if unknown:
        raise ValueError(f"bars have unknown interval(s) {', '.join(unknown)} (known: {', '.join(PREFERENCE)})")
    frame = pd.DataFrame({
        "instrument_id": bars["instrument_id"].to_numpy(),
        "interval": bars["interval"].to_numpy(),
        "ts": _utc_ns(bars["ts"], "bars.ts"),
        "closed": _utc_ns(close_times(bars["ts"], bars["interval"]), "bars.ts"),
        "close": pd.to_numeric(bars["close"], errors="coerce").astype("float64").to_numpy(),
    })
    frame = frame[frame["close"].notna() & (frame["ts"] != _NAT)]
    frame = frame.sort_values(["instrument_id", "interval", "ts"], kind="stable")
    frame = frame.drop_duplicates(["instrument_id", "interval", "ts"], keep="last")
    out: dict[str, dict[str, _Series]] = {inst: {} for inst in pd.unique(bars["instrument_id"].to_numpy())}
    for (inst, interval), group in frame.groupby(["instrument_id", "interval"], sort=False):
        out[inst][interval] = _Series(group["ts"].to_numpy(), group["closed"].to_numpy(),
                                      group["close"].to_numpy())
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
    known = moments != _NAT
    n = len(moments)
    back = np.empty_like(order)
    back[order] = np.arange(n)
    resolved: list[_Resolved] = []
    for inst, by_interval in _series(bars).items():
        present = tuple(name for name in PREFERENCE if name in by_interval)
        at_published = {name: by_interval[name].last_closed(moments) for name in present}
        from_known = {name: known & by_interval[name].within(moments) for name in present}
        for label, span in spans.items():
            later = moments + span
            interval = np.full(n, None, dtype=object)
            stamps = {key: np.zeros(n, dtype=np.int64) for key in ("from_ts", "from_closed", "to_ts", "to_closed")}
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
                stamps["from_ts"][f], stamps["from_closed"][f] = series.ts[fi], series.closed[fi]
                from_close[f] = series.close[fi]
                t = use & to_known
                ti = series.last_closed(later[t])
                stamps["to_ts"][t], stamps["to_closed"][t] = series.ts[ti], series.closed[ti]
                to_close[t] = series.close[ti]
            resolved.append(_Resolved(inst, label, interval[back],
                                      stamps["from_ts"][back], stamps["from_closed"][back], from_close[back],
                                      stamps["to_ts"][back], stamps["to_closed"][back], to_close[back]))
    return resolved


def move_column(instrument_id: str, horizon: str) -> str:
    """Name of the moves column for an instrument and horizon: `move_<instrument>_<horizon>`."""
    return f"move_{instrument_id}_{horizon}"


def moves_after(headlines: pd.DataFrame, bars: pd.DataFrame,
                horizons: Mapping[str, timedelta] = DEFAULT_HORIZONS) -> pd.DataFrame:
    """Percent moves of every instrument after every headline, by the closed-bar rule.

    headlines: columns id, published (tz-aware). bars: columns instrument_id, interval ('1d' or
    '1h'), ts (tz-aware bar stamps), close. Returns one row per headline (same order): `id`,
    then `move_<instrument>_<horizon>` (float, percent; NaN where unknown) for each instrument in
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


def _utc(ns: int, known: bool) -> pd.Timestamp | None:
    return pd.Timestamp(int(ns), tz="UTC") if known else None


def moves_for_one(headline_time: datetime | pd.Timestamp, bars: pd.DataFrame,
                  horizons: Mapping[str, timedelta] = DEFAULT_HORIZONS) -> list[dict]:
    """The moves after one headline, with the bars used (for the detail panel): one dict per
    instrument and horizon, in `moves_after`'s column order, with keys instrument_id, horizon,
    interval ('1h'/'1d', or None without bars), from_ts, from_closed_at, from_close, to_ts,
    to_closed_at, to_close (the bars' stamps, the moments they closed — UTC Timestamps — and
    their closes; None where unknown) and pct (float, None where unknown)."""
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
            "from_ts": _utc(item.from_ts[0], has_from),
            "from_closed_at": _utc(item.from_closed[0], has_from),
            "from_close": float(item.from_close[0]) if has_from else None,
            "to_ts": _utc(item.to_ts[0], has_to),
            "to_closed_at": _utc(item.to_closed[0], has_to),
            "to_close": float(item.to_close[0]) if has_to else None,
            "pct": None if np.isnan(pct) else pct,
        })
    return out
