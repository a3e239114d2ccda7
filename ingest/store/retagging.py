"""Tags computed again (`newsmarks retag`, and the refresh's repair step for the retag queue the
v6 and v9 migrations filled), and cleaned text written back: title, summary, normalised title,
the search index (and whether the text was cut to its cap) together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, bindparam, delete, select, update

from ingest.headline_text import headline_text
from ingest.records import Headline
from ingest.store import schema
from ingest.store.dialect import insert_ignore
from ingest.store.fts import index_headlines
from ingest.store.headline_days import refresh_touched_days
from ingest.store.headline_writes import TAG_KINDS, TITLE_NORM_CHARS, normalise_title
from ingest.store.story_scores import roots_of, score_stories
from ingest.store.write_counts import WriteCounts
from ingest.utc import from_epoch


def store_text(conn: Connection, changed: Sequence[tuple[int, str, str]],
               truncated: Mapping[int, bool] | None = None) -> None:
    """Write new text of headlines (id, title, summary): the normalised title and the search
    index with it; with `truncated` (id → whether the text was cut to its cap, for every id
    changed) the `text_truncated` flag too (a store at schema version 9 or later)."""
    if not changed:
        return
    table = schema.headlines
    values = {"title": bindparam("t"), "summary": bindparam("s"), "title_norm": bindparam("n")}
    if truncated is not None:
        values["text_truncated"] = bindparam("cut")
    conn.execute(update(table).where(table.c.id == bindparam("hid")).values(values),
                 [{"hid": i, "t": t, "s": s, "n": normalise_title(t)[:TITLE_NORM_CHARS],
                   **({"cut": bool(truncated[i])} if truncated is not None else {})} for i, t, s in changed])
    index_headlines(conn, list(changed))


def retag(conn: Connection, tag, after_id: int, chunk: int) -> tuple[int, int, int]:
    """Recompute the tags of up to `chunk` headlines with id > `after_id` (all kinds in
    TAG_KINDS), first making their text what ingest.headline_text stores (rows written around
    the store, or before the rule: title, summary, title_norm, the search index and
    text_truncated, as the v9 migration does), and take them off the retag queue; returns
    (headlines done, last id, headlines whose text was cleaned)."""
    table, queue = schema.headlines, schema.retag_queue
    rows = conn.execute(_retag_columns().where(table.c.id > after_id).order_by(table.c.id).limit(chunk)).all()
    if not rows:
        return 0, after_id, 0
    decoded = _retag_rows(conn, rows, tag)
    conn.execute(delete(queue).where(queue.c.headline_id.in_([r.id for r in rows])))
    return len(rows), rows[-1].id, decoded


def retag_queue_empty(conn: Connection) -> bool:
    """Whether no headline waits in the retag queue (one look at its first row)."""
    queue = schema.retag_queue
    return conn.execute(select(queue.c.headline_id).limit(1)).first() is None


def retag_queued(conn: Connection, tag, chunk: int) -> tuple[int, WriteCounts]:
    """Recompute the tags of up to `chunk` headlines of the retag queue (lowest ids first; their
    text cleaned as by `retag`) and take them off the queue — ids of headlines no
    longer stored too. Returns (queue entries done, the counts of the retagged headlines: updated
    and their first and last time)."""
    table, queue = schema.headlines, schema.retag_queue
    ids = [r[0] for r in conn.execute(select(queue.c.headline_id).order_by(queue.c.headline_id).limit(chunk))]
    if not ids:
        return 0, WriteCounts()
    rows = conn.execute(_retag_columns().where(table.c.id.in_(ids)).order_by(table.c.id)).all()
    if rows:
        _retag_rows(conn, rows, tag)
    conn.execute(delete(queue).where(queue.c.headline_id.in_(ids)))
    times = [r.published for r in rows]
    return len(ids), WriteCounts(updated=len(rows), first=min(times, default=None), last=max(times, default=None))


def clear_retag_queue(conn: Connection) -> None:
    """Empty the retag queue (every headline has just been retagged)."""
    conn.execute(delete(schema.retag_queue))


def _retag_columns():
    table = schema.headlines
    return select(table.c.id, table.c.source, table.c.guid, table.c.title, table.c.summary, table.c.published,
                  table.c.fetched, table.c.link, table.c.time_inferred, table.c.day_precision,
                  table.c.text_truncated)


def _retag_rows(conn: Connection, rows: Sequence, tag) -> int:
    """Clean the rows' text (ingest.headline_text: markup, entities, control characters and the
    caps of text stored before the rule) and replace their tags (the callers take them off the
    retag queue); returns how many rows had their text changed."""
    tag_table = schema.headline_tags
    texts, changed, truncated = {}, [], {}
    for r in rows:
        stored = (r.title, r.summary or "")
        clean = headline_text(*stored)
        if (clean.title, clean.summary) != stored:
            changed.append((r.id, clean.title, clean.summary))
            truncated[r.id] = clean.truncated or bool(r.text_truncated)
        texts[r.id] = (clean.title, clean.summary)
    store_text(conn, changed, truncated)
    ids = [r.id for r in rows]
    conn.execute(delete(tag_table).where(tag_table.c.headline_id.in_(ids), tag_table.c.kind.in_(TAG_KINDS)))
    new_tags = []
    for r in rows:
        title, summary = texts[r.id]
        item = Headline(source=r.source, guid=r.guid, title=title, summary=summary,
                        published=from_epoch(r.published), fetched=from_epoch(r.fetched), link=r.link,
                        time_inferred=bool(r.time_inferred), day_precision=bool(r.day_precision))
        new_tags.extend(dict(headline_id=r.id, kind=k, tag=t) for k, t in tag(item))
    insert_ignore(conn, tag_table, new_tags, ["headline_id", "kind", "tag"])
    score_stories(conn, roots_of(conn, ids))   # a story's kind and topics are its copies' tags
    refresh_touched_days(conn, [r.published for r in rows])   # the stories per day and topic
    return len(changed)
