"""News intensity against volatility: buckets by the closed-bar rule, headlines counted in the next
bucket close, correlations equal to scipy's, the lag table — hand-made frames and Brent (EIA)
against BBC business headlines."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis.intensity import intensity_vs_volatility, lagged_correlations
from ingest.csvio import read_headlines_csv

UTC_TS = "datetime64[ns, UTC]"


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def bars_frame(rows: list[tuple[str, float]], interval: str = "1d") -> pd.DataFrame:
    return pd.DataFrame({"instrument_id": "brent", "interval": interval,
                         "ts": pd.to_datetime([d for d, _ in rows], format="ISO8601").tz_localize("UTC"),
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
    "2022-03-05 00:00",   # 03-04's close time → 03-07 (the next bar)
    "2022-03-05 10:00",   # Saturday → 03-07
    "2022-03-06 22:00",   # Sunday → 03-07
    "2022-03-07 09:00",   # → 03-07
    "2022-03-09 10:00",   # → 03-09
    "2022-03-10 00:00",   # 03-09's close time, after the last close: counted nowhere
    None,                 # no time: ignored
)


def test_daily_buckets_count_headlines_in_the_next_bar_close_and_take_absolute_log_returns():
    result = intensity_vs_volatility(HEADLINES, DAILY, "1d")
    aligned = result.aligned
    assert list(aligned.columns) == ["bucket", "headlines", "abs_return"]
    assert aligned["bucket"].tolist() == [t("2022-03-04"), t("2022-03-07"), t("2022-03-08"), t("2022-03-09")]
    assert str(aligned["bucket"].dtype) == UTC_TS
    assert aligned["headlines"].tolist() == [2, 4, 0, 1]
    assert aligned["abs_return"].tolist() == [abs(np.log(110.0 / 100.0)), abs(np.log(99.0 / 110.0)), 0.0,
                                              abs(np.log(104.94 / 99.0))]
    assert result.n == 4 and result.bucket == "1d"
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
    news = published("2022-03-06 23:30",   # before the 23:00 bar closed at 00:00 → 03-06 (no return)
                     "2022-03-07 10:59",   # → 03-07 (its last bar closes at 11:00)
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
    bars = pd.DataFrame({"ts": days, "close": 80.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))})
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
    with pytest.raises(ValueError, match="series differ in length"):
        lagged_correlations(np.zeros(3), np.zeros(4), 1)


def test_brent_daily_against_bbc_business_headlines(shared_data):
    prices = pd.read_csv(shared_data / "brent-daily.csv")
    prices["ts"] = pd.to_datetime(prices["Date"]).dt.tz_localize("UTC")
    prices = prices[(prices["ts"] >= t("2022-03-04")) & (prices["ts"] <= t("2024-04-30"))].reset_index(drop=True)
    imported = read_headlines_csv(shared_data / "bbc-business-rss-2022-2024.csv",
                                  fetched=datetime(2025, 1, 1, tzinfo=UTC))
    headlines = pd.DataFrame({"published": pd.to_datetime([h.published for h in imported.headlines], utc=True)})

    result = intensity_vs_volatility(headlines, pd.DataFrame({"ts": prices["ts"], "close": prices["Price"]}), "1d")

    # expected, independently: a headline on day D counts on the first trading day >= D (the daily
    # bar of D closes at D+1 00:00); none after the last trading day; the first day has no return
    days = prices["ts"].to_numpy()
    day_of = headlines["published"].dt.floor("D").dt.as_unit("ns").to_numpy()
    slot = np.searchsorted(days, day_of, side="left")
    per_day = pd.Series(slot[slot < len(days)]).value_counts().reindex(range(len(days)), fill_value=0)
    expected = pd.DataFrame({"bucket": prices["ts"].dt.as_unit("ns"), "headlines": per_day.to_numpy(),
                             "abs_return": np.log(prices["Price"] / prices["Price"].shift()).abs()}).iloc[1:]
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
    assert list(aligned.columns) == ["bucket", "headlines", "risk_share", "abs_return"]
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
