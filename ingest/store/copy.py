"""Copy one store into another (SQLite -> PostgreSQL, or any pair): every table, in primary-key
order, one transaction per chunk, resumable, then verified by counting both sides.

Resuming: rows go in primary-key order and each chunk commits whole, so the target's largest key
of a table is where its copy stopped; a rerun continues after it (and inserts ignore rows already
there, so nothing is stored twice). The target remembers which store it is a copy of (meta key
`copied_from`): a target holding other data is refused rather than mixed. Full-text indexes are
the target's own (SQLite's FTS5 triggers; on PostgreSQL the copy writes each chunk's search
documents in the chunk's transaction);
PostgreSQL's id sequences are moved past the copied ids at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, func, select, text, tuple_

from ingest.store import schema
from ingest.store.dialect import insert_ignore
from ingest.store.fts import index_headlines
from ingest.store.headline_days import refresh_days

CHUNK_ROWS = 5000
COPY_MARK = "copied_from"
# parents before children (headline_tags refers to headlines); meta last: its schema version and
# copy mark are the target's own
TABLES: tuple[Table, ...] = (schema.instruments, schema.feeds, schema.price_bars, schema.headlines,
                             schema.headline_tags, schema.ticker_snapshots, schema.ingest_runs,
                             schema.news_backfill_slices, schema.retag_queue, schema.host_backoff)
SKIPPED_META = {"schema_version", COPY_MARK}


class CopyError(Exception):
    """The copy cannot start or did not verify; the message says which store or table."""


@dataclass(frozen=True)
class TableCopy:
    """One table's outcome: rows in the source, rows copied in this run, rows in the target."""

    table: str
    source_rows: int
    copied: int
    target_rows: int


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar())


def _key_columns(table: Table) -> list:
    return list(table.primary_key.columns)


def _mark(conn: Connection) -> str | None:
    meta = schema.meta
    return conn.execute(select(meta.c.value).where(meta.c.key == COPY_MARK)).scalar()


def check_target(source: Engine, target: Engine, source_name: str) -> None:
    """Refuse a target that holds data of its own, or a copy of another store."""
    with target.connect() as conn:
        mark = _mark(conn)
        if mark is not None and mark != source_name:
            raise CopyError(f"the target is a copy of {mark}, not of {source_name}: use an empty store")
        if mark is None:
            filled = [t.name for t in TABLES if _count(conn, t)]
            if filled:
                raise CopyError(f"the target already holds data ({', '.join(filled)}): "
                                f"copy into an empty store")


def _resume_after(conn: Connection, table: Table) -> tuple | None:
    keys = _key_columns(table)
    row = conn.execute(select(*keys).order_by(*[k.desc() for k in keys]).limit(1)).first()
    return tuple(row) if row else None


def _chunk(conn: Connection, table: Table, after: tuple | None) -> list[dict]:
    keys = _key_columns(table)
    stmt = select(table).order_by(*keys).limit(CHUNK_ROWS)
    if after is not None:
        stmt = stmt.where(tuple_(*keys) > tuple_(*after) if len(keys) > 1 else keys[0] > after[0])
    return [dict(row._mapping) for row in conn.execute(stmt)]


def copy_table(source: Engine, target: Engine, table: Table,
               progress: Callable[[str, int], None] | None = None) -> int:
    """Copy the rows of `table` the target lacks, chunk by chunk (each chunk one transaction);
    returns how many rows were copied."""
    keys = [c.name for c in _key_columns(table)]
    with target.connect() as conn:
        after = _resume_after(conn, table)
    copied = 0
    while True:
        with source.connect() as conn:
            rows = _chunk(conn, table, after)
        if not rows:
            return copied
        with target.connect() as conn:
            conn = conn.execution_options(newsmarks_write=True)
            with conn.begin():
                insert_ignore(conn, table, rows, keys)
                if table is schema.headlines:   # the target's own search index, in the same transaction
                    index_headlines(conn, [(r["id"], r["title"], r["summary"]) for r in rows])
        copied += len(rows)
        after = tuple(rows[-1][k] for k in keys)
        if progress is not None:
            progress(table.name, len(rows))


def _advance_sequences(conn: Connection) -> None:
    """PostgreSQL: move each serial id's sequence past the largest copied id."""
    for table in TABLES:
        if table.autoincrement_column is None:
            continue
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def copy_store(source: Engine, target: Engine, source_name: str,
               progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of `source` into `target` (both already at the same schema version) and
    verify the counts; raise CopyError when a table's counts differ."""
    check_target(source, target, source_name)
    with target.connect() as conn:
        conn = conn.execution_options(newsmarks_write=True)
        with conn.begin():
            insert_ignore(conn, schema.meta, [{"key": COPY_MARK, "value": source_name}], ["key"])
    copied = {table.name: copy_table(source, target, table, progress) for table in TABLES}
    with source.connect() as conn:
        meta = [dict(row._mapping) for row in conn.execute(select(schema.meta))
                if row.key not in SKIPPED_META]
    with target.connect() as conn:
        conn = conn.execution_options(newsmarks_write=True)
        with conn.begin():
            insert_ignore(conn, schema.meta, meta, ["key"])
            refresh_days(conn)   # derived from the headlines: counted in the target, not copied
            if conn.dialect.name == "postgresql":
                _advance_sequences(conn)
    results = []
    with source.connect() as src, target.connect() as dst:
        for table in TABLES:
            results.append(TableCopy(table.name, _count(src, table), copied[table.name], _count(dst, table)))
    wrong = [r for r in results if r.source_rows != r.target_rows]
    if wrong:
        raise CopyError("counts differ after the copy: " + "; ".join(
            f"{r.table}: {r.source_rows:,} in the source, {r.target_rows:,} in the target" for r in wrong))
    return results
