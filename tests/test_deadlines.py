"""Hard bounds on requests (ingest.sources.deadlines through HttpClient): a request's deadline covers
connect, headers and body whatever the server's pace, a missed deadline is not retried and its
host is not asked again in the run, and a unit's retries stop when its time budget is spent.
Asserted on what the loopback server logged, never on wall-clock thresholds."""

from __future__ import annotations

import pytest

from ingest.config_sections import HttpConfig
from ingest.sources.base import DeadlineExceeded, TransientError
from ingest.sources.deadlines import budget_left, unit_budget
from ingest.sources.http import HttpClient


def client(**overrides) -> HttpClient:
    settings = dict(retries=2, backoff=0.01, backoff_max=0.05, connect_timeout=1, read_timeout=0.5,
                    deadline=1.0)
    settings.update(overrides)
    return HttpClient(HttpConfig(**settings))


def test_a_trickling_answer_is_cut_at_the_deadline_and_not_retried(web):
    # one byte every 0.1 s: each read comes well within the 0.5 s read timeout, the body never ends
    web.trickle_next("slow", b"<rss>" + b" " * 10_000 + b"</rss>", every=0.1)
    with pytest.raises(DeadlineExceeded, match=r"^feed slow: no complete answer within the 1 s deadline$"):
        client().get(web.url_for("slow"), what="feed slow")
    [request] = web.requests_for("slow")   # retries=2, yet asked once
    assert request.status == 200


def test_a_short_trickled_body_cut_at_the_deadline_is_not_taken_as_complete(web):
    # no Content-Length: the shut socket looks like the end of the body; it must not pass as one
    web.trickle_next("slow", b"<rss>" + b" " * 100 + b"</rss>", every=0.05)
    with pytest.raises(DeadlineExceeded):
        client(deadline=0.5, read_timeout=5).get(web.url_for("slow"), what="feed slow")


def test_a_server_that_never_answers_costs_the_deadline_not_the_read_timeout(web):
    web.add("hang", b"<rss/>")
    web.stall_next("hang", 5, seconds=30)
    with pytest.raises(DeadlineExceeded, match="no complete answer within the 1 s deadline"):
        client(read_timeout=30).get(web.url_for("hang"), what="feed hang")
    assert len(web.requests_for("hang")) == 1


def test_after_a_missed_deadline_the_host_is_not_asked_again_in_the_run(web):
    web.add("other", b"<rss/>")
    web.trickle_next("slow", b"x" * 1000, every=0.1)
    http = client()
    with pytest.raises(DeadlineExceeded):
        http.get(web.url_for("slow"), what="feed slow")
    with pytest.raises(TransientError, match=r"^feed other: not tried, .* earlier in this run \(no complete answer"):
        http.get(web.url_for("other"), what="feed other")
    assert web.requests_for("other") == []


def test_retries_stop_when_the_units_time_budget_is_spent(web):
    web.fail_next("x", 10, status=503)
    http = client(retries=5, backoff=1.0, backoff_max=10)
    # waits of about 1 s, then 2 s: the second wait would outlast the 3 s budget
    with unit_budget(3.0), pytest.raises(TransientError, match="HTTP 503"):
        http.get(web.url_for("x"), what="x")
    assert len(web.requests_for("x")) == 2


def test_the_budget_is_per_thread_and_scoped():
    assert budget_left() is None
    with unit_budget(5.0):
        assert 0 < budget_left() <= 5.0
        with unit_budget(1.0):
            assert budget_left() <= 1.0
        assert budget_left() > 1.0
    assert budget_left() is None


def test_a_normal_answer_is_unaffected(web):
    web.add("ok", b"<rss/>" * 1000)
    response = client(deadline=5).get(web.url_for("ok"))
    assert response.status == 200 and len(response.content) == 6000


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_a_hanging_yahoo_costs_one_deadline_for_the_whole_yfinance_call():
    from ingest.config import Config
    from ingest.sources.base import FetchPlan
    from ingest.sources.yahoo import YahooSource
    from tests.servers.yahoo import FakeYahoo, brent_series, utc

    with FakeYahoo([brent_series()], now=utc(2022, 11, 10)) as yahoo:
        config = Config.model_validate({
            "http": {"retries": 2, "backoff": 0.01, "connect_timeout": 0.5, "read_timeout": 30, "deadline": 1.0},
            "sources": {"yahoo": {"url": yahoo.url}},
            "instruments": [{"id": "brent", "label": "Brent", "source": "yahoo", "ticker": "BZ=F"}]})
        yahoo.fail("BZ=F", "sleep", 5, seconds=30)   # every price request hangs
        unit = YahooSource(config.instrument("brent"), "1d", config, HttpClient(config.http))
        with pytest.raises(DeadlineExceeded, match=r"^Yahoo BZ=F 1d .*: no complete answer within the 1 s deadline$"):
            unit.fetch(FetchPlan(now=utc(2022, 11, 10), backfill_since=utc(2022, 1, 1).date()))
        assert len([r for r in yahoo.log("chart", "BZ=F") if "period1" in r.query]) == 1


def test_a_trickling_feed_in_a_refresh_is_recorded_with_its_deadline_and_the_others_stored(store, make_config):
    from ingest.runners.jobs import run_job
    from tests.servers.feeds import FeedServer
    from tests.test_concurrency import rss

    with FeedServer(directory=None) as slow, FeedServer(directory=None) as fine:
        slow.add("slow", rss("slow"))
        slow.trickle_next("slow", rss("slow") * 100, every=0.1)
        fine.add("fine", rss("fine"))
        config = make_config(feeds=[{"name": "slow", "url": slow.url_for("slow")},
                                    {"name": "fine", "url": fine.url_for("fine")}],
                             http={"retries": 3, "backoff": 0.01, "read_timeout": 0.5, "deadline": 1.0})
        report = run_job(store, config, groups=("feeds",))
        assert len(slow.requests_for("slow")) == 1   # cut once, not retried
    assert [(o.key, o.status, o.error) for o in report.outcomes] == [
        ("feed:slow", "error", "feed slow: no complete answer within the 1 s deadline"),
        ("feed:fine", "ok", None)]
    runs = store.runs().sort_values("id")
    assert runs[["source", "status", "error"]].values.tolist() == [
        ["feed:slow", "error", "feed slow: no complete answer within the 1 s deadline"], ["feed:fine", "ok", None]]


@pytest.fixture
def slow_lookup(monkeypatch):
    """Names ending in .slow-dns.test resolve to loopback only after their event is set (or 10 s):
    a resolver that does not answer. Other names resolve as usual."""
    import socket
    import threading
    real, release = socket.getaddrinfo, threading.Event()

    def getaddrinfo(host, port, *args, **kwargs):
        if str(host).endswith(".slow-dns.test"):
            release.wait(0.2 if host.startswith("quick.") else 10)
            host = "127.0.0.1"
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    release.set()


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_name_look_up_that_never_ends_costs_the_deadline(web, slow_lookup, allow_private):
    web.add("feed", b"<rss/>")
    url = web.url_for("feed").replace("127.0.0.1", "hung.slow-dns.test")
    with pytest.raises(DeadlineExceeded, match=r"^feed x: no complete answer within the 1 s deadline$"):
        client(allow_private=allow_private).get(url, what="feed x")
    assert web.requests_for("feed") == []


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_slow_name_look_up_within_the_deadline_is_waited_for(web, slow_lookup, allow_private):
    web.add("feed", b"<rss/>")
    url = web.url_for("feed").replace("127.0.0.1", "quick.slow-dns.test")
    assert client(allow_private=allow_private).get(url, what="feed x").content == b"<rss/>"
    assert len(web.requests_for("feed")) == 1
