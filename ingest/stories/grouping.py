"""Which story each new headline joins (pure). It matches the earlier-stored headlines with the
same normalised title, or telling the same story by ingest.stories.matching's rule, within the
rule's window; it joins the story most of those matches belong to (the earliest of equals), if
that story's first copy is within the window of it too, so a chain of matches (C like B, B like A)
cannot drift a story from one event to the next. Otherwise it leads a story of its own. Headlines
are linked in the order they were stored, so a story's first copy is the first one stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ingest.stories.matching import StoryRule, incidence, pair_scores, pairs_sharing, words_key
from ingest.stories.titles import content_words

DAY_SECONDS = 86400   # new headlines compared per slice of time


class StoryRow(NamedTuple):
    """A headline as story linking sees it: its id (the order it was stored), time (UTC seconds),
    normalised title, and story (None: it leads its story, or it is not linked yet). A named
    tuple: a write reads a few thousand of them from the store (a frozen dataclass costs ~3x)."""

    id: int
    published: int
    title_norm: str
    story_id: int | None = None


def link_stories(new: Sequence[StoryRow], stored: Sequence[StoryRow], rule: StoryRule) -> dict[int, int]:
    """{new headline id: the id of its story's first copy} for the new headlines that join an
    earlier-stored headline's story; `stored` holds the candidates (earlier headlines within the
    window, the new ones may be among them). A new headline matching none leads its own story and
    is left out. Compared a day of new headlines at a time, against the candidates within the
    window of that day, so the work grows with the headlines, not with their square."""
    rows = {r.id: r for r in stored} | {r.id: r for r in new}
    time_of = {r.id: r.published for r in rows.values()}
    titles = {r.title_norm for r in new if r.title_norm}
    by_title: dict[str, list[int]] = {}
    for row in rows.values():
        if row.title_norm in titles:
            by_title.setdefault(row.title_norm, []).append(row.id)
    matches = {r.id: {i for i in by_title.get(r.title_norm, []) if i < r.id} for r in new}
    # only the candidates sharing min_shared words with the new headlines taken together can match
    # one of them: the matrices are built for those (a write of a few headlines is compared with
    # the few stored ones that could be its story, not with the days of titles around it)
    words_of = {r.id: content_words(r.title_norm) for r in rows.values()}
    new_words = frozenset().union(*(words_of[r.id] for r in new))
    new_ids = {r.id for r in new}
    others = sorted((r for r in rows.values()
                     if r.id in new_ids or len(words_of[r.id] & new_words) >= rule.min_shared),
                    key=lambda r: (r.published, r.id))
    other_times = np.array([r.published for r in others], dtype=np.int64)
    other_ids = np.array([r.id for r in others], dtype=np.int64)
    words = [words_of[r.id] for r in others]
    keys = [words_key(w) for w in words]
    matrix = incidence(words, {})
    position = {r.id: n for n, r in enumerate(others)}
    left = sorted(new, key=lambda r: r.published)
    start = 0
    while start < len(left):
        stop = start
        while stop < len(left) and left[stop].published < left[start].published + DAY_SECONDS:
            stop += 1
        part = np.array([position[r.id] for r in left[start:stop]], dtype=np.int64)
        lo = np.searchsorted(other_times, left[start].published - rule.window_seconds, side="left")
        hi = np.searchsorted(other_times, left[stop - 1].published + rule.window_seconds, side="right")
        i, j, _ = pairs_sharing(matrix[part], matrix[lo:hi], rule.min_shared)
        i, j = part[i], j + lo      # positions in `others`
        keep = (other_ids[j] < other_ids[i]) & (np.abs(other_times[j] - other_times[i]) <= rule.window_seconds)
        i, j = i[keep], j[keep]
        same = pair_scores(keys, keys, i, j) >= rule.min_score
        for a, b in zip(other_ids[i[same]].tolist(), other_ids[j[same]].tolist(), strict=True):
            matches[a].add(b)
        start = stop
    roots: dict[int, int] = {}
    for row in sorted(new, key=lambda r: r.id):
        votes: dict[int, int] = {}
        for match in matches[row.id]:
            root = roots.get(match) or rows[match].story_id or match
            first = time_of.get(root)
            # the story's first copy bounds it: within the window of every member, so a story never
            # drifts from one event to the next by a chain of matches
            if first is not None and abs(first - row.published) <= rule.window_seconds:
                votes[root] = votes.get(root, 0) + 1
        if votes:   # the story most of its matches belong to (the earliest of equals)
            roots[row.id] = min(votes, key=lambda root: (-votes[root], root))
    return roots
