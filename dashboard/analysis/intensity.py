"""News intensity against volatility (pure): headline count per bucket (hour or day) against the
absolute return per bucket — Pearson and Spearman correlation with p-values, and the
cross-correlation at lags −L … +L with its significance band: does news come before the moves, or
after?

Buckets. A bucket of length B (1 hour or 1 day, from the epoch in UTC) holds the bars whose close
became known in it (dashboard.alignment), right-closed: (start, start + B] — a Brent bar of day D,
known at the 19:30 London settlement, is in bucket D; a Bank of Russia rate dated D, known at
17:00 Moscow time on D - 1, in bucket D - 1; an hourly bar stamped 10:00 (known at 11:00) in the
10:00 bucket. Buckets with no bar are left out. A bucket's close is the close of its last bar;
its return is the log return from the previous bucket's close (the previous bucket with a bar):
|ln(close / previous close)|. The first bucket (no previous close), buckets where either close is
not positive, and buckets whose return would cross a bad bar (ingest.bar_quality: one of the two
closing bars or a bar between them is bad) have no return and are left out (the last are
counted: `n_flagged`).

Headlines. Each headline, at its aligned time, counts in the first bucket whose close (the known
time of its last bar) became known after it: the move that could react to it. A headline at the
exact moment a close became known goes to the next bucket (that close was already known);
headlines between bars — at night, on a weekend — go to the next bucket with a bar (for daily
bars: a weekend's headlines count on Monday); headlines after the last close count nowhere. A
headline dated to the day only is aligned at the end of its day, and counts only with daily
buckets: with hourly buckets it is left out (and counted: `n_day_only`).

Pass bars and headlines of the same range: buckets with bars but no headlines count as quiet (0).

Cross-correlation. r at lag k is the Pearson correlation of headlines_t with abs_return_{t+k}
over the aligned rows (t counts buckets with a bar and a return, so for daily bars 1 is the next
trading day): a positive lag means news leads the move, a negative one that the move comes first
(news reporting on moves). The band ±1.96/√n (n aligned rows) is the approximate 95% band of a
lagged correlation between unrelated series.

News measure. `news="count"` (the default) puts the headline count per bucket against the
moves; `news="risk"` the bucket's geopolitical-risk share instead — of the headlines counted in
the bucket, the share carrying any Caldara–Iacoviello category (their `gpr` tags, as
ingest.risk_index counts them). A bucket without headlines has no share: it is left out of the
correlations (pairs are the buckets where both sides exist).

Degenerate inputs (fewer than 3 pairs, a constant series) give NaN, never an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.alignment import day_only, headline_moments, known_bars
from dashboard.moves import INTERVAL_LENGTH

BUCKETS: Mapping[str, timedelta] = MappingProxyType({"1h": timedelta(hours=1), "1d": timedelta(days=1)})
NEWS_MEASURES = ("count", "risk")
Z_95 = 1.96
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class IntensityResult:
    """What `intensity_vs_volatility` found.

    aligned: one row per bucket with a bar and a return — bucket (UTC start, datetime64[ns, UTC]),
    headlines (int64 count), risk_share (float, NaN without headlines; only with news="risk"),
    abs_return (float). n: its row count; news: the measure correlated ("count" or "risk"). pearson_r/_p, spearman_r/_p:
    scipy.stats.pearsonr / spearmanr of headlines against abs_return (NaN when degenerate).
    lags: columns lag (−max_lag … max_lag), pairs (rows paired at that lag), r (corr of
    headlines_t with abs_return_{t+lag}; positive lag = news leads). band: 1.96/√n (NaN for n = 0).
    n_flagged: buckets left out because their return would cross a bad bar; n_day_only: headlines
    dated to the day only, left out of hourly buckets.
    """

    bucket: str
    news: str
    aligned: pd.DataFrame
    n: int
    pearson_r: float
    pearson_p: float
    spearman_r: float
    spearman_p: float
    lags: pd.DataFrame
    band: float
    n_flagged: int = 0
    n_day_only: int = 0


def _degenerate(x: np.ndarray, y: np.ndarray) -> bool:
    return len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0


def _correlate(x: np.ndarray, y: np.ndarray, method) -> tuple[float, float]:
    """(r, p) of scipy's `method` over the pairs where both sides exist, or NaNs for fewer than
    3 such pairs or a constant series."""
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if _degenerate(x, y):
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        result = method(x, y)
    return float(result.statistic), float(result.pvalue)


def _check_lag(max_lag: int) -> None:
    if isinstance(max_lag, bool) or not isinstance(max_lag, int | np.integer) or max_lag < 0:
        raise ValueError(f"max_lag must be a non-negative integer, got {max_lag!r}")


def lagged_correlations(x: np.ndarray, y: np.ndarray, max_lag: int) -> pd.DataFrame:
    """Pearson r of x_t with y_{t+lag} for lag −max_lag … max_lag over the overlapping pairs where
    both sides exist: columns lag, pairs, r (NaN when fewer than 3 pairs or a side is constant)."""
    _check_lag(max_lag)
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
        r[i] = _correlate(a, b, stats.pearsonr)[0]
    return pd.DataFrame({"lag": lags, "pairs": pairs, "r": r})


def _bucket_closes(bars: pd.DataFrame, size: int) -> pd.DataFrame:
    """Per bucket with a bar: bucket start and close time (int64 ns UTC, the known time of its
    last bar), close, and whether the return from the previous bucket's close is clean (no bad
    bar from the previous bucket's last bar to this bucket's last bar)."""
    series = known_bars(bars, "bars")
    known = series.known
    start = (known - 1) // size * size            # right-closed buckets: (start, start + size]
    last = np.ones(len(start), dtype=bool)
    last[:-1] = start[1:] != start[:-1]           # known times ascend: the bucket's last bar
    ends = np.flatnonzero(last)
    previous = np.concatenate([[-1], ends[:-1]])
    clean = series.clean(previous, ends)
    return pd.DataFrame({"start": start[ends], "closed": known[ends], "close": series.close[ends],
                         "clean": clean})


def intensity_vs_volatility(headlines: pd.DataFrame, bars: pd.DataFrame, bucket: str, max_lag: int = 10, *,
                            interval: str | None = None, news: str = "count") -> IntensityResult:
    """Headline count (or risk share, `news="risk"`) per bucket against absolute log return per
    bucket (see the module docstring).

    headlines: column published (tz-aware; NaT rows ignored), optionally day_precision, and gpr
    (';'-joined categories) for news="risk". bars: one instrument's bars of one interval, columns
    ts and known (tz-aware), close, optionally bad. bucket: '1h' or '1d'. interval: the bars' interval;
    default: the bars' `interval` column (one value), else `bucket`. It must not be longer than the
    bucket. ValueError for bad arguments or frames."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r} (known: {', '.join(BUCKETS)})")
    _check_lag(max_lag)
    if interval is None:
        values = bars["interval"].unique() if "interval" in bars.columns else [bucket]
        if len(values) > 1:
            raise ValueError(f"bars must have one interval, found {', '.join(sorted(map(str, values)))}")
        interval = str(values[0]) if len(values) else bucket
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    if INTERVAL_LENGTH[interval] > BUCKETS[bucket]:
        raise ValueError(f"{interval} bars cannot be put into {bucket} buckets (bucket shorter than a bar)")
    if news not in NEWS_MEASURES:
        raise ValueError(f"unknown news measure {news!r} (known: {', '.join(NEWS_MEASURES)})")
    if "published" not in headlines.columns:
        raise ValueError("headlines frame lacks column published")
    if news == "risk" and "gpr" not in headlines.columns:
        raise ValueError("headlines frame lacks column gpr (needed for the risk share)")
    size = pd.Timedelta(BUCKETS[bucket]).as_unit("ns").value
    closes = _bucket_closes(bars, size)

    published = headline_moments(headlines, "headlines")
    timed = published != _NAT
    n_day_only = 0
    if bucket != "1d":
        whole_day = day_only(headlines)
        n_day_only = int((whole_day & timed).sum())
        timed &= ~whole_day
    where = np.searchsorted(closes["closed"].to_numpy(), published[timed], side="right")
    inside = where < len(closes)
    counts = np.bincount(where[inside], minlength=len(closes)).astype(np.int64)

    close = closes["close"].to_numpy()
    prev = np.concatenate([[np.nan], close])[:len(close)]
    with np.errstate(divide="ignore", invalid="ignore"):
        abs_return = np.abs(np.log(close / prev))
    clean = closes["clean"].to_numpy()
    n_flagged = int((~clean[1:]).sum()) if len(clean) else 0
    keep = (prev > 0) & (close > 0) & clean
    aligned = pd.DataFrame({
        "bucket": pd.Series(pd.to_datetime(closes["start"].to_numpy()[keep], unit="ns", utc=True)),
        "headlines": counts[keep],
    })
    if news == "risk":
        tagged = headlines["gpr"].fillna("").astype(str).str.strip().ne("").to_numpy()[timed][inside]
        risky = np.bincount(where[inside][tagged], minlength=len(closes)).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(counts > 0, risky / counts, np.nan)
        aligned["risk_share"] = share[keep]
    aligned["abs_return"] = abs_return[keep]
    x = aligned["risk_share" if news == "risk" else "headlines"].to_numpy(dtype=float)
    y = aligned["abs_return"].to_numpy()
    n = int((~(np.isnan(x) | np.isnan(y))).sum())   # buckets with both sides
    pearson = _correlate(x, y, stats.pearsonr)
    spearman = _correlate(x, y, stats.spearmanr)
    return IntensityResult(bucket=bucket, news=news, aligned=aligned, n=n, pearson_r=pearson[0], pearson_p=pearson[1],
                           spearman_r=spearman[0], spearman_p=spearman[1],
                           lags=lagged_correlations(x, y, max_lag),
                           band=Z_95 / np.sqrt(n) if n else float("nan"), n_flagged=n_flagged, n_day_only=n_day_only)
