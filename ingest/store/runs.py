"""Ingest-run records, feed conditional-GET state and the status summary."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, and_, delete, false, func, or_, select, update

from ingest.records import FeedState
from ingest.store import schema
from ingest.store.dialect import upsert
from ingest.store.write_counts import NO_ROWS, WriteCounts
from ingest.utc import epoch_series, from_epoch, to_epoch

RUN_STATUSES = ("running", "ok", "not_modified", "partial", "error", "skipped", "interrupted", "rate-limited")


def start_run(conn: Connection, job: str, source: str, group: str, now: datetime) -> int:
    """Record the start of a run of a source unit of `group` ('prices', 'feeds', ...)."""
    result = conn.execute(schema.ingest_runs.insert().values(
        job=job, source=source, source_group=group, started=to_epoch(now), status="running",
        new_rows=0, updated_rows=0, unchanged_rows=0))
    return int(result.inserted_primary_key[0])


def finish_run(conn: Connection, run_id: int, status: str, now: datetime,
               counts: WriteCounts = NO_ROWS, error: str | None = None) -> None:
    """Record how a run ended."""
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    conn.execute(update(schema.ingest_runs).where(schema.ingest_runs.c.id == run_id).values(
        finished=to_epoch(now), status=status, new_rows=counts.new, updated_rows=counts.updated,
        unchanged_rows=counts.unchanged, error=error))


def mark_interrupted(conn: Connection, groups: tuple[str, ...], now: datetime) -> int:
    """Close runs of `groups` left 'running' by a process that died; call
    only while holding those groups' refresh locks (so no live run can be among them; a
    `snapshot` command's page runs, group 'pages' too, take no lock and are left alone).
    Returns how many."""
    table = schema.ingest_runs
    result = conn.execute(update(table).where(table.c.status == "running", table.c.source_group.in_(groups),
                                              table.c.job != "snapshot")
                          .values(status="interrupted", finished=to_epoch(now),
                                  error="the process stopped before this run finished"))
    return result.rowcount or 0


def sync_feeds(conn: Connection, feeds) -> None:
    """Store configured feeds; a changed URL resets the conditional-GET validators."""
    table = schema.feeds
    stored = {r.name: r.url for r in conn.execute(select(table.c.name, table.c.url))}
    for feed in feeds:
        if feed.name not in stored:
            conn.execute(table.insert().values(name=feed.name, url=feed.url))
        elif stored[feed.name] != feed.url:
            conn.execute(update(table).where(table.c.name == feed.name)
                         .values(url=feed.url, etag=None, last_modified=None))


def feed_validators(conn: Connection, name: str) -> tuple[str | None, str | None]:
    """The stored ETag and Last-Modified of a feed."""
    row = conn.execute(select(schema.feeds.c.etag, schema.feeds.c.last_modified)
                       .where(schema.feeds.c.name == name)).first()
    return (row.etag, row.last_modified) if row else (None, None)


def record_feed_fetch(conn: Connection, name: str, url: str, now: datetime, status: str,
                      state: FeedState | None = None, error: str | None = None) -> None:
    """Remember a feed's last fetch; validators only change when the fetch returned new ones."""
    values = dict(name=name, url=url, last_fetch=to_epoch(now), last_status=status, last_error=error)
    if state is not None:
        values["last_http_status"] = state.http_status
        if not state.not_modified:
            values["etag"] = state.etag
            values["last_modified"] = state.last_modified
    upsert(conn, schema.feeds, [values], ["name"])


def runs(conn: Connection, limit: int = 50, source: str | None = None) -> pd.DataFrame:
    """The most recent ingest runs, newest first."""
    table = schema.ingest_runs
    stmt = select(table).order_by(table.c.id.desc()).limit(limit)
    if source is not None:
        stmt = stmt.where(table.c.source == source)
    result = conn.execute(stmt)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in ("started", "finished"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    frame["error"] = pd.Series([e if isinstance(e, str) else None for e in frame["error"]],
                               index=frame.index, dtype=object)
    return frame


def latest_runs(conn: Connection) -> dict[str, dict]:
    """Per source unit, its latest finished run and its latest error-free run."""
    table = schema.ingest_runs
    newest = select(table.c.source, func.max(table.c.id).label("id")).group_by(table.c.source).subquery()
    rows = conn.execute(select(table).join(newest, table.c.id == newest.c.id)).mappings().all()
    return {r["source"]: dict(r) for r in rows}


def summary_counts(conn: Connection) -> dict[str, int]:
    """Row counts of the data tables."""
    return {name: conn.execute(select(func.count()).select_from(t)).scalar()
            for name, t in (("price_bars", schema.price_bars), ("headlines", schema.headlines),
                            ("ticker_snapshots", schema.ticker_snapshots))}


def bar_extents(conn: Connection) -> pd.DataFrame:
    """Per instrument and interval: bar count, first and last time."""
    table = schema.price_bars
    result = conn.execute(select(table.c.instrument_id, table.c.interval, func.count().label("rows"),
                                 func.min(table.c.ts).label("first"), func.max(table.c.ts).label("last"))
                          .group_by(table.c.instrument_id, table.c.interval))
    frame = pd.DataFrame(result.all(), columns=["instrument_id", "interval", "rows", "first", "last"])
    for column in ("first", "last"):
        frame[column] = epoch_series(frame[column]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    return frame


def headline_extents(conn: Connection) -> pd.DataFrame:
    """Per headline source: count and newest publication time."""
    table = schema.headlines
    result = conn.execute(select(table.c.source, func.count().label("rows"),
                                 func.max(table.c.published).label("last")).group_by(table.c.source))
    frame = pd.DataFrame(result.all(), columns=["source", "rows", "last"])
    frame["last"] = epoch_series(frame["last"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    return frame


def latest_data_time(conn: Connection, now: datetime) -> datetime | None:
    """The newest data point known by `now` (UTC), where a preset range ends: the later of the
    newest price bar whose close was known by then (its trading day's start or the moment its
    close became known, whichever is later: the Bank of Russia's rate for tomorrow is known
    today) and the newest headline published by then with an exact time (not inferred, not a
    date alone). Provisional closes (written before their bar closed) do not count. `now` when
    the store holds only data that does not count; None when it holds no bar and no headline."""
    bars, heads = schema.price_bars, schema.headlines
    moment = to_epoch(now)
    known = bars.c.known <= moment
    final = bars.c.updated >= bars.c.known
    newest_known = conn.execute(select(bars.c.known).where(known, final).order_by(bars.c.known.desc())
                                .limit(1)).scalar()
    newest_ts = None
    if newest_known is not None:
        # a bar's close is known at most a day before its trading day starts (the Bank of
        # Russia's, set the day before) and at most two days after: the newest trading day is
        # among the bars known in the last four days (a range of the known-time index)
        recent = bars.c.known >= newest_known - 4 * 86400
        newest_ts = conn.execute(select(func.max(bars.c.ts)).where(known, final, recent)).scalar()
    newest_headline = conn.execute(select(heads.c.published).where(
        heads.c.published <= moment, heads.c.time_inferred == false(), heads.c.day_precision == false())
        .order_by(heads.c.published.desc()).limit(1)).scalar()
    values = [v for v in (newest_ts, newest_known, newest_headline) if v is not None]
    if values:
        return from_epoch(max(values))
    # only inferred or date-only times, or closes not known yet: count back from now
    anything = conn.execute(select(heads.c.id).limit(1)).first() or conn.execute(select(bars.c.ts).limit(1)).first()
    return now if anything else None


CHANGE_LOG_KEEP = 10_000  # data versions whose changed times are remembered


def bump_data_version(conn: Connection, counts: WriteCounts | None = None) -> int:
    """Increase the store's data version (what an open dashboard polls for) and record which
    times it changed: those of `counts` (first..last), anywhere when it says none or is None.
    Returns the new version."""
    table = schema.meta
    current = conn.execute(select(table.c.value).where(table.c.key == "data_version")).scalar()
    version = 1 if current is None else int(current) + 1
    if current is None:
        conn.execute(table.insert().values(key="data_version", value="1"))
    else:
        conn.execute(update(table).where(table.c.key == "data_version").values(value=str(version)))
    known = counts is not None and counts.first is not None and counts.last is not None
    changes = schema.data_changes
    conn.execute(changes.insert().values(version=version, first_ts=counts.first if known else None,
                                         last_ts=counts.last if known else None))
    if version % 100 == 0:
        conn.execute(delete(changes).where(changes.c.version <= version - CHANGE_LOG_KEEP))
    return version


def changed_since(conn: Connection, version: int, start: datetime | None, end: datetime | None) -> bool:
    """Whether any data version after `version` changed a time in [start, end] (None: unbounded
    on that side). True also when the log cannot tell: versions older than it keeps, or a
    change recorded as anywhere."""
    current = data_version(conn)
    if version == current:
        return False
    if version > current:
        return True   # a version this store never had: another store, or one restored from a backup
    changes = schema.data_changes
    newer = changes.c.version > version
    kept = conn.execute(select(func.count()).select_from(changes).where(newer)).scalar()
    if kept < current - version:
        return True
    if start is None and end is None:
        return True   # a newer version changed something, and every time is in the window
    inside = ([changes.c.first_ts <= to_epoch(end)] if end is not None else []) + \
        ([changes.c.last_ts >= to_epoch(start)] if start is not None else [])
    hit = conn.execute(select(changes.c.version).where(
        newer, or_(changes.c.first_ts.is_(None), and_(*inside))).limit(1)).first()
    return hit is not None


def data_version(conn: Connection) -> int:
    """The store's data version: changes whenever data was added or changed."""
    value = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "data_version")).scalar()
    return int(value) if value is not None else 0

