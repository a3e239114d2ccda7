"""When each input was known (pure): the one rule every figure is aligned by.

Bars. A bar's close is known from its `known` time on (ingest.close_rules: a Bank of Russia
rate dated D at 17:00 Moscow time on D - 1, a Brent close at the ICE settlement, 19:30 London,
an hourly bar one hour after its start). The price known at a moment t is the close of the last
bar whose close was known at or before t. Bars without a known time (a close stored before its
bar closed: provisional) or without a close are left out, as if not stored. Known times are
made non-decreasing in bar order (a running maximum), so a bar is never taken as known before
an earlier one. A bad bar (`bad`: flagged `jump`/`range` or reviewed bad, ingest.bar_quality)
is kept in the series — it takes its place among the bars — but no return is ever computed
across it: a move from bar i to bar j exists only when no bar from i to j is bad.

Headlines. A headline is aligned at its publication time; one dated to the day only
(`day_precision`) at the end of that UTC day: it is known to be out by then, never at an hour
of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.analysis.time_columns import epoch_ns

NAT = np.iinfo(np.int64).min
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True, eq=False)
class KnownBars:
    """One instrument's bars of one interval in time order, one per stamp: stamps and known
    times (int64 ns UTC; known non-decreasing), closes, and which are bad."""

    ts: np.ndarray
    known: np.ndarray
    close: np.ndarray
    bad: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)

    def last_known(self, moments: np.ndarray) -> np.ndarray:
        """Index of the last bar whose close was known at or before each moment (-1 before the
        first one was)."""
        return np.searchsorted(self.known, moments, side="right") - 1

    def within(self, moments: np.ndarray) -> np.ndarray:
        """Where a price is known and no later close can still come in: first known <= moment <=
        last known (False for an empty series)."""
        if not len(self.known):
            return np.zeros(len(moments), dtype=bool)
        return (moments >= self.known[0]) & (moments <= self.known[-1])

    def clean(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Whether no bar from index `first` to `last` (inclusive; first <= last) is bad. Indexes
        below 0 or past the last bar count as not clean (a window running off the data)."""
        first, last = np.asarray(first), np.asarray(last)
        ok = (first >= 0) & (last >= first) & (last < len(self.bad))
        cumulative = np.concatenate([[0], np.cumsum(self.bad, dtype=np.int64)])
        a, b = np.where(ok, first, 0), np.where(ok, last, 0)
        return ok & (cumulative[b + 1] - cumulative[a] == 0)


def known_bars(bars: pd.DataFrame, what: str = "bars") -> KnownBars:
    """The KnownBars of a frame of one instrument's bars of one interval: columns ts and known
    (tz-aware; NaT known: left out), close (rows without one left out), optionally bad (default
    False). Of bars with the same stamp the last one counts. ValueError naming `what` for
    missing columns or naive times."""
    missing = [c for c in ("ts", "known", "close") if c not in bars.columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {', '.join(missing)}")
    stamps = epoch_ns(bars["ts"], f"{what}.ts")
    known = epoch_ns(bars["known"], f"{what}.known")
    close = pd.to_numeric(bars["close"], errors="coerce").astype("float64").to_numpy()
    bad = bad_bars(bars)
    keep = np.flatnonzero(~np.isnan(close) & (stamps != NAT) & (known != NAT))
    keep = keep[np.argsort(stamps[keep], kind="stable")]
    last = np.ones(len(keep), dtype=bool)
    last[:-1] = stamps[keep][1:] != stamps[keep][:-1]
    keep = keep[last]
    return KnownBars(stamps[keep], np.maximum.accumulate(known[keep]) if len(keep) else known[keep],
                     close[keep], bad[keep])


def bad_bars(bars: pd.DataFrame) -> np.ndarray:
    """Which bars are bad (their `bad` column; False where it is missing or the frame has none)."""
    if "bad" not in bars.columns:
        return np.zeros(len(bars), dtype=bool)
    return bars["bad"].fillna(False).to_numpy(dtype=bool)


def headline_moments(headlines: pd.DataFrame, what: str = "headlines") -> np.ndarray:
    """Each headline's aligned time (int64 ns UTC; NaT sentinel where unknown): `published`, or
    for a headline dated to the day only (`day_precision` True) the end of its UTC day."""
    if "published" not in headlines.columns:
        raise ValueError(f"{what} frame lacks column published")
    moments = epoch_ns(headlines["published"], f"{what}.published").copy()
    whole_day = day_only(headlines) & (moments != NAT)
    moments[whole_day] = (moments[whole_day] // DAY_NS + 1) * DAY_NS
    return moments


def day_only(headlines: pd.DataFrame) -> np.ndarray:
    """Which headlines are dated to the day only (False where the frame does not say)."""
    if "day_precision" not in headlines.columns:
        return np.zeros(len(headlines), dtype=bool)
    return headlines["day_precision"].fillna(False).to_numpy(dtype=bool)
