"""The event study's placebo (pure, vectorised, seeded).

`shift_placebo`, what `event_study` runs: the whole event calendar shifted by one offset per draw,
circularly, within the study's pool of bars — the bars of the study's own period (the view's
window) that could carry an event (a clean event window and, for a model, a clean estimation
window: never across a bad bar). Each event keeps its place in the pool's order shifted by the
offset, so the draws keep the events' number, their spacing and clustering (and so the overlap
of their windows) exactly, except where the calendar wraps around; only where they sit moves.
Under the null of no news effect and stationary abnormal returns, every offset is as likely
as the real calendar: a randomisation test that keeps the clustering, which independent draws
of each event (`draw_placebo`) do not. A block bootstrap of the calendar would keep it only within
blocks, and needs a block length. The offsets 1 .. m - 1 (m the pool's bars) are all taken when
there are no more than the draws asked for, else that many drawn without replacement
(`numpy.random.default_rng(seed)`), so the same inputs give the same result.

`draw_placebo`, the former scheme (kept for comparison; not used by `event_study`): each event
replaced by a bar drawn uniformly among the usable bars of its weekday (and hour) stratum,
independently of the others.

Both sum the drawn bars' paths as a (draws x bars) matrix of how often each bar was drawn times
the bars' path matrix: sparse for few events, dense (BLAS) for many, in chunks of draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_array

from dashboard.analysis.event_align import check_integer
from dashboard.moves import INTERVAL_LENGTH

_NS_PER_DAY = 86_400 * 10**9
_NS_PER_HOUR = 3_600 * 10**9
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


def strata(bar_ns: np.ndarray, interval: str) -> np.ndarray:
    """Stratum of each bar for `draw_placebo`: weekday (daily) or weekday × 24 + hour (hourly) of
    its middle (`ts + interval / 2`, so daily bars stamped at a local midnight count on their day)."""
    length = int(pd.Timedelta(INTERVAL_LENGTH[interval]).value)
    middle = bar_ns + length // 2
    weekday = (middle // _NS_PER_DAY + 3) % 7            # 1970-01-01 was a Thursday; Monday = 0
    return weekday * 24 + (middle // _NS_PER_HOUR) % 24 if length < _NS_PER_DAY else weekday


def draw_placebo(log_close: np.ndarray, strata: np.ndarray, event_idx: np.ndarray, window: int,
                 draws: int, seed: int, usable: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`draws` placebo samples of raw paths for events on bars `event_idx` (each with a full
    window), drawn independently: each draw replaces every event by a bar drawn uniformly among the
    bars with a full window in its stratum (`strata`: one code per bar) — and, given `usable` (one
    flag per bar), among the usable ones only (bars whose window holds no bad bar; every event bar
    must be usable). Returns (mean path per draw [draws, 2W + 1], mean |move at +W| per draw
    [draws])."""
    window = check_integer(window, "window", 1)
    draws = check_integer(draws, "draws", 1)
    event_idx = np.asarray(event_idx, dtype=np.int64)
    n_bars, n = len(log_close), len(event_idx)
    eligible, width = n_bars - 2 * window, 2 * window + 1
    if n == 0 or len(strata) != n_bars or (event_idx < window).any() or (event_idx >= n_bars - window).any():
        raise ValueError("placebo needs at least one event, each with a full window, and a stratum per bar")
    windows = np.lib.stride_tricks.sliding_window_view(log_close, width)   # row s: bar s + W's window
    drawable = np.ones(eligible, dtype=bool) if usable is None else np.asarray(usable, bool)[window:n_bars - window]
    if not drawable[event_idx - window].all():
        raise ValueError("placebo: every event bar must be usable")
    code = np.unique(strata[window:n_bars - window], return_inverse=True)[1]
    code = np.where(drawable, code, code.max(initial=0) + 1)   # bars not usable: a stratum no event has
    pool = np.argsort(code, kind="stable")                 # eligible bars, grouped by stratum
    count = np.bincount(code)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    event_code = code[event_idx - window]
    first, size = start[event_code], count[event_code].astype(np.uint64)
    # per eligible bar: its path and its |move at +W| (zero for a bar never drawn: no NaN spreads)
    per_bar = np.empty((eligible, width + 1))
    np.subtract(windows, log_close[window:n_bars - window, None], out=per_bar[:, :width])
    np.abs(per_bar[:, width - 1], out=per_bar[:, width])
    per_bar[~drawable] = 0.0
    summer = _Summer(per_bar, n)
    rng = np.random.default_rng(seed)
    out = np.empty((draws, width + 1))
    step = max(1, min(draws, _CHUNK // max(n, eligible, 1)))
    for lo in range(0, draws, step):
        rows = min(step, draws - lo)
        # a uniform position in each event's stratum: floor(u * size / 2^32) for a uniform 32-bit
        # u (exact integers; positions' chances differ by at most size / 2^32 relative, 1e-5 at 43k)
        within = rng.integers(0, 2**32, size=(rows, n), dtype=np.uint32).astype(np.uint64)
        within *= size
        within >>= 32
        out[lo:lo + rows] = summer.means(pool[first + within.astype(np.int64)])
    return out[:, :width], out[:, width]


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
