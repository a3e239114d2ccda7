"""Headlines: idempotent writes keyed by (source, guid), one story across feeds, topic tags,
full-text search."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Connection,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    select,
    true,
    update,
)

from ingest.headline_times import settle_time
from ingest.records import Headline
from ingest.search_query import parse_search
from ingest.store import schema
from ingest.store.dialect import among_ids, insert_ignore, insert_new
from ingest.store.fts import index_headlines, search_condition
from ingest.store.headline_days import day_counts, refresh_touched_days
from ingest.store.prices import WriteCounts, result_frame
from ingest.utc import epoch_series, to_epoch

STORY_WINDOW_SECONDS = 2 * 86400
TAG_KINDS = ("topic", "gpr", "sentiment")
TAG_COLUMNS = {"topic": "topics", "gpr": "gpr", "sentiment": "sentiment"}
SMALL_WINDOW_ROWS = 10_000     # fewer headlines than this in a window: check a search row by row
WINDOW_PROBE_ROWS = 50_000     # headlines of a window counted at most, to choose how to check tags
MAX_COUNT_BUCKETS = 5_000      # more buckets than this: count with one GROUP BY instead of bucket by bucket
DAY_SECONDS = 86400
TITLE_NORM_CHARS = 500         # stories compare this much of a normalised title (an index entry must stay small)
_WORD = re.compile(r"\w+")
HEADLINE_COLUMNS = ["id", "source", "guid", "title", "summary", "link", "published", "fetched",
                    "time_inferred", "day_precision", "story_id"]


def normalise_title(title: str) -> str:
    """Lower-case, accents and punctuation removed, whitespace collapsed: two feeds' copies of
    one story compare equal."""
    folded = title.casefold()
    if not folded.isascii():
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(folded))


def _chunks(items: Sequence, size: int = 400) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_headlines(conn: Connection, headlines: Sequence[Headline],
                    tag: Callable[[Headline], Iterable[tuple[str, str]]] | None = None) -> WriteCounts:
    """Insert new headlines, update changed ones (the latest title, summary and link; the
    earliest time), link each new one to an earlier copy of the same story, and store the tags
    `tag` gives them — asked only for new and changed headlines (a feed repeats most of its
    items on every fetch, and tagging costs about a millisecond a headline). A time more than
    ingest.headline_times.FUTURE_SLACK after the headline was fetched becomes its fetch time,
    marked inferred, whatever wrote it. Returns the counts."""
    table = schema.headlines
    batch = _collapse([settle_time(item) for item in headlines])
    existing: dict[tuple[str, str], tuple] = {}
    by_source: dict[str, list[str]] = {}
    for source, guid in batch:
        by_source.setdefault(source, []).append(guid)
    columns = [table.c[c] for c in ("id", "source", "guid", "title", "summary", "link", "published",
                                    "time_inferred", "day_precision")]
    for source, guids in by_source.items():
        for chunk in _chunks(guids, 900):
            for row in conn.execute(select(*columns).where(table.c.source == source, table.c.guid.in_(chunk))):
                existing[(row.source, row.guid)] = row
    new_rows, new_tags, updated, unchanged, reindex, touched = [], [], 0, 0, [], []
    for key, item in batch.items():
        row = _row(item)
        old = existing.get(key)
        if old is None:
            new_rows.append(row)
            new_tags.append(list(tag(item)) if tag is not None else [])
            continue
        values = {k: row[k] for k in ("title", "summary", "link", "published", "time_inferred", "day_precision")}
        if item.time_inferred or (not old.time_inferred and old.published <= row["published"]):
            # keep the first sighting: an inferred time never replaces a real one, and a story
            # re-stamped by its feed keeps the time it first appeared
            values["published"], values["time_inferred"] = old.published, old.time_inferred
            # the same time again: what the source now says of its precision holds (a re-import
            # of a date-only file marks rows stored as exact midnights before schema v6)
            values["day_precision"] = row["day_precision"] if old.published == row["published"] \
                else old.day_precision
        if all(getattr(old, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        values["title_norm"] = row["title_norm"]
        conn.execute(update(table).where(table.c.id == old.id).values(**values))
        touched += [old.published, values["published"]]
        if (old.title, old.summary) != (row["title"], row["summary"]):
            reindex.append((old.id, row["title"], row["summary"]))
        if tag is not None:
            item_tags = list(tag(item))
            for kind in TAG_KINDS:
                _replace_tags(conn, old.id, kind, [t for t in item_tags if t[0] == kind])
        updated += 1
    index_headlines(conn, reindex)
    if new_rows:
        _link_stories_and_tag(conn, new_rows, new_tags)
    touched += [r["published"] for r in new_rows]
    refresh_touched_days(conn, touched)
    return WriteCounts(new=len(new_rows), updated=updated, unchanged=unchanged,
                       first=min(touched, default=None), last=max(touched, default=None))


def _collapse(headlines: Sequence[Headline]) -> dict[tuple[str, str], Headline]:
    """One entry per (source, guid): the last copy's text, the earliest real time."""
    batch: dict[tuple[str, str], Headline] = {}
    for item in headlines:
        key = (item.source, item.guid)
        earlier = batch.get(key)
        if earlier is not None and not earlier.time_inferred and (
                item.time_inferred or earlier.published < item.published):
            item = replace(item, published=earlier.published, time_inferred=False,
                           day_precision=earlier.day_precision)
        batch[key] = item
    return batch


def _row(item: Headline) -> dict:
    return dict(source=item.source, guid=item.guid, title=item.title, summary=item.summary or "",
                link=item.link, published=to_epoch(item.published), fetched=to_epoch(item.fetched),
                time_inferred=bool(item.time_inferred), day_precision=bool(item.day_precision),
                title_norm=normalise_title(item.title)[:TITLE_NORM_CHARS])


def _link_stories_and_tag(conn: Connection, rows: list[dict], row_tags: list[list]) -> None:
    """Insert new rows; point each at an earlier copy of its story (same normalised title within
    STORY_WINDOW_SECONDS) — a NULL story_id means the row is its story's first copy."""
    table = schema.headlines
    ids = {(row.source, row.guid): row.id
           for row in insert_new(conn, table, rows, ["source", "guid"], (table.c.id, table.c.source, table.c.guid))}
    index_headlines(conn, [(ids[(r["source"], r["guid"])], r["title"], r["summary"]) for r in rows])
    by_title: dict[str, list[tuple[int, int, int | None]]] = {}
    norms = sorted({r["title_norm"] for r in rows if r["title_norm"]})
    for chunk in _chunks(norms, 900):
        for row in conn.execute(select(table.c.id, table.c.title_norm, table.c.published,
                                       table.c.story_id).where(table.c.title_norm.in_(chunk))):
            by_title.setdefault(row.title_norm, []).append((row.id, row.published, row.story_id))
    story_updates = []
    for row in rows:
        candidates = by_title.get(row["title_norm"], [])
        if len(candidates) < 2:
            continue
        own_id = ids[(row["source"], row["guid"])]
        for other_id, published, other_story in sorted(candidates):
            if other_id < own_id and abs(published - row["published"]) <= STORY_WINDOW_SECONDS:
                story_updates.append({"hid": own_id, "sid": other_story or other_id})
                break
    if story_updates:
        conn.execute(update(table).where(table.c.id == bindparam("hid")).values(story_id=bindparam("sid")),
                     story_updates)
    tag_rows = [dict(headline_id=ids[(r["source"], r["guid"])], kind=kind, tag=tag)
                for r, tags in zip(rows, row_tags, strict=True) for kind, tag in tags]
    insert_ignore(conn, schema.headline_tags, tag_rows, ["headline_id", "kind", "tag"])


def _replace_tags(conn: Connection, headline_id: int, kind: str, tags: list[tuple[str, str]]) -> None:
    conn.execute(delete(schema.headline_tags).where(and_(schema.headline_tags.c.headline_id == headline_id,
                                                         schema.headline_tags.c.kind == kind)))
    insert_ignore(conn, schema.headline_tags,
                  [dict(headline_id=headline_id, kind=k, tag=t) for k, t in tags],
                  ["headline_id", "kind", "tag"])


@dataclass(frozen=True)
class HeadlineFilter:
    """Which headlines: a time range (inclusive), a search-box query, sources, topics, and
    whether to keep only the first copy of each story."""

    start: datetime | None = None
    end: datetime | None = None
    query: str | None = None
    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    stories_only: bool = False
    sentiments: tuple[str, ...] = ()   # 'negative', 'neutral', 'positive'


SORTABLE = {"published": "published", "source": "source", "title": "title"}


def _by_ids(flt: HeadlineFilter) -> bool:
    """True when the filter has conditions answered by a list of matching ids: tags (topics,
    sentiments) or a search."""
    return bool(flt.topics or flt.sentiments or parse_search(flt.query))


def _tag_filters(flt: HeadlineFilter) -> list[tuple[str, list[str]]]:
    return [(kind, list(wanted)) for kind, wanted in (("topic", flt.topics), ("sentiment", flt.sentiments))
            if wanted]


def _capped_count(conn: Connection, stmt, cap: int) -> int:
    """Rows of `stmt`, counted up to `cap` (a bounded walk along an index)."""
    return conn.execute(select(func.count()).select_from(stmt.limit(cap).subquery())).scalar()


def _plan(conn: Connection, flt: HeadlineFilter) -> tuple[str | None, bool]:
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
    first copies, tags and search, each checked the way `_plan` finds cheapest."""
    table, tags = schema.headlines, schema.headline_tags
    driver, scan_search = plan or (_plan(conn, flt) if _by_ids(flt) else (None, False))
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


def read_headlines(conn: Connection, flt: HeadlineFilter = HeadlineFilter(), *, limit: int | None = None,
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
    return frame


def headline_times(conn: Connection, flt: HeadlineFilter, limit: int) -> pd.DataFrame:
    """Up to `limit` matching headlines, in no particular order (the database takes the cheapest
    way to find them and stops there): columns id and published (UTC)."""
    table = schema.headlines
    stmt = where_matching(conn, select(table.c.id, table.c.published), flt).limit(limit)
    frame = result_frame(conn.execute(stmt), ["id", "published"])
    frame["published"] = epoch_series(frame["published"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    return frame


def count_headlines(conn: Connection, flt: HeadlineFilter = HeadlineFilter()) -> int:
    """How many headlines match."""
    table = schema.headlines
    return int(conn.execute(where_matching(conn, select(func.count()).select_from(table), flt)).scalar())


def headline_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int) -> pd.DataFrame:
    """Headline counts per time bucket (buckets of `bucket_seconds` from the epoch, UTC):
    columns bucket (UTC start time) and count; empty buckets are left out."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    plan = _plan(conn, flt) if _by_ids(flt) else (None, False)
    frame = _time_only_counts(conn, flt, bucket_seconds, plan)
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


def _time_only_counts(conn: Connection, flt: HeadlineFilter, bucket_seconds: int,
                      plan: tuple[str | None, bool]) -> pd.DataFrame | None:
    """Counts per bucket of a filter on time alone: from the day counts (headline_days) when the
    buckets are whole days, else as one range count per bucket, each a short walk along a time
    index — several times faster over a long window than grouping every row (which sorts them all).
    None when a GROUP BY is the better (or the only exact) way: a list of matching ids drives
    the query (`plan`, a search); the filter has conditions on tags or sources (every row in the
    window is checked anyway, and PostgreSQL runs the per-bucket subquery with them thousands of
    times slower: 3.3 s against 6 ms for a week of hours); too many buckets; times before 1970
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


STORY_COPY_COLUMNS = ["story_id", "id", "source", "published", "day_precision"]


def story_copies(conn: Connection, ids: Sequence[int]) -> pd.DataFrame:
    """Every stored copy of the stories of the headlines `ids` (any copy's id names its story),
    whatever their source: columns story_id (the story's first copy), id, source, published (UTC)
    and day_precision, by story, then time and id. Counting a story's distinct sources, and which
    they are, is then one group-by; their times say which copies were out by a given moment.
    Copies are found as they were linked, by their shared normalised title (its index): a copy
    whose title changed after it was linked is not found."""
    if not len(ids):
        return pd.DataFrame({"story_id": pd.Series(dtype="int64"), "id": pd.Series(dtype="int64"),
                             "source": pd.Series(dtype=object),
                             "published": pd.Series(dtype="datetime64[s, UTC]"),
                             "day_precision": pd.Series(dtype=bool)})
    asked, first, copy = (schema.headlines.alias(name) for name in ("asked", "first", "copy"))
    stmt = (select(first.c.id, copy.c.id, copy.c.source, copy.c.published, copy.c.day_precision)
            .select_from(asked.join(first, first.c.id == func.coalesce(asked.c.story_id, asked.c.id))
                         .join(copy, and_(copy.c.title_norm == first.c.title_norm,
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
