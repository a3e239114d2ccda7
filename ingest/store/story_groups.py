"""A window's stories counted per time bucket and group — risk kind, topic or source: what a
chart badge is coloured by (the group most of its stories belong to, dashboard.chart.clusters).
Stories are counted by their first copy (story_id NULL), whose risk kind covers every copy."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from sqlalchemy import Connection, and_, func, literal_column, select

from ingest.records import HeadlineFilter
from ingest.store import schema
from ingest.store.headline_days import DAY, split_days
from ingest.store.headline_plan import where_matching
from ingest.store.result_rows import result_frame
from ingest.utc import epoch_series, from_epoch, to_epoch

GROUP_BY = ("risk", "topic", "source")
GROUP_COUNT_COLUMNS = ["bucket", "group", "count"]
EARLIEST = -(2**62)   # seconds: before any stored time


def story_group_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int, by: str) -> pd.DataFrame:
    """The stories matching `flt` counted per time bucket (of `bucket_seconds` from the epoch,
    UTC) and group: columns bucket (UTC start), group, count; empty pairs left out. `by` "risk":
    the group is the story's risk kind, stories of no kind left out (the index holds only the
    others, so a window of years reads its few geopolitical stories, not all of them); "topic":
    each topic the story matches (a story of two topics counts in both, one of none in none);
    "source": the source of its first copy. A filter on the time alone, in buckets of whole days,
    is added up from the day counts (story_group_days) for the whole days of the window, counted
    from the stories for the part-days at its ends."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    if by not in GROUP_BY:
        raise ValueError(f"stories are grouped by one of {GROUP_BY}, got {by!r}")
    flt = replace(flt, stories_only=True)
    counted = _day_counts(conn, flt, bucket_seconds, by)
    if counted is None:
        counted = _row_counts(conn, flt, bucket_seconds, by)
    frame = counted.sort_values(["bucket", "group"], kind="stable").reset_index(drop=True)
    frame["bucket"] = epoch_series(frame["bucket"].astype("int64")) if len(frame) \
        else pd.Series(dtype="datetime64[s, UTC]")
    frame["group"] = frame["group"].astype(object)
    frame["count"] = frame["count"].astype("int64")
    return frame


def _row_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int, by: str) -> pd.DataFrame:
    """story_group_counts from the stories themselves (bucket in UTC seconds)."""
    table, tags = schema.headlines, schema.headline_tags
    bucket = (table.c.published - table.c.published % bucket_seconds).label("bucket")
    if by == "risk":
        # the same terms as the partial index's condition, literal, so SQLite can use it
        group = table.c.story_kind
        stmt = select(bucket, group.label("group"), func.count().label("count")).select_from(table).where(
            table.c.story_kind != literal_column("'none'"))
    elif by == "topic":
        # an alias of its own: a tag filter's subquery on headline_tags must not correlate with it
        topics = tags.alias("story_topics")
        group = topics.c.tag
        # SQLite walks every topic tag of the store (its index on kind) and looks each story up,
        # whatever the window (70 ms on the 300,000-headline store); for a window of few of the
        # store's stories, or a filter by topic or search (a list of ids), `kind || ''` keeps it
        # off that index: it walks the window along the time index, or the ids, and looks up each
        # story's topics by the tags' key (a day: 70 ms -> 1 ms; two topics over a year: 49 -> 36)
        kind = topics.c.kind.op("||")(literal_column("''")) if flt.topics or flt.query or _few_stories(conn, flt) \
            else topics.c.kind
        joined = table.join(topics, and_(topics.c.headline_id == table.c.id, kind == "topic"))
        stmt = select(bucket, group.label("group"), func.count().label("count")).select_from(joined)
    else:
        group = table.c.source
        stmt = select(bucket, group.label("group"), func.count().label("count")).select_from(table)
    if flt.start is None:   # a view of everything: an open range on the time, so SQLite walks an index
        stmt = stmt.where(table.c.published >= EARLIEST)   # (without one it scanned a larger one: 229 ms vs 30)
    stmt = where_matching(conn, stmt, flt).group_by(bucket, group).order_by(bucket, group)
    return result_frame(conn.execute(stmt), GROUP_COUNT_COLUMNS)


def _few_stories(conn: Connection, flt: HeadlineFilter) -> bool:
    """Whether the window of `flt`, and its sources, hold under a tenth of the store's stories (by
    the day counts of stories, per source when the filter names sources; whole days: an estimate)."""
    if flt.start is None and flt.end is None and not flt.sources:
        return False
    days, groups = schema.headline_days, schema.story_group_days
    total = conn.execute(select(func.sum(days.c.stories))).scalar()
    if flt.sources:
        counted, day = select(func.sum(groups.c.stories)).where(
            groups.c.by == "source", groups.c.name.in_(list(flt.sources))), groups.c.day
    else:
        counted, day = select(func.sum(days.c.stories)), days.c.day
    if flt.start is not None:
        low = to_epoch(flt.start)
        counted = counted.where(day >= low - low % DAY)
    if flt.end is not None:
        counted = counted.where(day <= to_epoch(flt.end))
    return int(conn.execute(counted).scalar() or 0) * 10 < int(total or 0)


def _day_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int, by: str) -> pd.DataFrame | None:
    """story_group_counts from story_group_days (bucket in UTC seconds), as
    ingest.store.headline_days.day_counts does for the counts; None when they cannot answer: a
    filter on more than the time, buckets not whole days, times before 1970."""
    if bucket_seconds % DAY or flt.query or flt.topics or flt.sources or flt.sentiments:
        return None
    table, groups = schema.headlines, schema.story_group_days
    low = to_epoch(flt.start) if flt.start is not None else conn.execute(select(func.min(table.c.published))).scalar()
    high = to_epoch(flt.end) if flt.end is not None else conn.execute(select(func.max(table.c.published))).scalar()
    if low is None or high is None or low > high:
        return pd.DataFrame({c: [] for c in GROUP_COUNT_COLUMNS})
    if low < 0:
        return None
    whole_from, whole_to, ends = split_days(low, high)
    parts = []
    if whole_from < whole_to:
        bucket = (groups.c.day - groups.c.day % bucket_seconds).label("bucket")
        parts.append(result_frame(conn.execute(
            select(bucket, groups.c.name.label("group"), func.sum(groups.c.stories).label("count"))
            .where(groups.c.by == by, groups.c.day >= whole_from, groups.c.day < whole_to)
            .group_by(bucket, groups.c.name)), GROUP_COUNT_COLUMNS))
    for start, stop in ends:   # the part-days at either end, each within one day
        parts.append(_row_counts(conn, replace(flt, start=from_epoch(start), end=from_epoch(stop - 1)),
                                 bucket_seconds, by))
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame({c: [] for c in GROUP_COUNT_COLUMNS})
    counted = pd.concat(parts, ignore_index=True)
    counted["count"] = counted["count"].astype("int64")
    counted = counted.groupby(["bucket", "group"], sort=True)["count"].sum().reset_index()
    return counted[counted["count"] > 0]
