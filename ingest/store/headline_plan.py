"""Why this module exists: SQLite keeps no statistics, so it cannot choose well how to check a
headline filter's tags and search — by a list of matching ids, or row by row along the time index —
and grouping every row of a long window to count it per bucket sorts them all. `where_matching`
restricts a query to a filter's headlines the way `plan_for` measures cheapest (counting only what
the choice needs); `fast_bucket_counts` counts a filter on time alone per bucket from the day
counts or by a short index walk per bucket. Both give what the plain query gives, faster
(tests/benchmarks/bench_chart.py)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from sqlalchemy import BigInteger, Connection, case, exists, func, literal, select

from ingest.records import HeadlineFilter
from ingest.search_query import parse_search
from ingest.store import schema
from ingest.store.fts import search_condition
from ingest.store.headline_days import day_counts
from ingest.store.result_rows import result_frame
from ingest.utc import to_epoch

SMALL_WINDOW_ROWS = 10_000     # fewer headlines than this in a window: check a search row by row
WINDOW_PROBE_ROWS = 50_000     # headlines of a window counted at most, to choose how to check tags
MAX_COUNT_BUCKETS = 5_000      # more buckets than this: count with one GROUP BY instead of bucket by bucket


def by_ids(flt: HeadlineFilter) -> bool:
    """True when the filter has conditions answered by a list of matching ids: tags (topics,
    sentiments) or a search."""
    return bool(flt.topics or flt.sentiments or parse_search(flt.query))


def _tag_filters(flt: HeadlineFilter) -> list[tuple[str, list[str]]]:
    return [(kind, list(wanted)) for kind, wanted in (("topic", flt.topics), ("sentiment", flt.sentiments))
            if wanted]


def _capped_count(conn: Connection, stmt, cap: int) -> int:
    """Rows of `stmt`, counted up to `cap` (a bounded walk along an index)."""
    return conn.execute(select(func.count()).select_from(stmt.limit(cap).subquery())).scalar()


def plan_for(conn: Connection, flt: HeadlineFilter) -> tuple[str | None, bool]:
    """How tag and search filters are best checked — SQLite has no statistics to choose well:
    (the tag kind whose list of matching ids drives the query, else None: tags are looked up
    row by row along the time index; whether the search too is checked row by row). Measured
    costs: a look-up per row of the window and per tag value, or about twice that per id of a
    list (SQLite builds a list in full before using it; a sentiment matches a third of the
    store). Both sizes are counted only up to what the choice needs (WINDOW_PROBE_ROWS)."""
    tags = schema.headline_tags
    window = WINDOW_PROBE_ROWS  # headlines in the window with the other filters, at most this many
    if flt.start is not None or flt.end is not None:
        plain = replace(flt, topics=(), sentiments=(), query=None)
        window = _capped_count(conn, where_matching(conn, select(schema.headlines.c.id), plain), WINDOW_PROBE_ROWS)
    driver, smallest = None, None
    for kind, wanted in _tag_filters(flt):
        worth = window * len(wanted) // 2  # a list this long costs as much as looking the tags up row by row
        size = _capped_count(conn, select(tags.c.headline_id).where(tags.c.kind == kind, tags.c.tag.in_(wanted)),
                             worth)
        if size < worth and (smallest is None or size < smallest):
            driver, smallest = kind, size
    return driver, window < SMALL_WINDOW_ROWS


def where_matching(conn: Connection, stmt, flt: HeadlineFilter, plan: tuple[str | None, bool] | None = None):
    """`stmt` (a select over headlines) restricted to the headlines `flt` matches: time, sources,
    first copies, tags and search, each checked the way `plan_for` finds cheapest."""
    table, tags = schema.headlines, schema.headline_tags
    driver, scan_search = plan or (plan_for(conn, flt) if by_ids(flt) else (None, False))
    if flt.start is not None:
        stmt = stmt.where(table.c.published >= to_epoch(flt.start))
    if flt.end is not None:
        stmt = stmt.where(table.c.published <= to_epoch(flt.end))
    if flt.sources:
        stmt = stmt.where(table.c.source.in_(list(flt.sources)))
    if flt.stories_only:
        stmt = stmt.where(table.c.story_id.is_(None))
    for kind, wanted in _tag_filters(flt):
        if kind == driver:
            stmt = stmt.where(table.c.id.in_(select(tags.c.headline_id).where(tags.c.kind == kind,
                                                                              tags.c.tag.in_(wanted))))
        else:  # one primary-key look-up per row
            stmt = stmt.where(exists().where(tags.c.headline_id == table.c.id, tags.c.kind == kind,
                                             tags.c.tag.in_(wanted)))
    groups = parse_search(flt.query)
    if groups:
        # on SQLite `id + 0` is no column, so it cannot drive the query: a short window is scanned
        # instead (PostgreSQL's planner chooses by its statistics)
        scan = scan_search and conn.dialect.name == "sqlite"
        stmt = stmt.where(search_condition(conn, table.c.id + 0 if scan else table.c.id, groups))
    return stmt


def fast_bucket_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int,
                      plan: tuple[str | None, bool]) -> pd.DataFrame | None:
    """Counts per bucket of a filter on time alone: from the day counts (headline_days) when the
    buckets are whole days, else as one range count per bucket, each a short walk along a time
    index — several times faster over a long window than grouping every row (which sorts them all).
    None when a GROUP BY is the better (or the only exact) way: a list of matching ids drives
    the query (`plan`, a search); the filter has conditions on tags or sources (every row in the
    window is checked anyway, and PostgreSQL runs the per-bucket subquery with them far slower:
    docs/performance.md); too many buckets; times before 1970
    (SQL's % differs there)."""
    table = schema.headlines
    if plan[0] is not None or parse_search(flt.query) or flt.topics or flt.sentiments or flt.sources:
        return None
    low = to_epoch(flt.start) if flt.start is not None else conn.execute(select(func.min(table.c.published))).scalar()
    high = to_epoch(flt.end) if flt.end is not None else conn.execute(select(func.max(table.c.published))).scalar()
    if low is None or high is None or low > high:
        return pd.DataFrame({"bucket": [], "count": []})
    by_day = day_counts(conn, low, high, bucket_seconds, flt.stories_only)
    if by_day is not None:
        return by_day
    first = low - low % bucket_seconds
    if low < 0 or (high - first) // bucket_seconds >= MAX_COUNT_BUCKETS:
        return None
    # buckets (start, low, high): the first starts at the window's start, the last ends at its end
    seed = select(literal(first, BigInteger).label("bucket"), literal(low, BigInteger).label("lo"),
                  literal(min(first + bucket_seconds - 1, high), BigInteger).label("hi"))
    buckets = seed.cte("buckets", recursive=True)
    following = buckets.c.bucket + bucket_seconds
    buckets = buckets.union_all(select(
        following, following,
        case((following + bucket_seconds - 1 < high, following + bucket_seconds - 1), else_=high),
    ).where(following <= high))
    unbounded = replace(flt, start=None, end=None)
    in_bucket = where_matching(conn, select(func.count()).select_from(table), unbounded, plan) \
        .where(table.c.published >= buckets.c.lo, table.c.published <= buckets.c.hi).scalar_subquery()
    frame = result_frame(conn.execute(select(buckets.c.bucket, in_bucket)), ["bucket", "count"])
    return frame[frame["count"] > 0].reset_index(drop=True)
