"""What the main chart shows, read from the store for one view: only the visible window, hourly
bars when zoomed in far enough and the store has them, the stories ranked by importance — all of
them when few enough (READ_ALL), else the most important (CANDIDATES: the single marks and the
clusters' top stories; the counts panel counts the rest) — and the counts per bucket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from dashboard.analysis.page_vs_official import official_span, page_vs_official
from dashboard.chart.clusters import MAX_BADGES
from dashboard.state import ViewState
from ingest.headline_tags.risk_index import INDEX_COLUMNS, bucket_risk_index
from ingest.store import HeadlineFilter, Store
from ingest.stories.ranking import rank_read
from ingest.utc import epoch_series, series_to_epoch

READ_ALL = 1500               # at most this many stories in view: all read (clusters counted from them)
CANDIDATES = 200              # else the most important ones read (20 singles, 36 badges' top 3)
# a search's stories, up to this many, are read in one query and counted and ranked in pandas:
# every query with a search runs the full-text match again, and ranking along the importance
# index takes one query per level and per part of the window (bench_chart: "Syria" over ten
# years, 5,533 stories: 28 ms to read them all against 66 ms to rank them in the store)
SEARCH_READ = 20_000
MAX_POINTS = 2000             # per price line, after min/max downsampling
HOURLY_MAX_SPAN = timedelta(days=92)
HOURLY_START_SLACK = timedelta(days=3)
BAR_PADDING = {"1d": timedelta(days=7), "1h": timedelta(days=2)}


@dataclass(frozen=True)
class ChartData:
    """The frames of one chart view, all UTC."""

    start: datetime | None
    end: datetime | None
    interval: str
    bars: pd.DataFrame
    headlines: pd.DataFrame                 # stories ranked by importance, no text (Store.ranked_stories)
    counts: pd.DataFrame
    total_headlines: int
    bucket_seconds: int
    risk: pd.DataFrame | None = None        # the risk index per risk_bucket(); None: not asked for
    snapshots: pd.DataFrame | None = None   # page snapshots of the shown instruments; None: not asked for
    day_only: int = 0                       # headlines dated to the day only, left out of hourly counts
    mark_counts: pd.DataFrame | None = None  # the counts the clusters take theirs from; None: `headlines` is all

    @property
    def complete(self) -> bool:
        """Whether every story in view was read (then the clusters count them themselves)."""
        return self.mark_counts is None


def counts_from_rows(published: pd.Series, bucket_seconds: int) -> pd.DataFrame:
    """Headline counts per bucket (columns bucket, count; empty buckets left out) from the
    headlines' own times: what Store.headline_counts answers for the same headlines."""
    seconds = published.dt.tz_convert("UTC").dt.as_unit("s").astype("int64")
    counted = (seconds - seconds % bucket_seconds).value_counts().sort_index()
    return pd.DataFrame({"bucket": epoch_series(pd.Series(counted.index, dtype="int64")) if len(counted)
                         else pd.Series(dtype="datetime64[s, UTC]"),
                         "count": counted.to_numpy(dtype="int64")})


def count_and_rank(store: Store, flt: HeadlineFilter, bucket_seconds: int,
                   mode: str) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """(counts per bucket, the stories the marks are made of — most important first —, whether
    they are all of the view's). A filter on the time alone is counted first along the time index
    (cheap); any other filter costs about as much to count as to find, so up to READ_ALL + 1 of
    its stories are read first, in any order (the database stops as soon as it has them; the frame
    comes back ranked): when that is all of them they are counted from those rows — one scan of
    the matching headlines instead of two."""
    if flt.query or flt.topics or flt.sources or flt.sentiments:
        cap = SEARCH_READ if flt.query else READ_ALL
        found = store.ranked_stories(flt, cap + 1, text=False, ranked=False)
        if len(found) <= READ_ALL:
            return counts_from_rows(found["published"], bucket_seconds), found if mode != "none" \
                else found.iloc[0:0], True
        if len(found) <= cap:   # a search: all its stories read once, ranked here (see SEARCH_READ)
            wanted = READ_ALL if mode == "all" else CANDIDATES
            ranked = rank_read(found, wanted if mode != "none" else 0, MAX_BADGES, flt.start, flt.end)
            return counts_from_rows(found["published"], bucket_seconds), ranked, False
    counts = store.headline_counts(flt, bucket_seconds)
    total = int(counts["count"].sum())   # every matching headline is in one bucket
    return counts, read_stories(store, flt, total, mode), total <= READ_ALL


def read_stories(store: Store, flt: HeadlineFilter, total: int, mode: str) -> pd.DataFrame:
    """The stories the marks are made of, most important first: all of them when at most READ_ALL
    (or none, when the marks are off), else the CANDIDATES most important ("all" marks: READ_ALL)."""
    if mode == "none" or total == 0:
        return store.ranked_stories(flt, 0, few=True, text=False)
    if total <= READ_ALL:
        return store.ranked_stories(flt, READ_ALL, few=True, text=False)
    return store.ranked_stories(flt, READ_ALL if mode == "all" else CANDIDATES, text=False, slices=MAX_BADGES)


def marked_text(store: Store, singles: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """The stored rows (title, source, topics, scores...) of the stories a chart shows by name:
    the single marks and each badge's top stories — read once the marks are planned, so a view
    of many stories reads the text of a few hundred at most."""
    wanted = list(dict.fromkeys([*singles["id"].tolist(), *(i for heads in clusters["heads"] for i in heads)]))
    return store.headlines(ids=wanted) if wanted else store.headlines(limit=0)


def badge_group_counts(store: Store, flt: HeadlineFilter, data: ChartData, bucket_seconds: int,
                       marks_by: str) -> pd.DataFrame:
    """The view's stories counted per bucket of `bucket_seconds` and group (what the badges are
    coloured by: clusters.badge_groups): risk kinds from the stories read when they are all of
    the view's (their kinds are read with them), else — and for topics and sources, which are
    not — from the store (Store.story_group_counts, its risk kinds along their own index)."""
    if marks_by == "risk" and data.complete:
        stories = data.headlines[data.headlines["story_kind"].notna() & (data.headlines["story_kind"] != "none")]
        seconds = series_to_epoch(stories["published"]).reset_index(drop=True)
        counted = pd.DataFrame({"bucket": seconds - seconds % bucket_seconds,
                                "group": stories["story_kind"].to_numpy(dtype=object)})
        counted = counted.groupby(["bucket", "group"], sort=True).size().reset_index(name="count")
        counted["bucket"] = epoch_series(counted["bucket"].astype("int64")) if len(counted) \
            else pd.Series(dtype="datetime64[s, UTC]")
        return counted
    return store.story_group_counts(flt, bucket_seconds, marks_by)


def without_day_only(store: Store, flt: HeadlineFilter, counts: pd.DataFrame,
                     bucket_seconds: int) -> tuple[pd.DataFrame, int]:
    """Counts of hours hold no headline dated to the day only (stored at 00:00 UTC, it is not
    at that hour): (the counts without them, how many were taken out). Counts of days and weeks
    are left as they are."""
    if bucket_seconds >= 86400 or counts.empty:
        return counts, 0
    days = store.day_only_counts(flt)
    if days.empty:
        return counts, 0
    taken = counts.set_index("bucket")["count"].sub(days.set_index("day")["count"], fill_value=0)
    taken = taken[taken > 0].astype("int64")
    kept = pd.DataFrame({"bucket": taken.index.to_series(index=range(len(taken))).dt.as_unit(
        counts["bucket"].dt.unit), "count": taken.to_numpy()})
    return kept, int(days["count"].sum())


def bucket_for(start: datetime | None, end: datetime | None) -> int:
    """Counts-panel bucket: hours up to two weeks, days up to three years, weeks beyond."""
    if start is None or end is None:
        return 7 * 86400
    span = end - start
    if span <= timedelta(days=14):
        return 3600
    return 86400 if span <= timedelta(days=3 * 366) else 7 * 86400


def risk_bucket(bucket_seconds: int) -> int:
    """The risk index's bucket: a day, or the counts' bucket when that is longer (a share of the
    few headlines of an hour says little)."""
    return max(bucket_seconds, 86400)


def load_risk(store: Store, flt: HeadlineFilter, bucket_seconds: int, counts: pd.DataFrame) -> pd.DataFrame:
    """The geopolitical-risk index of the filter's headlines per risk_bucket() (ingest.headline_tags.risk_index:
    tagged headlines over those expected at each source's own mean share, 100 = the view's mean
    counted bucket), from the headlines counted per bucket and source and the rows of the tagged ones.
    `counts` (the counts panel's) only says whether there is anything to read."""
    size = risk_bucket(bucket_seconds)
    if counts.empty:
        return pd.DataFrame({c: [] for c in INDEX_COLUMNS})
    return bucket_risk_index(store.source_counts(flt, size), store.gpr_tags(flt), size)


def choose_interval(store: Store, instruments: list[str], start: datetime | None, end: datetime | None) -> str:
    """'1h' when the window is short enough and the store's hourly bars reach back to its start
    (within HOURLY_START_SLACK, for weekends), else '1d' — never a line that is hourly for the
    last days of a window and missing before."""
    if not instruments or start is None or end is None or end - start > HOURLY_MAX_SPAN:
        return "1d"
    return "1h" if store.has_bars(instruments, "1h", start - HOURLY_START_SLACK, start + HOURLY_START_SLACK) else "1d"


def load_chart_data(store: Store, state: ViewState, start: datetime | None, end: datetime | None) -> ChartData:
    """Read what a view shows: bars of the window (with a little padding before it, so that marks
    at its start sit on a price), the headlines or just their count, and counts per bucket."""
    instruments = list(state.instruments)
    interval = choose_interval(store, instruments, start, end)
    padded = start - BAR_PADDING[interval] if start is not None else None
    bars = store.closes(instruments, interval, padded, end)
    flt = state.headline_filter(start, end)
    bucket = bucket_for(start, end)
    counts, stories, complete = count_and_rank(store, flt, bucket, state.mark_mode)
    total = int(counts["count"].sum())
    counts, day_only = without_day_only(store, flt, counts, bucket)
    risk = load_risk(store, flt, bucket, counts) if "risk" in state.overlays else None
    snapshots = with_official(store, store.snapshots(start, end, instruments)) if "snapshots" in state.overlays \
        else None
    return ChartData(start, end, interval, bars, stories, counts, total, bucket, risk, snapshots, day_only,
                     mark_counts=None if complete else counts)


def with_official(store, snapshots: pd.DataFrame) -> pd.DataFrame:
    """The snapshots with the columns of dashboard.analysis.page_vs_official (which official
    daily value each equals, how late, the difference) for their hover."""
    if snapshots.empty:
        return snapshots
    closes = store.closes(sorted(set(snapshots["instrument_id"].dropna())), "1d", *official_span(snapshots))
    matched = page_vs_official(snapshots, closes)
    matched.index = snapshots.index[snapshots["instrument_id"].map(lambda i: isinstance(i, str))]
    extra = [c for c in matched.columns if c not in snapshots.columns]
    return snapshots.join(matched[extra])
