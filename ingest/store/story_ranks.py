"""A window's stories ranked by importance (the score on each story's first copy, ingest.store.
story_scores): what the chart's marks are made of. Read along the importance index, one level at
a time from the top, so a view of years reads its most important stories, not all of them."""

from __future__ import annotations

from dataclasses import replace
from math import ceil

import pandas as pd
from sqlalchemy import Connection, func, select

from ingest.records import HeadlineFilter
from ingest.store import schema
from ingest.store.headline_plan import where_matching
from ingest.stories.importance import MAX_IMPORTANCE
from ingest.utc import epoch_series, to_epoch

RANK_COLUMNS = ["id", "published", "day_precision", "story_kind", "story_sources", "importance"]


def ranked_stories(conn: Connection, flt: HeadlineFilter, limit: int, few: bool = False, ranked: bool = True,
                   slices: int = 1) -> pd.DataFrame:
    """The first copies of up to `limit` stories matching `flt`, most important first (then the
    earliest, then the lowest id), with what ranking and placing them needs (RANK_COLUMNS; no text).

    Many matching stories: one query per importance level, from the top, until enough are found —
    each a seek along the importance index (level, then time), where one ORDER BY over the window
    would read and sort every story in it. The level that holds more than are still wanted gives
    them evenly from `slices` equal parts of the window (the earliest of each part first), not the
    earliest of the whole window: the marks of a long view are not all at its start. `few` (the
    caller counted at most `limit`): one query, which reads them all anyway (docs/performance.md).
    `ranked=False`: any `limit` of them, the database stopping as soon as it has them (to learn
    whether they are few). Whichever were read, the frame comes back in rank order."""
    if slices < 1:
        raise ValueError(f"slices must be at least 1, got {slices}")
    table = schema.headlines
    flt = replace(flt, stories_only=True)
    base = where_matching(conn, select(*[table.c[c] for c in RANK_COLUMNS]), flt).where(
        table.c.importance.is_not(None))
    if not ranked:
        rows = conn.execute(base.limit(limit)).all()
    elif few:
        rows = conn.execute(base.order_by(table.c.importance.desc(), table.c.published, table.c.id).limit(limit)).all()
    else:
        rows = []
        for level in range(MAX_IMPORTANCE, -1, -1):
            wanted = limit - len(rows)
            if wanted <= 0:
                break
            found = conn.execute(base.where(table.c.importance == level)
                                 .order_by(table.c.published, table.c.id).limit(wanted + 1)).all()
            if len(found) > wanted and slices > 1:   # more of this level than wanted: spread them
                found = _spread(conn, flt, base, level, wanted, slices)
            rows += found[:wanted]
    return _frame(rows)


def _spread(conn: Connection, flt: HeadlineFilter, base, level: int, wanted: int, slices: int) -> list:
    """`wanted` stories of one importance level taken evenly from `slices` equal parts of the
    window (of the level's first to last story when the filter has no bounds): round by round,
    the earliest not yet taken of each part."""
    table = schema.headlines
    low, high = (to_epoch(flt.start) if flt.start is not None else None,
                 to_epoch(flt.end) if flt.end is not None else None)
    if low is None or high is None:
        bounds = where_matching(conn, select(func.min(table.c.published), func.max(table.c.published)), flt)
        first, last = conn.execute(bounds.where(table.c.importance == level)).one()
        low, high = (first if low is None else low), (last if high is None else high)
    each = ceil(wanted / slices)
    parts = []
    for k in range(slices):
        start = low + (high - low + 1) * k // slices
        end = low + (high - low + 1) * (k + 1) // slices - 1
        parts.append(conn.execute(base.where(table.c.importance == level, table.c.published.between(start, end))
                                  .order_by(table.c.published, table.c.id).limit(each)).all())
    return [part[rank] for rank in range(each) for part in parts if rank < len(part)][:wanted]


def _frame(rows: list) -> pd.DataFrame:
    """The rows as a frame, ranked: importance (descending), then time, then id."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=RANK_COLUMNS)
    frame["id"] = frame["id"].astype("int64")
    frame["published"] = epoch_series(frame["published"]) if len(frame) else pd.Series(dtype="datetime64[s, UTC]")
    frame["day_precision"] = frame["day_precision"].astype(bool)
    frame["story_kind"] = frame["story_kind"].astype(object)
    for name in ("story_sources", "importance"):
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    return frame.sort_values(["importance", "published", "id"], ascending=[False, True, True],
                             kind="stable").reset_index(drop=True)
