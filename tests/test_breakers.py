"""Per-host breakers (ingest.sources.host_breakers through run_job): a 429 / 5xx storm on one host
leaves its other units `rate-limited` without a request, for the rest of the run and, through the
store, until the backoff ends; the server's request logs tell."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingest.runners.jobs import run_job
from ingest.runners.status import status_lines
from tests.conftest import utc
from tests.servers.feeds import FeedServer
from tests.test_concurrency import rss

T = utc(2026, 12, 3, 1, 0)
HTTP = {"retries": 1, "backoff": 0.01, "backoff_max": 0.05, "connect_timeout": 2, "read_timeout": 2,
        "host_interval": 0, "host_backoff": 300, "host_backoff_max": 3600}
NAMES = ("a1", "a2", "a3")


@pytest.fixture
def storm():
    """Server A (three feeds) answering 429 to everything, server B (one feed) fine."""
    with FeedServer(directory=None) as a, FeedServer(directory=None) as b:
        for name in NAMES:
            a.add(name, rss(name))
            a.fail_next(name, 100, status=429, retry_after="0")
        b.add("b", rss("b"))
        yield a, b


def config_for(make_config, a, b, **http):
    feeds = [{"name": n, "url": a.url_for(n)} for n in NAMES] + [{"name": "b", "url": b.url_for("b")}]
    return make_config(feeds=feeds, http={**HTTP, **http})


def test_a_429_storm_leaves_the_hosts_other_units_rate_limited_without_a_request(store, make_config, storm):
    a, b = storm
    report = run_job(store, config_for(make_config, a, b), groups=("feeds",), now=lambda: T)
    outcomes = {o.key.removeprefix("feed:"): o for o in report.outcomes}
    asked = [n for n in NAMES if a.requests_for(n)]
    assert len(asked) == 1                        # whichever unit had the host's turn first
    [tried] = asked
    assert len(a.requests_for(tried)) == 2        # its try and its one retry, then the breaker opened
    host = a.base_url.removeprefix("http://")
    assert outcomes[tried].status == "rate-limited"
    assert outcomes[tried].error == (f"feed {tried}: HTTP 429 Too Many Requests; {host} left alone until "
                                     "2026-12-03 01:05 UTC")
    for name in set(NAMES) - {tried}:
        assert a.requests_for(name) == []         # never asked
        assert outcomes[name].status == "rate-limited"
        assert outcomes[name].error == (f"feed {name}: not tried, {host} answered HTTP 429 Too Many Requests "
                                        "earlier in this run; left alone until 2026-12-03 01:05 UTC")
    assert outcomes["b"].status == "ok"           # another host: unaffected
    runs = store.runs()
    assert sorted(runs["status"].tolist()) == ["ok"] + ["rate-limited"] * 3
    [backoff] = store.host_backoffs().values()
    assert (backoff.host, backoff.until, backoff.failures, backoff.reason) == (
        host, T + timedelta(seconds=300), 1, "HTTP 429 Too Many Requests")


def test_the_next_runs_honour_the_stored_backoff_double_it_and_clear_it(store, make_config, storm):
    a, b = storm
    config = config_for(make_config, a, b)
    host = a.base_url.removeprefix("http://")
    run_job(store, config, groups=("feeds",), now=lambda: T)
    before = len(a.requests)

    later = T + timedelta(minutes=1)   # within the 300 s backoff: nothing asked of host A
    report = run_job(store, config, groups=("feeds",), now=lambda: later)
    assert len(a.requests) == before
    for o in report.outcomes[:3]:
        assert o.status == "rate-limited"
        assert o.error == (f"feed {o.key.removeprefix('feed:')}: not tried, {host} is left alone until "
                           "2026-12-03 01:05 UTC (it answered HTTP 429 Too Many Requests, once in a row)")
    assert report.outcomes[3].status == "not_modified"
    lines = status_lines(store, config, now=later)
    assert lines[-1].split() == [host, "may", "be", "tried", "again", "at", "2026-12-03", "01:05", "UTC",
                                 "(HTTP", "429", "Too", "Many", "Requests;", "1", "run)"]
    assert status_lines(store, config, now=T + timedelta(minutes=6))[-1].startswith("feed:b")   # due: not shown

    again = T + timedelta(minutes=6)   # due again, still storming: tripped a second time, for twice as long
    run_job(store, config, groups=("feeds",), now=lambda: again)
    assert len(a.requests) == before + 2
    [backoff] = store.host_backoffs().values()
    assert (backoff.failures, backoff.until) == (2, again + timedelta(seconds=600))

    a.reset()   # the storm is over
    done = T + timedelta(minutes=20)
    report = run_job(store, config, groups=("feeds",), now=lambda: done)
    assert [o.status for o in report.outcomes] == ["ok", "ok", "ok", "not_modified"]
    assert store.host_backoffs() == {}


def test_a_5xx_storm_trips_the_host_too(store, make_config):
    with FeedServer(directory=None) as a, FeedServer(directory=None) as b:
        for name in NAMES:
            a.add(name, rss(name))
            a.fail_next(name, 100, status=503)
        b.add("b", rss("b"))
        report = run_job(store, config_for(make_config, a, b), groups=("feeds",), now=lambda: T)
        asked = [n for n in NAMES if a.requests_for(n)]
    statuses = {o.key.removeprefix("feed:"): o.status for o in report.outcomes}
    assert len(asked) == 1 and statuses[asked[0]] == "error"   # tried: an error of its own
    assert [statuses[n] for n in NAMES if n not in asked] == ["rate-limited"] * 2
    assert statuses["b"] == "ok"


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_a_yahoo_429_storm_costs_one_unit_and_the_others_are_not_asked(store, make_config):
    from tests.servers.yahoo import FakeYahoo, brent_series, rub_series

    with FakeYahoo([rub_series(), brent_series()], now=utc(2022, 11, 10)) as yahoo:
        for symbol in ("RUB=X", "BZ=F"):
            yahoo.fail(symbol, 429, times=100, lookups=True)
        config = make_config(http=HTTP, sources={"yahoo": {"url": yahoo.url}}, refresh={"hourly_days": 0},
                             instruments=[{"id": "usd_rub_mkt", "label": "USD/RUB", "source": "yahoo",
                                           "ticker": "RUB=X"},
                                          {"id": "brent", "label": "Brent", "source": "yahoo", "ticker": "BZ=F"}])
        report = run_job(store, config, groups=("prices",), now=lambda: utc(2022, 11, 10))
        asked = {s for s in ("RUB=X", "BZ=F") if yahoo.log("chart", s)}
    assert [o.status for o in report.outcomes] == ["rate-limited", "rate-limited"]
    assert len(asked) == 1
    others = [o for o in report.outcomes if "not tried" in (o.error or "")]
    assert len(others) == 1 and "answered HTTP 429" in others[0].error
