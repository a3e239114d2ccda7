"""Store's repairs (the RepairAccess part of ingest.store.Store): `newsmarks delete`, retagging,
linking stories again after their rule changed, and catching up the search index and day counts
after rows were written around the store."""

from __future__ import annotations

from collections.abc import Callable

from ingest.store import deletion as _deletion
from ingest.store import fts as _fts
from ingest.store import headline_days as _days
from ingest.store import retagging as _retagging
from ingest.store import runs as _runs
from ingest.store import story_links as _stories
from ingest.store import story_scores as _scores
from ingest.store.deletion import DeleteCounts, DeleteFilter
from ingest.store.headline_access import TagFunction
from ingest.store.transactions import Transactions
from ingest.store.write_counts import WriteCounts


class RepairAccess(Transactions):
    """Deletions, retagging and catch-up work: chunked ones commit one transaction per chunk."""

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

    def retag(self, tag: TagFunction, chunk: int = 2000, progress: Callable[[int], None] | None = None,
              decoded: Callable[[int], None] | None = None) -> int:
        """Recompute every headline's tags (topics, geopolitical categories, sentiment), one
        transaction per chunk, first cleaning stored text as ingest.headline_text does (headlines
        written around the store or before the rule: title, summary, search index, text_truncated;
        `decoded` is told how many per chunk),
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
        v6 and v9 migrations cleaned), one transaction per chunk, taking them off it; returns how many
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

    def relink_stories(self, force: bool = False) -> int | None:
        """Link every headline to its story again by the current rule (ingest.store.story_links)
        when the stored links were made by another one (or always, `force`), in one transaction
        with the day counts of stories; returns how many headlines changed story, None when the
        links were current (one read, never the write lock)."""
        rule = _stories.STORY_RULE
        if not force:
            with self.reading() as conn:
                if not _stories.links_outdated(conn, rule):
                    return None
        with self.writing() as conn:
            changed, first, last = _stories.relink_all(conn, rule)
            _scores.score_all(conn)   # the stories' scores follow their copies
            if changed:
                _days.refresh_days(conn, first, last)
                _runs.bump_data_version(conn, WriteCounts(updated=changed, first=first, last=last))
        return changed
