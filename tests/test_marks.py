"""Placing headline marks on the anchor's line, and grouping them into traces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.chart.marks import NO_SOURCE, NO_TOPIC, OTHER, group_marks, percent_from_first, place_marks


def utc(text: str, unit: str = "ns") -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC").as_unit(unit)


def make_bars(unit: str = "s") -> pd.DataFrame:
    """Daily bars of brent (80, 100, 120) and usd (noise), ts at the given unit."""
    ts = pd.Series(pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-03"], utc=True)).dt.as_unit(unit)
    stamps = pd.concat([ts, ts], ignore_index=True)
    return pd.DataFrame({
        "instrument_id": ["brent"] * 3 + ["usd"] * 3,
        "ts": stamps, "known": stamps,    # each close known at its bar's stamp
        "close": [80.0, 100.0, 120.0, 90.5, 91.5, 92.5],
    })


def make_headlines(published: list[str], unit: str = "ns", tz: str = "UTC") -> pd.DataFrame:
    stamps = pd.Series(pd.to_datetime(published, utc=True)).dt.as_unit(unit).dt.tz_convert(tz)
    n = len(published)
    return pd.DataFrame({"id": list(range(1, n + 1)), "published": stamps, "source": ["BBC"] * n,
                         "title": [f"t{i}" for i in range(1, n + 1)], "topics": [""] * n, "link": [np.nan] * n})


PUBLISHED = [
    "2022-03-02 00:00:00",   # exactly at a bar time -> that bar (100)
    "2022-03-02 15:30:00",   # between bars -> the bar before (100)
    "2022-02-28 12:00:00",   # before the first bar -> the first bar's value (80)
    "2022-03-05 09:00:00",   # after the last bar -> the last bar (120)
    "2022-03-01 23:59:59",   # one second before a bar -> the bar before (80)
]


@pytest.mark.parametrize(("bar_unit", "headline_unit", "headline_tz"),
                         [("s", "ns", "UTC"), ("ns", "s", "Europe/Moscow"), ("us", "ms", "America/New_York")])
def test_place_marks_exact_values_across_units_and_zones(bar_unit, headline_unit, headline_tz):
    marks = place_marks(make_headlines(PUBLISHED, headline_unit, headline_tz), make_bars(bar_unit), "brent",
                        "separate")
    # sorted by published (UTC, ns)
    assert marks["id"].tolist() == [3, 5, 1, 2, 4]
    assert marks["y"].tolist() == [80.0, 80.0, 100.0, 100.0, 120.0]
    assert marks["published"].tolist() == [utc("2022-02-28 12:00"), utc("2022-03-01 23:59:59"),
                                           utc("2022-03-02 00:00"), utc("2022-03-02 15:30"), utc("2022-03-05 09:00")]
    assert str(marks["published"].dtype) == "datetime64[ns, UTC]"
    assert marks["anchor"].tolist() == ["brent"] * 5
    assert marks.index.tolist() == [0, 1, 2, 3, 4]


def test_a_headline_dated_to_the_day_only_reads_the_price_known_at_its_days_end():
    """The rule of dashboard.analysis.alignment.headline_moments: the mark's price is the one the detail
    panel and the analyses start from, not the price at the day's first moment."""
    headlines = make_headlines(["2022-03-02 00:00", "2022-03-02 00:00", "2022-03-03 00:00"])
    headlines["day_precision"] = [False, True, True]
    marks = place_marks(headlines, make_bars(), "brent", "separate")
    # timed at 03-02 00:00: the 03-02 close (known then); dated 03-02: known by 03-03 00:00, the 03-03
    # close; dated 03-03: the last close
    assert marks["y"].tolist() == [100.0, 120.0, 120.0]
    later = make_bars().assign(known=lambda b: b["ts"] + pd.Timedelta(hours=25))   # each close known a day late
    assert place_marks(headlines, later, "brent", "separate")["y"].tolist() == [80.0, 80.0, 100.0]


def test_place_marks_pct_is_change_from_first_bar():
    marks = place_marks(make_headlines(PUBLISHED), make_bars(), "brent", "pct")
    # first bar 80: 100 -> +25 %, 120 -> +50 %; before the first bar -> 0 %
    assert marks["y"].tolist() == [0.0, 0.0, 25.0, 25.0, 50.0]


def test_place_marks_other_anchor():
    marks = place_marks(make_headlines(PUBLISHED), make_bars(), "usd", "separate")
    assert marks["y"].tolist() == [90.5, 90.5, 91.5, 91.5, 92.5]


def test_missing_close_is_skipped():
    bars = make_bars()
    bars.loc[1, "close"] = np.nan          # brent 2022-03-02 has no close
    marks = place_marks(make_headlines(["2022-03-02 10:00"]), bars, "brent", "separate")
    assert marks["y"].tolist() == [80.0]
    bars.loc[0, "close"] = np.nan          # now the first valid bar is 03-03 (120)
    marks = place_marks(make_headlines(["2022-03-02 10:00"]), bars, "brent", "pct")
    assert marks["y"].tolist() == [0.0]


@pytest.mark.parametrize("anchor", [None, "gold"])
def test_no_anchor_or_no_bars_gives_zero(anchor):
    marks = place_marks(make_headlines(PUBLISHED[:2]), make_bars(), anchor, "separate")
    assert marks["y"].tolist() == [0.0, 0.0]
    assert marks["anchor"].tolist() == [None, None]
    empty = make_bars().iloc[0:0]
    assert place_marks(make_headlines(PUBLISHED[:2]), empty, "brent", "pct")["y"].tolist() == [0.0, 0.0]


def test_headline_without_time_is_dropped():
    headlines = make_headlines(PUBLISHED[:2])
    headlines.loc[0, "published"] = pd.NaT
    marks = place_marks(headlines, make_bars(), "brent", "separate")
    assert marks["id"].tolist() == [2]


def test_place_marks_rejects_bad_input():
    naive = make_headlines(PUBLISHED[:1])
    naive["published"] = naive["published"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="headlines.published must be tz-aware"):
        place_marks(naive, make_bars(), "brent", "separate")
    with pytest.raises(ValueError, match="axis_mode must be one of"):
        place_marks(make_headlines(PUBLISHED[:1]), make_bars(), "brent", "log")


def test_percent_from_first():
    assert percent_from_first(pd.Series([np.nan, 80.0, 100.0, np.nan])).tolist()[1:3] == [0.0, 25.0]
    assert percent_from_first(pd.Series([0.0, 1.0])).isna().all()
    assert percent_from_first(pd.Series([np.nan, np.nan])).isna().all()


def marks_frame(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    """rows of (id, source, topics), published one hour apart."""
    return pd.DataFrame({
        "id": [r[0] for r in rows],
        "published": pd.date_range("2022-03-01", periods=len(rows), freq="h", tz="UTC"),
        "source": [r[1] for r in rows], "title": [f"t{r[0]}" for r in rows],
        "topics": [r[2] for r in rows], "y": [1.0] * len(rows)})


ROWS = [(1, "BBC", "oil;war"), (2, "Reuters", "oil"), (3, "BBC", ""), (4, "TASS", " war ; sanctions ;war"),
        (5, "BBC", np.nan), (6, "Reuters", "rouble")]


def groups_as_ids(groups):
    return [(name, part["id"].tolist()) for name, part in groups]


def test_group_by_source():
    marks = marks_frame(ROWS)
    marks.loc[5, "source"] = np.nan
    assert groups_as_ids(group_marks(marks, "source")) == [
        ("BBC", [1, 3, 5]), (NO_SOURCE, [6]), ("Reuters", [2]), ("TASS", [4])]


def test_group_by_topic_repeats_multi_topic_headlines():
    assert groups_as_ids(group_marks(marks_frame(ROWS), "topic")) == [
        (NO_TOPIC, [3, 5]), ("oil", [1, 2]), ("war", [1, 4]), ("rouble", [6]), ("sanctions", [4])]


def test_more_than_12_groups_merge_into_other():
    rows, next_id = [], 1
    for k in range(15):                        # source s00 has 15 headlines, s01 14, ... s14 1
        for _ in range(15 - k):
            rows.append((next_id, f"s{k:02d}", f"t{k:02d};all"))
            next_id += 1
    marks = marks_frame(rows)
    groups = group_marks(marks, "source")
    assert [name for name, _ in groups] == [f"s{k:02d}" for k in range(11)] + [OTHER]
    other_ids = marks[marks["source"].isin(["s11", "s12", "s13", "s14"])]["id"].tolist()
    assert groups[-1][1]["id"].tolist() == other_ids            # 4 + 3 + 2 + 1, in time order
    # by topic: "all" (120) first, then t00..t09; the rest (t10..t14) merged, each headline once
    topics = group_marks(marks, "topic")
    assert [name for name, _ in topics] == ["all"] + [f"t{k:02d}" for k in range(10)] + [OTHER]
    assert topics[-1][1]["id"].tolist() == marks[marks["source"] >= "s10"]["id"].tolist()
    assert len(group_marks(marks, "topic", max_groups=3)) == 3


def test_group_marks_edge_cases():
    assert group_marks(marks_frame([]), "source") == []
    with pytest.raises(ValueError, match="marks_by must be one of"):
        group_marks(marks_frame(ROWS), "sentiment")


def test_no_headlines_give_no_marks_with_the_columns_of_placed_ones():
    placed = place_marks(make_headlines(PUBLISHED[:2]), make_bars(), "brent")
    none = place_marks(make_headlines(PUBLISHED[:2]).iloc[0:0], make_bars(), "brent")
    assert len(none) == 0 and list(none.columns) == list(placed.columns)
    assert none["y"].dtype == placed["y"].dtype == "float64"
    assert str(none["published"].dtype) == str(placed["published"].dtype) == "datetime64[ns, UTC]"
