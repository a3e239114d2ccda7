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

from dashboard.times import epoch_ns

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
        return ts + pd.Timedelta(INTERVAL_LENGTH[interval]).as_unit(ts.dt.unit)
    if not isinstance(interval, pd.Series) or not interval.index.equals(ts.index):
        raise ValueError("interval must be a string or a Series with the same index as ts")
    lengths = interval.map(dict(INTERVAL_LENGTH))
    if lengths.isna().any():
        unknown = sorted({repr(v) if isinstance(v, str) else "missing" for v in interval[lengths.isna()]})
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
class _Joined:
    """One instrument's bars of all its intervals end to end (in `names` order), then one entry
    that index -1 picks to mean "unknown" (stamp and close time 0, close NaN)."""

    names: tuple[str, ...]
    offsets: tuple[int, ...]   # where each interval's bars start
    ts: np.ndarray
    closed: np.ndarray
    close: np.ndarray

    @classmethod
    def of(cls, names: tuple[str, ...], by_interval: Mapping[str, _Series]) -> _Joined:
        parts = [by_interval[name] for name in names]
        offsets = tuple(int(x) for x in np.cumsum([0] + [len(p.ts) for p in parts[:-1]])) if parts else ()
        return cls(names, offsets,
                   np.concatenate([p.ts for p in parts] + [np.zeros(1, np.int64)]),
                   np.concatenate([p.closed for p in parts] + [np.zeros(1, np.int64)]),
                   np.concatenate([p.close for p in parts] + [np.full(1, np.nan)]))


@dataclass(frozen=True)
class _Resolved:
    """Per headline, for one instrument and horizon: the interval used (index into bars.names,
    -1 for none) and the bars the move starts and ends at (indexes into bars, -1 = unknown)."""

    instrument_id: str
    horizon: str
    bars: _Joined
    interval: np.ndarray
    from_index: np.ndarray
    to_index: np.ndarray

    def pct(self) -> np.ndarray:
        start, end = self.bars.close[self.from_index], self.bars.close[self.to_index]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (end - start) / start * 100.0
        return np.where(start > 0, pct, np.nan)


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
    """instrument_id → interval → its bars, instruments in order of first appearance. Rows
    without a close or a time are skipped; of bars with the same stamp the last one counts."""
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    stamps = epoch_ns(bars["ts"], "bars.ts")
    try:
        closed = epoch_ns(close_times(bars["ts"], bars["interval"]), "bars.ts")
    except ValueError as error:
        raise ValueError(f"bars: {error}") from None
    close = pd.to_numeric(bars["close"], errors="coerce").astype("float64").to_numpy()
    inst_code, instruments = pd.factorize(bars["instrument_id"])
    if (inst_code < 0).any():
        raise ValueError("bars have a missing instrument_id")
    interval_code, intervals = pd.factorize(bars["interval"])
    keep = np.flatnonzero(~np.isnan(close) & (stamps != _NAT))
    # Sort by instrument, interval and time (stable: among equal stamps the last row stays last).
    keep = keep[np.lexsort((stamps[keep], interval_code[keep], inst_code[keep]))]
    group = inst_code[keep] * len(intervals) + interval_code[keep]
    last = np.ones(len(keep), dtype=bool)
    last[:-1] = (group[1:] != group[:-1]) | (stamps[keep][1:] != stamps[keep][:-1])
    keep, group = keep[last], group[last]
    out: dict[str, dict[str, _Series]] = {inst: {} for inst in instruments}
    bounds = np.flatnonzero(np.diff(group)) + 1
    for rows in np.split(keep, bounds) if len(keep) else []:
        inst, interval = instruments[inst_code[rows[0]]], intervals[interval_code[rows[0]]]
        out[inst][interval] = _Series(stamps[rows], closed[rows], close[rows])
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
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    resolved: list[_Resolved] = []
    for inst, by_interval in _series(bars).items():
        names = tuple(name for name in PREFERENCE if name in by_interval)
        joined = _Joined.of(names, by_interval)
        series = [by_interval[name] for name in names]
        start = [s.last_closed(moments) + offset for s, offset in zip(series, joined.offsets, strict=True)]
        start_known = [known & s.within(moments) for s in series]
        for label, span in spans.items():
            later = moments + span
            interval = np.full(len(moments), -1)
            from_index, to_index = interval.copy(), interval.copy()
            # The coarsest interval takes every headline; each finer one, from coarse to fine,
            # takes over where it covers both moments (so the finest covering one wins).
            for k in reversed(range(len(names))):
                end_known = series[k].within(later)
                end = series[k].last_closed(later) + joined.offsets[k]
                if k == len(names) - 1:
                    interval = np.where(known, k, -1)
                    from_index = np.where(start_known[k], start[k], -1)
                    to_index = np.where(known & end_known, end, -1)
                else:
                    cover = start_known[k] & end_known
                    interval = np.where(cover, k, interval)
                    from_index = np.where(cover, start[k], from_index)
                    to_index = np.where(cover, end, to_index)
            resolved.append(_Resolved(inst, label, joined, interval[back], from_index[back], to_index[back]))
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
    published = epoch_ns(headlines["published"], "headlines.published")
    columns: dict[str, np.ndarray] = {"id": headlines["id"].to_numpy()}
    for item in _resolve(published, bars, horizons):
        columns[move_column(item.instrument_id, item.horizon)] = item.pct()
    return pd.DataFrame(columns, index=pd.RangeIndex(len(headlines)))


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
    published = epoch_ns(pd.Series([moment]), "headline_time")
    out: list[dict] = []
    for item in _resolve(published, bars, horizons):
        pct = float(item.pct()[0])
        joined, code = item.bars, int(item.interval[0])
        ends: dict[str, object] = {}
        for side, index in (("from", int(item.from_index[0])), ("to", int(item.to_index[0]))):
            known = index >= 0
            ends[f"{side}_ts"] = pd.Timestamp(int(joined.ts[index]), tz="UTC") if known else None
            ends[f"{side}_closed_at"] = pd.Timestamp(int(joined.closed[index]), tz="UTC") if known else None
            ends[f"{side}_close"] = float(joined.close[index]) if known else None
        out.append({"instrument_id": item.instrument_id, "horizon": item.horizon,
                    "interval": joined.names[code] if code >= 0 else None,
                    **ends, "pct": None if np.isnan(pct) else pct})
    return out
