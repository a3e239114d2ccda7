"""Event-study benchmark and simulation (a script that prints figures, not a test).

    python tests/benchmarks/bench_event_study.py [--bars 50000] [--events 100000] [--window 48]
                                                 [--estimation 120] [--runs 5] [--loop-sample 2000]
                                                 [--draws 200] [--seed 1] [--null 0]

Synthetic data: one instrument with `--bars` hourly bars (a geometric random walk, 1 % per bar)
and a benchmark (the instrument's returns load 0.8 on it), and `--events` headlines at uniformly
random times over the same span, sorted by time as `Store.headlines()` returns them. Measured
(median of `--runs` runs after one warm-up), the constant-mean model over `--estimation` bars:

1. core: for `--events` event bars drawn at random (repeats allowed: the literal "100k events x
   ±48 bars"), the CAR paths, the CAAR with its band and t per k, and every test at +1 and +W
   (cross-sectional t, Patell, BMP, Kolari-Pynnönen, Corrado rank, generalised sign, calendar-time
   HAC); target <= 0.5 s;
2. `event_study` end to end on the `--events` headlines, placebo off, with all the tests: overlapping
   events kept (spacing 0: the most events, at most one per bar) and merged into episodes (the
   default); the market model too; target <= 0.5 s;
3. the placebo (`--draws` shifts of the event calendar) on top of 2 with spacing 0; target <= 2 s;
4. a straightforward per-headline pandas loop doing what 2 does without a model (find the bar with
   Series.searchsorted, slice the closes, take the log path, group by bar, the t-test) on
   `--loop-sample` headlines, scaled to `--events`, checked against `event_study(model="raw")`
   on the same headlines before timing.

`--null N`: N random walks of 320 daily bars with 10-20 random events each (merged into
episodes), then with 40-80 (overlapping windows kept, spacing 0), the raw, mean and market
models: each test's and the placebo's rejection rate at 5 % (they should be near 0.05), with the
binomial standard error.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dashboard.analysis.alignment import known_bars  # noqa: E402
from dashboard.analysis.event_frame import move_columns  # noqa: E402
from dashboard.analysis.event_models import abnormal, bar_returns, estimate, log_closes, raw_paths  # noqa: E402
from dashboard.analysis.event_path_stats import path_stats  # noqa: E402
from dashboard.analysis.event_study import event_study  # noqa: E402
from dashboard.analysis.event_tests import TESTS, event_tests  # noqa: E402


def synthetic(n_bars: int, n_events: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(headlines, bars, benchmark bars), hourly."""
    rng = np.random.default_rng(seed)
    ts = pd.Series(pd.date_range("2020-01-06", periods=n_bars, freq="h", tz="UTC"))
    market = rng.normal(0.0, 0.01, n_bars)
    bars = pd.DataFrame({"instrument_id": "x", "ts": ts, "known": ts + pd.Timedelta(hours=1),
                         "close": 80.0 * np.exp(np.cumsum(0.8 * market + rng.normal(0.0, 0.006, n_bars)))})
    bench = pd.DataFrame({"instrument_id": "m", "ts": ts, "known": ts + pd.Timedelta(hours=1),
                          "close": 50.0 * np.exp(np.cumsum(market))})
    lo, hi = ts.iloc[0].value, (ts.iloc[-1] + pd.Timedelta(hours=1)).value
    published = pd.Series(pd.to_datetime(np.sort(rng.integers(lo, hi, n_events)), utc=True))
    headlines = pd.DataFrame({"id": np.arange(1, n_events + 1), "published": published,
                              "title": [f"headline {i}" for i in range(n_events)]})
    return headlines, bars, bench


def core(bars: pd.DataFrame, event_idx: np.ndarray, window: int, length: int):
    """What event_study computes once the events are chosen: the model, CARs, CAAR, every test."""
    series = known_bars(bars)
    ret = bar_returns(log_closes(series.close, series.bad), series.bad)
    est = estimate(ret, window, length, "mean").take(event_idx)
    car, _ = abnormal(ret, event_idx, window, "mean", est, raw_paths(ret.log_close, event_idx, window))
    return path_stats(car), event_tests(ret, event_idx, window, length, "mean", est, car, (1, window))


def pandas_loop(headlines: pd.DataFrame, bars: pd.DataFrame, window: int) -> tuple[pd.DataFrame, float]:
    """The straightforward way, no model: one headline at a time."""
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
    return frame, float(stats.ttest_1samp(frame["k+1"], 0.0).statistic)


def timed(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def null_rates(seeds: int, window: int = 4, length: int = 120, dense: bool = False) -> None:
    """Rejection rates at 5 % under no effect, per model and test: 10-20 events merged into
    episodes, or (`dense`) 40-80 events with their overlapping windows kept (spacing 0)."""
    for model in ("raw", "mean", "market"):
        p_values: dict[str, list[float]] = {}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            market = rng.normal(0.0, 0.01, 320)
            steps = (0.8 * market if model == "market" else 0.0) + rng.normal(0.0, 0.01, 320)
            days = pd.Series(pd.bdate_range("2021-01-04", periods=320, tz="UTC"))
            frame = {"ts": days, "known": days + pd.Timedelta(days=1)}
            bars = pd.DataFrame({**frame, "instrument_id": "x", "close": 100.0 * np.exp(np.cumsum(steps))})
            bench = pd.DataFrame({**frame, "instrument_id": "m", "close": 50.0 * np.exp(np.cumsum(market))})
            count = rng.integers(40, 81) if dense else rng.integers(10, 21)
            events = np.sort(rng.choice(np.arange(130, 315), size=count, replace=False))
            headlines = pd.DataFrame({"id": np.arange(len(events)), "title": "h",
                                      "published": bars["known"].iloc[events].reset_index(drop=True)
                                      + pd.Timedelta(minutes=30)})
            overlap = {"overlap": "spacing", "spacing": 0} if dense else {"overlap": "merge"}
            result = event_study(headlines, bars, "1d", window=window, placebo_draws=199, seed=seed, model=model,
                                 estimation=length, benchmark=bench if model == "market" else None, **overlap)
            for name in TESTS:
                for h in (1, window):
                    p_values.setdefault(f"{name} +{h}", []).append(result.test(name, h)[1])
            p_values.setdefault(f"placebo |CAR| +{window}", []).append(result.placebo_p)
            p_values.setdefault(f"placebo CAAR +{window}", []).append(result.placebo_p_caar)
        setting = "40-80 events, overlapping windows kept" if dense else "10-20 events merged into episodes"
        print(f"null, {model} model, {setting}, {seeds} seeds (se of a 5 % rate: "
              f"{math.sqrt(0.05 * 0.95 / seeds):.3f}):")
        for key, values in p_values.items():
            values = np.array(values)
            finite = values[np.isfinite(values)]
            if len(finite):
                print(f"   {key:<24} {np.mean(finite <= 0.05):.3f}   ({len(finite)} finite)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=48)
    parser.add_argument("--estimation", type=int, default=120)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop-sample", type=int, default=2_000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--null", type=int, default=0, help="seeds of the null simulation (0: none)")
    args = parser.parse_args()
    headlines, bars, bench = synthetic(args.bars, args.events, args.seed)
    w, length = args.window, args.estimation
    event_idx = np.random.default_rng(args.seed + 1).integers(w + length + 1, args.bars - w, args.events)

    sample = headlines.sample(n=min(args.loop_sample, len(headlines)), random_state=args.seed)
    loop_frame, loop_t = pandas_loop(sample, bars, w)
    ours = event_study(sample, bars, "1h", window=w, placebo_draws=0, model="raw")
    if not (np.array_equal(loop_frame["first_headline_id"], ours.events["first_headline_id"])
            and np.allclose(loop_frame[move_columns(w)], ours.events[move_columns(w)], rtol=1e-12, atol=1e-15)
            and np.isclose(loop_t, ours.t_1, rtol=1e-9)):
        raise SystemExit("the pandas loop and event_study disagree: not benchmarking")

    def study(**kwargs):
        return event_study(headlines, bars, "1h", window=w, seed=args.seed, estimation=length, **kwargs)

    t_core = timed(lambda: core(bars, event_idx, w, length), args.runs)
    spaced = {"model": "mean", "overlap": "spacing", "spacing": 0}
    t_spaced = timed(lambda: study(placebo_draws=0, **spaced), args.runs)
    t_merged = timed(lambda: study(placebo_draws=0, model="mean", overlap="merge"), args.runs)
    t_market = timed(lambda: study(placebo_draws=0, model="market", overlap="spacing", spacing=0, benchmark=bench),
                     args.runs)
    t_placebo = timed(lambda: study(placebo_draws=args.draws, **spaced), max(1, args.runs // 2)) - t_spaced
    spaced_result, merged_result = study(placebo_draws=args.draws, **spaced), study(placebo_draws=0, model="mean",
                                                                                     overlap="merge")
    start = time.perf_counter()
    pandas_loop(sample, bars, w)
    t_loop = (time.perf_counter() - start) * len(headlines) / len(sample)
    raw_time = timed(lambda: study(placebo_draws=0, model="raw", overlap="spacing", spacing=0), args.runs)

    def verdict(value: float, target: float) -> str:
        return f"target <= {target:g} s: {'ok' if value <= target else 'MISSED'}"

    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"{platform.machine()}")
    print(f"{args.bars:,} hourly bars, {args.events:,} headlines, window ±{w}, estimation {length} bars; "
          f"median of {args.runs} runs")
    print(f"1. core: model, CARs, CAAR and every test, {args.events:,} events x {2 * w + 1}: "
          f"{t_core * 1e3:8.1f} ms   {verdict(t_core, 0.5)}")
    print(f"2. event_study, all tests, placebo off: spacing 0 -> {spaced_result.n_events:,} events: "
          f"{t_spaced * 1e3:8.1f} ms   {verdict(t_spaced, 0.5)}")
    print(f"   merged -> {merged_result.n_events:,} episodes ({merged_result.n_merged:,} events merged): "
          f"{t_merged * 1e3:8.1f} ms;   market model, spacing 0: {t_market * 1e3:8.1f} ms   "
          f"{verdict(t_market, 0.5)}")
    print(f"3. placebo, {spaced_result.placebo_draws} calendar shifts of {spaced_result.n_events:,} events in a pool "
          f"of {spaced_result.placebo_pool:,} bars: {t_placebo * 1e3:8.1f} ms   {verdict(t_placebo, 2.0)}")
    print(f"4. pandas loop (no model), {len(sample):,} headlines scaled to {args.events:,}: {t_loop * 1e3:8.1f} ms;"
          f"   event_study(model='raw'), spacing 0: {raw_time * 1e3:8.1f} ms ({t_loop / raw_time:.0f}x)")
    if args.null:
        null_rates(args.null)
        null_rates(args.null, dense=True)


if __name__ == "__main__":
    main()
