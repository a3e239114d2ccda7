"""Jobs: source units -> store. Units are fetched concurrently (ingest.runners.unit_pool: up to
`[http] workers` at once) and stored from this thread in their order; one ingest-run record per
unit; one failing unit never stops the others; the whole refresh runs under the store's
cross-process refresh lock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from ingest.config import Config
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import FetchResult, result_message, result_status
from ingest.runners.run_record import recorded_run
from ingest.runners.unit_pool import Fetched, PoolRun
from ingest.sources import build_sources
from ingest.sources.base import FetchPlan, PriceSource, Source
from ingest.sources.http import HttpClient
from ingest.store import LockBusy, Store, UnitWrite, WriteCounts

log = logging.getLogger(__name__)
FAILED = ("error", "rate-limited")   # a unit's outcomes that stored nothing


@dataclass(frozen=True)
class UnitOutcome:
    """How one source unit did in one run."""

    key: str
    status: str  # ok | not_modified | partial | error | rate-limited
    counts: WriteCounts = WriteCounts()
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    def line(self) -> str:
        """One line for the terminal: key, status, counts or error."""
        counts = f"{self.counts.new} new, {self.counts.updated} updated, {self.counts.unchanged} unchanged"
        if self.failed:
            return f"{self.key:<32} {self.status:<13} {self.error}"
        if self.status == "not_modified":
            return f"{self.key:<32} not modified  (304, nothing fetched)"
        detail = f"{counts}; {self.error}" if self.error else counts
        return f"{self.key:<32} {self.status:<13} {detail}"


@dataclass
class JobReport:
    """The outcome of a refresh or backfill. `skipped` is set when the lock was busy."""

    job: str
    outcomes: list[UnitOutcome] = field(default_factory=list)
    skipped: str | None = None

    @property
    def all_failed(self) -> bool:
        return bool(self.outcomes) and all(o.failed for o in self.outcomes)

    @property
    def counts(self) -> WriteCounts:
        total = WriteCounts()
        for outcome in self.outcomes:
            total += outcome.counts
        return total


def utcnow() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


def plan_for(store: Store, config: Config, unit: Source, job: str, now: datetime,
             since: date | None = None) -> FetchPlan:
    """What to ask a unit for: incremental from the last stored bar (minus the overlap) on a
    refresh, from `since` (else the configured backfill start) on a backfill; a unit with
    conditional GET (feeds, pages) its stored validators on a refresh; a watched page also the
    strip it stored last."""
    backfill_since = since or config.refresh.backfill_since
    if isinstance(unit, PriceSource):
        start = None
        if job != "backfill":
            last = store.last_bar_time(unit.instrument.id, unit.interval)
            if last is not None:
                start = last - config.refresh.overlap_delta
        elif since is not None:
            start = datetime.combine(since, time(0), UTC)
        return FetchPlan(now=now, backfill_since=backfill_since, since=start)
    etag, last_modified = (None, None)
    conditional = unit.conditional_get()
    if job != "backfill" and conditional is not None:
        etag, last_modified = store.feed_validators(conditional[0])
    last_strip = tuple(store.last_strip(unit.key)) if unit.group == "pages" else ()
    return FetchPlan(now=now, backfill_since=backfill_since, etag=etag, last_modified=last_modified,
                     last_strip=last_strip)


@dataclass
class PlannedUnit:
    """A unit of a job with its plan, the time it was planned, and its run once started."""

    unit: Source
    now: datetime
    plan: FetchPlan
    run_id: int | None = None


def record_unit(store: Store, job: str, planned: PlannedUnit, fetched: Fetched, tagger: Callable) -> UnitOutcome:
    """Store what one unit's fetch gave and close its run (with its error, when it failed)."""
    unit = planned.unit
    feed = unit.conditional_get()
    with recorded_run(store, job, unit.key, planned.now, unit.group, feed=feed, run_id=planned.run_id) as run:
        result = fetched.unwrap()
        counts = run.commit(result, tagger)
    if run.error is not None:
        return UnitOutcome(unit.key, run.status, error=run.error)
    return stored_outcome(unit, result, counts)


def stored_outcome(unit: Source, result: FetchResult, counts: WriteCounts) -> UnitOutcome:
    """The outcome of a unit whose result was stored with `counts`."""
    return UnitOutcome(unit.key, result_status(result).value, counts, result_message(result))


def record_units(store: Store, job: str, ready: list[tuple[PlannedUnit, Fetched]],
                 tagger: Callable) -> list[UnitOutcome]:
    """Store units fetched together, in their order: those that returned data in one transaction
    (their stories linked, scored and counted once: Store.commit_results), the failed ones each
    recorded as record_unit does. When the shared transaction fails, nothing of it is kept and
    each unit is stored again in a transaction of its own, so one bad unit fails alone."""
    fetched_ok = [(entry, fetched) for entry, fetched in ready
                  if fetched.error is None and fetched.result is not None and entry.run_id is not None]
    if len(fetched_ok) < 2:
        return [record_unit(store, job, entry, fetched, tagger) for entry, fetched in ready]
    writes = [UnitWrite(entry.run_id, fetched.result, entry.now, entry.unit.conditional_get())
              for entry, fetched in fetched_ok]
    try:
        counts = dict(zip((id(e) for e, _ in fetched_ok), store.commit_results(writes, tag=tagger), strict=True))
    except Exception:   # one of them could not be stored: each alone, its failure recorded as its own
        log.warning("%d units fetched together could not be stored together; storing each alone", len(writes),
                    exc_info=True)
        return [record_unit(store, job, entry, fetched, tagger) for entry, fetched in ready]
    outcomes = []
    for entry, fetched in ready:
        if id(entry) not in counts:
            outcomes.append(record_unit(store, job, entry, fetched, tagger))
            continue
        outcomes.append(stored_outcome(entry.unit, fetched.result, counts[id(entry)]))
    return outcomes


def run_job(store: Store, config: Config, job: str = "refresh", *,
            groups: tuple[str, ...] = ("prices", "feeds"), since: date | None = None,
            lock_wait: float | None = None, now: Callable[[], datetime] = utcnow,
            units: Iterable[Source] | None = None,
            on_outcome: Callable[[UnitOutcome], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False, repair: bool = True) -> JobReport:
    """Run a refresh or backfill of every configured unit in `groups` ('prices', 'feeds',
    'pages') under their refresh locks.
    If another process holds the lock for longer than `lock_wait`, the report says skipped.
    `should_stop` is checked before each unit starts (a clean shutdown finishes the units in
    flight only).
    `repair`: first look for headlines written around the store (two scans of the headlines:
    the scheduler asks for it now and then, not every few seconds), and retag the headlines
    waiting in the retag queue (after the v6 migration decoded their text; one cheap read when
    there are none)."""
    if job not in ("refresh", "backfill"):
        raise ValueError(f"unknown job {job!r}")
    wait = config.refresh.lock_wait_delta.total_seconds() if lock_wait is None else lock_wait
    report = JobReport(job)
    try:
        with store.refresh_lock(wait, groups):
            store.mark_interrupted(now(), groups)
            tagger = headline_tagger(config.topics)
            if repair:
                store.index_missing()   # headlines written around the store get searchable (a no-op on SQLite)
                store.recount_days()    # ... and counted per day
                store.retag_queued(tagger)  # headlines whose text a migration changed get their tags again
                store.relink_stories()   # ... and their stories linked again when the story rule changed
            store.sync_config(config)
            client = HttpClient(config.http)
            units = build_sources(config, client, groups) if units is None else list(units)
            clients = _clients(units)
            backoffs = store.host_backoffs()
            for each in clients:   # hosts left alone by earlier runs' 429 / 5xx storms, and new ones
                each.use_breakers(backoffs, now)
            planned = []
            for unit in units:
                moment = now()
                planned.append(PlannedUnit(unit, moment, plan_for(store, config, unit, job, moment, since)))

            def start(entry: PlannedUnit) -> None:
                entry.run_id = store.start_run(job, entry.unit.key, entry.now, entry.unit.group)

            pool = PoolRun(config.http.workers, config.http.unit_budget, should_stop, on_start=start)
            for ready in pool.run_batches(planned, lambda entry: entry.unit.fetch(entry.plan), config.http.workers):
                for outcome in record_units(store, job, ready, tagger):
                    report.outcomes.append(outcome)
                    if on_outcome is not None:
                        on_outcome(outcome)
            if pool.stopped:
                report.skipped = "stopped before all sources ran"
            for each in clients:
                store.save_host_backoffs(each.breakers.changes, now())
    except LockBusy as exc:
        report.skipped = str(exc)
    return report


def _clients(units: list[Source]) -> list[HttpClient]:
    """The HTTP clients the units share (one per run, unless a caller built units itself)."""
    found: dict[int, HttpClient] = {}
    for unit in units:
        client = getattr(unit, "client", None)
        if isinstance(client, HttpClient):
            found.setdefault(id(client), client)
    return list(found.values())
