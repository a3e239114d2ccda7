"""What each instrument did after each headline (pure, vectorised), by when each price was known.

Rule (dashboard.analysis.alignment): the price known at a moment t is the close of the last bar, hourly
or daily, whose close was known at or before t (an instrument's hourly and daily closes make one
timeline of known prices; of an hourly and a daily close known at the same moment the daily one,
the official close, comes last). For a headline aligned at t (its publication time; the end of
its day for one dated to the day only) and a horizon h, the move is the percent change from the
price known at t to the price known at t + h: (to - from) / from * 100. The starting close was
known before the headline, so the move holds the reaction to it and nothing that was public
already.

A move is empty (NaN, never 0) — and `why` says so — when:
- "before the data": no close was known yet at t;
- "not known yet": t + h lies after the last stored close became known (a later close may
  still come in);
- "no hourly data": no close became known in (t, t + h], h is shorter than a day and the
  instrument has no hourly bars around t — it has no bars fine enough for this horizon;
- "no close within <h>": no close became known in (t, t + h] (a weekend, a holiday, a night);
- "flagged bar": a bad bar (ingest.bar_quality) is one of the two bars or lies between them on
  the timeline: no return is computed across it;
- "price <= 0": the starting close is not positive (a percent change from there means nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import DAY_NS, NAT, KnownBars, headline_moments, known_bars

DEFAULT_HORIZONS: Mapping[str, timedelta] = MappingProxyType(
    {"1h": timedelta(hours=1), "1d": timedelta(days=1)})
INTERVAL_LENGTH: Mapping[str, timedelta] = MappingProxyType(
    {"1d": timedelta(days=1), "1h": timedelta(hours=1)})
RANK = {"1h": 0, "1d": 1}          # of closes known at the same moment, the daily one comes last
BAR_COLUMNS = ("instrument_id", "interval", "ts", "known", "close")
BEFORE, NOT_YET, NO_HOURLY, FLAGGED, NOT_POSITIVE = (
    "before the data", "not known yet", "no hourly data", "flagged bar", "price <= 0")
_NO_BARS = KnownBars(*(np.zeros(0, dtype) for dtype in (np.int64, np.int64, float, bool)))


def no_close_within(horizon: str) -> str:
    """The `why` of a horizon in which no close became known."""
    return f"no close within {horizon}"


@dataclass(frozen=True, eq=False)
class _Timeline:
    """One instrument's closes of all intervals in the order they became known (KnownBars of
    the merged bars), each with its interval; and its hourly closes (empty without hourly bars)."""

    bars: KnownBars
    interval: np.ndarray           # the interval name of each close
    hourly: KnownBars

    @classmethod
    def of(cls, by_interval: Mapping[str, KnownBars]) -> _Timeline:
        names = [name for name in RANK if name in by_interval and len(by_interval[name])]
        parts = [by_interval[name] for name in names]
        known = np.concatenate([p.known for p in parts]) if parts else np.zeros(0, np.int64)
        rank = np.concatenate([np.full(len(p.known), RANK[name]) for name, p in zip(names, parts, strict=True)]) \
            if parts else np.zeros(0, np.int64)
        order = np.lexsort((rank, known))
        merged = KnownBars(*(np.concatenate([getattr(p, field) for p in parts])[order] if parts
                             else np.zeros(0, dtype) for field, dtype in
                             (("ts", np.int64), ("known", np.int64), ("close", float), ("bad", bool))))
        intervals = np.concatenate([np.full(len(p.known), name, dtype=object)
                                    for name, p in zip(names, parts, strict=True)])[order] if parts \
            else np.zeros(0, dtype=object)
        hourly = by_interval.get("1h", _NO_BARS)
        return cls(merged, intervals, hourly)


@dataclass(frozen=True)
class _Resolved:
    """Per headline, for one instrument and horizon: the closes the move starts and ends at
    (indexes into the timeline, -1 = no move) and why there is no move (None where there is
    one)."""

    instrument_id: str
    horizon: str
    timeline: _Timeline
    from_index: np.ndarray
    to_index: np.ndarray
    why: np.ndarray

    def pct(self) -> np.ndarray:
        close = np.append(self.timeline.bars.close, np.nan)     # index -1: no close
        start, end = close[self.from_index], close[self.to_index]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (end - start) / start * 100.0
        return np.where((self.from_index >= 0) & (self.to_index >= 0), pct, np.nan)


def _check_horizons(horizons: Mapping[str, timedelta]) -> dict[str, int]:
    out: dict[str, int] = {}
    for label, span in horizons.items():
        if not isinstance(label, str) or not label:
            raise ValueError(f"horizon labels must be non-empty strings, got {label!r}")
        if not isinstance(span, timedelta) or span <= timedelta(0):
            raise ValueError(f"horizon {label!r} must be a positive timedelta, got {span!r}")
        out[label] = pd.Timedelta(span).as_unit("ns").value
    return out


def _series(bars: pd.DataFrame) -> dict[str, _Timeline]:
    """instrument_id → its timeline of known closes, instruments in order of first appearance."""
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    unknown = sorted({str(v) for v in bars["interval"].unique()} - set(INTERVAL_LENGTH))
    if unknown:
        raise ValueError(f"bars: unknown interval(s) {', '.join(unknown)} (known: {', '.join(INTERVAL_LENGTH)})")
    if bars["instrument_id"].isna().any():
        raise ValueError("bars have a missing instrument_id")
    by_instrument: dict[str, dict[str, KnownBars]] = {}
    for (instrument, interval), own in bars.groupby(["instrument_id", "interval"], sort=False):
        by_instrument.setdefault(instrument, {})[interval] = known_bars(own, "bars")
    return {instrument: _Timeline.of(parts) for instrument, parts in by_instrument.items()}


def _resolve(moments: np.ndarray, bars: pd.DataFrame, horizons: Mapping[str, timedelta]) -> list[_Resolved]:
    """The closes every instrument's move starts and ends at (instruments in order of first
    appearance, horizons in the given order), for headlines aligned at `moments` (int64 ns UTC;
    NaT → unknown)."""
    spans = _check_horizons(horizons)
    known = moments != NAT
    n = len(moments)
    resolved: list[_Resolved] = []
    for inst, line in _series(bars).items():
        series = line.bars
        start = series.last_known(moments)
        hourly_around = line.hourly.within(moments)
        for label, span in spans.items():
            later = moments + span
            end = series.last_known(later)
            why = np.full(n, None, dtype=object)
            if len(series):
                why[(start >= 0) & (series.close[np.maximum(start, 0)] <= 0)] = NOT_POSITIVE
                why[(end > start) & ~series.clean(start, end)] = FLAGGED
                short = span < DAY_NS
                why[(end <= start) & short & ~hourly_around] = NO_HOURLY
                why[(end <= start) & ~(short & ~hourly_around)] = no_close_within(label)
                why[later > series.known[-1]] = NOT_YET
            else:
                why[:] = NOT_YET
            why[start < 0] = BEFORE if len(series) else NOT_YET
            why[~known] = BEFORE
            ok = np.array([w is None for w in why], dtype=bool)
            resolved.append(_Resolved(inst, label, line, np.where(ok, start, -1), np.where(ok, end, -1), why))
    return resolved


def move_column(instrument_id: str, horizon: str) -> str:
    """Name of the moves column for an instrument and horizon: `move_<instrument>_<horizon>`."""
    return f"move_{instrument_id}_{horizon}"


def why_column(instrument_id: str, horizon: str) -> str:
    """Name of the column saying why a move is empty: `why_<instrument>_<horizon>`."""
    return f"why_{instrument_id}_{horizon}"


def moves_after(headlines: pd.DataFrame, bars: pd.DataFrame,
                horizons: Mapping[str, timedelta] = DEFAULT_HORIZONS, *, reasons: bool = False) -> pd.DataFrame:
    """Percent moves of every instrument after every headline (see the module docstring).

    headlines: columns id, published (tz-aware), optionally day_precision. bars: columns
    instrument_id, interval ('1d' or '1h'), ts, known (tz-aware; NaT: not known), close,
    optionally bad. Returns one row per headline (same order): `id`, then
    `move_<instrument>_<horizon>` (float, percent; NaN where empty) for each instrument in order
    of first appearance in `bars` and each horizon in the given order — and with `reasons`,
    after each, `why_<instrument>_<horizon>` (why it is empty; None where there is a move)."""
    if "id" not in headlines.columns:
        raise ValueError("headlines frame lacks column(s) id")
    moments = headline_moments(headlines, "headlines")
    columns: dict[str, np.ndarray | pd.Series] = {"id": headlines["id"].to_numpy()}
    for item in _resolve(moments, bars, horizons):
        columns[move_column(item.instrument_id, item.horizon)] = item.pct()
        if reasons:   # object dtype: pandas 3 would infer str and turn None into NaN
            columns[why_column(item.instrument_id, item.horizon)] = pd.Series(
                item.why, index=pd.RangeIndex(len(headlines)), dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(headlines)))


def moves_for_one(headline_time: datetime | pd.Timestamp, bars: pd.DataFrame,
                  horizons: Mapping[str, timedelta] = DEFAULT_HORIZONS, day_precision: bool = False) -> list[dict]:
    """The moves after one headline, with the closes used (for the detail panel): one dict per
    instrument and horizon, in `moves_after`'s column order, with keys instrument_id, horizon,
    from_interval, from_ts, from_known, from_close, to_interval, to_ts, to_known, to_close (the
    bars' intervals, stamps, the moments their closes became known — UTC Timestamps — and their
    closes; None where there is no move), pct (None where there is no move) and why (None where
    there is one)."""
    moment = pd.Timestamp(headline_time)
    if moment.tzinfo is None:
        raise ValueError(f"headline_time must be tz-aware, got naive {headline_time!r}")
    frame = pd.DataFrame({"published": [moment], "day_precision": [bool(day_precision)]})
    out: list[dict] = []
    for item in _resolve(headline_moments(frame, "headline_time"), bars, horizons):
        pct = float(item.pct()[0])
        series = item.timeline.bars
        ends: dict[str, object] = {}
        for side, index in (("from", int(item.from_index[0])), ("to", int(item.to_index[0]))):
            there = index >= 0
            ends[f"{side}_interval"] = str(item.timeline.interval[index]) if there else None
            ends[f"{side}_ts"] = pd.Timestamp(int(series.ts[index]), tz="UTC") if there else None
            ends[f"{side}_known"] = pd.Timestamp(int(series.known[index]), tz="UTC") if there else None
            ends[f"{side}_close"] = float(series.close[index]) if there else None
        out.append({"instrument_id": item.instrument_id, "horizon": item.horizon,
                    **ends, "pct": None if np.isnan(pct) else pct, "why": item.why[0]})
    return out


def mean_move(values: pd.Series) -> tuple[float, int, int]:
    """(mean of the moves that exist, how many were averaged, how many were empty and left out):
    an empty move is never counted as 0."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    present = numbers.notna()
    used = int(present.sum())
    return (float(numbers[present].mean()) if used else float("nan")), used, int(len(numbers) - used)
