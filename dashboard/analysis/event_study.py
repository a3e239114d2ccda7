"""The event study: what one instrument did around the headlines of a selection (pure, vectorised).

Alignment (dashboard.alignment): each headline, at its aligned time (its publication time; the
end of its day for one dated to the day only), is aligned to the last bar whose close was known
at or before that time (`known`: a Bank of Russia rate dated D at 17:00 Moscow time on D - 1, a
Brent close at the 19:30 London settlement...), so the move from that bar's close onward holds
the reaction and nothing that was public already; a headline at the very moment a close became
known belongs to that bar. Headlines aligned to the same bar are one event (its time and title
are those of its earliest headline); headlines before the first close was known have no bar and
are counted apart (`n_headlines_before_data`). Bars without a close or a known time (a
provisional close) are skipped (the bar before and the bar after them are then one bar apart).

Which events are used, in this order:
1. edges: an event needs `window` bars before and after its bar (the bar index i must satisfy
   W <= i <= n - 1 - W); the others are left out and counted (`n_dropped_edges`). Headlines
   after the last close became known are aligned to the last bar, so they always land here;
2. flagged bars: no return is computed across a bad bar (ingest.bar_quality: a bad tick), so
   an event whose window [i - W, i + W] holds one is left out and counted
   (`n_dropped_flagged`);
3. spacing S: going forward in time, an event less than S bars after the previous kept event is
   dropped (`n_dropped_spacing`). S <= 1 drops nothing; S = 2W + 1 makes windows disjoint.

Each event's path is the log return from the event bar's close to k bars later,
`log(close[i + k] / close[i])` for k = -W .. +W (0 at k = 0; negative k show the run-up).

Statistics over the n used events:
- mean path per k with a 95 % confidence band `mean ± t_{0.975, n-1} · sd / sqrt(n)` (sd with
  ddof = 1; NaN for n < 2);
- per k, and reported at k = +1 and k = +W: the mean move and the two-sided one-sample t-test
  against 0, as `scipy.stats.ttest_1samp` computes it (t = mean / (sd / sqrt(n)),
  p = 2 · t_{n-1}.sf(|t|)), vectorised over k;
- `share_beyond_2sd`: the share of events whose |move at +1| exceeds 2 × the standard deviation
  (ddof = 1) of the one-bar log returns of the bars given that touch no bad bar (the
  instrument's ordinary moves over the period the caller passed);
- placebo: `placebo_draws` draws of n bars from the bars that have a full window free of bad
  bars, matching the
  events' calendar mix exactly: each event is replaced by a bar drawn uniformly from the bars in
  its stratum — the weekday (daily bars), or weekday and hour (hourly bars), of the bar's middle
  (`ts + interval / 2`, so daily bars stamped at a local midnight count on their own day). Event
  bars may be drawn. `placebo_p` = (1 + number of draws whose mean |move at +W| is at least the
  events' mean |move at +W|) / (1 + draws), ties within rounding counting as "at least";
  `placebo_band_low/high` are the 2.5 % / 97.5 % quantiles of the draws' mean paths per k.
  Draws are seeded (`numpy.random.default_rng(seed)`): the same inputs give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse import csr_array

from dashboard.alignment import NAT, KnownBars, headline_moments, known_bars
from dashboard.moves import INTERVAL_LENGTH

_NS_PER_DAY = 86_400 * 10**9
_NS_PER_HOUR = 3_600 * 10**9
_CHUNK = 4_000_000        # placebo: entries per chunk of the draws × events / draws × bars arrays
_TIE = 1e-12              # placebo: relative tolerance for "at least as large"
_SPARSE_BELOW = 8         # placebo: sparse sums when events * this < eligible bars, else dense


@dataclass(frozen=True, eq=False)
class Events:
    """Headlines grouped into events on bars (see the module docstring).

    bar_index: the used events' bar indexes (ascending, unique). first_headline: per used event,
    the position (0-based, in the input order) of its earliest headline. n_headlines: per used
    event, how many headlines it groups. Counts of what was left out: headlines before the first
    close was known, events without a full window, events dropped for spacing, events whose
    window holds a bad bar."""

    bar_index: np.ndarray
    first_headline: np.ndarray
    n_headlines: np.ndarray
    n_headlines_before_data: int
    n_dropped_edges: int
    n_dropped_spacing: int
    n_dropped_flagged: int = 0


@dataclass(frozen=True, eq=False)
class EventStudyResult:
    """What `event_study` measured. Moves are log returns (log(close[i+k] / close[i])); arrays
    are indexed like `k` (-W .. +W); NaN where there is too little to measure.

    Counts: n_headlines given; n_headlines_before_data (no close was known yet); n_events used;
    n_dropped_edges, n_dropped_flagged, n_dropped_spacing (events left out). mean_path,
    band_low/high: the mean
    path and its 95 % confidence band. move_1, t_1, p_1 / move_w, t_w, p_w: mean move at +1 /
    +W and its one-sample t-test against 0 (two-sided). sd_1: sd of the one-bar log returns of
    the bars given that touch no bad bar; share_beyond_2sd: share of events with |move at +1| >
    2 · sd_1. mean_abs_w:
    the events' mean |move at +W|; placebo_p: empirical p-value of it against the placebo
    draws; placebo_band_low/high: 2.5 % / 97.5 % quantiles of the draws' mean paths. events:
    one row per used event (see `event_study`)."""

    interval: str
    window: int
    spacing: int
    n_headlines: int
    n_headlines_before_data: int
    n_events: int
    n_dropped_spacing: int
    n_dropped_edges: int
    k: np.ndarray
    mean_path: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    move_1: float
    t_1: float
    p_1: float
    move_w: float
    t_w: float
    p_w: float
    sd_1: float
    share_beyond_2sd: float
    mean_abs_w: float
    placebo_draws: int
    placebo_p: float
    placebo_band_low: np.ndarray
    placebo_band_high: np.ndarray
    events: pd.DataFrame
    n_dropped_flagged: int = 0


def move_columns(window: int) -> list[str]:
    """Names of the per-event move columns: `k-W` … `k-1`, `k+0`, `k+1` … `k+W`."""
    return [f"k{k:+d}" for k in range(-window, window + 1)]


def _check_window(window: int, name: str = "window", minimum: int = 1) -> int:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {window!r}")
    return int(window)


def keep_spaced(bar_index: np.ndarray, spacing: int) -> np.ndarray:
    """Which of the events on ascending, unique bar indexes are kept with minimum spacing S:
    going forward, an event less than S bars after the previous kept event is dropped (the
    first is kept). Vectorised by pointer doubling (O(n log n), no loop over events)."""
    spacing = _check_window(spacing, "spacing", 0)
    bar_index = np.asarray(bar_index, dtype=np.int64)
    n = len(bar_index)
    keep = np.zeros(n, dtype=bool)
    if n == 0 or spacing <= 1:
        keep[:] = True
        return keep
    # jump[j]: the first event at least S bars after event j (n = none); the kept events are
    # the chain 0, jump[0], jump[jump[0]], …, listed 2^m at a time by doubling the jump.
    jump = np.append(np.searchsorted(bar_index, bar_index + spacing, side="left"), n)
    chain = np.zeros(1, dtype=np.int64)
    while chain[-1] != n:
        chain = np.concatenate([chain, jump[chain]])
        jump = jump[jump]
    keep[chain[chain < n]] = True
    return keep


def align_events(moments: np.ndarray, bars: KnownBars, spacing: int = 0, window: int = 0) -> Events:
    """Group headlines aligned at `moments` (int64 ns UTC, see dashboard.alignment) into events
    on `bars`; leave out events without `window` bars on either side, then those whose window
    holds a bad bar, then apply the minimum spacing (see the module docstring). ValueError for
    missing times or a negative window/spacing."""
    window = _check_window(window, "window", 0)
    spacing = _check_window(spacing, "spacing", 0)
    times = np.asarray(moments, dtype=np.int64)
    if (times == NAT).any():
        raise ValueError("headline times has missing times")
    order = np.argsort(times, kind="stable")
    bar = bars.last_known(times[order])
    aligned = bar >= 0
    before = int(len(bar) - aligned.sum())
    order, bar = order[aligned], bar[aligned]
    starts = np.flatnonzero(np.diff(bar, prepend=-1))      # bar is ascending: groups are runs
    event_bar, first = bar[starts], order[starts]
    size = np.diff(np.append(starts, len(bar)))
    inside = (event_bar >= window) & (event_bar <= len(bars) - 1 - window)
    event_bar, first, size = event_bar[inside], first[inside], size[inside]
    clean = bars.clean(event_bar - window, event_bar + window)
    event_bar, first, size = event_bar[clean], first[clean], size[clean]
    spaced = keep_spaced(event_bar, spacing)
    return Events(event_bar[spaced], first[spaced], size[spaced], before, int((~inside).sum()),
                  int((~spaced).sum()), int((~clean).sum()))


def _log_close(close: np.ndarray, bad: np.ndarray | None = None) -> np.ndarray:
    """log of the closes; a bad bar's is NaN (it is never used). ValueError for a close that is
    not finite and positive on a bar that is not bad."""
    close = np.asarray(close, dtype=np.float64)
    bad = np.zeros(len(close), dtype=bool) if bad is None else np.asarray(bad, dtype=bool)
    usable = ~bad
    if not np.isfinite(close[usable]).all() or (close[usable] <= 0).any():
        raise ValueError("closes must be finite and positive (log returns of them are taken)")
    out = np.full(len(close), np.nan)
    out[usable] = np.log(close[usable])
    return out


def clean_returns(log_close: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The one-bar log returns between consecutive bars that are both not bad."""
    bad = np.asarray(bad, dtype=bool)
    ok = ~bad[1:] & ~bad[:-1]
    return np.diff(log_close)[ok]


def event_paths(close: np.ndarray, event_idx: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative log-return paths around events: `paths[e, W + k] = log(close[i + k] / close[i])`
    for the event's bar i and k = -W .. +W (taken as log(close[i + k]) - log(close[i]): the same up
    to rounding, about 1e-15 absolute). Events whose window runs past the data's edges are left
    out: returns (paths of the kept events, in input order, shape [kept, 2W + 1]; kept mask over
    `event_idx`)."""
    window = _check_window(window)
    log_close = _log_close(close)
    idx = np.asarray(event_idx, dtype=np.int64)
    kept = (idx >= window) & (idx <= len(log_close) - 1 - window)
    return _paths(log_close, idx[kept], window), kept


def _paths(log_close: np.ndarray, centre: np.ndarray, window: int) -> np.ndarray:
    if len(centre) == 0:
        return np.empty((0, 2 * window + 1))
    rows = np.lib.stride_tricks.sliding_window_view(log_close, 2 * window + 1)[centre - window]  # a copy
    rows -= log_close[centre, None]
    return rows


def _strata(bar_ns: np.ndarray, interval: str) -> np.ndarray:
    """Placebo stratum of each bar: weekday (daily) or weekday × 24 + hour (hourly) of its middle."""
    length = int(pd.Timedelta(INTERVAL_LENGTH[interval]).value)
    middle = bar_ns + length // 2
    weekday = (middle // _NS_PER_DAY + 3) % 7            # 1970-01-01 was a Thursday; Monday = 0
    return weekday * 24 + (middle // _NS_PER_HOUR) % 24 if length < _NS_PER_DAY else weekday


def draw_placebo(log_close: np.ndarray, strata: np.ndarray, event_idx: np.ndarray, window: int,
                 draws: int, seed: int, usable: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`draws` placebo samples for events on bars `event_idx` (each with a full window): each
    draw replaces every event by a bar drawn uniformly among the bars with a full window in its
    stratum (`strata`: one code per bar) — and, given `usable` (one flag per bar), among the
    usable ones only (bars whose window holds no bad bar; every event bar must be usable).
    Returns (mean path per draw [draws, 2W + 1], mean
    |move at +W| per draw [draws]). Vectorised over events and draws, in chunks of draws: a
    (draws × bars) matrix of how often each bar was drawn times the bars' path matrix (sparse
    for few events, dense for many)."""
    window = _check_window(window)
    draws = _check_window(draws, "draws")
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
    sparse = n * _SPARSE_BELOW < eligible
    per_bar_t = None if sparse else np.ascontiguousarray(per_bar.T)   # (BLAS is faster this way)
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
        slots = pool[first + within.astype(np.int64)]
        if sparse:       # rows × eligible matrix with a 1 per drawn bar (repeats add up)
            picks = csr_array((np.ones(rows * n), slots.ravel(), np.arange(0, rows * n + 1, n)),
                              shape=(rows, eligible))
            out[lo:lo + rows] = picks @ per_bar / n
        else:            # the same as counts per bar, dense
            slots += (np.arange(rows) * eligible)[:, None]
            hits = np.bincount(slots.ravel(), minlength=rows * eligible).reshape(rows, eligible)
            out[lo:lo + rows] = (per_bar_t @ hits.T.astype(np.float64)).T / n
    return out[:, :width], out[:, width]


@dataclass(frozen=True, eq=False)
class PathStats:
    """Per k, over the n paths: mean, 95 % band of the mean, t and two-sided p of the one-sample
    t-test against 0 (NaN where undefined: n < 2, or no spread and a zero mean)."""

    n: int
    mean: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    t: np.ndarray
    p: np.ndarray


def path_stats(paths: np.ndarray) -> PathStats:
    """Mean path with the 95 % band `mean ± t_{0.975, n-1} · sd / sqrt(n)` (sd with ddof = 1), and
    per column the one-sample t-test against 0 as `scipy.stats.ttest_1samp` does it (t = mean /
    (sd / sqrt(n)), p = 2 · t_{n-1}.sf(|t|)), for an [n, m] array of paths."""
    n, m = paths.shape
    nan = np.full(m, np.nan)
    if n == 0:
        return PathStats(0, nan, nan, nan, nan, nan)
    mean = paths.mean(axis=0)
    if n == 1:
        return PathStats(1, mean, nan, nan, nan, nan)
    # One pass over the paths (they can be large): sum of squares about zero, which loses about
    # log10(1 + mean² / var) digits; where the mean is large against the spread (|t| > 10 sqrt(n),
    # rare), the columns are recomputed about the mean.
    var = np.maximum(np.einsum("ij,ij->j", paths, paths) - n * mean**2, 0.0) / (n - 1)
    unsure = var <= 0.01 * mean**2
    if unsure.any():
        var[unsure] = paths[:, unsure].var(axis=0, ddof=1)
    se = np.sqrt(var / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / se
    p = 2.0 * stats.t.sf(np.abs(t), n - 1)
    half = stats.t.ppf(0.975, n - 1) * se
    return PathStats(n, mean, mean - half, mean + half, t, p)


def _check_inputs(headlines: pd.DataFrame, bars: pd.DataFrame, interval: str) -> None:
    for frame, name, needed in ((headlines, "headlines", ("id", "published", "title")),
                                (bars, "bars", ("ts", "known", "close"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} frame lacks column(s) {', '.join(missing)}")
    for column in ("instrument_id", "interval"):
        if column in bars.columns and bars[column].nunique(dropna=False) > 1:
            raise ValueError(f"bars must hold one instrument and one interval; got several values of {column}")
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    if "interval" in bars.columns and len(bars) and bars["interval"].iloc[0] != interval:
        raise ValueError(f"bars are of interval {bars['interval'].iloc[0]!r}, not {interval!r}")


def event_study(headlines: pd.DataFrame, bars: pd.DataFrame, interval: str, window: int = 10,
                spacing: int = 0, placebo_draws: int = 200, seed: int = 0) -> EventStudyResult:
    """The event study of one instrument's bars around a selection of headlines.

    headlines: columns id, published (tz-aware), title (any order), optionally day_precision.
    bars: columns ts and known (tz-aware; rows without a known time or a close are skipped),
    close (> 0 on every bar that is not bad), optionally bad, of one instrument and one
    `interval` ('1d' or '1h'). See the module docstring for the rules. The `events` frame has
    one row per used event: event_time (its earliest headline's time), bar_time (the event bar's
    stamp), bar_known (when its close became known), bar_close, first_headline_id,
    first_headline_title, n_headlines, then the moves `k-W` … `k+W` (log returns). ValueError
    for bad inputs; with no usable event, a result with n_events = 0 and NaN statistics."""
    window = _check_window(window)
    spacing = _check_window(spacing, "spacing", 0)
    draws = _check_window(placebo_draws, "placebo_draws", 0)
    _check_inputs(headlines, bars, interval)
    series = known_bars(bars, "bars")
    log_close = _log_close(series.close, series.bad)
    published = headlines["published"].reset_index(drop=True)
    events = align_events(headline_moments(headlines.reset_index(drop=True), "headlines"), series, spacing, window)
    paths = _paths(log_close, events.bar_index, window)
    n = len(events.bar_index)
    k = np.arange(-window, window + 1)
    summary = path_stats(paths)
    one, last = window + 1, 2 * window
    one_bar = clean_returns(log_close, series.bad)
    sd_1 = float(one_bar.std(ddof=1)) if len(one_bar) >= 2 else np.nan
    share = float((np.abs(paths[:, one]) > 2 * sd_1).mean()) if n and np.isfinite(sd_1) else np.nan
    mean_abs_w = float(np.abs(paths[:, last]).mean()) if n else np.nan
    placebo_p, low, high = np.nan, np.full(len(k), np.nan), np.full(len(k), np.nan)
    if n and draws:
        centre = np.arange(len(series))
        usable = series.clean(centre - window, centre + window)
        draw_paths, draw_abs = draw_placebo(log_close, _strata(series.ts, interval), events.bar_index,
                                            window, draws, seed, usable)
        placebo_p = float((np.count_nonzero(draw_abs >= mean_abs_w * (1 - _TIE)) + 1) / (draws + 1))
        low, high = np.quantile(draw_paths, [0.025, 0.975], axis=0)
    first = events.first_headline
    frame = pd.concat([
        pd.DataFrame({
            "event_time": published.iloc[first].dt.tz_convert("UTC").reset_index(drop=True),
            "bar_time": _ns_times(series.ts[events.bar_index]),
            "bar_known": _ns_times(series.known[events.bar_index]),
            "bar_close": series.close[events.bar_index],
            "first_headline_id": headlines["id"].to_numpy()[first],
            "first_headline_title": headlines["title"].to_numpy()[first],
            "n_headlines": events.n_headlines.astype(np.int64),
        }),
        pd.DataFrame(paths, columns=move_columns(window), copy=False),
    ], axis=1)
    return EventStudyResult(
        interval=interval, window=window, spacing=spacing, n_headlines=len(headlines),
        n_headlines_before_data=events.n_headlines_before_data, n_events=n,
        n_dropped_spacing=events.n_dropped_spacing, n_dropped_edges=events.n_dropped_edges,
        k=k, mean_path=summary.mean, band_low=summary.band_low, band_high=summary.band_high,
        move_1=float(summary.mean[one]), t_1=float(summary.t[one]), p_1=float(summary.p[one]),
        move_w=float(summary.mean[last]), t_w=float(summary.t[last]), p_w=float(summary.p[last]), sd_1=sd_1,
        share_beyond_2sd=share, mean_abs_w=mean_abs_w, placebo_draws=draws, placebo_p=placebo_p,
        placebo_band_low=low, placebo_band_high=high, events=frame,
        n_dropped_flagged=events.n_dropped_flagged)


def _ns_times(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(values, dtype=np.int64), unit="ns", utc=True))
