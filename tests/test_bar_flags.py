"""A user's verdict on a bar (newsmarks flag-bar) and what `status` says of flags and of the
latest migration, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ingest.config import load_config
from ingest.runners.status import flag_summaries, migration_lines, status_lines
from ingest.store import Store
from ingest.store.migrations import _record_report
from tests.conftest import utc

RUB_HISTORY = "RUB=X_1d_yfinance-history_2003-2024.csv"


@pytest.fixture
def run(cli_run, shared_data):
    """`newsmarks ARGS…` on a store holding Yahoo's RUB=X history as usd_rub_mkt."""
    result = cli_run("import-prices", str(shared_data / "yahoo" / RUB_HISTORY), "--instrument", "usd_rub_mkt")
    assert result.exit_code == 0, result.output
    return cli_run

@pytest.fixture
def store(run):
    opened = Store.open(run.store_url)
    yield opened
    opened.close()


def bar(store: Store, when) -> dict:
    rows = store.bars(["usd_rub_mkt"], "1d", when, when)
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_bad_then_auto_on_a_clean_bar(run, store):
    assert bar(store, utc(2022, 6, 15))["bad"] == False  # noqa: E712  (numpy's bool)
    version = store.data_version()
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "2022-06-15", "--bad")
    assert (result.exit_code, result.output) == (0, "usd_rub_mkt 1d 2022-06-15: close 58.34, flags none → review:bad\n")
    flagged = bar(store, utc(2022, 6, 15))
    assert (flagged["review"], flagged["bad"]) == ("bad", True)
    assert store.data_version() == version + 1
    assert store.changed_since(version, utc(2022, 6, 15), utc(2022, 6, 15))
    assert not store.changed_since(version, utc(2022, 6, 16), utc(2022, 7, 1))
    assert store.closes(["usd_rub_mkt"], "1d", utc(2022, 6, 15), utc(2022, 6, 15))["bad"].tolist() == [True]
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "2022-06-15", "--auto")
    assert result.output == "usd_rub_mkt 1d 2022-06-15: close 58.34, flags none → its flags decide: used in returns\n"
    restored = bar(store, utc(2022, 6, 15))
    assert (restored["review"], restored["bad"]) == (None, False)
    assert store.data_version() == version + 2


def test_good_on_a_bad_bar_and_back(run, store):
    assert bar(store, utc(2016, 1, 6))["bad"] == True  # noqa: E712
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "--interval", "1d", "2016-01-06", "--good")
    assert result.output == "usd_rub_mkt 1d 2016-01-06: close 0.7162, flags range,jump → review:good\n"
    assert bar(store, utc(2016, 1, 6))["bad"] == False  # noqa: E712
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-06T00:00:00+03:00", "--auto")
    assert result.output == ("usd_rub_mkt 1d 2016-01-06: close 0.7162, flags range,jump → its flags decide: "
                             "kept out of returns\n")
    assert bar(store, utc(2016, 1, 6))["bad"] == True  # noqa: E712


def test_missing_bar_exits_1_saying_where_the_bars_are(run, store):
    version = store.data_version()
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-09", "--bad")   # a Saturday
    assert (result.exit_code, result.output) == (
        1, "Error: no 1d bar of usd_rub_mkt at 2016-01-09 (nearest: 2016-01-08, 2016-01-11)\n")
    result = run("flag-bar", "--instrument", "eur_rub_mkt", "2016-01-08", "--bad")
    assert result.output == "Error: no 1d bar of eur_rub_mkt at 2016-01-08 (the store has no 1d bars of eur_rub_mkt)\n"
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "1990-01-08", "--bad")
    assert result.output == "Error: no 1d bar of usd_rub_mkt at 1990-01-08 (none within two weeks)\n"
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-08T12:00", "--bad")
    assert result.output == ("Error: '2016-01-08T12:00' is not a trading day: a daily bar is named by its date, "
                             "e.g. 2016-01-06\n")
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "yesterday", "--bad")
    assert result.output == "Error: 'yesterday' is not a date or time (expected a trading day such as 2016-01-06)\n"
    result = run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-08")
    assert result.exit_code == 2 and result.output.endswith("Error: say what to do with the bar: --bad, --good or "
                                                            "--auto\n")
    assert store.data_version() == version


def test_hourly_bar_by_its_utc_start(run, store):
    hourly = pd.DataFrame({"ts": pd.to_datetime(["2022-03-01T09:00:00Z", "2022-03-01T10:00:00Z"], utc=True),
                           "open": [1.0, 1.0], "high": [1.0, 1.0], "low": [1.0, 1.0], "close": [95.5, 96.25],
                           "volume": [0.0, 0.0], "flag": [None, None]})
    hourly["known"] = hourly["ts"] + pd.Timedelta(hours=1)
    store.write_bars("brent", "1h", "yahoo", hourly, utc(2022, 3, 2))
    result = run("flag-bar", "--instrument", "brent", "--interval", "1h", "2022-03-01T13:00:00+03:00", "--bad")
    assert result.output == "brent 1h 2022-03-01T10:00Z: close 96.25, flags none → review:bad\n"
    assert store.bars(["brent"], "1h")["bad"].tolist() == [False, True]
    missing = run("flag-bar", "--instrument", "brent", "--interval", "1h", "2022-03-01T11:00", "--bad")
    assert missing.output == "Error: no 1h bar of brent at 2022-03-01T11:00Z (nearest: 2022-03-01T10:00Z)\n"


# -- status ------------------------------------------------------------------------------------------

def test_status_counts_bad_bars_and_warnings(run, store):
    def line() -> str:
        [row] = [x for x in run("status").output.splitlines() if x.startswith("yahoo:usd_rub_mkt:1d ")]
        return row

    # RUB=X: 7 closes far outside their range (4 of them jumps too), 397 a hair outside
    assert "  5348  7 bad, 397 ohlc" in line()
    run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-06", "--good")
    run("flag-bar", "--instrument", "usd_rub_mkt", "2022-06-15", "--bad")
    assert "  5348  7 bad, 397 ohlc, 1 good by review" in line()
    run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-05", "--bad")   # an ohlc bar
    assert "  5348  8 bad, 396 ohlc, 1 good by review" in line()
    [empty] = [x for x in run("status").output.splitlines() if x.startswith("yahoo:eur_rub_mkt:1d ")]
    assert empty.split()[-1] == "-"
    header = run("status").output.splitlines()[3]
    assert re.fullmatch(r"source +last run \(UTC\) +result +new +newest \(UTC\) +rows +flagged +error", header)


def test_flag_summaries():
    counts = pd.DataFrame([("a", "1d", "ohlc", None, 397), ("a", "1d", "range", None, 3),
                           ("a", "1d", "range,jump", None, 3), ("a", "1d", "range,jump", "good", 1),
                           ("a", "1d", None, "bad", 2), ("a", "1d", "ohlc", "bad", 1), ("b", "1h", "ohlc", "good", 5)],
                          columns=["instrument_id", "interval", "flag", "review", "bars"])
    assert flag_summaries(counts) == {("a", "1d"): "9 bad, 397 ohlc, 1 good by review", ("b", "1h"): "5 ohlc"}
    assert flag_summaries(counts.iloc[:0]) == {}


def test_status_shows_what_the_migration_did(run, store):
    assert migration_lines(store.migration_report()) == []
    notes = ["938 duplicate daily bars merged into the bar of their trading day (the one written last kept): "
             "usd_rub_mkt 938", "15,592 bars given the time their close became known"]
    with store.writing() as conn:
        _record_report(conn, 6, notes)
    report = store.migration_report()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", report["at"])
    head = f"schema v6 (migrated {report['at']}): "
    expected = [head + notes[0], " " * len(head) + notes[1]]
    assert migration_lines(report) == expected
    lines = status_lines(store, load_config(run.config, env={}))
    assert lines[1].startswith("rows: 5348 price bars")
    assert lines[2:5] == [*expected, ""]
    assert run("status").output.splitlines()[2:4] == expected
