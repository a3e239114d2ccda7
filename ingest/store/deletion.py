"""Deleting rows stored by mistake (`newsmarks delete`): headlines, price bars or ticker snapshots
chosen by a DeleteFilter, counted first (a dry run) or deleted with everything derived from them,
in the caller's transaction.

A headline takes with it its tags, its full-text entry (SQLite: the FTS5 delete trigger;
PostgreSQL: its headlines_search row, deleted here) and its share of the day counts
(headline_days, counted again for its days). Its story stays whole: the remaining copies of a
story whose first copy was deleted are linked again — the earliest remaining copy (by published
time, then id) becomes the first copy (story_id NULL) and the others point to it — and their days
are counted again too (the day counts count first copies). The GDELT backfill's finished slices
(news_backfill_slices) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import Connection, Table, and_, bindparam, delete, func, not_, select, true, update

from ingest.store import schema
from ingest.store.headline_days import DAY, refresh_touched_days
from ingest.store.pg_search import search_table
from ingest.store.story_scores import score_stories
from ingest.store.write_counts import WriteCounts
from ingest.utc import to_epoch

KINDS = ("headlines", "prices", "snapshots")

# which conditions of a DeleteFilter each kind understands
APPLIES: dict[str, frozenset[str]] = {
    "headlines": frozenset({"sources", "start", "end", "inferred_only"}),
    "prices": frozenset({"sources", "instrument_ids", "interval", "start", "end"}),
    "snapshots": frozenset({"sources", "instrument_ids", "start", "end", "inferred_only"}),
}


class DeleteError(ValueError):
    """A deletion that cannot be done as asked: an unknown kind, a condition the kind does not
    have, an empty name, no condition at all without `everything`. `reason` says which check
    failed ('kind', 'applies', 'empty', 'everything', 'none', 'order') and `fields` the
    DeleteFilter fields concerned, in their order: for a caller to say it in its own words."""

    def __init__(self, message: str, reason: str, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.reason = reason
        self.fields = fields


@dataclass(frozen=True)
class DeleteFilter:
    """Which rows to delete; the conditions are ANDed. `start`/`end`: aware times, both inclusive
    (headlines.published, price_bars.ts, ticker_snapshots.captured_at). `inferred_only`: headlines
    whose time was inferred; snapshots whose capture time was inferred: a file's modification
    time or the date the page shows (captured_from 'file' or 'page'). `everything`: no
    condition, every row of the kind — an empty filter deletes nothing without it."""

    sources: tuple[str, ...] = ()
    instrument_ids: tuple[str, ...] = ()
    interval: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    inferred_only: bool = False
    everything: bool = False

    def conditions(self) -> list[str]:
        """The names of the conditions given (every field but `everything` that is set)."""
        return [f.name for f in fields(self)
                if f.name != "everything" and getattr(self, f.name) not in (None, (), False)]


@dataclass(frozen=True)
class DeleteCounts:
    """What a deletion removed (or, counted in a dry run, would remove): rows per table, the
    remaining story copies linked again, and the times (UTC seconds) the change spans — the
    deleted rows' and the relinked copies'."""

    kind: str
    headlines: int = 0
    tags: int = 0
    relinked: int = 0
    bars: int = 0
    snapshots: int = 0
    first: int | None = None
    last: int | None = None

    @property
    def rows(self) -> int:
        """The rows of the kind itself."""
        return {"headlines": self.headlines, "prices": self.bars, "snapshots": self.snapshots}[self.kind]

    def write_counts(self) -> WriteCounts:
        """As WriteCounts (for the data version: changed when anything was deleted)."""
        return WriteCounts(updated=self.rows + self.relinked, first=self.first, last=self.last)


def check(kind: str, flt: DeleteFilter) -> None:
    """Raise DeleteError unless `flt` is a deletion `kind` can do."""
    if kind not in APPLIES:
        raise DeleteError(f"cannot delete {kind!r} (choose from {', '.join(KINDS)})", "kind")
    given = tuple(flt.conditions())
    wrong = tuple(name for name in given if name not in APPLIES[kind])
    if wrong:
        raise DeleteError(f"{', '.join(wrong)} do not apply to {kind}", "applies", wrong)
    empty = tuple(name for name, values in (("sources", flt.sources), ("instrument_ids", flt.instrument_ids))
                  if any(not value.strip() for value in values))
    if empty:
        raise DeleteError(f"an empty name in {', '.join(empty)}", "empty", empty)
    if flt.everything and given:
        raise DeleteError("every row of a kind cannot be combined with conditions", "everything", given)
    if not flt.everything and not given:
        raise DeleteError(f"no condition given: deleting every row of {kind} needs `everything`", "none")
    if flt.start is not None and flt.end is not None and flt.start > flt.end:
        raise DeleteError(f"the start {flt.start.isoformat()} is after the end {flt.end.isoformat()}", "order",
                          ("start", "end"))


def count_rows(conn: Connection, kind: str, flt: DeleteFilter) -> DeleteCounts:
    """What delete_rows would delete, counted without writing."""
    check(kind, flt)
    if kind == "headlines":
        return _headlines(conn, flt, apply=False)
    return _plain(conn, kind, flt, apply=False)


def delete_rows(conn: Connection, kind: str, flt: DeleteFilter) -> DeleteCounts:
    """Delete the rows of `kind` matching `flt`, with everything derived from them (see the module
    docstring), in the caller's transaction; returns the counts. Nothing matching: no writes."""
    check(kind, flt)
    if kind == "headlines":
        return _headlines(conn, flt, apply=True)
    return _plain(conn, kind, flt, apply=True)


def _time_conditions(column, flt: DeleteFilter) -> list:
    found = []
    if flt.start is not None:
        found.append(column >= to_epoch(flt.start))
    if flt.end is not None:
        found.append(column <= to_epoch(flt.end))
    return found


def _headline_where(table, flt: DeleteFilter) -> list:
    """The conditions on `table` (headlines or an alias of it) that pick the headlines to delete."""
    found = _time_conditions(table.c.published, flt)
    if flt.sources:
        found.append(table.c.source.in_(list(flt.sources)))
    if flt.inferred_only:
        found.append(table.c.time_inferred == true())
    return found


def _headlines(conn: Connection, flt: DeleteFilter, apply: bool) -> DeleteCounts:
    table, tags = schema.headlines, schema.headline_tags
    where = _headline_where(table, flt)
    count, first, last = conn.execute(select(func.count(), func.min(table.c.published),
                                             func.max(table.c.published)).where(*where)).one()
    if not count:
        return DeleteCounts("headlines")
    doomed_ids = select(table.c.id).where(*where)
    # copies of the doomed headlines' stories that stay: they point at a doomed first copy
    doomed = table.alias("doomed")
    orphans = (select(table.c.id, table.c.published, table.c.story_id)
               .where(table.c.story_id.in_(select(doomed.c.id).where(*_headline_where(doomed, flt))))
               .where(not_(and_(true(), *where))))
    if not apply:
        tag_count = conn.execute(select(func.count()).select_from(tags)
                                 .where(tags.c.headline_id.in_(doomed_ids))).scalar()
        kept = orphans.subquery()
        relinked, kept_first, kept_last = conn.execute(select(func.count(), func.min(kept.c.published),
                                                              func.max(kept.c.published))).one()
        kept_times = [int(t) for t in (kept_first, kept_last) if t is not None]
        return DeleteCounts("headlines", headlines=int(count), tags=int(tag_count), relinked=int(relinked),
                            first=min([int(first), *kept_times]), last=max([int(last), *kept_times]))
    orphan_rows = conn.execute(orphans).all()
    # stories losing a copy: their coverage changes (scored again once the copy is gone)
    losing = [r[0] for r in conn.execute(select(table.c.story_id).where(*where, table.c.story_id.is_not(None))
                                         .distinct())]
    kept_times = [int(r.published) for r in orphan_rows]
    day = table.c.published - table.c.published % DAY
    days = [int(d) for (d,) in conn.execute(select(day).where(*where).distinct())]
    tag_count = conn.execute(delete(tags).where(tags.c.headline_id.in_(doomed_ids))).rowcount
    queue = schema.retag_queue
    conn.execute(delete(queue).where(queue.c.headline_id.in_(doomed_ids)))
    if conn.dialect.name == "postgresql":   # SQLite's FTS5 entries go by the delete trigger
        conn.execute(delete(search_table).where(search_table.c.headline_id.in_(doomed_ids)))
    deleted = conn.execute(delete(table).where(*where)).rowcount
    _relink(conn, orphan_rows)
    score_stories(conn, losing + [int(r.id) for r in orphan_rows])   # ids gone are skipped
    refresh_touched_days(conn, days + kept_times)
    # the times changed: the deleted headlines', and those of the copies that became or now
    # follow another first copy (the counts of first copies changed there)
    return DeleteCounts("headlines", headlines=int(deleted), tags=int(tag_count), relinked=len(orphan_rows),
                        first=min([int(first), *kept_times]), last=max([int(last), *kept_times]))


def _relink(conn: Connection, orphans) -> None:
    """Link the remaining copies of stories that lost their first copy again: per story, the
    earliest copy (published, then id) becomes the first copy, the others point to it."""
    stories: dict[int, list[tuple[int, int]]] = {}
    for row in orphans:
        stories.setdefault(row.story_id, []).append((int(row.published), int(row.id)))
    updates = []
    for copies in stories.values():
        copies.sort()
        first_id = copies[0][1]
        updates.append({"hid": first_id, "sid": None})
        updates += [{"hid": hid, "sid": first_id} for _, hid in copies[1:]]
    if updates:
        table = schema.headlines
        conn.execute(update(table).where(table.c.id == bindparam("hid")).values(story_id=bindparam("sid")), updates)


_PLAIN: dict[str, tuple[Table, str]] = {"prices": (schema.price_bars, "ts"),
                                        "snapshots": (schema.ticker_snapshots, "captured_at")}


def _plain(conn: Connection, kind: str, flt: DeleteFilter, apply: bool) -> DeleteCounts:
    """Price bars or ticker snapshots: rows with nothing derived from them."""
    table, time_name = _PLAIN[kind]
    time_column = table.c[time_name]
    where = _time_conditions(time_column, flt)
    if flt.sources:
        where.append(table.c.source.in_(list(flt.sources)))
    if flt.instrument_ids:
        where.append(table.c.instrument_id.in_(list(flt.instrument_ids)))
    if flt.interval is not None:
        where.append(table.c.interval == flt.interval)
    if flt.inferred_only:
        where.append(table.c.captured_from.in_(["file", "page"]))
    count, first, last = conn.execute(select(func.count(), func.min(time_column), func.max(time_column))
                                      .where(*where)).one()
    if not count:
        return DeleteCounts(kind)
    if apply:
        count = conn.execute(delete(table).where(*where)).rowcount
    key = "bars" if kind == "prices" else "snapshots"
    return DeleteCounts(kind, **{key: int(count)}, first=int(first), last=int(last))
