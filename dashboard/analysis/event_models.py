"""The event study's normal-return models (pure, vectorised): the one-bar log returns of the
instrument and of a benchmark matched to its bars, which bars can carry an event, each event's
estimation window and model, and the abnormal returns (AR) and cumulative abnormal returns (CAR)
of its event window. MacKinlay (1997), "Event studies in economics and finance", JEL 35; Campbell,
Lo & MacKinlay (1997), The Econometrics of Financial Markets, ch. 4.

Returns. `r[j] = log close[j] - log close[j - 1]`, the return into bar j; it exists when neither
bar is bad (dashboard.analysis.alignment: no return across a bad bar) and, for the market model, when the
benchmark's return into bar j exists. r[0] never does.

Benchmark bars are matched by when their closes became known (the rule of every figure): on
instrument bar j the benchmark's price is the close of its last bar known at or before bar j's
close became known (`known[j]`). Its return into bar j runs between those prices at bars j - 1
and j (0 when no new benchmark close came in between) and exists when both prices exist and no
benchmark bar between them, inclusive, is bad. So Brent's bar of day D (known at the ICE
settlement, 19:30 London) meets the Bank of Russia rate published at 17:00 Moscow on D — the one
dated D + 1 — never a price public only later.

Windows of an event on bar i, with event window W and estimation window L:
- event window: bars i - W .. i + W, the returns i - W + 1 .. i + W. The CAR at k is the log
  return from bar i's close to bar (i + k)'s less the model's expected one: for k > 0 the sum of
  the ARs i + 1 .. i + k, for k < 0 minus the sum of the ARs i + k + 1 .. i, 0 at k = 0;
- estimation window: the L returns i - W - L .. i - W - 1 (bars i - W - L - 1 .. i - W - 1),
  ending before the event window (the return into bar i - W, between the two, is in neither).

Models (`MODELS`):
- raw: no model, AR = R; no estimation window, so no event needs one;
- mean: constant mean, AR = R - mu, mu the mean of the estimation window's returns, residual
  variance s^2 = sum (R - mu)^2 / (L - 1) (MacKinlay 1997, "constant mean return model");
- market: AR = R - alpha - beta M, OLS of R on the benchmark's M over the estimation window,
  s^2 = SSR / (L - 2) (MacKinlay 1997, "market model").

Which bars can carry an event (`eligibility`), with the reason for the first failed check:
EDGES (the event window runs off the data), FLAGGED (a bad bar in it), BENCHMARK (market: a
benchmark return missing in it), HISTORY (mean/market: the estimation window starts before the
second bar given: too little history), HISTORY_FLAGGED (a return missing in the estimation window:
a bad bar, or no benchmark return), FLAT (no variation of the returns — or, for the market model,
of the benchmark's — over the estimation window: nothing to standardise by).

Window sums use prefix sums of the returns less their overall mean (fewer digits lost), so every
bar's model costs O(1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.analysis.alignment import KnownBars
from dashboard.analysis.choices import MODELS

MODEL_WORDS = {"raw": "no model (raw returns)", "mean": "constant mean", "market": "market model"}
OK, EDGES, FLAGGED, BENCHMARK, HISTORY, HISTORY_FLAGGED, FLAT = range(7)
REASONS = ("edges", "flagged", "benchmark", "history", "history_flagged", "flat")   # codes 1 .. 6
_FLAT = 1e-24        # a window sum of squared deviations at or below this (per return) counts as none


def check_model(model: str, estimation: int) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r} (known: {', '.join(MODELS)})")
    minimum = {"raw": 0, "mean": 4, "market": 5}[model]
    if model != "raw" and (isinstance(estimation, bool) or not isinstance(estimation, int | np.integer)
                           or estimation < minimum):
        raise ValueError(f"estimation must be an integer >= {minimum} for the {model} model, got {estimation!r}")


def n_params(model: str) -> int:
    """Parameters the model estimates per event (the residual variance's lost degrees of freedom)."""
    return {"raw": 0, "mean": 1, "market": 2}[model]


@dataclass(frozen=True, eq=False)
class Returns:
    """One-bar log returns into each bar (0.0 where there is none), whether each exists, the
    instrument's own part of that (`own`: no bad bar at either end), the log closes (NaN on bad
    bars); with a benchmark, its matched log price per bar (NaN where none) and returns."""

    log_close: np.ndarray
    r: np.ndarray
    valid: np.ndarray
    own: np.ndarray
    bench_log: np.ndarray | None = None
    m: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.log_close)


def _one_bar(log_close: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.zeros(len(log_close))
    out[1:] = np.diff(log_close)
    out[~ok] = 0.0
    return out


def log_closes(close: np.ndarray, bad: np.ndarray | None = None) -> np.ndarray:
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


def bar_returns(log_close: np.ndarray, bad: np.ndarray, bench: tuple[np.ndarray, np.ndarray] | None = None) -> Returns:
    """Returns of the bars (see the module docstring); `bench`: (matched log price per bar, whether
    the benchmark's return into each bar exists) from `match_benchmark`."""
    bad = np.asarray(bad, dtype=bool)
    own = np.zeros(len(log_close), dtype=bool)
    own[1:] = ~bad[1:] & ~bad[:-1]
    if bench is None:
        return Returns(log_close, _one_bar(log_close, own), own, own)
    bench_log, bench_ok = bench
    valid = own & bench_ok
    return Returns(log_close, _one_bar(log_close, valid), valid, own, bench_log, _one_bar(bench_log, bench_ok))


def match_benchmark(series: KnownBars, bench: KnownBars) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark matched to the instrument's bars by known time (module docstring): (its log
    price on each bar, NaN where none is known or the last known bar is bad; whether its return
    into each bar exists). ValueError for a benchmark close that is not finite and positive."""
    usable = ~bench.bad
    if not np.isfinite(bench.close[usable]).all() or (bench.close[usable] <= 0).any():
        raise ValueError("benchmark closes must be finite and positive (log returns of them are taken)")
    log_b = np.full(len(bench), np.nan)
    log_b[usable] = np.log(bench.close[usable])
    at = bench.last_known(series.known)
    price = np.where(at >= 0, log_b[np.maximum(at, 0)], np.nan)
    ok = np.zeros(len(series), dtype=bool)
    if len(series) > 1:
        ok[1:] = (at[:-1] >= 0) & bench.clean(at[:-1], at[1:])
    return price, ok


def _window_clean(valid: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether every return first .. last (inclusive, first >= 1, last < len) exists."""
    missing = np.concatenate([[0], np.cumsum(~valid, dtype=np.int64)])
    return missing[last + 1] - missing[first] == 0


@dataclass(frozen=True, eq=False)
class Estimates:
    """Per bar (as an event bar), the model fitted over its estimation window: alpha (mu for the
    mean model), beta (0 for mean), the residual sd s, the benchmark's mean and sum of squared
    deviations (market: the forecast-error correction), and the residuals' sum of squares. NaN
    where the window is not usable, and everywhere for the raw model."""

    alpha: np.ndarray
    beta: np.ndarray
    sd: np.ndarray
    mean_m: np.ndarray
    sxx: np.ndarray
    ssr: np.ndarray

    def take(self, index: np.ndarray) -> Estimates:
        return Estimates(*(getattr(self, f)[index] for f in ("alpha", "beta", "sd", "mean_m", "sxx", "ssr")))


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(values)])


def estimate(ret: Returns, window: int, length: int, model: str) -> Estimates:
    """The model of every bar as an event bar, over the `length` returns ending W + 1 bars before
    it (see the module docstring). Windows that run off the data give NaN; whether a window is
    clean is `eligibility`'s business."""
    n = len(ret)
    nan = np.full(n, np.nan)
    if model == "raw":
        return Estimates(nan, nan, nan, nan, nan, nan)
    bar = np.arange(n)
    first, last = bar - window - length, bar - window - 1
    inside = first >= 1
    a, b = np.where(inside, first, 1), np.where(inside, last, 1) + 1          # sums over [a, b)
    centre_r = float(ret.r[ret.valid].mean()) if ret.valid.any() else 0.0
    y = np.where(ret.valid, ret.r - centre_r, 0.0)
    p1, p2 = _prefix(y), _prefix(y * y)
    s1, s2 = p1[b] - p1[a], p2[b] - p2[a]
    alpha = centre_r + s1 / length
    syy = np.maximum(s2 - s1 * s1 / length, 0.0)
    if model == "mean":
        beta, mean_m, sxx, ssr, df = np.zeros(n), nan, nan, syy, length - 1
    else:
        centre_m = float(ret.m[ret.valid].mean()) if ret.valid.any() else 0.0
        x = np.where(ret.valid, ret.m - centre_m, 0.0)
        px, pxx, pxy = _prefix(x), _prefix(x * x), _prefix(x * y)
        sx, sxx_raw, sxy_raw = px[b] - px[a], pxx[b] - pxx[a], pxy[b] - pxy[a]
        mean_m = centre_m + sx / length
        sxx = np.maximum(sxx_raw - sx * sx / length, 0.0)
        sxy = sxy_raw - sx * s1 / length
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(sxx > 0, sxy / sxx, np.nan)
        alpha = alpha - beta * mean_m
        ssr = np.maximum(syy - beta * sxy, 0.0)
        df = length - 2
    sd = np.sqrt(ssr / df)
    out = [np.where(inside, v, np.nan) for v in (alpha, beta, sd, mean_m, sxx, ssr)]
    return Estimates(*out)


def eligibility(ret: Returns, window: int, length: int, model: str, est: Estimates) -> np.ndarray:
    """Per bar, OK (0) when an event on it can be used, else the code of the first failed check
    (module docstring; REASONS[code - 1] names it)."""
    n = len(ret)
    bar = np.arange(n)
    code = np.full(n, OK, dtype=np.int8)
    inside = (bar >= window) & (bar <= n - 1 - window)
    code[~inside] = EDGES
    first, last = np.clip(bar - window + 1, 1, max(n - 1, 1)), np.clip(bar + window, 1, max(n - 1, 1))
    if n > 1:
        own = _window_clean(ret.own, first, last)
        code[(code == OK) & ~own] = FLAGGED
        if ret.m is not None:
            code[(code == OK) & ~_window_clean(ret.valid, first, last)] = BENCHMARK
    if model == "raw":
        return code
    start = bar - window - length
    code[(code == OK) & (start < 1)] = HISTORY
    ok = code == OK
    if ok.any():
        e_first, e_last = np.clip(start, 1, None), np.clip(bar - window - 1, 1, None)
        code[ok & ~_window_clean(ret.valid, e_first, e_last)] = HISTORY_FLAGGED
    ok = code == OK
    varies = est.ssr > _FLAT * length
    if model == "market":
        varies &= est.sxx > _FLAT * length
    flat = ~varies
    code[ok & flat] = FLAT
    return code


def raw_paths(log_close: np.ndarray, centre: np.ndarray, window: int) -> np.ndarray:
    """`paths[e, W + k] = log close[i + k] - log close[i]` for the event bars i = centre[e]."""
    if len(centre) == 0:
        return np.empty((0, 2 * window + 1))
    rows = np.lib.stride_tricks.sliding_window_view(log_close, 2 * window + 1)[centre - window]  # a copy
    rows -= log_close[centre, None]
    return rows


def abnormal(ret: Returns, centre: np.ndarray, window: int, model: str, est: Estimates,
             paths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(CAR [n, 2W + 1] by k = -W .. +W, AR [n, 2W] for the returns i - W + 1 .. i + W) of the
    events on bars `centre` with their estimates `est` (taken at those bars). For the raw model
    the CARs are the raw paths, as they are. `paths`: the raw paths, when the caller has them."""
    paths = raw_paths(ret.log_close, centre, window) if paths is None else paths
    if len(centre) == 0:
        return paths, np.empty((0, 2 * window))
    first = centre - window + 1                  # the event window's returns, one row per event
    ar = np.lib.stride_tricks.sliding_window_view(ret.r, 2 * window)[first]
    if model == "raw":
        return paths, ar
    k = np.arange(-window, window + 1, dtype=np.float64)
    car = np.multiply.outer(est.alpha, -k)       # paths - alpha k, one temporary fewer
    car += paths
    ar -= est.alpha[:, None]
    if model == "market":
        car -= est.beta[:, None] * raw_paths(ret.bench_log, centre, window)
        ar -= est.beta[:, None] * np.lib.stride_tricks.sliding_window_view(ret.m, 2 * window)[first]
    return car, ar
