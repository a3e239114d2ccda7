"""`newsmarks snapshot`: saved pages → stored snapshots and headlines, one run per page, against a
temporary store; URLs from a loopback server; the CLI and `export snapshots` via click's runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.runners.page_snapshots import snapshot_pages
from ingest.store import Store, WriteCounts
from tests.conftest import utc

TEXT_PAGE = "news-page-header-tickers.txt"
TASS_PAGE = "tass-ru-homepage-20180318-ticker-excerpt.html"
TITLE = "Lavrov: Russia and USA will not take part in talks of Syrian government and opposition"
TITLE_SHA1 = "10ba97d5570cfbb2731a8336e702b05acf6dfc24"
SUMMARY_START = "Russia and the United States have come to an unambiguous conclusion"
INSTRUMENTS = [
    {"id": "usd_rub", "label": "USD/RUB", "mark": "$", "source": "cbr", "ticker": "R01235"},
    {"id": "eur_rub", "label": "EUR/RUB", "mark": "€", "source": "cbr", "ticker": "R01239"},
    {"id": "brent", "label": "Brent", "mark": "BR", "source": "yahoo", "ticker": "BZ=F", "change": "pct"},
]
NOW = utc(2024, 5, 1, 12)
SNAPSHOT_FIELDS = ["source", "mark", "instrument_id", "value", "change", "change_pct", "captured_at",
                   "captured_from", "mark_inferred"]


@pytest.fixture
def config(make_config):
    return make_config(instruments=INSTRUMENTS)


@pytest.fixture
def pages(shared_data, tmp_path):
    """Copies of the real pages in a temporary folder (so their modification time can be set)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in (TEXT_PAGE, TASS_PAGE):
        shutil.copyfile(shared_data / "pages" / name, folder / name)
    return folder


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if isinstance(v, float) and v != v else v for v in row)
            for row in frame[SNAPSHOT_FIELDS].itertuples(index=False)]


def text_page_rows(captured, how, source=f"page:{TEXT_PAGE}"):
    stamp = pd.Timestamp(captured)
    return [(source, "$", "usd_rub", 87.70, -0.69, None, stamp, how, False),
            (source, "BR", "brent", 90.06, None, 0.64, stamp, how, False),
            (source, "€", "eur_rub", 95.44, -0.89, None, stamp, how, True)]


def test_given_time_stores_snapshots_and_headline(store, config, shared_data):
    given = utc(2024, 4, 30, 9, 15)
    [outcome] = snapshot_pages(store, config, [str(shared_data / "pages" / TEXT_PAGE)], captured_at=given, now=NOW)
    assert outcome.line() == (f"page:{TEXT_PAGE}: 3 snapshots ($ 87.70, € 95.44 (mark inferred), BR 90.06), "
                              "1 headline (time inferred); 4 new, 0 already stored")
    assert (outcome.status, outcome.counts) == ("ok", WriteCounts(new=4))
    assert rows(store.snapshots()) == text_page_rows(given, "given")
    [headline] = store.headlines().to_dict("records")
    assert {k: headline[k] for k in ("source", "guid", "title", "link", "published", "fetched", "time_inferred",
                                     "topics")} == {
        "source": f"page:{TEXT_PAGE}", "guid": f"{TEXT_PAGE}#sha1:{TITLE_SHA1}", "title": TITLE, "link": None,
        "published": pd.Timestamp(given), "fetched": pd.Timestamp(NOW), "time_inferred": True,
        "topics": "Syria;Talks"}
    assert headline["summary"].startswith(SUMMARY_START) and headline["summary"].endswith("in Zurich.")
    [run] = store.runs().to_dict("records")
    assert {k: run[k] for k in ("job", "source", "source_group", "status", "new_rows", "error")} == {
        "job": "snapshot", "source": f"page:{TEXT_PAGE}", "source_group": "pages", "status": "ok",
        "new_rows": 4, "error": None}


def test_file_time_and_rerun_store_nothing_twice(store, config, pages):
    path = pages / TEXT_PAGE
    modified = utc(2024, 3, 1, 8, 30, 5)
    os.utime(path, (modified.timestamp(), modified.timestamp() + 0.75))
    first = snapshot_pages(store, config, [str(path)], captured_at=None, now=NOW)
    again = snapshot_pages(store, config, [str(path)], captured_at=None, now=utc(2024, 5, 2))
    assert first[0].counts == WriteCounts(new=4)
    assert again[0].counts == WriteCounts(unchanged=4)
    # the page shows no date of its own: the file's date, inferred, and said to be
    assert first[0].line() == (f"page:{TEXT_PAGE}: 3 snapshots ($ 87.70, € 95.44 (mark inferred), BR 90.06), "
                               "1 headline (time inferred); 4 new, 0 already stored; "
                               "captured at the file's modification time (inferred)")
    assert again[0].line().endswith("1 headline (time inferred); 0 new, 4 already stored; "
                                    "captured at the file's modification time (inferred)")
    assert rows(store.snapshots()) == text_page_rows(modified, "file")
    [headline] = store.headlines().to_dict("records")
    assert (headline["published"], headline["time_inferred"], headline["day_precision"]) == (
        pd.Timestamp(modified), True, False)
    assert store.runs()["status"].tolist() == ["ok", "ok"]


def test_a_bad_target_is_an_error_run_and_the_others_are_stored(store, config, pages, tmp_path):
    empty, binary = tmp_path / "empty.txt", tmp_path / "logo.png"
    empty.write_bytes(b"")
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    missing = tmp_path / "missing.html"
    given = utc(2018, 3, 18, 0, 18, 38)
    outcomes = snapshot_pages(store, config, [str(empty), str(pages / TASS_PAGE), str(binary), str(missing)],
                              captured_at=given, now=NOW)
    assert [o.line() for o in outcomes] == [
        "page:empty.txt: error: empty.txt: the file is empty, not a news page",
        f"page:{TASS_PAGE}: 2 snapshots ($ 57.49 ↑, € 70.81 ↑; rates as of 2018-03-17), no headline; "
        "2 new, 0 already stored",
        "page:logo.png: error: logo.png: not a news page (binary data: NUL byte at offset 8)",
        f"page:missing.html: error: {missing}: cannot read the file (No such file or directory)",
    ]
    stamp = pd.Timestamp(given)
    assert rows(store.snapshots()) == [
        (f"page:{TASS_PAGE}", "$", "usd_rub", 57.49, None, None, stamp, "given", False),
        (f"page:{TASS_PAGE}", "€", "eur_rub", 70.81, None, None, stamp, "given", False)]
    assert store.snapshots()["direction"].tolist() == [1, 1]   # the arrows, kept
    assert len(store.headlines()) == 0
    runs = store.runs().sort_values("id")
    assert runs[["source", "status", "new_rows"]].values.tolist() == [
        ["page:empty.txt", "error", 0], [f"page:{TASS_PAGE}", "ok", 2], ["page:logo.png", "error", 0],
        ["page:missing.html", "error", 0]]
    assert runs["error"].tolist()[0] == "empty.txt: the file is empty, not a news page"


def test_problems_make_a_partial_run(store, config, tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("• $ 87.70 -0.69\n• 95.44 -0.89\n\nRouble slips as oil prices fall\n", encoding="utf-8")
    [outcome] = snapshot_pages(store, config, [str(path)], captured_at=utc(2024, 1, 1), now=NOW)
    problem = ("ticker item '95.44 -0.89' has no mark: left out (a position tells the mark only in the "
               "known layout: three bullet lines $, €, BR at the top)")
    assert outcome.line() == f"page:page.txt: 1 snapshot ($ 87.70), 1 headline (time inferred); 2 new, " \
                             f"0 already stored; problems: {problem}"
    [run] = store.runs().to_dict("records")
    assert (run["status"], run["error"]) == ("partial", problem)


def test_url_is_fetched_and_stamped_with_the_fetch_time(store, config, shared_data, web):
    web.add("lavrov", (shared_data / "pages" / TEXT_PAGE).read_bytes(), content_type="text/plain; charset=utf-8")
    url, gone = web.url_for("lavrov"), web.url_for("gone")   # no document "gone": 404
    fetched = utc(2024, 5, 1, 12, 0, 7, 500000)
    outcomes = snapshot_pages(store, config, [url, gone], captured_at=None, now=NOW, clock=lambda: fetched)
    assert [o.status for o in outcomes] == ["ok", "error"]
    assert outcomes[1].line() == f"page:127.0.0.1: error: page {gone}: HTTP 404 Not Found"
    assert rows(store.snapshots()) == text_page_rows(utc(2024, 5, 1, 12, 0, 7), "fetch", source="page:127.0.0.1")
    [headline] = store.headlines().to_dict("records")
    assert (headline["source"], headline["guid"], headline["link"]) == \
        ("page:127.0.0.1", f"{url}#sha1:{TITLE_SHA1}", url)


# -- the CLI -------------------------------------------------------------------------------------------

@pytest.fixture
def run(cli_run):
    return cli_run

def test_cli_snapshot_then_export(run, shared_data):
    text, tass = (str(shared_data / "pages" / name) for name in (TEXT_PAGE, TASS_PAGE))
    first = run("snapshot", text, "--captured-at", "2024-04-30T12:15:00+03:00")
    second = run("snapshot", tass, "--captured-at", "2018-03-18T00:18:38")  # naive: UTC
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.output == (f"page:{TEXT_PAGE}: 3 snapshots ($ 87.70, € 95.44 (mark inferred), BR 90.06), "
                            "1 headline (time inferred); 4 new, 0 already stored\n")
    assert second.output == (f"page:{TASS_PAGE}: 2 snapshots ($ 57.49 ↑, € 70.81 ↑; rates as of 2018-03-17), "
                             "no headline; 2 new, 0 already stored\n")
    exported = run("export", "snapshots")
    assert exported.output == (
        "captured_at_utc,source,mark,instrument_id,value,change,change_pct,captured_from,mark_inferred,direction\n"
        f"2018-03-18T00:18:38Z,page:{TASS_PAGE},$,usd_rub,57.49,,,given,false,up\n"
        f"2018-03-18T00:18:38Z,page:{TASS_PAGE},€,eur_rub,70.81,,,given,false,up\n"
        f"2024-04-30T09:15:00Z,page:{TEXT_PAGE},$,usd_rub,87.7,-0.69,,given,false,down\n"
        f"2024-04-30T09:15:00Z,page:{TEXT_PAGE},BR,brent,90.06,,0.64,given,false,up\n"
        f"2024-04-30T09:15:00Z,page:{TEXT_PAGE},€,eur_rub,95.44,-0.89,,given,true,down\n")
    status = run("status").output.splitlines()
    [line] = [x for x in status if x.startswith(f"page:{TEXT_PAGE}")]
    assert line.startswith(f"page:{TEXT_PAGE} (on demand)") and line.split()[5:7] == ["ok", "4"]
    assert line.split()[-1] == "1"   # its headline
    only_brent = run("export", "snapshots", "--instrument", "brent", "--start", "2024-04-30")
    assert only_brent.output.splitlines()[1:] == \
        [f"2024-04-30T09:15:00Z,page:{TEXT_PAGE},BR,brent,90.06,,0.64,given,false,up"]


def test_cli_exits_1_when_every_page_failed(run, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("snapshot", str(empty), str(tmp_path / "nope.txt"))
    assert result.exit_code == 1
    assert result.stdout == ("page:empty.txt: error: empty.txt: the file is empty, not a news page\n"
                             f"page:nope.txt: error: {tmp_path / 'nope.txt'}: cannot read the file "
                             "(No such file or directory)\n")
    assert result.stderr == "snapshot: every page failed (2 of 2); nothing stored\n"
    assert Store.open(run.store_url).counts()["ticker_snapshots"] == 0


def test_cli_refuses_a_bad_time_and_shows_an_example(run, shared_data):
    result = run("snapshot", str(shared_data / "pages" / TEXT_PAGE), "--captured-at", "yesterday")
    assert result.exit_code == 2
    assert "Invalid value for '--captured-at': 'yesterday' is not an ISO 8601 time (e.g. 2018-03-18T00:18:38Z)" \
        in result.output
    helped = CliRunner().invoke(cli, ["snapshot", "--help"])
    assert "  Example:\n    newsmarks snapshot " in helped.output
    assert "a time without offset is UTC" in " ".join(helped.output.split())


def test_oversized_files_and_other_schemes_are_refused(store, make_config, pages):
    config = make_config(instruments=INSTRUMENTS, http={"max_bytes": 1000})
    outcomes = snapshot_pages(store, config, [str(pages / TEXT_PAGE), "ftp://example.org/page.txt"],
                              captured_at=None, now=NOW)
    size = (pages / TEXT_PAGE).stat().st_size
    assert [o.line() for o in outcomes] == [
        f"page:{TEXT_PAGE}: error: {TEXT_PAGE}: file of {size} bytes exceeds the cap of 1000",
        "page:example.org: error: ftp://example.org/page.txt: only http and https URLs can be fetched"]
    assert store.counts()["ticker_snapshots"] == 0


# -- which time: the page's own, the file's, the one given ------------------------------------------

FIXTURE_PAGES = Path(__file__).parent / "fixtures" / "pages"
OWN_PAGE = "article-published-time.html"
OWN_TIME = utc(2016, 1, 20, 15, 42, 5)   # its article:published_time, 2016-01-20T18:42:05+03:00
OWN_TITLE = "Lavrov & Kerry: Russia's talks with the USA"


def copy_fixture(name: str, folder: Path, modified) -> Path:
    path = folder / name
    shutil.copyfile(FIXTURE_PAGES / name, path)
    os.utime(path, (modified.timestamp(), modified.timestamp()))
    return path


def test_tass_excerpt_without_a_given_time_keeps_its_year_unknown(store, config, pages):
    path = pages / TASS_PAGE
    modified = utc(2026, 12, 2, 8, 0, 0)   # a copy made today: nothing to do with 2018
    os.utime(path, (modified.timestamp(), modified.timestamp()))
    [outcome] = snapshot_pages(store, config, [str(path)], captured_at=None, now=NOW)
    assert outcome.line() == (f"page:{TASS_PAGE}: 2 snapshots ($ 57.49 ↑, € 70.81 ↑; rates as of 17.03 (year "
                              "unknown)), no headline; 2 new, 0 already stored; captured at the file's "
                              "modification time (inferred)")
    assert outcome.rates_as_of is None
    assert store.snapshots()[["captured_at", "captured_from"]].values.tolist() == [
        [pd.Timestamp(modified), "file"], [pd.Timestamp(modified), "file"]]


def test_cli_tass_excerpt_with_the_time_it_was_saved(run, shared_data):
    result = run("snapshot", str(shared_data / "pages" / TASS_PAGE), "--captured-at", "2018-03-18T00:18:38Z")
    assert result.output == (f"page:{TASS_PAGE}: 2 snapshots ($ 57.49 ↑, € 70.81 ↑; rates as of 2018-03-17), "
                             "no headline; 2 new, 0 already stored\n")


def test_a_page_with_its_own_time_dates_its_headline_and_its_snapshots(store, config, tmp_path):
    path = copy_fixture(OWN_PAGE, tmp_path, utc(2024, 3, 1, 8, 30))
    [outcome] = snapshot_pages(store, config, [str(path)], captured_at=None, now=NOW)
    assert outcome.line() == (f"page:{OWN_PAGE}: 3 snapshots ($ 76.55, € 83.12, BR 28.94), 1 headline published "
                              "2016-01-20 15:42:05 UTC (the page's own time); 4 new, 0 already stored; "
                              "captured at the page's own publication time (inferred)")
    assert store.snapshots()[["mark", "captured_at", "captured_from"]].values.tolist() == [
        ["$", pd.Timestamp(OWN_TIME), "page"], ["BR", pd.Timestamp(OWN_TIME), "page"],
        ["€", pd.Timestamp(OWN_TIME), "page"]]
    [headline] = store.headlines().to_dict("records")
    assert {k: headline[k] for k in ("title", "link", "published", "fetched", "time_inferred", "day_precision")} == {
        "title": OWN_TITLE, "link": "https://news.example.org/world/lavrov-kerry", "published": pd.Timestamp(OWN_TIME),
        "fetched": pd.Timestamp(NOW), "time_inferred": False, "day_precision": False}


def test_a_given_time_dates_the_snapshots_and_the_page_its_headline(store, config, tmp_path):
    path = copy_fixture(OWN_PAGE, tmp_path, utc(2024, 3, 1, 8, 30))
    given = utc(2016, 1, 21, 7)
    [outcome] = snapshot_pages(store, config, [str(path)], captured_at=given, now=NOW)
    assert outcome.line() == (f"page:{OWN_PAGE}: 3 snapshots ($ 76.55, € 83.12, BR 28.94), 1 headline published "
                              "2016-01-20 15:42:05 UTC (the page's own time); 4 new, 0 already stored")
    assert set(store.snapshots()["captured_from"]) == {"given"}
    assert set(store.snapshots()["captured_at"]) == {pd.Timestamp(given)}
    assert store.headlines()[["published", "time_inferred"]].values.tolist() == [[pd.Timestamp(OWN_TIME), False]]


def test_a_date_alone_dates_the_headline_to_its_day(store, config, tmp_path):
    name = "article-time-date-only.html"
    path = copy_fixture(name, tmp_path, utc(2024, 3, 1, 8, 30))
    [outcome] = snapshot_pages(store, config, [str(path)], captured_at=None, now=NOW)
    assert outcome.line() == (f"page:{name}: no ticker strip, 1 headline published 2016-01-20 (the page's own "
                              "date); 1 new, 0 already stored")
    [headline] = store.headlines().to_dict("records")
    assert (headline["published"], headline["time_inferred"], headline["day_precision"]) == (
        pd.Timestamp("2016-01-20", tz="UTC"), False, True)


def test_a_page_time_after_the_page_was_saved_is_not_used(store, config, tmp_path):
    path = copy_fixture(OWN_PAGE, tmp_path, utc(2015, 6, 1))   # "saved" half a year before it was published
    [outcome] = snapshot_pages(store, config, [str(path)], captured_at=None, now=NOW)
    problem = ("the page's own time (article:published_time: 2016-01-20 15:42:05 UTC) is after its file's "
               "modification time (2015-06-01 00:00:00 UTC): not used")
    assert outcome.status == "partial" and outcome.problems == (problem,)
    assert outcome.line() == (f"page:{OWN_PAGE}: 3 snapshots ($ 76.55, € 83.12, BR 28.94), 1 headline (time "
                              "inferred); 4 new, 0 already stored; captured at the file's modification time "
                              f"(inferred); problems: {problem}")
    assert set(store.snapshots()["captured_from"]) == {"file"}
    assert store.headlines()[["published", "time_inferred"]].values.tolist() == [
        [pd.Timestamp(utc(2015, 6, 1)), True]]


def test_a_fetched_page_with_its_own_time(store, config, web):
    web.add("lavrov", (FIXTURE_PAGES / OWN_PAGE).read_bytes(), content_type="text/html; charset=utf-8")
    url = web.url_for("lavrov")
    fetched = utc(2024, 5, 1, 12, 0, 7)
    [outcome] = snapshot_pages(store, config, [url], captured_at=None, now=NOW, clock=lambda: fetched)
    assert outcome.status == "ok"
    assert set(store.snapshots()["captured_from"]) == {"fetch"}
    assert set(store.snapshots()["captured_at"]) == {pd.Timestamp(fetched)}
    assert store.headlines()[["published", "time_inferred"]].values.tolist() == [[pd.Timestamp(OWN_TIME), False]]


def test_help_says_how_the_times_are_chosen():
    helped = " ".join(CliRunner().invoke(cli, ["snapshot", "--help"]).output.split())
    assert "else the page's own publication time" in helped
    assert "else the file's modification time" in helped
    assert "The headline's time: the page's own publication time when it shows one" in helped
