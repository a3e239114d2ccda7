"""Two-sided p-values of the event tests' statistics (t and standard normal; NaN where there is
none): one definition shared by every module of the event study's tests."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

NAN2 = (math.nan, math.nan)   # (statistic, p) of a test that cannot be computed


def t_p(stat: float, df: int) -> float:
    """Two-sided p of `stat` under t(df); NaN unless `stat` is finite and df > 0."""
    return float(2.0 * stats.t.sf(abs(stat), df)) if np.isfinite(stat) and df > 0 else math.nan


def z_p(stat: float) -> float:
    """Two-sided p of `stat` under N(0, 1); NaN unless `stat` is finite."""
    return float(2.0 * stats.norm.sf(abs(stat))) if np.isfinite(stat) else math.nan
