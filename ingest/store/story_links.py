"""Story links in the store: each headline's story_id points at its story's first copy (NULL: it
is one), by the pure rule of ingest.stories. New headlines are linked as they are written, against
the headlines stored within the rule's window of them, one slice of time at a time so a large
import never holds more than a few days of titles; `relink_stories` links every stored headline
again (after the rule changed: the store remembers which rule linked it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, select, update

from ingest.store import schema
from ingest.stories.grouping import StoryRow, link_stories
from ingest.stories.matching import StoryRule

STORY_RULE = StoryRule(window_seconds=2 * 86400, min_shared=2, min_score=70.0)
RULE_KEY = "story_rule"          # the meta entry naming the rule the stored links were made by
SLICE_SECONDS = 3 * 86400        # new headlines linked per slice of time


def rule_text(rule: StoryRule) -> str:
    """The rule as stored in the meta table, e.g. 'window=172800 shared=2 score=70.0'."""
    return f"window={rule.window_seconds} shared={rule.min_shared} score={rule.min_score}"


def _candidates(conn: Connection, start: int, end: int) -> list[StoryRow]:
    table = schema.headlines
    query = (select(table.c.id, table.c.published, table.c.title_norm, table.c.story_id)
             .where(table.c.published.between(start, end)))
    return [StoryRow(i, published, title or "", story) for i, published, title, story in conn.execute(query)]


def link_new_stories(conn: Connection, new: Sequence[StoryRow], rule: StoryRule) -> int:
    """Link stored headlines `new` (just inserted, story_id NULL) to their stories; returns how
    many joined an earlier headline's story."""
    ordered = sorted(new, key=lambda r: r.published)
    links: dict[int, int] = {}
    start = 0
    while start < len(ordered):
        stop = start
        while stop < len(ordered) and ordered[stop].published < ordered[start].published + SLICE_SECONDS:
            stop += 1
        part = ordered[start:stop]
        known = [r._replace(story_id=links[r.id]) if r.id in links else r for r in _candidates(
            conn, part[0].published - rule.window_seconds, part[-1].published + rule.window_seconds)]
        links.update(link_stories(part, known, rule))
        start = stop
    _write_links(conn, resolve_roots(links))
    return len(links)


def resolve_roots(links: dict[int, int]) -> dict[int, int]:
    """Each link followed to its story's first copy: a headline linked (in a later slice of the
    same write) to one that was itself linked to an earlier one points at that earlier one."""
    resolved = {}
    for headline, story in links.items():
        while story in links:
            story = links[story]
        resolved[headline] = story
    return resolved


def _write_links(conn: Connection, links: dict[int, int | None]) -> None:
    if links:
        table = schema.headlines
        conn.execute(update(table).where(table.c.id == bindparam("hid")).values(story_id=bindparam("sid")),
                     [{"hid": h, "sid": s} for h, s in links.items()])


def linked_by(conn: Connection) -> str | None:
    """The rule the stored links were made by (meta RULE_KEY), None when not recorded (a store
    from before stories were matched by similarity)."""
    return conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == RULE_KEY)).scalar()


def record_rule(conn: Connection, rule: StoryRule) -> None:
    """Remember that the stored links follow `rule`."""
    table = schema.meta
    if conn.execute(select(table.c.key).where(table.c.key == RULE_KEY)).first():
        conn.execute(update(table).where(table.c.key == RULE_KEY).values(value=rule_text(rule)))
    else:
        conn.execute(table.insert().values(key=RULE_KEY, value=rule_text(rule)))


def links_outdated(conn: Connection, rule: StoryRule) -> bool:
    """Whether stored headlines were linked by another rule than `rule`."""
    if linked_by(conn) == rule_text(rule):
        return False
    return conn.execute(select(schema.headlines.c.id).limit(1)).first() is not None


def relink_all(conn: Connection, rule: StoryRule) -> tuple[int, int, int]:
    """Link every stored headline to its story again by `rule` and record the rule; returns
    (headlines whose story changed, first and last time among them in UTC seconds, or 0, 0)."""
    table = schema.headlines
    rows = [StoryRow(r.id, r.published, r.title_norm or "", None)
            for r in conn.execute(select(table.c.id, table.c.published, table.c.title_norm))]
    stored = dict(conn.execute(select(table.c.id, table.c.story_id)).all())
    links = link_stories(rows, rows, rule)
    changed = {r.id: links.get(r.id) for r in rows if links.get(r.id) != stored.get(r.id)}
    _write_links(conn, changed)
    record_rule(conn, rule)
    times = [r.published for r in rows if r.id in changed]
    return len(changed), min(times, default=0), max(times, default=0)
