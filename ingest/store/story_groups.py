"""A window's stories counted per time bucket and group — risk kind, topic or source: what a
chart badge is coloured by (the group most of its stories belong to, dashboard.chart.clusters).
Stories are counted by their first copy (story_id NULL), whose risk kind covers every copy."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from sqlalchemy import Connection, and_, func, literal_column, select

from ingest.records import HeadlineFilter
from ingest.store import schema
from ingest.store.headline_plan import where_matching
from ingest.store.result_rows import result_frame
from ingest.utc import epoch_series

GROUP_BY = ("risk", "topic", "source")
GROUP_COUNT_COLUMNS = ["bucket", "group", "count"]
EARLIEST = -(2**62)   # seconds: before any stored time


def story_group_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int, by: str) -> pd.DataFrame:
    """The stories matching `flt` counted per time bucket (of `bucket_seconds` from the epoch,
    UTC) and group: columns bucket (UTC start), group, count; empty pairs left out. `by` "risk":
    the group is the story's risk kind, stories of no kind left out (the index holds only the
    others, so a window of years reads its few geopolitical stories, not all of them); "topic":
    each topic the story matches (a story of two topics counts in both, one of none in none);
    "source": the source of its first copy."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    if by not in GROUP_BY:
        raise ValueError(f"stories are grouped by one of {GROUP_BY}, got {by!r}")
    table, tags = schema.headlines, schema.headline_tags
    flt = replace(flt, stories_only=True)
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
        joined = table.join(topics, and_(topics.c.headline_id == table.c.id, topics.c.kind == "topic"))
        stmt = select(bucket, group.label("group"), func.count().label("count")).select_from(joined)
    else:
        group = table.c.source
        stmt = select(bucket, group.label("group"), func.count().label("count")).select_from(table)
    if flt.start is None:   # a view of everything: an open range on the time, so SQLite walks an index
        stmt = stmt.where(table.c.published >= EARLIEST)   # (without one it scanned a larger one: 229 ms vs 30)
    stmt = where_matching(conn, stmt, flt).group_by(bucket, group).order_by(bucket, group)
    frame = result_frame(conn.execute(stmt), GROUP_COUNT_COLUMNS)
    frame["bucket"] = epoch_series(frame["bucket"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["group"] = frame["group"].astype(object)
    frame["count"] = frame["count"].astype("int64")
    return frame
