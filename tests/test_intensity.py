"""News intensity against volatility: buckets by when each close became known (the Bank of Russia
and Brent rules), headlines counted in the next bucket close, returns never across a bad bar
(n_flagged), headlines dated to the day only left out of hourly buckets (n_day_only), correlations
equal to scipy's on the bucketed series computed by hand, the lag table — hand-made frames, Brent
(EIA) and the rouble (Yahoo, with its bad ticks) against BBC business headlines. Then the trading
calendar (closed-market headlines marked or left out, checked headline by headline), collection
gaps as missing, the weekday regression with Newey–West errors and the partial correlation against
statsmodels run here, a weekend pile-up with no true link, the per-lag bands and pre-whitening."""

from __future__ import annotations

import bisect
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.tsa.ar_model import ar_select_order

from dashboard.analysis.intensity import intensity_vs_volatility, lagged_correlations
from dashboard.analysis.intensity_stats import ar_residuals
from dashboard.analysis.moves import INTERVAL_LENGTH
from ingest.bar_quality import bad_mask
from ingest.close_rules import cbr_rule, parse_rule
from ingest.csvio import read_headlines_csv
from ingest.csvio.csv_prices import read_prices_csv

UTC_TS = "datetime64[ns, UTC]"


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def bars_frame(rows: list[tuple[str, float]], interval: str = "1d") -> pd.DataFrame:
    """Bars known one interval after their stamp (daily ones at the end of their UTC day)."""
    ts = pd.to_datetime([d for d, _ in rows], format="ISO8601").tz_localize("UTC")
    return pd.DataFrame({"instrument_id": "brent", "interval": interval, "ts": ts,
                         "known": ts + pd.Timedelta(INTERVAL_LENGTH[interval]),
                         "close": [c for _, c in rows]})


def published(*times) -> pd.DataFrame:
    return pd.DataFrame({"published": pd.to_datetime(list(times), format="ISO8601").tz_localize("UTC")
                         .as_unit("s")})


DAILY = bars_frame([("2022-03-03", 100.0), ("2022-03-04", 110.0), ("2022-03-07", 99.0),
                    ("2022-03-08", 99.0), ("2022-03-09", 104.94)])
HEADLINES = published(
    "2022-03-03 12:00",   # → 03-03, the first bucket: it has no return, left out
    "2022-03-04 00:00",   # the moment 03-03's close became known → the next bucket, 03-04
    "2022-03-04 23:59",   # → 03-04
    "2022-03-05 00:00",   # when 03-04's close became known → 03-07 (the next bar)
    "2022-03-05 10:00",   # Saturday → 03-07
    "2022-03-06 22:00",   # Sunday → 03-07
    "2022-03-07 09:00",   # → 03-07
    "2022-03-09 10:00",   # → 03-09
    "2022-03-10 00:00",   # when 03-09's close became known, the last close: counted nowhere
    None,                 # no time: ignored
)


def test_daily_buckets_count_headlines_in_the_next_bar_close_and_take_absolute_log_returns():
    result = intensity_vs_volatility(HEADLINES, DAILY, "1d")
    aligned = result.aligned
    assert list(aligned.columns) == ["bucket", "headlines", "closed", "abs_return", "covered"]
    # the Saturday and Sunday headlines arrived while the market was closed (no bar in their day):
    # counted on Monday and marked; the one at 03-05 00:00 is in 03-04's day (right-closed), after
    # its close: counted on Monday, not marked
    assert aligned["closed"].tolist() == [0, 2, 0, 0] and aligned["covered"].all()
    assert str(aligned["headlines"].dtype) == "Int64" and result.n_closed == 2 and result.closed == "next"
    assert aligned["bucket"].tolist() == [t("2022-03-04"), t("2022-03-07"), t("2022-03-08"), t("2022-03-09")]
    assert str(aligned["bucket"].dtype) == UTC_TS
    assert aligned["headlines"].tolist() == [2, 4, 0, 1]
    assert aligned["abs_return"].tolist() == [abs(np.log(110.0 / 100.0)), abs(np.log(99.0 / 110.0)), 0.0,
                                              abs(np.log(104.94 / 99.0))]
    assert result.n == 4 and result.bucket == "1d" and (result.n_flagged, result.n_day_only) == (0, 0)
    x, y = [2.0, 4.0, 0.0, 1.0], aligned["abs_return"].to_numpy()
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert (result.pearson_r, result.pearson_p) == (pearson.statistic, pearson.pvalue)
    assert (result.spearman_r, result.spearman_p) == (spearman.statistic, spearman.pvalue)
    # hand-computed: ranks of x (3, 4, 1, 2) and of y (3, 4, 1, 2) agree → Spearman 1
    assert result.spearman_r == pytest.approx(1.0, abs=1e-12)
    assert result.band == 1.96 / 2.0
    # with 4 rows only lags -1..1 have 3 pairs
    lags = result.lags
    assert lags["lag"].tolist() == list(range(-10, 11))
    assert lags["pairs"].tolist() == [0] * 7 + [1, 2, 3, 4, 3, 2, 1] + [0] * 7
    assert lags["r"].notna().tolist() == [False] * 9 + [True] * 3 + [False] * 9
    assert lags.loc[lags["lag"] == 0, "r"].item() == pearson.statistic
    assert lags.loc[lags["lag"] == 1, "r"].item() == stats.pearsonr(x[:3], y[1:]).statistic
    assert lags.loc[lags["lag"] == -1, "r"].item() == stats.pearsonr(x[1:], y[:3]).statistic


def test_hourly_bars_in_daily_buckets_take_each_day_its_last_close():
    bars = bars_frame([("2022-03-06 23:00", 50.0), ("2022-03-07 08:00", 51.0), ("2022-03-07 10:00", 55.0),
                       ("2022-03-08 08:00", 44.0), ("2022-03-08 09:00", 52.0)], interval="1h")
    news = published("2022-03-06 23:30",   # before the 23:00 bar's close (00:00) → 03-06 (no return)
                     "2022-03-07 10:59",   # → 03-07 (its last bar's close is known at 11:00)
                     "2022-03-07 11:00",   # after 03-07's last close → 03-08
                     "2022-03-07 22:00")   # → 03-08
    result = intensity_vs_volatility(news, bars, "1d")
    assert result.aligned["bucket"].tolist() == [t("2022-03-07"), t("2022-03-08")]
    assert result.aligned["headlines"].tolist() == [1, 2]
    assert result.aligned["abs_return"].tolist() == [abs(np.log(55.0 / 50.0)), abs(np.log(52.0 / 55.0))]
    hourly = intensity_vs_volatility(news, bars, "1h", max_lag=2)
    assert hourly.aligned["bucket"].tolist() == [t("2022-03-07 08:00"), t("2022-03-07 10:00"),
                                                 t("2022-03-08 08:00"), t("2022-03-08 09:00")]
    assert hourly.aligned["headlines"].tolist() == [0, 1, 2, 0]
    assert hourly.aligned["abs_return"].tolist() == [abs(np.log(51.0 / 50.0)), abs(np.log(55.0 / 51.0)),
                                                     abs(np.log(44.0 / 55.0)), abs(np.log(52.0 / 44.0))]
    assert hourly.lags["lag"].tolist() == [-2, -1, 0, 1, 2]


def test_news_leading_the_moves_by_two_buckets_peaks_at_lag_plus_two():
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 9, size=40)
    size = np.empty(40)
    size[2:] = 0.002 * (counts[:-2] + 1)          # the move two buckets after the news
    size[:2] = [0.004, 0.006]
    steps = size * np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    days = pd.date_range("2022-01-01", periods=41, freq="D", tz="UTC")
    bars = pd.DataFrame({"ts": days, "known": days + pd.Timedelta(days=1),
                         "close": 80.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))})
    news = pd.DataFrame({"published": np.repeat(days[1:] + pd.Timedelta(hours=12), counts)})
    result = intensity_vs_volatility(news, bars, "1d", max_lag=5)
    assert result.aligned["headlines"].tolist() == counts.tolist()
    assert result.aligned["abs_return"].to_numpy() == pytest.approx(size, rel=1e-9)
    lags = result.lags.set_index("lag")
    assert lags["r"].idxmax() == 2
    assert lags.loc[2, "r"] == pytest.approx(1.0, abs=1e-9)
    assert lags.loc[2, "pairs"] == 38
    x, y = counts.astype(float), result.aligned["abs_return"].to_numpy()
    assert lags.loc[-3, "r"] == stats.pearsonr(x[3:], y[:-3]).statistic
    assert lags.loc[5, "r"] == stats.pearsonr(x[:-5], y[5:]).statistic
    assert abs(lags.loc[-2, "r"]) < 0.5
    assert result.band == 1.96 / np.sqrt(40)


def test_degenerate_inputs_give_nan_without_warnings_or_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = intensity_vs_volatility(published(), DAILY, "1d", max_lag=1)   # counts all zero
        assert quiet.aligned["headlines"].tolist() == [0, 0, 0, 0]
        assert np.isnan([quiet.pearson_r, quiet.pearson_p, quiet.spearman_r, quiet.spearman_p]).all()
        assert quiet.lags["r"].isna().all()
        short = intensity_vs_volatility(HEADLINES, DAILY.iloc[:3], "1d")     # n = 2
        assert short.n == 2 and np.isnan(short.pearson_r) and np.isnan(short.spearman_p)
        none = intensity_vs_volatility(HEADLINES, DAILY.iloc[:0], "1d", max_lag=0)
        assert none.n == 0 and np.isnan(none.band) and none.lags["pairs"].tolist() == [0]
        assert np.isnan(none.lags["r"]).all() and np.isnan(none.pearson_r)
        flat = lagged_correlations(np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 5.0, 5.0, 5.0]), 1)
        assert flat["r"].isna().all() and flat["pairs"].tolist() == [3, 4, 3]


def test_interval_comes_from_the_bars_or_the_argument():
    plain = DAILY.drop(columns=["interval", "instrument_id"])
    assert intensity_vs_volatility(HEADLINES, plain, "1d").aligned["headlines"].tolist() == [2, 4, 0, 1]
    with pytest.raises(ValueError, match="1d bars cannot be put into 1h buckets"):
        intensity_vs_volatility(HEADLINES, DAILY, "1h")
    with pytest.raises(ValueError, match="1d bars cannot be put into 1h buckets"):
        intensity_vs_volatility(HEADLINES, plain, "1h", interval="1d")
    with pytest.raises(ValueError, match="bars must have one interval, found 1d, 1h"):
        intensity_vs_volatility(HEADLINES, pd.concat([DAILY, DAILY.assign(interval="1h")]), "1d")


@pytest.mark.parametrize("kwargs, message", [
    ({"bucket": "1w"}, "unknown bucket '1w'"),
    ({"max_lag": -1}, "max_lag must be a non-negative integer"),
    ({"max_lag": 1.5}, "max_lag must be a non-negative integer"),
    ({"interval": "5m"}, "unknown interval '5m'"),
])
def test_bad_arguments_raise_value_errors_that_name_them(kwargs, message):
    args = {"bucket": "1d", **kwargs}
    with pytest.raises(ValueError, match=message):
        intensity_vs_volatility(HEADLINES, DAILY.drop(columns="interval"), **args)


def test_bad_frames_raise_value_errors_that_name_them():
    with pytest.raises(ValueError, match="headlines frame lacks column published"):
        intensity_vs_volatility(HEADLINES.rename(columns={"published": "time"}), DAILY, "1d")
    with pytest.raises(ValueError, match="headlines.published must be tz-aware"):
        intensity_vs_volatility(HEADLINES.assign(published=HEADLINES["published"].dt.tz_localize(None)),
                                DAILY, "1d")
    with pytest.raises(ValueError, match="bars.ts must be tz-aware"):
        intensity_vs_volatility(HEADLINES, DAILY.assign(ts=DAILY["ts"].dt.tz_localize(None)), "1d")
    with pytest.raises(ValueError, match="bars.known must be tz-aware"):
        intensity_vs_volatility(HEADLINES, DAILY.assign(known=DAILY["known"].dt.tz_localize(None)), "1d")
    with pytest.raises(ValueError, match=r"bars frame lacks column\(s\) known"):
        intensity_vs_volatility(HEADLINES, DAILY.drop(columns="known"), "1d")
    with pytest.raises(ValueError, match="series differ in length"):
        lagged_correlations(np.zeros(3), np.zeros(4), 1)


def test_brent_daily_against_bbc_business_headlines(shared_data):
    prices = pd.read_csv(shared_data / "brent-daily.csv")
    prices["ts"] = pd.to_datetime(prices["Date"]).dt.tz_localize("UTC")
    prices = prices[(prices["ts"] >= t("2022-03-04")) & (prices["ts"] <= t("2024-04-30"))].reset_index(drop=True)
    imported = read_headlines_csv(shared_data / "bbc-business-rss-2022-2024.csv",
                                  fetched=datetime(2025, 1, 1, tzinfo=UTC))
    headlines = pd.DataFrame({"published": pd.to_datetime([h.published for h in imported.headlines], utc=True)})

    bars = pd.DataFrame({"ts": prices["ts"], "known": parse_rule("24:00 UTC").known(prices["ts"]),
                         "close": prices["Price"]})
    result = intensity_vs_volatility(headlines, bars, "1d")

    # expected, independently: a headline on day D counts on the first trading day >= D (EIA's
    # close of D is taken as known at D+1 00:00); none after the last trading day; the first day
    # has no return
    days = prices["ts"].to_numpy()
    day_of = headlines["published"].dt.floor("D").dt.as_unit("ns").to_numpy()
    slot = np.searchsorted(days, day_of, side="left")
    per_day = pd.Series(slot[slot < len(days)]).value_counts().reindex(range(len(days)), fill_value=0)
    trading = set(prices["ts"])
    weekend = [(p - pd.Timedelta(1, "ns")).floor("D") not in trading for p in headlines["published"]]
    closed_per_day = pd.Series(slot[(slot < len(days)) & np.array(weekend)]).value_counts().reindex(
        range(len(days)), fill_value=0)
    expected = pd.DataFrame({"bucket": prices["ts"].dt.as_unit("ns"), "headlines": per_day.to_numpy(),
                             "closed": closed_per_day.to_numpy(),
                             "abs_return": np.log(prices["Price"] / prices["Price"].shift()).abs(),
                             "covered": True}).iloc[1:]
    pd.testing.assert_frame_equal(result.aligned, expected.reset_index(drop=True), check_dtype=False)
    assert result.n == len(prices) - 1 == 542
    # the week-end of the invasion shock: Saturday to Monday 2022-03-05..07 all count on Monday
    monday = result.aligned.set_index("bucket").loc[t("2022-03-07"), "headlines"]
    assert monday == ((headlines["published"] >= t("2022-03-05")) & (headlines["published"] < t("2022-03-08"))).sum()

    x, y = expected["headlines"].to_numpy(dtype=float), expected["abs_return"].to_numpy()
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert (result.pearson_r, result.pearson_p) == (pearson.statistic, pearson.pvalue)
    assert (result.spearman_r, result.spearman_p) == (spearman.statistic, spearman.pvalue)
    lags = result.lags.set_index("lag")
    assert lags.loc[0, "r"] == pearson.statistic
    assert lags.loc[1, "r"] == stats.pearsonr(x[:-1], y[1:]).statistic
    assert lags.loc[-1, "r"] == stats.pearsonr(x[1:], y[:-1]).statistic
    assert result.band == 1.96 / np.sqrt(542)


def test_risk_share_as_the_news_side_leaves_out_buckets_without_headlines():
    tagged = HEADLINES.assign(gpr=["war_threats", "", "terror_acts;war_threats", None, "", "",
                                   "beginning_of_war", "", "", "war_threats"])
    result = intensity_vs_volatility(tagged, DAILY, "1d", 1, news="risk")
    aligned = result.aligned
    assert list(aligned.columns) == ["bucket", "headlines", "closed", "risk_share", "abs_return", "covered"]
    assert aligned["headlines"].tolist() == [2, 4, 0, 1]
    # 03-04: 1 of 2 tagged; 03-07: 1 of 4 (the weekend's two and Monday's one, only Monday tagged);
    # 03-08: no headline, no share; 03-09: 0 of 1
    assert aligned["risk_share"].tolist()[:2] == [0.5, 0.25] and np.isnan(aligned["risk_share"].iloc[2])
    assert aligned["risk_share"].iloc[3] == 0.0
    assert result.n == 3 and result.news == "risk" and result.band == 1.96 / np.sqrt(3)
    x, y = np.array([0.5, 0.25, 0.0]), aligned["abs_return"].to_numpy()[[0, 1, 3]]
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert (result.pearson_r, result.pearson_p) == (pearson.statistic, pearson.pvalue)
    assert (result.spearman_r, result.spearman_p) == (spearman.statistic, spearman.pvalue)
    # lag 1: share_t against return_{t+1}: (0.5, r[1]), (0.25, r[2]), (NaN, r[3]) -> 2 pairs, r undefined
    assert result.lags["pairs"].tolist() == [2, 3, 2] and np.isnan(result.lags["r"].iloc[2])
    with pytest.raises(ValueError, match="lacks column gpr"):
        intensity_vs_volatility(HEADLINES, DAILY, "1d", news="risk")
    with pytest.raises(ValueError, match="unknown news measure 'tone'"):
        intensity_vs_volatility(tagged, DAILY, "1d", news="tone")


# -- the close rules, flagged bars, dates alone, provisional bars --------------------------------

def test_bank_of_russia_rates_fall_in_the_bucket_of_the_day_they_were_published():
    # rates dated Fri 2025-01-10, Sat 01-11, Tue 01-14, Wed 01-15, Thu 01-16: each known at 14:00
    # UTC the day before (Thursday, Friday, Monday, Tuesday, Wednesday) and in that day's bucket
    days = pd.Series(pd.to_datetime(["2025-01-10", "2025-01-11", "2025-01-14", "2025-01-15", "2025-01-16"], utc=True))
    closes = [101.6797, 101.9146, 102.4651, 102.3429, 101.4361]
    bars = pd.DataFrame({"ts": days, "known": cbr_rule().known(days), "close": closes})
    news = published("2025-01-09 15:00",   # after Friday's rate (Thu 14:00) → Saturday's, bucket 01-10
                     "2025-01-12 10:00",   # Sunday → Tuesday's rate, published Monday: bucket 01-13
                     "2025-01-13 13:59",   # → 01-13
                     "2025-01-13 14:00",   # the moment Tuesday's rate was published → Wednesday's, 01-14
                     "2025-01-14 13:00",   # → 01-14
                     "2025-01-15 20:00")   # after the last rate was published: nowhere
    result = intensity_vs_volatility(news, bars, "1d", max_lag=1)
    aligned = result.aligned
    assert aligned["bucket"].tolist() == [t("2025-01-10"), t("2025-01-13"), t("2025-01-14"), t("2025-01-15")]
    assert aligned["headlines"].tolist() == [1, 2, 2, 0]
    y = [abs(np.log(closes[i + 1] / closes[i])) for i in range(4)]
    assert aligned["abs_return"].tolist() == y
    pearson = stats.pearsonr([1.0, 2.0, 2.0, 0.0], y)
    assert (result.pearson_r, result.pearson_p) == (pearson.statistic, pearson.pvalue)


@pytest.mark.parametrize("month, known", [("01", "19:30"), ("07", "18:30")])
def test_brent_closes_known_at_the_london_settlement_fall_in_their_own_day(month, known):
    days = pd.Series(pd.to_datetime([f"2025-{month}-{d}" for d in (14, 15, 16, 17)], utc=True))
    bars = pd.DataFrame({"ts": days, "known": parse_rule("19:30 Europe/London").known(days),
                         "close": [80.0, 82.0, 78.0, 79.0]})
    assert bars["known"].iat[1] == t(f"2025-{month}-15 {known}")
    # 18:00 on the 15th: before its settlement (bucket 15); 20:00: after it (bucket 16)
    news = published(f"2025-{month}-15 18:00", f"2025-{month}-15 20:00", f"2025-{month}-16 20:00")
    result = intensity_vs_volatility(news, bars, "1d", max_lag=0)
    assert result.aligned["bucket"].tolist() == [t(f"2025-{month}-{d}") for d in (15, 16, 17)]
    assert result.aligned["headlines"].tolist() == [1, 1, 1]


def test_bucket_returns_across_bad_bars_are_left_out_and_r_is_scipys_on_the_rest():
    rng = np.random.default_rng(4)
    n = 60
    days = pd.date_range("2022-01-03", periods=n, freq="D", tz="UTC")
    closes = 80.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    bad = np.zeros(n, dtype=bool)
    bad[[10, 11, 30, 59]] = True                       # two in a row, one alone, the last bar
    closes[bad] = [0.8, 800.0, -1.0, 0.0]               # bad ticks: any close
    counts = rng.integers(0, 6, size=n)
    news = pd.DataFrame({"published": np.repeat(days + pd.Timedelta(hours=12), counts)})
    bars = pd.DataFrame({"ts": days, "known": days + pd.Timedelta(days=1), "close": closes, "bad": bad})
    result = intensity_vs_volatility(news, bars, "1d", max_lag=3)
    # by hand: bucket i has a return when i >= 1 and neither bar i nor i - 1 is bad
    keep = [i for i in range(1, n) if not (bad[i] or bad[i - 1])]
    assert len(keep) == n - 1 - 6 and result.n_flagged == 6        # the returns of 10, 11, 12, 30, 31, 59
    assert result.aligned["bucket"].tolist() == [days[i] for i in keep]
    x = counts[keep].astype(float)
    y = np.array([abs(np.log(closes[i] / closes[i - 1])) for i in keep])
    assert result.aligned["headlines"].tolist() == counts[keep].tolist()
    assert result.aligned["abs_return"].to_numpy() == pytest.approx(y, rel=1e-14)
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert result.pearson_r == pytest.approx(pearson.statistic, rel=1e-12)
    assert result.spearman_r == pytest.approx(spearman.statistic, rel=1e-12)
    assert result.n == len(keep) and result.band == 1.96 / np.sqrt(len(keep))
    lags = result.lags.set_index("lag")
    assert lags.loc[2, "r"] == pytest.approx(stats.pearsonr(x[:-2], y[2:]).statistic, rel=1e-12)
    assert lags.loc[-3, "r"] == pytest.approx(stats.pearsonr(x[3:], y[:-3]).statistic, rel=1e-12)


def test_a_date_alone_counts_at_the_end_of_its_day_in_daily_buckets_and_nowhere_in_hourly_ones():
    news = published("2022-03-04 00:00", "2022-03-07 00:00", "2022-03-07 09:00")
    news["day_precision"] = [True, True, False]
    # 03-04 alone → 03-05 00:00, the moment 03-04's close became known → Monday 03-07's bucket;
    # 03-07 alone → 03-08 00:00 → 03-08's bucket; 09:00 on 03-07 → 03-07
    daily = intensity_vs_volatility(news, DAILY, "1d", max_lag=0)
    assert daily.aligned["headlines"].tolist() == [0, 2, 1, 0] and daily.n_day_only == 0
    hours = pd.Series(pd.date_range("2022-03-07 07:00", periods=4, freq="h", tz="UTC"))
    hourly_bars = pd.DataFrame({"ts": hours, "known": hours + pd.Timedelta(hours=1), "close": [50.0, 51.0, 49.0, 52.0]})
    hourly = intensity_vs_volatility(news, hourly_bars, "1h", max_lag=0)
    assert hourly.n_day_only == 2
    assert hourly.aligned["bucket"].tolist() == [t("2022-03-07 08:00"), t("2022-03-07 09:00"), t("2022-03-07 10:00")]
    assert hourly.aligned["headlines"].tolist() == [0, 1, 0]


def test_provisional_bars_are_left_out():
    bars = DAILY.copy()
    bars.loc[4, "known"] = pd.NaT               # 03-09's close stored before it became known
    result = intensity_vs_volatility(HEADLINES, bars, "1d")
    assert result.aligned["bucket"].tolist() == [t("2022-03-04"), t("2022-03-07"), t("2022-03-08")]
    # the 03-09 headline has no later close to count in
    assert result.aligned["headlines"].tolist() == [2, 4, 0]


def test_rouble_daily_against_bbc_headlines_leaves_out_its_bad_ticks(shared_data):
    imported = read_prices_csv(shared_data / "yahoo" / "RUB=X_1d_yfinance-history_2003-2024.csv", interval="1d",
                               close_rule=parse_rule("24:00 Europe/London")).bars
    prices = imported[imported["ts"] >= t("2022-01-01")].reset_index(drop=True)
    bars = prices[["ts", "known", "close"]].assign(bad=bad_mask(prices["flag"], prices["review"]))
    assert bars["bad"].sum() == 6
    news = read_headlines_csv(shared_data / "bbc-business-rss-2022-2024.csv", fetched=datetime(2025, 1, 1, tzinfo=UTC))
    headlines = pd.DataFrame({"published": pd.to_datetime([h.published for h in news.headlines], utc=True)})
    result = intensity_vs_volatility(headlines, bars, "1d", max_lag=2)

    # expected, independently: the London day's close (known at 23:00 or 24:00 UTC) is in the
    # bucket of its own day; a headline counts on the first bar whose close became known after it
    known = bars["known"].tolist()
    slot = [bisect.bisect_right(known, p) for p in headlines["published"]]
    per_bar = np.bincount([s for s in slot if s < len(bars)], minlength=len(bars))
    bad = bars["bad"].tolist()
    keep = [i for i in range(1, len(bars)) if not (bad[i] or bad[i - 1])]
    assert result.n_flagged == len(bars) - 1 - len(keep) == 12
    close = bars["close"].tolist()
    trading = {(k - pd.Timedelta(1, "ns")).floor("D") for k in known}        # the days a close became known in
    shut = [s for s, p in zip(slot, headlines["published"], strict=True)
            if s < len(bars) and (p - pd.Timedelta(1, "ns")).floor("D") not in trading]
    per_bar_closed = np.bincount(shut, minlength=len(bars))
    expected = pd.DataFrame({"bucket": bars["ts"].iloc[keep].dt.as_unit("ns").reset_index(drop=True),
                             "headlines": per_bar[keep], "closed": per_bar_closed[keep],
                             "abs_return": [abs(np.log(close[i] / close[i - 1])) for i in keep], "covered": True})
    pd.testing.assert_frame_equal(result.aligned, expected, check_dtype=False, rtol=1e-14)
    # no log(5 / 76) = 2.7 among them: the largest is 2022-03-01's real jump, 83.26 → 104.97
    largest = result.aligned.loc[result.aligned["abs_return"].idxmax()]
    assert largest["bucket"] == t("2022-03-01") and largest["abs_return"] < 0.24
    x, y = expected["headlines"].to_numpy(dtype=float), expected["abs_return"].to_numpy()
    assert result.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic, rel=1e-12)
    assert result.lags.set_index("lag").loc[1, "r"] == pytest.approx(stats.pearsonr(x[:-1], y[1:]).statistic,
                                                                     rel=1e-12)


# -- the trading calendar, collection gaps, the weekday regression, the lag bands ------------------

ONE_NS = pd.Timedelta(1, "ns")
SETTLEMENT = pd.Timedelta(hours=18, minutes=30)   # Brent's 19:30 London in summer, as UTC


def weekday_bars(days: pd.DatetimeIndex, closes: np.ndarray) -> pd.DataFrame:
    """Daily bars of `days`, each close known at 18:30 UTC on its day."""
    return pd.DataFrame({"ts": days, "known": days + SETTLEMENT, "close": closes})


def random_headlines(rng, first: pd.Timestamp, last: pd.Timestamp, per_day: float) -> pd.DataFrame:
    """Poisson(per_day) headlines on every calendar day from `first` to `last`, at whole seconds."""
    days = pd.date_range(first, last, freq="D")
    counts = rng.poisson(per_day, len(days))
    seconds = rng.integers(0, 86_400, counts.sum())
    times = np.repeat(days, counts) + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame({"published": pd.Series(times).sort_values(ignore_index=True).dt.as_unit("s")})


def grid_day(moment: pd.Timestamp, size: str = "D") -> pd.Timestamp:
    """The day (or hour) bucket, right-closed, a moment belongs to."""
    return (moment - ONE_NS).floor(size)


def calendar_by_hand(published: pd.Series, known: list, closed: str, size: str = "D") -> tuple[list[int], list[int]]:
    """Per bar, headline by headline: (counted, closed-market) — each headline in the first bar
    whose close became known after it; closed-market when no close became known in its own day
    (hour: size "h")."""
    trading = {grid_day(k, size) for k in known}
    counted, shut = [0] * len(known), [0] * len(known)
    for moment in published:
        j = next((i for i, k in enumerate(known) if k > moment), None)
        if j is None:
            continue
        is_shut = grid_day(moment, size) not in trading
        shut[j] += is_shut
        counted[j] += not (is_shut and closed == "exclude")
    return counted, shut


CAL_DAYS = pd.bdate_range("2024-01-01", periods=41, tz="UTC").drop(pd.Timestamp("2024-01-15", tz="UTC"))


def calendar_case(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """40 trading days (Monday 15 January a holiday) and ~25 headlines a calendar day, with some at
    the exact moments of a close and of midnight."""
    rng = np.random.default_rng(seed)
    bars = weekday_bars(CAL_DAYS, 80.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, len(CAL_DAYS)))))
    news = random_headlines(rng, CAL_DAYS[0] - pd.Timedelta(days=2), CAL_DAYS[-1] + pd.Timedelta(days=2), 25)
    exact = pd.DataFrame({"published": [bars["known"].iat[3], t("2024-01-06"), t("2024-01-08")]})
    return bars, pd.concat([news, exact.astype(news.dtypes)], ignore_index=True)


@pytest.mark.parametrize("closed", ["next", "exclude"])
def test_weekend_and_holiday_headlines_go_to_the_next_trading_day_marked_or_left_out(closed):
    bars, news = calendar_case()
    result = intensity_vs_volatility(news, bars, "1d", 3, closed=closed)
    counted, shut = calendar_by_hand(news["published"], bars["known"].tolist(), closed)
    aligned = result.aligned
    assert aligned["bucket"].tolist() == list(CAL_DAYS[1:])
    assert aligned["headlines"].tolist() == counted[1:] and aligned["closed"].tolist() == shut[1:]
    assert result.closed == closed and result.n_closed == sum(shut[1:]) and result.n == 39
    # Saturday, Sunday and the holiday Monday all count on Tuesday 16 January
    tuesday = aligned.set_index("bucket").loc[t("2024-01-16")]
    weekend = ((news["published"] >= t("2024-01-13")) & (news["published"] < t("2024-01-16"))).sum()
    assert tuesday["closed"] == weekend > 60
    late_friday = ((news["published"] >= t("2024-01-12 18:30")) & (news["published"] < t("2024-01-13"))).sum()
    monday_morning = ((news["published"] > t("2024-01-16")) & (news["published"] < t("2024-01-16 18:30"))).sum()
    assert tuesday["headlines"] == late_friday + monday_morning + (weekend if closed == "next" else 0)
    x = np.array(counted[1:], dtype=float)
    y = np.abs(np.diff(np.log(bars["close"].to_numpy())))
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert result.pearson_r == pytest.approx(pearson.statistic, abs=1e-12)
    assert result.pearson_p == pytest.approx(pearson.pvalue, rel=1e-9)
    assert result.spearman_r == pytest.approx(spearman.statistic, abs=1e-12)


def test_the_weekday_regression_has_newey_west_errors_and_the_partial_r_is_given_the_weekday():
    bars, news = calendar_case(5)
    result = intensity_vs_volatility(news, bars, "1d", 2)
    reg = result.regression
    frame = result.aligned
    x = frame["headlines"].astype(float).rename("news")
    y = frame["abs_return"]
    weekday = pd.get_dummies(frame["bucket"].dt.day_name(), drop_first=True, dtype=float)   # Friday the base
    design = sm.add_constant(pd.concat([x, weekday], axis=1))
    lags = int(np.floor(4 * (len(y) / 100) ** (2 / 9)))
    fit = sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    assert (reg.controls, reg.n, reg.k, reg.hac_lags) == ("weekday", 39, 6, lags) and lags == 3
    assert reg.coef == pytest.approx(fit.params["news"], rel=1e-9)
    assert reg.se == pytest.approx(fit.bse["news"], rel=1e-9)
    assert reg.t == pytest.approx(fit.tvalues["news"], rel=1e-9)
    assert reg.p == pytest.approx(fit.pvalues["news"], rel=1e-9)
    # the partial r: the residuals of each side on the weekday, correlated; its p is the plain OLS t's
    base = sm.add_constant(weekday).to_numpy()
    ex = x - base @ np.linalg.lstsq(base, x, rcond=None)[0]
    ey = y - base @ np.linalg.lstsq(base, y, rcond=None)[0]
    r = stats.pearsonr(ex, ey).statistic
    df = len(y) - 2 - 4
    assert reg.partial_r == pytest.approx(r, rel=1e-9) and reg.partial_df == df
    plain = sm.OLS(y, design).fit()
    assert r * np.sqrt(df / (1 - r * r)) == pytest.approx(plain.tvalues["news"], rel=1e-9)
    assert reg.partial_p == pytest.approx(plain.pvalues["news"], rel=1e-9)


def test_weekend_headlines_piled_on_monday_correlate_with_larger_monday_moves_but_not_given_the_weekday():
    # 50 weeks of trading days; ~30 headlines every calendar day, independent of the moves; Monday's
    # moves drawn twice as large by construction. Counted on the trading calendar, Monday holds the
    # weekend's headlines: ~3 days' worth
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2024-01-01", periods=250, tz="UTC")
    sigma = np.where(days.day_of_week == 0, 0.02, 0.01)
    bars = weekday_bars(days, 80.0 * np.exp(np.cumsum(sigma * rng.standard_normal(len(days)))))
    news = random_headlines(rng, days[0] - pd.Timedelta(days=2), days[-1], 30)
    result = intensity_vs_volatility(news, bars, "1d", 5)
    monday = result.aligned["bucket"].dt.day_of_week == 0
    counts = result.aligned["headlines"].astype(float)
    assert counts[monday].mean() / counts[~monday].mean() == pytest.approx(2.915, abs=5e-4)   # 72 h against 24 h
    # raw: a strong, "significant" link (r = 0.427, p = 2e-12; Spearman 0.211, p = 0.0008) ...
    assert result.pearson_r == pytest.approx(0.4267, abs=5e-5) and result.pearson_p < 1e-11
    assert result.spearman_r == pytest.approx(0.2107, abs=5e-5) and result.spearman_p < 0.001
    # ... given the weekday: none, the truth (b = -9.2e-5 per headline, HAC t = -1.10, p = 0.27;
    # partial r = -0.091, p = 0.15)
    reg = result.regression
    assert (reg.n, reg.k, reg.hac_lags) == (249, 6, 4)
    assert reg.coef == pytest.approx(-9.17e-5, abs=5e-8) and reg.t == pytest.approx(-1.0955, abs=5e-5)
    assert reg.p == pytest.approx(0.2744, abs=5e-5) and reg.p > 0.05
    assert reg.partial_r == pytest.approx(-0.0915, abs=5e-5) and reg.partial_p == pytest.approx(0.1534, abs=5e-5)
    # leaving the closed-market headlines out takes the pile-up away, and the raw link with it
    # (r = -0.104, p = 0.10)
    excluded = intensity_vs_volatility(news, bars, "1d", 5, closed="exclude")
    assert excluded.pearson_r == pytest.approx(-0.1039, abs=5e-5) and excluded.pearson_p > 0.05
    assert excluded.regression.p > 0.05


def test_days_without_collection_make_the_news_value_missing_not_zero():
    bars, news = calendar_case(7)
    known = bars["known"].tolist()
    per_day = news["published"].dt.floor("D").value_counts().sort_index()
    per_day[t("2024-01-24")] = 0                    # a Wednesday with no headline at all in the store
    per_day[t("2024-02-03")] = 2                    # a Saturday with 2 (the median day has ~25): a gap
    del per_day[t("2024-02-14")]                    # a Wednesday not in the series at all
    result = intensity_vs_volatility(news, bars, "1d", 4, coverage=per_day)
    median = float(np.median(per_day[per_day > 0]))
    gaps = {day for day, count in per_day.items() if count == 0 or count < 0.1 * median} | {t("2024-02-14")}
    expected_missing = []
    for j in range(1, len(known)):                  # a period touching a gap day: its days from the previous close's
        first, last = known[j - 1].floor("D"), (known[j] - ONE_NS).floor("D")
        expected_missing.append(any(first <= day <= last for day in gaps))
    aligned = result.aligned
    assert (~aligned["covered"]).tolist() == expected_missing
    assert aligned.loc[~aligned["covered"], "bucket"].tolist() == [t("2024-01-24"), t("2024-01-25"), t("2024-02-05"),
                                                                     t("2024-02-14"), t("2024-02-15")]
    assert aligned.loc[~aligned["covered"], "headlines"].isna().all() and result.n_uncovered == 5
    assert result.n == 34 and result.n_outside == 0
    x = aligned["headlines"].to_numpy(dtype=float, na_value=np.nan)
    y = aligned["abs_return"].to_numpy()
    keep = ~np.isnan(x)
    pearson = stats.pearsonr(x[keep], y[keep])
    assert result.pearson_r == pytest.approx(pearson.statistic, abs=1e-12)
    assert result.pearson_p == pytest.approx(pearson.pvalue, rel=1e-9)
    assert result.regression.n == 34
    # the lag table keeps the rows in place: a missing value takes out only its own pairs
    lag1 = sum(1 for i in range(len(x) - 1) if keep[i])
    assert result.lags.set_index("lag").loc[1, "pairs"] == lag1 == 34 - int(keep[-1])
    # the floor 0: only days without any headline are gaps (the Saturday with 2 is collected)
    strict = intensity_vs_volatility(news, bars, "1d", 4, coverage=per_day, coverage_floor=0.0)
    assert strict.n_uncovered == 4
    # headlines left out on closed days: a weekend gap no longer matters
    excluded = intensity_vs_volatility(news, bars, "1d", 4, coverage=per_day, closed="exclude")
    assert excluded.n_uncovered == 4 and excluded.aligned.set_index("bucket").loc[t("2024-02-05"), "covered"]


def test_buckets_reaching_outside_the_headlines_read_are_missing():
    bars, news = calendar_case(7)
    since, until = t("2024-01-08"), t("2024-02-23 12:00")
    inside = news[(news["published"] >= since) & (news["published"] <= until)]
    result = intensity_vs_volatility(inside, bars, "1d", 2, since=since, until=until)
    known = bars["known"].tolist()
    outside = [known[j - 1] < since or known[j] > until + pd.Timedelta(seconds=1) for j in range(1, len(known))]
    assert (~result.aligned["covered"]).tolist() == outside
    # 2 January … 8 January begin before the 8th's midnight (Friday's close, the 5th's) ; 23 and 26 February
    # close after 12:00 on the 23rd
    assert result.n_outside == sum(outside) == 5 + 2 and result.n_uncovered == 0


def test_each_lag_has_its_own_n_and_a_pointwise_and_a_sidak_band():
    rng = np.random.default_rng(2)
    x, y = rng.poisson(5, 60).astype(float), rng.normal(size=60)
    x[[4, 30, 31]] = np.nan
    lags = lagged_correlations(x, y, 10)
    for row in lags.itertuples():
        pairs = sum(1 for i in range(60) if 0 <= i + row.lag < 60 and not np.isnan(x[i]))
        assert row.pairs == pairs
        assert row.band == 1.96 / np.sqrt(pairs)
    z = stats.norm.ppf(1 - (1 - 0.95 ** (1 / 21)) / 2)
    assert z == pytest.approx(3.0307, abs=5e-5)
    assert z == pytest.approx(stats.norm.ppf(1 - 0.05 / 42), rel=3e-3)        # Bonferroni: 0.24% wider
    assert lags["family_band"].to_numpy() == pytest.approx(z / np.sqrt(lags["pairs"].to_numpy()), rel=1e-12)
    assert len(set(lags["band"])) > 5                                            # not the lag-0 n everywhere
    short = lagged_correlations(np.arange(5.0), np.arange(5.0) ** 2, 3)         # only lags -2..2 have an r
    assert short["r"].notna().sum() == 5 and short["band"].isna().tolist() == [True] + [False] * 5 + [True]
    assert short["family_band"].iloc[1] == pytest.approx(stats.norm.ppf(1 - (1 - 0.95 ** (1 / 5)) / 2) / np.sqrt(3))


def ar_series(rng, n: int) -> np.ndarray:
    values = np.zeros(n)
    noise = rng.normal(size=n)
    for i in range(2, n):
        values[i] = 1.0 + 0.6 * values[i - 1] - 0.3 * values[i - 2] + noise[i]
    return values


def test_prewhitening_is_statsmodels_ar_with_aic_and_skips_missing_values():
    rng = np.random.default_rng(8)
    values = ar_series(rng, 200)
    residuals, order = ar_residuals(values)
    chosen = ar_select_order(values, maxlag=10, ic="aic", trend="c")
    assert order == max(chosen.ar_lags) == 2
    expected = chosen.model.fit().resid
    assert np.isnan(residuals[:2]).all() and residuals[2:] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # with missing values: each order fitted by OLS on the rows complete for 10 lags (AIC), the chosen
    # one on every row complete for its own lags (statsmodels OLS on shifted columns, rows with a gap dropped)
    values[[50, 120, 121]] = np.nan
    residuals, order = ar_residuals(values)
    frame = pd.DataFrame({"y": values, **{f"l{i}": pd.Series(values).shift(i) for i in range(1, 11)}})
    common = frame.dropna()
    aic = [len(common) * np.log(sm.OLS(common["y"], np.ones((len(common), 1)) if p == 0 else
                                       sm.add_constant(common[[f"l{i}" for i in range(1, p + 1)]])).fit().ssr
                                / len(common)) + 2 * (p + 1) for p in range(11)]
    assert order == int(np.argmin(aic)) == 3
    own = frame[["y", "l1", "l2", "l3"]].dropna()
    fit = sm.OLS(own["y"], sm.add_constant(own[["l1", "l2", "l3"]])).fit()
    assert residuals[own.index.to_numpy()] == pytest.approx(fit.resid.to_numpy(), rel=1e-9, abs=1e-12)
    # no residual for the first 3 rows, nor for a missing one and the 3 after it (50; 120-121)
    assert np.isnan(np.delete(residuals, own.index.to_numpy())).all() and len(own) == 200 - 3 - 4 - 5


def test_prewhitened_lags_correlate_the_ar_residuals():
    bars, news = calendar_case(9)
    raw = intensity_vs_volatility(news, bars, "1d", 4)
    result = intensity_vs_volatility(news, bars, "1d", 4, prewhiten=True)
    x = result.aligned["headlines"].to_numpy(dtype=float, na_value=np.nan)
    y = result.aligned["abs_return"].to_numpy()
    (ex, px), (ey, py) = ar_residuals(x, 3), ar_residuals(y, 3)              # 39 rows: orders up to 3
    assert result.prewhitened and result.ar_orders == (px, py)
    pd.testing.assert_frame_equal(result.lags, lagged_correlations(ex, ey, 4))
    # the regression and the raw correlations stay on the series themselves
    assert (result.pearson_r, result.regression.t) == (raw.pearson_r, raw.regression.t)


def test_hourly_buckets_take_the_hour_of_day_as_a_control_and_nights_as_closed():
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2024-03-04", periods=15, tz="UTC")
    hours = pd.DatetimeIndex([d + pd.Timedelta(hours=h) for d in days for h in range(8, 17)])   # 08:00 … 16:00
    bars = pd.DataFrame({"ts": hours, "known": hours + pd.Timedelta(hours=1),
                         "close": 80.0 * np.exp(np.cumsum(rng.normal(0, 0.003, len(hours))))})
    news = random_headlines(rng, days[0] - pd.Timedelta(days=1), days[-1], 48)
    result = intensity_vs_volatility(news, bars, "1h", 3)
    counted, shut = calendar_by_hand(news["published"], bars["known"].tolist(), "next", "h")
    # an hour is a trading period when a close became known in it: (h, h + 1] holds the close of the h bar
    assert result.aligned["headlines"].tolist() == counted[1:] and result.aligned["closed"].tolist() == shut[1:]
    first_hours = result.aligned["bucket"].dt.hour == 8
    assert result.aligned.loc[first_hours, "closed"].min() > 0                # the night's headlines, at 08:00
    assert result.aligned.loc[~first_hours, "closed"].max() == 0
    reg = result.regression
    frame = result.aligned
    design = sm.add_constant(pd.concat([
        frame["headlines"].astype(float).rename("news"),
        pd.get_dummies(frame["bucket"].dt.day_name(), drop_first=True, dtype=float),
        pd.get_dummies(frame["bucket"].dt.hour.astype(str), prefix="h", drop_first=True, dtype=float)], axis=1))
    lags = int(np.floor(4 * (len(frame) / 100) ** (2 / 9)))
    fit = sm.OLS(frame["abs_return"], design).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True},
                                                  use_t=True)
    assert (reg.controls, reg.k, reg.hac_lags) == ("weekday and hour of day", 2 + 4 + 8, lags)
    assert reg.t == pytest.approx(fit.tvalues["news"], rel=1e-9)
    assert reg.p == pytest.approx(fit.pvalues["news"], rel=1e-9)


def test_calendar_arguments_are_checked():
    bars, news = calendar_case()
    with pytest.raises(ValueError, match="unknown closed-period rule 'weekend'"):
        intensity_vs_volatility(news, bars, "1d", closed="weekend")
    with pytest.raises(ValueError, match="coverage_floor must be in"):
        intensity_vs_volatility(news, bars, "1d", coverage=pd.Series(dtype=float), coverage_floor=1.5)
    naive = pd.Series([3], index=pd.DatetimeIndex(["2024-01-02"]))
    with pytest.raises(ValueError, match="coverage must be indexed by tz-aware UTC days"):
        intensity_vs_volatility(news, bars, "1d", coverage=naive)
