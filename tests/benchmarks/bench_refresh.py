"""Refresh under bad networks and many feeds: a script that prints figures, not a test.

    python tests/benchmarks/bench_refresh.py [--cases unreachable,storm,many,notmodified] [--latency 0.2]

Every case runs `run_job` (the refresh as `newsmarks refresh` runs it) with the default `[http]`
settings (retries 3, backoff 2 s, deadline 20 s, unit_budget 60 s, workers 8) into a fresh SQLite
store, against loopback servers only (tests/servers/); no packet leaves the machine.

- unreachable: 6 feeds + 5 price units (Bank of Russia USD, EUR; Yahoo BZ=F, RUB=X, EURRUB=X, daily)
  whose hosts are closed loopback ports (connection refused). Bound: <= 20 s.
- storm: one feed trickles one byte a second forever, Yahoo answers 429 to every chart request; the
  other five feeds and the Bank of Russia answer. Bound: <= 60 s, with every other unit stored.
- many: 50 feeds of real headlines (../shared/data/world-headlines-rss-2026-05-to-08.csv from June
  2026 on, dealt out in turn: distinct stories at the density of real feeds), each feed on its own
  loopback server (its own host), every answer delayed by each of
  --latency's seconds (a real server's round trip, TLS and think time; loopback has none), with
  `workers = 8`, then `workers = 1`: a fresh store filled (40 new items a feed), then a refresh in
  which every feed changed (5 new items, 35 already stored). Bound: >= 3x faster. Each line also
  prints the CPU the changed refresh used and the most a pool could gain from it: a refresh whose
  answers take no time is parsing and writing, all CPU under one GIL, and cannot finish in less
  than its CPU time; nor in less than 50 waits / 8.
- notmodified: the same 50 feeds again, every answer a 304, no delay. Bound: < 1 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ingest.config import Config  # noqa: E402
from ingest.runners.jobs import JobReport, run_job  # noqa: E402
from ingest.store import Store  # noqa: E402
from tests.servers.cbr import FakeCbr  # noqa: E402
from tests.servers.feeds import FeedServer  # noqa: E402
from tests.servers.loopback import Reply  # noqa: E402

NOW = datetime(2022, 3, 1, 18, 0, tzinfo=UTC)
INSTRUMENTS = [
    {"id": "usd_rub", "label": "USD/RUB", "source": "cbr", "ticker": "R01235"},
    {"id": "eur_rub", "label": "EUR/RUB", "source": "cbr", "ticker": "R01239"},
    {"id": "brent", "label": "Brent", "source": "yahoo", "ticker": "BZ=F", "change": "pct"},
    {"id": "usd_rub_mkt", "label": "USD/RUB market", "source": "yahoo", "ticker": "RUB=X"},
    {"id": "eur_rub_mkt", "label": "EUR/RUB market", "source": "yahoo", "ticker": "EURRUB=X"},
]


class SlowFeeds(FeedServer):
    """A FeedServer whose every answer waits `latency` seconds first. It looks for a stop every
    0.5 s, not every 20 ms: fifty servers waking 50 times a second each would take the GIL from
    the refresh being measured ~2,500 times a second."""

    poll_interval = 0.5

    def __init__(self, latency: float = 0.0):
        super().__init__(directory=None)
        self.latency = latency

    def answer(self, method, path, query, headers) -> Reply:
        reply = super().answer(method, path, query, headers)
        reply.delay = self.latency
        return reply


def rss(name: str, items: int, first: int = 0) -> bytes:
    """A feed of `items` items numbered from `first` (a later version drops the oldest)."""
    entries = "".join(
        f"<item><title>{name}: talks on grain exports resume, round {i}</title><guid>{name}-{i}</guid>"
        f"<link>https://news.example.test/{name}/{i}</link><description>Delegations met in Geneva on day {i} "
        f"to discuss sanctions, oil prices and the rouble.</description>"
        f"<pubDate>Tue, 01 Mar 2022 {i % 18:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(first, first + items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
            f"{entries}</channel></rss>").encode()


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
REAL_TITLES = SHARED / "world-headlines-rss-2026-05-to-08.csv"


def real_items(count: int, per_feed: int) -> list[list[tuple[str, datetime]]]:
    """`count` feeds of `per_feed` real headlines each (title, UTC time): the world-news headlines
    of ../shared/data from 2026-06-01 on (control characters, which XML cannot carry, dropped), in
    time order, dealt out to the feeds in turn, so the
    feeds carry distinct stories at the density of real feeds (~900 a day) and the story linking
    and scoring of each write do the work they do in real use."""
    import csv
    with open(REAL_TITLES, newline="", encoding="utf-8") as handle:
        rows = sorted((r["pub_date_utc"], "".join(ch for ch in r["title"] if ch.isprintable()))
                      for r in csv.DictReader(handle)
                      if r["pub_date_utc"] >= "2026-06-01")[:count * per_feed]
    # moved as a block to end an hour before the refresh's clock (NOW), spacing kept
    shift = NOW - timedelta(hours=1) - datetime.fromisoformat(rows[-1][0].replace("Z", "+00:00"))
    return [[(title, datetime.fromisoformat(stamp.replace("Z", "+00:00")) + shift) for stamp, title in rows[i::count]]
            for i in range(count)]


def real_rss(name: str, items: list[tuple[str, datetime]]) -> bytes:
    """A feed of `items` (title, time), newest first, guids by title."""
    from email.utils import format_datetime
    from html import escape
    from zlib import crc32
    entries = "".join(
        f"<item><title>{escape(title)}</title><guid>{name}-{crc32(title.encode()):08x}</guid>"
        f"<link>https://news.example.test/{name}/{crc32(title.encode()):08x}</link>"
        f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        for title, when in sorted(items, key=lambda item: item[1], reverse=True))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}</title>'
            f"{entries}</channel></rss>").encode()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config(store_url: str, feeds: list[dict], instruments: list[dict] | None = None, **sections) -> Config:
    return Config.model_validate({"store": {"url": store_url}, "feeds": feeds, "instruments": instruments or [],
                                  "refresh": {"hourly_days": 0, "backfill_since": "2021-01-01"}, **sections})


def timed_refresh(cfg: Config, groups=("prices", "feeds"), cpu: list[float] | None = None) -> tuple[float, JobReport]:
    """The refresh's wall time and report; `cpu` gets the process's CPU seconds over it appended
    (every thread's: the refresh's, and the in-process loopback servers' small share)."""
    store = Store.open(cfg.store.url)
    try:
        started, used = time.perf_counter(), time.process_time()
        report = run_job(store, cfg, groups=groups, now=lambda: NOW)
        if cpu is not None:
            cpu.append(time.process_time() - used)
        return time.perf_counter() - started, report
    finally:
        store.close()


def summary(report: JobReport) -> str:
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))


def case_unreachable(workdir: Path) -> None:
    feeds = [{"name": f"feed{i}", "url": f"http://127.0.0.1:{closed_port()}/rss"} for i in range(6)]
    sources = {"cbr": {"url": f"http://127.0.0.1:{closed_port()}/scripts"},
               "yahoo": {"url": f"http://127.0.0.1:{closed_port()}"}}
    cfg = config(f"sqlite:///{workdir / 'unreachable.db'}", feeds, INSTRUMENTS, sources=sources)
    seconds, report = timed_refresh(cfg)
    print(f"unreachable: 6 feeds + 5 price units refused: {seconds:.1f} s (bound <= 20 s); {summary(report)}")
    for outcome in report.outcomes:
        print(f"    {outcome.line()}")


def case_storm(workdir: Path) -> None:
    from tests.servers.yahoo import FakeYahoo

    trickle = SlowFeeds()
    others = [SlowFeeds() for _ in range(5)]
    with FakeCbr.with_ecb_data() as cbr, FakeYahoo(now=NOW) as yahoo, trickle:
        for server in others:
            server.start()
        try:
            trickle.add("slow", rss("slow", 40))
            trickle.trickle_next("slow", rss("slow", 40) * 1000, every=1.0)   # a byte a second, for days
            feeds = [{"name": "slow", "url": trickle.url_for("slow")}]
            for i, server in enumerate(others):
                server.add(f"feed{i}", rss(f"feed{i}", 40))
                feeds.append({"name": f"feed{i}", "url": server.url_for(f"feed{i}")})
            for symbol in ("BZ=F", "RUB=X", "EURRUB=X"):
                yahoo.fail(symbol, 429, times=10_000, lookups=True)
            sources = {"cbr": {"url": cbr.url}, "yahoo": {"url": yahoo.url}}
            cfg = config(f"sqlite:///{workdir / 'storm.db'}", feeds, INSTRUMENTS, sources=sources)
            seconds, report = timed_refresh(cfg)
            charts = {s: len(yahoo.log("chart", s)) for s in ("BZ=F", "RUB=X", "EURRUB=X")}
        finally:
            stop_all(others)
    stored = [o.key for o in report.outcomes if o.status in ("ok", "partial")]
    print(f"storm: trickling feed + Yahoo 429 to everything: {seconds:.1f} s (bound <= 60 s); {summary(report)}; "
          f"stored: {len(stored)} units ({', '.join(stored)}); Yahoo chart requests per symbol: {charts}")
    for outcome in report.outcomes:
        print(f"    {outcome.line()[:200]}")


def many_feeds(latency: float, count: int = 50) -> list[SlowFeeds]:
    return [SlowFeeds(latency).start() for _ in range(count)]


def case_many(workdir: Path, latencies: list[float], notmodified: bool) -> None:
    """Per latency, per worker count: a fresh store filled from 50 feeds (every item new), then a
    refresh in which every feed changed (a new version: 5 new items, 35 already stored)."""
    for delay in latencies:
        servers = many_feeds(delay)
        try:
            feeds = [{"name": f"feed{i}", "url": s.url_for(f"feed{i}")} for i, s in enumerate(servers)]
            items = real_items(len(servers), 45)
            fill, changed, busy = {}, {}, {}
            for workers in (8, 1):
                for i, server in enumerate(servers):
                    server.add(f"feed{i}", real_rss(f"feed{i}", items[i][:40]))
                cfg = config(f"sqlite:///{workdir / f'many-{delay}-{workers}.db'}", feeds,
                             http={"workers": workers})
                fill[workers], report = timed_refresh(cfg, groups=("feeds",))
                assert summary(report) == "50 ok", [o.line() for o in report.outcomes if o.status != "ok"]
                for i, server in enumerate(servers):
                    server.add(f"feed{i}", real_rss(f"feed{i}", items[i][5:]))
                cpu: list[float] = []
                changed[workers], report = timed_refresh(cfg, groups=("feeds",), cpu=cpu)
                assert summary(report) == "50 ok", summary(report)
                busy[workers] = cpu[0]
            same = stories(workdir / f"many-{delay}-8.db") == stories(workdir / f"many-{delay}-1.db")
            floor = max(busy[8], delay * 50 / 8)
            print(f"many: 50 feeds, {delay * 1000:.0f} ms per answer: all 40 items new: workers=8 {fill[8]:.2f} s, "
                  f"workers=1 {fill[1]:.2f} s ({fill[1] / fill[8]:.1f}x); every feed changed (5 new, 35 known): "
                  f"workers=8 {changed[8]:.2f} s, workers=1 {changed[1]:.2f} s ({changed[1] / changed[8]:.1f}x) "
                  f"(bound >= 3x); the same headlines in the same stories both ways: {'yes' if same else 'NO'}")
            print(f"    CPU of the changed refresh: workers=1 {busy[1]:.2f} s in {changed[1]:.2f} s "
                  f"({100 * busy[1] / changed[1]:.0f}% of one core); workers=8 {busy[8]:.2f} s (the units fetched "
                  f"together stored in one transaction). Its Python runs under one GIL, on about one of the "
                  f"{os.cpu_count()} cores: workers=8 cannot finish before max(its CPU, 50 x latency / 8) = "
                  f"{floor:.2f} s, at most {changed[1] / floor:.1f}x")
            if notmodified and delay == 0.0:
                cfg = config(f"sqlite:///{workdir / 'many-0.0-8.db'}", feeds, http={"workers": 8})
                runs = []
                for _ in range(3):
                    seconds, report = timed_refresh(cfg, groups=("feeds",))
                    runs.append(seconds)
                    assert summary(report) == "50 not_modified", summary(report)
                print(f"notmodified: 50 feeds, every answer 304: {', '.join(f'{s:.2f}' for s in runs)} s "
                      "(bound < 1 s)")
        finally:
            stop_all(servers)


def stories(path: Path) -> list[tuple]:
    """Each stored headline with its story's first copy, by (source, guid): what story linking
    made of a refresh, whatever ids the rows got."""
    import sqlite3
    with sqlite3.connect(path) as db:
        return sorted(db.execute("SELECT h.source, h.guid, r.source, r.guid FROM headlines h "
                                 "JOIN headlines r ON r.id = coalesce(h.story_id, h.id)").fetchall())


def stop_all(servers: list[SlowFeeds]) -> None:
    """Stop the servers at once (each takes up to its poll interval to notice)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(servers) or 1) as pool:
        list(pool.map(lambda server: server.stop(), servers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="unreachable,storm,many,notmodified")
    parser.add_argument("--latency", default="0.5,0.2,0.1,0.05,0", help="seconds per answer, comma-separated")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        workdir = Path(tmp)
        if "unreachable" in cases:
            case_unreachable(workdir)
        if "storm" in cases:
            case_storm(workdir)
        if "many" in cases or "notmodified" in cases:
            latencies = [float(x) for x in args.latency.split(",")]
            if "notmodified" in cases and 0.0 not in latencies:
                latencies.append(0.0)
            case_many(workdir, latencies, "notmodified" in cases)


if __name__ == "__main__":
    main()
