"""Event-study benchmark (a script that prints figures, not a test).

    python tests/benchmarks/bench_event_study.py [--bars 50000] [--events 100000] [--window 48]
                                                 [--runs 7] [--loop-sample 2000] [--draws 200]
                                                 [--seed 1]

Synthetic data: one instrument with `--bars` hourly bars (a geometric random walk, 1 % per bar)
and `--events` headlines at uniformly random times over the same span, sorted by time as
`Store.headlines()` returns them. Measured (median of `--runs` runs after one warm-up):

1. core: `event_paths` + `path_stats` (mean path, 95 % band, t-test per k) for
   `--events` event bars × ±window bars — the literal "100k events × ±48 bars";
2. `event_study` end to end on the `--events` headlines, placebo off (alignment by the time
   each close became known groups them into fewer events: at most one per bar);
3. the placebo alone (`--draws` draws), reported, no target; and, for scale, event_study with
   the placebo on a 1,000-headline selection;
4. a straightforward per-headline pandas loop doing what 2 does (find the bar with
   Series.searchsorted, slice the closes with iloc, take the log path, group by bar, then the
   same statistics) on `--loop-sample` headlines, scaled to `--events`.

Targets: 1 and 2 <= 100 ms; the loop (scaled) >= 50x slower than 2. The loop's result on the
subsample is checked against `event_study` on the same headlines before timing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dashboard.analysis.event_study import (  # noqa: E402
    PathStats,
    event_paths,
    event_study,
    move_columns,
    path_stats,
)


def synthetic(n_bars: int, n_events: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ts = pd.Series(pd.date_range("2020-01-06", periods=n_bars, freq="h", tz="UTC"))
    bars = pd.DataFrame({"ts": ts, "known": ts + pd.Timedelta(hours=1),   # an hourly close: known an hour later
                         "close": 80.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n_bars)))})
    lo, hi = ts.iloc[0].value, (ts.iloc[-1] + pd.Timedelta(hours=1)).value
    published = pd.Series(pd.to_datetime(np.sort(rng.integers(lo, hi, n_events)), utc=True))
    headlines = pd.DataFrame({"id": np.arange(1, n_events + 1), "published": published,
                              "title": [f"headline {i}" for i in range(n_events)]})
    return headlines, bars


def core(close: np.ndarray, event_idx: np.ndarray, window: int) -> PathStats:
    """event_paths and the statistics event_study computes from the paths."""
    paths, _ = event_paths(close, event_idx, window)
    return path_stats(paths)


def pandas_loop(headlines: pd.DataFrame, bars: pd.DataFrame, window: int) -> tuple[pd.DataFrame, tuple]:
    """The straightforward way: one headline at a time."""
    closed = bars["known"].dt.as_unit("ns").reset_index(drop=True)
    close = bars["close"].reset_index(drop=True)
    by_bar: dict[int, list] = {}
    for row in headlines.sort_values("published", kind="stable").itertuples(index=False):
        i = int(closed.searchsorted(row.published, side="right")) - 1
        if i < window or i > len(close) - 1 - window:
            continue
        if i in by_bar:
            by_bar[i][1] += 1
            continue
        path = np.log(close.iloc[i - window:i + window + 1] / close.iloc[i]).to_numpy()
        by_bar[i] = [row.id, 1, path]
    frame = pd.DataFrame([v[2] for v in by_bar.values()], columns=move_columns(window))
    frame.insert(0, "first_headline_id", [v[0] for v in by_bar.values()])
    mean, sd = frame[move_columns(window)].mean(), frame[move_columns(window)].std()
    half = stats.t.ppf(0.975, len(frame) - 1) * sd / np.sqrt(len(frame))
    return frame, (mean - half, mean + half, stats.ttest_1samp(frame["k+1"], 0.0))


def timed(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=48)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--loop-sample", type=int, default=2_000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    headlines, bars = synthetic(args.bars, args.events, args.seed)
    w = args.window
    close = bars["close"].to_numpy()
    event_idx = np.random.default_rng(args.seed + 1).integers(w, args.bars - w, args.events)

    # the loop agrees with event_study on the subsample (same events, same paths, same t)
    sample = headlines.sample(n=min(args.loop_sample, len(headlines)), random_state=args.seed)
    loop_frame, loop_stats = pandas_loop(sample, bars, w)
    ours = event_study(sample, bars, "1h", window=w, placebo_draws=0)
    if not (np.array_equal(loop_frame["first_headline_id"], ours.events["first_headline_id"])
            and np.allclose(loop_frame[move_columns(w)], ours.events[move_columns(w)], rtol=1e-12, atol=1e-15)
            and np.isclose(loop_stats[2].statistic, ours.t_1, rtol=1e-9)):
        raise SystemExit("the pandas loop and event_study disagree: not benchmarking")

    t_core = timed(lambda: core(close, event_idx, w), args.runs)
    t_study = timed(lambda: event_study(headlines, bars, "1h", window=w, placebo_draws=0), args.runs)
    result = event_study(headlines, bars, "1h", window=w, placebo_draws=args.draws, seed=args.seed)
    t_placebo = timed(lambda: event_study(headlines, bars, "1h", window=w, placebo_draws=args.draws,
                                          seed=args.seed), max(1, args.runs // 3)) - t_study
    small = headlines.sample(n=min(1_000, len(headlines)), random_state=args.seed + 2)
    t_small = timed(lambda: event_study(small, bars, "1h", window=w, placebo_draws=args.draws), args.runs)
    small_result = event_study(small, bars, "1h", window=w, placebo_draws=0)
    start = time.perf_counter()
    pandas_loop(sample, bars, w)
    t_loop = (time.perf_counter() - start) * len(headlines) / len(sample)

    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"{platform.machine()}")
    print(f"{args.bars:,} hourly bars, {args.events:,} headlines, window ±{w}; median of {args.runs} runs")
    print(f"1. core (event_paths + stats), {args.events:,} events x {2 * w + 1}: {t_core * 1e3:8.1f} ms"
          f"   target <= 100 ms: {'ok' if t_core <= 0.1 else 'MISSED'}")
    print(f"2. event_study, {args.events:,} headlines -> {result.n_events:,} events "
          f"({result.n_dropped_edges} at the edges), placebo off: {t_study * 1e3:8.1f} ms"
          f"   target <= 100 ms: {'ok' if t_study <= 0.1 else 'MISSED'}")
    print(f"3. placebo, {args.draws} draws of {result.n_events:,} events: {t_placebo * 1e3:8.1f} ms"
          f"   (placebo_p {result.placebo_p:.3f})")
    print(f"   event_study with the placebo, {len(small):,} headlines -> {small_result.n_events:,} events: "
          f"{t_small * 1e3:8.1f} ms")
    print(f"4. pandas loop, {len(sample):,} headlines scaled to {args.events:,}: {t_loop * 1e3:8.1f} ms"
          f"   ratio loop / event_study: {t_loop / t_study:.0f}x   target >= 50x: "
          f"{'ok' if t_loop / t_study >= 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
