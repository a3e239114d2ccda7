"""The dialect-specific statement builders (inserts that skip or replace existing keys), kept
together. On PostgreSQL many rows go in as one statement over arrays, one array per column
(`INSERT ... SELECT * FROM unnest(...)`): a handful of parameters however many rows, several times
faster than a multi-row VALUES list of thousands of parameters."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, Integer, Table, any_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.selectable import TableClause

CHUNK_ROWS = 5000


def insert_for(conn: Connection, table: Table):
    """An INSERT that supports on_conflict_do_update / on_conflict_do_nothing on this dialect."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"upserts are not implemented for {name}")


def _array_type(conn: Connection, table: TableClause, name: str) -> str:
    """The PostgreSQL array type of a column's values (its type without a collation)."""
    compiled = table.c[name].type.compile(dialect=conn.dialect)
    return re.sub(r"\s+COLLATE\s.*$", "", compiled) + "[]"


def _insert(conn: Connection, table: TableClause, rows: list[dict]):
    """An INSERT of `rows` (all with the same keys): on PostgreSQL from arrays (execute it alone),
    elsewhere a statement to execute with the rows."""
    names = list(rows[0])
    if conn.dialect.name != "postgresql":
        return insert_for(conn, table), rows
    arrays = {f"c{i}": [row[name] for row in rows] for i, name in enumerate(names)}
    casts = ", ".join(f"CAST(:c{i} AS {_array_type(conn, table, name)})" for i, name in enumerate(names))
    source = text(f"SELECT * FROM unnest({casts})").bindparams(**arrays).columns(*[table.c[n] for n in names])
    return postgresql.insert(table).from_select(names, source), None


def upsert(conn: Connection, table: TableClause, rows: list[dict], keys: list[str]) -> None:
    """Insert rows, replacing every non-key column of rows whose keys already exist."""
    if not rows:
        return
    # one row per key (the last): PostgreSQL refuses to update one row twice in a statement
    rows = list({tuple(row[k] for k in keys): row for row in rows}.values())
    for start in range(0, len(rows), CHUNK_ROWS):
        stmt, params = _insert(conn, table, rows[start:start + CHUNK_ROWS])
        updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates) if updates else \
            stmt.on_conflict_do_nothing(index_elements=keys)
        conn.execute(stmt, params)


def insert_ignore(conn: Connection, table: TableClause, rows: list[dict], keys: list[str]) -> None:
    """Insert rows, skipping those whose keys already exist."""
    for _ in insert_new(conn, table, rows, keys):
        pass


def insert_new(conn: Connection, table: TableClause, rows: list[dict], keys: list[str], returning=()):
    """Insert rows, skipping those whose keys already exist; yields the `returning` columns of
    each row inserted (nothing when `returning` is empty)."""
    for start in range(0, len(rows), CHUNK_ROWS):
        stmt, params = _insert(conn, table, rows[start:start + CHUNK_ROWS])
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        if returning:
            yield from conn.execute(stmt.returning(*returning), params)
        else:
            conn.execute(stmt, params)


def among_ids(conn: Connection, column: ColumnElement, ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN ids` with the ids as one parameter (a PostgreSQL integer array, a JSON array read
    by SQLite's json_each): a long IN list costs more to render and parse than the query itself
    (docs/performance.md)."""
    values = [int(i) for i in ids]
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps(values))))
