"""The geopolitical-risk tags of the headlines a filter matches: the few rows a risk index needs
(most headlines carry no GPR category), read through the tag index rather than every headline."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, and_, select

from ingest.store import schema
from ingest.store.headlines import HeadlineFilter, where_matching
from ingest.store.prices import result_frame
from ingest.store.timecodec import epoch_series

GPR_TAG_COLUMNS = ["id", "published", "tag"]


def gpr_tag_rows(conn: Connection, flt: HeadlineFilter) -> pd.DataFrame:
    """One row per (headline, GPR category) of the headlines matching `flt`: columns id,
    published (UTC times) and tag (the category id), oldest first."""
    table, tags = schema.headlines, schema.headline_tags
    joined = table.join(tags, and_(tags.c.headline_id == table.c.id, tags.c.kind == "gpr"))
    stmt = where_matching(conn, select(table.c.id, table.c.published, tags.c.tag).select_from(joined), flt)
    frame = result_frame(conn.execute(stmt.order_by(table.c.published, table.c.id, tags.c.tag)),
                         GPR_TAG_COLUMNS)
    frame["published"] = epoch_series(frame["published"]) if len(frame) else \
        pd.Series(dtype="datetime64[s, UTC]")
    return frame
