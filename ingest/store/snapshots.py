"""Ticker snapshots: the values news pages showed in their header, as captured."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, func, select

from ingest.records import TickerSnapshot
from ingest.store import schema
from ingest.store.dialect import insert_ignore
from ingest.store.result_rows import driver_rows
from ingest.store.write_counts import WriteCounts
from ingest.utc import epoch_series, from_epoch, to_epoch

SNAPSHOT_COLUMNS = ["source", "mark", "instrument_id", "value", "change", "change_pct", "captured_at",
                    "captured_from", "mark_inferred", "direction"]


def write_snapshots(conn: Connection, snapshots: Sequence[TickerSnapshot]) -> WriteCounts:
    """Insert ticker snapshots, ignoring ones already stored (same source, time and mark)."""
    table = schema.ticker_snapshots
    rows = [dict(source=s.source, mark=s.mark, instrument_id=s.instrument_id, value=s.value,
                 change=s.change, change_pct=s.change_pct, captured_at=to_epoch(s.captured_at),
                 captured_from=s.captured_from, mark_inferred=s.mark_inferred, direction=s.direction)
            for s in snapshots]
    before = conn.execute(select(func.count()).select_from(table)).scalar()
    insert_ignore(conn, table, rows, ["source", "captured_at", "mark"])
    added = conn.execute(select(func.count()).select_from(table)).scalar() - before
    times = [row["captured_at"] for row in rows]  # the batch's span (what was added lies within it)
    return WriteCounts(new=added, unchanged=len(rows) - added, first=min(times, default=None),
                       last=max(times, default=None))


def read_snapshots(conn: Connection, start: datetime | None = None, end: datetime | None = None,
                   instrument_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Snapshots captured in [start, end) (either end open), oldest first, with `captured_at` as
    UTC-aware times; `instrument_ids` keeps only those instruments (None: all, unmatched included)."""
    table = schema.ticker_snapshots
    stmt = select(*[table.c[c] for c in SNAPSHOT_COLUMNS])
    if start is not None:
        stmt = stmt.where(table.c.captured_at >= to_epoch(start))
    if end is not None:
        stmt = stmt.where(table.c.captured_at < to_epoch(end))
    if instrument_ids is not None:
        stmt = stmt.where(table.c.instrument_id.in_(list(instrument_ids)))
    stmt = stmt.order_by(table.c.captured_at, table.c.source, table.c.mark)
    frame = pd.DataFrame(driver_rows(conn.execute(stmt)), columns=SNAPSHOT_COLUMNS)
    frame["captured_at"] = epoch_series(frame["captured_at"]) if len(frame) else \
        pd.Series(dtype="datetime64[s, UTC]")
    for column in ("value", "change", "change_pct"):
        frame[column] = frame[column].astype("float64")
    frame["mark_inferred"] = frame["mark_inferred"].astype(bool)
    frame["direction"] = frame["direction"].astype("Int64")
    return frame


def last_strip(conn: Connection, source: str) -> list[TickerSnapshot]:
    """The snapshots `source` stored last (those of its latest captured time), in mark order;
    empty when it stored none. Reads along the unique (source, captured_at, mark) index."""
    table = schema.ticker_snapshots
    latest = conn.execute(select(func.max(table.c.captured_at)).where(table.c.source == source)).scalar()
    if latest is None:
        return []
    rows = conn.execute(select(*[table.c[c] for c in SNAPSHOT_COLUMNS])
                        .where(table.c.source == source, table.c.captured_at == latest)
                        .order_by(table.c.mark)).mappings().all()
    return [TickerSnapshot(source=r["source"], mark=r["mark"], value=float(r["value"]),
                           captured_at=from_epoch(r["captured_at"]), captured_from=r["captured_from"],
                           instrument_id=r["instrument_id"],
                           change=None if r["change"] is None else float(r["change"]),
                           change_pct=None if r["change_pct"] is None else float(r["change_pct"]),
                           mark_inferred=bool(r["mark_inferred"]), direction=r["direction"])
            for r in rows]
