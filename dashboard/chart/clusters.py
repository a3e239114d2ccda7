"""Which stories the chart marks one by one and how the rest are clustered (pure DataFrame code).

Whatever the number of stories in view, the chart marks the most important ones singly (`top_n`
of the ranked stories, ingest.stories.importance: the most important of each bucket first, then
the second of each..., so they spread over the view) and clusters the others per time bucket: a
badge with how many stories it holds, coloured by the group most of its stories belong to (risk
kind, topic or source: badge_groups) and sized by its most important story. The bucket
is sized to the zoom (mark_bucket: at most MAX_BADGES across the view), so zooming in splits a
cluster down to single stories: a bucket left with one story marks it singly.

The stories come ranked (most important first). When they are all the view's stories
(`complete`), every count is theirs; otherwise (a long view: only the most important were read)
the counts per bucket come from the counts panel's, whose buckets the marks' buckets are whole
multiples of, and the groups a badge is coloured by are counted in the store (Store.story_group_counts);
a bucket none of whose stories was read still has its count and colour, only no story to list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.analysis.time_columns import epoch_ns

__all__ = ["BLANK_GROUP", "BUCKET_LADDER", "MARK_MODES", "MAX_BADGES", "TOP_N", "MarkPlan", "badge_groups",
           "mark_bucket", "plan_marks", "story_groups"]

MARK_MODES = ("top", "all", "none")
TOP_N = 20              # stories marked singly by default
MAX_BADGES = 36         # buckets across the view, at most (a badge is up to 30 px wide)
BLANK_GROUP = {"risk": "none", "topic": "", "source": ""}   # by marks_by: the group of no group
HEADS = 3               # a badge's hover lists its most important stories
BUCKET_LADDER = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400,
                 14 * 86400, 28 * 86400, 91 * 86400, 364 * 86400)


def mark_bucket(span_seconds: float, counts_bucket: int | None = None) -> int:
    """The marks' bucket for a view of `span_seconds`: the smallest size of BUCKET_LADDER giving at
    most MAX_BADGES buckets, and a whole multiple of `counts_bucket` when the counts come from
    the counts panel (None: counted from the stories themselves)."""
    if span_seconds <= 0:
        raise ValueError(f"the view must span some time, got {span_seconds} s")
    fits = [size for size in BUCKET_LADDER if counts_bucket is None or size % counts_bucket == 0]
    if not fits:
        raise ValueError(f"no marks' bucket is a multiple of a counts bucket of {counts_bucket} s")
    return next((size for size in fits if span_seconds / size <= MAX_BADGES), fits[-1])


@dataclass(frozen=True)
class MarkPlan:
    """What the chart marks: `singles` (rows of the ranked stories, most important first) and
    `clusters` (one row per bucket holding stories not marked singly: bucket — its UTC start —,
    seconds, x — the middle of its part inside the view —, count, kind and importance of its
    most important story read — 'none' and 0 when none was —, heads: the ids of up to HEADS of
    its stories, most important first)."""

    singles: pd.DataFrame
    clusters: pd.DataFrame
    bucket_seconds: int


def _empty_clusters() -> pd.DataFrame:
    return pd.DataFrame({"bucket": pd.Series(dtype="datetime64[ns, UTC]"), "seconds": pd.Series(dtype="int64"),
                         "x": pd.Series(dtype="datetime64[ns, UTC]"), "count": pd.Series(dtype="int64"),
                         "kind": pd.Series(dtype=object), "importance": pd.Series(dtype="int64"),
                         "heads": pd.Series(dtype=object)})


def spread_order(buckets: np.ndarray) -> np.ndarray:
    """Positions of ranked stories (most important first) in the order they are marked singly:
    the most important story of each bucket first (in rank order), then the second of each, and
    so on — so the single marks spread over the view instead of crowding its busiest part."""
    seen: dict[int, int] = {}
    rank_in_bucket = np.empty(len(buckets), dtype=np.int64)
    for position, bucket in enumerate(buckets.tolist()):
        rank_in_bucket[position] = seen.get(bucket, 0)
        seen[bucket] = rank_in_bucket[position] + 1
    return np.lexsort((np.arange(len(buckets)), rank_in_bucket))


def plan_marks(ranked: pd.DataFrame, counts: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp, *,
               mode: str = "top", top_n: int = TOP_N, counts_bucket: int | None = None) -> MarkPlan:
    """Split the view's stories into single marks and clusters.

    `ranked`: stories most important first (columns id, published, story_kind, importance); all
    of the view's when `counts` is None, else the most important ones and `counts` (bucket, count:
    the counts panel's, buckets of `counts_bucket` seconds) counts them all. `mode` "top": `top_n`
    stories singly, in spread_order (the most important of each bucket first); "all": every story
    read singly; "none": no marks. A bucket with one story left, which was read, marks it singly too."""
    if mode not in MARK_MODES:
        raise ValueError(f"marks must be one of {MARK_MODES}, got {mode!r}")
    if top_n < 0:
        raise ValueError(f"top_n must not be negative, got {top_n}")
    if (counts is None) != (counts_bucket is None):
        raise ValueError("counts and counts_bucket come together (both None: the stories are all of them)")
    start, end = pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")
    if not start < end:
        raise ValueError(f"the view's start {start} is not before its end {end}")
    size = mark_bucket((end - start).total_seconds(), counts_bucket)
    if mode == "none" or ranked.empty and (counts is None or counts.empty):
        return MarkPlan(ranked.iloc[0:0], _empty_clusters(), size)
    times = epoch_ns(ranked["published"], "ranked.published") // 10**9
    buckets = times - times % size
    single = np.zeros(len(ranked), dtype=bool)
    single[spread_order(buckets)[: len(ranked) if mode == "all" else top_n]] = True

    totals: dict[int, int] = {}
    if counts is None:
        for bucket in buckets.tolist():
            totals[bucket] = totals.get(bucket, 0) + 1
    else:
        seconds = epoch_ns(counts["bucket"], "counts.bucket") // 10**9
        for bucket, count in zip((seconds - seconds % size).tolist(), counts["count"].tolist(), strict=True):
            totals[bucket] = totals.get(bucket, 0) + int(count)
    left = dict(totals)
    for bucket in buckets[single].tolist():
        if bucket in left:   # a story the counts left out (dated to the day only, by the hour) is no one's
            left[bucket] -= 1
    rest: dict[int, list[int]] = {}
    for position in np.flatnonzero(~single).tolist():
        rest.setdefault(int(buckets[position]), []).append(position)
    for bucket, positions in rest.items():   # one story left, and read: marked singly
        if left.get(bucket) == 1 and len(positions) == 1:
            single[positions[0]] = True
            left[bucket] = 0
            rest[bucket] = []

    kept = sorted(b for b, n in left.items() if n > 0)
    if not kept:
        return MarkPlan(ranked[single].reset_index(drop=True), _empty_clusters(), size)
    ids = ranked["id"].to_numpy(dtype="int64")
    kinds = ranked["story_kind"].to_numpy(dtype=object)
    scores = ranked["importance"].to_numpy(dtype="float64")
    low, high = start.value // 10**9, end.value // 10**9
    firsts = [rest[b][0] if rest.get(b) else None for b in kept]
    starts = np.asarray(kept, dtype="int64")
    middles = (np.maximum(starts, low) + np.minimum(starts + size, high)) * (10**9 // 2)
    clusters = pd.DataFrame({
        "bucket": pd.to_datetime(starts, unit="s", utc=True).as_unit("ns"),
        "seconds": np.full(len(kept), size, dtype="int64"),
        "x": pd.to_datetime(middles, unit="ns", utc=True),
        "count": np.asarray([left[b] for b in kept], dtype="int64"),
        "kind": [kinds[p] if p is not None else "none" for p in firsts],
        "importance": np.asarray([int(scores[p]) if p is not None else 0 for p in firsts], dtype="int64"),
        "heads": [ids[rest.get(b, [])[:HEADS]].tolist() for b in kept]})
    return MarkPlan(ranked[single].reset_index(drop=True), clusters, size)


def badge_groups(clusters: pd.DataFrame, group_counts: pd.DataFrame, singles: pd.DataFrame, *,
                 blank: str, order: tuple[str, ...] = ()) -> pd.DataFrame:
    """`clusters` (plan_marks') with the group each badge is coloured by — the one most of its
    stories belong to — and its mix of groups.

    `group_counts` (bucket, group, count): the view's stories counted per group, in buckets the
    clusters' are whole multiples of; a story may count in several groups (topics) and stories
    of no group may be left out (risk kinds: `blank`, "none"). `singles` (bucket, group): the
    groups of the stories marked singly, one row per story and group, taken out of their
    bucket's counts (a badge holds the others). The dominant group is the largest other than
    `blank` — ties: the first in `order`, then by name —; `blank` when the badge has no story of
    any group. Adds columns group and mix (a list of (group, count), largest first, `blank` left
    out)."""
    for frame, name, needed in ((group_counts, "group_counts", ("bucket", "group", "count")),
                                (singles, "singles", ("bucket", "group"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} has no column {', '.join(missing)}")
    out = clusters.copy()
    if clusters.empty:
        out["group"], out["mix"] = pd.Series(dtype=object), pd.Series(dtype=object)
        return out
    size = int(clusters["seconds"].iloc[0])
    counted: dict[int, dict[str, int]] = {}

    def add(buckets: pd.Series, groups: pd.Series, counts: np.ndarray) -> None:
        seconds = epoch_ns(buckets, "bucket") // 10**9
        for bucket, group, count in zip((seconds - seconds % size).tolist(), groups.tolist(), counts.tolist(),
                                        strict=True):
            if group != blank and group is not None:
                mix = counted.setdefault(bucket, {})
                mix[group] = mix.get(group, 0) + count

    add(group_counts["bucket"], group_counts["group"], group_counts["count"].to_numpy(dtype="int64"))
    add(singles["bucket"], singles["group"], -np.ones(len(singles), dtype="int64"))
    rank = {group: position for position, group in enumerate(order)}
    groups, mixes = [], []
    for bucket in (epoch_ns(clusters["bucket"], "clusters.bucket") // 10**9).tolist():
        mix = sorted(((g, n) for g, n in counted.get(bucket, {}).items() if n > 0),
                     key=lambda item: (-item[1], rank.get(item[0], len(rank)), str(item[0])))
        groups.append(mix[0][0] if mix else blank)
        mixes.append(mix)
    out["group"], out["mix"] = groups, mixes
    return out


def story_groups(rows: pd.DataFrame, by: str, bucket_seconds: int) -> pd.DataFrame:
    """The groups of stored stories (rows with published and, by `by`, story_kind, topics — a
    ';'-joined string — or source) as badge_groups takes its `singles`: columns bucket (of
    `bucket_seconds`), group; one row per story and group (a story of two topics has two),
    a story of no group has none."""
    if bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    column = {"risk": "story_kind", "topic": "topics", "source": "source"}.get(by)
    if column is None:
        raise ValueError(f"stories are grouped by risk, topic or source, got {by!r}")
    if rows.empty:
        return pd.DataFrame({"bucket": pd.Series(dtype="datetime64[ns, UTC]"), "group": pd.Series(dtype=object)})
    if column not in rows.columns:
        raise ValueError(f"the stories have no column {column}")
    seconds = epoch_ns(rows["published"], "rows.published") // 10**9
    buckets, groups = [], []
    for bucket, value in zip((seconds - seconds % bucket_seconds).tolist(), rows[column].tolist(), strict=True):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == BLANK_GROUP[by] or value == "":
            continue
        for group in (str(value).split(";") if by == "topic" else [str(value)]):
            if group:
                buckets.append(bucket)
                groups.append(group)
    return pd.DataFrame({"bucket": pd.to_datetime(np.asarray(buckets, dtype="int64"), unit="s", utc=True),
                         "group": pd.Series(groups, dtype=object)})
