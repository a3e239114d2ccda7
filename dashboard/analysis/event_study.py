"""The event study: what one instrument did around the headlines of a selection, against a
normal-return model (pure, vectorised). MacKinlay (1997), "Event studies in economics and
finance", JEL 35; Campbell, Lo & MacKinlay (1997), ch. 4.

Alignment (dashboard.analysis.alignment): each headline, at its aligned time (its publication time; the
end of its day for one dated to the day only), is aligned to the last bar whose close was known
at or before that time (`known`: a Bank of Russia rate dated D at 17:00 Moscow time on D - 1, a
Brent close at the 19:30 London settlement...), so the move from that bar's close onward holds
the reaction and nothing that was public already; a headline at the very moment a close became
known belongs to that bar. Headlines aligned to the same bar are one event (its time and title
are those of its earliest headline); headlines before the first close was known have no bar and
are counted apart (`n_headlines_before_data`). Bars without a close or a known time (a
provisional close) are skipped (the bar before and the bar after them are then one bar apart).

Which events are used, in this order (dashboard.analysis.event_models for the windows):
1. edges: an event needs `window` bars before and after its bar (W <= i <= n - 1 - W), else it
   is left out and counted (`n_dropped_edges`). Headlines after the last close became known are
   aligned to the last bar, so they always land here;
2. flagged bars: no return is computed across a bad bar (ingest.bar_quality), so an event whose
   window [i - W, i + W] holds one is left out (`n_dropped_flagged`);
3. the model's needs (`n_skipped`, by reason): the market model, a benchmark return on every bar
   of the window (`benchmark`); the mean and market models, an estimation window of `estimation`
   (L) clean returns ending W + 1 bars before the event bar, inside the bars given (`history`:
   too little history; `history_flagged`: a bad bar, or no benchmark return, in it; `flat`: no
   variation in it). Events are skipped, never estimated on fewer bars;
4. overlap: `overlap="merge"`: events closer than the window — less than 2W + 1 bars after the
   first event of the current episode, so that their windows overlap — are merged into that
   episode: its event bar is its first event's, its headlines all its events' (`n_merged`
   events merged; the episodes' windows never overlap). `overlap="spacing"`: going forward in
   time, an event less than S bars after the previous kept event is dropped
   (`n_dropped_spacing`; S <= 1 drops nothing, S = 2W + 1 makes windows disjoint). Either way the
   bars lying in two or more windows are counted, among the events before this step
   (`n_overlap_bars`) and among the used ones (`n_overlap_bars_used`).

Each event's raw path is the log return from the event bar's close to k bars later,
`log(close[i + k] / close[i])` for k = -W .. +W; its CAR path that less the model's expected
return (event_models: raw, mean, market; for `raw` the CAR is the raw path itself, so
`model="raw"` with the spacing rule is the study as it was before models).

Statistics over the N used events:
- CAAR per k (`mean_path`) with the 95 % band `mean ± t_{0.975, N-1} · sd / sqrt(N)` (sd with
  ddof = 1; NaN for N < 2) and the one-sample t-test per k (scipy.stats.ttest_1samp's t and p),
  reported at k = +1 and +W (`move_1`, `t_1`, `p_1`, `move_w`, ...);
- `tests`: the cross-sectional t, Patell, BMP, BMP with Kolari–Pynnönen, Corrado rank,
  generalised sign and calendar-time HAC tests of CAR(+1) and CAR(+W) (event_tests);
- `share_beyond_2sd`: the share of events whose |CAR at +1| exceeds 2 × the standard deviation
  (ddof = 1) of the one-bar log returns of the bars given that touch no bad bar;
- placebo (event_placebo.shift_placebo): the event calendar shifted circularly within the bars of
  the study's `period` that could carry an event; `placebo_p` = (1 + draws whose mean |CAR at +W|
  is at least the events') / (1 + draws), `placebo_p_caar` two-sided for the CAAR at +W;
  `placebo_band_low/high`: the 2.5 % / 97.5 % quantiles of the draws' CAAR paths per k. Seeded:
  the same inputs give the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import headline_moments, known_bars
from dashboard.analysis.choices import OVERLAPS
from dashboard.analysis.event_align import (
    check_integer,
    group_headlines,
    keep_spaced,
    merge_episodes,
    overlapping_bars,
)
from dashboard.analysis.event_checks import check_inputs, check_settings
from dashboard.analysis.event_frame import events_frame
from dashboard.analysis.event_models import (
    MODELS,
    OK,
    REASONS,
    abnormal,
    bar_returns,
    clean_returns,
    eligibility,
    estimate,
    log_closes,
    match_benchmark,
    raw_paths,
)
from dashboard.analysis.event_path_stats import path_stats
from dashboard.analysis.event_placebo import placebo_p_values, placebo_pool, shift_placebo
from dashboard.analysis.event_report import summary_lines
from dashboard.analysis.event_tests import event_tests

__all__ = ["MODELS", "OVERLAPS", "EventStudyResult", "event_study", "keep_spaced", "merge_episodes"]


@dataclass(frozen=True, eq=False)
class EventStudyResult:
    """What `event_study` measured. Moves are log returns; CARs are cumulative abnormal log
    returns (the raw moves for model 'raw'); arrays are indexed like `k` (-W .. +W); NaN where
    there is too little to measure.

    Settings: interval, window W, model, estimation L (0 for raw), overlap ('merge'/'spacing'),
    spacing S, benchmark (its label, market model). Counts: n_headlines given;
    n_headlines_before_data (no close was known yet); n_events used (episodes when merged);
    n_dropped_edges, n_dropped_flagged, n_skipped (reason -> count: benchmark, history,
    history_flagged, flat), n_dropped_spacing / n_merged (events left out / merged);
    n_overlap_bars (bars in two or more windows of the events before merging or spacing),
    n_overlap_bars_used (of the used events). mean_path, band_low/high: the CAAR path and its
    95 % band. move_1, t_1, p_1 / move_w, t_w, p_w: the CAAR at +1 / +W and its cross-sectional
    t-test. tests: event_tests' table. sd_1: sd of the one-bar log returns of the bars given that
    touch no bad bar; share_beyond_2sd: share of events with |CAR at +1| > 2 · sd_1. mean_abs_w:
    the events' mean |CAR at +W|; placebo_draws: draws made; placebo_pool: bars the calendar was
    shifted within; placebo_p, placebo_p_caar; the placebo band. events: one row per used event
    (see `event_study`)."""

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
    model: str = "raw"
    estimation: int = 0
    overlap: str = "spacing"
    benchmark: str | None = None
    n_skipped: dict = field(default_factory=dict)
    n_merged: int = 0
    n_overlap_bars: int = 0
    n_overlap_bars_used: int = 0
    tests: pd.DataFrame | None = None
    placebo_pool: int = 0
    placebo_p_caar: float = float("nan")

    def summary(self, label: str = "the headlines") -> str:
        """What `newsmarks study` prints, as one text (`label` names the view in its first line)."""
        return "\n".join(summary_lines(self, label))

    def to_frame(self) -> pd.DataFrame:
        """The CAAR path the Analysis tab draws: one row per bar k (−W … +W) with the CAAR (the
        mean raw move for model 'raw'), its 95 % band and the placebo's band. Per event: `events`;
        the tests: `tests`."""
        return pd.DataFrame({"k": self.k, "caar": self.mean_path, "band_low": self.band_low,
                             "band_high": self.band_high, "placebo_band_low": self.placebo_band_low,
                             "placebo_band_high": self.placebo_band_high})

    def test(self, name: str, horizon: int) -> tuple[float, float]:
        """(statistic, p) of one test at horizon +1 or +W."""
        row = self.tests[(self.tests["test"] == name) & (self.tests["horizon"] == horizon)]
        return (float(row["statistic"].iloc[0]), float(row["p"].iloc[0])) if len(row) else (np.nan, np.nan)



def event_study(headlines: pd.DataFrame, bars: pd.DataFrame, interval: str, window: int = 10,
                spacing: int = 0, placebo_draws: int = 200, seed: int = 0, *, model: str = "raw",
                estimation: int = 120, overlap: str = "spacing", benchmark: pd.DataFrame | None = None,
                benchmark_label: str | None = None, period: tuple | None = None) -> EventStudyResult:
    """The event study of one instrument's bars around a selection of headlines.

    headlines: columns id, published (tz-aware), title (any order), optionally day_precision.
    bars: columns ts and known (tz-aware; rows without a known time or a close are skipped),
    close (> 0 on every bar that is not bad), optionally bad, of one instrument and one
    `interval` ('1d' or '1h'). model: 'raw', 'mean' or 'market' (event_models) with an estimation
    window of `estimation` bars (mean, market); benchmark: the market model's benchmark bars (the
    same columns, another instrument); overlap: 'merge' (episodes) or 'spacing' (minimum spacing
    S = `spacing`); period: (start, end) of the study (tz-aware; either may be None), the
    placebo's calendar. The defaults (raw, spacing 0) are the study as it was before models;
    `newsmarks study` and the Analysis tab default to the mean model and merged episodes.

    The `events` frame has one row per used event: event_time (its earliest headline's time),
    bar_time (the event bar's stamp), bar_known (when its close became known), bar_close,
    first_headline_id, first_headline_title, n_headlines, events_in_episode (1 unless merged),
    est_alpha, est_beta, est_sd (the model's intercept — mu for 'mean' —, slope and residual sd;
    NaN for raw), then the raw moves `k-W` … `k+W`, the CARs `car-W` … `car+W` and the ARs
    `ar-W+1` … `ar+W` (log returns). ValueError for bad inputs; with no usable event, a result
    with n_events = 0 and NaN statistics."""
    window = check_integer(window)
    spacing = check_integer(spacing, "spacing", 0)
    draws = check_integer(placebo_draws, "placebo_draws", 0)
    check_inputs(headlines, bars, interval)
    check_settings(model, estimation, overlap, spacing, benchmark, bars, interval)
    length = 0 if model == "raw" else int(estimation)
    series = known_bars(bars, "bars")
    log_close = log_closes(series.close, series.bad)
    matched = match_benchmark(series, known_bars(benchmark, "benchmark bars")) if model == "market" else None
    ret = bar_returns(log_close, series.bad, matched)
    est_all = estimate(ret, window, length, model)
    code = eligibility(ret, window, length, model, est_all)

    g = group_headlines(headline_moments(headlines.reset_index(drop=True), "headlines"), series)
    event_code = code[g.bar]
    counts = {reason: int((event_code == number).sum()) for number, reason in enumerate(REASONS, start=1)}
    usable = event_code == OK
    bar, first, size = g.bar[usable], g.first[usable], g.size[usable]
    n_overlap = overlapping_bars(bar, window)
    if overlap == "merge":
        starts, episode = merge_episodes(bar, window)
        members = np.bincount(episode, minlength=int(starts.sum())).astype(np.int64)
        size = np.bincount(episode, weights=size, minlength=int(starts.sum())).astype(np.int64)
        bar, first, n_merged, n_spaced = bar[starts], first[starts], int((~starts).sum()), 0
    else:
        kept = keep_spaced(bar, spacing)
        bar, first, size, n_merged, n_spaced = bar[kept], first[kept], size[kept], 0, int((~kept).sum())
        members = np.ones(len(bar), dtype=np.int64)
    n = len(bar)
    est = est_all.take(bar)
    paths = raw_paths(log_close, bar, window)
    car, ar = abnormal(ret, bar, window, model, est, paths)
    k = np.arange(-window, window + 1)
    summary = path_stats(car)
    one, last = window + 1, 2 * window
    tests = event_tests(ret, bar, window, length, model, est, car, tuple(sorted({1, window})))
    one_bar = clean_returns(log_close, series.bad)
    sd_1 = float(one_bar.std(ddof=1)) if len(one_bar) >= 2 else np.nan
    share = float((np.abs(car[:, one]) > 2 * sd_1).mean()) if n and np.isfinite(sd_1) else np.nan
    mean_abs_w = float(np.abs(car[:, last]).mean()) if n else np.nan

    aligned_bars = (int(g.bar[0]), int(g.bar[-1])) if len(g.bar) else (0, -1)
    pool = placebo_pool(code, series, bar, aligned_bars, period)
    placebo_p = placebo_p_caar = np.nan
    low, high = np.full(len(k), np.nan), np.full(len(k), np.nan)
    made = 0
    if n and draws and len(pool) >= 2:
        per_bar, _ = abnormal(ret, pool, window, model, est_all.take(pool))
        draw_paths, draw_abs, offsets = shift_placebo(per_bar, np.searchsorted(pool, bar), draws, seed)
        made = len(offsets)
        placebo_p, placebo_p_caar = placebo_p_values(mean_abs_w, float(summary.mean[last]), draw_abs,
                                                     draw_paths[:, last])
        low, high = np.quantile(draw_paths, [0.025, 0.975], axis=0)

    frame = events_frame(headlines, series, bar, first, size, members, model, est, paths, car, ar, window)
    return EventStudyResult(
        interval=interval, window=window, spacing=spacing, n_headlines=len(headlines),
        n_headlines_before_data=g.before, n_events=n, n_dropped_spacing=n_spaced,
        n_dropped_edges=counts["edges"], k=k, mean_path=summary.mean, band_low=summary.band_low,
        band_high=summary.band_high, move_1=float(summary.mean[one]), t_1=float(summary.t[one]),
        p_1=float(summary.p[one]), move_w=float(summary.mean[last]), t_w=float(summary.t[last]),
        p_w=float(summary.p[last]), sd_1=sd_1, share_beyond_2sd=share, mean_abs_w=mean_abs_w,
        placebo_draws=made, placebo_p=placebo_p, placebo_band_low=low, placebo_band_high=high, events=frame,
        n_dropped_flagged=counts["flagged"], model=model, estimation=length, overlap=overlap,
        benchmark=benchmark_label if model == "market" else None,
        n_skipped={r: counts[r] for r in REASONS[2:]}, n_merged=n_merged, n_overlap_bars=n_overlap,
        n_overlap_bars_used=overlapping_bars(bar, window), tests=tests, placebo_pool=len(pool),
        placebo_p_caar=placebo_p_caar)
