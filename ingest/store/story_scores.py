"""Each story's score kept on its first copy (columns story_kind, story_sources, importance; the
rule is ingest.stories.importance's): written whenever what it rests on changes — a new copy
joins a story, tags are computed again, stories are linked again, copies are deleted — so the
chart can rank a window's stories along one index instead of reading them all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, bindparam, func, or_, select, update

from ingest.headline_tags.gpr_headline_lexicon import load_headline_lexicon
from ingest.store import schema
from ingest.store.headline_days import refresh_risk_days
from ingest.store.story_links import STORY_RULE
from ingest.stories.importance import score_story

CHUNK = 2000                 # stories scored per slice, ids per query
SLICE_SECONDS = 3 * 86400    # the time a slice of stories spans, at most


def roots_of(conn: Connection, ids: Iterable[int]) -> set[int]:
    """The stories (ids of their first copies) the headlines `ids` belong to; ids no longer
    stored are left out."""
    table, found = schema.headlines, set()
    for part in _chunks(sorted(set(ids)), CHUNK):
        found.update(r[0] for r in conn.execute(
            select(func.coalesce(table.c.story_id, table.c.id)).where(table.c.id.in_(part))))
    return found


def score_stories(conn: Connection, roots: Iterable[int]) -> int:
    """Compute and store the score of the stories whose first copies are `roots` (ids no longer
    stored, or not a story's first copy, are skipped); returns how many were scored. The stories
    are taken a slice of time at a time, their copies read with one walk along the time index per
    slice (a story's copies are all within the story window of its first copy)."""
    lexicon = load_headline_lexicon()
    table, tags = schema.headlines, schema.headline_tags
    window = STORY_RULE.window_seconds
    scored = 0
    for part in _time_slices(_first_copies(conn, roots)):
        wanted = {story for story, _ in part}
        copies = [(hid, source, story) for hid, source, story in conn.execute(
            select(table.c.id, table.c.source, func.coalesce(table.c.story_id, table.c.id))
            .where(table.c.published.between(part[0][1] - window, part[-1][1] + window),
                   # story_id is in the time index: only the slice's copies are read from the table
                   or_(table.c.id.in_(wanted), table.c.story_id.in_(wanted)))) if story in wanted]
        story_of = {hid: story for hid, _, story in copies}
        categories: dict[int, list[str]] = {}
        topics: dict[int, list[str]] = {}
        for ids in _chunks(sorted(story_of), CHUNK):
            for headline_id, kind, tag in conn.execute(select(tags.c.headline_id, tags.c.kind, tags.c.tag).where(
                    tags.c.headline_id.in_(ids), tags.c.kind.in_(("gpr", "topic")))):
                (categories if kind == "gpr" else topics).setdefault(story_of[headline_id], []).append(tag)
        sources: dict[int, set[str]] = {}
        for _, source, story in copies:
            sources.setdefault(story, set()).add(source)
        rows = []
        for story in sorted(sources):
            score = score_story(categories.get(story, ()), topics.get(story, ()), sources[story], lexicon)
            rows.append({"sid": story, "k": score.kind, "n": score.sources, "i": score.importance})
        if rows:
            conn.execute(update(table).where(table.c.id == bindparam("sid")).values(
                story_kind=bindparam("k"), story_sources=bindparam("n"), importance=bindparam("i")), rows)
            # the stories per day and risk kind (story_group_days) of the days of these first copies
            refresh_risk_days(conn, [published for _, published in part])
        scored += len(rows)
    return scored


def _first_copies(conn: Connection, roots: Iterable[int]) -> list[tuple[int, int]]:
    """(id, published) of those of `roots` that are stored first copies, by time."""
    table, found = schema.headlines, []
    for ids in _chunks(sorted(set(roots)), CHUNK):
        found += [(int(r.id), int(r.published)) for r in conn.execute(
            select(table.c.id, table.c.published).where(table.c.id.in_(ids), table.c.story_id.is_(None)))]
    return sorted(found, key=lambda row: (row[1], row[0]))


def _time_slices(rows: list[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """`rows` (id, published; by time) cut into runs spanning at most SLICE_SECONDS and CHUNK rows."""
    start = 0
    for position in range(1, len(rows) + 1):
        if position == len(rows) or rows[position][1] - rows[start][1] > SLICE_SECONDS or position - start >= CHUNK:
            yield rows[start:position]
            start = position


def score_all(conn: Connection) -> int:
    """Score every story of the store again (copies cleared); returns how many were scored."""
    table = schema.headlines
    conn.execute(update(table).where(table.c.story_id.is_not(None), table.c.importance.is_not(None))
                 .values(story_kind=None, story_sources=None, importance=None))
    return score_stories(conn, [r[0] for r in conn.execute(select(table.c.id).where(table.c.story_id.is_(None)))])


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
