"""Price imports by trading day and close time: both real Yahoo RUB files into one instrument, the
close rules of import-prices, newsmarks' old export, and export → import round trips with
known times, flags and reviews on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.commands import newsmarks_cli
from ingest.close_rules import parse_rule
from ingest.csvio import CsvError, prices_to_csv, read_prices_csv
from ingest.store import Store
from tests.conftest import new_store_url, utc

RUB_HISTORY = "RUB=X_1d_yfinance-history_2003-2024.csv"
RUB_SEMICOLON = "USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv"
NOW = utc(2026, 11, 27, 12)
HOURLY_NOW = utc(2026, 11, 27, 11, 30)   # the 11:00 bar is still open


@pytest.fixture
def run(cli_run):
    return cli_run

@pytest.fixture
def opened(run):
    stores = []

    def open_store() -> Store:
        stores.append(Store.open(run.store_url))
        return stores[-1]

    yield open_store
    for store in stores:
        store.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def bar_on(frame: pd.DataFrame, when: str) -> dict:
    rows = frame[frame["ts"] == pd.Timestamp(when)]
    assert len(rows) == 1, f"{when}: {len(rows)} bars"
    return rows.iloc[0].to_dict()


def written_dates(path: Path) -> set[str]:
    """The dates written in a file's first column (its header and blank lines left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return {line[:10] for line in lines if line.strip()}


# -- both Yahoo RUB files into one instrument ---------------------------------------------------------

def test_both_yahoo_rub_files_give_one_bar_per_trading_day(run, opened, shared_data):
    history, semicolon = shared_data / "yahoo" / RUB_HISTORY, shared_data / "yahoo" / RUB_SEMICOLON
    days_history, days_semicolon = written_dates(history), written_dates(semicolon)
    shared = days_history & days_semicolon
    assert (len(days_history), len(days_semicolon), len(shared)) == (5348, 2602, 2316)
    first = run("import-prices", str(history), "--instrument", "usd_rub_mkt")
    assert first.output == (f"{history}: 5348 new, 0 updated, 0 unchanged bars for usd_rub_mkt 1d; closes known by "
                            "24:00 Europe/London\n")
    second = run("import-prices", str(semicolon), "--instrument", "usd_rub_mkt")
    # every day both files hold is the same bar: nothing new for them (and the same values)
    assert second.output == (f"{semicolon}: {2602 - 2316} new, 0 updated, 2316 unchanged bars for usd_rub_mkt 1d; "
                             "closes known by 24:00 Europe/London\n")
    store = opened()
    stored = store.bars(["usd_rub_mkt"], "1d")
    assert len(stored) == len(days_history | days_semicolon) == 5634
    assert set(stored["ts"].dt.strftime("%Y-%m-%d")) == days_history | days_semicolon
    assert (stored["ts"] == stored["ts"].dt.floor("D")).all()
    # 2022-06-15 00:00:00+01:00 (British summer time) in one file, 2022-06-15 in the other: one bar,
    # known at the end of the London day (23:00 UTC in summer, midnight in winter)
    summer = bar_on(stored, "2022-06-15T00:00:00Z")
    assert (summer["close"], summer["known"]) == (58.34000015258789, day("2022-06-15 23:00"))
    assert stored[stored["ts"] == day("2022-06-14 23:00")].empty
    winter = bar_on(stored, "2022-01-14T00:00:00Z")
    assert (winter["close"], winter["known"]) == (76.30599975585938, day("2022-01-15 00:00"))
    again = run("import-prices", str(history), "--instrument", "usd_rub_mkt")
    assert again.output.startswith(f"{history}: 0 new, 0 updated, 5348 unchanged bars")


# -- close rules ---------------------------------------------------------------------------------

def test_eia_brent_with_close_time_then_the_instruments_default(run, opened, shared_data):
    path = str(shared_data / "brent-daily.csv")
    result = run("import-prices", path, "--instrument", "brent", "--close-time", "16:30 Europe/London")
    assert result.output == f"{path}: 9958 new, 0 updated, 0 unchanged bars for brent 1d; closes known by 16:30 " \
        "Europe/London\n"
    store = opened()
    stored = store.bars(["brent"], "1d")
    assert bar_on(stored, "2022-01-14T00:00:00Z")["known"] == day("2022-01-14 16:30")   # GMT
    assert bar_on(stored, "2022-06-15T00:00:00Z")["known"] == day("2022-06-15 15:30")   # BST
    # without --close-time: brent's own rule (BZ=F, the ICE settlement at 19:30 London); the known
    # times change, nothing else
    again = run("import-prices", path, "--instrument", "brent")
    assert again.output == f"{path}: 0 new, 9958 updated, 0 unchanged bars for brent 1d; closes known by 19:30 " \
        "Europe/London\n"
    stored = store.bars(["brent"], "1d")
    assert bar_on(stored, "2022-01-14T00:00:00Z")["known"] == day("2022-01-14 19:30")
    assert bar_on(stored, "2022-06-15T00:00:00Z")["known"] == day("2022-06-15 18:30")
    assert len(stored) == 9958


def test_bank_of_russia_rule_known_the_day_before(run, opened, tmp_path):
    path = write(tmp_path, "cbr.csv", "Date,Price\n2022-03-01,105.25\n2022-03-02,111.5\n2022-03-05,120.75\n")
    result = run("import-prices", str(path), "--instrument", "usd_rub")
    assert result.output == (f"{path}: 3 new, 0 updated, 0 unchanged bars for usd_rub 1d; closes known by 17:00 "
                             "Europe/Moscow the day before each rate's date (the Bank of Russia's rule)\n")
    stored = opened().bars(["usd_rub"], "1d")
    assert stored["known"].tolist() == [day("2022-02-28 14:00"), day("2022-03-01 14:00"), day("2022-03-04 14:00")]
    # the same rule given to another instrument
    run("import-prices", str(path), "--instrument", "brent", "--close-time", "cbr 17:00 Europe/Moscow")
    assert opened().bars(["brent"], "1d")["known"].tolist() == stored["known"].tolist()


def test_a_close_rule_says_its_clock_its_text_and_what_it_means():
    cbr, london, end = parse_rule("cbr 17:00 Europe/Moscow"), parse_rule("7:05 Europe/London"), parse_rule("24:00 UTC")
    assert (cbr.clock, cbr.text) == ("17:00 Europe/Moscow", "cbr 17:00 Europe/Moscow")
    assert (london.clock, london.text, end.clock) == ("07:05 Europe/London", "07:05 Europe/London", "24:00 UTC")
    assert cbr.describe() == ("the Bank of Russia's rate dated D is known at 17:00 Europe/Moscow on D - 1 (the "
                              "business day it was set; it takes effect the next calendar day)")
    assert london.describe() == "the close of trading day D is known at 07:05 Europe/London on D"
    assert end.describe() == "the close of trading day D is known at the end of D in UTC"


def test_close_time_errors_are_one_line(run, tmp_path, shared_data):
    path = str(shared_data / "brent-daily.csv")
    bad = run("import-prices", path, "--instrument", "brent", "--close-time", "7pm")
    assert (bad.exit_code, bad.output) == (1, "Error: bad --close-time: expected a close time such as "
                                              "'19:30 Europe/London' or 'cbr 17:00 Europe/Moscow', got '7pm'\n")
    zone = run("import-prices", path, "--instrument", "brent", "--close-time", "16:30 Europe/Londn")
    assert zone.output == ("Error: bad --close-time '16:30 Europe/Londn': unknown time zone 'Europe/Londn' "
                           "(expected an IANA name such as Europe/London)\n")
    hour = run("import-prices", path, "--instrument", "brent", "--close-time", "25:00 Europe/London")
    assert hour.output == ("Error: bad --close-time: 25:00 is not a time of day (00:00 to 24:00) in "
                           "'25:00 Europe/London'\n")
    hourly = run("import-prices", path, "--instrument", "brent", "--interval", "1h", "--close-time", "16:30 UTC")
    assert hourly.output == ("Error: --close-time is for daily bars: an hourly bar's close is known an hour "
                             "after its start\n")
    assert Store.open(run.store_url).counts()["price_bars"] == 0


def test_help_says_the_default_close_rule():
    result = CliRunner().invoke(newsmarks_cli(), ["import-prices", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    assert "Default: the instrument's close rule" in text
    assert "for EIA's Brent spot, assessed at the London close, pass --close-time '16:30 Europe/London'" in text


def test_hourly_file_keeps_utc_instants_known_an_hour_later(run, opened, tmp_path):
    path = write(tmp_path, "h.csv", "Timestamp,Close\n2024-03-01T10:00:00+01:00,10.5\n2024-03-01T10:00:00Z,11\n"
                                    "2024-03-01T11:00:00Z,11.25\n")
    result = run("import-prices", str(path), "--instrument", "brent", "--interval", "1h")
    assert result.output == f"{path}: 3 new, 0 updated, 0 unchanged bars for brent 1h\n"
    stored = opened().bars(["brent"], "1h")
    assert stored["ts"].tolist() == [day("2024-03-01 09:00"), day("2024-03-01 10:00"), day("2024-03-01 11:00")]
    assert (stored["known"] == stored["ts"] + pd.Timedelta(hours=1)).all()
    # the same file as daily bars (the default interval): refused, saying what the file holds
    daily = run("import-prices", str(path), "--instrument", "brent")
    assert daily.output == ("Error: h.csv: the rows are about an hour apart (1h bars), not 1d bars; import them "
                            "as 1h\n")


# -- the reader ------------------------------------------------------------------------------------

def test_trading_day_is_the_date_as_written(tmp_path):
    path = write(tmp_path, "d.csv", "Date,Close\n2022-06-15 00:00:00+01:00,58.34\n2022-06-16T23:30:00-05:00,59\n"
                                    "2022-06-17,60\n\"Mon, 20 Jun 2022 00:00:00 +0100\",61\n")
    result = read_prices_csv(path, interval="1d", close_rule=parse_rule("19:30 Europe/London"))
    assert result.bars["ts"].tolist() == [day("2022-06-15"), day("2022-06-16"), day("2022-06-17"), day("2022-06-20")]
    assert result.bars["known"].tolist() == [day("2022-06-15 18:30"), day("2022-06-16 18:30"),
                                             day("2022-06-17 18:30"), day("2022-06-20 18:30")]
    assert (result.read_as, result.close_rule.text, result.known_given) == ("1d", "19:30 Europe/London", 0)


def test_two_rows_of_one_trading_day_name_both_lines(tmp_path):
    path = write(tmp_path, "dup.csv", "Date,Close\n2022-06-14,57.7\n2022-06-15 00:00:00+01:00,58.34\n"
                                      "2022-06-15,58.5\n2022-06-16,59\n")
    with pytest.raises(CsvError) as error:
        read_prices_csv(path)
    assert str(error.value) == "dup.csv line 4: duplicate trading day 2022-06-15 (also on line 3)"
    result = read_prices_csv(path, skip_bad=True)
    assert result.skipped == [(4, "duplicate trading day 2022-06-15 (also on line 3)")]
    assert result.bars["close"].tolist() == [57.7, 58.34, 59.0]


def test_old_export_daily_stamps_land_on_their_trading_day(run, opened, tmp_path):
    path = write(tmp_path, "old.csv", "timestamp_utc,instrument,interval,open,high,low,close,volume\n"
                                      "2022-06-14T23:00:00Z,usd_rub_mkt,1d,58,58.9,55.5,58.34,0\n"
                                      "2022-06-15T23:00:00Z,usd_rub_mkt,1d,58.3,58.4,56,57.2,0\n"
                                      "2022-12-15T00:00:00Z,usd_rub_mkt,1d,,,,64.1,\n"
                                      "2022-12-15T05:00:00Z,brent,1d,,,,81.2,\n"
                                      "2022-06-14T23:00:00Z,usd_rub_mkt,1h,58,58,58,58.1,0\n")
    result = read_prices_csv(path, instrument="usd_rub_mkt", interval="1d")
    assert result.bars["ts"].tolist() == [day("2022-06-15"), day("2022-06-16"), day("2022-12-15")]
    assert read_prices_csv(path, instrument="brent").bars["ts"].tolist() == [day("2022-12-15")]
    assert read_prices_csv(path, instrument="usd_rub_mkt", interval="1h").bars["ts"].tolist() == \
        [day("2022-06-14 23:00")]
    imported = run("import-prices", str(path), "--instrument", "usd_rub_mkt")
    assert imported.output.startswith(f"{path}: 3 new, 0 updated, 0 unchanged bars for usd_rub_mkt 1d; ")
    stored = opened().bars(["usd_rub_mkt"], "1d")
    assert stored["ts"].tolist() == [day("2022-06-15"), day("2022-06-16"), day("2022-12-15")]
    assert stored["known"].tolist() == [day("2022-06-15 23:00"), day("2022-06-16 23:00"), day("2022-12-16")]


def test_known_utc_and_flags_columns_are_kept_as_given(tmp_path, store):
    path = write(tmp_path, "new.csv",
                 "timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags\n"
                 "2016-01-05T00:00:00Z,usd_rub_mkt,1d,2016-01-05T21:00:00Z,73,74,72,73.1,0,\n"
                 '2016-01-06T00:00:00Z,usd_rub_mkt,1d,,74,74,74,0.7162,0,"range,jump,review:good"\n'
                 "2016-01-07T00:00:00Z,usd_rub_mkt,1d,2016-01-07T21:00:00Z,75,76,74,74.6,0,review:bad\n")
    result = read_prices_csv(path, close_rule=parse_rule("24:00 Europe/London"))
    bars = result.bars
    assert bars["known"].tolist() == [day("2016-01-05 21:00"), day("2016-01-07"), day("2016-01-07 21:00")]
    assert result.known_given == 2   # the empty cell (a provisional close when exported): by the rule
    assert bars["flag"].tolist() == [None, "range,jump", None]   # as written, not computed again
    assert bars["review"].tolist() == [None, "good", "bad"]
    counts, reviewed = store.import_bars("usd_rub_mkt", "1d", "import", bars, NOW)   # the file's 2 verdicts applied
    assert (counts.new, reviewed) == (3, 2)
    broken = write(tmp_path, "broken.csv", path.read_text(encoding="utf-8").replace("review:bad", "weird")
                   .replace("2016-01-05T21:00:00Z", "soon"))
    with pytest.raises(CsvError) as error:
        read_prices_csv(broken)
    assert str(error.value) == ("broken.csv line 2: known_utc 'soon' is not a date or time (expected ISO 8601 "
                                "such as 2022-03-01T12:00:00Z, or RFC 822) (and 1 more bad row)")
    skipped = read_prices_csv(broken, skip_bad=True).skipped
    assert skipped[1] == (4, "flags: unknown flag 'weird' in flags 'weird' (known: jump, range, ohlc, review:bad, "
                             "review:good)")


# -- export → import round trips ------------------------------------------------------------------------

def _stored_bars(store: Store) -> pd.DataFrame:
    return store.bars().drop(columns=["source"])


def test_export_then_import_gives_back_the_same_bars(store, store_kind, tmp_path, request, shared_data):
    rub = read_prices_csv(shared_data / "yahoo" / RUB_HISTORY, close_rule=parse_rule("24:00 Europe/London")).bars
    rub = rub[(rub["ts"] >= day("2016-01-01")) & (rub["ts"] <= day("2016-02-01"))]
    counts, reviewed = store.import_bars("usd_rub_mkt", "1d", "yahoo", rub, NOW)
    assert (counts.new, reviewed) == (len(rub), 0)
    assert store.set_bar_review("usd_rub_mkt", "1d", utc(2016, 1, 6), "good")      # range,jump: used after all
    assert store.set_bar_review("usd_rub_mkt", "1d", utc(2016, 1, 12), "bad")      # clean: kept out
    hourly = pd.DataFrame({"ts": pd.to_datetime(["2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z"], utc=True),
                           "open": [80.0, 80.5], "high": [81.0, 81.0], "low": [79.5, 80.0], "close": [80.5, 80.75],
                           "volume": [0.0, 0.0], "flag": [None, None]})
    hourly["known"] = hourly["ts"] + pd.Timedelta(hours=1)
    store.write_bars("usd_rub_mkt", "1h", "yahoo", hourly, HOURLY_NOW)   # the 11:00 bar's close: provisional
    original = _stored_bars(store)
    assert original["known"].isna().tolist().count(True) == 1
    reviewed_rows = original[original["review"].notna()]
    assert [(r.ts, r.flag if isinstance(r.flag, str) else None, r.review, r.bad)
            for r in reviewed_rows.itertuples(index=False)] == [
        (day("2016-01-06"), "range,jump", "good", False), (day("2016-01-12"), None, "bad", True)]
    text = prices_to_csv(store.bars())
    assert '2016-01-06T00:00:00Z,usd_rub_mkt,1d,2016-01-07T00:00:00Z,74.02749633789062,74.02749633789062,' \
           '74.02749633789062,0.7161999940872192,0,"range,jump,review:good"\n' in text
    assert "2026-11-27T11:00:00Z,usd_rub_mkt,1h,,80.5,81,80,80.75,0,\n" in text
    path = write(tmp_path, "export.csv", text)
    (tmp_path / "copy").mkdir()
    copy = Store.open(new_store_url(store_kind, tmp_path / "copy", request))
    try:
        for interval in ("1d", "1h"):
            back = read_prices_csv(path, instrument="usd_rub_mkt", interval=interval)
            now = NOW if interval == "1d" else HOURLY_NOW
            counts, reviewed = copy.import_bars("usd_rub_mkt", interval, "import", back.bars, now)
            assert (counts.new, reviewed) == (len(back.bars), 2 if interval == "1d" else 0)
        pd.testing.assert_frame_equal(_stored_bars(copy), original)
        # importing it again changes nothing and does not bump the data version
        version = copy.data_version()
        back = read_prices_csv(path, instrument="usd_rub_mkt", interval="1d")
        counts, reviewed = copy.import_bars("usd_rub_mkt", "1d", "import", back.bars, NOW)
        assert (counts.new, counts.updated, reviewed, copy.data_version()) == (0, 0, 0, version)
    finally:
        copy.close()


def test_cli_round_trip_applies_the_files_reviews(run, opened, tmp_path, shared_data):
    run("import-prices", str(shared_data / "yahoo" / RUB_HISTORY), "--instrument", "usd_rub_mkt")
    assert run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-06", "--good").exit_code == 0
    exported = tmp_path / "rub.csv"
    assert run("export", "prices", "-o", str(exported)).stderr == f"5348 rows written to {exported}\n"
    store = opened()
    before = _stored_bars(store)
    run("flag-bar", "--instrument", "usd_rub_mkt", "2016-01-06", "--auto")
    assert bar_on(store.bars(["usd_rub_mkt"]), "2016-01-06T00:00:00Z")["bad"]
    result = run("import-prices", str(exported), "--instrument", "usd_rub_mkt")
    assert result.output == (f"{exported}: 0 new, 0 updated, 5348 unchanged bars for usd_rub_mkt 1d; closes known "
                             "as the file's known_utc column says; 1 review applied\n")
    pd.testing.assert_frame_equal(_stored_bars(store), before)
