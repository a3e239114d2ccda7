"""The chart's marks at news density, through the callbacks: the most important stories singly,
the rest in badges whose counts add up to the stories in view, zooming splitting them, a clicked
badge listing its stories, and selecting a story patching only the ring."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import ids
from dashboard.chart.callbacks import chart_view
from dashboard.chart.clusters import TOP_N
from dashboard.chart.data import READ_ALL
from dashboard.chart.selection import RING, ring_patch
from dashboard.context import DashboardContext
from dashboard.filters.callbacks import sync
from dashboard.table.callbacks import clicked_cluster, cluster_view
from ingest.records import HeadlineFilter
from ingest.store import Store
from tests.conftest import utc
from tests.dense_news import DENSE_VIEW, PER_DAY, fill_dense_store

VIEW = DENSE_VIEW


@pytest.fixture(scope="module")
def dense(module_store_url) -> DashboardContext:
    config = fill_dense_store(module_store_url)
    store = Store.open(config.store.url)
    yield DashboardContext(config, store)
    store.close()


def state(ctx, search: str) -> dict:
    return sync(None, search, {}, ctx.instrument_ids, ctx.default_instruments)[0]


def draw(ctx, search: str, relayout=None, trigger=ids.STATE, selected=None):
    figure, note, window, _ = chart_view(ctx, state(ctx, search), relayout, trigger, None, selected, "UTC")
    return go.Figure(figure), note, window


def of_kind(figure, kind: str) -> list:
    return [t for t in figure.data if t.meta["kind"] == kind]


def marked(figure) -> tuple[list[int], int]:
    """(the single marks' story ids, the stories the badges hold)."""
    singles = [int(row[0]) for t in of_kind(figure, "marks") for row in t.customdata]
    return singles, sum(int(row_text.replace("k", "000")) for t in of_kind(figure, "clusters") for row_text in t.text)


def stories_between(ctx, start, end) -> pd.DataFrame:
    """The stories of a window with their scores, most important first, worked out in pandas."""
    frame = ctx.store.headlines(HeadlineFilter(start=start, end=end, stories_only=True))
    return frame.sort_values(["importance", "published", "id"], ascending=[False, True, True])


def test_a_dense_day_shows_the_top_stories_and_badges_holding_every_other(dense):
    figure, note, window = draw(dense, VIEW)
    expected = stories_between(dense, utc(2026, 8, 10), utc(2026, 8, 11, 23, 59, 59))
    assert len(expected) == 2 * PER_DAY > READ_ALL        # too many to read: counted from the counts panel
    singles, clustered = marked(figure)
    assert len(singles) == TOP_N and len(singles) + clustered == len(expected) == window["headlines"]
    # two days in buckets of three hours: each of the 16 has a single mark, the most important of its
    # bucket (no story of that bucket outranks it unless it is a single mark too)
    bucket = expected["published"].dt.floor("3h")
    chosen = expected["id"].isin(singles)
    assert bucket[chosen].nunique() == 16
    best = expected.groupby(bucket)["importance"].max()
    assert all(expected.loc[chosen & (bucket == b), "importance"].max() == best[b] for b in best.index)
    assert note.startswith(f"2,400 headlines in view. {TOP_N} marked one by one, 2,380 in clusters")
    # acts first: every single mark is an act carried by both feeds (4 + 1 more source)
    assert {t.name for t in of_kind(figure, "marks")} == {"geopolitical act"}
    badges = of_kind(figure, "clusters")
    assert all(t.mode == "markers+text" for t in badges) and len(badges) >= 1
    assert "too many" not in note


def test_zooming_in_splits_the_badges_down_to_single_stories(dense):
    hour = {"xaxis.range[0]": "2026-08-10 06:00:00", "xaxis.range[1]": "2026-08-10 07:00:00"}
    figure, note, window = draw(dense, VIEW, hour, ids.CHART)
    expected = stories_between(dense, utc(2026, 8, 10, 6), utc(2026, 8, 10, 7))
    singles, clustered = marked(figure)
    assert len(singles) + clustered == len(expected) == 51          # 06:00 to 07:00 inclusive, one per 72 s
    assert window["interval"] == "1h"
    minutes = {"xaxis.range[0]": "2026-08-10 06:00:00", "xaxis.range[1]": "2026-08-10 06:20:00"}
    figure, note, _ = draw(dense, VIEW, minutes, ids.CHART)
    singles, clustered = marked(figure)
    assert clustered == 0 and of_kind(figure, "clusters") == []
    assert sorted(singles) == sorted(stories_between(dense, utc(2026, 8, 10, 6), utc(2026, 8, 10, 6, 20))["id"])


def test_marks_none_and_all(dense):
    figure, note, _ = draw(dense, VIEW + "&marked=none")
    assert of_kind(figure, "marks") == [] and of_kind(figure, "clusters") == []
    assert "Marks off." in note
    figure, note, _ = draw(dense, VIEW + "&marked=all")
    singles, clustered = marked(figure)
    assert len(singles) == READ_ALL and clustered == 2 * PER_DAY - READ_ALL


def test_a_clicked_badge_lists_its_stories_most_important_first(dense):
    figure, _, window = draw(dense, VIEW)
    badge = of_kind(figure, "clusters")[0]
    click = {"points": [{"customdata": list(badge.customdata[0])}]}
    first, last = clicked_cluster(click)
    assert (last - first).total_seconds() + 1 == int(badge.customdata[0][2])
    body = cluster_view(dense, (first, last), state(dense, VIEW), window, "UTC")
    expected = stories_between(dense, first.to_pydatetime(), last.to_pydatetime())
    assert body[0].children == f"{len(expected):,} stories"
    buttons = [item.children[0] for item in body[3].children]
    assert [b.id for b in buttons] == [{"type": ids.CLUSTER_STORY, "index": int(i)}
                                       for i in expected["id"].head(len(buttons))]
    assert [b.children for b in buttons] == expected["title"].head(len(buttons)).tolist()   # text, never markup
    assert clicked_cluster({"points": [{"customdata": [5, "a title"]}]}) is None
    assert clicked_cluster({"points": [{"customdata": ["cluster", "x", 60]}]}) is None


def test_selecting_a_story_patches_the_ring_alone(dense):
    figure, _, window = draw(dense, VIEW)
    story = stories_between(dense, utc(2026, 8, 10, 9), utc(2026, 8, 10, 10)).iloc[-1]   # a story in a badge
    patch = ring_patch(dense, int(story["id"]), state(dense, VIEW), window, "UTC")
    operations = {tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    # the view shows hourly bars: the close known at its time (09:5x) is the 08:00 bar's, known at
    # 09:00 — the 33rd hourly close since 9 August 00:00, 80 + 32 / 10
    assert window["interval"] == "1h" and story["published"].hour == 9
    assert operations[("data", RING, "y")] == [83.2]
    assert operations[("data", RING, "x")] == [story["published"].tz_localize(None).isoformat()]
    assert operations[("data", RING, "meta")] == {"kind": "highlight", "id": int(story["id"])}
    # drawn again with that story selected, the ring sits where the patch put it
    redrawn, _, _ = draw(dense, VIEW, selected=int(story["id"]))
    assert redrawn.data[RING].meta == {"kind": "highlight", "id": int(story["id"])}
    assert list(redrawn.data[RING].y) == [83.2]
    cleared = ring_patch(dense, None, state(dense, VIEW), window, "UTC").to_plotly_json()["operations"]
    assert {tuple(op["location"]): op["params"]["value"] for op in cleared}[("data", RING, "x")] == []


def test_the_tables_sources_column_counts_every_copy_of_each_story(dense):
    """The Sources column is the story's distinct sources kept on its first copy: here one story in
    ten also came from a second feed five minutes later, counted again from all the headlines."""
    from dashboard.table.callbacks import table_rows

    window = {"start": "2026-08-10T00:00:00+00:00", "end": "2026-08-11T23:59:59+00:00", "interval": "1h"}
    rows = table_rows(dense, {"startRow": 0, "endRow": 500}, state(dense, VIEW), window, "UTC")["rowData"]
    every = dense.store.headlines(HeadlineFilter(start=utc(2026, 8, 9), end=utc(2026, 8, 13)))
    expected = every.groupby("story_id")["source"].nunique()
    assert [r["coverage"] for r in rows] == [int(expected[r["id"]]) for r in rows]
    assert {r["coverage"] for r in rows} == {1, 2} and len(rows) == 500


def dominant(kinds: pd.Series) -> str:
    """The risk kind most of `kinds` have, acts first on a tie, 'none' when none has one (by hand)."""
    counted = kinds[kinds != "none"].value_counts()
    if counted.empty:
        return "none"
    best = counted.max()
    return next(k for k in ("act", "both", "threat") if counted.get(k, 0) == best)


@pytest.mark.parametrize(("search", "relayout", "start", "end"), [
    (VIEW, None, utc(2026, 8, 10), utc(2026, 8, 11, 23, 59, 59)),       # 2,400 stories: kinds counted in the store
    (VIEW, {"xaxis.range[0]": "2026-08-10 00:00:00", "xaxis.range[1]": "2026-08-10 12:00:00"},
     utc(2026, 8, 10), utc(2026, 8, 10, 12)),                             # 601: counted from the stories read
])
def test_each_badge_is_coloured_by_the_risk_kind_most_of_its_stories_have(dense, search, relayout, start, end):
    figure, _, _ = draw(dense, search, relayout, ids.CHART if relayout else ids.STATE)
    expected = stories_between(dense, start, end)
    singles, _ = marked(figure)
    names = {"act": "geopolitical act", "both": "act and threat", "threat": "geopolitical threat",
             "none": "no risk kind"}
    seen = {}
    for badge in of_kind(figure, "clusters"):
        for row in badge.customdata:
            seen[int(row[1])] = (badge.meta["group"], int(row[2]), row[3])
    assert seen
    for bucket, (group, seconds, hover) in seen.items():
        inside = expected[(expected["published"] >= pd.Timestamp(bucket, unit="s", tz="UTC"))
                          & (expected["published"] < pd.Timestamp(bucket + seconds, unit="s", tz="UTC"))
                          & ~expected["id"].isin(singles)]
        assert group == names[dominant(inside["story_kind"])], bucket
        kind = dominant(inside["story_kind"])
        assert f"mostly {names[kind]}: {int((inside['story_kind'] == kind).sum()):,} {names[kind]}" in hover


@pytest.mark.parametrize(("by", "narrowed"), [
    *[(by, {}) for by in ("risk", "topic", "source")],
    *[(by, {"query": "depot OR oil"}) for by in ("risk", "topic", "source")],   # acts, and oil's topic
    ("topic", {"topics": ("Energy",)}), ("source", {"topics": ("Energy",)}),    # a tag filter beside the join
    ("risk", {"sources": ("wire",)}),
])
def test_stories_counted_per_bucket_and_group_agree_with_the_stories_themselves(dense, by, narrowed):
    flt = HeadlineFilter(start=utc(2026, 8, 10), end=utc(2026, 8, 11, 23, 59, 59), stories_only=True, **narrowed)
    counted = dense.store.story_group_counts(flt, 10800, by)
    rows = dense.store.headlines(flt)
    column = {"risk": "story_kind", "topic": "topics", "source": "source"}[by]
    values = rows[column].fillna("").str.split(";") if by == "topic" else rows[column].map(lambda v: [v])
    by_hand = pd.DataFrame({"bucket": rows["published"].dt.floor("3h"), "group": values}).explode("group")
    by_hand = by_hand[(by_hand["group"] != "") & ((by_hand["group"] != "none") | (by != "risk"))]
    by_hand = by_hand.groupby(["bucket", "group"]).size()
    assert len(by_hand) > 0
    assert counted.set_index(["bucket", "group"])["count"].to_dict() == by_hand.to_dict()


def test_badges_coloured_by_topic_in_a_view_filtered_by_topic(dense):
    """Colour by topic with a topic filter (the store's count joins the tags beside the filter's own
    look-up): every badge of the Energy stories is an Energy badge."""
    figure, _, window = draw(dense, VIEW + "&marks=topic&topics=Energy")
    badges = of_kind(figure, "clusters")
    assert badges and {t.meta["group"] for t in badges} == {"Energy"}
    singles, clustered = marked(figure)
    expected = dense.store.headlines(HeadlineFilter(start=utc(2026, 8, 10), end=utc(2026, 8, 11, 23, 59, 59),
                                                    topics=("Energy",), stories_only=True))
    assert len(singles) + clustered == len(expected) == 2 * PER_DAY // 5


@pytest.mark.parametrize("flt", [
    HeadlineFilter(query="markets OR depot"),
    HeadlineFilter(query="calm", start=utc(2026, 8, 10, 3), end=utc(2026, 8, 11, 17)),
    HeadlineFilter(query="strike OR threatens", end=utc(2026, 8, 11, 2)),
    HeadlineFilter(start=utc(2026, 8, 10, 6)),
])
@pytest.mark.parametrize(("limit", "slices"), [(200, 36), (400, 36), (25, 1), (7, 5), (0, 36)])
def test_stories_ranked_in_pandas_are_those_the_store_ranks(dense, flt, limit, slices):
    """rank_read (a search's stories read once, ranked in pandas) takes the same stories in the
    same order as ranked_stories takes along the importance index, level by level, spreading the
    level that holds more than are wanted over the window's parts."""
    from ingest.stories.ranking import rank_read

    every = dense.store.ranked_stories(flt, 10 ** 6, few=True, text=False)
    assert len(every) > limit
    by_store = dense.store.ranked_stories(flt, limit, text=False, slices=slices)
    by_pandas = rank_read(every.sample(frac=1, random_state=3), limit, slices, flt.start, flt.end)
    assert by_pandas["id"].tolist() == by_store["id"].tolist()
    pd.testing.assert_frame_equal(by_pandas, by_store, check_dtype=bool(limit))   # empty: [us] or [s] times


def test_a_search_with_many_stories_draws_what_ranking_them_in_the_store_draws(dense, monkeypatch):
    """A search matching more than READ_ALL stories is read once and ranked in pandas: the chart
    (marks, badges, counts) is the one the store's ranking gave."""
    from dashboard.chart import data

    search = DENSE_VIEW + "&q=markets%20OR%20depot"
    flt = HeadlineFilter(query="markets OR depot")
    assert len(dense.store.ranked_stories(flt, 10 ** 6, few=True, text=False)) > READ_ALL
    fast, note, _ = draw(dense, search)
    monkeypatch.setattr(data, "SEARCH_READ", READ_ALL)   # the search ranked in the store, as before
    slow, slow_note, _ = draw(dense, search)
    assert note == slow_note and "in clusters" in note
    assert fast.to_json() == slow.to_json()
