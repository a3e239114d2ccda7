"""The event study's tests (pure, vectorised) of the cumulative abnormal return CAR(h) over the
bars +1 .. +h after the event bar, all run by `event_tests`. Each test returns (statistic,
two-sided p); NaN where undefined. The rank and sign tests are computed in event_rank_tests, the
calendar-time test in event_calendar_test; the CAAR per k with its band in event_path_stats.

- `t`: the cross-sectional t-test of the CARs, mean / (sd / sqrt(N)), t with N - 1 degrees of
  freedom (Brown & Warner 1985's cross-sectional test; MacKinlay 1997's J1 with the CARs'
  cross-sectional variance in place of the estimation window's).
- `patell`: Patell (1976): each CAR standardised by its forecast-error sd from the estimation
  window, SCAR = CAR / (s sqrt(V)), V = h + h^2 / L (mean model) or h + h^2 / L + (sum M - h
  mean M)^2 / Sxx (market model: the forecast-error correction, the window's sum of the
  prediction-error covariance I + X (X'X)^-1 X' of Campbell, Lo & MacKinlay 1997, ch. 4);
  Z = sum SCAR / sqrt(N (L - d) / (L - d - 2)), d the model's
  parameters, N(0, 1).
- `bmp`: Boehmer, Musumeci & Poulsen (1991): the SCARs' cross-sectional t, t(N - 1) — robust to
  event-induced variance.
- `kp`: BMP adjusted for cross-correlation as Kolari & Pynnönen (2010) do it: t_BMP sqrt((1 -
  r) / (1 + (N - 1) r)), t(N - 1), r the mean pairwise correlation of the events' standardised
  CAR(h). One instrument's events correlate through the returns they share: overlapping windows
  (positively), and one event's window inside another's estimation window (negatively: it moves
  that event's estimated mean); so r is the correlation these shared returns imply under i.i.d.
  returns (`shared_return_correlation`), rather than KP's sample correlation of estimation-period
  residuals across firms on one calendar, which has no counterpart here. For the raw model (no
  estimation window, no standardisation) the same factor adjusts the cross-sectional t.
- `corrado`: Corrado's (1989) rank test. Each event's ARs over its estimation window and event
  window (T = L + 2W returns) are ranked (ties: mid-ranks), U = rank / (T + 1) (Corrado & Zivney
  1992); Ubar_t the mean over events per relative bar t; S_U = sqrt(mean_t (Ubar_t - 0.5)^2) over
  all T bars. At h = 1 Corrado's statistic (Ubar_{+1} - 0.5) / S_U; over +1 .. +h the cumulative
  version of Cowan (1992) and Campbell & Wasley (1993): sum_{k=1..h} (Ubar_k - 0.5) / (sqrt(h) S_U);
  N(0, 1).
- `sign`: Cowan's (1992) generalised sign test: w events with CAR(h) > 0 against p = the mean over
  events of the share of positive ARs in their estimation windows; Z = (w - N p) / sqrt(N p (1 -
  p)), N(0, 1).
- `calendar`: a calendar-time test: the instrument's one-bar returns over the study's bars (the
  first used event's estimation window — event window for the raw model — to the last one's
  window end; returns that exist only) regressed by OLS on an indicator of lying in bars +1 .. +h
  of some event, with the constant (mean model), the constant and the benchmark's return (market
  model), or alone (raw); the indicator's coefficient is the mean abnormal return per bar in
  event windows. Newey-West (1987) HAC standard errors (Bartlett kernel, lags floor(4 (T /
  100)^(2/9)) — Newey & West 1994's rule of thumb — small-sample factor T / (T - K)), by
  statsmodels' OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}).
  The p is from t(B - 1), B the runs of consecutive bars in event windows (one per event when
  windows do not touch): the indicator's robust variance rests on those few blocks (as in
  Welch–Satterthwaite's degrees of freedom), and the normal p of statsmodels' HAC rejected 10 %
  at 5 % in our simulations of 10-20 events (this: 5.7 % at +1, 4.3 % at +4).

The raw model has no estimation window: Patell, BMP, Corrado and the sign test need one, so they
are NaN for it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard.analysis.event_calendar_test import calendar_design, calendar_time
from dashboard.analysis.event_models import Estimates, Returns, n_params
from dashboard.analysis.event_p_values import NAN2, t_p, z_p
from dashboard.analysis.event_rank_tests import ar_ranks_and_signs, corrado, generalised_sign

TESTS = ("t", "patell", "bmp", "kp", "corrado", "sign", "calendar")
TEST_WORDS = {
    "t": "cross-sectional t",
    "patell": "Patell Z",
    "bmp": "BMP t",
    "kp": "Kolari-Pynnönen adjusted t",
    "corrado": "Corrado rank",
    "sign": "generalised sign Z",
    "calendar": "calendar-time HAC t",
}
REFERENCE = {"t": "t(N-1)", "patell": "N(0,1)", "bmp": "t(N-1)", "kp": "t(N-1)", "corrado": "N(0,1)",
             "sign": "N(0,1)", "calendar": "t(B-1)"}
NEEDS_ESTIMATION = ("patell", "bmp", "corrado", "sign")


def cross_sectional_t(car_h: np.ndarray) -> tuple[float, float]:
    n = len(car_h)
    if n < 2:
        return NAN2
    sd = float(np.std(car_h, ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(np.mean(car_h) / (sd / math.sqrt(n)))
    return (t, t_p(t, n - 1)) if np.isfinite(t) else NAN2


def standardised_car(car_h: np.ndarray, est: Estimates, h: int, length: int, model: str,
                     bench_h: np.ndarray | None = None) -> np.ndarray:
    """SCAR = CAR(h) / (s sqrt(V)) (module docstring); bench_h: the benchmark's log return over
    bars +1 .. +h of each event (market model)."""
    v = h + h * h / length
    if model == "market":
        v = v + (bench_h - h * est.mean_m) ** 2 / est.sxx
    return car_h / (est.sd * np.sqrt(v))


def patell(scar: np.ndarray, length: int, model: str) -> tuple[float, float]:
    n, df = len(scar), length - n_params(model)
    if n < 1 or df <= 2:
        return NAN2
    z = float(scar.sum() / math.sqrt(n * df / (df - 2)))
    return z, z_p(z)


def bmp(scar: np.ndarray) -> tuple[float, float]:
    return cross_sectional_t(scar)


def _range_sums(first: np.ndarray, last: np.ndarray, value: np.ndarray, size: int) -> np.ndarray:
    """Per position 0 .. size - 1, the sum of `value` over the ranges first .. last covering it."""
    step = np.bincount(first, weights=value, minlength=size + 1) - np.bincount(last + 1, weights=value,
                                                                               minlength=size + 1)
    return np.cumsum(step)[:size]


def shared_return_correlation(ret: Returns, bars: np.ndarray, window: int, length: int, model: str,
                              est: Estimates, h: int) -> float:
    """The mean pairwise correlation of the events' standardised CAR(h) implied by the returns they
    share, under i.i.d. returns (module docstring, `kp`). Each CAR(h) is a weighted sum of returns:
    +1 on the bars +1 .. +h, and minus the model's loadings on its estimation window's returns (mean:
    h / L each; market: h / L + (m_t - mean m)(sum M over +1 .. +h - h mean m) / Sxx); scaled to
    unit variance (the weights' squares sum to V). With W_t the sum over events of the scaled
    weights on return t, r = (sum_t W_t^2 - N) / (N (N - 1)); range sums, O(bars + N)."""
    n = len(bars)
    if n < 2:
        return math.nan
    size = len(ret)
    if model == "raw":
        scale = np.full(n, 1.0 / math.sqrt(h))
        return float(((_range_sums(bars + 1, bars + h, scale, size) ** 2).sum() - n) / (n * (n - 1)))
    first, last = bars - window - length, bars - window - 1
    v = np.full(n, h + h * h / length)
    if model == "market":
        load = (ret.bench_log[bars + h] - ret.bench_log[bars] - h * est.mean_m) / est.sxx
        v = v + load * load * est.sxx
    scale = 1.0 / np.sqrt(v)
    total = _range_sums(bars + 1, bars + h, scale, size) - (h / length) * _range_sums(first, last, scale, size)
    if model == "market":
        total -= ret.m * _range_sums(first, last, load * scale, size)
        total += _range_sums(first, last, est.mean_m * load * scale, size)
    return float(((total * total).sum() - n) / (n * (n - 1)))


def kolari_pynnonen(t_bmp: float, n: int, rbar: float) -> tuple[float, float]:
    if n < 2 or not (np.isfinite(t_bmp) and np.isfinite(rbar)):
        return NAN2
    inflation = 1.0 + (n - 1) * rbar
    if inflation <= 0 or rbar >= 1:
        return NAN2
    t = t_bmp * math.sqrt((1.0 - rbar) / inflation)
    return t, t_p(t, n - 1)



def event_tests(ret: Returns, bars: np.ndarray, window: int, length: int, model: str, est: Estimates,
                car: np.ndarray, horizons: tuple[int, ...]) -> pd.DataFrame:
    """Every test at every horizon h (bars +1 .. +h): rows test, name, horizon, statistic, p, n
    (events; observations for `calendar`), reference distribution, and `detail` (KP: r; calendar:
    the coefficient per bar; others NaN). `est`: the events' estimates; `car`: their CARs by k."""
    n = len(bars)
    rows = []
    ranks = positive = None
    if n and model != "raw":
        ranks, positive = ar_ranks_and_signs(ret, bars, window, length, model, est)
    for h in horizons:
        car_h = car[:, window + h]
        t_cs = cross_sectional_t(car_h)
        results = {"t": (*t_cs, n, math.nan)}
        rbar = shared_return_correlation(ret, bars, window, length, model, est, h) if n else math.nan
        if model == "raw" or n == 0:
            results.update({name: (math.nan, math.nan, n, math.nan) for name in NEEDS_ESTIMATION})
            results["kp"] = (*kolari_pynnonen(t_cs[0], n, rbar), n, rbar)
        else:
            bench_h = ret.bench_log[bars + h] - ret.bench_log[bars] if model == "market" else None
            scar = standardised_car(car_h, est, h, length, model, bench_h)
            t_bmp = bmp(scar)
            results.update({
                "patell": (*patell(scar, length, model), n, math.nan),
                "bmp": (*t_bmp, n, math.nan),
                "kp": (*kolari_pynnonen(t_bmp[0], n, rbar), n, rbar),
                "corrado": (*corrado(ranks, n, window, length, h), n, math.nan),
                "sign": (*generalised_sign(car_h, positive), n, math.nan),
            })
        if n:
            coefficient, z, p, n_obs, _ = calendar_time(*calendar_design(ret, bars, window, length, model, h))
            results["calendar"] = (z, p, n_obs, coefficient)
        else:
            results["calendar"] = (math.nan, math.nan, 0, math.nan)
        for name in TESTS:
            statistic, p, count, detail = results[name]
            rows.append({"test": name, "name": TEST_WORDS[name], "horizon": h, "statistic": statistic, "p": p,
                         "n": int(count), "reference": REFERENCE[name], "detail": detail})
    return pd.DataFrame(rows, columns=["test", "name", "horizon", "statistic", "p", "n", "reference", "detail"])
