"""Store's headline methods (the HeadlineAccess part of ingest.store.Store): headlines written,
searched, counted and grouped into stories, their risk tags, and the slices of a history backfill."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import pandas as pd

from ingest.records import Headline, HeadlineFilter
from ingest.store import backfill_slices as _backfill_slices
from ingest.store import headline_writes as _writes
from ingest.store import headlines as _headlines
from ingest.store import risk as _risk
from ingest.store import runs as _runs
from ingest.store import story_groups as _groups
from ingest.store import story_ranks as _ranks
from ingest.store.transactions import Transactions
from ingest.store.write_counts import WriteCounts

TagFunction = Callable[[Headline], Iterable[tuple[str, str]]]


class HeadlineAccess(Transactions):
    """Headlines and what is read from them, each call in one transaction."""

    def write_headlines(self, headlines: Sequence[Headline], tag: TagFunction | None = None) -> WriteCounts:
        """Store headlines (with the tags `tag` gives the new and changed ones) in one transaction."""
        with self.writing() as conn:
            counts = _writes.write_headlines(conn, headlines, tag)
            if counts.changed:
                _runs.bump_data_version(conn, counts)
            return counts

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

    def ranked_stories(self, flt: HeadlineFilter, limit: int, few: bool = False, text: bool = True,
                       ranked: bool = True, slices: int = 1) -> pd.DataFrame:
        """The first copies of up to `limit` stories matching `flt`, most important first, then the
        earliest (ingest.stories.importance), as `headlines` gives them, with their scores
        (story_kind, story_sources, importance); `text=False`: only what ranking and placing them
        needs (story_ranks.RANK_COLUMNS), much less to read. `few`: the caller knows at most `limit`
        match (read in one query); `ranked=False`: any `limit` of them (still returned in rank
        order); `slices`: the least important level read is taken evenly from that many parts of
        the window (see story_ranks.ranked_stories)."""
        with self.reading() as conn:
            found = _ranks.ranked_stories(conn, flt, limit, few, ranked, slices)
            if not text:
                return found
            ids = found["id"].tolist()
            frame = _headlines.read_headlines(conn, HeadlineFilter(), ids=ids, limit=None if ids else 0)
        order = {headline_id: position for position, headline_id in enumerate(ids)}
        return frame.sort_values("id", key=lambda column: column.map(order), kind="stable").reset_index(drop=True)

    def headline_counts(self, flt: HeadlineFilter, bucket_seconds: int) -> pd.DataFrame:
        """Counts of matching headlines per time bucket (columns bucket, count)."""
        with self.reading() as conn:
            return _headlines.headline_counts(conn, flt, bucket_seconds)

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

    def story_group_counts(self, flt: HeadlineFilter, bucket_seconds: int, by: str) -> pd.DataFrame:
        """The stories matching `flt` counted per time bucket and group — risk kind (those of
        none left out), topic or source (`by`): columns bucket, group, count (story_groups)."""
        with self.reading() as conn:
            return _groups.story_group_counts(conn, flt, bucket_seconds, by)

    def story_copies(self, ids: Sequence[int]) -> pd.DataFrame:
        """Every copy of the stories of headlines `ids`, from every source (columns story_id, id,
        source, published, day_precision): how many distinct sources carried each story, which,
        and from when (see headlines.story_copies)."""
        with self.reading() as conn:
            return _headlines.story_copies(conn, ids)

    def headline_sources(self) -> list[str]:
        """Every headline source in the store."""
        with self.reading() as conn:
            return _headlines.headline_sources(conn)

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
