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
)

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

instruments = Table(
    "instruments", metadata,
    Column("id", String(40), primary_key=True),
    Column("label", Text, nullable=False),
    Column("mark", String(16)),
    Column("source", String(32), nullable=False),
    Column("ticker", String(64), nullable=False),
    Column("change_kind", String(8), nullable=False),
)

price_bars = Table(
    "price_bars", metadata,
    Column("instrument_id", String(40), nullable=False),
    Column("interval", String(4), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("open", Float),
    Column("high", Float),
    Column("low", Float),
    Column("close", Float, nullable=False),
    Column("volume", Float),
    Column("source", String(32), nullable=False),
    Column("flag", String(64)),
    Column("updated", BigInteger, nullable=False),
    PrimaryKeyConstraint("instrument_id", "interval", "ts", name="pk_price_bars"),
)
Index("ix_price_bars_ts", price_bars.c.ts)  # the newest bar of all (latest_data_time) without a scan

feeds = Table(
    "feeds", metadata,
    Column("name", String(100), primary_key=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_fetch", BigInteger),
    Column("last_http_status", Integer),
    Column("last_status", String(16)),
    Column("last_error", Text),
)

headlines = Table(
    "headlines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("guid", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("link", Text),
    Column("published", BigInteger, nullable=False),
    Column("fetched", BigInteger, nullable=False),
    Column("time_inferred", Boolean, nullable=False, default=False),
    Column("title_norm", Text, nullable=False),
    Column("story_id", Integer),
    UniqueConstraint("source", "guid", name="uq_headlines_source_guid"),
)
# story_id in the time indexes: counting first copies of stories (the chart's counts) reads the
# index alone, never the table
Index("ix_headlines_published", headlines.c.published, headlines.c.story_id)
Index("ix_headlines_title_norm", headlines.c.title_norm)
Index("ix_headlines_source_published", headlines.c.source, headlines.c.published, headlines.c.story_id)

headline_tags = Table(
    "headline_tags", metadata,
    Column("headline_id", Integer, ForeignKey("headlines.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tag", String(100), nullable=False),
    PrimaryKeyConstraint("headline_id", "kind", "tag", name="pk_headline_tags"),
)
Index("ix_headline_tags_kind_tag", headline_tags.c.kind, headline_tags.c.tag, headline_tags.c.headline_id)

ticker_snapshots = Table(
    "ticker_snapshots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("mark", String(16), nullable=False),
    Column("instrument_id", String(40)),
    Column("value", Float, nullable=False),
    Column("change", Float),
    Column("change_pct", Float),
    Column("captured_at", BigInteger, nullable=False),
    Column("captured_from", String(8), nullable=False),
    Column("mark_inferred", Boolean, nullable=False, default=False),
    UniqueConstraint("source", "captured_at", "mark", name="uq_ticker_snapshots"),
)

ingest_runs = Table(
    "ingest_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(32), nullable=False),
    Column("source", String(200), nullable=False),
    Column("source_group", String(16), nullable=False),
    Column("started", BigInteger, nullable=False),
    Column("finished", BigInteger),
    Column("status", String(16), nullable=False),
    Column("new_rows", Integer, nullable=False, default=0),
    Column("updated_rows", Integer, nullable=False, default=0),
    Column("unchanged_rows", Integer, nullable=False, default=0),
    Column("error", Text),
)
Index("ix_ingest_runs_source_started", ingest_runs.c.source, ingest_runs.c.started)

# GDELT history backfill: which time slices of which query are done, so a rerun continues where
# an interrupted one stopped (schema version 2)
news_backfill_slices = Table(
    "news_backfill_slices", metadata,
    Column("source", String(32), nullable=False),
    Column("query", Text, nullable=False),
    Column("slice_start", BigInteger, nullable=False),
    Column("slice_end", BigInteger, nullable=False),
    Column("articles", Integer, nullable=False),
    Column("finished", BigInteger, nullable=False),
    PrimaryKeyConstraint("source", "query", "slice_start", "slice_end", name="pk_news_backfill_slices"),
)
