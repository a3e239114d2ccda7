"""YahooSource: the real yfinance code against the loopback fake Yahoo (tests/servers/yahoo.py),
serving the recorded RUB=X and BZ=F histories."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pandas as pd
import pytest

from ingest.config import Config
from ingest.sources.base import (
    EmptyResult,
    FetchPlan,
    MalformedResponse,
    PermanentError,
    RateLimited,
    ServerError,
    TransientError,
    Unreachable,
)
from ingest.sources.http import HttpClient
from ingest.sources.yahoo import (
    HOURLY_LIMIT,
    HOURLY_SLACK,
    YahooChartError,
    YahooSource,
    chart_answer_error,
    classify_failure,
    fetch_window,
    history_to_bars,
)
from ingest.sources.yahoo_session import ChartAnswer, rewrite_url
from tests.servers.yahoo import FakeYahoo, Series, brent_series, rub_series, utc

# yfinance 1.7 calls DataFrame.sort_index(inplace=True), deprecated in pandas 3.1.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")

HTTP = {"backoff": 0.01, "backoff_max": 0.05, "retries": 2, "connect_timeout": 0.5, "read_timeout": 0.5}
INSTRUMENTS = [
    {"id": "usd_rub_mkt", "label": "USD/RUB market", "source": "yahoo", "ticker": "RUB=X"},
    {"id": "brent", "label": "Brent", "source": "yahoo", "ticker": "BZ=F", "change": "pct"},
    {"id": "wti", "label": "WTI", "source": "yahoo", "ticker": "CL=F", "change": "pct"},
]


@pytest.fixture(scope="module")
def series():
    # CL=F: a future newsmarks has no built-in close rule for (it is learned from the metadata)
    return [rub_series(), brent_series(), Series(**{**brent_series().__dict__, "symbol": "CL=F"})]


@pytest.fixture
def fake(series):
    with FakeYahoo(series, now=utc(2022, 11, 10)) as server:
        yield server


def make_config(url: str, http: dict | None = None, **refresh) -> Config:
    return Config.model_validate({"http": {**HTTP, **(http or {})}, "sources": {"yahoo": {"url": url}},
                                  "refresh": refresh, "instruments": INSTRUMENTS})


def unit(config: Config, instrument_id: str, interval: str = "1d", client: HttpClient | None = None):
    return YahooSource(config.instrument(instrument_id), interval, config, client or HttpClient(config.http))


def plan(now, since=None, backfill=date(2016, 1, 1)) -> FetchPlan:
    return FetchPlan(now=now, backfill_since=backfill, since=since)


def known(bars: pd.DataFrame, ts: str) -> str:
    """When the close of the bar stamped `ts` became known, ISO 8601."""
    match = bars[bars["ts"] == pd.Timestamp(ts)]
    assert len(match) == 1, f"no single bar at {ts}"
    return match.iloc[0]["known"].isoformat()


def row(bars: pd.DataFrame, ts: str) -> tuple:
    match = bars[bars["ts"] == pd.Timestamp(ts)]
    assert len(match) == 1, f"no single bar at {ts}"
    r = match.iloc[0]
    return (r["open"], r["high"], r["low"], r["close"], r["volume"], r["flag"])


def price_requests(server: FakeYahoo, symbol: str) -> list:
    return [r for r in server.log("chart", symbol) if "period1" in r.query]


# -- units, windows, pure parts ---------------------------------------------------------------

def test_units_are_daily_plus_hourly_unless_hourly_days_is_zero():
    config = make_config("http://127.0.0.1:9")
    client = HttpClient(config.http)
    units = YahooSource.units(config.instrument("brent"), config, client)
    assert [(u.key, u.interval, u.group) for u in units] == [
        ("yahoo:brent:1d", "1d", "prices"), ("yahoo:brent:1h", "1h", "prices")]
    daily_only = make_config("http://127.0.0.1:9", hourly_days=0)
    assert [u.key for u in YahooSource.units(daily_only.instrument("brent"), daily_only, client)] == [
        "yahoo:brent:1d"]


def test_fetch_windows_come_from_the_plan_and_clamp_hourly_to_730_days():
    now = utc(2022, 11, 10, 12)
    assert fetch_window("1d", plan(now), 730) == (utc(2016, 1, 1), now)
    assert fetch_window("1d", plan(now, since=utc(2022, 11, 7, 5)), 730) == (utc(2022, 11, 7, 5), now)
    assert fetch_window("1h", plan(now), 30) == (utc(2022, 10, 11, 12), now)
    assert fetch_window("1h", plan(now, since=utc(2022, 11, 9)), 30) == (utc(2022, 11, 9), now)
    assert fetch_window("1h", plan(now, since=utc(2019, 1, 1)), 30) == (utc(2020, 11, 10, 13), now)
    assert HOURLY_LIMIT - HOURLY_SLACK == timedelta(days=729, hours=23)


@pytest.mark.parametrize("url, expected", [
    ("https://fc.yahoo.com", "http://127.0.0.1:8/y"),
    ("https://query1.finance.yahoo.com/v1/test/getcrumb", "http://127.0.0.1:8/y/v1/test/getcrumb"),
    ("https://query2.finance.yahoo.com/v8/finance/chart/BZ=F?range=1d",
     "http://127.0.0.1:8/y/v8/finance/chart/BZ=F?range=1d"),
    ("https://guce.yahoo.com/consent", "http://127.0.0.1:8/y/consent"),
    ("https://consent.yahoo.com/v2/collectConsent?sessionId=1", "http://127.0.0.1:8/y/v2/collectConsent?sessionId=1"),
    ("https://example.com/yahoo.com/x", "https://example.com/yahoo.com/x"),
    ("https://notyahoo.com/x", "https://notyahoo.com/x"),
])
def test_rewrite_url_sends_every_yahoo_host_to_the_base_url(url, expected):
    assert rewrite_url(url, "http://127.0.0.1:8/y/") == expected


def test_rewrite_url_leaves_requests_alone_with_the_default_yahoo_url():
    url = "https://fc.yahoo.com"
    assert rewrite_url(url, "https://query2.finance.yahoo.com") == url
    assert rewrite_url("https://query1.finance.yahoo.com/v1/test/getcrumb",
                       "https://query2.finance.yahoo.com") == "https://query1.finance.yahoo.com/v1/test/getcrumb"


def test_chart_answers_are_classified_by_status_and_body():
    url = "http://127.0.0.1:1/v8/finance/chart/BZ=F?period1=1&crumb=secret"
    limited = chart_answer_error("Yahoo BZ=F 1d", ChartAnswer(url, 429, "7", b"Too Many Requests"))
    assert type(limited) is RateLimited and limited.retry_after == 7.0
    server = chart_answer_error("Yahoo BZ=F 1d", ChartAnswer(url, 503, None, b"<html>"))
    assert type(server) is ServerError and isinstance(server, TransientError)
    assert str(server) == "Yahoo BZ=F 1d: HTTP 503 from http://127.0.0.1:1/v8/finance/chart/BZ=F"
    no_range = b'{"chart":{"result":null,"error":{"code":"Bad Request","description":' \
               b'"Data doesn\'t exist for startDate = 1, endDate = 2"}}}'
    assert type(chart_answer_error("x", ChartAnswer(url, 400, None, no_range))) is EmptyResult
    assert type(chart_answer_error("x", ChartAnswer(url, 200, None, b'{"finance": {}}'))) is MalformedResponse
    assert type(chart_answer_error("x", ChartAnswer(url, 403, None, b'{"chart": {"error": null}}'))) is PermanentError


def _yf_errors():
    import json

    from curl_cffi.requests.exceptions import ConnectionError, Timeout
    from yfinance.exceptions import (
        YFException,
        YFPricesMissingError,
        YFRateLimitError,
        YFTzMissingError,
    )

    return [
        (YFRateLimitError(), RateLimited, "x: rate limited by Yahoo (HTTP 429)"),
        (YFPricesMissingError("BZ=F", ""), EmptyResult, "x: Yahoo returned no bars ($BZ=F: possibly delisted; "
                                                        "no price data found)"),
        (YFTzMissingError("BZ=F"), YahooChartError, "x: Yahoo gave no time zone for the symbol (unknown or delisted?)"),
        (Timeout("slow"), TransientError, "x: timed out (Timeout)"),
        (ConnectionError("refused"), Unreachable, "x: cannot connect (ConnectionError: refused)"),
        (json.JSONDecodeError("Expecting value", "<html>", 0), MalformedResponse,
         "x: unexpected chart answer (JSONDecodeError: Expecting value: line 1 column 1 (char 0))"),
        (YFException("odd"), PermanentError, "x: YFException: odd"),
    ]


def test_yfinance_exceptions_without_an_answer_are_typed():
    for exc, kind, message in _yf_errors():
        error = classify_failure("x", exc, None)
        assert (type(error), str(error)) == (kind, message)
    assert (type(classify_failure("x", None, None)), str(classify_failure("x", None, None))) == (
        EmptyResult, "x: Yahoo returned no bars")


def test_history_to_bars_converts_to_utc_and_flags():
    index = pd.DatetimeIndex(["2022-06-15", "2022-06-16", "2022-06-17"]).tz_localize("Europe/London")
    frame = pd.DataFrame({"Open": [58.34, 57.2, 57.0], "High": [58.8, 58.7, 57.5], "Low": [55.5, 56.5, 56.0],
                          "Close": [58.34, float("nan"), 57.1], "Adj Close": [58.34, None, 57.1],
                          "Volume": [0, 0, 0]}, index=index)
    bars = history_to_bars(frame)
    assert bars["ts"].tolist() == [pd.Timestamp("2022-06-14 23:00", tz="UTC"),
                                   pd.Timestamp("2022-06-16 23:00", tz="UTC")]
    assert str(bars["ts"].dtype) == "datetime64[ns, UTC]"
    assert bars["close"].tolist() == [58.34, 57.1]
    assert bars["flag"].tolist() == [None, None]


# -- daily bars through yfinance ----------------------------------------------------------------

def test_daily_rub_values_times_and_flags(fake):
    config = make_config(fake.url)
    result = unit(config, "usd_rub_mkt").fetch(plan(utc(2022, 7, 1)))
    [batch] = result.prices
    assert (batch.instrument_id, batch.interval, batch.source) == ("usd_rub_mkt", "1d", "yahoo")
    assert batch.close_rule is None    # the built-in rule of FX pairs: nothing to learn
    assert result.problems == []
    bars = batch.bars
    assert list(bars.columns) == ["ts", "known", "open", "high", "low", "close", "volume", "flag"]
    assert bars["ts"].is_monotonic_increasing and bars["ts"].dt.tz is not None
    # the bad tick of 2016-01-06: close 0.7162 far below its own low, among values near 74
    assert row(bars, "2016-01-06 00:00Z") == (74.02749633789062, 74.02749633789062, 74.02749633789062,
                                              0.7161999940872192, 0.0, "range,jump")
    # winter: the trading day at 00:00 UTC, its close known at the end of the London day
    assert row(bars, "2022-03-07 00:00Z") == (139.25399780273438, 154.71499633789062, 134.46499633789062,
                                              108.84510040283203, 0.0, "range")
    assert known(bars, "2022-03-07 00:00Z") == "2022-03-08T00:00:00+00:00"
    # summer (BST): the bar of 2022-06-15, stamped 2022-06-15 00:00 London (23:00 UTC the day
    # before), is stored under its trading day; its close is known at 24:00 London = 23:00 UTC
    assert row(bars, "2022-06-15 00:00Z") == (58.34000015258789, 58.84000015258789, 55.55699920654297,
                                              58.34000015258789, 0.0, None)
    assert known(bars, "2022-06-15 00:00Z") == "2022-06-15T23:00:00+00:00"
    assert bars["ts"].iloc[0] == pd.Timestamp("2016-01-01 00:00Z")
    assert bars["ts"].iloc[-1] == pd.Timestamp("2022-07-01 00:00Z")
    assert (bars["ts"] == bars["ts"].dt.floor("D")).all()
    assert len(bars) == 1693


def test_daily_brent_trading_days_known_at_the_ice_settlement(fake):
    """BZ=F is stamped at New York midnight (05:00 or 04:00 UTC); its trading day is that date,
    its close (the ICE Brent settlement) known at 19:30 London: 19:30 UTC in winter, 18:30 in summer."""
    config = make_config(fake.url)
    bars = unit(config, "brent").fetch(plan(utc(2022, 7, 1), backfill=date(2022, 3, 1))).prices[0].bars
    assert row(bars, "2022-03-07 00:00Z") == (121.23999786376953, 137.0, 119.06999969482422,
                                              123.20999908447266, 29504.0, None)
    assert known(bars, "2022-03-07 00:00Z") == "2022-03-07T19:30:00+00:00"
    assert row(bars, "2022-06-15 00:00Z") == (121.0, 121.8499984741211, 117.75, 118.51000213623047,
                                              22360.0, None)
    assert known(bars, "2022-06-15 00:00Z") == "2022-06-15T18:30:00+00:00"
    assert len(bars) == 86


def test_a_symbol_without_a_built_in_rule_learns_it_from_the_chart_metadata(fake):
    """CL=F: the end of the regular trading period in the answer's metadata (Yahoo gives the
    whole New York day, 00:00-23:59): closes known at the end of the New York day, and the batch
    carries the rule for the store to remember."""
    config = make_config(fake.url)
    [batch] = unit(config, "wti").fetch(plan(utc(2022, 7, 1), backfill=date(2022, 3, 1))).prices
    assert batch.close_rule == "24:00 America/New_York"
    assert known(batch.bars, "2022-03-07 00:00Z") == "2022-03-08T05:00:00+00:00"
    assert known(batch.bars, "2022-06-15 00:00Z") == "2022-06-16T04:00:00+00:00"
    configured = Config.model_validate({**config.model_dump(), "instruments": [
        {"id": "wti", "label": "WTI", "source": "yahoo", "ticker": "CL=F", "close_time": "14:30 America/New_York"}]})
    [batch] = unit(configured, "wti").fetch(plan(utc(2022, 7, 1), backfill=date(2022, 3, 1))).prices
    assert batch.close_rule is None
    assert known(batch.bars, "2022-06-15 00:00Z") == "2022-06-15T18:30:00+00:00"


def test_incremental_fetch_asks_from_since_to_plan_now(fake):
    config = make_config(fake.url)
    bars = unit(config, "usd_rub_mkt").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 4))).prices[0].bars
    assert bars["ts"].dt.strftime("%Y-%m-%d").tolist() == ["2022-03-04", "2022-03-07", "2022-03-08", "2022-03-09"]
    assert bars["close"].tolist() == [109.46499633789062, 108.84510040283203, 138.96510314941406,
                                      129.96499633789062]
    [request] = price_requests(fake, "RUB=X")
    assert (request.query["period1"], request.query["period2"], request.query["interval"]) == (
        str(int(utc(2022, 3, 4).timestamp())), str(int(utc(2022, 3, 10).timestamp())), "1d")


# -- hourly bars ---------------------------------------------------------------------------------

def test_hourly_brent_window(fake):
    config = make_config(fake.url, hourly_days=30)
    result = unit(config, "brent", "1h").fetch(plan(utc(2022, 11, 10), since=utc(2022, 11, 8, 14)))
    bars = result.prices[0].bars
    assert (result.prices[0].interval, len(bars)) == ("1h", 27)  # 9 bars on Nov 8, 18 on Nov 9
    # 2022-11-08 (open 98.0, close 95.36000061035156, volume 22568): 18 New York hours from 00:00
    step = (95.36000061035156 - 98.0) / 18
    assert bars["ts"].iloc[0] == pd.Timestamp("2022-11-08 14:00Z")  # 09:00 New York, hour k=9
    assert row(bars, "2022-11-08 14:00Z")[:5] == pytest.approx(
        (98.0 + 9 * step, 98.0 + 9 * step, 98.0 + 10 * step, 98.0 + 10 * step, 1253.0), rel=1e-12)
    assert row(bars, "2022-11-08 14:00Z")[:4] == pytest.approx((96.68, 96.68, 96.5333334, 96.5333334), abs=1e-6)
    assert row(bars, "2022-11-08 22:00Z")[3:5] == (95.36000061035156, 1267.0)
    assert bars["ts"].iloc[-1] == pd.Timestamp("2022-11-09 22:00Z")
    [request] = price_requests(fake, "BZ=F")
    assert request.query["interval"] == "1h"


def test_hourly_since_older_than_730_days_is_clamped(fake):
    config = make_config(fake.url, hourly_days=30)
    now = utc(2022, 11, 10)
    bars = unit(config, "brent", "1h").fetch(plan(now, since=utc(2019, 6, 1))).prices[0].bars
    assert len(bars) == 22 * 18  # every derived hourly bar the fake has (22 trading days)
    [request] = price_requests(fake, "BZ=F")
    assert int(request.query["period1"]) == int((now - timedelta(days=730) + timedelta(hours=1)).timestamp())


def test_hourly_without_since_uses_hourly_days(fake):
    config = make_config(fake.url, hourly_days=2)
    bars = unit(config, "brent", "1h").fetch(plan(utc(2022, 11, 10))).prices[0].bars
    assert bars["ts"].iloc[0] == pd.Timestamp("2022-11-08 05:00Z")
    assert len(bars) == 36


# -- failures --------------------------------------------------------------------------------

def test_429_twice_then_success(fake):
    # yfinance re-requests once itself after any HTTP error, so two 429s make one failed attempt
    fake.fail("BZ=F", 429, times=2, retry_after="0")
    bars = unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7))).prices[0].bars
    assert bars["close"].tolist() == [123.20999908447266, 127.9800033569336, 111.13999938964844]
    assert [r.status for r in price_requests(fake, "BZ=F")] == [429, 429, 200]


def test_persistent_429_is_rate_limited(fake):
    fake.fail("BZ=F", 429, times=10)
    with pytest.raises(RateLimited, match=r"^Yahoo BZ=F 1d 2022-03-07 00:00\.\.2022-03-10 00:00 UTC: HTTP 429"):
        unit(make_config(fake.url, {"retries": 1}), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7)))
    assert [r.status for r in price_requests(fake, "BZ=F")] == [429] * 4


def test_500_twice_then_success(fake):
    fake.fail("BZ=F", 500, times=2)
    bars = unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7))).prices[0].bars
    assert bars["close"].tolist() == [123.20999908447266, 127.9800033569336, 111.13999938964844]
    assert [r.status for r in price_requests(fake, "BZ=F")] == [500, 500, 200]


def test_persistent_500_fails_after_bounded_retries(fake):
    fake.fail("BZ=F", 503, times=100)
    with pytest.raises(TransientError) as caught:
        unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7)))
    assert str(caught.value) == ("Yahoo BZ=F 1d 2022-03-07 00:00..2022-03-10 00:00 UTC: HTTP 503 from "
                                 f"{fake.url}/v8/finance/chart/BZ=F")
    assert [r.status for r in price_requests(fake, "BZ=F")] == [503] * 6  # 3 attempts, 2 requests each


def test_failures_of_the_time_zone_look_up_are_absorbed(fake):
    # with lookups=True the failures hit whichever chart request comes first, the time-zone
    # look-up (range=1d) if yfinance has not cached BZ=F's zone yet, else the price request
    fake.fail("BZ=F", 500, times=2, lookups=True)
    bars = unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7))).prices[0].bars
    assert len(bars) == 3
    assert [r.status for r in fake.log("chart", "BZ=F")].count(500) == 2


def test_byte_cap_applies_to_yahoo(fake):
    with pytest.raises(PermanentError, match=r"^Yahoo RUB=X 1d .*: response exceeds the byte cap$"):
        unit(make_config(fake.url, {"max_bytes": 5000}), "usd_rub_mkt").fetch(plan(utc(2022, 3, 10)))


def test_malformed_json_is_not_retried(fake):
    fake.fail("RUB=X", "malformed")
    with pytest.raises(MalformedResponse, match=r"^Yahoo RUB=X 1d .*: chart answer \(HTTP 200\) is not JSON"):
        unit(make_config(fake.url), "usd_rub_mkt").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 4)))
    assert len(price_requests(fake, "RUB=X")) == 1


def test_chart_error_body(fake):
    fake.fail("RUB=X", "error", times=2)
    with pytest.raises(YahooChartError) as caught:
        unit(make_config(fake.url), "usd_rub_mkt").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 8)))
    assert isinstance(caught.value, EmptyResult) and isinstance(caught.value, PermanentError)
    assert str(caught.value).endswith("UTC: Yahoo chart error (HTTP 404) Not Found: "
                                      "No data found, symbol may be delisted")
    assert [r.status for r in price_requests(fake, "RUB=X")] == [404, 404]


def test_unknown_symbol_is_a_chart_error(fake):
    config = Config.model_validate({"http": HTTP, "sources": {"yahoo": {"url": fake.url}}, "instruments": [
        {"id": "nope", "label": "Nope", "source": "yahoo", "ticker": "NOPE=X"}]})
    with pytest.raises(YahooChartError, match=r"^Yahoo NOPE=X 1d .*Not Found"):
        unit(config, "nope").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 8)))


def test_empty_result_is_an_error(fake):
    fake.fail("RUB=X", "empty")
    with pytest.raises(EmptyResult) as caught:
        unit(make_config(fake.url), "usd_rub_mkt").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 1)))
    assert type(caught.value) is EmptyResult
    assert str(caught.value) == "Yahoo RUB=X 1d 2022-03-01 00:00..2022-03-10 00:00 UTC: Yahoo returned no bars"


def test_recent_empty_result_is_no_new_bars(fake):
    # Saturday 2022-11-12: the last stored BZ=F bar was Friday's; nothing new over the weekend
    fake.set_now(utc(2022, 11, 12, 12))
    result = unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 11, 12, 12), since=utc(2022, 11, 10)))
    assert [(b.instrument_id, b.interval, len(b.bars)) for b in result.prices] == [("brent", "1d", 0)]
    assert result.problems == []
    assert [r.status for r in price_requests(fake, "BZ=F")] == [200]


def test_recent_chart_error_is_still_an_error(fake):
    fake.fail("BZ=F", "error", times=2)
    with pytest.raises(YahooChartError):
        unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 11, 10), since=utc(2022, 11, 9)))


def test_timeout_then_success_and_persistent_timeout(fake):
    config = make_config(fake.url, {"connect_timeout": 0.2, "read_timeout": 0.2, "retries": 1})
    fake.fail("BZ=F", "sleep", times=1, seconds=3)
    bars = unit(config, "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7))).prices[0].bars
    assert len(bars) == 3
    fake.fail("BZ=F", "sleep", times=2, seconds=3)
    with pytest.raises(TransientError, match=r"^Yahoo BZ=F 1d .* UTC: timed out"):
        unit(config, "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7)))
    assert len(price_requests(fake, "BZ=F")) == 4


# -- where requests go, and no leakage ------------------------------------------------------

def test_every_request_goes_to_the_fake(fake):
    unit(make_config(fake.url), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7)))
    kinds = {r.kind for r in fake.requests}
    assert {"cookie", "crumb", "chart"} <= kinds and kinds <= {"cookie", "crumb", "chart", "consent"}
    assert fake.log("crumb")[0].cookie == f"A3={fake.cookie_value}"
    for request in price_requests(fake, "BZ=F"):
        assert request.query["crumb"] == fake.crumb  # the crumb came from this server
        assert request.cookie == f"A3={fake.cookie_value}"  # and so did the cookie


def test_two_servers_with_different_data_do_not_leak(series):
    rub, brent = series[:2]
    doubled = rub.daily.assign(**{c: rub.daily[c] * 2 for c in ("open", "high", "low", "close")})
    window = plan(utc(2022, 3, 10), since=utc(2022, 3, 4))
    with FakeYahoo([rub, brent]) as first, FakeYahoo([rub.with_daily(doubled), brent]) as second:
        closes = []
        for server in (first, second, first):
            bars = unit(make_config(server.url), "usd_rub_mkt").fetch(window).prices[0].bars
            closes.append(bars["close"].tolist())
        for server in (first, second):
            assert {r.query["crumb"] for r in price_requests(server, "RUB=X")} == {server.crumb}
    expected = [109.46499633789062, 108.84510040283203, 138.96510314941406, 129.96499633789062]
    assert closes == [expected, [2 * c for c in expected], expected]


def test_yfinance_settings_are_restored_after_a_fetch(fake):
    import yfinance as yf

    assert yf.config.debug.hide_exceptions is True
    fake.fail("BZ=F", 500, times=100)
    with pytest.raises(TransientError):
        unit(make_config(fake.url, {"retries": 0}), "brent").fetch(plan(utc(2022, 3, 10), since=utc(2022, 3, 7)))
    assert yf.config.debug.hide_exceptions is True


def test_import_has_no_side_effects():
    code = ("import sys, ingest.sources.yahoo, ingest.sources.yahoo_session as s; "
            "print('yfinance' in sys.modules, s._state['cache_dir'], len(s._sessions))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "None", "0"]
