"""The statistics of news intensity against volatility (pure, numpy in): correlations that skip
missing values, the cross-correlation by lag with a pointwise and a family band per lag, the
regression of |return| on the news measure with calendar dummies and Newey–West standard errors,
the partial correlation given the calendar, and AR pre-whitening.

Correlations. Pearson and Spearman r with their p (scipy.stats.pearsonr / spearmanr) over the
pairs where both sides exist; NaN for fewer than 3 pairs or a constant side — never an error.

Lags. r at lag k: Pearson r of x_t with y_{t+k} over the n_k pairs where both exist. Each lag has
its own band from its own n_k:
- pointwise ±1.96/√n_k: the approximate 95% band of one lagged correlation between unrelated
  series of which at least one is white noise (Bartlett 1946; Box, Jenkins & Reinsel, Time Series
  Analysis, ch. 12). About 1 lag in 20 crosses it by chance;
- family ±z_m/√n_k, a Šidák band over the m lags tested (those with an r): z_m = Φ⁻¹(1 − a/2) with
  a = 1 − 0.95^(1/m), so that all m lags of unrelated series stay inside with probability 95%
  (Šidák 1967; exact when the lags' estimates are independent, which they are asymptotically for a
  white series; Bonferroni's z, for a = 0.05/m, is slightly wider). For m = 21: z = 3.031
  (Bonferroni 3.038).
Both bands assume one side is white: with two autocorrelated series r_k's variance is larger
(Bartlett's formula) and the bands are too narrow — pre-whiten first.

Pre-whitening (`prewhiten`). Each series is replaced by its residuals from its own AR(p) with a
constant, fitted by conditional least squares (the AR of statsmodels' AutoReg), p chosen by AIC
from 0 … min(10, n // 10) with every order fitted on the same rows (statsmodels ar_select_order,
ic="aic"), then the chosen order fitted on every row where the value and its p predecessors
exist. Rows with a missing value (or a missing predecessor) have no residual. Correlating the two
residual series is Haugh's (1976) two-sided pre-whitening; Box & Jenkins (1970) filter both series
with x's filter — with either, the lag bands above hold.

Calendar regression (`calendar_regression`). OLS of y = |log return| on a constant, the news
measure x and calendar dummies — the weekday of the bucket (Monday … Sunday of its UTC start;
each weekday present but the first is a dummy) and, for hourly buckets, the hour of the day (UTC;
each hour present but the first): the news coefficient b is the link between news and moves
beyond what the calendar explains (weekend headlines counted on Monday, when moves are larger).
Standard errors: Newey & West (1987) HAC, Bartlett kernel, L = ⌊4 (n/100)^(2/9)⌋ lags (Newey &
West 1994's rule), with the small-sample factor n/(n − k), and t and p from Student's t with
n − k degrees of freedom (k parameters) — statsmodels OLS(...).fit(cov_type="HAC",
cov_kwds={"maxlags": L, "use_correction": True}, use_t=True). Rows are taken as consecutive
after the rows without both sides are left out. NaN when there are no more rows than
parameters, the design is rank-deficient, or x is constant.

Partial correlation given the calendar: Pearson r of the residuals of x and of y after each is
regressed (OLS) on the constant and the same dummies; p from t = r √(df / (1 − r²)) with
df = n − 2 − q (q dummies), Student's t — the plain OLS t of b in the regression above.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.event_calendar_test import hac_lags

Z_95 = 1.96
FAMILY_LEVEL = 0.95
PREWHITEN_MAX_ORDER = 10
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def degenerate(x: np.ndarray, y: np.ndarray) -> bool:
    return len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0


def correlate(x: np.ndarray, y: np.ndarray, method) -> tuple[float, float]:
    """(r, p) of scipy's `method` over the pairs where both sides exist, or NaNs for fewer than
    3 such pairs or a constant series."""
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if degenerate(x, y):
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        result = method(x, y)
    return float(result.statistic), float(result.pvalue)


def check_lag(max_lag: int) -> None:
    if isinstance(max_lag, bool) or not isinstance(max_lag, int | np.integer) or max_lag < 0:
        raise ValueError(f"max_lag must be a non-negative integer, got {max_lag!r}")


def sidak_z(m: int, level: float = FAMILY_LEVEL) -> float:
    """z of the Šidák band for m tests at family level `level`: Φ⁻¹(1 − a/2), a = 1 − level^(1/m)
    (NaN for m = 0)."""
    if m <= 0:
        return float("nan")
    a = -np.expm1(np.log(level) / m)
    return float(stats.norm.isf(a / 2))


def lagged_correlations(x: np.ndarray, y: np.ndarray, max_lag: int) -> pd.DataFrame:
    """Pearson r of x_t with y_{t+lag} for lag −max_lag … max_lag over the overlapping pairs where
    both sides exist: columns lag, pairs, r (NaN when fewer than 3 pairs or a side is constant),
    band (1.96/√pairs) and family_band (sidak_z(m)/√pairs, m the lags with an r); the bands are
    NaN where r is."""
    check_lag(max_lag)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"series differ in length: {len(x)} and {len(y)}")
    n = len(x)
    lags = np.arange(-max_lag, max_lag + 1)
    pairs = np.zeros(len(lags), dtype=np.int64)
    r = np.full(len(lags), np.nan)
    for i, lag in enumerate(lags):
        if n - abs(lag) <= 0:
            continue
        a, b = (x[:n - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[:n + lag])
        pairs[i] = int((~(np.isnan(a) | np.isnan(b))).sum())
        r[i] = correlate(a, b, stats.pearsonr)[0]
    tested = ~np.isnan(r)
    root = np.sqrt(np.where(tested, pairs, 1).astype(float))
    band = np.where(tested, Z_95 / root, np.nan)
    family = np.where(tested, sidak_z(int(tested.sum())) / root, np.nan)
    return pd.DataFrame({"lag": lags, "pairs": pairs, "r": r, "band": band, "family_band": family})


# -- pre-whitening ---------------------------------------------------------------------------------

def _lag_matrix(values: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, X): the rows t where values_t and its `order` predecessors exist, and their design
    [1, v_{t-1}, …, v_{t-order}]."""
    n = len(values)
    present = ~np.isnan(values)
    ok = present.copy()
    ok[:order] = False
    for i in range(1, order + 1):
        ok[order:] &= present[order - i:n - i]
    rows = np.flatnonzero(ok)
    design = np.column_stack([np.ones(len(rows))] + [values[rows - i] for i in range(1, order + 1)])
    return rows, design


def ar_order(values: np.ndarray, max_order: int) -> int:
    """The AR order 0 … max_order of smallest AIC, n ln(ssr/n) + 2 (p + 1), all orders fitted on
    the rows complete for max_order (0 when those are too few to fit max_order)."""
    rows, design = _lag_matrix(values, max_order)
    if len(rows) <= design.shape[1]:
        return 0
    y = values[rows]
    best, best_aic = 0, np.inf
    for p in range(max_order + 1):
        coef = np.linalg.lstsq(design[:, :p + 1], y, rcond=None)[0]
        ssr = float(np.sum((y - design[:, :p + 1] @ coef) ** 2))
        aic = len(y) * np.log(ssr / len(y)) + 2 * (p + 1) if ssr > 0 else -np.inf
        if aic < best_aic:
            best, best_aic = p, aic
    return best


def ar_residuals(values: np.ndarray, max_order: int | None = None) -> tuple[np.ndarray, int]:
    """(residuals, p): `values` less their AR(p) prediction (constant included; p by `ar_order`,
    max_order default min(PREWHITEN_MAX_ORDER, present // 10)); NaN where the value or one of its
    p predecessors is missing. Fewer rows than needed: p = 0 (the values less their mean)."""
    values = np.asarray(values, dtype=float)
    if max_order is None:
        max_order = min(PREWHITEN_MAX_ORDER, int((~np.isnan(values)).sum()) // 10)
    p = ar_order(values, max_order)
    rows, design = _lag_matrix(values, p)
    residuals = np.full(len(values), np.nan)
    if len(rows):
        coef = np.linalg.lstsq(design, values[rows], rcond=None)[0]
        residuals[rows] = values[rows] - design @ coef
    return residuals, p


# -- the calendar regression -------------------------------------------------------------------------

@dataclass(frozen=True)
class CalendarRegression:
    """|log return| on the news measure with calendar dummies (see the module docstring).

    controls: the dummies in words ("weekday", "weekday and hour of day"); n: rows; k: parameters;
    hac_lags: Newey–West lags L; coef, se (HAC), t, p: of the news measure; partial_r, partial_p,
    partial_df: the partial correlation given the dummies. NaN where undefined."""

    controls: str
    n: int
    k: int
    hac_lags: int
    coef: float
    se: float
    t: float
    p: float
    partial_r: float
    partial_p: float
    partial_df: int


def _dummies(codes: np.ndarray) -> np.ndarray:
    """One column per category present in `codes` but the first (smallest)."""
    present = np.unique(codes)
    return np.column_stack([codes == c for c in present[1:]]).astype(float) if len(present) > 1 \
        else np.empty((len(codes), 0))


def calendar_controls(buckets: pd.Series, hourly: bool) -> np.ndarray:
    """The dummy columns of the buckets' weekday (and hour of day when `hourly`), UTC."""
    times = pd.DatetimeIndex(buckets).tz_convert("UTC")
    columns = [_dummies(times.day_of_week.to_numpy())]
    if hourly:
        columns.append(_dummies(times.hour.to_numpy()))
    return np.column_stack(columns) if columns else np.empty((len(times), 0))


def calendar_regression(x: np.ndarray, y: np.ndarray, buckets: pd.Series, hourly: bool) -> CalendarRegression:
    """The regression and partial correlation of the module docstring over the rows where x and
    y exist; `buckets`: each row's bucket start (tz-aware)."""
    import statsmodels.api as sm

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    dummies = calendar_controls(pd.Series(buckets)[both], hourly)
    controls = "weekday and hour of day" if hourly else "weekday"
    n, q = len(y), dummies.shape[1]
    k = 2 + q
    lags = hac_lags(n)
    nan = float("nan")
    empty = CalendarRegression(controls, n, k, lags, nan, nan, nan, nan, nan, nan, max(n - k, 0))
    base = np.column_stack([np.ones(n), dummies])
    design = np.column_stack([np.ones(n), x, dummies])
    if n <= k or np.ptp(x) == 0 or np.linalg.matrix_rank(design) < k:
        return empty
    fit = sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    ex = x - base @ np.linalg.lstsq(base, x, rcond=None)[0]
    ey = y - base @ np.linalg.lstsq(base, y, rcond=None)[0]
    df = n - 2 - q
    r = correlate(ex, ey, stats.pearsonr)[0]
    partial_p = nan
    if not np.isnan(r):
        t = r * np.sqrt(df / (1 - r * r)) if abs(r) < 1 else np.copysign(np.inf, r)
        partial_p = float(2 * stats.t.sf(abs(t), df))
    return CalendarRegression(controls, n, k, lags, float(fit.params[1]), float(fit.bse[1]), float(fit.tvalues[1]),
                              float(fit.pvalues[1]), r, partial_p, df)
