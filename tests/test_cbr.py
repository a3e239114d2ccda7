"""Bank of Russia source: pure parsing of the real XML formats, and fetches through the real
HttpClient against a loopback fake of www.cbr.ru/scripts (tests/servers/cbr.py) serving the real
ECB-derived USD/RUB and EUR/RUB series."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ingest.close_rules import cbr_rule
from ingest.config import Config
from ingest.config_sections import Instrument
from ingest.sources.base import (
    BAR_COLUMNS,
    EmptyResult,
    FetchPlan,
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
)
from ingest.sources.cbr import CbrSource, DailyRates, bars_from_rates, parse_daily, parse_dynamic, year_chunks
from ingest.sources.http import HttpClient
from ingest.store import Store
from tests.servers.cbr import CNY, EUR, JPY, USD, FakeCbr, Rate, dynamic_xml

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


@pytest.fixture
def cbr():
    with FakeCbr.with_ecb_data() as fake:
        yield fake


def make_config(url: str, **http) -> Config:
    settings = {"backoff": 0.01, "backoff_max": 0.05, "retries": 2, "read_timeout": 2, **http}
    return Config.model_validate({"http": settings, "sources": {"cbr": {"url": url}}})


def make_unit(url: str, ticker: str = USD, instrument_id: str = "usd_rub", **http) -> CbrSource:
    config = make_config(url, **http)
    instrument = Instrument(id=instrument_id, label=instrument_id, source="cbr", ticker=ticker)
    (unit,) = CbrSource.units(instrument, config, HttpClient(config.http))
    return unit


def plan(now: str, since: str | None = None, backfill: date = date(2015, 1, 1)) -> FetchPlan:
    return FetchPlan(now=datetime.fromisoformat(now).replace(tzinfo=UTC), backfill_since=backfill,
                     since=datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None)


# -- pure parsing ----------------------------------------------------------------------------

def test_parse_dynamic_hand_made_document():
    bars = parse_dynamic((FIXTURES / "cbr_dynamic_usd.xml").read_bytes(), USD)
    assert list(bars.columns) == BAR_COLUMNS
    assert list(bars["ts"]) == [ts("2001-03-02"), ts("2001-03-03"), ts("2001-03-06"),
                                ts("2001-03-07"), ts("2001-03-14")]
    assert str(bars["ts"].dtype) == "datetime64[ns, UTC]"
    assert list(bars["close"]) == [28.62, 28.65, 28.66, 28.685, 28.7]
    for column in ("open", "high", "low"):
        assert list(bars[column]) == list(bars["close"])
    assert bars["volume"].isna().all()
    assert list(bars["flag"]) == [None] * 5


def test_parse_dynamic_divides_by_nominal_and_follows_a_nominal_change():
    records = {date(2022, 2, 25): Rate(100, Decimal("72.1500")),
               date(2022, 2, 26): Rate(100, Decimal("73.0412")),
               date(2022, 3, 1): Rate(1, Decimal("0.9123"))}
    bars = parse_dynamic(dynamic_xml(JPY, date(2022, 2, 25), date(2022, 3, 1), records), JPY)
    assert list(bars["ts"]) == [ts("2022-02-25"), ts("2022-02-26"), ts("2022-03-01")]
    assert list(bars["close"]) == [0.7215, 0.730412, 0.9123]


def test_parse_dynamic_flags_a_spike():
    records = "".join(f'<Record Date="0{d}.03.2021" Id="R01235"><Nominal>1</Nominal>'
                      f"<Value>{v}</Value></Record>"
                      for d, v in zip(range(1, 8), ["74,1", "74,2", "74,3", "7,43", "74,5", "74,6", "74,7"],
                                      strict=True))
    xml = f'<?xml version="1.0" encoding="windows-1251"?><ValCurs ID="R01235">{records}</ValCurs>'
    bars = parse_dynamic(xml.encode("windows-1251"), USD)
    assert list(bars["flag"]) == [None, None, None, "jump", None, None, None]
    assert bars["close"].iloc[3] == 7.43


def test_parse_dynamic_without_records_is_an_empty_frame():
    bars = parse_dynamic(dynamic_xml(USD, date(2023, 1, 1), date(2023, 1, 8), {}), USD)
    assert bars.empty
    assert list(bars.columns) == BAR_COLUMNS


def test_parse_daily_with_cyrillic_names():
    daily = parse_daily((FIXTURES / "cbr_daily.xml").read_bytes())
    assert daily == DailyRates(
        date=date(2018, 3, 17),
        rates={"R01235": 57.4942, "R01239": 70.5618, "R01820": 0.54129, "R01375": 9.08112},
        char_codes={"R01235": "USD", "R01239": "EUR", "R01820": "JPY", "R01375": "CNY"},
        names={"R01235": "Доллар США", "R01239": "Евро", "R01820": "Японских иен",
               "R01375": "Китайских юаней"},
    )


DYNAMIC_HEAD = '<?xml version="1.0" encoding="windows-1251"?><ValCurs ID="R01235">'


@pytest.mark.parametrize("body, message", [
    (b"<ValCurs><Record", "not well-formed XML"),
    (b"<html><body>Service unavailable</body></html>", "expected a <ValCurs> root element, got <html>"),
    (DYNAMIC_HEAD + '<Record Date="02.03.2001" Id="R01235"><Nominal>1</Nominal>'
     "<Value>28,62a</Value></Record></ValCurs>", "<Value> '28,62a' is not a number"),
    (DYNAMIC_HEAD + '<Record Date="02.03.2001" Id="R01235"><Nominal>1</Nominal>'
     "<Value>NaN</Value></Record></ValCurs>", "<Value> 'NaN' is not a number"),
    (DYNAMIC_HEAD + '<Record Date="02.03.2001" Id="R01235"><Nominal>1</Nominal></Record></ValCurs>',
     "<Value> '' is not a number"),
    (DYNAMIC_HEAD + '<Record Date="02.03.2001" Id="R01235"><Nominal>0</Nominal>'
     "<Value>28,62</Value></Record></ValCurs>", "<Nominal> '0' is not a positive integer"),
    (DYNAMIC_HEAD + '<Record Date="2001-03-02" Id="R01235"><Nominal>1</Nominal>'
     "<Value>28,62</Value></Record></ValCurs>", "date '2001-03-02' is not DD.MM.YYYY"),
    (DYNAMIC_HEAD + '<Record Date="02.03.2001" Id="R01239"><Nominal>1</Nominal>'
     "<Value>28,62</Value></Record></ValCurs>", "a record is for currency 'R01239'"),
    ('<ValCurs ID="R01239"></ValCurs>', "the document is for currency 'R01239'"),
])
def test_parse_dynamic_rejects_malformed_documents(body, message):
    raw = body.encode("windows-1251") if isinstance(body, str) else body
    with pytest.raises(MalformedResponse) as caught:
        parse_dynamic(raw, USD)
    assert message in str(caught.value)
    assert str(caught.value).startswith("cbr R01235")


def test_entity_declaration_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE ValCurs [<!ENTITY big "' + b"x" * 1000 + b'">]>'
            b'<ValCurs ID="R01235"><Record Date="02.03.2001" Id="R01235"><Nominal>1</Nominal>'
            b"<Value>&big;</Value></Record></ValCurs>")
    with pytest.raises(MalformedResponse, match="refused a DOCTYPE/entity declaration"):
        parse_dynamic(bomb, USD)
    with pytest.raises(MalformedResponse, match="refused a DOCTYPE/entity declaration"):
        parse_daily(bomb)


def test_parse_daily_rejects_a_missing_date_and_a_bad_value():
    with pytest.raises(MalformedResponse, match=r"<ValCurs Date>: date None is not DD.MM.YYYY"):
        parse_daily(b'<ValCurs name="Foreign Currency Market"></ValCurs>')
    bad = ('<ValCurs Date="17.03.2018"><Valute ID="R01235"><Nominal>1</Nominal>'
           "<Value>57;4942</Value></Valute></ValCurs>")
    with pytest.raises(MalformedResponse, match=r"cbr daily rates R01235: <Value> '57;4942'"):
        parse_daily(bad.encode())


def test_year_chunks():
    assert year_chunks(date(2020, 6, 15), date(2022, 3, 1)) == [
        (date(2020, 6, 15), date(2020, 12, 31)), (date(2021, 1, 1), date(2021, 12, 31)),
        (date(2022, 1, 1), date(2022, 3, 1))]
    assert year_chunks(date(2022, 3, 1), date(2022, 3, 1)) == [(date(2022, 3, 1), date(2022, 3, 1))]
    assert year_chunks(date(2022, 3, 2), date(2022, 3, 1)) == []


# -- the source unit against the fake service --------------------------------------------------

def test_units_is_one_daily_unit():
    config = make_config("http://127.0.0.1:9/scripts")
    units = CbrSource.units(config.instrument("eur_rub"), config, HttpClient(config.http))
    assert [(u.key, u.interval, u.instrument.ticker) for u in units] == [("cbr:eur_rub:1d", "1d", EUR)]
    with pytest.raises(ValueError, match="daily rates only"):
        CbrSource(config.instrument("eur_rub"), "1h", config, HttpClient(config.http))


def test_full_backfill_of_real_series_is_stored_exactly(cbr, store_url):
    config = make_config(cbr.url)
    client = HttpClient(config.http)
    store = Store.open(store_url)
    store.sync_config(config)
    fetch_plan = plan("2022-03-02T10:00:00", backfill=date(2005, 1, 1))
    now = fetch_plan.now
    for instrument_id in ("usd_rub", "eur_rub"):
        (unit,) = CbrSource.units(config.instrument(instrument_id), config, client)
        result = unit.fetch(fetch_plan)
        (batch,) = result.prices
        assert (batch.instrument_id, batch.interval, batch.source) == (instrument_id, "1d", "cbr")
        assert len(batch.bars) == 4333
        run_id = store.start_run("prices", unit.key, now, "prices")
        counts = store.commit_result(run_id, result, now)
        assert (counts.new, counts.updated) == (4333, 0)
    assert len(cbr.dynamic_requests) == 2 * 18  # one per calendar year 2005..2022, per currency

    stored = store.bars(interval="1d")
    assert len(stored) == 2 * 4333
    picked = stored[stored["ts"].isin([ts("2005-04-01"), ts("2014-12-16"), ts("2022-03-01")])]
    assert [(r.instrument_id, r.ts, r.close, r.open, r.source) for r in picked.itertuples()] == [
        ("eur_rub", ts("2005-04-01"), 36.115, 36.115, "cbr"),
        ("eur_rub", ts("2014-12-16"), 91.52, 91.52, "cbr"),
        ("eur_rub", ts("2022-03-01"), 117.201, 117.201, "cbr"),
        ("usd_rub", ts("2005-04-01"), 27.8687, 27.8687, "cbr"),
        ("usd_rub", ts("2014-12-16"), 72.9999, 72.9999, "cbr"),
        ("usd_rub", ts("2022-03-01"), 105.0, 105.0, "cbr"),
    ]
    assert stored["volume"].isna().all()
    store.close()


def test_fetch_asks_one_request_per_calendar_year_from_since(cbr):
    unit = make_unit(cbr.url)
    result = unit.fetch(plan("2022-03-01T23:30:00", since="2020-06-15T00:00:00"))
    assert cbr.dynamic_requests == [
        {"date_req1": "15/06/2020", "date_req2": "31/12/2020", "VAL_NM_RQ": USD},
        {"date_req1": "01/01/2021", "date_req2": "31/12/2021", "VAL_NM_RQ": USD},
        {"date_req1": "01/01/2022", "date_req2": "02/03/2022", "VAL_NM_RQ": USD},   # through tomorrow
    ]
    bars = result.prices[0].bars
    assert (bars["ts"].iloc[0], bars["close"].iloc[0]) == (ts("2020-06-15"), 70.0716)
    assert (bars["ts"].iloc[-1], bars["close"].iloc[-1]) == (ts("2022-03-01"), 105.0)
    assert bars["ts"].is_monotonic_increasing and bars["ts"].is_unique


@pytest.mark.parametrize("ticker, nominal_values", [
    (JPY, [0.7215, 0.730412, 0.912345]),
    (CNY, [13.783, 13.90001, 16.6257]),
])
def test_fetch_stores_rates_per_one_unit(cbr, ticker, nominal_values):
    unit = make_unit(cbr.url, ticker=ticker, instrument_id="other")
    bars = unit.fetch(plan("2022-03-01T12:00:00", since="2022-02-20T00:00:00")).prices[0].bars
    assert list(bars["ts"]) == [ts("2022-02-25"), ts("2022-02-26"), ts("2022-03-01")]
    assert list(bars["close"]) == nominal_values


def test_500_then_success_is_retried(cbr):
    cbr.fail_next(1, status=500)
    bars = make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2022-02-28T00:00:00")).prices[0].bars
    assert [(t, c) for t, c in zip(bars["ts"], bars["close"], strict=True)] == [
        (ts("2022-02-28"), 103.1201), (ts("2022-03-01"), 105.0)]
    assert len(cbr.dynamic_requests) == 2


def test_429_then_success_is_retried(cbr):
    cbr.fail_next(1, status=429, retry_after="0")
    bars = make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00")).prices[0].bars
    assert list(bars["close"]) == [105.0]
    assert len(cbr.dynamic_requests) == 2


def test_persistent_500_is_a_transient_error_after_bounded_retries(cbr):
    cbr.fail_next(10, status=503)
    with pytest.raises(TransientError, match=r"cbr R01235 01\.03\.2022-02\.03\.2022: HTTP 503"):
        make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00"))
    assert len(cbr.dynamic_requests) == 3  # 1 + retries=2


def test_persistent_429_is_rate_limited(cbr):
    cbr.fail_next(10, status=429)
    with pytest.raises(RateLimited, match="HTTP 429"):
        make_unit(cbr.url, retries=1).fetch(plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00"))
    assert len(cbr.dynamic_requests) == 2


def test_one_failing_chunk_fails_the_unit(cbr):
    cbr.pass_next(1)
    cbr.fail_next(10, status=500)
    with pytest.raises(TransientError, match=r"cbr R01235 01\.01\.2021-31\.12\.2021: HTTP 500"):
        make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2020-06-15T00:00:00"))
    assert [r["date_req1"] for r in cbr.dynamic_requests] == ["15/06/2020"] + ["01/01/2021"] * 3


def test_malformed_xml_from_the_service(cbr):
    cbr.pass_next(1)
    cbr.serve_next(b'<?xml version="1.0" encoding="windows-1251"?><ValCurs ID="R01235"><Record')
    with pytest.raises(MalformedResponse,
                       match=r"^cbr R01235 01\.01\.2022-02\.03\.2022: not well-formed XML"):
        make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2021-12-01T00:00:00"))
    assert len(cbr.dynamic_requests) == 2  # a permanent error is not retried


def test_entity_declaration_from_the_service_is_refused(cbr):
    cbr.serve_next(b'<!DOCTYPE ValCurs [<!ENTITY e "105,0000">]><ValCurs ID="R01235">'
                   b'<Record Date="01.03.2022" Id="R01235"><Nominal>1</Nominal><Value>&e;</Value>'
                   b"</Record></ValCurs>")
    with pytest.raises(MalformedResponse, match="refused a DOCTYPE/entity declaration"):
        make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00"))


def test_empty_body_and_http_404_are_permanent(cbr):
    cbr.serve_next(b"")
    with pytest.raises(MalformedResponse, match="empty response body"):
        make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00"))
    cbr.fail_next(1, status=404)
    with pytest.raises(PermanentError, match="HTTP 404"):
        make_unit(cbr.url).fetch(plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00"))


def test_empty_range_is_an_empty_result(cbr):
    with pytest.raises(EmptyResult, match=r"cbr R01235: no rates between 01\.01\.2023 and 02\.06\.2023"):
        make_unit(cbr.url).fetch(plan("2023-06-01T12:00:00", backfill=date(2023, 1, 1)))
    assert len(cbr.dynamic_requests) == 1


def test_unknown_currency_id_is_an_empty_result(cbr):
    with pytest.raises(EmptyResult, match="is 'R99999' a Bank of Russia currency ID"):
        make_unit(cbr.url, ticker="R99999").fetch(plan("2022-03-01T12:00:00", since="2022-01-01T00:00:00"))


def test_recent_refresh_with_nothing_new_is_an_empty_batch(cbr):
    # After a long weekend or holiday there may be no new rate yet: not an error.
    result = make_unit(cbr.url).fetch(plan("2022-03-08T12:00:00", since="2022-03-02T00:00:00"))
    (batch,) = result.prices
    assert (batch.instrument_id, batch.interval, batch.source) == ("usd_rub", "1d", "cbr")
    assert batch.bars.empty and list(batch.bars.columns) == BAR_COLUMNS
    assert result.problems == []
    # ... but from further back than a week, nothing at all is an error
    with pytest.raises(EmptyResult):
        make_unit(cbr.url).fetch(plan("2022-03-10T12:00:00", since="2022-03-02T00:00:00"))


def test_tomorrows_rate_comes_in_once_published_known_the_day_before(cbr):
    """The rate carrying tomorrow's date is published this afternoon (17:00 Moscow time by the
    default rule, 14:00 UTC): a refresh asks through tomorrow, and the bar is known the day
    before its date."""
    cbr.add_rates(USD, {date(2022, 3, 2): "106.1234"})
    bars = make_unit(cbr.url).fetch(plan("2022-03-01T15:00:00", since="2022-02-28T00:00:00")).prices[0].bars
    assert [(t.isoformat(), k.isoformat(), c) for t, k, c in zip(bars["ts"], bars["known"], bars["close"],
                                                                 strict=True)] == [
        ("2022-02-28T00:00:00+00:00", "2022-02-27T14:00:00+00:00", 103.1201),
        ("2022-03-01T00:00:00+00:00", "2022-02-28T14:00:00+00:00", 105.0),
        ("2022-03-02T00:00:00+00:00", "2022-03-01T14:00:00+00:00", 106.1234)]


def test_known_times_follow_moscow_time_of_each_date():
    """Moscow time was UTC+3 with summer time (+4) until March 2011, UTC+4 until October 2014,
    UTC+3 since: 17:00 in Moscow on the day before the date, in UTC of that day."""
    rates = {date(2010, 1, 15): 30.0, date(2010, 7, 15): 31.0, date(2012, 7, 15): 32.0, date(2015, 7, 15): 33.0}
    bars = bars_from_rates(rates)
    assert [k.isoformat() for k in bars["known"]] == [
        "2010-01-14T14:00:00+00:00", "2010-07-14T13:00:00+00:00", "2012-07-14T13:00:00+00:00",
        "2015-07-14T14:00:00+00:00"]
    later = bars_from_rates(rates, cbr_rule("15:30"))
    assert [k.isoformat() for k in later["known"]][-1] == "2015-07-14T12:30:00+00:00"


def test_new_rate_appears_on_the_next_refresh(cbr):
    unit = make_unit(cbr.url)
    cbr.add_rates(USD, {date(2022, 3, 2): "106.1234"})
    bars = unit.fetch(plan("2022-03-02T12:00:00", since="2022-03-01T00:00:00")).prices[0].bars
    assert list(zip(bars["ts"], bars["close"], strict=True)) == [
        (ts("2022-03-01"), 105.0), (ts("2022-03-02"), 106.1234)]


def test_timeout_is_a_transient_error(cbr):
    cbr.stall_next(5, seconds=2)
    started = datetime.now(UTC)
    with pytest.raises(TransientError, match="timed out"):
        make_unit(cbr.url, read_timeout=0.2, retries=1).fetch(
            plan("2022-03-01T12:00:00", since="2022-03-01T00:00:00"))
    assert len(cbr.dynamic_requests) == 2
    assert datetime.now(UTC) - started < timedelta(seconds=1.5)


def test_fake_daily_endpoint_serves_the_real_format(cbr):
    import requests

    response = requests.get(f"{cbr.url}/XML_daily.asp", params={"date_req": "27/02/2022"}, timeout=5)
    assert response.headers["Content-Type"] == "application/xml; charset=windows-1251"
    daily = parse_daily(response.content)
    assert daily.date == date(2022, 2, 26)  # the latest rate date on or before the one asked
    assert daily.rates == {CNY: 13.90001, JPY: 0.730412}
    response = requests.get(f"{cbr.url}/XML_daily.asp", params={"date_req": "01/03/2022"}, timeout=5)
    assert "Доллар США".encode("windows-1251") in response.content
    daily = parse_daily(response.content)
    assert daily.date == date(2022, 3, 1)
    assert daily.rates == {USD: 105.0, EUR: 117.201, JPY: 0.912345, CNY: 16.6257}
    assert daily.names[USD] == "Доллар США"
    assert math.isclose(daily.rates[EUR] / daily.rates[USD], 1.1162, rel_tol=1e-4)
