"""Table definitions. Times are stored as integer seconds since the epoch, UTC, in columns
whose names end in the moment they hold (ts, published, fetched, started...): unambiguous on
every database and fast to range-scan. The store converts them to UTC-aware pandas times."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    literal_column,
)


def _text(length: int | None = None):
    """A text column: String(length) (or Text) on SQLite; on PostgreSQL unbounded text that
    compares and sorts by code point (COLLATE "C"), as SQLite does, so both stores hold the same
    values and return them in the same order."""
    base = String(length) if length is not None else Text()
    return base.with_variant(Text(collation="C"), "postgresql")


metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", _text(64), primary_key=True),
    Column("value", _text(), nullable=False),
)

instruments = Table(
    "instruments", metadata,
    Column("id", _text(40), primary_key=True),
    Column("label", _text(), nullable=False),
    Column("mark", _text(16)),
    Column("source", _text(32), nullable=False),
    Column("ticker", _text(64), nullable=False),
    Column("change_kind", _text(8), nullable=False),
    # the close rule its daily bars' `known` times follow (ingest.close_rules; schema version 6)
    Column("close_rule", _text(64)),
)

# ts: a daily bar's trading day at 00:00 UTC (one bar per trading day, whatever zone or clock the
# source stamped it with), an hourly bar's start. known: when its close became known
# (ingest.close_rules), flag: automatic quality flags, review: a user's verdict 'bad'/'good'
# (ingest.bar_quality) — schema version 6. A close stored before its bar closed (updated < known)
# is provisional: the reads give it no known time until a later write confirms it.
price_bars = Table(
    "price_bars", metadata,
    Column("instrument_id", _text(40), nullable=False),
    Column("interval", _text(4), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("known", BigInteger, nullable=False),
    Column("open", Float),
    Column("high", Float),
    Column("low", Float),
    Column("close", Float, nullable=False),
    Column("volume", Float),
    Column("source", _text(32), nullable=False),
    Column("flag", _text(64)),
    Column("review", _text(8)),
    Column("updated", BigInteger, nullable=False),
    PrimaryKeyConstraint("instrument_id", "interval", "ts", name="pk_price_bars"),
)
Index("ix_price_bars_ts", price_bars.c.ts)  # the newest bar of all (latest_data_time) without a scan
ix_price_bars_known = Index("ix_price_bars_known", price_bars.c.known)  # the newest close known by now

feeds = Table(
    "feeds", metadata,
    Column("name", _text(100), primary_key=True),
    Column("url", _text(), nullable=False),
    Column("etag", _text()),
    Column("last_modified", _text()),
    Column("last_fetch", BigInteger),
    Column("last_http_status", Integer),
    Column("last_status", _text(16)),
    Column("last_error", _text()),
)

headlines = Table(
    "headlines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", _text(200), nullable=False),
    Column("guid", _text(), nullable=False),
    Column("title", _text(), nullable=False),
    Column("summary", _text(), nullable=False, default=""),
    Column("link", _text()),
    Column("published", BigInteger, nullable=False),
    Column("fetched", BigInteger, nullable=False),
    Column("time_inferred", Boolean, nullable=False, default=False),
    # the source gave a date without a time: published is 00:00 UTC of it (schema version 6)
    Column("day_precision", Boolean, nullable=False, default=False, server_default=false()),
    # the title or summary was cut to its cap (ingest.headline_text; schema version 9)
    Column("text_truncated", Boolean, nullable=False, default=False, server_default=false()),
    Column("title_norm", _text(), nullable=False),
    Column("story_id", Integer),
    # a story's first copy carries the story's score (ingest.stories.importance; copies: NULL):
    # its risk kind over every copy, its distinct sources, its importance (schema version 7)
    Column("story_kind", _text(8)),
    Column("story_sources", Integer),
    Column("importance", Integer),
    UniqueConstraint("source", "guid", name="uq_headlines_source_guid"),
)
# story_id in the time indexes: counting first copies of stories (the chart's counts) reads the
# index alone, never the table. The id too (SQLite keeps the rowid in every index; PostgreSQL
# needs INCLUDE): a tag or search filter joins on it, and without it PostgreSQL reads the whole
# table to count, say, a source's negative headlines (docs/performance.md).
ix_headlines_published = Index("ix_headlines_published", headlines.c.published, headlines.c.story_id,
                               postgresql_include=["id"])
Index("ix_headlines_title_norm", headlines.c.title_norm)
# the most important stories of a window: walked from the top, stopping once enough are found
ix_headlines_importance = Index("ix_headlines_importance", headlines.c.importance.desc(), headlines.c.published,
                                sqlite_where=headlines.c.story_id.is_(None),
                                postgresql_where=headlines.c.story_id.is_(None))
# the geopolitical stories of a window counted per bucket and risk kind (a cluster badge's colour,
# ingest.store.story_groups): most stories have no risk kind, and this index holds only the others
ix_headlines_story_kind = Index("ix_headlines_story_kind", headlines.c.published, headlines.c.story_kind,
                                sqlite_where=and_(headlines.c.story_id.is_(None),
                                                  headlines.c.story_kind != literal_column("'none'")),
                                postgresql_where=and_(headlines.c.story_id.is_(None),
                                                      headlines.c.story_kind != literal_column("'none'")))
ix_headlines_source_published = Index("ix_headlines_source_published", headlines.c.source, headlines.c.published,
                                      headlines.c.story_id, postgresql_include=["id"])

headline_tags = Table(
    "headline_tags", metadata,
    Column("headline_id", Integer, ForeignKey("headlines.id", ondelete="CASCADE"), nullable=False),
    Column("kind", _text(16), nullable=False),
    Column("tag", _text(100), nullable=False),
    PrimaryKeyConstraint("headline_id", "kind", "tag", name="pk_headline_tags"),
)
Index("ix_headline_tags_kind_tag", headline_tags.c.kind, headline_tags.c.tag, headline_tags.c.headline_id)

ticker_snapshots = Table(
    "ticker_snapshots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", _text(200), nullable=False),
    Column("mark", _text(16), nullable=False),
    Column("instrument_id", _text(40)),
    Column("value", Float, nullable=False),
    Column("change", Float),
    Column("change_pct", Float),
    Column("captured_at", BigInteger, nullable=False),
    Column("captured_from", _text(8), nullable=False),
    Column("mark_inferred", Boolean, nullable=False, default=False),
    Column("direction", Integer),   # +1 / -1: the page's arrow (schema version 2)
    UniqueConstraint("source", "captured_at", "mark", name="uq_ticker_snapshots"),
)
ix_ticker_snapshots_captured_at = Index("ix_ticker_snapshots_captured_at", ticker_snapshots.c.captured_at)

ingest_runs = Table(
    "ingest_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", _text(32), nullable=False),
    Column("source", _text(200), nullable=False),
    Column("source_group", _text(16), nullable=False),
    Column("started", BigInteger, nullable=False),
    Column("finished", BigInteger),
    Column("status", _text(16), nullable=False),
    Column("new_rows", Integer, nullable=False, default=0),
    Column("updated_rows", Integer, nullable=False, default=0),
    Column("unchanged_rows", Integer, nullable=False, default=0),
    Column("error", _text()),
)
Index("ix_ingest_runs_source_started", ingest_runs.c.source, ingest_runs.c.started)

# GDELT history backfill: which time slices of which query are done, so a rerun continues where
# an interrupted one stopped (schema version 2)
news_backfill_slices = Table(
    "news_backfill_slices", metadata,
    Column("source", _text(32), nullable=False),
    Column("query", _text(), nullable=False),
    Column("slice_start", BigInteger, nullable=False),
    Column("slice_end", BigInteger, nullable=False),
    Column("articles", Integer, nullable=False),
    Column("finished", BigInteger, nullable=False),
    PrimaryKeyConstraint("source", "query", "slice_start", "slice_end", name="pk_news_backfill_slices"),
)

# Which times each data version changed (schema version 3): an open chart whose window none of
# the newer versions touched need not be drawn again. first/last: UTC seconds; NULL: anywhere.
# Only the latest runs.CHANGE_LOG_KEEP versions are kept.
data_changes = Table(
    "data_changes", metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("first_ts", BigInteger),
    Column("last_ts", BigInteger),
)

# Headlines per UTC day (schema version 5), kept by every headline write in its transaction: the
# chart's counts of a long window without filters add up days instead of walking every headline
# (docs/performance.md). day: UTC seconds of the day's start (days
# from 1970 on); headlines: all; stories: first copies of their story (story_id NULL).
headline_days = Table(
    "headline_days", metadata,
    Column("day", BigInteger, primary_key=True, autoincrement=False),
    Column("headlines", Integer, nullable=False),
    Column("stories", Integer, nullable=False),
)

# Stories per UTC day and source, topic and risk kind (schema version 11), kept with headline_days
# by every write, in its transaction (risk kinds by every scoring of stories): a chart badge's
# colour over a long window adds up days instead of reading every story (ingest.store.story_groups).
# by: "source" (the source of the story's first copy), "topic" (each topic the first copy
# matches) or "risk" (the story's risk kind, 'none' left out); name: the source, topic or kind;
# stories: first copies (story_id NULL) that day.
story_group_days = Table(
    "story_group_days", metadata,
    Column("by", _text(8), primary_key=True),
    Column("day", BigInteger, primary_key=True, autoincrement=False),
    Column("name", _text(), primary_key=True),
    Column("stories", Integer, nullable=False),
)

# Headlines whose tags are to be computed again by the next refresh or `retag` (schema version 6):
# the v6 migration decoded HTML entities in stored titles, and tags need the configured topics,
# which a migration does not have.
retag_queue = Table(
    "retag_queue", metadata,
    Column("headline_id", Integer, primary_key=True, autoincrement=False),
)

# Hosts left alone after 429 / 5xx answers (schema version 10; ingest.sources.host_breakers): not
# asked before `until` (UTC seconds); `failures`: runs in a row that ended so; `reason`: the last
# answer (`HTTP 429 Too Many Requests`); `updated`: when the row was written (UTC seconds).
host_backoff = Table(
    "host_backoff", metadata,
    Column("host", _text(255), primary_key=True),
    Column("until", BigInteger, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("reason", _text(), nullable=False),
    Column("updated", BigInteger, nullable=False),
)
