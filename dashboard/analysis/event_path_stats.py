"""The CAAR path's statistics (pure, vectorised): per k, the mean of the events' paths, its 95 %
band and the one-sample t-test against 0 — what the event study reports at +1 and +W."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


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
