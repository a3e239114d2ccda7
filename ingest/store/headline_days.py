"""Headline counts per UTC day (the headline_days table), and story counts per UTC day and source
or topic (story_group_days, schema version 11): kept up to date by every headline write, in its
transaction, and read for the chart's counts (and badge colours) of long windows without filters."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, case, delete, func, insert, inspect, literal, select

from ingest.store import schema

DAY = 86400


def _first_copies():
    """How many of the rows counted are the first copy of their story (story_id NULL)."""
    return func.sum(case((schema.headlines.c.story_id.is_(None), 1), else_=0))


def refresh_days(conn: Connection, first: int | None = None, last: int | None = None) -> None:
    """Count again the days from `first`'s to `last`'s (UTC seconds; None: from the first day,
    to the last one) from the headlines themselves. A write has the days of every time it
    touched — a moved headline's old and new time included — counted again (refresh_touched_days).
    Days before 1970 are not kept (their counts are always taken from the headlines)."""
    table, days = schema.headlines, schema.headline_days
    low = 0 if first is None else max(0, first - first % DAY)
    high = None if last is None else last - last % DAY + DAY   # exclusive
    if high is not None and high <= low:
        return
    stale = delete(days).where(days.c.day >= low)
    rows = table.c.published >= low
    if high is not None:
        stale, rows = stale.where(days.c.day < high), rows & (table.c.published < high)
    conn.execute(stale)
    day = (table.c.published - table.c.published % DAY).label("day")
    counted = select(day, func.count().label("headlines"), _first_copies().label("stories")).where(rows).group_by(day)
    conn.execute(insert(days).from_select(["day", "headlines", "stories"], counted))
    if _has_group_days(conn):
        _refresh_group_days(conn, low, high)


def _has_group_days(conn: Connection) -> bool:
    """Whether the store has story_group_days (a store migrated from before version 11 meets this
    code in its earlier migrations without it); remembered on the connection once seen."""
    if conn.info.get("story_group_days"):
        return True
    found = inspect(conn).has_table("story_group_days")
    if found:
        conn.info["story_group_days"] = True
    return found


GROUP_DAY_KINDS = ("source", "topic", "risk")


def _refresh_group_days(conn: Connection, low: int, high: int | None, kinds: tuple[str, ...] = GROUP_DAY_KINDS) -> None:
    """Count again the stories per day and source, per day and topic and per day and risk kind
    (of `kinds`) of the days in [low, high) (UTC seconds; high None: to the last day)."""
    table, tags, groups = schema.headlines, schema.headline_tags, schema.story_group_days
    stale = delete(groups).where(groups.c.day >= low, groups.c.by.in_(kinds))
    rows = and_(table.c.published >= low, table.c.story_id.is_(None))
    if high is not None:
        stale, rows = stale.where(groups.c.day < high), and_(rows, table.c.published < high)
    conn.execute(stale)
    day = (table.c.published - table.c.published % DAY).label("day")
    counts = {"source": select(literal("source").label("by"), day, table.c.source, func.count()).where(rows)
              .group_by(day, table.c.source),
              "risk": select(literal("risk").label("by"), day, table.c.story_kind, func.count())
              .where(rows, table.c.story_kind.is_not(None), table.c.story_kind != "none")
              .group_by(day, table.c.story_kind)}
    if "topic" in kinds:
        topics = tags.alias("day_topics")
        counts["topic"] = select(literal("topic").label("by"), day, topics.c.tag, func.count()).select_from(
            table.join(topics, and_(topics.c.headline_id == table.c.id, topics.c.kind == "topic"))).where(rows) \
            .group_by(day, topics.c.tag)
    for kind in kinds:
        conn.execute(insert(groups).from_select(["by", "day", "name", "stories"], counts[kind]))


def refresh_risk_days(conn: Connection, times: list[int]) -> None:
    """Count again the stories per risk kind of each day holding one of `times` (UTC seconds):
    after stories were scored (ingest.store.story_scores), whose first copies may lie on other
    days than the headlines written. Nothing on a store without story_group_days (before v11)."""
    if not times or not _has_group_days(conn):
        return
    for first, last in _day_runs(times):
        _refresh_group_days(conn, max(0, first), last + DAY, ("risk",))


def _day_runs(times: list[int]) -> list[list[int]]:
    """The days holding `times` as runs of adjoining days, [first, last] (UTC seconds)."""
    runs: list[list[int]] = []
    for day in sorted({t - t % DAY for t in times}):
        if runs and day == runs[-1][1] + DAY:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return runs


def days_agree(conn: Connection) -> bool:
    """Whether the day counts add up to the headlines from 1970 on, all and first copies, and the
    stories per source too (rows written around the store — a bulk load with psql, say — make
    them disagree)."""
    table, days, groups = schema.headlines, schema.headline_days, schema.story_group_days
    stored = conn.execute(select(func.count(), _first_copies()).where(table.c.published >= 0)).one()
    counted = conn.execute(select(func.sum(days.c.headlines), func.sum(days.c.stories))).one()
    by_source = conn.execute(select(func.sum(groups.c.stories)).where(groups.c.by == "source")).scalar()
    return (tuple(int(v or 0) for v in stored) == tuple(int(v or 0) for v in counted)
            and int(by_source or 0) == int(stored[1] or 0))


def refresh_touched_days(conn: Connection, times: list[int]) -> None:
    """Count again each day holding one of `times` (UTC seconds), one range of adjoining days at
    a time (a refresh touches today and yesterday; a revised old headline adds its own day, not
    the years between)."""
    for first, last in _day_runs(times):
        refresh_days(conn, first, last)


def split_days(low: int, high: int) -> tuple[int, int, list[tuple[int, int]]]:
    """[low, high] (UTC seconds, inclusive) split for the day counts: (the first and the end of its
    whole days, [whole_from, whole_to) — empty when whole_from >= whole_to — and the part-days at
    either end as [start, stop) ranges, each within one day)."""
    whole_from = -(-low // DAY) * DAY            # the first day boundary at or after low
    whole_to = (high + 1) // DAY * DAY           # the last day boundary at or before high + 1
    ends = [(low, min(whole_from, high + 1))] if whole_from > low else []
    if whole_from <= whole_to <= high:
        ends.append((whole_to, high + 1))
    return whole_from, whole_to, ends


def day_counts(conn: Connection, low: int, high: int, bucket_seconds: int, stories_only: bool) -> pd.DataFrame | None:
    """Counts per bucket (columns bucket in UTC seconds, count; empty buckets left out) of the
    headlines published in [low, high] (UTC seconds), from the day counts: the whole days
    inside the window summed per bucket, the parts of a day at either end counted from the
    headlines. None when the day counts cannot answer: buckets not whole days, times before 1970."""
    if bucket_seconds % DAY or low < 0 or high < low:
        return None
    table, days = schema.headlines, schema.headline_days
    column = days.c.stories if stories_only else days.c.headlines
    whole_from, whole_to, ends = split_days(low, high)
    totals: dict[int, int] = {}
    if whole_from < whole_to:
        bucket = (days.c.day - days.c.day % bucket_seconds).label("bucket")
        for start, count in conn.execute(select(bucket, func.sum(column)).where(
                days.c.day >= whole_from, days.c.day < whole_to).group_by(bucket)):
            totals[int(start)] = int(count)
    for start, stop in ends:   # the part-days at either end (each within one day, so within one bucket)
        counted = select(func.count()).select_from(table).where(table.c.published >= start, table.c.published < stop)
        if stories_only:
            counted = counted.where(table.c.story_id.is_(None))
        count = int(conn.execute(counted).scalar())
        if count:
            bucket_start = start - start % bucket_seconds
            totals[bucket_start] = totals.get(bucket_start, 0) + count
    kept = sorted((start, count) for start, count in totals.items() if count)
    return pd.DataFrame({"bucket": [s for s, _ in kept], "count": [c for _, c in kept]}, dtype="int64")
