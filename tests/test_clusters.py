"""Single marks and clusters (dashboard.chart.clusters): exact badges — bucket, position, count,
kind, importance, top stories — worked out by hand from the rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.chart.clusters import BUCKET_LADDER, MAX_BADGES, badge_groups, mark_bucket, plan_marks, story_groups


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def ranked(rows: list[tuple[int, str, str, int]]) -> pd.DataFrame:
    """Stories (id, published, kind, importance) sorted as Store.ranked_stories sorts them."""
    frame = pd.DataFrame(rows, columns=["id", "published", "story_kind", "importance"])
    frame["published"] = pd.to_datetime(frame["published"], utc=True)
    return frame.sort_values(["importance", "published"], ascending=[False, True], kind="stable").reset_index(drop=True)


DAY = ranked([(1, "2026-08-12 00:05", "act", 8), (2, "2026-08-12 00:10", "threat", 5),
              (3, "2026-08-12 00:12", "none", 3), (4, "2026-08-12 00:20", "none", 1),
              (5, "2026-08-12 05:10", "threat", 2), (6, "2026-08-12 10:01", "none", 0),
              (7, "2026-08-12 10:02", "none", 0)])


def badges(plan) -> list[tuple]:
    return [(str(r.bucket), str(r.x), r.count, r.kind, r.importance, r.heads) for r in plan.clusters.itertuples()]


@pytest.mark.parametrize(("span", "counts_bucket", "expected"), [
    (3600, None, 300),              # an hour: five-minute buckets (12)
    (86400, None, 3600),            # a day: hours (24; half hours would be 48)
    (86400, 3600, 3600),            # counted by the hour: whole hours
    (10 * 86400, 3600, 12 * 3600),  # 20 buckets of twelve hours (of six hours: 40)
    (92 * 86400, 86400, 7 * 86400),
    (3 * 366 * 86400, 86400, 91 * 86400),
    (10 * 366 * 86400, 7 * 86400, 364 * 86400),
    (100 * 366 * 86400, 7 * 86400, 364 * 86400),   # beyond the ladder: its largest
])
def test_the_bucket_is_the_smallest_of_the_ladder_that_fits(span, counts_bucket, expected):
    size = mark_bucket(span, counts_bucket)
    assert size == expected and size in BUCKET_LADDER
    assert span / size <= MAX_BADGES or size == BUCKET_LADDER[-1]
    assert counts_bucket is None or size % counts_bucket == 0


def test_the_top_stories_singly_the_rest_per_bucket_and_a_lone_one_singly():
    plan = plan_marks(DAY, None, t("2026-08-12 00:00"), t("2026-08-13 00:00"), top_n=2)
    assert plan.bucket_seconds == 3600
    # the most important of each hour first: 1 (00:00, 8), 5 (05:00, 2), then 6 (10:00, 0)...
    assert plan.singles["id"].tolist() == [1, 5]
    assert badges(plan) == [
        ("2026-08-12 00:00:00+00:00", "2026-08-12 00:30:00+00:00", 3, "threat", 5, [2, 3, 4]),
        ("2026-08-12 10:00:00+00:00", "2026-08-12 10:30:00+00:00", 2, "none", 0, [6, 7]),
    ]
    # with three singles, the third is 10:00's best (6), not the second of the busy hour (2); 7, then
    # alone in its hour, is marked singly too
    assert plan_marks(DAY, None, t("2026-08-12 00:00"), t("2026-08-13 00:00"), top_n=3).singles["id"].tolist() == \
        [1, 5, 6, 7]


def test_singles_spread_the_most_important_of_each_bucket_first():
    from dashboard.chart.clusters import spread_order

    # ranked stories' buckets: the busy bucket 0 holds the three most important
    assert spread_order(np.array([0, 0, 0, 7, 3, 7])).tolist() == [0, 3, 4, 1, 5, 2]
    assert spread_order(np.array([], dtype=np.int64)).tolist() == []


def test_zooming_in_splits_a_cluster_down_to_single_stories():
    wide = plan_marks(DAY, None, t("2026-08-12 00:00"), t("2026-08-13 00:00"), top_n=0)
    assert [(b[2], b[5]) for b in badges(wide)] == [(4, [1, 2, 3]), (2, [6, 7])]
    assert wide.singles["id"].tolist() == [5]
    # twenty minutes: buckets of a minute, each story alone in its own
    close = plan_marks(DAY, None, t("2026-08-12 00:00"), t("2026-08-12 00:20"), top_n=0)
    assert close.bucket_seconds == 60 and badges(close) == []
    assert close.singles["id"].tolist() == [1, 2, 3, 5, 4, 6, 7]


def test_a_badge_sits_in_the_middle_of_its_part_inside_the_view():
    plan = plan_marks(DAY, None, t("2026-08-12 00:06"), t("2026-08-13 00:00"), top_n=0)
    assert badges(plan)[0][:3] == ("2026-08-12 00:00:00+00:00", "2026-08-12 00:33:00+00:00", 4)


def test_marks_all_and_none():
    every = plan_marks(DAY, None, t("2026-08-12 00:00"), t("2026-08-13 00:00"), mode="all")
    assert every.singles["id"].tolist() == [1, 2, 3, 5, 4, 6, 7] and badges(every) == []
    off = plan_marks(DAY, None, t("2026-08-12 00:00"), t("2026-08-13 00:00"), mode="none")
    assert off.singles.empty and off.clusters.empty


TOP = ranked([(10, "2026-08-10 01:30", "act", 6), (11, "2026-08-10 07:15", "threat", 2),
              (12, "2026-08-12 00:00", "act", 9)])   # 12 is dated to the day only: not in the hourly counts
COUNTS = pd.DataFrame({"bucket": [t("2026-08-10 01:00"), t("2026-08-10 02:00"), t("2026-08-10 07:00")],
                       "count": [5, 3, 4]})


def test_a_long_view_counts_its_badges_from_the_counts_panel():
    plan = plan_marks(TOP, COUNTS, t("2026-08-10 00:30"), t("2026-08-16 00:30"), top_n=2, counts_bucket=3600)
    assert plan.bucket_seconds == 6 * 3600
    assert plan.singles["id"].tolist() == [12, 10]
    assert badges(plan) == [
        # 5 + 3 counted, one of them (10) marked singly; none of the other seven was read: grey, no titles
        ("2026-08-10 00:00:00+00:00", "2026-08-10 03:15:00+00:00", 7, "none", 0, []),
        ("2026-08-10 06:00:00+00:00", "2026-08-10 09:00:00+00:00", 4, "threat", 2, [11]),
    ]


def test_bad_arguments_say_what_was_wrong():
    with pytest.raises(ValueError, match="marks must be one of"):
        plan_marks(DAY, None, t("2026-08-12"), t("2026-08-13"), mode="some")
    with pytest.raises(ValueError, match="come together"):
        plan_marks(TOP, COUNTS, t("2026-08-10"), t("2026-08-20"))
    with pytest.raises(ValueError, match="is not before"):
        plan_marks(DAY, None, t("2026-08-13"), t("2026-08-12"))
    with pytest.raises(ValueError, match="must span some time"):
        mark_bucket(0)


def group_counts(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame({"bucket": pd.to_datetime([r[0] for r in rows], utc=True),
                         "group": pd.Series([r[1] for r in rows], dtype=object), "count": [r[2] for r in rows]})


def test_a_badge_takes_the_group_most_of_its_stories_belong_to():
    clusters = pd.DataFrame({"bucket": [t("2026-08-12 00:00"), t("2026-08-12 03:00"), t("2026-08-12 06:00"),
                                        t("2026-08-12 09:00")],
                             "seconds": [3 * 3600] * 4, "count": [9, 5, 4, 2]})
    counted = group_counts([
        ("2026-08-12 00:00", "act", 2), ("2026-08-12 01:00", "act", 1), ("2026-08-12 02:00", "threat", 4),
        ("2026-08-12 03:00", "threat", 2), ("2026-08-12 04:00", "act", 2),     # a tie: acts first (order)
        ("2026-08-12 06:00", "both", 1),                                       # one of four, still its group
    ])
    singles = pd.DataFrame({"bucket": [t("2026-08-12 01:00"), t("2026-08-12 01:00")],
                            "group": pd.Series(["act", "act"], dtype=object)})
    out = badge_groups(clusters, counted, singles, blank="none", order=("act", "both", "threat", "none"))
    # 00:00-03:00: 3 acts, two of them marked singly (1 left), against 4 threats
    assert out["group"].tolist() == ["threat", "act", "both", "none"]
    assert out["mix"].tolist() == [[("threat", 4), ("act", 1)], [("act", 2), ("threat", 2)], [("both", 1)], []]
    assert out["count"].tolist() == [9, 5, 4, 2]          # the plan's own columns kept as they were
    # without an order, a tie goes by name
    assert badge_groups(clusters, counted, singles.iloc[0:0], blank="")["group"].tolist()[1] == "act"
    empty = badge_groups(clusters.iloc[0:0], counted, singles, blank="none")
    assert empty.empty and list(empty.columns)[-2:] == ["group", "mix"]
    with pytest.raises(ValueError, match="group_counts has no column count"):
        badge_groups(clusters, counted.drop(columns="count"), singles, blank="none")


def test_story_groups_lists_each_story_in_each_of_its_groups():
    rows = pd.DataFrame({"published": pd.to_datetime(["2026-08-12 00:10", "2026-08-12 01:20", "2026-08-12 05:00"],
                                                     utc=True),
                         "story_kind": ["act", "none", None], "topics": ["oil;sanctions", "", None],
                         "source": ["wire", "bbc", "none"]})
    risk = story_groups(rows, "risk", 3600)
    assert [(str(b), g) for b, g in zip(risk["bucket"], risk["group"], strict=True)] == [
        ("2026-08-12 00:00:00+00:00", "act")]
    topic = story_groups(rows, "topic", 3600)
    assert topic["group"].tolist() == ["oil", "sanctions"]
    assert story_groups(rows, "source", 86400)["group"].tolist() == ["wire", "bbc", "none"]   # a source named none
    with pytest.raises(ValueError, match="stories are grouped by risk, topic or source, got 'colour'"):
        story_groups(rows, "colour", 3600)
