"""News intensity against volatility: buckets by when each close became known (the Bank of Russia
and Brent rules), headlines counted in the next bucket close, returns never across a bad bar
(n_flagged), headlines dated to the day only left out of hourly buckets (n_day_only), correlations
equal to scipy's on the bucketed series computed by hand, the lag table — hand-made frames, Brent
(EIA) and the rouble (Yahoo, with its bad ticks) against BBC business headlines."""

from __future__ import annotations

import bisect
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis.intensity import intensity_vs_volatility, lagged_correlations
from dashboard.moves import INTERVAL_LENGTH
from ingest.bar_quality import bad_mask
from ingest.close_rules import cbr_rule, parse_rule
from ingest.csv_prices import read_prices_csv
from ingest.csvio import read_headlines_csv

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
    assert list(aligned.columns) == ["bucket", "headlines", "abs_return"]
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
    expected = pd.DataFrame({"bucket": bars["ts"].iloc[keep].dt.as_unit("ns").reset_index(drop=True),
                             "headlines": per_bar[keep],
                             "abs_return": [abs(np.log(close[i] / close[i - 1])) for i in keep]})
    pd.testing.assert_frame_equal(result.aligned, expected, check_dtype=False, rtol=1e-14)
    # no log(5 / 76) = 2.7 among them: the largest is 2022-03-01's real jump, 83.26 → 104.97
    largest = result.aligned.loc[result.aligned["abs_return"].idxmax()]
    assert largest["bucket"] == t("2022-03-01") and largest["abs_return"] < 0.24
    x, y = expected["headlines"].to_numpy(dtype=float), expected["abs_return"].to_numpy()
    assert result.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic, rel=1e-12)
    assert result.lags.set_index("lag").loc[1, "r"] == pytest.approx(stats.pearsonr(x[:-1], y[1:]).statistic,
                                                                     rel=1e-12)
