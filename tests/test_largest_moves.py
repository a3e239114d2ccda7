"""Largest moves, explained: ranking of moves, windows ending when each close became known (the Bank
of Russia rule, the end of the UTC day), no move into or out of a bad bar, headlines dated to the
day only at the end of their day, headline scores by search terms and topics — on hand-made frames,
on Brent (EIA) against BBC business headlines, and on Yahoo's RUB=X with its bad ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.largest_moves import MOVE_COLUMNS, RESULT_COLUMNS, bar_moves, largest_moves, search_terms
from ingest.bar_quality import bad_mask
from ingest.close_rules import cbr_rule, parse_rule
from ingest.csv_prices import read_prices_csv
from ingest.csvio import read_headlines_csv

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
    assert out["score"].tolist()[:5] == [4, 2, 0, 1, 1]
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
    assert pd.isna(last["score"]) and pd.isna(last["matches"]) and pd.isna(last["source"])
    assert str(out["headline_id"].dtype) == "Int64" and str(out["score"].dtype) == "Int64"
    for column in ("ts", "window_start", "window_end", "published"):
        assert str(out[column].dtype) == UTC_TS


def test_without_terms_or_topics_every_score_is_zero_and_newest_comes_first():
    out = largest_moves(BARS, HEADLINES, "1d", n=1)
    assert out["headline_id"].tolist() == [3, 2, 1]
    assert out["score"].tolist() == [0, 0, 0]
    assert out["matches"].tolist() == ["", "", ""]


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
    assert str(out["ts"].dtype) == UTC_TS and str(out["score"].dtype) == "Int64"


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
    assert (top["score"], top["matches"]) == (3, "oil;Russia*;sanction*")
    assert first["score"].tolist() == [3, 2, 0]
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
