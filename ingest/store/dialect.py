"""The dialect-specific statement builders (upserts), kept together."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(conn: Connection, table: Table):
    """An INSERT that supports on_conflict_do_update / on_conflict_do_nothing on this dialect."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"upserts are not implemented for {name}")


def upsert(conn: Connection, table: Table, rows: list[dict], keys: list[str]) -> None:
    """Insert rows, replacing every non-key column of rows whose keys already exist."""
    if not rows:
        return
    stmt = insert_for(conn, table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates) if updates else \
        stmt.on_conflict_do_nothing(index_elements=keys)
    for start in range(0, len(rows), 5000):
        conn.execute(stmt, rows[start:start + 5000])


def insert_ignore(conn: Connection, table: Table, rows: list[dict], keys: list[str]) -> None:
    """Insert rows, skipping those whose keys already exist."""
    if not rows:
        return
    stmt = insert_for(conn, table).on_conflict_do_nothing(index_elements=keys)
    for start in range(0, len(rows), 5000):
        conn.execute(stmt, rows[start:start + 5000])
