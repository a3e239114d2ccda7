"""The event study's placebo (pure, vectorised, seeded).

`shift_placebo`, what `event_study` runs: the whole event calendar shifted by one offset per draw,
circularly, within the study's pool of bars — the bars of the study's own period (the view's
window) that could carry an event (a clean event window and, for a model, a clean estimation
window: never across a bad bar). Each event keeps its place in the pool's order shifted by the
offset, so the draws keep the events' number, their spacing and clustering (and so the overlap
of their windows) exactly, except where the calendar wraps around; only where they sit moves.
Under the null of no news effect and stationary abnormal returns, every offset is as likely
as the real calendar: a randomisation test that keeps the clustering, which independent draws
of each event do not. A block bootstrap of the calendar would keep it only within blocks, and
needs a block length. The offsets 1 .. m - 1 (m the pool's bars) are all taken when
there are no more than the draws asked for, else that many drawn without replacement
(`numpy.random.default_rng(seed)`), so the same inputs give the same result.

It sums the drawn bars' paths as a (draws x bars) matrix of how often each bar was drawn times
the bars' path matrix: sparse for few events, dense (BLAS) for many, in chunks of draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_array

from dashboard.analysis.alignment import KnownBars
from dashboard.analysis.event_align import check_integer
from dashboard.analysis.event_models import OK

_CHUNK = 4_000_000        # entries per chunk of the draws × events / draws × bars arrays
_SPARSE_BELOW = 8         # sparse sums when events * this < bars in the pool, else dense
TIE = 1e-12               # relative tolerance for "at least as large"


class _Summer:
    """Mean over each draw's picked rows of `per_bar` ([bars, width]), sparse or dense."""

    def __init__(self, per_bar: np.ndarray, n: int):
        self.per_bar, self.n = per_bar, n
        self.sparse = n * _SPARSE_BELOW < len(per_bar)
        self.per_bar_t = None if self.sparse else np.ascontiguousarray(per_bar.T)   # (BLAS is faster this way)

    def means(self, slots: np.ndarray) -> np.ndarray:
        rows, n = slots.shape
        bars = len(self.per_bar)
        if self.sparse:       # rows × bars matrix with a 1 per drawn bar (repeats add up)
            picks = csr_array((np.ones(rows * n), slots.ravel(), np.arange(0, rows * n + 1, n)), shape=(rows, bars))
            return picks @ self.per_bar / n
        slots = slots + (np.arange(rows) * bars)[:, None]      # the same as counts per bar, dense
        hits = np.bincount(slots.ravel(), minlength=rows * bars).reshape(rows, bars)
        return (self.per_bar_t @ hits.T.astype(np.float64)).T / n


def shift_placebo(per_bar: np.ndarray, event_position: np.ndarray, draws: int,
                  seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The calendar-shift placebo (module docstring). per_bar: the pool's bars' CAR paths [m,
    2W + 1] in time order; event_position: each event's row in it. Returns (mean path per draw
    [D, 2W + 1], mean |CAR at +W| per draw [D], the offsets [D]); D = min(draws, m - 1)."""
    draws = check_integer(draws, "draws", 1)
    m, n = len(per_bar), len(event_position)
    event_position = np.asarray(event_position, dtype=np.int64)
    if n == 0 or m < 2 or (event_position < 0).any() or (event_position >= m).any():
        raise ValueError("placebo needs at least one event in a pool of at least two bars")
    if m - 1 <= draws:
        offsets = np.arange(1, m, dtype=np.int64)
    else:
        offsets = np.random.default_rng(seed).choice(np.arange(1, m, dtype=np.int64), size=draws, replace=False)
    width = per_bar.shape[1]
    table = np.empty((m, width + 1))
    table[:, :width] = per_bar
    np.abs(per_bar[:, -1], out=table[:, width])
    summer = _Summer(table, n)
    out = np.empty((len(offsets), width + 1))
    step = max(1, min(len(offsets), _CHUNK // max(n, m, 1)))
    for lo in range(0, len(offsets), step):
        shift = offsets[lo:lo + step]
        out[lo:lo + len(shift)] = summer.means((event_position[None, :] + shift[:, None]) % m)
    return out[:, :width], out[:, width], offsets


def placebo_p_values(observed_abs: float, observed_caar: float, draw_abs: np.ndarray,
                     draw_caar: np.ndarray) -> tuple[float, float]:
    """(p of the mean |CAR at +W|: (1 + draws at least as large) / (1 + draws); two-sided p of the
    CAAR at +W: 2 min(1 + draws at least as large, 1 + draws at most as large) / (1 + draws),
    at most 1). Ties within TIE (relative) count."""
    d = len(draw_abs)
    p_abs = (np.count_nonzero(draw_abs >= observed_abs * (1 - TIE)) + 1) / (d + 1)
    tol = TIE * abs(observed_caar)
    upper = np.count_nonzero(draw_caar >= observed_caar - tol) + 1
    lower = np.count_nonzero(draw_caar <= observed_caar + tol) + 1
    return float(p_abs), float(min(1.0, 2 * min(upper, lower) / (d + 1)))


def _instant(value, name: str) -> int | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"{name} must be tz-aware")
    return int(stamp.value)


def placebo_pool(code: np.ndarray, series: KnownBars, event_bar: np.ndarray, headline_bars: tuple[int, int],
                 period) -> np.ndarray:
    """The placebo's bars: those that could carry an event (code OK) from the bar last known at
    the period's start to the one last known at its end (without a period, or a side of it: the
    first / last bar a headline was aligned to), widened to hold every event."""
    start, end = period if period is not None else (None, None)
    start_ns, end_ns = _instant(start, "period start"), _instant(end, "period end")
    lo = max(int(series.last_known(np.array([start_ns]))[0]), 0) if start_ns is not None else headline_bars[0]
    hi = int(series.last_known(np.array([end_ns]))[0]) if end_ns is not None else headline_bars[1]
    if len(event_bar):
        lo, hi = min(lo, int(event_bar[0])), max(hi, int(event_bar[-1]))
    eligible = np.flatnonzero(code == OK)
    return eligible[(eligible >= lo) & (eligible <= hi)]
