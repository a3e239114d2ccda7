"""A window's stories ranked by importance in pandas (pure): what the store's ranking along its
importance index takes (ingest.store.story_ranks), from stories already read — for a search,
whose every query runs the full-text match again, one read of its stories and this cost a fraction
of a query per importance level and part of the window (docs/performance.md)."""

from __future__ import annotations

from datetime import datetime
from math import ceil

import numpy as np
import pandas as pd

from ingest.utc import series_to_epoch, to_epoch


def rank_read(stories: pd.DataFrame, limit: int, slices: int, start: datetime | None,
              end: datetime | None) -> pd.DataFrame:
    """What ingest.store's ranked_stories(flt, limit, slices=slices) reads, taken from `stories` — every story of
    `flt` (RANK_COLUMNS, importance not null), `start`/`end` its bounds — in pandas (pure): the
    levels from the top until `limit`, the level holding more than are still wanted spread over
    `slices` equal parts of the window. For a search, whose every query runs the full-text match
    again, one read of its stories and this cost a fraction of a query per level and part."""
    if slices < 1:
        raise ValueError(f"slices must be at least 1, got {slices}")
    ordered = stories.sort_values(["importance", "published", "id"], ascending=[False, True, True], kind="stable")
    seconds = series_to_epoch(ordered["published"]).to_numpy()
    importance = ordered["importance"].to_numpy()
    taken: list[int] = []
    for level in sorted(set(importance.tolist()), reverse=True):
        wanted = limit - len(taken)
        if wanted <= 0:
            break
        at = np.flatnonzero(importance == level)          # by time, then id
        if len(at) > wanted and slices > 1:
            low = to_epoch(start) if start is not None else int(seconds[at].min())
            high = to_epoch(end) if end is not None else int(seconds[at].max())
            each = ceil(wanted / slices)
            parts = []
            for k in range(slices):
                first = low + (high - low + 1) * k // slices
                last = low + (high - low + 1) * (k + 1) // slices - 1
                parts.append(at[(seconds[at] >= first) & (seconds[at] <= last)][:each])
            at = np.array([part[rank] for rank in range(each) for part in parts if rank < len(part)], dtype=np.int64)
        taken += at[:wanted].tolist()
    return ordered.iloc[taken].sort_values(["importance", "published", "id"], ascending=[False, True, True],
                                           kind="stable").reset_index(drop=True)
