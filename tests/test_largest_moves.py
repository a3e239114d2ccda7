"""Largest moves, explained: ranking of moves, windows ending when each close became known (the Bank
of Russia rule, the end of the UTC day), no move into or out of a bad bar, headlines dated to the
day only at the end of their day, headline scores by search terms and topics — on hand-made frames,
on Brent (EIA) against BBC business headlines, and on Yahoo's RUB=X with its bad ticks."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.bar_moves import MOVE_COLUMNS, bar_moves
from dashboard.analysis.largest_moves import RESULT_COLUMNS, largest_moves
from dashboard.analysis.move_windows import window_headline_ids
from dashboard.analysis.story_relevance import risk_levels, search_terms
from ingest.bar_quality import bad_mask
from ingest.close_rules import cbr_rule, parse_rule
from ingest.config import Config
from ingest.csvio import read_headlines_csv
from ingest.csvio.csv_prices import read_prices_csv
from ingest.headline_tags.gpr import load_lexicon
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store.headline_writes import TITLE_NORM_CHARS, normalise_title
from ingest.store.story_links import STORY_RULE
from ingest.stories.grouping import StoryRow, link_stories

UTC_TS = "datetime64[ns, UTC]"


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def daily_bars(rows: list[tuple[str, float]]) -> pd.DataFrame:
    """Daily bars known at the end of their UTC day ("24:00 UTC", as EIA's spot prices are taken)."""
    ts = pd.Series(pd.to_datetime([d for d, _ in rows]).tz_localize("UTC"))
    return pd.DataFrame({"instrument_id": "brent", "interval": "1d", "ts": ts,
                         "known": parse_rule("24:00 UTC").known(ts), "close": [c for _, c in rows]})


def headlines_frame(rows: list[tuple[int, str, str, str, str]]) -> pd.DataFrame:
    """(id, published, title, summary, topics) → a frame like Store.headlines() returns."""
    times = pd.to_datetime([r[1] for r in rows], format="ISO8601").tz_localize("UTC").as_unit("s")
    return pd.DataFrame({"id": [r[0] for r in rows], "published": times,
                         "source": "wire", "title": [r[2] for r in rows], "summary": [r[3] for r in rows],
                         "topics": [r[4] for r in rows]})


BARS = daily_bars([("2022-03-01", 100.0), ("2022-03-02", 110.0), ("2022-03-03", 99.0),
                   ("2022-03-04", 99.0), ("2022-03-07", 104.94)])
HEADLINES = headlines_frame([
    (1, "2022-03-03 08:00", "Oil price falls as Russia talks", "", "Energy;Talks"),
    (2, "2022-03-03 12:00", "Sanctions widen", "New sanctions on Russian banks", "Sanctions"),
    (3, "2022-03-03 23:00", "Rain in Wales", "", ""),
    (4, "2022-03-04 00:00", "Oil and Russia at midnight", "", "Energy"),     # 03-03's close known
    (5, "2022-03-02 00:00", "Oily rags and sanctioning", "", ""),           # window start: in
    (6, "2022-03-02 12:00", "The oil prices rose", "", ""),
    (7, "2022-03-05 10:00", "Oil on a Saturday", "", "Energy"),
])
TERMS = ["oil", "OIL", "Russia*", "sanction*", '"oil price"', "Lavrov OR Kerry"]


def test_search_terms_are_parsed_like_the_search_box_and_deduplicated():
    assert search_terms(TERMS) == ["oil", "Russia*", "sanction*", '"oil price"', "Lavrov", "Kerry"]
    assert search_terms(['"oil pri"*', "  ", "OR"]) == ['"oil pri"*']


def test_largest_daily_moves_with_scored_headlines_of_the_day_before_each_close():
    out = largest_moves(BARS, HEADLINES, "1d", n=3, terms=TERMS, topics=["Energy"])
    assert list(out.columns) == list(RESULT_COLUMNS)
    assert out["rank"].tolist() == [1, 1, 1, 2, 2, 3]
    assert out["ts"].tolist() == [t("2022-03-03")] * 3 + [t("2022-03-02")] * 2 + [t("2022-03-07")]
    assert out["prev_close"].tolist() == [110.0] * 3 + [100.0] * 2 + [99.0]
    assert out["close"].tolist() == [99.0] * 3 + [110.0] * 2 + [104.94]
    assert out["log_return"].tolist() == ([np.log(99.0 / 110.0)] * 3 + [np.log(110.0 / 100.0)] * 2
                                          + [np.log(104.94 / 99.0)])
    assert out["pct"].tolist() == ([(99.0 - 110.0) / 110.0 * 100] * 3 + [(110.0 - 100.0) / 100.0 * 100] * 2
                                   + [(104.94 - 99.0) / 99.0 * 100])
    # a daily bar stamped D is known at D+1 00:00: its window is day D, that moment itself excluded
    assert out["window_start"].tolist() == [t("2022-03-03")] * 3 + [t("2022-03-02")] * 2 + [t("2022-03-07")]
    assert out["window_end"].tolist() == [t("2022-03-04")] * 3 + [t("2022-03-03")] * 2 + [t("2022-03-08")]
    # scores: distinct terms (oil/OIL once; 'oily' and 'oil prices' are no match) + requested topics
    assert out["headline_id"].tolist()[:5] == [1, 2, 3, 6, 5]
    assert out["headline_rank"].tolist()[:5] == [1, 2, 3, 1, 2]
    assert out["n_matches"].tolist()[:5] == [4, 2, 0, 1, 1]
    assert out["matches"].tolist()[:5] == ['oil;Russia*;"oil price";Energy', "Russia*;sanction*", "", "oil",
                                           "sanction*"]
    assert out["published"].tolist()[:5] == [t("2022-03-03 08:00"), t("2022-03-03 12:00"),
                                             t("2022-03-03 23:00"), t("2022-03-02 12:00"), t("2022-03-02")]
    assert out["title"].tolist()[:2] == ["Oil price falls as Russia talks", "Sanctions widen"]
    assert out["topics"].tolist()[:2] == ["Energy;Talks", "Sanctions"]
    assert out["source"].tolist()[:5] == ["wire"] * 5
    # the 03-07 move has no headline in its window (the Saturday one is before it): one empty row
    last = out.iloc[5]
    assert pd.isna(last["headline_id"]) and pd.isna(last["published"]) and pd.isna(last["title"])
    assert pd.isna(last["n_matches"]) and pd.isna(last["matches"]) and pd.isna(last["source"])
    assert pd.isna(last["coverage"]) and pd.isna(last["headline_rank"]) and pd.isna(last["reason"])
    assert np.isnan(last["closeness"]) and np.isnan(last["hours_before"])
    for column in ("headline_id", "headline_rank", "n_matches", "coverage"):
        assert str(out[column].dtype) == "Int64"
    for column in ("ts", "window_start", "window_end", "published"):
        assert str(out[column].dtype) == UTC_TS


def test_without_risk_terms_topics_or_copies_the_story_nearest_the_close_comes_first():
    out = largest_moves(BARS, HEADLINES, "1d", n=1)
    assert out["headline_id"].tolist() == [3, 2, 1]
    assert out["n_matches"].tolist() == [0, 0, 0] and out["coverage"].tolist() == [1, 1, 1]
    assert out["matches"].tolist() == ["", "", ""] and out["risk"].tolist() == ["", "", ""]
    assert out["hours_before"].tolist() == [1.0, 12.0, 16.0]
    assert out["closeness"].tolist() == [math.exp(-1 / 6), math.exp(-12 / 6), math.exp(-16 / 6)]
    assert out["reason"].tolist() == ["1 source · 1.0 h before", "1 source · 12.0 h before",
                                      "1 source · 16.0 h before"]


def test_equal_score_and_time_put_the_larger_id_first_and_n_caps_at_the_moves_there_are():
    frame = headlines_frame([(10, "2022-03-03 08:00", "oil", "", ""), (11, "2022-03-03 08:00", "oil", "", "")])
    out = largest_moves(BARS, frame, "1d", n=50, terms=["oil"])
    assert out["headline_id"].tolist()[:2] == [11, 10]
    # four moves (the first bar has none); ties in size keep the earlier bar first
    assert out["rank"].tolist() == [1, 1, 2, 3, 4]
    assert out["ts"].tolist()[2:] == [t("2022-03-02"), t("2022-03-07"), t("2022-03-04")]


def test_hourly_window_defaults_to_six_hours_before_the_close():
    bars = pd.DataFrame({"ts": [t("2022-03-07 09:00"), t("2022-03-07 10:00")],
                         "known": [t("2022-03-07 10:00"), t("2022-03-07 11:00")], "close": [50.0, 55.0]})
    frame = headlines_frame([(1, "2022-03-07 04:59:59", "a", "", ""), (2, "2022-03-07 05:00", "b", "", ""),
                             (3, "2022-03-07 10:59:59", "c", "", ""), (4, "2022-03-07 11:00", "d", "", "")])
    out = largest_moves(bars, frame, "1h")
    assert out["headline_id"].tolist() == [3, 2]
    assert out["window_start"].tolist() == [t("2022-03-07 05:00")] * 2
    assert out["window_end"].tolist() == [t("2022-03-07 11:00")] * 2
    narrow = largest_moves(bars, frame, "1h", window=timedelta(hours=1))
    assert narrow["headline_id"].tolist() == [3]
    assert narrow["window_start"].tolist() == [t("2022-03-07 10:00")]


def test_bar_moves_sorts_skips_gaps_keeps_the_last_duplicate_and_refuses_non_positive_closes():
    stamps = pd.Series([t("2022-03-03"), t("2022-03-01"), t("2022-03-02"), t("2022-03-02"), t("2022-03-04"), pd.NaT,
                        t("2022-03-07"), t("2022-03-08")])
    bars = pd.DataFrame({"ts": stamps, "known": stamps + pd.Timedelta(hours=20),
                         "close": [-1.0, 100.0, 90.0, 120.0, np.nan, 5.0, 130.0, 900.0]})
    bars.loc[7, "known"] = pd.NaT                      # 03-08's close provisional: left out
    moves = bar_moves(bars, "1d")
    assert list(moves.columns) == list(MOVE_COLUMNS)
    assert moves["ts"].tolist() == [t("2022-03-01"), t("2022-03-02"), t("2022-03-03"), t("2022-03-07")]
    assert moves["known"].tolist() == [t("2022-03-01 20:00"), t("2022-03-02 20:00"), t("2022-03-03 20:00"),
                                       t("2022-03-07 20:00")]
    assert str(moves["known"].dtype) == UTC_TS
    assert moves["close"].tolist() == [100.0, 120.0, -1.0, 130.0]
    assert np.isnan(moves["prev_close"].iloc[0])
    assert moves["log_return"].iloc[1] == np.log(120.0 / 100.0)
    assert moves["log_return"].isna().tolist() == [True, False, True, True]
    # moves without a return (non-positive close) are never ranked
    out = largest_moves(bars, HEADLINES.iloc[:0], "1d", n=5)
    assert out["ts"].tolist() == [t("2022-03-02")] and pd.isna(out["headline_id"].iloc[0])


def test_no_bars_give_an_empty_frame_with_the_result_columns():
    out = largest_moves(BARS.iloc[:0], HEADLINES, "1d")
    assert list(out.columns) == list(RESULT_COLUMNS) and len(out) == 0
    assert str(out["ts"].dtype) == UTC_TS and str(out["n_matches"].dtype) == "Int64"


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "n must be a positive integer"),
    ({"n": True}, "n must be a positive integer"),
    ({"window": timedelta(0)}, "window must be a positive timedelta"),
    ({"interval": "1m"}, "unknown interval '1m'"),
    ({"terms": "oil"}, "not one string"),
    ({"terms": [3]}, "search terms must be strings"),
    ({"interval": "1h", "window": timedelta(hours=1)}, "bars must all have interval '1h', found 1d"),
])
def test_bad_arguments_raise_value_errors_that_name_them(kwargs, message):
    args = {"interval": "1d", **kwargs}
    with pytest.raises(ValueError, match=message):
        largest_moves(BARS, HEADLINES, **args)


def test_bad_frames_raise_value_errors_that_name_them():
    with pytest.raises(ValueError, match="headlines frame lacks column"):
        largest_moves(BARS, HEADLINES.drop(columns="topics"), "1d")
    with pytest.raises(ValueError, match="bars frame lacks column"):
        largest_moves(BARS.drop(columns="close"), HEADLINES, "1d")
    with pytest.raises(ValueError, match="one instrument, found brent, rub"):
        largest_moves(pd.concat([BARS, BARS.assign(instrument_id="rub")]), HEADLINES, "1d")
    with pytest.raises(ValueError, match="bars.ts must be tz-aware"):
        largest_moves(BARS.assign(ts=BARS["ts"].dt.tz_localize(None)), HEADLINES, "1d")
    with pytest.raises(ValueError, match="headlines.published must be tz-aware"):
        largest_moves(BARS, HEADLINES.assign(published=HEADLINES["published"].dt.tz_localize(None)), "1d")
    with pytest.raises(ValueError, match="unknown interval"):
        bar_moves(BARS.drop(columns="interval"), "1w")


def test_largest_brent_move_of_march_2022_explained_by_bbc_business_headlines(shared_data):
    prices = pd.read_csv(shared_data / "brent-daily.csv")
    prices["ts"] = pd.to_datetime(prices["Date"]).dt.tz_localize("UTC")
    prices = prices[(prices["ts"] >= t("2022-02-28")) & (prices["ts"] <= t("2022-03-31"))]
    bars = pd.DataFrame({"ts": prices["ts"], "known": parse_rule("24:00 UTC").known(prices["ts"]),
                         "close": prices["Price"]})
    # expected, from the CSV directly: the largest |log return| among the March 2022 days
    logret = np.log(prices["Price"] / prices["Price"].shift())
    march = prices["ts"] >= t("2022-03-01")
    biggest = logret[march].abs().idxmax()
    day, close, before = prices.loc[biggest, "ts"], prices.loc[biggest, "Price"], prices["Price"].shift()[biggest]
    assert (day, before, close) == (t("2022-03-09"), 133.18, 116.58)

    imported = read_headlines_csv(shared_data / "bbc-business-rss-2022-2024.csv", source="BBC Business",
                                  fetched=datetime(2025, 1, 1, tzinfo=UTC))
    headlines = pd.DataFrame({"id": np.arange(1, len(imported.headlines) + 1),
                              "published": pd.to_datetime([h.published for h in imported.headlines], utc=True),
                              "source": [h.source for h in imported.headlines],
                              "title": [h.title for h in imported.headlines],
                              "summary": [h.summary for h in imported.headlines], "topics": ""})
    in_day = headlines[(headlines["published"] >= day) & (headlines["published"] < day + pd.Timedelta(days=1))]

    out = largest_moves(bars, headlines, "1d", n=10, terms=["oil", "Russia*", "sanction*"])
    first = out[out["rank"] == 1]
    assert len(first) == len(in_day) == 3
    assert sorted(first["headline_id"].tolist()) == sorted(in_day["id"].tolist())
    top = first.iloc[0]
    assert top["ts"] == day and top["prev_close"] == before and top["close"] == close
    assert top["log_return"] == np.log(close / before)
    assert top["pct"] == (close - before) / before * 100
    assert (top["window_start"], top["window_end"]) == (t("2022-03-09"), t("2022-03-10"))
    assert top["title"] == "War in Ukraine: Warning oil sanctions will further hit UK living costs"
    assert top["published"] == t("2022-03-09 01:29:26")
    assert (top["n_matches"], top["matches"]) == (3, "oil;Russia*;sanction*")
    assert first["n_matches"].tolist() == [3, 2, 0]
    assert first["title"].tolist()[1] == "War in Ukraine: McDonald’s, Coca-Cola and Starbucks halt Russian sales"
    # ten moves, ranked by size, each the size the CSV gives
    moves = out.drop_duplicates("rank")
    assert moves["rank"].tolist() == list(range(1, 11))
    expected = logret[march].abs().sort_values(ascending=False, kind="stable").head(10)
    assert moves["ts"].tolist() == prices.loc[expected.index, "ts"].tolist()
    assert moves["log_return"].abs().tolist() == expected.tolist()


# -- the close rules, bad bars, dates alone -----------------------------------------------------

def test_a_bank_of_russia_move_is_explained_by_the_day_before_its_publication():
    # rates dated Sat 2025-01-11 (known Fri 01-10 14:00 UTC) and Tue 01-14 (known Mon 01-13 14:00):
    # the move into Tuesday's rate became public on Monday at 14:00, its window is the day before
    days = pd.Series(pd.to_datetime(["2025-01-10", "2025-01-11", "2025-01-14"], utc=True))
    bars = pd.DataFrame({"ts": days, "known": cbr_rule().known(days), "close": [101.6797, 101.9146, 103.5]})
    frame = headlines_frame([(1, "2025-01-12 13:59", "Sunday, just before the window", "", ""),
                             (2, "2025-01-12 14:00", "Sunday 14:00, its start", "", ""),
                             (3, "2025-01-13 13:59", "Monday, a minute before the rate", "", ""),
                             (4, "2025-01-13 14:00", "Monday, at the rate", "", ""),
                             (5, "2025-01-10 13:00", "Friday, before Saturday's rate", "", "")])
    out = largest_moves(bars, frame, "1d", n=2)
    assert out["rank"].tolist() == [1, 1, 2]
    assert out["ts"].tolist() == [t("2025-01-14"), t("2025-01-14"), t("2025-01-11")]
    assert out["window_end"].tolist() == [t("2025-01-13 14:00")] * 2 + [t("2025-01-10 14:00")]
    assert out["window_start"].tolist() == [t("2025-01-12 14:00")] * 2 + [t("2025-01-09 14:00")]
    assert out["headline_id"].tolist() == [3, 2, 5]
    assert out["log_return"].tolist()[0] == np.log(103.5 / 101.9146)


def test_no_move_into_or_out_of_a_bad_bar_is_ranked():
    bars = BARS.assign(bad=[False, False, True, False, False])          # 03-03's 99.0
    moves = bar_moves(bars, "1d")
    assert moves["log_return"].isna().tolist() == [True, False, True, True, False]
    out = largest_moves(bars, HEADLINES, "1d", n=5)
    assert out.drop_duplicates("rank")["ts"].tolist() == [t("2022-03-02"), t("2022-03-07")]
    # 03-02's window holds headlines 6 and 5; 03-07's (from 03-04's 99, both clean) none
    assert out["headline_id"].iloc[:2].tolist() == [6, 5] and pd.isna(out["headline_id"].iat[2]) and len(out) == 3
    assert out["log_return"].tolist()[2] == np.log(104.94 / 99.0)


def test_a_date_alone_is_in_the_window_of_the_close_known_after_its_day():
    frame = headlines_frame([(1, "2022-03-03 00:00", "Dated 03-03 only", "", ""),
                             (2, "2022-03-03 00:00", "At 03-03 00:00", "", "")])
    frame["day_precision"] = [True, False]
    out = largest_moves(BARS, frame, "1d", n=4)
    # 1 is placed at 03-04 00:00: the window of 03-04's move [03-04, 03-05), not of 03-03's
    with_headline = out[out["headline_id"].notna()]
    assert dict(zip(with_headline["headline_id"], with_headline["ts"], strict=True)) == {
        1: t("2022-03-04"), 2: t("2022-03-03")}
    assert with_headline["published"].tolist() == [t("2022-03-03"), t("2022-03-03")]      # shown as dated


RUB_FILE = "RUB=X_1d_yfinance-history_2003-2024.csv"


def test_the_largest_moves_of_the_rouble_leave_out_its_bad_ticks(shared_data):
    """Yahoo's RUB=X (USD/RUB, yfinance history, 2003-12 .. 2024) with its closes known at the end of
    the London day and its bars flagged by ingest.bar_quality. Without the flags its four largest
    moves are the bad ticks 0.7162 (2016-01-06) and 5.0 (2023-03-16), into and out of each; with
    them the largest are real: 2022-03-01 (83.26 → 104.97), 2022-07-06 (54.50 → 63.47), 2014-12-16
    (58.19 → 65.51, the rouble crisis) and 2022-03-30 (97.97 → 87.46)."""
    imported = read_prices_csv(shared_data / "yahoo" / RUB_FILE, interval="1d",
                               close_rule=parse_rule("24:00 Europe/London"))
    prices = imported.bars
    bad = bad_mask(prices["flag"], prices["review"])
    assert prices.loc[bad, "ts"].dt.strftime("%Y-%m-%d").tolist() == [
        "2016-01-06", "2022-03-07", "2022-03-21", "2022-06-13", "2022-07-18", "2023-02-03", "2023-03-16"]
    ticks = dict(zip(prices.loc[bad, "ts"].dt.strftime("%Y-%m-%d"), prices.loc[bad, "close"], strict=True))
    assert (ticks["2016-01-06"], ticks["2023-03-16"]) == (0.7161999940872192, 5.0)
    assert ticks["2022-06-13"] == ticks["2022-07-18"] == 110.67410278320312
    # the known times: 24:00 London, 00:00 UTC in winter and 23:00 UTC in summer
    known = dict(zip(prices["ts"], prices["known"], strict=True))
    assert known[t("2016-01-06")] == t("2016-01-07") and known[t("2022-06-13")] == t("2022-06-13 23:00")
    headlines = headlines_frame([(1, "2016-01-06 18:00", "Rouble slides", "", "")])

    before = largest_moves(prices[["ts", "known", "close"]], headlines, "1d", n=4)
    assert before["ts"].dt.strftime("%Y-%m-%d").tolist() == ["2016-01-07", "2016-01-06", "2023-03-17", "2023-03-16"]
    assert before["close"].tolist()[:2] == [74.59500122070312, 0.7161999940872192]
    assert before["log_return"].round(6).tolist() == [4.645869, -4.625932, 2.727395, -2.717538]

    bars = prices[["ts", "known", "close"]].assign(bad=bad)
    after = largest_moves(bars, headlines, "1d", n=4)
    assert after["ts"].dt.strftime("%Y-%m-%d").tolist() == ["2022-03-01", "2022-07-06", "2014-12-16", "2022-03-30"]
    closes = dict(zip(prices["ts"], prices["close"], strict=True))
    previous = dict(zip(prices["ts"].iloc[1:], prices["close"].iloc[:-1], strict=True))
    assert after["log_return"].tolist() == [np.log(closes[d] / previous[d]) for d in after["ts"]]
    assert after["log_return"].round(6).tolist() == [0.231728, 0.152289, 0.118568, -0.113373]
    assert after["window_end"].tolist() == [t("2022-03-02"), t("2022-07-06 23:00"), t("2014-12-17"),
                                            t("2022-03-30 23:00")]
    # no ranked move touches a bad bar, however far down the list
    everything = largest_moves(bars, headlines, "1d", n=10_000).drop_duplicates("rank")
    touched = set(prices.loc[bad, "ts"]) | {prices["ts"].iat[i + 1] for i in np.flatnonzero(bad)}
    assert not touched & set(everything["ts"]) and len(everything) == len(prices) - 1 - 14
    assert everything["log_return"].abs().max() < 0.24


# -- ranking by relevance: risk kind, matches, coverage, closeness --------------------------------

def stories_frame(rows: list[tuple]) -> pd.DataFrame:
    """(id, published, source, title, gpr, topics, story_id) → a frame like Store.headlines()
    with every copy (story_id: the first copy's id)."""
    return pd.DataFrame({"id": [r[0] for r in rows],
                         "published": pd.to_datetime([r[1] for r in rows]).tz_localize("UTC").as_unit("s"),
                         "source": [r[2] for r in rows], "title": [r[3] for r in rows], "summary": "",
                         "gpr": [r[4] for r in rows], "topics": [r[5] for r in rows],
                         "story_id": [r[6] for r in rows]})


STRIKE = "Missile strike hits Black Sea oil terminal"
# the window of 03-03's move (rank 1: 110 → 99) is [03-03, 03-04)
STORIES = stories_frame([
    (10, "2022-03-03 06:00", "BBC World", STRIKE, "escalation_of_war", "Energy", 10),
    (11, "2022-03-03 06:30", "DW", STRIKE + ".", "escalation_of_war", "Energy", 10),        # copies: one row
    (12, "2022-03-03 09:00", "France 24", STRIKE, "escalation_of_war", "Energy", 10),
    (13, "2022-03-03 10:00", "DW", STRIKE, "escalation_of_war", "Energy", 10),               # DW again: once
    (14, "2022-03-04 02:00", "Al Jazeera", STRIKE, "escalation_of_war", "Energy", 10),       # after the close
    (20, "2022-03-03 21:00", "wire", "Troops mass at the border", "military_buildups", "", 20),
    (30, "2022-03-03 23:30", "wire", "Abalone fishing ban extended", "", "", 30),           # the latest
])


def test_an_act_carried_by_three_sources_outranks_the_latest_irrelevant_headline():
    out = largest_moves(BARS, STORIES, "1d", n=1)
    assert out["headline_id"].tolist() == [10, 20, 30]                 # act, threat, none
    assert out["headline_rank"].tolist() == [1, 2, 3]
    assert out["risk"].tolist() == ["act", "threat", ""]
    assert out["gpr"].tolist() == ["escalation_of_war", "military_buildups", ""]
    top = out.iloc[0]
    assert (top["title"], top["source"], top["published"]) == (STRIKE, "BBC World", t("2022-03-03 06:00"))
    assert (top["coverage"], top["sources"]) == (3, "BBC World;DW;France 24")
    assert top["hours_before"] == 18.0 and top["closeness"] == math.exp(-18 / 6)
    assert out["reason"].tolist() == ["act (Escalation of war) · 3 sources · 18.0 h before",
                                      "threat (Military buildups) · 1 source · 3.0 h before",
                                      "1 source · 0.5 h before"]
    # the old rule (terms and topics only, then the newest) put the abalone first; so does this one
    # when nothing tells the stories apart but the time (no categories, no copies)
    plain = largest_moves(BARS, STORIES.drop(columns="gpr")[STORIES["id"] == STORIES["story_id"]], "1d", n=1)
    assert plain["headline_id"].tolist() == [30, 20, 10]
    assert plain["reason"].tolist()[0] == "1 source · 0.5 h before"


def test_copies_of_one_story_collapse_to_one_row_with_the_sources_that_carried_it_by_the_close():
    out = largest_moves(BARS, STORIES, "1d", n=1)
    assert out["headline_id"].tolist().count(10) == 1 and not {11, 12, 13, 14} & set(out["headline_id"])
    assert out["coverage"].tolist() == [3, 1, 1]
    # the same copies from the store (Store.story_copies), with only the first copies as headlines
    first = STORIES[STORIES["id"] == STORIES["story_id"]]
    copies = STORIES[["story_id", "id", "source", "published"]]
    from_store = largest_moves(BARS, first, "1d", n=1, copies=copies)
    pd.testing.assert_frame_equal(from_store, out)
    # first copies with an empty story_id (NULL, as stored): the same stories
    stored = STORIES.assign(story_id=STORIES["story_id"].where(STORIES["id"] != STORIES["story_id"]))
    assert str(stored["story_id"].dtype) == "float64"
    pd.testing.assert_frame_equal(largest_moves(BARS, stored, "1d", n=1), out)
    # without the copies the first copy is on its own
    alone = largest_moves(BARS, first, "1d", n=1)
    assert (alone["coverage"].iat[0], alone["sources"].iat[0]) == (1, "BBC World")
    # closes known a day later, two-day windows: the story is in the windows of 03-02's move (known
    # 03-04 00:00) and of 03-03's (known 03-05 00:00); each counts the copies out by its own close:
    # Al Jazeera's of 03-04 02:00 only for 03-03's, TASS's of 03-07 for neither
    copies = pd.DataFrame({"story_id": [10], "id": [16], "source": ["TASS"], "published": [t("2022-03-07 05:00")]})
    late = BARS.iloc[:4].assign(known=BARS["known"].iloc[:4] + pd.Timedelta(days=1))
    out = largest_moves(late, STORIES, "1d", n=3, copies=copies, window=timedelta(days=2))
    strike = out[out["headline_id"] == 10]
    assert strike["ts"].tolist() == [t("2022-03-03"), t("2022-03-02")]
    assert strike["sources"].tolist() == ["BBC World;DW;France 24;Al Jazeera", "BBC World;DW;France 24"]
    assert strike["coverage"].tolist() == [4, 3]
    # a copy in a window whose first copy came before it does not put the story there: Al Jazeera's
    # copy is in the window of 03-04's move (known 03-06), the story (placed at its first copy) not
    assert out.loc[out["ts"] == t("2022-03-04"), "headline_id"].isna().all()


def test_a_search_match_ranks_above_coverage_and_below_the_risk_kind():
    frame = stories_frame([
        (1, "2022-03-03 08:00", "wire", "Oil exporters meet in Vienna", "", "", 1),
        (2, "2022-03-03 09:00", "BBC World", "Parliament votes on budget", "", "", 2),
        (3, "2022-03-03 09:00", "DW", "Parliament votes on budget", "", "", 2),
        (4, "2022-03-03 09:00", "CNA", "Parliament votes on budget", "", "", 2),
        (5, "2022-03-03 07:00", "wire", "Terror attack in the capital", "terror_acts", "", 5),
        (6, "2022-03-03 06:00", "wire", "Oil tanker seized in the Gulf", "war_threats", "Energy", 6),
    ])
    out = largest_moves(BARS, frame, "1d", n=1, terms=["oil"])
    # the act first (no match); then the threat that matches; the match before the story of 3 sources
    assert out["headline_id"].tolist() == [5, 6, 1, 2]
    assert out["n_matches"].tolist() == [0, 1, 1, 0]
    assert out["coverage"].tolist() == [1, 1, 1, 3]
    assert out["reason"].tolist() == ["act (Terror acts) · 1 source · 17.0 h before",
                                      "threat (War threats) · 1 source · oil · 18.0 h before",
                                      "1 source · oil · 16.0 h before", "3 sources · 15.0 h before"]
    with_topic = largest_moves(BARS, frame, "1d", n=1, terms=["oil"], topics=["Energy"])
    assert with_topic["matches"].tolist()[:2] == ["", "oil;Energy"]


def test_closeness_breaks_the_remaining_ties_with_tau_a_quarter_of_the_window():
    frame = stories_frame([
        (1, "2022-03-03 10:00", "wire", "War threat one", "war_threats", "", 1),
        (2, "2022-03-03 22:00", "wire", "War threat two", "nuclear_threats", "", 2),
        (3, "2022-03-03 22:00", "wire", "War threat three", "war_threats", "", 3),
    ])
    out = largest_moves(BARS, frame, "1d", n=1)
    assert out["headline_id"].tolist() == [3, 2, 1]                # nearest the close; same time: larger id
    assert out["closeness"].tolist() == [math.exp(-2 / 6), math.exp(-2 / 6), math.exp(-14 / 6)]
    # hourly bars: a six-hour window, τ = 1.5 h
    bars = pd.DataFrame({"ts": [t("2022-03-03 21:00"), t("2022-03-03 22:00")],
                         "known": [t("2022-03-03 22:00"), t("2022-03-03 23:00")], "close": [1.0, 2.0]})
    hourly = largest_moves(bars, frame, "1h")
    assert hourly["headline_id"].tolist() == [3, 2] and hourly["hours_before"].tolist() == [1.0, 1.0]
    assert hourly["closeness"].tolist() == [math.exp(-1 / 1.5)] * 2
    wide = largest_moves(bars, frame, "1h", window=timedelta(hours=20))
    assert wide["closeness"].tolist() == [math.exp(-1 / 5)] * 2 + [math.exp(-13 / 5)]


def test_the_ranking_is_the_stated_formula():
    """Random stories over four moves, ranked by a direct reading of the rule: sort by (act 2 /
    threat 1 / none 0, matches, distinct sources by the close, exp(−Δt/τ), id), each descending."""
    rng = np.random.default_rng(7)
    kinds = {"": 0, "war_threats": 1, "peace_threats;terror_threats": 1, "terror_acts": 2,
             "war_threats;beginning_of_war": 2}
    sources = ["BBC World", "DW", "CNA", "France 24", "wire"]
    words = ["oil", "Russia", "talks", "rain", "sanctions", "market"]
    rows, next_id = [], 1
    for _ in range(120):
        story, published = next_id, t("2022-03-02") + pd.Timedelta(minutes=int(rng.integers(0, 4 * 24 * 60)))
        title = " ".join(rng.choice(words, size=3, replace=False))
        gpr = str(rng.choice(list(kinds)))
        topics = str(rng.choice(["", "Energy", "Talks", "Energy;Talks"]))
        for copy in range(int(rng.integers(1, 4))):
            late = pd.Timedelta(minutes=int(rng.integers(0, 36 * 60))) if copy else pd.Timedelta(0)
            rows.append((next_id, published + late, str(rng.choice(sources)), title, gpr, topics, story))
            next_id += 1
    frame = stories_frame([(r[0], r[1].strftime("%Y-%m-%d %H:%M"), *r[2:]) for r in rows])
    out = largest_moves(BARS, frame, "1d", n=4, terms=["oil", "sanction*"], topics=["Energy"])

    by_id = {r[0]: r for r in rows}
    for rank, group in out.groupby("rank"):
        start, end = group["window_start"].iat[0], group["window_end"].iat[0]
        expected = []
        for story in {r[6] for r in rows}:
            first = by_id[story]
            if not start <= first[1] < end:
                continue
            carried = {r[2] for r in rows if r[6] == story and r[1] < end}
            found = [w for w in ("oil",) if w in first[3].split()] + [w for w in first[3].split()
                                                                     if w.startswith("sanction")]
            matches = len(found) + ("Energy" in first[5].split(";"))
            hours = (end - first[1]).total_seconds() / 3600
            closeness = math.exp(-hours / 6)
            expected.append((kinds[first[4]], matches, len(carried), closeness, story, hours))
        expected.sort(key=lambda e: (-e[0], -e[1], -e[2], -e[3], -e[4]))
        if not expected:
            assert len(group) == 1 and group["headline_id"].isna().all()
            continue
        assert group["headline_id"].tolist() == [e[4] for e in expected], rank
        assert group["n_matches"].tolist() == [e[1] for e in expected]
        assert group["coverage"].tolist() == [e[2] for e in expected]
        assert group["risk"].tolist() == [RISK_WORDS[e[0]] for e in expected]
        assert group["hours_before"].tolist() == pytest.approx([e[5] for e in expected], abs=1e-12)
        assert group["closeness"].tolist() == pytest.approx([e[3] for e in expected], rel=1e-12)
    assert out["coverage"].max() > 1 and out["risk"].nunique() == 3 and out["n_matches"].max() >= 2


RISK_WORDS = {0: "", 1: "threat", 2: "act"}


def test_risk_levels_of_tag_cells():
    levels, names = risk_levels(["terror_acts; war_threats;beginning_of_war", "nuclear_threats;war_threats", "",
                                 None, np.nan, pd.NA, " ; "])
    assert levels.tolist() == [2, 1, 0, 0, 0, 0, 0]
    assert names == ["Beginning of war, Terror acts", "War threats, Nuclear threats", "", "", "", "", ""]
    assert risk_levels([None, ""])[0].tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"^unknown GPR categories in gpr: coup, warr_threats \(known: war_threats, "
                                         r".*, terror_acts\); run newsmarks retag$"):
        risk_levels(["war_threats", "warr_threats;coup", None])


def test_unknown_risk_categories_and_bad_copies_raise_value_errors_that_name_them():
    with pytest.raises(ValueError, match="unknown GPR categories in gpr: warr_threats"):
        largest_moves(BARS, STORIES.assign(gpr="warr_threats"), "1d")
    with pytest.raises(ValueError, match="copies frame lacks column"):
        largest_moves(BARS, STORIES, "1d", copies=STORIES[["id", "source"]])
    assert window_headline_ids(BARS, STORIES, "1d", n=1) == [10, 11, 12, 13, 20, 30]
    assert window_headline_ids(BARS, STORIES, "1d", n=2) == [10, 11, 12, 13, 20, 30]   # 03-02's window: none


# -- the stories' copies from the store (SQLite and PostgreSQL) ------------------------------------

def test_the_store_gives_every_copy_of_a_story_from_any_source(store):
    fetched = datetime(2022, 3, 10, tzinfo=UTC)

    def item(source: str, guid: str, title: str, when: str) -> Headline:
        return Headline(source=source, guid=guid, title=title, published=t(when).to_pydatetime(), fetched=fetched)

    store.write_headlines([
        item("BBC World", "b1", STRIKE, "2022-03-03 06:00"),
        item("DW", "d1", STRIKE.upper() + "!", "2022-03-03 06:30"),          # the same normalised title
        item("France 24", "f1", STRIKE, "2022-03-03 09:00"),
        item("DW", "d2", STRIKE, "2022-03-03 10:00"),                         # DW's second copy
        item("wire", "w1", "Troops mass at the border", "2022-03-03 21:00"),
        item("wire", "w2", STRIKE, "2022-03-08 09:00"),                        # five days on: a new story
    ], tag=headline_tagger([]))
    frame = store.headlines()
    ids = dict(zip(frame["guid"], frame["id"], strict=True))
    copies = store.story_copies([ids["f1"]])                                 # any copy names its story
    assert list(copies.columns) == ["story_id", "id", "source", "published", "day_precision"]
    assert copies["story_id"].tolist() == [ids["b1"]] * 4
    assert copies["id"].tolist() == [ids["b1"], ids["d1"], ids["f1"], ids["d2"]]
    assert copies["source"].tolist() == ["BBC World", "DW", "France 24", "DW"]
    assert copies["published"].tolist() == [t("2022-03-03 06:00"), t("2022-03-03 06:30"), t("2022-03-03 09:00"),
                                            t("2022-03-03 10:00")]
    assert str(copies["published"].dt.tz) == "UTC" and not copies["day_precision"].any()
    both = store.story_copies([ids["b1"], ids["d2"], ids["w1"], ids["w2"]])
    assert both.groupby("story_id")["source"].nunique().to_dict() == {ids["b1"]: 3, ids["w1"]: 1, ids["w2"]: 1}
    empty = store.story_copies([])
    assert list(empty.columns) == list(copies.columns) and len(empty) == 0

    # the Analysis tab's reading: first copies of stories, and the copies of those in the windows
    first = store.headlines(stories_only=True)
    wanted = window_headline_ids(BARS, first, "1d", n=1)
    assert wanted == [ids["b1"], ids["w1"]]
    out = largest_moves(BARS, first, "1d", n=1, copies=store.story_copies(wanted))
    assert out["headline_id"].tolist() == [ids["b1"], ids["w1"]]
    assert out["coverage"].tolist() == [3, 1] and out["sources"].tolist() == ["BBC World;DW;France 24", "wire"]
    # the categories the store's tagger gave (ingest.headline_tags.gpr) are the ones ranked
    assert out["gpr"].tolist() == first.set_index("id").loc[out["headline_id"].tolist(), "gpr"].tolist()


# -- real data: Brent's largest moves of 2026 and the world's headlines ---------------------------

WORLD_FILE = "world-headlines-rss-2026-05-to-08.csv"


def linked_stories(frame: pd.DataFrame) -> np.ndarray:
    """Each row's story as the store links them at one import (ingest.store.story_links: the pure
    rule of ingest.stories, STORY_RULE), by id: its story's first copy, else itself."""
    seconds = frame["published"].dt.as_unit("s").astype("int64").tolist()
    rows = [StoryRow(int(i), s, normalise_title(title)[:TITLE_NORM_CHARS])
            for i, s, title in zip(frame["id"].tolist(), seconds, frame["title"], strict=True)]
    links = link_stories(rows, rows, STORY_RULE)
    return np.array([links.get(int(i), int(i)) for i in frame["id"]], dtype=np.int64)


@pytest.mark.slow   # a whole real file
def test_brent_s_largest_moves_of_2026_explained_by_the_world_s_headlines(shared_data):
    """EIA's Brent spot (assessed at the London close, 16:30 London) from the last trading day before
    the headlines start (2026-05-12) to its end, against 88,751 headlines of 22 world feeds (one row
    per story and source: the file kept a story once per title). The ten largest moves, each with
    the first copies of the stories in the day before its close, tagged as the store tags them."""
    prices = pd.read_csv(shared_data / "brent-daily.csv")
    prices["ts"] = pd.to_datetime(prices["Date"]).dt.tz_localize("UTC")
    prices = prices[prices["ts"] >= t("2026-05-11")].reset_index(drop=True)
    bars = pd.DataFrame({"ts": prices["ts"], "known": parse_rule("16:30 Europe/London").known(prices["ts"]),
                         "close": prices["Price"]})
    imported = read_headlines_csv(shared_data / WORLD_FILE, fetched=datetime(2026, 9, 1, tzinfo=UTC)).headlines
    frame = pd.DataFrame({"id": np.arange(1, len(imported) + 1),
                          "published": pd.to_datetime([h.published for h in imported], utc=True),
                          "source": [h.source for h in imported], "title": [h.title for h in imported]})
    frame["story_id"] = linked_stories(frame)

    # the moves, from the CSV directly
    logret = np.log(prices["Price"] / prices["Price"].shift())
    expected = logret.iloc[1:].abs().sort_values(ascending=False, kind="stable").head(10)
    skeleton = largest_moves(bars, frame.iloc[:0].assign(topics=""), "1d", n=10)
    assert skeleton["ts"].tolist() == prices.loc[expected.index, "ts"].tolist()
    assert skeleton["ts"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-07-23", "2026-07-13", "2026-07-27", "2026-08-03", "2026-07-21", "2026-07-29", "2026-07-28",
        "2026-07-08", "2026-08-10", "2026-06-01"]
    assert skeleton["pct"].round(1).tolist() == [11.9, 9.8, -8.5, -8.3, 7.9, 7.5, -6.9, 6.6, 5.8, 5.8]
    # a close dated D is known at 16:30 London on D: 15:30 UTC in summer; its window is the day before
    assert (skeleton["window_start"].iat[0], skeleton["window_end"].iat[0]) == (t("2026-07-22 15:30"),
                                                                               t("2026-07-23 15:30"))

    # what the Analysis tab reads: the first copies (tagged), and every copy of their stories
    inside = np.zeros(len(frame), dtype=bool)
    for start, end in zip(skeleton["window_start"], skeleton["window_end"], strict=True):
        inside |= ((frame["published"] >= start) & (frame["published"] < end)).to_numpy()
    first = frame[inside & (frame["story_id"] == frame["id"])].copy()
    tag = headline_tagger(Config.model_validate({"feeds": [], "pages": []}).topics)
    tags = [tag(imported[i - 1]) for i in first["id"]]
    first["topics"] = [";".join(sorted(v for k, v in found if k == "topic")) for found in tags]
    first["gpr"] = [";".join(sorted(v for k, v in found if k == "gpr")) for found in tags]
    copies = frame[frame["story_id"].isin(first["id"])][["story_id", "id", "source", "published"]]
    out = largest_moves(bars, first, "1d", n=10, copies=copies)

    lexicon = load_lexicon()
    for rank, group in out.groupby("rank"):
        start, end = group["window_start"].iat[0], group["window_end"].iat[0]
        stories = first[(first["published"] >= start) & (first["published"] < end)]
        assert len(group) == len(stories) and set(group["headline_id"]) == set(stories["id"])
        # the ranking, read directly: risk kind, (no terms or topics), sources by the close, time, id
        carried = copies[copies["published"] < end].groupby("story_id")["source"].nunique()
        keys = sorted(((2 if set(lexicon.acts) & set(s.gpr.split(";")) else 1 if s.gpr else 0,
                        int(carried[s.id]), s.published, s.id) for s in stories.itertuples()), reverse=True)
        assert group["headline_id"].tolist() == [k[3] for k in keys], rank
        assert group["coverage"].tolist() == [k[1] for k in keys]
        # the old rule put the newest headline first; the new one a risk category when the day had one
        newest = stories.sort_values(["published", "id"]).iloc[-1]
        if (stories["gpr"] != "").any():
            assert group["risk"].iat[0] != "" and group["headline_id"].iat[0] != newest["id"]

    day = out[out["ts"] == t("2026-07-23")]
    assert len(day) == 811   # 1,046 first copies of a title in that day; 811 stories once similar titles are one
    newest = first[(first["published"] < t("2026-07-23 15:30"))].sort_values(["published", "id"]).iloc[-1]
    assert (newest["source"], newest["title"]) == (
        "Al Jazeera", "More than 100 UK millionaires ask new PM Andy Burnham to tax them more")
    assert day["risk"].iat[0] == "act"
    # one story told by several feeds in their own words is one story with its coverage
    tariffs = out[out["title"] == "Trump imposes 50% tariffs on most Canadian goods, cites trade disputes"]
    assert (tariffs["coverage"].iat[0], tariffs["reason"].iat[0]) == (9, "9 sources · 18.3 h before")
    assert tariffs["sources"].iat[0] == ("Times of India;France 24;CNA;SCMP;BBC World;Guardian World;ABC Australia;"
                                         "Al Jazeera;Euronews")
    assert out["coverage"].value_counts().sort_index().to_dict() == {1: 6377, 2: 192, 3: 46, 4: 19, 5: 10, 6: 3,
                                                                     7: 3, 8: 1, 9: 6, 10: 1}
