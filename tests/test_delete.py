"""`newsmarks delete`: repairing a store by deleting headlines, price bars or ticker snapshots, with
everything derived from them (tags, full-text index, day counts, story links, the data version),
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from dashboard.commands import newsmarks_cli
from ingest.records import Headline, TickerSnapshot
from ingest.store import HeadlineFilter
from ingest.store import deletion as store_deletion
from ingest.store.deletion import DeleteCounts, DeleteError, DeleteFilter
from tests.conftest import close_bars as bar_frame
from tests.conftest import utc

DAY = 86400
NOW = utc(2026, 3, 2, 12)
PAGE = "page:news-page-header-tickers.txt"


def tag(item: Headline) -> list[tuple[str, str]]:
    """Two tags for every headline, a third for oil."""
    tags = [("topic", "World"), ("sentiment", "neutral")]
    return tags + [("topic", "Energy")] if "oil" in item.title.lower() else tags


def headline(source: str, guid: str, title: str, published, inferred: bool = False) -> Headline:
    return Headline(source=source, guid=guid, title=title, published=published, fetched=NOW,
                    time_inferred=inferred)


HEADLINES = [
    headline(PAGE, "p1", "Oil output freeze agreed in Doha", utc(2026, 3, 1, 9), inferred=True),   # a 2016 article
    headline(PAGE, "p2", "Rouble firms after central bank decision", utc(2026, 3, 1, 9, 5)),
    headline(PAGE, "p3", "Pipeline talks stall", utc(2026, 3, 2, 11), inferred=True),  # the fetch time
    headline("BBC World", "b1", "Sanctions talks resume in Geneva", utc(2026, 2, 27, 8)),
    headline("BBC World", "b2", "Oil prices slip", utc(2026, 3, 1, 14)),
    headline("TASS", "t1", "Sanctions talks resume in Geneva", utc(2026, 2, 27, 10)),
]


@pytest.fixture
def run(cli_run):
    """`newsmarks delete ARGS…` on the test's store."""
    return lambda *args: cli_run("delete", *args)

def rows(store, sql: str) -> list[tuple]:
    with store.reading() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def stored_headlines(store) -> list[tuple[str, str]]:
    return [(s, g) for s, g in rows(store, "SELECT source, guid FROM headlines ORDER BY source, guid")]


def stored_tags(store) -> list[tuple[str, str, str]]:
    return rows(store, "SELECT h.guid, t.kind, t.tag FROM headline_tags t LEFT JOIN headlines h "
                       "ON h.id = t.headline_id ORDER BY h.guid, t.kind, t.tag")


def day_table(store) -> list[tuple[int, int, int]]:
    return rows(store, "SELECT day, headlines, stories FROM headline_days ORDER BY day")


def expected_day_table(store) -> list[tuple[int, int, int]]:
    """The day counts as counted from the headlines themselves (days from 1970)."""
    frame = store.headlines()
    seconds = frame["published"].dt.as_unit("s").astype("int64")
    first = frame["story_id"] == frame["id"]
    all_days = Counter((s - s % DAY) for s in seconds)
    story_days = Counter((s - s % DAY) for s, f in zip(seconds, first, strict=True) if f)
    return [(day, count, story_days.get(day, 0)) for day, count in sorted(all_days.items())]


def check_derived(store) -> None:
    """Tags, the full-text index and the day counts agree with the headlines left."""
    assert rows(store, "SELECT count(*) FROM headline_tags WHERE headline_id NOT IN (SELECT id FROM headlines)") \
        == [(0,)]
    if store.engine.dialect.name == "sqlite":
        with store.writing() as conn:   # raises when the index holds rows the table does not
            conn.execute(text("INSERT INTO headlines_fts(headlines_fts, rank) VALUES ('integrity-check', 1)"))
    else:
        assert rows(store, "SELECT headline_id FROM headlines_search ORDER BY headline_id") == \
            rows(store, "SELECT id FROM headlines ORDER BY id")
    assert day_table(store) == expected_day_table(store)
    window = HeadlineFilter(start=utc(2026, 1, 1), end=utc(2100, 1, 1) - timedelta(seconds=1))
    for stories in (False, True):
        counts = store.headline_counts(HeadlineFilter(start=window.start, end=window.end, stories_only=stories), DAY)
        got = list(zip(counts["bucket"].dt.as_unit("s").astype("int64").tolist(), counts["count"].tolist(),
                       strict=True))
        assert got == [(day, s if stories else n) for day, n, s in expected_day_table(store) if (s if stories else n)]


# -- headlines -----------------------------------------------------------------------------------

def test_dry_run_counts_and_changes_nothing(store, run):
    store.write_headlines(HEADLINES, tag=tag)
    version, before, tags = store.data_version(), stored_headlines(store), stored_tags(store)
    result = run("headlines", "--source", PAGE, "--inferred-only")
    assert result.exit_code == 0
    assert result.output == (f"would delete 2 headlines (source {PAGE}, inferred times only); "
                             "run again with --yes to delete them\n"
                             "  with them: 5 tags\n")
    assert stored_headlines(store) == before and stored_tags(store) == tags
    assert store.data_version() == version


def test_yes_deletes_exactly_the_matching_headlines_and_what_derives_from_them(store, run):
    store.write_headlines(HEADLINES, tag=tag)
    check_derived(store)
    version = store.data_version()
    assert store.headlines(query="Doha")["guid"].tolist() == ["p1"]
    result = run("headlines", "--source", PAGE, "--inferred-only", "--yes")
    assert result.exit_code == 0
    assert result.output == f"deleted 2 headlines (source {PAGE}, inferred times only)\n  with them: 5 tags\n"
    assert stored_headlines(store) == [("BBC World", "b1"), ("BBC World", "b2"), ("TASS", "t1"), (PAGE, "p2")]
    assert stored_tags(store) == [
        ("b1", "sentiment", "neutral"), ("b1", "topic", "World"),
        ("b2", "sentiment", "neutral"), ("b2", "topic", "Energy"), ("b2", "topic", "World"),
        ("p2", "sentiment", "neutral"), ("p2", "topic", "World"),
        ("t1", "sentiment", "neutral"), ("t1", "topic", "World")]
    assert store.headlines(query="Doha").empty and store.headlines(query="Pipeline").empty
    assert store.headlines(query="oil")["guid"].tolist() == ["b2"]
    check_derived(store)
    assert day_table(store) == [(int(utc(2026, 2, 27).timestamp()), 2, 1), (int(utc(2026, 3, 1).timestamp()), 2, 2)]
    # one new data version, whose change spans the deleted times
    assert store.data_version() == version + 1
    assert store.changed_since(version, utc(2026, 3, 1), utc(2026, 3, 1, 23)) is True
    assert store.changed_since(version, utc(2026, 3, 2, 11), utc(2026, 3, 3)) is True
    assert store.changed_since(version, utc(2026, 2, 27), utc(2026, 2, 28)) is False
    # a rerun finds nothing, changes nothing
    again = run("headlines", "--source", PAGE, "--inferred-only", "--yes")
    assert again.exit_code == 0
    assert again.output == f"nothing to delete: no headlines match (source {PAGE}, inferred times only)\n"
    assert store.data_version() == version + 1


def test_a_new_headline_taking_a_deleted_ones_id_is_not_found_by_its_words(store, run):
    store.write_headlines(HEADLINES, tag=tag)
    newest = store.headlines()["id"].max()
    assert store.headlines(sources=["TASS"])["id"].tolist() == [newest]
    result = run("headlines", "--source", "TASS", "--yes")
    assert result.output == "deleted 1 headline (source TASS)\n  with them: 2 tags\n"
    store.write_headlines([headline("TASS", "t2", "Grain deal extended", utc(2026, 3, 2))], tag=tag)
    if store.engine.dialect.name == "sqlite":
        assert store.headlines(sources=["TASS"])["id"].tolist() == [newest]   # SQLite gave its id again
    assert store.headlines(query="Geneva")["guid"].tolist() == ["b1"]
    assert store.headlines(query="grain")["guid"].tolist() == ["t2"]
    check_derived(store)


def test_time_range_with_dates_is_whole_days_inclusive(store, run):
    store.write_headlines(HEADLINES, tag=tag)
    result = run("headlines", "--start", "2026-03-01", "--end", "2026-03-01", "--yes")
    assert result.output == ("deleted 3 headlines (2026-03-01T00:00:00Z to 2026-03-01T23:59:59Z)\n"
                             "  with them: 8 tags\n")
    assert stored_headlines(store) == [("BBC World", "b1"), ("TASS", "t1"), (PAGE, "p3")]
    check_derived(store)
    timed = run("headlines", "--start", "2026-02-27T08:00:00", "--end", "2026-02-27T09:59:59", "--yes")
    assert timed.output == ("deleted 1 headline (2026-02-27T08:00:00Z to 2026-02-27T09:59:59Z)\n"
                            "  with them: 2 tags, 1 other copy of their stories relinked\n")
    assert stored_headlines(store) == [("TASS", "t1"), (PAGE, "p3")]
    check_derived(store)


def test_deleting_a_storys_first_copy_makes_the_earliest_remaining_one_first(store, run):
    title = "Ceasefire talks open in Istanbul"
    # written in this order: the 12:00 copy gets a smaller id than the 11:00 one
    store.write_headlines([headline("A", "a", title, utc(2026, 3, 1, 10))], tag=tag)
    store.write_headlines([headline("C", "c", title, utc(2026, 3, 1, 12))], tag=tag)
    store.write_headlines([headline("B", "b", title + "!", utc(2026, 3, 1, 11))], tag=tag)
    frame = store.headlines()
    ids = dict(zip(frame["source"], frame["id"], strict=True))
    assert dict(zip(frame["source"], frame["story_id"], strict=True)) == {"A": ids["A"], "B": ids["A"], "C": ids["A"]}
    assert ids["C"] < ids["B"]
    version = store.data_version()
    dry = run("headlines", "--source", "A")
    assert dry.output == ("would delete 1 headline (source A); run again with --yes to delete them\n"
                          "  with them: 2 tags, 2 other copies of their stories relinked\n")
    result = run("headlines", "--source", "A", "--yes")
    assert result.exit_code == 0
    assert result.output == ("deleted 1 headline (source A)\n"
                             "  with them: 2 tags, 2 other copies of their stories relinked\n")
    frame = store.headlines()
    assert frame[["source", "story_id"]].values.tolist() == [["B", ids["B"]], ["C", ids["B"]]]
    assert rows(store, "SELECT source, story_id FROM headlines ORDER BY source") == [("B", None), ("C", ids["B"])]
    assert store.headlines(stories_only=True)["source"].tolist() == ["B"]
    assert store.headline_counts(HeadlineFilter(start=utc(2026, 3, 1), end=utc(2026, 3, 1, 23, 59, 59),
                                                stories_only=True), DAY)["count"].tolist() == [1]
    assert day_table(store) == [(int(utc(2026, 3, 1).timestamp()), 2, 1)]
    check_derived(store)
    assert store.data_version() == version + 1
    # a copy that arrives later joins the story at its new first copy
    store.write_headlines([headline("D", "d", title, utc(2026, 3, 1, 13))], tag=tag)
    assert store.headlines(sources=["D"])["story_id"].tolist() == [ids["B"]]
    assert store.headlines(stories_only=True)["source"].tolist() == ["B"]
    # deleting a copy that is not the first relinks nothing
    assert run("headlines", "--source", "C", "--yes").output == "deleted 1 headline (source C)\n  with them: 2 tags\n"
    assert rows(store, "SELECT source, story_id FROM headlines ORDER BY source") == [("B", None), ("D", ids["B"])]
    check_derived(store)


def test_deleting_a_whole_story_relinks_nothing(store, run):
    store.write_headlines(HEADLINES, tag=tag)
    result = run("headlines", "--source", "BBC World", "--source", "TASS", "--yes")
    assert result.output == "deleted 3 headlines (sources BBC World, TASS)\n  with them: 7 tags\n"
    assert stored_headlines(store) == [(PAGE, "p1"), (PAGE, "p2"), (PAGE, "p3")]
    check_derived(store)


def test_all_deletes_every_headline(store, run):
    store.write_headlines(HEADLINES, tag=tag)
    assert run("headlines", "--all").output == ("would delete 6 headlines (all of them); "
                                                "run again with --yes to delete them\n  with them: 14 tags\n")
    assert run("headlines", "--all", "--yes").output == "deleted 6 headlines (all of them)\n  with them: 14 tags\n"
    assert stored_headlines(store) == [] and stored_tags(store) == [] and day_table(store) == []
    check_derived(store)
    assert run("headlines", "--all", "--yes").output == "nothing to delete: no headlines match (all of them)\n"


# -- prices --------------------------------------------------------------------------------------

def close_bars(ts, close) -> pd.DataFrame:
    """Bars with times and closes only, their closes known at their start."""
    frame = bar_frame(ts, close)
    frame["known"] = frame["ts"]
    return frame


def seed_bars(store) -> None:
    days = pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-04"], utc=True)
    store.write_bars("brent", "1d", "yahoo", close_bars(days, [100.0, 101.0, 102.0, 103.0]), NOW)
    hours = pd.to_datetime(["2022-03-02T10:00Z", "2022-03-03T10:00Z"], utc=True)
    store.write_bars("brent", "1h", "yahoo", close_bars(hours, [101.5, 102.5]), NOW)
    store.write_bars("usd_rub", "1d", "cbr", close_bars(days[:3], [95.0, 96.0, 97.0]), NOW)
    store.write_bars("usd_rub_mkt", "1d", "import", close_bars(days[1:3], [94.0, 95.0]), NOW)


def stored_bars(store) -> list[tuple[str, str, str]]:
    frame = store.bars()
    return list(zip(frame["instrument_id"], frame["interval"], frame["ts"].dt.strftime("%m-%dT%H"), strict=True))


def test_prices_by_instrument_interval_and_dates(store, run):
    seed_bars(store)
    version = store.data_version()
    args = ("prices", "--instrument", "brent", "--interval", "1d", "--start", "2022-03-02", "--end", "2022-03-03")
    described = "instrument brent, interval 1d, 2022-03-02T00:00:00Z to 2022-03-03T23:59:59Z"
    assert run(*args).output == f"would delete 2 price bars ({described}); run again with --yes to delete them\n"
    assert len(stored_bars(store)) == 11 and store.data_version() == version
    assert run(*args, "--yes").output == f"deleted 2 price bars ({described})\n"
    assert stored_bars(store) == [
        ("brent", "1d", "03-01T00"), ("brent", "1d", "03-04T00"),
        ("brent", "1h", "03-02T10"), ("brent", "1h", "03-03T10"),
        ("usd_rub", "1d", "03-01T00"), ("usd_rub", "1d", "03-02T00"), ("usd_rub", "1d", "03-03T00"),
        ("usd_rub_mkt", "1d", "03-02T00"), ("usd_rub_mkt", "1d", "03-03T00")]
    assert store.data_version() == version + 1
    assert store.changed_since(version, utc(2022, 3, 3), utc(2022, 3, 3)) is True
    assert store.changed_since(version, utc(2022, 3, 4), utc(2022, 3, 5)) is False
    assert run(*args, "--yes").output == f"nothing to delete: no price bars match ({described})\n"
    assert store.data_version() == version + 1


def test_prices_by_source(store, run):
    seed_bars(store)
    assert run("prices", "--source", "import", "--yes").output == "deleted 2 price bars (source import)\n"
    assert run("prices", "--source", "cbr", "--instrument", "usd_rub", "--start", "2022-03-02T00:00:00",
               "--yes").output == "deleted 2 price bars (source cbr, instrument usd_rub, from 2022-03-02T00:00:00Z)\n"
    assert [b for b in stored_bars(store) if b[0] != "brent"] == [("usd_rub", "1d", "03-01T00")]
    assert len(stored_bars(store)) == 7


# -- snapshots -----------------------------------------------------------------------------------

def seed_snapshots(store) -> None:
    def snap(source, mark, value, when, how, instrument):
        return TickerSnapshot(source=source, mark=mark, value=value, captured_at=when, captured_from=how,
                              instrument_id=instrument)

    store.write_snapshots([
        snap(PAGE, "$", 57.49, utc(2026, 3, 1, 9), "file", "usd_rub"),
        snap(PAGE, "€", 62.1, utc(2026, 3, 1, 9), "file", "eur_rub"),
        snap(PAGE, "BR", 90.06, utc(2026, 3, 1, 9), "file", "brent"),
        snap("page:other.html", "$", 87.7, utc(2024, 5, 1, 9, 30), "given", "usd_rub"),
        snap("page:other.html", "$", 88.1, utc(2024, 5, 2, 9, 30), "fetch", "usd_rub"),
    ])


def stored_snapshots(store) -> list[tuple[str, str, str]]:
    frame = store.snapshots()
    return list(zip(frame["source"], frame["mark"], frame["captured_from"], strict=True))


def test_snapshots_with_inferred_only(store, run):
    seed_snapshots(store)
    version = store.data_version()
    assert run("snapshots", "--inferred-only").output == (
        "would delete 3 ticker snapshots (inferred capture times only); run again with --yes to delete them\n")
    assert len(stored_snapshots(store)) == 5
    assert run("snapshots", "--inferred-only", "--instrument", "usd_rub", "--yes").output == (
        "deleted 1 ticker snapshot (instrument usd_rub, inferred capture times only)\n")
    assert run("snapshots", "--inferred-only", "--yes").output == (
        "deleted 2 ticker snapshots (inferred capture times only)\n")
    assert stored_snapshots(store) == [("page:other.html", "$", "given"), ("page:other.html", "$", "fetch")]
    assert store.data_version() == version + 2
    assert run("snapshots", "--source", "page:other.html", "--end", "2024-05-01", "--yes").output == (
        "deleted 1 ticker snapshot (source page:other.html, up to 2024-05-01T23:59:59Z)\n")
    assert stored_snapshots(store) == [("page:other.html", "$", "fetch")]


# -- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["headlines"], "no filter given: choose the headlines to delete with --source, --start, --end, "
                    "--inferred-only, or pass --all to delete every one of them"),
    (["prices", "--yes"], "no filter given: choose the prices to delete with --source, --instrument, --interval, "
                          "--start, --end, or pass --all to delete every one of them"),
    (["headlines", "--instrument", "brent", "--yes"],
     "--instrument does not apply to headlines (only to prices and snapshots)"),
    (["headlines", "--interval", "1d"], "--interval does not apply to headlines (only to prices)"),
    (["snapshots", "--interval", "1h", "--yes"], "--interval does not apply to snapshots (only to prices)"),
    (["prices", "--inferred-only", "--yes"],
     "--inferred-only does not apply to prices (only to headlines and snapshots)"),
    (["headlines", "--all", "--source", PAGE, "--yes"],
     "--all deletes every row of headlines: it cannot be combined with --source"),
    (["prices", "--start", "2022-03-04", "--end", "2022-03-01", "--yes"],
     "--start 2022-03-04T00:00:00Z is after --end 2022-03-01T23:59:59Z"),
    (["headlines", "--source", " ", "--yes"], "--source needs a name, got an empty one"),
])
def test_refusals_touch_nothing(store, run, args, message):
    store.write_headlines(HEADLINES, tag=tag)
    seed_bars(store)
    version, before = store.data_version(), (stored_headlines(store), stored_bars(store))
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.endswith(f"\nError: {message}\n")
    assert (stored_headlines(store), stored_bars(store)) == before and store.data_version() == version


def test_bad_values_are_refused_by_click(run):
    result = run("prices", "--start", "yesterday", "--yes")
    assert result.exit_code == 2
    assert "Invalid value for '--start': 'yesterday' does not match the formats" in result.output
    assert run("trades", "--all").exit_code == 2


def test_help_has_an_example():
    result = CliRunner().invoke(newsmarks_cli(), ["delete", "--help"])
    assert result.exit_code == 0
    assert "  Example:\n    newsmarks delete headlines " in result.output
    assert "backfill-news" in result.output


# -- the store's API -----------------------------------------------------------------------------

def test_store_counts_equal_what_it_deletes_and_refuses_bad_filters(store):
    store.write_headlines(HEADLINES, tag=tag)
    flt = DeleteFilter(sources=("BBC World",))
    counted = store.count_deletable("headlines", flt)
    assert counted == DeleteCounts("headlines", headlines=2, tags=5, relinked=1,
                                   first=int(utc(2026, 2, 27, 8).timestamp()),
                                   last=int(utc(2026, 3, 1, 14).timestamp()))
    # the changed span reaches the TASS copy that would become its story's first copy
    assert store.count_deletable("headlines", DeleteFilter(sources=("BBC World",), end=utc(2026, 2, 27, 23))) == \
        DeleteCounts("headlines", headlines=1, tags=2, relinked=1, first=int(utc(2026, 2, 27, 8).timestamp()),
                     last=int(utc(2026, 2, 27, 10).timestamp()))
    deleted = store.delete_rows("headlines", flt)
    assert (deleted.headlines, deleted.tags, deleted.relinked) == (2, 5, 1)
    assert (deleted.first, deleted.last) == (counted.first, counted.last)
    assert store.count_deletable("headlines", flt) == DeleteCounts("headlines")
    for kind, bad in [("headlines", DeleteFilter()), ("headlines", DeleteFilter(instrument_ids=("brent",))),
                      ("prices", DeleteFilter(inferred_only=True)), ("trades", DeleteFilter(everything=True)),
                      ("prices", DeleteFilter(everything=True, interval="1d")),
                      ("prices", DeleteFilter(instrument_ids=("brent", " ")))]:
        with pytest.raises(DeleteError):
            store.delete_rows(kind, bad)
    assert len(stored_headlines(store)) == 4


def test_the_stores_check_names_the_fields_it_refuses():
    """The command words the store's refusals itself (its options for the filter's fields)."""
    def refusal(kind, flt):
        with pytest.raises(DeleteError) as error:
            store_deletion.check(kind, flt)
        return error.value.reason, error.value.fields

    assert refusal("headlines", DeleteFilter(interval="1d", instrument_ids=("brent",))) == \
        ("applies", ("instrument_ids", "interval"))
    assert refusal("prices", DeleteFilter(instrument_ids=("brent", " "))) == ("empty", ("instrument_ids",))
    assert refusal("prices", DeleteFilter(everything=True, sources=("cbr",), interval="1d")) == \
        ("everything", ("sources", "interval"))
    assert refusal("snapshots", DeleteFilter()) == ("none", ())
    assert refusal("prices", DeleteFilter(start=utc(2022, 3, 4), end=utc(2022, 3, 1))) == ("order", ("start", "end"))
    assert refusal("trades", DeleteFilter(everything=True)) == ("kind", ())


def test_a_failure_midway_rolls_everything_back(store, monkeypatch):
    store.write_headlines(HEADLINES, tag=tag)
    version, before, tags, days = store.data_version(), stored_headlines(store), stored_tags(store), day_table(store)

    def broken(conn, times):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_deletion, "refresh_touched_days", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        store.delete_rows("headlines", DeleteFilter(sources=("BBC World",)))
    assert (stored_headlines(store), stored_tags(store), day_table(store)) == (before, tags, days)
    assert rows(store, "SELECT count(*) FROM headlines WHERE story_id IS NOT NULL") == [(1,)]
    assert store.headlines(query="Geneva")["guid"].tolist() == ["b1", "t1"]
    assert store.data_version() == version
