"""News intensity against volatility on a trading calendar (pure): headline count per bucket (hour
or day) against the absolute return per bucket — the regression with weekday (and hour) dummies
and Newey–West standard errors, the partial correlation given the weekday, the raw Pearson and
Spearman correlation, and the cross-correlation at lags −L … +L with a pointwise and a family band
per lag: does news come before the moves, or after? The statistics are dashboard.analysis.
intensity_stats'; the buckets and which of them were collected, intensity_calendar's; this module
builds the two series on that calendar.

Trading calendar. A grid of buckets of length B (1 hour or 1 day, from the epoch in UTC),
right-closed: (start, start + B]. A bar is in the bucket of the moment its close became known
(dashboard.analysis.alignment) — a Brent bar of day D, known at the 19:30 London settlement, in bucket D; a
Bank of Russia rate dated D, known at 17:00 Moscow time on D − 1, in bucket D − 1; an hourly bar
stamped 10:00 (known at 11:00) in the 10:00 bucket. The buckets that hold a bar are the trading
periods; the others (weekends, holidays, the hours between sessions) are closed periods. Only
trading periods are rows: t counts them, so for daily bars t + 1 is the next trading day. A
bucket's close is the close of its last bar; its return is the log return from the previous
trading period's close: |ln(close / previous close)|. The first bucket (no previous close),
buckets where either close is not positive, and buckets whose return would cross a bad bar
(ingest.bar_quality: one of the two closing bars or a bar between them is bad) have no return and
are left out (the last are counted: `n_flagged`).

Headlines. Each headline, at its aligned time, counts in the first trading period whose close
became known after it: the move that could react to it; its headline period is [previous close,
its close). A headline at the exact moment a close became known goes to the next period (that
close was already known); headlines after the last close count nowhere. A headline whose own
bucket of the grid is a closed period arrived while the market was closed: with `closed="next"`
(the default) it counts in the next trading period and is marked — the row's `closed` column
counts them (a weekend's headlines on Monday: daily counts on Mondays are 2–3 times the others);
with `closed="exclude"` it is left out of the counts (and still counted in `closed`). A headline
after a trading period's close but inside its grid bucket (Friday evening after the settlement)
is not a closed-period one: it counts in the next period either way. A headline dated to the day
only is aligned at the end of its day (so in that day's grid bucket), and counts only with daily
buckets: with hourly buckets it is left out (and counted: `n_day_only`).

Missing, not zero. A bucket with bars but no headline is quiet (0) only when headlines were
collected over its whole headline period:
- `coverage`: the store's count of ALL headlines (any source, any filter) per UTC day. A day is
  collected when its count is positive and at least `coverage_floor` (default 10%) of the median
  of the collected days' counts (positive ones) — a day with a few dozen headlines among days of a
  thousand is a collection gap, not a quiet day; coverage_floor = 0: only days without any
  headline are gaps. A bucket whose headline period touches a day not collected (a day outside
  the series counts as not collected; under closed="exclude" days without a trading period do
  not matter, their headlines being left out anyway) has no news value: it stays a row (its
  place in t) with `covered` False and its counts missing (<NA>), and is left out of the
  correlations, the regression and the lags (`n_uncovered`). For hourly buckets this is the day
  rule too: an hour of a collected day is collected.
- `since` / `until`: the span the headlines were read over (inclusive; whole seconds). A bucket
  whose headline period begins before `since` or ends after `until` lacks some of its headlines:
  its news value is missing too (`n_outside`) — a daily view starting at 00:00 leaves out its
  first trading day, whose period began at the previous evening's close.
Without `coverage` every period is taken as collected.

Statistics (intensity_stats): the calendar regression (|return| on the news measure with weekday
dummies, and hour-of-day ones for hourly buckets; Newey–West HAC) and the partial correlation
given the weekday; the raw (no controls) Pearson and Spearman r with p, over the rows with both
sides; r by lag of news_t with |return|_{t+k} (positive k: news leads the move; negative: the move
comes first — news reporting on moves) over the trading-period rows, each lag with its own n and
its pointwise (±1.96/√n_k) and Šidák family band; with `prewhiten`, the lags of the two series'
AR residuals (the regression and the raw correlations stay on the series themselves).

News measure. `news="count"` (the default) puts the headline count per bucket against the moves;
`news="risk"` the bucket's geopolitical-risk share instead — of the headlines counted in the
bucket, the share carrying any Caldara–Iacoviello category (their `gpr` tags, as
ingest.headline_tags.risk_index counts them). A bucket without headlines has no share: it is left out of the
correlations (pairs are the buckets where both sides exist).

Degenerate inputs (fewer than 3 pairs, a constant series) give NaN, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.alignment import day_only, headline_moments
from dashboard.analysis.choices import CLOSED_RULES, NEWS_MEASURES
from dashboard.analysis.intensity_calendar import bucket_closes, news_known
from dashboard.analysis.intensity_report import LAG_COLUMNS, intensity_lines
from dashboard.analysis.intensity_stats import (
    Z_95,
    CalendarRegression,
    ar_residuals,
    calendar_regression,
    check_lag,
    correlate,
    lagged_correlations,
    sidak_z,
)
from dashboard.analysis.moves import INTERVAL_LENGTH

__all__ = ["BUCKETS", "CLOSED_RULES", "COVERAGE_FLOOR", "NEWS_MEASURES", "IntensityResult", "Z_95",
           "intensity_vs_volatility", "lagged_correlations"]

BUCKETS: Mapping[str, timedelta] = MappingProxyType({"1h": timedelta(hours=1), "1d": timedelta(days=1)})
COVERAGE_FLOOR = 0.1                 # a day with less than this share of the median day's headlines: a gap
_NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class IntensityResult:
    """What `intensity_vs_volatility` found.

    aligned: one row per trading period with a return — bucket (UTC start, datetime64[ns, UTC]),
    headlines (Int64 count; <NA> where the news value is missing), closed (Int64: of the period's
    headlines, those that arrived while the market was closed — included in `headlines` under
    closed="next", not under "exclude"), risk_share (float, NaN without headlines or news value;
    only with news="risk"), abs_return (float), covered (bool: the period was collected and read
    in full). n: the rows with both sides; news: the measure ("count" or "risk"); closed: the
    closed-period rule. pearson_r/_p, spearman_r/_p: raw (no controls) scipy.stats.pearsonr /
    spearmanr of the news measure against abs_return (NaN when degenerate). regression: the
    calendar regression with HAC errors and the partial correlation (intensity_stats).
    lags: columns lag (−max_lag … max_lag), pairs (rows paired at that lag), r (corr of news_t with
    abs_return_{t+lag}; positive lag = news leads), band (1.96/√pairs), family_band (Šidák over the
    lags_tested lags with an r: family_z/√pairs); of the AR residuals when prewhitened (ar_orders:
    the orders chosen for news and |return|). band: the pointwise band at n (lag 0).
    Left out: n_flagged buckets whose return would cross a bad bar; n_day_only headlines dated to
    the day only (hourly buckets); n_uncovered buckets whose period touches a day without
    collection; n_outside buckets whose period is not wholly inside the headlines read. n_closed:
    headlines that arrived while the market was closed, over the rows with a news value.
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
    closed: str = "next"
    n_closed: int = 0
    n_uncovered: int = 0
    n_outside: int = 0
    regression: CalendarRegression | None = None
    prewhitened: bool = False
    ar_orders: tuple[int, int] | None = None
    family_z: float = float("nan")
    lags_tested: int = 0

    def summary(self, label: str = "the headlines") -> str:
        """What `newsmarks intensity` prints, as one text (`label` names the view)."""
        return "\n".join(intensity_lines(self, label))

    def to_frame(self) -> pd.DataFrame:
        """The cross-correlation by lag: lag, pairs, r, and each lag's bands from its own pairs —
        band (pointwise, ±1.96/√n) and family_band (Šidák over the lags tested)."""
        return self.lags[list(LAG_COLUMNS)].copy()


def _ns(moment: datetime | pd.Timestamp | None) -> int | None:
    return None if moment is None else pd.Timestamp(moment).tz_convert("UTC").as_unit("ns").value


def _validate(headlines: pd.DataFrame, bars: pd.DataFrame, bucket: str, max_lag: int, interval: str | None,
              news: str, closed: str, coverage_floor: float) -> str:
    """The bars' interval, after checking every argument (ValueError naming the bad one)."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r} (known: {', '.join(BUCKETS)})")
    check_lag(max_lag)
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
    if closed not in CLOSED_RULES:
        raise ValueError(f"unknown closed-period rule {closed!r} (known: {', '.join(CLOSED_RULES)})")
    if not 0 <= coverage_floor < 1:
        raise ValueError(f"coverage_floor must be in [0, 1), got {coverage_floor!r}")
    if "published" not in headlines.columns:
        raise ValueError("headlines frame lacks column published")
    if news == "risk" and "gpr" not in headlines.columns:
        raise ValueError("headlines frame lacks column gpr (needed for the risk share)")
    return interval


def intensity_vs_volatility(headlines: pd.DataFrame, bars: pd.DataFrame, bucket: str, max_lag: int = 10, *,
                            interval: str | None = None, news: str = "count", closed: str = "next",
                            coverage: pd.Series | None = None, coverage_floor: float = COVERAGE_FLOOR,
                            since: datetime | None = None, until: datetime | None = None,
                            prewhiten: bool = False) -> IntensityResult:
    """Headline count (or risk share, `news="risk"`) per trading period against absolute log
    return per trading period (see the module docstring).

    headlines: column published (tz-aware; NaT rows ignored), optionally day_precision, and gpr
    (';'-joined categories) for news="risk". bars: one instrument's bars of one interval, columns
    ts and known (tz-aware), close, optionally bad. bucket: '1h' or '1d'. interval: the bars'
    interval; default: the bars' `interval` column (one value), else `bucket`. It must not be
    longer than the bucket. closed: "next" (default) or "exclude". coverage: all stored headlines
    per UTC day (a Series indexed by tz-aware days), coverage_floor: the share of the median day
    below which a day is a gap; since/until: the span the headlines were read over (None: open).
    prewhiten: correlate the lags of AR residuals. ValueError for bad arguments or frames."""
    interval = _validate(headlines, bars, bucket, max_lag, interval, news, closed, coverage_floor)
    size = pd.Timedelta(BUCKETS[bucket]).as_unit("ns").value
    closes = bucket_closes(bars, size)

    published = headline_moments(headlines, "headlines")
    timed = published != _NAT
    n_day_only = 0
    if bucket != "1d":
        whole_day = day_only(headlines)
        n_day_only = int((whole_day & timed).sum())
        timed &= ~whole_day
    moments = published[timed]
    where = np.searchsorted(closes["closed"].to_numpy(), moments, side="right")
    inside = where < len(closes)
    grid = (moments - 1) // size * size                 # the headline's own bucket of the grid
    shut = ~np.isin(grid, closes["start"].to_numpy())   # a closed period: no bar became known in it
    counted = inside & ~shut if closed == "exclude" else inside
    counts = np.bincount(where[counted], minlength=len(closes)).astype(np.int64)
    shut_counts = np.bincount(where[inside & shut], minlength=len(closes)).astype(np.int64)

    close = closes["close"].to_numpy()
    prev = np.concatenate([[np.nan], close])[:len(close)]
    with np.errstate(divide="ignore", invalid="ignore"):
        abs_return = np.abs(np.log(close / prev))
    clean = closes["clean"].to_numpy()
    n_flagged = int((~clean[1:]).sum()) if len(clean) else 0
    keep = (prev > 0) & (close > 0) & clean
    outside, uncovered = news_known(closes, size, coverage, coverage_floor, closed, _ns(since), _ns(until))
    covered = ~(outside | uncovered)
    aligned = pd.DataFrame({
        "bucket": pd.Series(pd.to_datetime(closes["start"].to_numpy()[keep], unit="ns", utc=True)),
        "headlines": pd.arrays.IntegerArray(counts[keep], ~covered[keep]),    # missing, not 0
        "closed": pd.arrays.IntegerArray(shut_counts[keep], ~covered[keep]),
    })
    if news == "risk":
        tagged = headlines["gpr"].fillna("").astype(str).str.strip().ne("").to_numpy()[timed]
        risky = np.bincount(where[counted & tagged], minlength=len(closes)).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where((counts > 0) & covered, risky / counts, np.nan)
        aligned["risk_share"] = share[keep]
    aligned["abs_return"] = abs_return[keep]
    aligned["covered"] = covered[keep]

    x = (aligned["risk_share"].to_numpy(dtype=float) if news == "risk"
         else aligned["headlines"].to_numpy(dtype=float, na_value=np.nan))
    y = aligned["abs_return"].to_numpy()
    n = int((~(np.isnan(x) | np.isnan(y))).sum())   # buckets with both sides
    pearson = correlate(x, y, stats.pearsonr)
    spearman = correlate(x, y, stats.spearmanr)
    regression = calendar_regression(x, y, aligned["bucket"], hourly=bucket == "1h")
    ar_orders = None
    if prewhiten:
        (x, p_x), (y, p_y) = ar_residuals(x), ar_residuals(y)
        ar_orders = (p_x, p_y)
    lags = lagged_correlations(x, y, max_lag)
    tested = int(lags["r"].notna().sum())
    return IntensityResult(
        bucket=bucket, news=news, aligned=aligned, n=n, pearson_r=pearson[0], pearson_p=pearson[1],
        spearman_r=spearman[0], spearman_p=spearman[1], lags=lags, band=Z_95 / np.sqrt(n) if n else float("nan"),
        n_flagged=n_flagged, n_day_only=n_day_only, closed=closed,
        n_closed=int(aligned["closed"].sum(skipna=True)), n_uncovered=int((keep & uncovered & ~outside).sum()),
        n_outside=int((keep & outside).sum()), regression=regression, prewhitened=prewhiten, ar_orders=ar_orders,
        family_z=sidak_z(tested), lags_tested=tested)
