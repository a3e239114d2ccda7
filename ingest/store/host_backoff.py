"""The per-host backoff rows (schema v10): read at the start of a refresh, written at its end
(ingest.sources.host_breakers decides them; this module only stores them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from ingest.records import HostBackoff
from ingest.store import schema
from ingest.store.dialect import upsert
from ingest.utc import from_epoch, to_epoch


def host_backoffs(conn: Connection) -> dict[str, HostBackoff]:
    """Every stored backoff, by host."""
    table = schema.host_backoff
    rows = conn.execute(select(table.c.host, table.c.until, table.c.failures, table.c.reason))
    return {r.host: HostBackoff(r.host, from_epoch(r.until), int(r.failures), r.reason) for r in rows}


def save_host_backoffs(conn: Connection, changes: dict[str, HostBackoff | None], now: datetime) -> None:
    """Store new or longer backoffs; a host whose value is None answered again: forget it."""
    table = schema.host_backoff
    cleared = [host for host, backoff in changes.items() if backoff is None]
    if cleared:
        conn.execute(delete(table).where(table.c.host.in_(cleared)))
    rows = [dict(host=b.host, until=to_epoch(b.until), failures=b.failures, reason=b.reason[:500],
                 updated=to_epoch(now)) for b in changes.values() if b is not None]
    if rows:
        upsert(conn, table, rows, ["host"])
