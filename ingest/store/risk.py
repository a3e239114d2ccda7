"""What the geopolitical-risk index reads: the matching headlines counted per time bucket and
source, and the geopolitical-risk tags of the few tagged ones (most headlines carry no GPR
category), read through the tag index rather than every headline."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, func, select

from ingest.records import HeadlineFilter
from ingest.store import schema
from ingest.store.headline_plan import where_matching
from ingest.store.result_rows import result_frame
from ingest.utc import epoch_series

GPR_TAG_COLUMNS = ["id", "published", "source", "tag"]
SOURCE_COUNT_COLUMNS = ["bucket", "source", "count"]


def gpr_tag_rows(conn: Connection, flt: HeadlineFilter) -> pd.DataFrame:
    """One row per (headline, GPR category) of the headlines matching `flt`: columns id,
    published (UTC times), source and tag (the category id), oldest first."""
    table, tags = schema.headlines, schema.headline_tags
    joined = table.join(tags, and_(tags.c.headline_id == table.c.id, tags.c.kind == "gpr"))
    stmt = where_matching(conn, select(table.c.id, table.c.published, table.c.source, tags.c.tag)
                          .select_from(joined), flt)
    frame = result_frame(conn.execute(stmt.order_by(table.c.published, table.c.id, tags.c.tag)),
                         GPR_TAG_COLUMNS)
    frame["published"] = epoch_series(frame["published"]) if len(frame) else \
        pd.Series(dtype="datetime64[s, UTC]")
    return frame


def source_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int) -> pd.DataFrame:
    """The headlines matching `flt` counted per time bucket (of `bucket_seconds` from the epoch,
    UTC) and source: columns bucket (UTC start), source, count; empty pairs are left out."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    table = schema.headlines
    bucket = (table.c.published - table.c.published % bucket_seconds).label("bucket")
    stmt = where_matching(conn, select(bucket, table.c.source, func.count().label("count")).select_from(table), flt)
    frame = result_frame(conn.execute(stmt.group_by(bucket, table.c.source).order_by(bucket, table.c.source)),
                         SOURCE_COUNT_COLUMNS)
    frame["bucket"] = epoch_series(frame["bucket"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["count"] = frame["count"].astype("int64")
    return frame
