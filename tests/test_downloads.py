"""dashboard.downloads.csv_files: exact CSV bytes (BOM, formula guard, numbers, zones) and file names."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from dashboard.downloads.csv_files import download_name, headlines_csv, joined_csv, local_iso, prices_csv
from ingest.csvio.csv_safety import restore_cell

BOM = "\ufeff"


def utc_times(texts: list[str], unit: str = "s") -> pd.Series:
    return pd.to_datetime(pd.Series(texts), utc=True, format="ISO8601").dt.as_unit(unit)


def bars(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["instrument_id", "ts", "close"])
    frame["ts"] = utc_times(frame["ts"].tolist())
    return frame


PRICES = [
    ("brent", "2022-03-01T00:00:00Z", 110.93),
    ("brent", "2022-03-02T00:00:00Z", 118.0),
    ("usdrub", "2022-03-01T00:00:00Z", -1.5),            # a negative number stays a number
    ("usdrub", "2022-03-01T12:00:00Z", 0.1 + 0.2),       # repr-exact
    ("brent", "2022-03-03T00:00:00Z", float("nan")),     # NaN → empty cell
]


def test_prices_csv_utc_first_appearance_order():
    assert prices_csv(bars(PRICES), None, "UTC") == (
        BOM
        + "time_UTC,brent,usdrub\n"
        + "2022-03-01T00:00:00+00:00,110.93,-1.5\n"
        + "2022-03-01T12:00:00+00:00,,0.30000000000000004\n"
        + "2022-03-02T00:00:00+00:00,118,\n"
        + "2022-03-03T00:00:00+00:00,,\n"
    ).encode("utf-8")


def test_prices_csv_moscow_labels_order_and_neutralised_ids():
    rows = [*PRICES, ("=cmd", "2022-03-02T00:00:00Z", 5.0)]
    labels = {"usdrub": "USD/RUB", "absent": "Not in the bars", "brent": "Brent"}
    data = prices_csv(bars(rows), labels, "Europe/Moscow")
    assert data == (
        BOM
        + "time_Europe/Moscow,usdrub,brent,'=cmd\n"
        + "2022-03-01T03:00:00+03:00,-1.5,110.93,\n"
        + "2022-03-01T15:00:00+03:00,0.30000000000000004,,\n"
        + "2022-03-02T03:00:00+03:00,,118,5\n"
        + "2022-03-03T03:00:00+03:00,,,\n"
    ).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")


def test_prices_csv_empty_and_errors():
    assert prices_csv(bars([]), None, "UTC") == (BOM + "time_UTC\n").encode("utf-8")
    doubled = bars([("brent", "2022-03-01T00:00:00Z", 1.0), ("brent", "2022-03-01T00:00:00Z", 2.0)])
    with pytest.raises(ValueError, match="more than one close for brent at 2022-03-01"):
        prices_csv(doubled, None, "UTC")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        prices_csv(bars(PRICES), None, "Mars/Olympus")
    naive = bars(PRICES).assign(ts=lambda f: f["ts"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="bars.ts must be tz-aware"):
        prices_csv(naive, None, "UTC")
    with pytest.raises(ValueError, match=r"bars frame lacks column\(s\) close"):
        prices_csv(bars(PRICES).drop(columns="close"), None, "UTC")


TRICKY = [
    ("2022-03-07T08:15:53Z", "BBC", '=HYPERLINK("http://evil.example/","click")', "https://news.example.org/a",
     "Summary, with comma", "energy;russia"),
    ("2022-03-07T09:00:00Z", "+source", "+7% for oil", "", "line one\nline two", None),
    ("2022-03-07T10:00:00Z", None, "-5 dead in blast", None, float("nan"), ""),
    ("2022-03-07T11:00:00Z", "x", "@SUM(A1:A9)", "https://x.example/?a=1,2", "", "energy"),
    ("2022-03-07T12:00:00Z", "x", "\tTabbed title", "", "", ""),
    ("2022-03-07T13:00:00Z", "x", "\rCR title", "", "carriage\rreturn", ""),
    ("2022-03-07T21:30:00Z", "РИА Новости", "Нефть подорожала до $130", "", "Цена «Брент»", "energy"),
    ("2022-03-07T22:00:00Z", "x", 'Oil, "gas" and coal', "", "", ""),
]

TRICKY_UTC_ROWS = (
    "2022-03-07T08:15:53+00:00,BBC,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\","
    "https://news.example.org/a,\"Summary, with comma\",energy;russia\n"
    "2022-03-07T09:00:00+00:00,'+source,'+7% for oil,,\"line one\nline two\",\n"
    "2022-03-07T10:00:00+00:00,,'-5 dead in blast,,,\n"
    "2022-03-07T11:00:00+00:00,x,'@SUM(A1:A9),\"https://x.example/?a=1,2\",,energy\n"
    "2022-03-07T12:00:00+00:00,x,'\tTabbed title,,,\n"
    "2022-03-07T13:00:00+00:00,x,\"'\rCR title\",,\"carriage\rreturn\",\n"
    "2022-03-07T21:30:00+00:00,РИА Новости,Нефть подорожала до $130,,Цена «Брент»,energy\n"
    "2022-03-07T22:00:00+00:00,x,\"Oil, \"\"gas\"\" and coal\",,,\n"
)


def tricky_headlines() -> pd.DataFrame:
    frame = pd.DataFrame(TRICKY, columns=["published", "source", "title", "link", "summary", "topics"])
    frame["published"] = utc_times(frame["published"].tolist())
    frame.insert(0, "id", range(101, 101 + len(frame)))
    return frame


def test_headlines_csv_exact_bytes_utc():
    data = headlines_csv(tricky_headlines(), "UTC")
    assert data == (BOM + "time,source,title,link,summary,topics\n" + TRICKY_UTC_ROWS).encode("utf-8")
    # Read back with the csv module and ingest's inverse of the guard: the same text.
    text = data.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert [restore_cell(r[2]) for r in records[1:]] == [row[2] for row in TRICKY]


def test_headlines_csv_moscow_and_list_topics():
    frame = tricky_headlines().iloc[[0, 6]].copy()
    frame["topics"] = [["energy", "russia"], []]
    assert headlines_csv(frame, "Europe/Moscow") == (
        BOM
        + "time,source,title,link,summary,topics\n"
        + "2022-03-07T11:15:53+03:00,BBC,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\","
          "https://news.example.org/a,\"Summary, with comma\",energy;russia\n"
        + "2022-03-08T00:30:00+03:00,РИА Новости,Нефть подорожала до $130,,Цена «Брент»,\n"
    ).encode("utf-8")


def test_joined_csv_moves_as_numbers_matched_on_id():
    heads = tricky_headlines().iloc[[0, 2, 6]]
    moves = pd.DataFrame({
        "id": [107, 101],           # another order; 103 has no moves at all
        "move_brent_1h": [-0.1 - 0.2, 0.0],
        "move_brent_1d": [float("nan"), 3.2243062703457],
        "move_usdrub_1d": [-12.5, 25.0],
    })
    assert joined_csv(heads, moves, "Europe/Moscow") == (
        BOM
        + "time,source,title,link,summary,topics,move_brent_1h,move_brent_1d,move_usdrub_1d\n"
        + "2022-03-07T11:15:53+03:00,BBC,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\","
          "https://news.example.org/a,\"Summary, with comma\",energy;russia,0,3.2243062703457,25\n"
        + "2022-03-07T13:00:00+03:00,,'-5 dead in blast,,,,,,\n"
        + "2022-03-08T00:30:00+03:00,РИА Новости,Нефть подорожала до $130,,Цена «Брент»,energy,"
          "-0.30000000000000004,,-12.5\n"
    ).encode("utf-8")


def test_joined_csv_from_moves_after_output():
    from dashboard.analysis.moves import moves_after
    from ingest.close_rules import parse_rule

    heads = tricky_headlines().iloc[[0]]
    days = utc_times(["2022-03-04", "2022-03-07", "2022-03-08", "2022-03-09"])
    price_bars = pd.DataFrame({"instrument_id": "brent", "interval": "1d", "ts": days,
                               "known": parse_rule("19:30 Europe/London").known(days),
                               "close": [123.86, 129.02, 133.18, 116.58]})
    data = joined_csv(heads, moves_after(heads, price_bars, reasons=True), "UTC")
    # At 03-07 08:15:53 the last close known is 03-04's (settled 03-04 19:30); a day later 03-07's
    # close is known (03-07 19:30): the 1d move is 03-04 -> 03-07. No close became known within the
    # hour, and there are only daily bars: the 1h move is empty, never 0, and says why.
    pct = (129.02 - 123.86) / 123.86 * 100.0
    assert data.decode("utf-8").splitlines()[-1].endswith(f",energy;russia,,no hourly data,{pct!r},")
    assert data.decode("utf-8").splitlines()[0].endswith(
        ",topics,move_brent_1h,why_brent_1h,move_brent_1d,why_brent_1d")


def test_joined_csv_errors():
    heads = tricky_headlines()
    with pytest.raises(ValueError, match="moves have duplicate id 101"):
        joined_csv(heads, pd.DataFrame({"id": [101, 101], "move_x_1d": [1.0, 2.0]}), "UTC")
    with pytest.raises(ValueError, match=r"headlines frame lacks column\(s\) id"):
        joined_csv(heads.drop(columns="id"), pd.DataFrame({"id": [101]}), "UTC")


def test_local_iso_offsets_and_nat():
    times = pd.Series(pd.to_datetime(["2022-01-15T12:00:00.9Z", "2022-07-15T12:00:00Z", None],
                                     utc=True, format="ISO8601"))
    assert local_iso(times, "Europe/London") == ["2022-01-15T12:00:00+00:00", "2022-07-15T13:00:00+01:00", ""]
    assert local_iso(times.dt.as_unit("us"), "America/New_York") == [
        "2022-01-15T07:00:00-05:00", "2022-07-15T08:00:00-04:00", ""]


@pytest.mark.parametrize("kind, start, end, name", [
    ("prices", date(2022, 3, 1), date(2022, 3, 31), "newsmarks-prices-2022-03-01-to-2022-03-31.csv"),
    ("headlines", datetime(2022, 3, 1, 23, 0), pd.Timestamp("2022-03-31T10:00Z"),
     "newsmarks-headlines-2022-03-01-to-2022-03-31.csv"),
    ("joined", date(2022, 3, 1), None, "newsmarks-joined-from-2022-03-01.csv"),
    ("joined", None, date(2022, 3, 31), "newsmarks-joined-to-2022-03-31.csv"),
    ("prices", None, None, "newsmarks-prices-all.csv"),
])
def test_download_name(kind, start, end, name):
    assert download_name(kind, start, end) == name


def test_download_name_errors():
    with pytest.raises(ValueError, match="unknown download kind 'charts'"):
        download_name("charts", date(2022, 3, 1), date(2022, 3, 2))
    with pytest.raises(ValueError, match="expected a date, got '2022-03-01'"):
        download_name("prices", "2022-03-01", date(2022, 3, 2))


def test_large_prices_download_is_quick():
    import time

    n = 20_000
    frame = pd.DataFrame({"instrument_id": np.repeat(["a", "b", "c"], n),
                          "ts": np.tile(pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC"), 3),
                          "close": np.arange(3 * n) / 7.0})
    started = time.perf_counter()
    data = prices_csv(frame, None, "Europe/Moscow")
    assert time.perf_counter() - started < 2.0
    assert data.count(b"\n") == n + 1
