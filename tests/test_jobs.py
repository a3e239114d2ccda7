"""The job runner's orchestration, with small in-test source units (the real sources run
against loopback servers in test_refresh_e2e.py)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pandas as pd
from sqlalchemy import text

from ingest.config_sections import Instrument
from ingest.runners import scheduler
from ingest.runners.jobs import JobReport, UnitOutcome, plan_for, run_job
from ingest.sources.base import (
    FetchPlan,
    FetchResult,
    Headline,
    PriceBatch,
    PriceSource,
    TransientError,
)
from ingest.store import HeadlineFilter, WriteCounts
from tests.conftest import close_bars, store_place, utc

NOW = utc(2022, 3, 10, 12)
BRENT = Instrument(id="brent", label="Brent", mark="BR", source="yahoo", ticker="BZ=F", change="pct")


class ListSource(PriceSource):
    """Returns the given closes as daily bars from 2022-03-01, and records the plans it got."""

    def __init__(self, instrument, closes=(), error=None):
        super().__init__(instrument, "1d")
        self.closes, self.error, self.plans = list(closes), error, []

    def fetch(self, plan: FetchPlan) -> FetchResult:
        self.plans.append(plan)
        if self.error is not None:
            raise self.error
        frame = close_bars(pd.date_range("2022-03-01", periods=len(self.closes), tz="UTC"), self.closes)
        return FetchResult(prices=[PriceBatch(self.instrument.id, "1d", "test", frame)])


def test_one_failing_unit_does_not_stop_the_others(store, make_config):
    config = make_config()
    broken = ListSource(BRENT.model_copy(update={"id": "broken"}), error=TransientError("HTTP 500 after 3 tries"))
    buggy = ListSource(BRENT.model_copy(update={"id": "buggy"}), error=KeyError("close"))
    good = ListSource(BRENT, closes=[100.0, 101.5])
    report = run_job(store, config, units=[broken, buggy, good], now=lambda: NOW)
    assert report.outcomes == [
        UnitOutcome("yahoo:broken:1d", "error", error="HTTP 500 after 3 tries"),
        UnitOutcome("yahoo:buggy:1d", "error", error="unexpected KeyError: 'close'"),
        UnitOutcome("yahoo:brent:1d", "ok", WriteCounts(new=2)),
    ]
    assert not report.all_failed
    runs = store.runs().sort_values("id")
    assert runs[["source", "status", "new_rows", "error"]].values.tolist() == [
        ["yahoo:broken:1d", "error", 0, "HTTP 500 after 3 tries"],
        ["yahoo:buggy:1d", "error", 0, "unexpected KeyError: 'close'"],
        ["yahoo:brent:1d", "ok", 2, None],
    ]
    assert store.bars(["brent"])["close"].tolist() == [100.0, 101.5]


def test_all_failed(store, make_config):
    report = run_job(store, make_config(), units=[ListSource(BRENT, error=TransientError("down"))],
                     now=lambda: NOW)
    assert report.all_failed


def test_incremental_plan_uses_last_bar_minus_overlap(store, make_config):
    config = make_config(refresh={"overlap": "2d", "backfill_since": "2016-01-01"})
    unit = ListSource(BRENT, closes=[1.0, 2.0, 3.0])
    run_job(store, config, units=[unit], now=lambda: NOW)
    assert unit.plans[0].since is None and unit.plans[0].backfill_since.isoformat() == "2016-01-01"
    assert plan_for(store, config, unit, "refresh", NOW).since == utc(2022, 3, 1)
    assert plan_for(store, config, unit, "backfill", NOW).since is None
    second = run_job(store, config, units=[unit], now=lambda: NOW)
    assert second.outcomes[0].counts == WriteCounts(unchanged=3)


def test_busy_lock_skips_and_says_so(store, make_config):
    unit = ListSource(BRENT, closes=[1.0])
    with store.refresh_lock(1):
        report = run_job(store, make_config(), units=[unit], lock_wait=0.2, now=lambda: NOW)
    assert report.skipped == f"another refresh of feeds is running on {store_path(store)} (waited 0.2s)"
    assert report.outcomes == [] and unit.plans == []


def test_prices_and_feeds_lock_separately(store, make_config):
    unit = ListSource(BRENT, closes=[1.0])
    with store.refresh_lock(1, ("feeds",)):
        report = run_job(store, make_config(), groups=("prices",), units=[unit], lock_wait=0.2, now=lambda: NOW)
        assert report.skipped is None and [o.status for o in report.outcomes] == ["ok"]
        blocked = run_job(store, make_config(), groups=("feeds",), units=[], lock_wait=0.2, now=lambda: NOW)
        assert blocked.skipped == f"another refresh of feeds is running on {store_path(store)} (waited 0.2s)"


def store_path(store) -> str:
    """Where the store lives, as lock messages name it (its file, or its PostgreSQL database)."""
    return store_place(store.engine.url.render_as_string(hide_password=False))


def test_interrupted_runs_of_other_groups_are_left_alone(store, make_config):
    store.start_run("refresh", "feed:x", utc(2022, 3, 9), "feeds")
    run_job(store, make_config(), groups=("prices",), units=[], now=lambda: NOW)
    assert store.runs()["status"].tolist() == ["running"]


def test_runs_left_running_by_a_dead_process_are_marked_interrupted(store, make_config):
    store.start_run("refresh", "yahoo:brent:1d", utc(2022, 3, 9), "prices")
    run_job(store, make_config(), units=[], now=lambda: NOW)
    assert store.runs()[["status", "error"]].values.tolist() == [
        ["interrupted", "the process stopped before this run finished"]]


def test_stop_request_is_honoured_between_units(store, make_config):
    first, second = ListSource(BRENT, closes=[1.0]), ListSource(BRENT.model_copy(update={"id": "x"}), [2.0])
    calls = iter([False, True])
    report = run_job(store, make_config(), units=[first, second], now=lambda: NOW,
                     should_stop=lambda: next(calls))
    assert [o.key for o in report.outcomes] == ["yahoo:brent:1d"]
    assert report.skipped == "stopped before all sources ran" and second.plans == []


def _write_around_the_store(store) -> None:
    """A headline inserted with plain SQL, as a bulk load beside newsmarks would."""
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, time_inferred, "
                          "title_norm) VALUES ('bulk', 'b1', 'Loaded beside', '', :t, :t, false, 'loaded beside')"),
                     {"t": int(utc(2022, 3, 2, 9).timestamp())})


def _day_count(store) -> list[int]:
    return store.headline_counts(HeadlineFilter(start=utc(2022, 3, 1), end=utc(2022, 3, 9)), 86400)["count"].tolist()


def test_a_job_repairs_headlines_written_around_the_store_only_when_asked(store, make_config):
    _write_around_the_store(store)
    run_job(store, make_config(), units=[], now=lambda: NOW, repair=False)
    assert _day_count(store) == []
    run_job(store, make_config(), units=[], now=lambda: NOW)
    assert _day_count(store) == [1]


def test_the_scheduler_repairs_with_the_feeds_refresh_at_start_then_every_ten_minutes(store, make_config, monkeypatch):
    asked: list[tuple[tuple, bool]] = []
    monkeypatch.setattr(scheduler, "run_job", lambda *_a, groups, repair, **_k: asked.append((groups, repair))
                        or JobReport("refresh"))
    clock = [NOW]
    monkeypatch.setattr(scheduler, "utcnow", lambda: clock[0])
    repairs = scheduler.RepairClock()
    for group, minutes in (("prices", 0), ("feeds", 0), ("feeds", 9), ("prices", 10), ("feeds", 10), ("feeds", 15)):
        clock[0] = NOW + timedelta(minutes=minutes)
        scheduler._refresh_group(store, make_config(), group, threading.Event(), None, repairs)
    assert asked == [(("prices",), False), (("feeds",), True), (("feeds",), False), (("prices",), False),
                     (("feeds",), True), (("feeds",), False)]


# -- the retag queue (headlines whose text the v6 migration decoded) -----------------------------------

def _queue(store, ids) -> None:
    """Put headline ids into the retag queue by hand, as the v6 migration does."""
    with store.engine.begin() as conn:
        for headline_id in ids:
            conn.execute(text("INSERT INTO retag_queue (headline_id) VALUES (:i)"), {"i": int(headline_id)})


def _queued(store) -> list[int]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT headline_id FROM retag_queue ORDER BY headline_id"))]


def _headline(guid: str, title: str, when) -> Headline:
    return Headline(source="wire", guid=guid, title=title, published=when, fetched=NOW)


def test_a_refresh_retags_the_queued_headlines_in_its_repair_step(store, make_config):
    config = make_config(topics=[{"name": "Oil", "terms": ["oil"]}])
    store.write_headlines([_headline("a", "Oil prices rise", utc(2022, 3, 2, 9)),
                           _headline("b", "Oil output cut", utc(2022, 3, 3, 9))])   # stored without tags
    rise = int(store.headlines(query="rise")["id"].iloc[0])
    _queue(store, [rise, 999])   # 999: a headline deleted since: just taken off the queue
    run_job(store, config, units=[], now=lambda: NOW, repair=False)
    assert _queued(store) == [rise, 999] and store.headlines()["topics"].tolist() == ["", ""]
    version = store.data_version()
    run_job(store, config, units=[], now=lambda: NOW)
    assert _queued(store) == []
    assert store.headlines(sort="title")[["title", "topics"]].values.tolist() == [
        ["Oil output cut", ""], ["Oil prices rise", "Oil"]]   # only the queued one was retagged
    assert store.data_version() > version
    assert not store.changed_since(version, utc(2022, 3, 3), utc(2022, 3, 4))   # it changed 2022-03-02 only
    assert store.changed_since(version, utc(2022, 3, 2), utc(2022, 3, 2, 23))


def test_an_empty_retag_queue_costs_one_read(store):
    from sqlalchemy import event

    statements: list[str] = []
    version = store.data_version()
    listener = lambda *args: statements.append(args[2])   # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        assert store.retag_queued(lambda h: [("topic", "x")]) == 0
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    touching = [s for s in statements if "retag_queue" in s or "headline" in s]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("SELECT")
    assert not any("IMMEDIATE" in s or "advisory" in s or s.lstrip().upper().startswith(("INSERT", "UPDATE",
                                                                                           "DELETE"))
                   for s in statements)
    assert store.data_version() == version
