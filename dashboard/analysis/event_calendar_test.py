"""The calendar-time test of the event study (described in event_tests' docstring): the study's
one-bar returns regressed on an event-window indicator, with Newey-West standard errors."""

from __future__ import annotations

import math

import numpy as np

from dashboard.analysis.event_models import Returns
from dashboard.analysis.event_p_values import t_p


def hac_lags(n_obs: int) -> int:
    """Newey & West (1994)'s rule of thumb: floor(4 (T / 100)^(2/9))."""
    return int(math.floor(4.0 * (n_obs / 100.0) ** (2.0 / 9.0))) if n_obs > 0 else 0


def calendar_design(ret: Returns, bars: np.ndarray, window: int, length: int, model: str,
                    h: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, X) of the calendar-time regression (event_tests' docstring): X's last column is the event
    indicator; before it the constant (mean, market) and the benchmark's return (market)."""
    first = int(bars.min()) - window + (1 if model == "raw" else -length)
    last = int(bars.max()) + window
    index = np.arange(max(first, 1), min(last, len(ret) - 1) + 1)
    index = index[ret.valid[index]]
    span = len(ret) + h + 2
    cover = np.cumsum(np.bincount(bars + 1, minlength=span) - np.bincount(bars + h + 1, minlength=span))
    inside = (cover[index] > 0).astype(np.float64)
    columns = [] if model == "raw" else [np.ones(len(index))]
    if model == "market":
        columns.append(ret.m[index])
    return ret.r[index], np.column_stack([*columns, inside])


def calendar_time(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float, int, int]:
    """(coefficient of the indicator, its HAC t, p from t(B - 1), observations, lags); B: the runs
    of consecutive observations in event windows (event_tests' docstring)."""
    import statsmodels.api as sm

    n_obs, k = x.shape
    lags = hac_lags(n_obs)
    indicator = x[:, -1]
    blocks = int(indicator[0] > 0) + int(((indicator[1:] > 0) & (indicator[:-1] == 0)).sum()) if n_obs else 0
    if n_obs <= k + 1 or blocks < 2 or not indicator.any() or (k > 1 and indicator.all()):
        return math.nan, math.nan, math.nan, n_obs, lags
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    params, variance = fit.params, fit.cov_params()[-1, -1]
    se = math.sqrt(variance) if variance > 0 else math.nan
    t = float(params[-1] / se)
    return float(params[-1]), t, t_p(t, blocks - 1), n_obs, lags
