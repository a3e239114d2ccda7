"""Headline queries: the headlines a HeadlineFilter matches (with their tags as columns), their
times, counts (in all, per time bucket, of those dated to the day only), every copy of a story,
the sources. How the filter is checked fastest is ingest.store.headline_plan's."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection, and_, func, select, true

from ingest.records import HeadlineFilter
from ingest.store import schema
from ingest.store.dialect import among_ids
from ingest.store.headline_plan import by_ids, fast_bucket_counts, plan_for, where_matching
from ingest.store.result_rows import result_frame
from ingest.store.story_links import STORY_RULE
from ingest.utc import epoch_series

__all__ = ["HeadlineFilter", "count_headlines", "day_only_counts", "headline_counts", "headline_sources",
           "headline_times", "read_headlines", "story_copies"]

ALL_HEADLINES = HeadlineFilter()   # frozen: a safe default
TAG_COLUMNS = {"topic": "topics", "gpr": "gpr", "sentiment": "sentiment"}
DAY_SECONDS = 86400
SCORE_COLUMNS = ["story_kind", "story_sources", "importance"]   # a story's first copy's (ingest.store.story_scores)
HEADLINE_COLUMNS = ["id", "source", "guid", "title", "summary", "link", "published", "fetched",
                    "time_inferred", "day_precision", "text_truncated", *SCORE_COLUMNS, "story_id"]
SORTABLE = {"published": "published", "source": "source", "title": "title"}


def read_headlines(conn: Connection, flt: HeadlineFilter = ALL_HEADLINES, *, limit: int | None = None,
                   offset: int = 0, sort: str = "published", descending: bool = False,
                   ids: list[int] | None = None) -> pd.DataFrame:
    """Headlines with their topics (a ';'-joined string), filtered, sorted by `sort` (published,
    source or title; then id) and paged; `published` and `fetched` as UTC times."""
    if sort not in SORTABLE:
        raise ValueError(f"cannot sort headlines by {sort!r} (choose from {', '.join(SORTABLE)})")
    table = schema.headlines
    columns = [*HEADLINE_COLUMNS, "tags"]
    stmt = where_matching(conn, select(*[table.c[c] for c in HEADLINE_COLUMNS[:-1]],
                                       func.coalesce(table.c.story_id, table.c.id).label("story_id"),
                                       _all_tags()), flt)
    if ids is not None:
        stmt = stmt.where(among_ids(conn, table.c.id, ids))
    column = table.c[SORTABLE[sort]]
    stmt = stmt.order_by(column.desc() if descending else column, table.c.id.desc() if descending else table.c.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    # limit 0 (a chart with too many headlines to mark): the empty frame, without asking
    frame = pd.DataFrame([], columns=columns) if limit == 0 else result_frame(conn.execute(stmt), columns)
    for column, values in _tag_columns(frame.pop("tags").tolist()).items():
        frame[column] = values
    for name in ("published", "fetched"):
        frame[name] = epoch_series(frame[name]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["time_inferred"] = frame["time_inferred"].astype(bool)
    frame["day_precision"] = frame["day_precision"].astype(bool)
    frame["text_truncated"] = frame["text_truncated"].astype(bool)
    for name in SCORE_COLUMNS[1:]:   # a copy carries no score: NaN
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    return frame


def headline_times(conn: Connection, flt: HeadlineFilter, limit: int) -> pd.DataFrame:
    """Up to `limit` matching headlines, in no particular order (the database takes the cheapest
    way to find them and stops there): columns id and published (UTC)."""
    table = schema.headlines
    stmt = where_matching(conn, select(table.c.id, table.c.published), flt).limit(limit)
    frame = result_frame(conn.execute(stmt), ["id", "published"])
    frame["published"] = epoch_series(frame["published"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    return frame


def count_headlines(conn: Connection, flt: HeadlineFilter = ALL_HEADLINES) -> int:
    """How many headlines match."""
    table = schema.headlines
    return int(conn.execute(where_matching(conn, select(func.count()).select_from(table), flt)).scalar())


def headline_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int) -> pd.DataFrame:
    """Headline counts per time bucket (buckets of `bucket_seconds` from the epoch, UTC):
    columns bucket (UTC start time) and count; empty buckets are left out."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    plan = plan_for(conn, flt) if by_ids(flt) else (None, False)
    frame = fast_bucket_counts(conn, flt, bucket_seconds, plan)
    if frame is None:
        table = schema.headlines
        bucket = (table.c.published - table.c.published % bucket_seconds).label("bucket")
        stmt = where_matching(conn, select(bucket, func.count().label("count")).select_from(table), flt, plan)
        frame = result_frame(conn.execute(stmt.group_by(bucket).order_by(bucket)), ["bucket", "count"])
    frame["bucket"] = epoch_series(frame["bucket"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["count"] = frame["count"].astype("int64")
    return frame


def day_only_counts(conn: Connection, flt: HeadlineFilter) -> pd.DataFrame:
    """Of the headlines `flt` matches, those dated to the day only, counted per day: columns day
    (UTC start) and count. They are stored at 00:00 UTC, so only rows at a midnight are looked
    at (the time index answers that; the table is read only for them)."""
    table = schema.headlines
    stmt = where_matching(conn, select(table.c.published, func.count()).select_from(table), flt)
    stmt = stmt.where(table.c.published % DAY_SECONDS == 0, table.c.day_precision == true())
    frame = result_frame(conn.execute(stmt.group_by(table.c.published).order_by(table.c.published)),
                         ["day", "count"])
    frame["day"] = epoch_series(frame["day"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["count"] = frame["count"].astype("int64")
    return frame


STORY_COPY_COLUMNS = ["story_id", "id", "source", "published", "day_precision"]


def story_copies(conn: Connection, ids: Sequence[int]) -> pd.DataFrame:
    """Every stored copy of the stories of the headlines `ids` (any copy's id names its story),
    whatever their source: columns story_id (the story's first copy), id, source, published (UTC)
    and day_precision, by story, then time and id. Counting a story's distinct sources, and which
    they are, is then one group-by; their times say which copies were out by a given moment.
    Copies are found by their link to the story's first copy, among the headlines within the story
    window of it (ingest.store.story_links: a story never reaches further), so the search walks the
    time index."""
    if not len(ids):
        return pd.DataFrame({"story_id": pd.Series(dtype="int64"), "id": pd.Series(dtype="int64"),
                             "source": pd.Series(dtype=object),
                             "published": pd.Series(dtype="datetime64[s, UTC]"),
                             "day_precision": pd.Series(dtype=bool)})
    asked, first, copy = (schema.headlines.alias(name) for name in ("asked", "first", "copy"))
    window = STORY_RULE.window_seconds
    stmt = (select(first.c.id, copy.c.id, copy.c.source, copy.c.published, copy.c.day_precision)
            .select_from(asked.join(first, first.c.id == func.coalesce(asked.c.story_id, asked.c.id))
                         .join(copy, and_(copy.c.published.between(first.c.published - window,
                                                                    first.c.published + window),
                                          func.coalesce(copy.c.story_id, copy.c.id) == first.c.id)))
            .where(among_ids(conn, asked.c.id, ids)).distinct()
            .order_by(first.c.id, copy.c.published, copy.c.id))
    frame = result_frame(conn.execute(stmt), STORY_COPY_COLUMNS)
    frame["published"] = epoch_series(frame["published"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["day_precision"] = frame["day_precision"].astype(bool)
    return frame


def headline_sources(conn: Connection) -> list[str]:
    """Every headline source in the store, sorted."""
    table = schema.headlines
    return [r[0] for r in conn.execute(select(table.c.source).distinct().order_by(table.c.source))]


TAG_SEPARATOR = "\x1f"   # between a headline's "kind:tag" items in one text (no tag holds a control character)


def _all_tags():
    """A headline's tags, every kind, as one text of "kind:tag" items in no particular order
    (NULL: none), read as a column of the headline's own row: one primary-key walk per row, no
    second query with the ids."""
    tags = schema.headline_tags
    return select(func.aggregate_strings(tags.c.kind + ":" + tags.c.tag, TAG_SEPARATOR)).where(
        tags.c.headline_id == schema.headlines.c.id).scalar_subquery()


def _tag_columns(joined: list) -> dict[str, list[str]]:
    """The _all_tags() texts of the rows -> per TAG_COLUMNS column, each row's tags of that kind,
    sorted and ';'-joined ('' for none)."""
    prefixes = [(column, f"{kind}:") for kind, column in TAG_COLUMNS.items()]
    columns: dict[str, list[str]] = {column: [] for column in TAG_COLUMNS.values()}
    for value in joined:
        # sorting "kind:tag" items sorts by kind, then tag (a kind's items share their prefix)
        items = sorted(value.split(TAG_SEPARATOR)) if isinstance(value, str) else []  # NULL: None or NaN
        for column, prefix in prefixes:
            columns[column].append(";".join([item[len(prefix):] for item in items if item.startswith(prefix)]))
    return columns
