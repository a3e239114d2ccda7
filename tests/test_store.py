from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
import time
from dataclasses import replace

import pandas as pd
import pytest
from sqlalchemy import text

from ingest.records import FetchResult, Headline, PriceBatch
from ingest.search_query import Term, parse_search
from ingest.store import HeadlineFilter, LockBusy, ReadOnlyStore, SchemaError, Store
from ingest.store.fts import to_fts5
from ingest.store.headline_writes import normalise_title
from ingest.store.migrations import SCHEMA_VERSION, migrate
from tests.conftest import close_bars, store_place, utc


def bars(*rows, hourly: bool = False) -> pd.DataFrame:
    """Bars with their known times: an hourly bar's an hour after its start, a daily bar's at the
    end of its trading day (UTC)."""
    frame = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume", "flag"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["known"] = frame["ts"] + pd.Timedelta(hours=1 if hourly else 24)
    return frame


NOW = utc(2026, 11, 27, 12)


def test_write_bars_counts_and_is_idempotent(store):
    first = bars(("2022-03-01", 1, 2, 0.5, 1.5, 10, None), ("2022-03-02", 1.5, 2.5, 1, 2, None, "ohlc"))
    counts = store.write_bars("brent", "1d", "yahoo", first, NOW)
    assert (counts.new, counts.updated, counts.unchanged) == (2, 0, 0)
    counts = store.write_bars("brent", "1d", "yahoo", first, NOW)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 2)
    revised = bars(("2022-03-02", 1.5, 2.5, 1, 2.25, None, None), ("2022-03-03", 2, 3, 2, 3, None, None))
    counts = store.write_bars("brent", "1d", "yahoo", revised, NOW)
    assert (counts.new, counts.updated, counts.unchanged) == (1, 1, 0)
    stored = store.bars(["brent"], "1d")
    assert stored["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [
        "2022-03-01T00:00:00Z", "2022-03-02T00:00:00Z", "2022-03-03T00:00:00Z"]
    assert stored["close"].tolist() == [1.5, 2.25, 3.0]
    assert stored["flag"].tolist() == [None, None, None]
    assert math.isnan(stored["volume"].iloc[1]) and stored["volume"].iloc[0] == 10
    assert store.last_bar_time("brent", "1d") == utc(2022, 3, 3)
    assert store.last_bar_time("brent", "1h") is None


def test_bars_range_and_intervals(store):
    store.write_bars("brent", "1h", "yahoo", bars(("2022-03-01T10:00Z", 1, 1, 1, 1, 0, None),
                                                  ("2022-03-01T11:00Z", 1, 1, 1, 2, 0, None), hourly=True), NOW)
    store.write_bars("brent", "1d", "yahoo", bars(("2022-03-01", 1, 1, 1, 5, 0, None)), NOW)
    hourly = store.bars(["brent"], "1h", start=utc(2022, 3, 1, 11), end=utc(2022, 3, 1, 11))
    assert hourly["close"].tolist() == [2.0]
    assert store.bars(["usd_rub"]).empty


def test_closes_are_the_close_column_of_bars(store):
    store.write_bars("brent", "1d", "yahoo", bars(("2022-03-01", 1, 1, 1, 5, 0, None),
                                                  ("2022-03-02", 1, 1, 1, 5.5, 0, None),
                                                  ("2022-03-03", 1, 1, 1, 6.25, 0, None)), NOW)
    store.write_bars("usd_rub", "1d", "cbr", bars(("2022-03-02", None, None, None, 100.5, None, None)), NOW)
    store.write_bars("brent", "1h", "yahoo", bars(("2022-03-02T10:00Z", 1, 1, 1, 9, 0, None), hourly=True), NOW)
    closes = store.closes(["usd_rub", "brent"], "1d", start=utc(2022, 3, 2), end=utc(2022, 3, 3))
    columns = ["instrument_id", "ts", "known", "close", "flag", "review", "bad"]
    assert list(closes.columns) == columns
    assert closes["instrument_id"].tolist() == ["brent", "brent", "usd_rub"]
    assert closes["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist() == [
        "2022-03-02T00:00:00Z", "2022-03-03T00:00:00Z", "2022-03-02T00:00:00Z"]
    assert closes["close"].tolist() == [5.5, 6.25, 100.5]
    assert str(closes["ts"].dt.tz) == "UTC" and closes["close"].dtype == "float64"
    full = store.bars(["usd_rub", "brent"], "1d", start=utc(2022, 3, 2), end=utc(2022, 3, 3))
    pd.testing.assert_frame_equal(closes, full[columns])
    assert store.closes(["brent"], "1h")["close"].tolist() == [9.0]
    assert store.closes([], "1d").empty and list(store.closes([], "1d").columns) == columns
    assert store.closes(["brent"], "1d", start=utc(2022, 3, 4)).empty
    assert store.has_bars(["usd_rub", "eur_rub"], "1d", utc(2022, 3, 2), utc(2022, 3, 2)) is True
    assert store.has_bars(["usd_rub"], "1d", utc(2022, 3, 2, 0, 0, 1), utc(2022, 3, 9)) is False
    assert store.has_bars(["brent"], "1h", utc(2022, 3, 1), utc(2022, 3, 2, 10)) is True
    assert store.has_bars(["brent"], "1h", utc(2022, 3, 1), utc(2022, 3, 2, 9, 59)) is False
    assert store.has_bars([], "1d", utc(2022, 1, 1), utc(2023, 1, 1)) is False


def test_naive_times_are_refused(store):
    frame = bars(("2022-03-01", 1, 1, 1, 1, 0, None))
    frame["ts"] = frame["ts"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="naive"):
        store.write_bars("brent", "1d", "yahoo", frame, NOW)


def headline(source, guid, title, when, summary="", link=None, inferred=False):
    return Headline(source=source, guid=guid, title=title, published=when, fetched=NOW, summary=summary,
                    link=link, time_inferred=inferred)


def test_headlines_idempotent_updates_and_story_dedup(store):
    items = [
        headline("BBC World", "b1", "Syria talks: Lavrov meets Kerry", utc(2016, 1, 20, 10)),
        headline("Guardian World", "g1", "Syria talks - Lavrov meets Kerry!", utc(2016, 1, 20, 12)),
        headline("Guardian World", "g2", "Syria talks: Lavrov meets Kerry", utc(2016, 3, 1, 9)),
    ]
    counts = store.write_headlines(items)
    assert (counts.new, counts.updated, counts.unchanged) == (3, 0, 0)
    assert store.write_headlines(items).unchanged == 3
    frame = store.headlines()
    ids = frame["id"].tolist()
    # the Guardian copy two hours later is the BBC story; the one six weeks later is its own story
    assert frame["story_id"].tolist() == [ids[0], ids[0], ids[2]]
    assert store.headlines(stories_only=True)["guid"].tolist() == ["b1", "g2"]
    changed = headline("BBC World", "b1", "Syria talks: Lavrov meets Kerry in Zurich", utc(2016, 1, 20, 10))
    counts = store.write_headlines([changed])
    assert (counts.new, counts.updated) == (0, 1)
    assert store.headlines(query="Zurich")["guid"].tolist() == ["b1"]


def test_inferred_time_never_replaces_a_real_one(store):
    store.write_headlines([headline("F", "x", "T", utc(2020, 1, 1))])
    counts = store.write_headlines([headline("F", "x", "T", utc(2020, 5, 5), inferred=True)])
    assert counts.unchanged == 1
    assert store.headlines()["published"].tolist() == [pd.Timestamp("2020-01-01", tz="UTC")]


def test_full_text_search_syntax(store):
    store.write_headlines([
        headline("A", "1", "Lavrov says Syria talks will go on", utc(2016, 1, 1)),
        headline("A", "2", "Kerry visits Moscow", utc(2016, 1, 2)),
        headline("A", "3", "OPEC agrees oil output cut", utc(2016, 1, 3)),
        headline("A", "4", "Output of oil rises", utc(2016, 1, 4)),
        headline("A", "5", "EU extends sanctions", utc(2016, 1, 5), summary="New sanction list"),
        headline("A", "6", "Путин и санкции", utc(2016, 1, 6)),
    ])

    def guids(query):
        return store.headlines(query=query)["guid"].tolist()

    assert guids("Syria") == ["1"]
    assert guids("syria") == ["1"]
    assert guids("Lavrov OR Kerry") == ["1", "2"]
    assert guids('"oil output"') == ["3"]
    assert guids("oil output") == ["3", "4"]
    assert guids("sanction*") == ["5"]
    assert guids("санкции") == ["6"]
    assert guids('U.S. "') == []          # odd input is taken literally, never an FTS syntax error
    assert guids("") == ["1", "2", "3", "4", "5", "6"]


def test_parse_search():
    assert parse_search('Lavrov OR Kerry "oil output" sanction* OR embargo') == [
        [Term("Lavrov"), Term("Kerry")], [Term("oil output")], [Term("sanction", True), Term("embargo")]]
    assert to_fts5(parse_search('Lavrov OR Kerry "oil output" sanction*')) == \
        '("Lavrov" OR "Kerry") AND "oil output" AND "sanction"*'
    assert parse_search("OR OR") == []
    assert parse_search("AND") == [[Term("AND")]]


def test_normalise_title():
    assert normalise_title("  Syria talks — Lavrov   meets KERRY! ") == "syria talks lavrov meets kerry"
    assert normalise_title("Café") == "cafe"


def test_tags_and_topic_filter(store):
    items = [headline("A", "1", "Syria", utc(2016, 1, 1)), headline("A", "2", "Oil", utc(2016, 1, 2))]
    store.write_headlines(items, tag=lambda h: [("topic", h.title)])
    assert store.headlines(topics=["Oil"])["guid"].tolist() == ["2"]
    assert store.headlines()["topics"].tolist() == ["Syria", "Oil"]


def test_tags_are_asked_for_new_and_changed_headlines_only(store):
    """A feed repeats most items on every fetch: the tagger runs for the new and the changed
    ones (a changed title gets its new tags), once per (source, guid) of a batch."""
    asked: list[str] = []

    def tag(h):
        asked.append(h.guid)
        return [("topic", h.title.split()[0])]

    items = [headline("A", str(i), f"{word} story", utc(2016, 1, i + 1)) for i, word in enumerate(["Oil", "Syria"])]
    store.write_headlines(items, tag=tag)
    assert asked == ["0", "1"]
    store.write_headlines(items, tag=tag)
    assert asked == ["0", "1"]
    store.write_headlines([items[0], headline("A", "1", "Sanctions story", utc(2016, 1, 2)),
                           headline("A", "2", "Gas story", utc(2016, 1, 3)),
                           headline("A", "2", "Gas story again", utc(2016, 1, 3))], tag=tag)
    assert asked == ["0", "1", "1", "2"]
    assert store.headlines()[["guid", "topics"]].values.tolist() == [["0", "Oil"], ["1", "Sanctions"], ["2", "Gas"]]


def test_commit_result_is_all_or_nothing(store):
    run_id = store.start_run("refresh", "yahoo:brent:1d", NOW, "prices")
    good = PriceBatch("brent", "1d", "yahoo", bars(("2022-03-01", 1, 1, 1, 1, 0, None)))
    bad = PriceBatch("brent", "1h", "yahoo", bars(("2022-03-01", 1, 1, 1, None, 0, None), hourly=True))
    with pytest.raises(ValueError, match="without a close"):
        store.commit_result(run_id, FetchResult(prices=[good, bad]), NOW)
    assert store.counts()["price_bars"] == 0
    assert store.runs()["status"].tolist() == ["running"]
    assert store.data_version() == 0
    store.commit_result(run_id, FetchResult(prices=[good]), NOW)
    assert store.runs()[["status", "new_rows"]].values.tolist() == [["ok", 1]]
    assert store.data_version() == 1


def test_newer_schema_is_refused(store_url):
    store = Store.open(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(SchemaError, match="schema version 99, newer than this newsmarks understands"):
        Store.open(store_url)


def test_migrations_run_in_order_from_an_older_store(store_url):
    store = Store.open(store_url)
    steps = []

    def to_next(conn):
        steps.append("next")
        conn.execute(text("CREATE TABLE extra (x INTEGER)"))

    assert migrate(store.engine, {SCHEMA_VERSION + 1: to_next}, target=SCHEMA_VERSION + 1) == SCHEMA_VERSION + 1
    assert migrate(store.engine, {SCHEMA_VERSION + 1: to_next}, target=SCHEMA_VERSION + 1) == SCHEMA_VERSION + 1
    assert steps == ["next"]
    with pytest.raises(SchemaError, match=f"no migration from schema version {SCHEMA_VERSION + 1}"):
        migrate(store.engine, {}, target=SCHEMA_VERSION + 2)


def test_refresh_lock_across_processes(store_url, tmp_path):
    store = Store.open(store_url)
    holder = textwrap.dedent(f"""
        import sys, time
        from ingest.store import Store
        s = Store.open({store_url!r})
        with s.refresh_lock(5):
            print("held", flush=True)
            time.sleep(3)
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        started = time.monotonic()
        expected = f"another refresh of feeds is running on {store_place(store_url)} (waited 0.3s)"
        with pytest.raises(LockBusy, match=f"^{re.escape(expected)}$"):
            with store.refresh_lock(0.3):
                pass
        assert time.monotonic() - started < 2
        proc.kill()  # the OS (or the PostgreSQL server, when the connection drops) releases it
        proc.wait()
        with store.refresh_lock(2):
            pass
    finally:
        proc.kill()


def test_restamped_story_keeps_its_first_time_and_latest_title(store):
    first = headline("BBC", "b/1", "Oil price soars", utc(2022, 3, 7, 8, 15))
    later = headline("BBC", "b/1", "Oil and gas prices soar", utc(2022, 3, 7, 10, 10))
    assert store.write_headlines([first, later]).new == 1
    assert store.headlines()[["title", "published"]].values.tolist() == [
        ["Oil and gas prices soar", pd.Timestamp("2022-03-07 08:15", tz="UTC")]]
    counts = store.write_headlines([headline("BBC", "b/1", "Petrol at record", utc(2022, 3, 7, 16, 48))])
    assert (counts.new, counts.updated) == (0, 1)
    assert store.headlines()[["title", "published"]].values.tolist() == [
        ["Petrol at record", pd.Timestamp("2022-03-07 08:15", tz="UTC")]]
    assert store.headlines(query="soar")["guid"].tolist() == []
    assert store.headlines(query="petrol")["guid"].tolist() == ["b/1"]


def test_a_write_sets_only_the_columns_that_changed(store):
    """Each changed row is written with the columns that changed, one executemany per set of them:
    a re-import that changes one flag of every row rewrites no title (and, on SQLite, no full-text
    entry: its trigger fires on an update of the title or summary)."""
    from sqlalchemy import event

    oil = headline("S", "1", "Oil output cut", utc(2022, 3, 7, 8))
    gas = headline("S", "2", "Gas talks", utc(2022, 3, 7, 9), summary="Talks in Geneva")
    grain = headline("S", "3", "Grain deal", utc(2022, 3, 7, 10), link="https://feeds.example.test/a")
    store.write_headlines([oil, gas, grain])
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))
    counts = store.write_headlines([replace(oil, title="Oil output cut again"), replace(gas, summary="Talks in Vienna"),
                                    replace(grain, link="https://feeds.example.test/b")])
    assert (counts.new, counts.updated, counts.unchanged) == (0, 3, 0)
    sets = sorted(re.findall(r"(\w+)=", s.split(" WHERE ")[0])
                  for s in statements if s.startswith("UPDATE headlines SET"))
    assert sets == [["link"], ["summary"], ["title", "title_norm"]]
    stored = store.headlines().sort_values("guid")
    assert stored[["title", "summary", "link"]].fillna("-").values.tolist() == [
        ["Oil output cut again", "", "-"], ["Gas talks", "Talks in Vienna", "-"],
        ["Grain deal", "", "https://feeds.example.test/b"]]
    assert store.headlines(query="again")["guid"].tolist() == ["1"]
    assert store.headlines(query="vienna")["guid"].tolist() == ["2"]
    assert store.headlines(query="geneva")["guid"].tolist() == []


def test_sentiment_filter(store):
    store.write_headlines([headline("A", "1", "Markets rally on peace hopes", utc(2022, 3, 1)),
                           headline("A", "2", "Missile strike kills dozens", utc(2022, 3, 2))],
                          tag=lambda h: [("sentiment", "positive" if "rally" in h.title else "negative")])
    assert store.headlines(sentiments=["negative"])["guid"].tolist() == ["2"]
    assert store.headlines(sentiments=["negative", "positive"])["guid"].tolist() == ["1", "2"]
    assert store.headlines()["sentiment"].tolist() == ["positive", "negative"]


def _tagged_headlines() -> tuple[list[Headline], object]:
    """120 headlines over ~40 days from three sources, with topics and sentiments by number."""
    items = []
    for i in range(120):
        topic = ("Syria", "Oil", "Sanctions")[i % 3]
        items.append(Headline(source=("TASS", "BBC", "DW")[i % 3 if i % 5 else 1], guid=f"g{i}",
                              title=f"{topic} story {i}" + (" oil output" if i % 7 == 0 else ""),
                              published=utc(2024, 3, 1) + pd.Timedelta(hours=8 * i + i % 5), fetched=utc(2024, 6, 1)))

    def tag(h: Headline):
        number = int(h.guid[1:])
        return [("topic", h.title.split()[0])] + ([("topic", "Energy")] if number % 4 == 0 else []) + \
            [("sentiment", ("negative", "neutral", "positive")[number % 3 if number % 2 else 0])]
    return items, tag


@pytest.mark.parametrize("flt", [
    HeadlineFilter(),
    HeadlineFilter(start=utc(2024, 3, 5), end=utc(2024, 3, 20, 12)),
    HeadlineFilter(topics=("Syria",)),
    HeadlineFilter(topics=("Oil", "Energy"), start=utc(2024, 3, 3)),
    HeadlineFilter(sources=("BBC",), end=utc(2024, 3, 25)),
    HeadlineFilter(sentiments=("negative",), topics=("Sanctions",), start=utc(2024, 3, 2), end=utc(2024, 4, 1)),
    HeadlineFilter(query='"oil output"'),
    HeadlineFilter(query="Syria OR Oil", sources=("TASS", "DW"), start=utc(2024, 3, 10)),
], ids=["all", "window", "topic", "topics-from", "source-until", "sentiment-topic-window", "phrase", "query-sources"])
@pytest.mark.parametrize("bucket", [3600, 86400, 7 * 86400])
def test_counts_per_bucket_equal_counting_the_matching_headlines(store, flt, bucket):
    items, tag = _tagged_headlines()
    store.write_headlines(items, tag=tag)
    rows = store.headlines(flt)
    assert 0 < len(rows) < 120 or flt == HeadlineFilter()
    epoch = rows["published"].astype("int64") // 10**9 if rows["published"].dt.unit == "ns" else \
        rows["published"].dt.as_unit("s").astype("int64")
    expected = (epoch - epoch % bucket).value_counts().sort_index()
    counts = store.headline_counts(flt, bucket)
    assert counts["count"].tolist() == expected.tolist()
    assert counts["bucket"].dt.as_unit("s").astype("int64").tolist() == expected.index.tolist()
    assert counts["count"].sum() == store.count_headlines(flt) == len(rows)


def test_headlines_carry_their_tags_of_each_kind_sorted_and_can_be_read_by_ids(store):
    """Tags come with each row (one text per row, split and sorted in Python): every kind in its
    own column, sorted, '' for none; `ids` (one parameter however many) keeps only those rows,
    still within the filter."""
    items = [headline("A", str(i), f"Story {i}", utc(2024, 3, 1, i)) for i in range(1, 6)]
    tags = {"1": [("topic", "Sanctions"), ("gpr", "war_threats"), ("topic", "Energy"), ("sentiment", "negative"),
                  ("topic", "Ukraine: front"), ("gpr", "acts_of_war")],
            "2": [("sentiment", "positive")], "3": [], "4": [("topic", "Oil")], "5": [("topic", "Oil")]}
    store.write_headlines(items, tag=lambda h: tags[h.guid])
    frame = store.headlines()
    assert frame[["guid", "topics", "gpr", "sentiment"]].values.tolist() == [
        ["1", "Energy;Sanctions;Ukraine: front", "acts_of_war;war_threats", "negative"],
        ["2", "", "", "positive"], ["3", "", "", ""], ["4", "Oil", "", ""], ["5", "Oil", "", ""]]
    ids = dict(zip(frame["guid"], frame["id"], strict=True))
    many = [ids["1"], ids["4"], ids["5"], *range(10_000, 11_500)]   # unknown ids match nothing
    assert store.headlines(HeadlineFilter(), ids=many)["guid"].tolist() == ["1", "4", "5"]
    assert store.headlines(HeadlineFilter(topics=("Oil",)), ids=many, sort="published",
                                    descending=True)["guid"].tolist() == ["5", "4"]
    assert store.headlines(HeadlineFilter(), ids=[])["guid"].tolist() == []


def _expected_counts(store, flt: HeadlineFilter, bucket: int) -> list[tuple[int, int]]:
    rows = store.headlines(flt)
    epoch = rows["published"].dt.as_unit("s").astype("int64")
    counted = (epoch - epoch % bucket).value_counts().sort_index()
    return list(zip(counted.index.tolist(), counted.tolist(), strict=True))


def _day_table(store) -> list[tuple[int, int, int]]:
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT day, headlines, stories FROM headline_days ORDER BY day"))]


def test_day_counts_follow_every_write_and_answer_day_and_week_counts(store):
    """The per-day counts (headline_days) are kept by each write — new headlines, story copies,
    a headline moved to an earlier day, an inferred time replaced by the real one — and the
    day and week counts of windows with part-days at either end, or none, equal counting the
    headlines themselves."""
    day = 86400
    items = [headline(source, f"{source}{i}", f"Story {i // 2}", utc(2024, 3, 1) + pd.Timedelta(hours=7 * i))
             for i in range(40) for source in ("A", "B")]
    windows = [HeadlineFilter(), HeadlineFilter(start=utc(2024, 3, 2, 13), end=utc(2024, 3, 9, 4)),
               HeadlineFilter(start=utc(2024, 3, 3), end=utc(2024, 3, 8, 23, 59, 59)),
               HeadlineFilter(start=utc(2024, 3, 4, 2), end=utc(2024, 3, 4, 20)),
               HeadlineFilter(start=utc(2024, 3, 4, 20), end=utc(2024, 3, 5, 3)),
               HeadlineFilter(start=utc(2030, 1, 1), end=utc(2030, 2, 1))]

    def check():
        for flt in windows:
            for stories in (False, True):
                shown = replace(flt, stories_only=stories)
                for bucket in (day, 7 * day):
                    counts = store.headline_counts(shown, bucket)
                    got = list(zip(counts["bucket"].dt.as_unit("s").astype("int64").tolist(),
                                   counts["count"].tolist(), strict=True))
                    assert got == _expected_counts(store, shown, bucket), (shown, bucket)
        whole = _expected_counts(store, HeadlineFilter(), day)
        firsts = dict(_expected_counts(store, HeadlineFilter(stories_only=True), day))
        assert _day_table(store) == [(start, count, firsts.get(start, 0)) for start, count in whole]

    store.write_headlines(items)
    check()
    # hours 0, 7, 14 and 21 from A and B: "Story 0" and "Story 1", each first seen once, three copies each
    assert _day_table(store)[0] == (int(utc(2024, 3, 1).timestamp()), 8, 2)
    # a real earlier time moves a headline to another day; an inferred time never does
    store.write_headlines([headline("A", "A30", "Story 15", utc(2024, 3, 2, 1)),
                           headline("B", "B2", "Story 1", utc(2024, 2, 20), inferred=True)])
    check()
    # a headline first seen with an inferred time gets its real one, a week earlier
    store.write_headlines([headline("C", "c1", "Late wire", utc(2024, 3, 10, 12), inferred=True)])
    check()
    store.write_headlines([headline("C", "c1", "Late wire", utc(2024, 3, 3, 12))])
    check()
    assert store.headlines(sources=["C"])["published"].tolist() == [pd.Timestamp("2024-03-03 12:00", tz="UTC")]


def test_headlines_written_around_the_store_are_counted_per_day_again(store):
    """A row inserted with plain SQL (a bulk load beside newsmarks) leaves the day counts short:
    recount_days notices, counts again and marks the data changed; then there is nothing to do."""
    store.write_headlines([headline("A", "1", "Kept", utc(2024, 3, 1, 9))])
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, time_inferred, "
                          "day_precision, title_norm) VALUES ('bulk', 'b1', 'Loaded beside', '', :t, :t, false, "
                          "false, 'loaded beside')"),
                     {"t": int(utc(2024, 3, 2, 9).timestamp())})
    version = store.data_version()
    flt = HeadlineFilter(start=utc(2024, 2, 20), end=utc(2024, 3, 10), stories_only=True)
    assert store.headline_counts(flt, 86400)["count"].tolist() == [1]   # the day counts lack the bulk row
    assert store.recount_days() is True
    assert store.headline_counts(flt, 86400)["count"].tolist() == [1, 1]
    assert store.data_version() == version + 1 and store.changed_since(version, utc(1990, 1, 1), None)
    assert store.recount_days() is False and store.data_version() == version + 1


def test_a_consistent_read_sees_one_state_of_the_store_and_refuses_writes(store):
    items, tag = _tagged_headlines()
    store.write_headlines(items[:10], tag=tag)
    version = store.data_version()
    with store.consistent_read() as view:
        assert view.count_headlines() == 10
        store.write_headlines(items[10:30], tag=tag)   # committed by another connection meanwhile
        assert view.count_headlines() == 10
        assert len(view.headlines()) == 10
        assert view.data_version() == version
        assert view.headline_counts(HeadlineFilter(), 86400)["count"].sum() == 10
        with pytest.raises(ReadOnlyStore, match="read-only consistent read of the store"):
            view.write_headlines(items[30:31])
    assert store.count_headlines() == 30
    assert store.data_version() == version + 1
    with store.consistent_read() as view:
        assert view.count_headlines() == 30


def test_the_newest_data_point_counts_known_closes_and_exact_headline_times(store):
    """Where the preset ranges end: the newest close known by now (its trading day, or when it
    became known if later), the newest headline with an exact time; an inferred or date-only time
    never; `now` when only such data is stored; None for an empty store."""
    from ingest.close_rules import cbr_rule

    now = utc(2026, 3, 16, 15)
    assert store.latest_data_time(now) is None
    store.write_headlines([Headline(source="page:x", guid="p", title="A 2016 article saved today",
                                    published=utc(2026, 3, 16, 9), fetched=utc(2026, 3, 16, 9), time_inferred=True),
                           Headline(source="reddit", guid="d", title="A day", published=utc(2026, 3, 16),
                                    fetched=utc(2026, 3, 16, 9), day_precision=True)])
    assert store.latest_data_time(now) == now
    days = pd.Series(pd.to_datetime(["2026-03-14", "2026-03-17"], utc=True))
    rates = close_bars(days, [90.0, 91.0], known=cbr_rule().known(days))   # the 17th's rate: known 16th 14:00 UTC
    store.write_bars("usd_rub", "1d", "cbr", rates, utc(2026, 3, 16, 14, 5))
    assert store.latest_data_time(now) == utc(2026, 3, 17)              # the rate for tomorrow, as pages show it
    assert store.latest_data_time(utc(2026, 3, 16, 13)) == utc(2026, 3, 14)   # before its publication
    brent = close_bars(pd.Series(pd.to_datetime(["2026-03-18"], utc=True)), [70.0])    # known 03-19 00:00
    store.write_bars("brent", "1d", "import", brent, utc(2026, 3, 18, 12))   # written during the session
    assert store.latest_data_time(utc(2026, 3, 20)) == utc(2026, 3, 17)      # provisional: does not count
    store.write_headlines([Headline(source="wire", guid="w", title="Exact", published=utc(2026, 3, 17, 8),
                                    fetched=utc(2026, 3, 17, 8))])
    assert store.latest_data_time(utc(2026, 3, 20)) == utc(2026, 3, 17, 8)


def test_a_changed_close_rule_recomputes_the_known_times_of_the_instruments_daily_bars(store):
    """The configured rule is stored with the instrument; changing it (close_time, or the Bank of
    Russia's publication time) computes every daily bar's known time again and marks the data
    changed; a rule a source learned (Yahoo's metadata) is remembered the same way."""
    from ingest.close_rules import parse_rule
    from ingest.config import Config
    from ingest.records import FetchResult, PriceBatch

    config = Config()
    store.sync_config(config)
    days = pd.Series(pd.to_datetime(["2025-01-10", "2025-07-15"], utc=True))
    store.write_bars("brent", "1d", "import", close_bars(days, [75.0, 70.0], known=days), utc(2026, 1, 1))
    store.write_bars("usd_rub", "1d", "cbr", close_bars(days, [99.0, 80.0], known=days), utc(2026, 1, 1))
    assert store.close_rules()["brent"] == "19:30 Europe/London"
    version = store.data_version()
    assert store.sync_config(config) == []                   # nothing changed: nothing recomputed
    assert store.data_version() == version

    def known(instrument: str) -> list[str]:
        return [t.isoformat() for t in store.bars([instrument], "1d")["known"]]

    dumped = config.model_dump()
    dumped["instruments"][2]["close_time"] = "14:30 America/New_York"
    dumped["sources"]["cbr"]["published"] = "15:30"
    changed = Config.model_validate(dumped)
    assert store.sync_config(changed) == ["usd_rub", "eur_rub", "brent"]
    assert store.data_version() == version + 1
    assert known("brent") == ["2025-01-10T19:30:00+00:00", "2025-07-15T18:30:00+00:00"]   # EST, EDT
    assert known("usd_rub") == ["2025-01-09T12:30:00+00:00", "2025-07-14T12:30:00+00:00"]
    assert store.close_rules()["usd_rub"] == "cbr 15:30 Europe/Moscow"

    # a rule a source learned: remembered, and the bars stored before follow it too
    rule = parse_rule("23:00 Europe/London")
    store.write_bars("eur_rub_mkt", "1d", "import", close_bars(days[:1], [100.0], known=days[:1]), utc(2026, 1, 1))
    learned = PriceBatch("eur_rub_mkt", "1d", "yahoo", close_bars(days[1:], [90.0], known=rule.known(days[1:])),
                         close_rule=rule.text)
    run = store.start_run("refresh", "yahoo:eur_rub_mkt:1d", utc(2026, 1, 1), "prices")
    store.commit_result(run, FetchResult(prices=[learned]), utc(2026, 1, 1))
    assert store.close_rules()["eur_rub_mkt"] == "23:00 Europe/London"
    assert known("eur_rub_mkt") == ["2025-01-10T23:00:00+00:00", "2025-07-15T22:00:00+00:00"]


def test_retag_takes_each_committed_chunk_off_the_queue_and_retag_queued_every_entry(store):
    """Store.retag commits one chunk at a time, each taken off the retag queue with it (an
    interrupted retag leaves only the rest queued); at its end the queue is emptied, entries of
    headlines no longer stored too. retag_queued takes every entry it handled off the queue."""
    store.write_headlines([Headline(source="s", guid=f"g{i}", title=f"Title {i}", published=utc(2026, 5, i + 1),
                                    fetched=utc(2026, 5, i + 1)) for i in range(3)])

    def queue(ids=None):
        with store.engine.begin() as conn:
            for headline_id in ids or ():
                conn.execute(text("INSERT INTO retag_queue (headline_id) VALUES (:i)"), {"i": headline_id})
            return [r[0] for r in conn.execute(text("SELECT headline_id FROM retag_queue ORDER BY headline_id"))]

    ids = store.headlines(sort="published")["id"].tolist()
    queue([*ids, 999])

    def stop(count):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        store.retag(lambda h: [("topic", "x")], chunk=2, progress=stop)
    assert queue() == [ids[2], 999]
    assert store.retag(lambda h: [("topic", "x")], chunk=2) == 3
    assert queue() == []
    queue([ids[1], 999])
    assert store.retag_queued(lambda h: [("topic", "y")], chunk=1) == 1
    assert queue() == []
    assert store.headlines(sort="published")["topics"].tolist() == ["x", "y", "x"]


def test_merge_sighting_keeps_the_first_real_time_and_the_latest_text():
    from typing import NamedTuple

    from ingest.store.headline_writes import merge_sighting

    class Stored(NamedTuple):
        published: int
        time_inferred: bool
        day_precision: bool

    def seen(published: int, inferred: bool = False, day: bool = False) -> dict:
        return {"title": "New title", "summary": "s", "text_truncated": False, "link": "https://x.test/a",
                "published": published, "time_inferred": inferred, "day_precision": day}

    text = {"title": "New title", "summary": "s", "text_truncated": False, "link": "https://x.test/a"}
    # seen later again: the first time stays, the text is the latest
    assert merge_sighting(Stored(100, False, False), seen(200)) == {**text, "published": 100, "time_inferred": False,
                                                                    "day_precision": False}
    # an earlier real time than the stored one: the earlier is kept (it is the first sighting)
    assert merge_sighting(Stored(100, False, False), seen(50))["published"] == 50
    # an inferred time never replaces a real one, even an earlier inferred one
    assert merge_sighting(Stored(100, False, False), seen(50, inferred=True))["published"] == 100
    # a real time replaces an inferred one
    assert merge_sighting(Stored(100, True, False), seen(200)) == {**text, "published": 200, "time_inferred": False,
                                                                   "day_precision": False}
    # the same midnight again, now said to be a date alone: its precision is what the source says now
    assert merge_sighting(Stored(86400, False, False), seen(86400, day=True))["day_precision"] is True
    # a later sighting does not change the stored time's precision
    assert merge_sighting(Stored(86400, False, True), seen(90000))["day_precision"] is True


def _group_day_table(store) -> list[tuple[str, int, str, int]]:
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT by, day, name, stories FROM story_group_days ORDER BY by, day, name"))]


def _group_days_by_hand(store) -> list[tuple[str, int, str, int]]:
    """story_group_days worked out from the stories themselves: first copies per UTC day and
    source, and per UTC day and topic."""
    rows = store.headlines(HeadlineFilter(stories_only=True))
    epoch = rows["published"].dt.as_unit("s").astype("int64")
    rows = rows.assign(day=(epoch - epoch % 86400).to_numpy())
    sources = rows.groupby(["day", "source"]).size()
    topics = rows.assign(topic=[t.split(";") if isinstance(t, str) and t else [] for t in rows["topics"]])
    topics = topics.explode("topic")
    topics = topics[topics["topic"].notna()].groupby(["day", "topic"]).size()
    kinds = rows[rows["story_kind"] != "none"].groupby(["day", "story_kind"]).size()
    return sorted([("source", int(d), s, int(n)) for (d, s), n in sources.items()]
                  + [("topic", int(d), t, int(n)) for (d, t), n in topics.items()]
                  + [("risk", int(d), k, int(n)) for (d, k), n in kinds.items()])


def test_stories_per_day_and_group_follow_writes_retags_and_deletes(store):
    """story_group_days (schema v11) is kept by each write, a retag with other topics and a
    delete; the badge colours' counts by topic and source in buckets of whole days — windows with
    part-days at either end, a day alone, none — equal counting the stories themselves."""
    from ingest.store.deletion import DeleteFilter

    items, tag = _tagged_headlines()
    windows = [HeadlineFilter(), HeadlineFilter(start=utc(2024, 3, 2, 13), end=utc(2024, 3, 19, 4)),
               HeadlineFilter(start=utc(2024, 3, 3), end=utc(2024, 3, 8, 23, 59, 59)),
               HeadlineFilter(start=utc(2024, 3, 4, 2), end=utc(2024, 3, 4, 20)),
               HeadlineFilter(start=utc(2030, 1, 1), end=utc(2030, 2, 1))]

    def check():
        assert _group_day_table(store) == _group_days_by_hand(store)
        for flt in windows:
            stories = store.headlines(replace(flt, stories_only=True))
            for by in ("topic", "source", "risk"):
                values = ([t.split(";") if isinstance(t, str) and t else [] for t in stories["topics"]]
                          if by == "topic" else [[v] for v in stories["source"]] if by == "source"
                          else [[k] if k != "none" else [] for k in stories["story_kind"]])
                for bucket in (86400, 7 * 86400):
                    epoch = stories["published"].dt.as_unit("s").astype("int64")
                    by_hand = pd.DataFrame({"bucket": (epoch - epoch % bucket).to_numpy(), "group": values}) \
                        .explode("group")
                    by_hand = by_hand[by_hand["group"].notna()].groupby(["bucket", "group"]).size()
                    counted = store.story_group_counts(flt, bucket, by)
                    got = {(int(b.timestamp()), g): n for b, g, n in counted.itertuples(index=False)}
                    assert got == {(int(b), g): int(n) for (b, g), n in by_hand.items()}, (flt, by, bucket)

    def risky(h: Headline):   # threats and acts by number; "Syria" stories one of each
        number = int(h.guid[1:])
        kinds = [("gpr", "war_threats")] if number % 3 == 0 else [("gpr", "terror_acts")] if number % 4 == 1 else []
        return [*tag(h), *kinds]

    store.write_headlines(items[:80], tag=risky)
    check()
    store.write_headlines(items[80:], tag=risky)
    day = int(utc(2024, 3, 1).timestamp())
    assert ("topic", day, "Energy", 1) in _group_day_table(store)
    assert {row[2] for row in _group_day_table(store) if row[0] == "risk"} == {"act", "threat", "both"}
    check()
    # a copy of a threat, a day later and from another source, brings an act: the story's kind
    # (on its first copy, another day than the one written) becomes "both"
    stories = store.headlines(HeadlineFilter(stories_only=True))
    first = stories[stories["story_kind"] == "threat"].iloc[0]
    later = first["published"] + pd.Timedelta(hours=30)
    assert later.floor("D") != first["published"].floor("D")
    store.write_headlines([Headline(source="Wire", guid="w1", title=first["title"], published=later,
                                    fetched=utc(2024, 6, 1))], tag=lambda h: [("gpr", "terror_acts")])
    assert store.headlines(ids=[int(first["id"])])["story_kind"].tolist() == ["both"]
    check()
    store.retag(lambda h: [("topic", "Everything")])   # other topics, no risk: every day's counts change
    assert {row[2] for row in _group_day_table(store) if row[0] == "topic"} == {"Everything"}
    assert not [row for row in _group_day_table(store) if row[0] == "risk"]
    check()
    store.delete_rows("headlines", DeleteFilter(sources=("BBC",)))
    assert "BBC" not in {row[2] for row in _group_day_table(store)}
    check()
