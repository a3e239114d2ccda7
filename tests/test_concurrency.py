"""Units fetched concurrently (ingest.runners.unit_pool through run_job), politely per host
(ingest.sources.host_gates). Asserted by the order and overlap of the requests the loopback servers
logged, never by how long anything took."""

from __future__ import annotations

import threading

import pytest

from ingest.runners.jobs import run_job
from ingest.runners.unit_pool import PoolRun
from ingest.sources.base import FetchResult
from ingest.sources.host_gates import HostGates
from tests.servers.feeds import FeedServer

RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
       b'<item><title>%s</title><guid>%s</guid><pubDate>Tue, 01 Mar 2022 09:00:00 GMT</pubDate></item>'
       b'</channel></rss>')


def rss(name: str) -> bytes:
    return RSS % (f"Headline of {name}".encode(), name.encode())


class MeetingServer(FeedServer):
    """Holds each answer until `other` has received a request too (at most `patience` seconds), and
    remembers whether it had: true only when the two servers' requests were in flight together."""

    def __init__(self, patience: float = 10.0):
        super().__init__(directory=None)
        self.arrived = threading.Event()
        self.other: MeetingServer | None = None
        self.meetings: list[bool] = []   # per request, in order: had the other server been asked by then?
        self.patience = patience

    def answer(self, method, path, query, headers):
        self.arrived.set()
        self.meetings.append(self.other.arrived.wait(self.patience))
        return super().answer(method, path, query, headers)


def test_units_of_two_hosts_are_fetched_at_the_same_time(store, make_config):
    with MeetingServer() as a, MeetingServer() as b:
        a.other, b.other = b, a
        a.add("a", rss("a"))
        b.add("b", rss("b"))
        config = make_config(feeds=[{"name": "a", "url": a.url_for("a")}, {"name": "b", "url": b.url_for("b")}])
        report = run_job(store, config, groups=("feeds",))
    assert [(o.key, o.status) for o in report.outcomes] == [("feed:a", "ok"), ("feed:b", "ok")]
    assert a.meetings == b.meetings == [True]   # each had the other's request in flight while it answered


def test_one_worker_fetches_one_unit_at_a_time(store, make_config):
    with MeetingServer(patience=0.3) as a, MeetingServer(patience=0.3) as b:
        a.other, b.other = b, a
        a.add("a", rss("a"))
        b.add("b", rss("b"))
        config = make_config(feeds=[{"name": "a", "url": a.url_for("a")}, {"name": "b", "url": b.url_for("b")}],
                             http={"workers": 1})
        report = run_job(store, config, groups=("feeds",))
    assert [o.status for o in report.outcomes] == ["ok", "ok"]
    assert a.meetings == [False]   # b's request came only after a's answer


def test_a_unit_waiting_for_its_host_does_not_hold_a_worker(store, make_config):
    # two workers, units a1, a2 (host A), b (host B): a2 must not take the second worker while a1
    # holds host A, so b is fetched beside a1
    with MeetingServer() as a, MeetingServer() as b:
        a.other, b.other = b, a
        for name in ("a1", "a2"):
            a.add(name, rss(name))
        b.add("b", rss("b"))
        feeds = [{"name": "a1", "url": a.url_for("a1")}, {"name": "a2", "url": a.url_for("a2")},
                 {"name": "b", "url": b.url_for("b")}]
        report = run_job(store, make_config(feeds=feeds, http={"workers": 2}), groups=("feeds",))
    assert [(o.key, o.status) for o in report.outcomes] == [("feed:a1", "ok"), ("feed:a2", "ok"), ("feed:b", "ok")]
    assert a.meetings == [True, True] and b.meetings == [True]
    assert [r.name for r in sorted(a.requests, key=lambda r: r.started)] == ["a1", "a2"]


def test_one_hosts_requests_never_overlap_and_keep_their_interval(store, make_config):
    names = [f"f{i}" for i in range(6)]
    with FeedServer(directory=None) as server:
        for name in names:
            server.add(name, rss(name))
        config = make_config(feeds=[{"name": n, "url": server.url_for(n)} for n in names],
                             http={"workers": 8, "host_interval": 0.2, "read_timeout": 2})
        report = run_job(store, config, groups=("feeds",))
        log = sorted(server.requests, key=lambda r: r.started)
    assert [o.status for o in report.outcomes] == ["ok"] * 6
    assert len(log) == 6
    for before, after in zip(log, log[1:], strict=False):
        assert before.ended is not None and before.ended <= after.started   # one at a time
        assert after.started - before.started >= 0.1   # spaced (0.2 s asked; loopback jitter allowed)


def test_the_outcomes_come_in_the_units_order_whatever_finishes_first(store, make_config):
    with FeedServer(directory=None) as slow, FeedServer(directory=None) as fast:
        slow.add("slow", rss("slow"))
        fast.add("fast", rss("fast"))
        released = threading.Event()
        original = slow.answer

        def answer_after_fast(method, path, query, headers):
            released.wait(10)
            return original(method, path, query, headers)

        slow.answer = answer_after_fast
        fast_answer = fast.answer

        def answer_then_release(method, path, query, headers):
            reply = fast_answer(method, path, query, headers)
            released.set()
            return reply

        fast.answer = answer_then_release
        config = make_config(feeds=[{"name": "slow", "url": slow.url_for("slow")},
                                    {"name": "fast", "url": fast.url_for("fast")}])
        report = run_job(store, config, groups=("feeds",))
    assert [o.key for o in report.outcomes] == ["feed:slow", "feed:fast"]
    runs = store.runs().sort_values("id")
    assert runs["source"].tolist() == ["feed:slow", "feed:fast"] and set(runs["status"]) == {"ok"}


def test_a_failing_fetch_is_handed_back_not_raised_and_the_others_go_on():
    def fetch(n: int) -> FetchResult:
        if n == 1:
            raise KeyError("boom")
        return FetchResult()

    pool = PoolRun(workers=3, budget=5)
    got = [(n, fetched.error is None) for n, fetched in pool.run([0, 1, 2], fetch)]
    assert got == [(0, True), (1, False), (2, True)] and not pool.stopped
    with pytest.raises(KeyError):
        next(f for n, f in PoolRun(1, 5).run([1], fetch)).unwrap()


def test_host_gates_space_starts_and_serialise_one_host():
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        clock[0] += seconds

    gates = HostGates(0.5, clock=lambda: clock[0], sleep=sleep)
    with gates.turn("a"):
        clock[0] += 0.1
    with gates.turn("b"):   # another host: no wait
        pass
    with gates.turn("a"):   # 0.5 after a's last start, which was 0.1 ago
        pass
    assert waits == [0.4]
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def hold() -> None:
        with gates.turn("c"):
            inside.set()
            release.wait(10)
            order.append("first")

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(10)
    second = threading.Thread(target=lambda: gates.turn("c").__enter__() or order.append("second"))
    second.start()
    second.join(0.05)
    assert order == []   # the second turn waits while the first is held
    release.set()
    thread.join(10)
    second.join(10)
    assert order == ["first", "second"]
