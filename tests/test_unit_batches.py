"""Units fetched together are stored together: PoolRun.run_batches hands over the units whose
fetches are done, in order; Store.commit_results writes them in one transaction, their stories
linked, scored and counted once, with exactly what one transaction per unit stores; a unit that
cannot be stored with the others fails alone (ingest.runners.jobs.record_units)."""

from __future__ import annotations

import csv
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import FeedState, FetchResult, Headline
from ingest.runners import unit_pool
from ingest.runners.jobs import PlannedUnit, record_units
from ingest.runners.unit_pool import Fetched, PoolRun
from ingest.sources.base import FetchPlan
from ingest.store import Store, UnitWrite, schema
from tests.conftest import new_store_url

FETCHED = datetime(2026, 6, 13, tzinfo=UTC)
TABLES = ("headlines", "headline_tags", "headline_days", "story_group_days", "ingest_runs", "data_changes",
          "feeds", "meta")


def real_units(shared_data: Path) -> list[list[Headline]]:
    """Six feeds' headlines of 10-12 June 2026 from ../shared/data (the world-news captures), one
    unit per outlet, 60 each: real copies of one story across outlets, for the links to find."""
    by_source: dict[str, list[Headline]] = {}
    with open(shared_data / "world-headlines-rss-2026-05-to-08.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if "2026-06-10" <= row["pub_date_utc"] < "2026-06-13":
                published = datetime.fromisoformat(row["pub_date_utc"].replace("Z", "+00:00"))
                items = by_source.setdefault(row["source"], [])
                items.append(Headline(source=row["source"], guid=f"{row['source']}-{len(items)}",
                                      title=row["title"], published=published, fetched=FETCHED))
    outlets = sorted(by_source, key=lambda name: -len(by_source[name]))[:6]
    return [by_source[name][:60] for name in outlets]


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of the tables a write touches, in key order."""
    with store.reading() as conn:
        return {name: sorted(tuple(row) for row in conn.execute(select(schema.metadata.tables[name])))
                for name in TABLES}


def units_with_a_revision(shared_data: Path) -> list[FetchResult]:
    units = real_units(shared_data)
    first = units[0][0]
    # the last unit carries the first unit's first headline again, retitled and earlier: an
    # update, in the same transaction, of a headline written new by it
    revised = Headline(source=first.source, guid=first.guid, title=first.title + " (updated)",
                       published=first.published - timedelta(hours=1), fetched=FETCHED)
    units[-1] = [*units[-1], revised]
    return [FetchResult(headlines=items, feed_state=FeedState(200, etag=f'"{n}"')) for n, items in enumerate(units)]


def test_units_stored_together_store_what_one_transaction_each_stores(store_kind, tmp_path, request, shared_data):
    results = units_with_a_revision(shared_data)
    tag = headline_tagger([])
    stores = []
    for name in ("together", "alone"):
        folder = tmp_path / name
        folder.mkdir()
        stores.append(Store.open(new_store_url(store_kind, folder, request)))
    together, alone = stores
    try:
        for store in stores:
            with store.writing() as conn:
                for n in range(len(results)):
                    conn.execute(schema.feeds.insert().values(name=f"feed{n}", url=f"https://feeds.example.test/{n}.xml"))
        writes = [UnitWrite(together.start_run("refresh", f"feed:feed{n}", FETCHED, "feeds"), result, FETCHED,
                            (f"feed{n}", f"https://feeds.example.test/{n}.xml")) for n, result in enumerate(results)]
        counts = together.commit_results(writes, tag=tag)
        alone_counts = []
        for n, result in enumerate(results):
            run = alone.start_run("refresh", f"feed:feed{n}", FETCHED, "feeds")
            alone_counts.append(alone.commit_result(run, result, FETCHED, tag=tag,
                                                    feed=(f"feed{n}", f"https://feeds.example.test/{n}.xml")))
        assert counts == alone_counts
        assert [c.new for c in counts] == [60] * 5 + [60] and counts[-1].updated == 1
        stored = dump(together)
        assert stored == dump(alone)
        # the comparison means something: stories joined copies across the units
        with together.reading() as conn:
            rows = conn.execute(select(schema.headlines.c.id, schema.headlines.c.source,
                                       schema.headlines.c.story_id)).all()
        source_of = {hid: source for hid, source, _ in rows}
        across = [hid for hid, source, story in rows if story is not None and source_of[story] != source]
        assert len(across) >= 5
        assert {row[0] for row in stored["headline_days"]}   # days counted
    finally:
        for store in stores:
            store.close()


class Unit:
    """A unit as the runner sees it: a key, its group, a feed for its conditional GET."""

    group = "feeds"

    def __init__(self, name: str):
        self.key, self.name = f"feed:{name}", name

    def conditional_get(self) -> tuple[str, str]:
        return self.name, f"https://feeds.example.test/{self.name}.xml"

    def hosts(self) -> list[str]:
        return []


def started(store: Store, name: str) -> PlannedUnit:
    """Feed `name` configured in the store and its unit planned and started, as run_job does."""
    with store.writing() as conn:
        conn.execute(schema.feeds.insert().values(name=name, url=f"https://feeds.example.test/{name}.xml"))
    entry = PlannedUnit(Unit(name), FETCHED, FetchPlan(now=FETCHED, backfill_since=FETCHED.date()))
    entry.run_id = store.start_run("refresh", entry.unit.key, FETCHED, "feeds")
    return entry


def test_a_unit_that_cannot_be_stored_with_the_others_fails_alone(store, monkeypatch):
    import ingest.store.run_access as run_access

    real_write = run_access._writes.write_headlines

    def write(conn, headlines, tag=None, work=None):
        if headlines and headlines[0].source == "bad":
            raise ValueError("a headline this store refuses")
        return real_write(conn, headlines, tag, work)

    monkeypatch.setattr(run_access._writes, "write_headlines", write)
    ready = []
    for name in ("first", "bad", "last"):
        entry = started(store, name)
        items = [Headline(source=name, guid=f"{name}-{i}", title=f"{name} headline {i}",
                          published=FETCHED - timedelta(hours=i + 1), fetched=FETCHED) for i in range(3)]
        ready.append((entry, Fetched(result=FetchResult(headlines=items))))
    outcomes = record_units(store, "refresh", ready, headline_tagger([]))
    assert [(o.key, o.status, o.counts.new, o.error) for o in outcomes] == [
        ("feed:first", "ok", 3, None),
        ("feed:bad", "error", 0, "unexpected ValueError: a headline this store refuses"),
        ("feed:last", "ok", 3, None)]
    stored = store.headlines()
    assert sorted(stored["source"].value_counts().items()) == [("first", 3), ("last", 3)]
    runs = store.runs(10)
    assert sorted(zip(runs["source"], runs["status"], strict=True)) == [
        ("feed:bad", "error"), ("feed:first", "ok"), ("feed:last", "ok")]


def test_a_failed_fetch_among_units_fetched_together_is_recorded_and_the_others_stored(store):
    ready = []
    for name in ("first", "down", "last"):
        entry = started(store, name)
        if name == "down":
            from ingest.sources.base import SourceError
            ready.append((entry, Fetched(error=SourceError("feed down: cannot connect"))))
        else:
            items = [Headline(source=name, guid=f"{name}-1", title=f"{name} headline", published=FETCHED,
                              fetched=FETCHED)]
            ready.append((entry, Fetched(result=FetchResult(headlines=items))))
    outcomes = record_units(store, "refresh", ready, headline_tagger([]))
    assert [(o.key, o.status, o.counts.new, o.error) for o in outcomes] == [
        ("feed:first", "ok", 1, None), ("feed:down", "error", 0, "feed down: cannot connect"),
        ("feed:last", "ok", 1, None)]


def recorded_futures(monkeypatch) -> tuple[list, threading.Event]:
    """The pool's futures in the order the units were submitted, and an event set once all five
    are (the fetches can then wait for each other's futures, not for time)."""
    futures: list = []
    submitted = threading.Event()
    real = unit_pool.ThreadPoolExecutor.submit

    def submit(self, fn, *args, **kwargs):
        future = real(self, fn, *args, **kwargs)
        futures.append(future)
        if len(futures) == 5:
            submitted.set()
        return future

    monkeypatch.setattr(unit_pool.ThreadPoolExecutor, "submit", submit)
    return futures, submitted


@pytest.mark.parametrize("most, expected", [(8, [[0, 1, 2, 3, 4]]), (2, [[0, 1], [2, 3], [4]])])
def test_the_units_done_together_are_handed_over_together_in_order(monkeypatch, most, expected):
    futures, submitted = recorded_futures(monkeypatch)

    def fetch(unit: int) -> FetchResult:
        if unit == 0:   # the first unit finishes last: the others wait done for it
            submitted.wait(10)
            for future in futures[1:]:
                future.result(10)
        return FetchResult(notes=[str(unit)])

    batches = list(PoolRun(5, 30).run_batches(range(5), fetch, most))
    assert [[unit for unit, _ in batch] for batch in batches] == expected
    assert [f.result.notes for batch in batches for _, f in batch] == [["0"], ["1"], ["2"], ["3"], ["4"]]


def test_one_worker_hands_over_one_unit_at_a_time():
    batches = list(PoolRun(1, 30).run_batches(range(4), lambda unit: FetchResult(notes=[str(unit)]), 8))
    assert [[unit for unit, _ in batch] for batch in batches] == [[0], [1], [2], [3]]
    with pytest.raises(ValueError, match="most must be at least 1, not 0"):
        next(PoolRun(1, 30).run_batches(range(4), lambda unit: FetchResult(), 0))
