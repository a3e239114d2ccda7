"""Store's run methods (the RunAccess part of ingest.store.Store): the configuration synced, ingest
runs started and closed with what they fetched, and the run records and summaries `status` reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import pandas as pd

from ingest.records import FetchResult, HostBackoff, result_message, result_status
from ingest.store import headline_writes as _writes
from ingest.store import host_backoff as _backoff
from ingest.store import instruments as _instruments
from ingest.store import prices as _prices
from ingest.store import runs as _runs
from ingest.store import snapshots as _snapshots
from ingest.store.headline_access import TagFunction
from ingest.store.transactions import Transactions
from ingest.store.write_counts import NO_ROWS, WriteCounts


class UnitWrite(NamedTuple):
    """One unit's write: its run, what its fetch returned, when, and (name, url) for a feed."""

    run_id: int
    result: FetchResult
    now: datetime
    feed: tuple[str, str] | None = None


def _store_result(conn, unit: UnitWrite, tag: TagFunction | None, work: _writes.StoryWork) -> WriteCounts:
    """Store one unit's result and close its run (its headlines' stories left in `work`)."""
    result, counts, relearned = unit.result, WriteCounts(), False
    for batch in result.prices:
        if batch.close_rule is not None:
            from ingest.close_rules import parse_rule

            relearned |= _instruments.learn_close_rule(conn, batch.instrument_id, parse_rule(batch.close_rule))
        counts += _prices.write_bars(conn, batch.instrument_id, batch.interval, batch.source, batch.bars, unit.now)
    if result.headlines:
        counts += _writes.write_headlines(conn, result.headlines, tag, work)
    if result.snapshots:
        counts += _snapshots.write_snapshots(conn, result.snapshots)
    status = result_status(result).value
    error = result_message(result)
    _runs.finish_run(conn, unit.run_id, status, unit.now, counts, error)
    if unit.feed is not None:
        _runs.record_feed_fetch(conn, unit.feed[0], unit.feed[1], unit.now, status, result.feed_state, error)
    if relearned:
        _runs.bump_data_version(conn)
    elif counts.changed:
        _runs.bump_data_version(conn, counts)
    return counts


class RunAccess(Transactions):
    """Configuration, run records and the status summary, each call in one transaction."""

    def sync_config(self, config) -> list[str]:
        """Store the configured instruments (with their close rules) and feeds. Where an
        instrument's close rule changed, its daily bars' known times are computed again;
        returns those instruments' ids."""
        from ingest.close_rules import instrument_rule

        rules = {i.id: instrument_rule(i.source, i.ticker, i.close_time, config.sources.cbr.published)
                 for i in config.instruments}
        with self.writing() as conn:
            changed = _instruments.sync_instruments(conn, config.instruments, rules)
            _runs.sync_feeds(conn, config.feeds)
            if changed:
                _runs.bump_data_version(conn)
            return changed

    def start_run(self, job: str, source: str, now: datetime, group: str) -> int:
        """Record that a run of a source unit of `group` started (committed at once, so a crash
        leaves it visible)."""
        with self.writing() as conn:
            return _runs.start_run(conn, job, source, group, now)

    def finish_run(self, run_id: int, status: str, now: datetime, counts: WriteCounts = NO_ROWS,
                   error: str | None = None, feed: tuple[str, str] | None = None) -> None:
        """Record how a run ended without data (errors, skips); `feed` is (name, url)."""
        with self.writing() as conn:
            _runs.finish_run(conn, run_id, status, now, counts, error)
            if feed is not None:
                _runs.record_feed_fetch(conn, feed[0], feed[1], now, status, error=error)

    def mark_interrupted(self, now: datetime, groups: tuple[str, ...] = ("prices", "feeds")) -> int:
        """Close runs of `groups` left 'running' by a dead process (call while holding their
        refresh locks)."""
        with self.writing() as conn:
            return _runs.mark_interrupted(conn, groups, now)

    def commit_result(self, run_id: int, result: FetchResult, now: datetime, *,
                      tag: TagFunction | None = None, feed: tuple[str, str] | None = None) -> WriteCounts:
        """Store everything a source unit returned and close its run, in one transaction."""
        return self.commit_results([UnitWrite(run_id, result, now, feed)], tag=tag)[0]

    def commit_results(self, units: Sequence[UnitWrite], *, tag: TagFunction | None = None) -> list[WriteCounts]:
        """Store what several source units returned and close their runs, in one transaction
        (all or none); their new headlines are linked to their stories, scored and counted per
        day once for them all (the same links and counts as one transaction per unit). Returns
        each unit's counts."""
        with self.writing() as conn:
            work = _writes.StoryWork()
            counts = [_store_result(conn, unit, tag, work) for unit in units]
            _writes.finish_stories(conn, work)
            return counts

    def host_backoffs(self) -> dict[str, HostBackoff]:
        """The hosts left alone after 429 / 5xx answers, and until when."""
        with self.reading() as conn:
            return _backoff.host_backoffs(conn)

    def save_host_backoffs(self, changes: dict[str, HostBackoff | None], now: datetime) -> None:
        """Store a run's new backoffs; None forgets a host's (it answered again)."""
        if changes:
            with self.writing() as conn:
                _backoff.save_host_backoffs(conn, changes, now)

    def migration_report(self) -> dict | None:
        """What the latest migration that changed data did ({'version', 'at', 'notes'})."""
        from ingest.store.migrations import migration_report

        with self.reading() as conn:
            return migration_report(conn)

    def feed_validators(self, name: str) -> tuple[str | None, str | None]:
        with self.reading() as conn:
            return _runs.feed_validators(conn, name)

    def runs(self, limit: int = 50, source: str | None = None) -> pd.DataFrame:
        with self.reading() as conn:
            return _runs.runs(conn, limit, source)

    def latest_runs(self) -> dict[str, dict]:
        with self.reading() as conn:
            return _runs.latest_runs(conn)

    def counts(self) -> dict[str, int]:
        with self.reading() as conn:
            return _runs.summary_counts(conn)

    def bar_extents(self) -> pd.DataFrame:
        with self.reading() as conn:
            return _runs.bar_extents(conn)

    def headline_extents(self) -> pd.DataFrame:
        with self.reading() as conn:
            return _runs.headline_extents(conn)

    def latest_data_time(self, now: datetime | None = None) -> datetime | None:
        """Where preset ranges end: the newest data point known by `now` (default: the clock) —
        price bars by when their close was known, headlines with exact times only (see
        runs.latest_data_time); None when the store holds neither."""
        from datetime import UTC

        with self.reading() as conn:
            return _runs.latest_data_time(conn, now or datetime.now(UTC))

    def data_version(self) -> int:
        with self.reading() as conn:
            return _runs.data_version(conn)

    def changed_since(self, version: int, start: datetime | None, end: datetime | None) -> bool:
        """Whether data newer than `version` changed any time in [start, end] (None: unbounded);
        True when the store cannot tell (see runs.changed_since)."""
        with self.reading() as conn:
            return _runs.changed_since(conn, version, start, end)
