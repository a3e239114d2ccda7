"""Headline writes: idempotent upserts keyed by (source, guid), a new sighting merged into the
stored row by one pure rule (`merge_sighting`), each new headline linked to its story
(ingest.store.story_links), and its tags stored. What a write leaves for its end — linking its new
headlines, scoring their stories, counting their days again — is a `StoryWork`: several writes
in one transaction (a refresh's units fetched together) may share one, done once for them all."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, and_, bindparam, delete, select, update

from ingest.headline_times import settle_time
from ingest.records import Headline
from ingest.store import schema
from ingest.store.dialect import insert_ignore, insert_new
from ingest.store.fts import index_headlines
from ingest.store.headline_days import refresh_touched_days
from ingest.store.story_links import STORY_RULE, link_new_stories
from ingest.store.story_scores import roots_of, score_stories
from ingest.store.write_counts import WriteCounts
from ingest.stories.grouping import StoryRow
from ingest.utc import to_epoch

TAG_KINDS = ("topic", "gpr", "sentiment")
TITLE_NORM_CHARS = 500         # stories compare this much of a normalised title (an index entry must stay small)
_WORD = re.compile(r"\w+")


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


@dataclass
class StoryWork:
    """What headline writes leave for the end of their transaction: the new headlines to link to
    their stories (by id, as first written: a later write of the same work that changes one does
    not link it again, as it would not have after a transaction of its own), the headlines whose
    stories are scored again, and the times whose days are counted again."""

    new: dict[int, StoryRow] = field(default_factory=dict)
    retagged: list[int] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)


def finish_stories(conn: Connection, work: StoryWork) -> None:
    """Link the new headlines of `work` to their stories (all at once, in the order they were
    stored: the same links as writing them one write at a time), score the stories they and the
    retagged ones belong to, and count their days again."""
    if work.new:
        link_new_stories(conn, list(work.new.values()), STORY_RULE)
    if work.retagged:   # their stories' kind, topics or sources may have changed
        score_stories(conn, roots_of(conn, work.retagged))
    refresh_touched_days(conn, work.touched)


def write_headlines(conn: Connection, headlines: Sequence[Headline],
                    tag: Callable[[Headline], Iterable[tuple[str, str]]] | None = None,
                    work: StoryWork | None = None) -> WriteCounts:
    """Insert new headlines, update changed ones (the latest title, summary and link; the
    earliest time), link each new one to an earlier copy of the same story, and store the tags
    `tag` gives them — asked only for new and changed headlines (a feed repeats most of its
    items on every fetch, and tagging costs about a millisecond a headline). A time more than
    ingest.headline_times.FUTURE_SLACK after the headline was fetched becomes its fetch time,
    marked inferred, whatever wrote it. Returns the counts. Given a `work` shared with other
    writes of the transaction, the story linking, scoring and day counts are left in it for
    `finish_stories`; without one they are done before returning."""
    own = work is None
    work = StoryWork() if work is None else work
    table = schema.headlines
    batch = _collapse([settle_time(item) for item in headlines])
    existing: dict[tuple[str, str], tuple] = {}
    by_source: dict[str, list[str]] = {}
    for source, guid in batch:
        by_source.setdefault(source, []).append(guid)
    columns = [table.c[c] for c in ("id", "source", "guid", "title", "summary", "link", "published",
                                    "time_inferred", "day_precision", "text_truncated", "title_norm")]
    for source, guids in by_source.items():
        for chunk in _chunks(guids, 900):
            for row in conn.execute(select(*columns).where(table.c.source == source, table.c.guid.in_(chunk))):
                existing[(row.source, row.guid)] = row
    new_rows, new_tags, updated, unchanged, reindex, touched = [], [], 0, 0, [], []
    changes: dict[tuple[str, ...], list[dict]] = {}   # by the columns that changed
    retags: dict[int, list[tuple[str, str]]] = {}
    for key, item in batch.items():
        row = _row(item)
        old = existing.get(key)
        if old is None:
            new_rows.append(row)
            new_tags.append(list(tag(item)) if tag is not None else [])
            continue
        values = merge_sighting(old, row)
        if all(getattr(old, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        values["title_norm"] = row["title_norm"]
        changed = {k: v for k, v in values.items() if getattr(old, k) != v}
        changes.setdefault(tuple(changed), []).append({"row_id": old.id, **{f"new_{k}": v for k, v in changed.items()}})
        touched += [old.published, values["published"]]
        if (old.title, old.summary) != (row["title"], row["summary"]):
            reindex.append((old.id, row["title"], row["summary"]))
        if tag is not None:
            retags[old.id] = list(tag(item))
        updated += 1
    # one executemany per set of changed columns, which alone are written: a re-import of a large
    # file changes every row, often one flag, and a title or time written unchanged would still
    # rewrite its indexes and (SQLite) the full-text entry (docs/performance.md)
    for columns, rows in changes.items():
        conn.execute(update(table).where(table.c.id == bindparam("row_id"))
                     .values({c: bindparam(f"new_{c}") for c in columns}), rows)
    _replace_tags(conn, retags)
    retagged = list(retags)
    index_headlines(conn, reindex)
    if new_rows:
        inserted = _insert_and_tag(conn, new_rows, new_tags)
        work.new.update((row.id, row) for row in inserted)
        retagged += [row.id for row in inserted]
    touched += [r["published"] for r in new_rows]
    work.retagged += retagged
    work.touched += touched
    if own:
        finish_stories(conn, work)
    return WriteCounts(new=len(new_rows), updated=updated, unchanged=unchanged,
                       first=min(touched, default=None), last=max(touched, default=None))


def merge_sighting(stored, row: dict) -> dict:
    """What a headline stored as `stored` (its published, time_inferred and day_precision) holds
    after a new sighting `row` of it (a row as written: the new title, summary, link, published,
    time_inferred, day_precision, text_truncated): the latest text (and whether it was cut to its
    cap), and the first sighting's time — an inferred
    time never replaces a real one, and a story re-stamped by its feed keeps the time it first
    appeared. At the same time again, what the source now says of its precision holds (a
    re-import of a date-only file marks rows stored as exact midnights before schema v6). Pure."""
    values = {k: row[k] for k in ("title", "summary", "text_truncated", "link", "published", "time_inferred",
                                  "day_precision")}
    if row["time_inferred"] or (not stored.time_inferred and stored.published <= row["published"]):
        values["published"], values["time_inferred"] = stored.published, stored.time_inferred
        values["day_precision"] = row["day_precision"] if stored.published == row["published"] \
            else stored.day_precision
    return values


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
                text_truncated=bool(item.text_truncated), title_norm=normalise_title(item.title)[:TITLE_NORM_CHARS])


def _insert_and_tag(conn: Connection, rows: list[dict], row_tags: list[list]) -> list[StoryRow]:
    """Insert new rows, make them searchable and store their tags; returns them as story linking
    sees them, to be linked (`finish_stories`: each pointed at the first copy of its story by
    ingest.stories — the same normalised title, or the same story by STORY_RULE, within its
    window; a NULL story_id means the row is its story's first copy)."""
    table = schema.headlines
    ids = {(row.source, row.guid): row.id
           for row in insert_new(conn, table, rows, ["source", "guid"], (table.c.id, table.c.source, table.c.guid))}
    index_headlines(conn, [(ids[(r["source"], r["guid"])], r["title"], r["summary"]) for r in rows])
    tag_rows = [dict(headline_id=ids[(r["source"], r["guid"])], kind=kind, tag=tag)
                for r, tags in zip(rows, row_tags, strict=True) for kind, tag in tags]
    insert_ignore(conn, schema.headline_tags, tag_rows, ["headline_id", "kind", "tag"])
    return [StoryRow(ids[(r["source"], r["guid"])], r["published"], r["title_norm"]) for r in rows]


def _replace_tags(conn: Connection, tags: dict[int, list[tuple[str, str]]]) -> None:
    """Replace the tags of every kind (TAG_KINDS) of the headlines `tags` maps, by (kind, tag)."""
    table = schema.headline_tags
    for ids in _chunks(list(tags), 900):
        conn.execute(delete(table).where(and_(table.c.headline_id.in_(ids), table.c.kind.in_(TAG_KINDS))))
    insert_ignore(conn, table, [dict(headline_id=i, kind=k, tag=t) for i, pairs in tags.items()
                                for k, t in pairs if k in TAG_KINDS], ["headline_id", "kind", "tag"])
