"""End to end: the real CBR, yfinance and feedparser code against loopback servers replaying
the real formats, through the job runner and the CLI, into a real SQLite store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ingest.config import Config
from ingest.runners.jobs import run_job
from ingest.store import Store
from tests.conftest import store_place, utc
from tests.servers.cbr import FakeCbr
from tests.servers.feeds import FeedServer
from tests.servers.yahoo import FakeYahoo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

NOW = utc(2022, 3, 1, 18)
FEEDS = ("bbc-world-20170120.xml", "reuters-worldnews-20180130.xml", "dw-all-20260726-trimmed.rdf.xml")


@pytest.fixture(scope="module")
def servers():
    with FakeCbr.with_ecb_data() as cbr, FakeYahoo(now=NOW) as yahoo, FeedServer() as feeds:
        yield cbr, yahoo, feeds


@pytest.fixture
def config(servers, store_url) -> Config:
    cbr, yahoo, feeds = servers
    cbr.reset()
    yahoo.clear_failures()
    feeds.reset()
    return Config.model_validate({
        "store": {"url": store_url},
        "refresh": {"backfill_since": "2022-01-01", "hourly_days": 0},
        "http": {"retries": 2, "backoff": 0.01, "backoff_max": 0.05, "read_timeout": 2},
        "sources": {"cbr": {"url": cbr.url}, "yahoo": {"url": yahoo.url}},
        "instruments": [
            {"id": "usd_rub", "label": "USD/RUB", "mark": "$", "source": "cbr", "ticker": "R01235"},
            {"id": "brent", "label": "Brent", "mark": "BR", "source": "yahoo", "ticker": "BZ=F",
             "change": "pct"},
            {"id": "usd_rub_mkt", "label": "USD/RUB market", "source": "yahoo", "ticker": "RUB=X"},
        ],
        "feeds": [{"name": name.split("-2")[0], "url": feeds.url_for(name)} for name in FEEDS],
        "pages": [],
    })


def lines(report) -> list[str]:
    return [o.line() for o in report.outcomes]


def test_refresh_then_again_adds_nothing(config, servers):
    store = Store.open(config.store.url)
    first = run_job(store, config, now=lambda: NOW)
    assert [(o.key, o.status, o.counts.new) for o in first.outcomes] == [
        ("cbr:usd_rub:1d", "ok", 42), ("yahoo:brent:1d", "ok", 40), ("yahoo:usd_rub_mkt:1d", "ok", 42),
        ("feed:bbc-world", "ok", 3), ("feed:reuters-worldnews", "ok", 10),
        # the DW capture's items are dated 2026, after this refresh's clock: stored at the fetch time
        ("feed:dw-all", "partial", 2)]
    assert first.outcomes[-1].error == ("2 entries dated more than 10 minutes after they were fetched; "
                                        "fetch time used")
    bars = store.bars(["usd_rub"], "1d", start=utc(2022, 3, 1))
    assert bars[["ts", "close", "source"]].values.tolist() == [[utc(2022, 3, 1), 105.0, "cbr"]]
    brent = store.bars(["brent"], "1d", start=utc(2022, 2, 28), end=utc(2022, 2, 28, 23))
    assert brent["ts"].tolist() == [utc(2022, 2, 28)]  # its trading day (stamped at New York midnight)
    second = run_job(store, config, now=lambda: NOW)
    assert [(o.status, o.counts.new, o.counts.updated) for o in second.outcomes] == [
        ("ok", 0, 0), ("ok", 0, 0), ("ok", 0, 0),
        ("not_modified", 0, 0), ("not_modified", 0, 0), ("not_modified", 0, 0)]
    # the second refresh asked only for the overlap, and every feed conditionally
    cbr, yahoo, feeds = servers
    assert cbr.dynamic_requests[-1]["date_req1"] == "26/02/2022"
    for name in FEEDS:
        request = feeds.requests_for(name)[-1]
        assert request.status == 304 and request.headers["if-none-match"].startswith('"')
    counts = store.counts()
    assert (counts["price_bars"], counts["headlines"]) == (124, 15)


def test_failures_stay_with_their_source(config, servers, store_url):
    cbr, yahoo, feeds = servers
    yahoo.fail("BZ=F", 429, times=2)          # one failed attempt (yfinance asks twice), then success
    yahoo.fail("RUB=X", 500, times=100)       # down for good
    feeds.serve_next(FEEDS[1], b"<html><body>maintenance</body></html>", n=10,
                     headers={"Content-Type": "text/html"})
    store = Store.open(store_url)
    report = run_job(store, config, now=lambda: NOW)
    status = {o.key: (o.status, o.counts.new, o.error) for o in report.outcomes}
    assert status["yahoo:brent:1d"] == ("ok", 40, None)
    assert status["cbr:usd_rub:1d"][:2] == ("ok", 42)
    assert status["yahoo:usd_rub_mkt:1d"][0] == "error"
    assert status["yahoo:usd_rub_mkt:1d"][2] == (
        f"Yahoo RUB=X 1d 2022-01-01 00:00..2022-03-01 18:00 UTC: HTTP 500 from {yahoo.url}/v8/finance/chart/RUB=X; "
        f"{yahoo.url.removeprefix('http://')} left alone until 2022-03-01 18:05 UTC")   # [http] host_backoff: 300 s
    assert status["feed:reuters-worldnews"][0] == "error"
    assert status["feed:dw-all"][:2] == ("partial", 2)
    assert not report.all_failed
    from ingest.runners.status import status_lines

    table = {line.split()[0]: line for line in status_lines(store, config)[4:]}
    assert table["yahoo:usd_rub_mkt:1d"].split()[3:6] == ["error", "0", "-"]
    assert "HTTP 500 from " + yahoo.url + "/v8/finance/chart/RUB=X; " in table["yahoo:usd_rub_mkt:1d"]
    assert table["yahoo:brent:1d"].split()[3:7] == ["ok", "40", "2022-03-01", "00:00"]


def write_config(tmp_path: Path, config: Config) -> Path:
    """The feeds of `config` as a TOML file, for subprocesses (no instruments: their fakes' clocks
    are not the wall clock a subprocess runs on)."""
    feeds = "".join(f'[[feeds]]\nname = "{f.name}"\nurl = "{f.url}"\n' for f in config.feeds)
    path = tmp_path / "newsmarks.toml"
    path.write_text(f'instruments = []\npages = []\n[store]\nurl = "{config.store.url}"\n'
                    '[http]\nretries = 1\nbackoff = 0.01\nread_timeout = 60\n' + feeds, encoding="utf-8")
    return path


def newsmarks(config_path: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMARKS_")}
    return subprocess.Popen([sys.executable, "-m", "ingest", "--config", str(config_path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_refresh_killed_midway_then_a_clean_one(config, servers, tmp_path, store_url):
    _, _, feeds = servers
    feeds.stall_next(FEEDS[1], 1, seconds=30)   # the second feed hangs until the kill
    path = write_config(tmp_path, config)
    store = Store.open(store_url)
    proc = newsmarks(path, "refresh")
    try:
        # a unit's run starts as it goes to the pool; the feeds share one host, so the third waits
        # in the queue for the second (one unit per host at a time)
        wait_for(lambda: len(feeds.requests_for(FEEDS[1])) == 1 and "ok" in store.runs()["status"].tolist())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    runs = store.runs().sort_values("id")
    assert runs[["source", "status"]].values.tolist() == [["feed:bbc-world", "ok"],
                                                          ["feed:reuters-worldnews", "running"]]
    assert store.counts()["headlines"] == 3           # what was committed is there, nothing half-written
    feeds.reset()
    done = newsmarks(path, "refresh")
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert out.splitlines()[-1] == "refresh: 3 sources, 0 failed, 12 new rows"
    runs = store.runs().sort_values("id")
    assert runs[["source", "status"]].values.tolist() == [
        ["feed:bbc-world", "ok"], ["feed:reuters-worldnews", "interrupted"],
        ["feed:bbc-world", "not_modified"], ["feed:reuters-worldnews", "ok"], ["feed:dw-all", "ok"]]
    with store.reading() as conn:
        if store.engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("SELECT count(*) FROM headlines_fts")).scalar() == 15
        else:  # every headline has its search document
            assert conn.execute(text("SELECT count(*) FROM headlines_search")).scalar() == 15
    assert store.counts()["headlines"] == 15


def test_two_refreshes_at_once(config, servers, tmp_path, store_url):
    _, _, feeds = servers
    feeds.stall_next(FEEDS[0], 1, seconds=6)   # long enough for a second process to start on a busy machine
    path = write_config(tmp_path, config)
    first = newsmarks(path, "refresh")
    try:
        wait_for(lambda: len(feeds.requests_for(FEEDS[0])) == 1)
        skipped = newsmarks(path, "refresh", "--wait", "0.5")
        out, err = skipped.communicate(timeout=30)
        assert skipped.returncode == 75
        busy = f"another refresh of feeds is running on {store_place(store_url)} (waited 0.5s)"
        assert err == f"refresh skipped: {busy}\n"
        assert out == ""
        waiting = newsmarks(path, "refresh", "--wait", "30")
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, err
        assert out.splitlines()[-1] == "refresh: 3 sources, 0 failed, 0 new rows"
        first_out, _ = first.communicate(timeout=30)
        assert first_out.splitlines()[-1] == "refresh: 3 sources, 0 failed, 15 new rows"
    finally:
        first.kill()
    assert Store.open(store_url).counts()["headlines"] == 15


def test_every_source_failing_exits_non_zero(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'instruments = []\npages = []\n[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
                      '[http]\nretries = 0\n'
                      f'[[feeds]]\nname = "gone"\nurl = "http://127.0.0.1:9/rss"\n'
                      f'[[feeds]]\nname = "missing"\nurl = "{tmp_path / "none.xml"}"\n', encoding="utf-8")
    proc = newsmarks(config, "refresh")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert out.splitlines()[0].startswith("feed:gone                        error         ")
    assert "cannot connect" in out.splitlines()[0]
    assert out.splitlines()[1].startswith("feed:missing                     error         ")
    assert out.splitlines()[2] == "refresh: 2 sources, 2 failed, 0 new rows"
    assert err.splitlines()[-1] == "refresh: every source failed (is the network reachable?)"


def test_schedule_refreshes_at_once_and_stops_cleanly_on_sigterm(config, servers, tmp_path, store_url):
    path = write_config(tmp_path, config)
    proc = newsmarks(path, "schedule")
    store = Store.open(store_url)
    try:
        wait_for(lambda: store.counts()["headlines"] == 15 and len(store.runs()) == 3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0
    messages = [line.split(" ", 1)[1] for line in err.splitlines()]
    assert messages[0] == "INFO scheduled refresh: prices every 15m, feeds every 5m (Ctrl-C to stop)"
    assert "INFO refresh of feeds done: 3 sources, 0 failed, 15 new rows" in messages
    assert "INFO refresh of prices done: 0 sources, 0 failed, 0 new rows" in messages
    assert messages[-2:] == ["INFO stopping: letting the source in progress finish", "INFO stopped"]


def test_scheduler_jobs_follow_the_config(store, make_config):
    import threading

    from ingest.runners.scheduler import make_scheduler

    config = make_config(refresh={"prices": "15m", "feeds": "90s"})
    scheduler = make_scheduler(store, config, blocking=False, stop=threading.Event(), run_now=False)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["refresh-feeds", "refresh-prices"]
    assert jobs["refresh-prices"].trigger.interval.total_seconds() == 900
    assert jobs["refresh-feeds"].trigger.interval.total_seconds() == 90
    assert jobs["refresh-feeds"].max_instances == 1 and jobs["refresh-feeds"].coalesce
