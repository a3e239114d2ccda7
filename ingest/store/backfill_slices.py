"""Progress of headline-history backfills (GDELT): the time slices of a query already stored, so
an interrupted backfill continues where it stopped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from ingest.store import schema
from ingest.store.dialect import upsert
from ingest.utc import from_epoch, to_epoch


def done_slices(conn: Connection, source: str, query: str) -> list[tuple[datetime, datetime]]:
    """The finished slices [start, end) of `query` at `source`, oldest first."""
    table = schema.news_backfill_slices
    stmt = (select(table.c.slice_start, table.c.slice_end)
            .where(table.c.source == source, table.c.query == query)
            .order_by(table.c.slice_start, table.c.slice_end))
    return [(from_epoch(a), from_epoch(b)) for a, b in conn.execute(stmt)]


def record_slice(conn: Connection, source: str, query: str, start: datetime, end: datetime,
                 articles: int, now: datetime) -> None:
    """Mark the slice [start, end) of `query` done with `articles` articles."""
    upsert(conn, schema.news_backfill_slices,
           [dict(source=source, query=query, slice_start=to_epoch(start), slice_end=to_epoch(end),
                 articles=articles, finished=to_epoch(now))],
           ["source", "query", "slice_start", "slice_end"])
