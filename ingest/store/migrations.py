"""Schema versions. A new store is created at the latest version; an older store is brought
forward one migration at a time, each in its own transaction; a store from a newer newsmarks is
refused rather than touched."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, inspect, select, text

from ingest.store import schema
from ingest.store.fts import create_fts, ensure_index
from ingest.store.headline_days import refresh_days
from ingest.store.story_links import STORY_RULE, record_rule
from ingest.store.story_scores import score_all

SCHEMA_VERSION = 11
REPORT_KEY = "migration_report"
log = logging.getLogger(__name__)


def _add_news_backfill_slices(conn: Connection) -> None:
    """v2: the table of finished GDELT backfill slices; snapshots indexed by time (the chart reads
    a window of them) and keeping the direction of a page's arrow."""
    schema.news_backfill_slices.create(conn, checkfirst=True)
    schema.ix_ticker_snapshots_captured_at.create(conn, checkfirst=True)
    conn.execute(text("ALTER TABLE ticker_snapshots ADD COLUMN direction INTEGER"))


def _add_data_changes(conn: Connection) -> None:
    """v3: the times each data version changed (an open chart redraws only when its window did)."""
    schema.data_changes.create(conn, checkfirst=True)


def _cover_headline_ids(conn: Connection) -> None:
    """v4: on PostgreSQL, the headlines' time indexes carry the id (INCLUDE), so that counting
    headlines with tag or search filters reads the indexes, not the table. SQLite's indexes
    hold the rowid already: nothing to do there."""
    if conn.dialect.name != "postgresql":
        return
    for index in (schema.ix_headlines_published, schema.ix_headlines_source_published):
        index.drop(conn, checkfirst=True)
        index.create(conn)


def _add_headline_days(conn: Connection) -> None:
    """v5: headlines counted per UTC day, filled from the headlines already stored."""
    schema.headline_days.create(conn, checkfirst=True)
    refresh_days(conn)


def _known_times(conn: Connection) -> list[str]:
    """v6: when each value was known, one bar per trading day, trusted headline times and text
    (ingest.store.migrate_v6)."""
    from ingest.store import migrate_v6

    return migrate_v6.upgrade(conn)


def _story_scores(conn: Connection) -> None:
    """v7: each story's risk kind, sources and importance on its first copy (ingest.store.story_scores),
    computed for every stored story, and the index the chart ranks a window's stories by. Derived
    data only: no report (the report keeps what the last migration changed in the data itself)."""
    for name, kind in (("story_kind", "VARCHAR(8)"), ("story_sources", "INTEGER"), ("importance", "INTEGER")):
        conn.execute(text(f"ALTER TABLE headlines ADD COLUMN {name} {kind}"))
    schema.ix_headlines_importance.create(conn, checkfirst=True)
    log.info("store migrated to schema version 7: %d stories scored", score_all(conn))


def _story_kind_index(conn: Connection) -> None:
    """v8: the index the chart counts a window's geopolitical stories by, per bucket and risk kind
    (a cluster badge's colour: ingest.store.story_groups)."""
    schema.ix_headlines_story_kind.create(conn, checkfirst=True)


def _plain_capped_text(conn: Connection) -> list[str]:
    """v9: headlines.text_truncated, and every stored title and summary made plain text and cut to
    its cap as ingest.headline_text does (ingest.store.migrate_plain_text)."""
    from ingest.store import migrate_plain_text

    return migrate_plain_text.upgrade(conn)


def _host_backoff(conn: Connection) -> None:
    """v10: the hosts left alone after 429 / 5xx answers, and until when (ingest.sources.host_breakers)."""
    schema.host_backoff.create(conn, checkfirst=True)


def _story_group_days(conn: Connection) -> None:
    """v11: the stories per day and source and per day and topic (a badge's colour by topic or
    source over a long window: ingest.store.story_groups), counted from the stories stored; every
    story scored again (a watched page now counts as its outlet in a story's coverage:
    ingest.stories.importance.outlet)."""
    schema.story_group_days.create(conn, checkfirst=True)
    log.info("store migrated to schema version 11: %d stories scored", score_all(conn))
    refresh_days(conn)


# version reached -> function that takes a store at version-1 to it (returning lines for the
# migration report, or None). Append, never edit.
MIGRATIONS: dict[int, Callable[[Connection], list[str] | None]] = {
    2: _add_news_backfill_slices, 3: _add_data_changes, 4: _cover_headline_ids, 5: _add_headline_days,
    6: _known_times, 7: _story_scores, 8: _story_kind_index, 9: _plain_capped_text, 10: _host_backoff,
    11: _story_group_days}


class SchemaError(Exception):
    """The store's schema cannot be used by this version of newsmarks."""


def current_version(conn: Connection) -> int | None:
    """The stored schema version, or None for an empty database."""
    if not inspect(conn).has_table("meta"):
        return None
    row = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).first()
    return int(row[0]) if row else None


def _set_version(conn: Connection, version: int) -> None:
    table = schema.meta
    if conn.execute(select(table.c.key).where(table.c.key == "schema_version")).first():
        conn.execute(table.update().where(table.c.key == "schema_version").values(value=str(version)))
    else:
        conn.execute(table.insert().values(key="schema_version", value=str(version)))


def migrate(engine: Engine, migrations: dict[int, Callable[[Connection], None]] | None = None,
            target: int = SCHEMA_VERSION) -> int:
    """Create or upgrade the schema to `target`; return the version reached."""
    migrations = MIGRATIONS if migrations is None else migrations
    with engine.connect() as conn:
        conn = conn.execution_options(newsmarks_write=True)
        with conn.begin():
            version = current_version(conn)
            if version is None:
                schema.metadata.create_all(conn)
                create_fts(conn)
                _set_version(conn, target)
                record_rule(conn, STORY_RULE)   # a new store's stories are linked by today's rule
                return target
            if version > target:
                raise SchemaError(f"the store is at schema version {version}, newer than this newsmarks "
                                  f"understands ({target}); upgrade newsmarks")
            ensure_index(conn)
        while version < target:
            step = migrations.get(version + 1)
            if step is None:
                raise SchemaError(f"no migration from schema version {version} to {version + 1}")
            with conn.begin():
                notes = step(conn) or []
                _set_version(conn, version + 1)
                if notes:
                    _record_report(conn, version + 1, notes)
            for note in notes:
                log.warning("store migrated to schema version %d: %s", version + 1, note)
            version += 1
    return version


def _record_report(conn: Connection, version: int, notes: list[str]) -> None:
    """Keep what a migration did in the meta table (`newsmarks status` shows it)."""
    table = schema.meta
    value = json.dumps({"version": version, "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "notes": notes})
    if conn.execute(select(table.c.key).where(table.c.key == REPORT_KEY)).first():
        conn.execute(table.update().where(table.c.key == REPORT_KEY).values(value=value))
    else:
        conn.execute(table.insert().values(key=REPORT_KEY, value=value))


def migration_report(conn: Connection) -> dict | None:
    """What the latest migration that changed data did: {'version', 'at', 'notes'}, or None."""
    value = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == REPORT_KEY)).scalar()
    return json.loads(value) if value else None
