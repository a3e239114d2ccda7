"""The store: the only place with SQL. `Store.open(url)` creates or migrates the schema and
returns the one data-access object every command and the dashboard use."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine

from ingest.records import FetchResult, Headline, HeadlineFilter, TickerSnapshot, result_status
from ingest.store import backfill_slices as _backfill_slices
from ingest.store import deletion as _deletion
from ingest.store import fts as _fts
from ingest.store import headline_days as _days
from ingest.store import headline_writes as _writes
from ingest.store import headlines as _headlines
from ingest.store import prices as _prices
from ingest.store import retagging as _retagging
from ingest.store import risk as _risk
from ingest.store import runs as _runs
from ingest.store import snapshots as _snapshots
from ingest.store.copy import CopyError, TableCopy, copy_store
from ingest.store.deletion import DeleteCounts, DeleteFilter
from ingest.store.engine import make_engine
from ingest.store.lock import LockBusy, refresh_lock
from ingest.store.migrations import SCHEMA_VERSION, SchemaError, migrate
from ingest.store.prices import NO_ROWS, WriteCounts
from ingest.utc import series_to_epoch

__all__ = ["Store", "ReadOnlyStore", "HeadlineFilter", "make_engine", "LockBusy", "SchemaError", "WriteCounts",
           "SCHEMA_VERSION", "CopyError", "TableCopy"]

TagFunction = Callable[[Headline], Iterable[tuple[str, str]]]


class Store:
    """Data access for newsmarks. Every write is one transaction: it lands whole or not at all."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (creating or migrating) the store at a SQLAlchemy URL."""
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def copy_into(self, target: Store, source_name: str,
                  progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
        """Copy this store into `target` (empty, or a partial copy of this one), resumable and
        verified by counts (see ingest.store.copy); `source_name` is this store's URL without
        password. Raises CopyError."""
        return copy_store(self.engine, target.engine, source_name, progress)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a read transaction (one consistent state of the store, on PostgreSQL too)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(newsmarks_read=True)
            with conn.begin():
                yield conn

    @contextmanager
    def consistent_read(self) -> Iterator[Store]:
        """A read-only view of the store whose reads all share one read transaction: one
        connection and one consistent state for several reads (a chart's bars, counts and
        headlines agree with each other, and cost one transaction instead of one each). Writing
        through it raises ReadOnlyStore."""
        with self.reading() as conn:
            yield _ConsistentReadStore(self.engine, conn)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection in a write transaction (takes the store's write lock up front: one writer
        at a time, on SQLite and PostgreSQL alike)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(newsmarks_write=True)
            with conn.begin():
                yield conn

    def refresh_lock(self, wait_seconds: float, groups: tuple[str, ...] = ("prices", "feeds")):
        """Context manager holding the cross-process refresh locks of `groups`; raises LockBusy."""
        return refresh_lock(self.engine, wait_seconds, groups)

    # -- configuration -------------------------------------------------------------------
    def sync_config(self, config) -> list[str]:
        """Store the configured instruments (with their close rules) and feeds. Where an
        instrument's close rule changed, its daily bars' known times are computed again;
        returns those instruments' ids."""
        from ingest.close_rules import instrument_rule

        rules = {i.id: instrument_rule(i.source, i.ticker, i.close_time, config.sources.cbr.published)
                 for i in config.instruments}
        with self.writing() as conn:
            changed = _prices.sync_instruments(conn, config.instruments, rules)
            _runs.sync_feeds(conn, config.feeds)
            if changed:
                _runs.bump_data_version(conn)
            return changed

    # -- runs ------------------------------------------------------------------------------
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
        with self.writing() as conn:
            counts = WriteCounts()
            relearned = False
            for batch in result.prices:
                if batch.close_rule is not None:
                    from ingest.close_rules import parse_rule

                    relearned |= _prices.learn_close_rule(conn, batch.instrument_id, parse_rule(batch.close_rule))
                counts += _prices.write_bars(conn, batch.instrument_id, batch.interval, batch.source,
                                             batch.bars, now)
            if result.headlines:
                counts += _writes.write_headlines(conn, result.headlines, tag)
            if result.snapshots:
                counts += _snapshots.write_snapshots(conn, result.snapshots)
            status = result_status(result).value
            error = "; ".join(result.problems) or None
            _runs.finish_run(conn, run_id, status, now, counts, error)
            if feed is not None:
                _runs.record_feed_fetch(conn, feed[0], feed[1], now, status, result.feed_state, error)
            if relearned:
                _runs.bump_data_version(conn)
            elif counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts

    # -- direct writes (imports) -------------------------------------------------------------
    def write_bars(self, instrument_id: str, interval: str, source: str, bars: pd.DataFrame,
                   now: datetime) -> WriteCounts:
        """Upsert bars of one instrument and interval in one transaction (with the verdicts of a
        `review` column: see import_bars); returns the write's counts."""
        return self.import_bars(instrument_id, interval, source, bars, now)[0]

    def import_bars(self, instrument_id: str, interval: str, source: str, bars: pd.DataFrame,
                    now: datetime) -> tuple[WriteCounts, int]:
        """Upsert bars of one instrument and interval and apply the users' verdicts they carry (a
        `review` column, 'bad'/'good'; an empty one leaves a stored verdict as it is), in one
        transaction; returns the write's counts and how many bars' review changed."""
        with self.writing() as conn:
            counts = _prices.write_bars(conn, instrument_id, interval, source, bars, now)
            reviewed: list[int] = []
            if "review" in bars.columns and len(bars):
                given = bars[bars["review"].notna()]
                seconds = series_to_epoch(given["ts"]).tolist()
                reviewed = _prices.apply_reviews(conn, instrument_id, interval,
                                                 dict(zip(seconds, given["review"].tolist(), strict=True)))
            if reviewed:
                _runs.bump_data_version(conn, counts + WriteCounts(updated=len(reviewed), first=min(reviewed),
                                                                   last=max(reviewed)))
            elif counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts, len(reviewed)

    def write_headlines(self, headlines: Sequence[Headline], tag: TagFunction | None = None) -> WriteCounts:
        """Store headlines (with the tags `tag` gives the new and changed ones) in one transaction."""
        with self.writing() as conn:
            counts = _writes.write_headlines(conn, headlines, tag)
            if counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts

    def write_snapshots(self, snapshots: Sequence[TickerSnapshot]) -> WriteCounts:
        """Store ticker snapshots in one transaction."""
        with self.writing() as conn:
            counts = _snapshots.write_snapshots(conn, snapshots)
            if counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts

    # -- repairs (newsmarks delete) -----------------------------------------------------------
    def count_deletable(self, kind: str, flt: DeleteFilter) -> DeleteCounts:
        """What delete_rows(kind, flt) would delete, counted without writing (a dry run)."""
        with self.reading() as conn:
            return _deletion.count_rows(conn, kind, flt)

    def delete_rows(self, kind: str, flt: DeleteFilter) -> DeleteCounts:
        """Delete headlines, prices or snapshots matching `flt` with everything derived from them
        (tags, search entries, day counts, story links; see ingest.store.deletion), in one
        transaction; raises DeleteError for a deletion the kind cannot do."""
        with self.writing() as conn:
            counts = _deletion.delete_rows(conn, kind, flt)
            if counts.rows:
                _runs.bump_data_version(conn, counts.write_counts())
            return counts

    # -- reads -------------------------------------------------------------------------------
    def set_bar_review(self, instrument_id: str, interval: str, ts: datetime, review: str | None) -> bool:
        """Record a user's verdict on one bar: 'bad' (kept out of every return), 'good' (used
        whatever its flags say) or None (its flags decide); whether the bar exists."""
        with self.writing() as conn:
            found = _prices.set_review(conn, instrument_id, interval, ts, review)
            if found:
                seconds = int(ts.timestamp())
                _runs.bump_data_version(conn, WriteCounts(updated=1, first=seconds, last=seconds))
            return found

    def flag_counts(self) -> pd.DataFrame:
        """Flagged and reviewed bars per instrument, interval, flag and review (for `status`)."""
        with self.reading() as conn:
            return _prices.flag_counts(conn)

    def close_rules(self) -> dict[str, str | None]:
        """The close rule each stored instrument's daily bars follow (text; ingest.close_rules)."""
        with self.reading() as conn:
            return _prices.close_rules(conn)

    def migration_report(self) -> dict | None:
        """What the latest migration that changed data did ({'version', 'at', 'notes'})."""
        from ingest.store.migrations import migration_report

        with self.reading() as conn:
            return migration_report(conn)

    def last_bar_time(self, instrument_id: str, interval: str) -> datetime | None:
        with self.reading() as conn:
            return _prices.last_bar_time(conn, instrument_id, interval)

    def bars(self, instrument_ids: list[str] | None = None, interval: str | None = None,
             start: datetime | None = None, end: datetime | None = None, limit: int | None = None) -> pd.DataFrame:
        """Price bars in a range (see ingest.store.prices.read_bars)."""
        with self.reading() as conn:
            return _prices.read_bars(conn, instrument_ids, interval, start, end, limit)

    def closes(self, instrument_ids: list[str], interval: str, start: datetime | None = None,
               end: datetime | None = None) -> pd.DataFrame:
        """Closes of bars in a range: instrument_id, ts, close (see ingest.store.prices.read_closes)."""
        with self.reading() as conn:
            return _prices.read_closes(conn, instrument_ids, interval, start, end)

    def has_bars(self, instrument_ids: list[str], interval: str, start: datetime, end: datetime) -> bool:
        """Whether any of the instruments has a bar of `interval` in [start, end]."""
        with self.reading() as conn:
            return _prices.has_bars(conn, instrument_ids, interval, start, end)

    def headlines(self, flt: HeadlineFilter | None = None, *, limit: int | None = None, offset: int = 0,
                  sort: str = "published", descending: bool = False, ids: list[int] | None = None,
                  **filters) -> pd.DataFrame:
        """Headlines matching a HeadlineFilter (and among `ids`, when given), sorted and paged (see
        headlines.read_headlines). The filter's fields may be given as keywords instead
        (`headlines(query="oil", stories_only=True)`), not both."""
        if filters:
            if flt is not None:
                raise TypeError("give a HeadlineFilter or its fields as keywords, not both")
            flt = HeadlineFilter(**filters)
        with self.reading() as conn:
            return _headlines.read_headlines(conn, flt or HeadlineFilter(), limit=limit, offset=offset, sort=sort,
                                             descending=descending, ids=ids)

    def headline_times(self, flt: HeadlineFilter, limit: int) -> pd.DataFrame:
        """Up to `limit` matching headlines (id, published), in no particular order."""
        with self.reading() as conn:
            return _headlines.headline_times(conn, flt, limit)

    def count_headlines(self, flt: HeadlineFilter | None = None) -> int:
        """How many headlines match `flt` (all when None)."""
        with self.reading() as conn:
            return _headlines.count_headlines(conn, flt or HeadlineFilter())

    def day_only_counts(self, flt: HeadlineFilter) -> pd.DataFrame:
        """Headlines matching `flt` dated to the day only, per day (columns day, count)."""
        with self.reading() as conn:
            return _headlines.day_only_counts(conn, flt)

    def headline_counts(self, flt: HeadlineFilter, bucket_seconds: int) -> pd.DataFrame:
        """Counts of matching headlines per time bucket (columns bucket, count)."""
        with self.reading() as conn:
            return _headlines.headline_counts(conn, flt, bucket_seconds)

    def index_missing(self, chunk: int = 2000) -> int:
        """Give every headline written around the store (PostgreSQL: without a search document) its
        place in the full-text index, one committed chunk at a time; returns how many. Nothing to
        do (always on SQLite) costs a read, never the write lock."""
        with self.reading() as conn:
            if not _fts.unindexed_count(conn):
                return 0
        done = 0
        while True:
            with self.writing() as conn:
                count = _fts.index_missing(conn, chunk)
            if not count:
                return done
            done += count

    def recount_days(self) -> bool:
        """Count the headlines per day again when the day counts no longer add up to the headlines
        (rows written around the store), marking the data changed everywhere; returns whether it
        did. Nothing to do costs two counts, never the write lock."""
        with self.reading() as conn:
            if _days.days_agree(conn):
                return False
        with self.writing() as conn:
            _days.refresh_days(conn)
            _runs.bump_data_version(conn)
        return True

    def gpr_tags(self, flt: HeadlineFilter) -> pd.DataFrame:
        """The geopolitical-risk categories of the headlines matching `flt`: one row per headline
        and category (columns id, published, source, tag); headlines without a category are absent."""
        with self.reading() as conn:
            return _risk.gpr_tag_rows(conn, flt)

    def source_counts(self, flt: HeadlineFilter, bucket_seconds: int) -> pd.DataFrame:
        """Counts of matching headlines per time bucket and source (columns bucket, source, count):
        what the geopolitical-risk index weighs its sources by."""
        with self.reading() as conn:
            return _risk.source_counts(conn, flt, bucket_seconds)

    def story_copies(self, ids: Sequence[int]) -> pd.DataFrame:
        """Every copy of the stories of headlines `ids`, from every source (columns story_id, id,
        source, published, day_precision): how many distinct sources carried each story, which,
        and from when (see headlines.story_copies)."""
        with self.reading() as conn:
            return _headlines.story_copies(conn, ids)

    def retag(self, tag: TagFunction, chunk: int = 2000, progress: Callable[[int], None] | None = None,
              decoded: Callable[[int], None] | None = None) -> int:
        """Recompute every headline's tags (topics, geopolitical categories, sentiment), one
        transaction per chunk, first decoding HTML entities left in stored text (headlines written
        around the store: title, summary, search index; `decoded` is told how many per chunk),
        then empty the retag queue; returns how many headlines were retagged."""
        done, last = 0, 0
        while True:
            with self.writing() as conn:
                count, last, fixed = _retagging.retag(conn, tag, last, chunk)
                if count:
                    _runs.bump_data_version(conn)
                else:
                    _retagging.clear_retag_queue(conn)
            if not count:
                return done
            done += count
            if decoded is not None and fixed:
                decoded(fixed)
            if progress is not None:
                progress(count)

    def retag_queued(self, tag: TagFunction, chunk: int = 2000) -> int:
        """Recompute the tags of the headlines waiting in the retag queue (those whose text the
        v6 migration decoded), one transaction per chunk, taking them off it; returns how many
        were retagged. An empty queue costs one read, never the write lock."""
        with self.reading() as conn:
            if _retagging.retag_queue_empty(conn):
                return 0
        done = 0
        while True:
            with self.writing() as conn:
                entries, counts = _retagging.retag_queued(conn, tag, chunk)
                if counts.updated:
                    _runs.bump_data_version(conn, counts)
            if not entries:
                return done
            done += counts.updated

    def snapshots(self, start: datetime | None = None, end: datetime | None = None,
                  instrument_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Ticker snapshots captured in [start, end) (see snapshots.read_snapshots)."""
        with self.reading() as conn:
            return _snapshots.read_snapshots(conn, start, end, instrument_ids)

    # -- headline-history backfill -------------------------------------------------------------
    def done_backfill_slices(self, source: str, query: str) -> list[tuple[datetime, datetime]]:
        """The finished time slices [start, end) of a headline-history backfill of `query`."""
        with self.reading() as conn:
            return _backfill_slices.done_slices(conn, source, query)

    def commit_backfill_slice(self, source: str, query: str, start: datetime, end: datetime,
                              headlines: Sequence[Headline], now: datetime,
                              tag: TagFunction | None = None) -> WriteCounts:
        """Store one slice's headlines (with tags) and mark the slice done, in one transaction:
        a crash leaves the slice either whole and marked, or absent and to be fetched again."""
        with self.writing() as conn:
            counts = _writes.write_headlines(conn, headlines, tag) if headlines else WriteCounts()
            _backfill_slices.record_slice(conn, source, query, start, end, len(headlines), now)
            if counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts

    def headline_sources(self) -> list[str]:
        """Every headline source in the store."""
        with self.reading() as conn:
            return _headlines.headline_sources(conn)

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


class ReadOnlyStore(Exception):
    """A write was attempted through Store.consistent_read()."""


class _ConsistentReadStore(Store):
    """Store.consistent_read(): every read on the one connection of an open read transaction."""

    def __init__(self, engine: Engine, conn: Connection):
        super().__init__(engine)
        self._conn = conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        yield self._conn

    @contextmanager
    def consistent_read(self) -> Iterator[Store]:
        yield self

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        raise ReadOnlyStore("this is a read-only consistent read of the store: write through the Store itself")
        yield  # pragma: no cover  (makes this a generator)

    def close(self) -> None:
        raise ReadOnlyStore("a consistent read does not own the store's connections: close the Store itself")
