"""CSV import and export: real files read as they are, bad rows named by line, formula-safe
exports, and export → import round trips through the real store."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest.bar_quality import flag_bars
from ingest.csvio import (
    CsvError,
    headlines_to_csv,
    neutralise_cell,
    prices_to_csv,
    read_headlines_csv,
    read_prices_csv,
    restore_cell,
    safe_link,
    stable_guid,
)
from ingest.records import BAR_COLUMNS, Headline
from ingest.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "csv"
FETCHED = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
NAN = float("nan")


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def bar(bars: pd.DataFrame, when: str) -> dict:
    rows = bars[bars["ts"] == ts(when)]
    assert len(rows) == 1, f"{when}: {len(rows)} rows"
    return rows.iloc[0].to_dict()


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def assert_bar(bars: pd.DataFrame, when: str, open_, high, low, close, volume, flag) -> None:
    row = bar(bars, when)
    got = (row["open"], row["high"], row["low"], row["close"], row["volume"])
    want = (open_, high, low, close, volume)
    assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)
    assert row["flag"] == flag


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# -- real price files ----------------------------------------------------------------------------

def test_brent_eia_date_price(shared_data):
    result = read_prices_csv(shared_data / "brent-daily.csv")
    bars = result.bars
    assert list(bars.columns) == [*BAR_COLUMNS, "review"]
    assert str(bars["ts"].dtype) == str(bars["known"].dtype) == "datetime64[ns, UTC]"
    assert len(bars) == 9958 and result.skipped == []
    assert result.interval_guess == result.read_as == "1d"
    # no close rule given: known at the end of the UTC day (close_rules.DEFAULT_RULE)
    assert (bars["known"] == bars["ts"] + pd.Timedelta(days=1)).all() and result.known_given == 0
    assert bars["review"].isna().all()
    assert result.columns == {"time": "Date", "close": "Price"}
    assert_bar(bars, "1987-05-20T00:00:00Z", NAN, NAN, NAN, 18.63, NAN, None)
    assert_bar(bars, "2026-08-18T00:00:00Z", NAN, NAN, NAN, 95.29, NAN, None)
    assert bars["ts"].iloc[0] == ts("1987-05-20T00:00:00Z")
    assert bars["ts"].is_monotonic_increasing


def test_wti_negative_price_is_refused_with_its_line(shared_data):
    """WTI spot's real close of -36.98 on 2020-04-20: no log return can be taken of it (one such
    close made the event study refuse the whole instrument), so the import refuses it with its
    line; --skip-bad leaves it out."""
    with pytest.raises(CsvError) as error:
        read_prices_csv(shared_data / "wti-daily.csv")
    assert str(error.value) == "wti-daily.csv line 8645: close '-36.98' is negative: a price must be positive"
    result = read_prices_csv(shared_data / "wti-daily.csv", skip_bad=True)
    assert result.skipped == [(8645, "close '-36.98' is negative: a price must be positive")]
    bars = result.bars
    assert len(bars) == 10225 and not (bars["ts"] == ts("2020-04-20T00:00:00Z")).any()
    assert_bar(bars, "2020-04-17T00:00:00Z", NAN, NAN, NAN, 18.31, NAN, None)
    assert_bar(bars, "2020-04-21T00:00:00Z", NAN, NAN, NAN, 8.91, NAN, "jump")


def test_rub_yfinance_history_offsets_to_utc(shared_data):
    result = read_prices_csv(shared_data / "yahoo" / "RUB=X_1d_yfinance-history_2003-2024.csv")
    bars = result.bars
    assert len(bars) == 5348
    assert result.columns == {"time": "Date", "close": "Close", "open": "Open", "high": "High",
                              "low": "Low", "volume": "Volume"}  # Dividends, Stock Splits ignored
    # 2022-06-15 00:00:00+01:00 (London summer time) is the trading day 2022-06-15, at 00:00 UTC
    assert_bar(bars, "2022-06-15T00:00:00Z", 58.34000015258789, 58.84000015258789, 55.55699920654297,
               58.34000015258789, 0.0, None)
    assert_bar(bars, "2016-01-06T00:00:00Z", 74.02749633789062, 74.02749633789062, 74.02749633789062,
               0.7161999940872192, 0.0, "range,jump")
    assert_bar(bars, "2023-03-16T00:00:00Z", 76.06500244140625, 77.03849792480469, 75.760498046875,
               5.0, 0.0, "range,jump")
    # the 404 bars whose open or close lies outside their range: 7 far outside (bad), 397 a hair
    assert int(bars["flag"].str.contains("ohlc").fillna(False).sum()) == 397
    assert int(bars["flag"].str.contains("range").fillna(False).sum()) == 7


def test_brent_futures_new_york_offsets(shared_data):
    bars = read_prices_csv(shared_data / "yahoo" / "BZ=F_1d_yfinance-history_2017-2022.csv").bars
    assert len(bars) == 1257
    # 2017-11-09 00:00:00-05:00 and 2018-06-15 00:00:00-04:00: their trading days, at 00:00 UTC
    assert_bar(bars, "2017-11-09T00:00:00Z", 63.5, 64.23999786376953, 63.27000045776367,
               63.93000030517578, 24929.0, None)
    assert_bar(bars, "2018-06-15T00:00:00Z", 76.55000305175781, 76.91000366210938, 73.06999969482422,
               73.44000244140625, 30144.0, None)


def test_semicolon_decimal_comma_detected_and_selectable(shared_data):
    path = shared_data / "yahoo" / "USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv"
    result = read_prices_csv(path)
    assert (result.delimiter, result.decimal) == (";", ",")
    assert result.columns["close"] == "Close"  # not Adj Close
    assert len(result.bars) == 2602
    assert result.bars["ts"].iloc[0] == ts("2016-01-19T00:00:00Z")
    assert_bar(result.bars, "2016-01-19T00:00:00Z", 78.76000213623047, 78.9000015258789, 78.06800079345703,
               79.36000061035156, 0.0, "ohlc")
    explicit = read_prices_csv(path, delimiter=";", decimal=",")
    pd.testing.assert_frame_equal(explicit.bars, result.bars)
    with pytest.raises(CsvError) as error:
        read_prices_csv(path, delimiter=";", decimal=".")
    assert str(error.value) == ("USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv line 2: "
                                "close '79,36000061035156' is not a number (and 2601 more bad rows)")


def test_yf_download_three_header_rows(shared_data):
    result = read_prices_csv(shared_data / "yahoo" / "BZ=F_1d_yf-download-multiheader_2025-2026.csv")
    bars = result.bars
    assert len(bars) == 125 and result.columns["time"] == "Date"
    assert bars["ts"].iloc[0] == ts("2025-09-08T00:00:00Z")
    assert_bar(bars, "2025-09-08T00:00:00Z", 65.80999755859375, 67.02999877929688, 65.5199966430664,
               66.0199966430664, 29078.0, None)
    assert_bar(bars, "2026-03-06T00:00:00Z", 84.83999633789062, 94.55000305175781, 83.16999816894531,
               92.69000244140625, 146018.0, None)


def test_close_column_chosen_by_name(shared_data):
    with pytest.raises(CsvError) as error:
        read_prices_csv(shared_data / "ecb-rub-daily.csv")
    assert str(error.value) == ("ecb-rub-daily.csv: no close column (looked for close, close/last, last, "
                                "price, adj close, adjusted close; found: date, eur_rub, eur_usd, usd_rub)")
    bars = read_prices_csv(shared_data / "ecb-rub-daily.csv", close_column="USD_RUB").bars
    assert len(bars) == 4333
    assert_bar(bars, "2022-03-01T00:00:00Z", NAN, NAN, NAN, 105.0, NAN, None)


# -- hand-made price files -----------------------------------------------------------------------

def test_close_preferred_to_adj_close_and_adj_close_as_fallback():
    both = read_prices_csv(FIXTURES / "prices_adj_and_close.csv")
    assert both.columns == {"time": "Date", "close": "Close", "volume": "Volume"}
    assert both.bars["close"].tolist() == [71.25, 71.5]
    assert same(both.bars["volume"].iloc[1], NAN) and both.bars["volume"].iloc[0] == 100.0
    only = read_prices_csv(FIXTURES / "prices_adj_only.csv")
    assert only.columns == {"time": "date", "close": "adj_close"}
    assert only.bars["close"].tolist() == [70.5, 70.9]


def test_bom_crlf_blank_rows_offsets_and_duplicates_by_line():
    path = FIXTURES / "prices_hourly_bom_crlf.csv"
    # Line 3 is ",," (a blank spreadsheet row) and is skipped but counted; line 4's
    # 10:00+01:00 is 09:00 UTC, the time of line 2.
    with pytest.raises(CsvError) as error:
        read_prices_csv(path)
    assert str(error.value) == ("prices_hourly_bom_crlf.csv line 4: duplicate time 2024-03-01T09:00:00Z "
                                "(also on line 2)")
    result = read_prices_csv(path, skip_bad=True)
    assert result.skipped == [(4, "duplicate time 2024-03-01T09:00:00Z (also on line 2)")]
    assert result.bars["ts"].tolist() == [ts("2024-03-01T09:00:00Z"), ts("2024-03-01T10:00:00Z"),
                                          ts("2024-03-01T11:00:00Z")]
    assert result.bars["close"].tolist() == [10.5, 11.0, 11.25]
    assert result.interval_guess == "1h"
    assert result.columns == {"time": "Timestamp", "close": "Close", "volume": "Volume"}


def test_duplicate_date_names_both_lines():
    with pytest.raises(CsvError) as error:
        read_prices_csv(FIXTURES / "prices_duplicate.csv")
    assert str(error.value) == "prices_duplicate.csv line 4: duplicate trading day 2022-03-01 (also on line 2)"
    result = read_prices_csv(FIXTURES / "prices_duplicate.csv", skip_bad=True)
    assert result.bars["close"].tolist() == [97.97, 110.93, 112.1]


def test_separate_date_and_time_columns():
    result = read_prices_csv(FIXTURES / "prices_date_and_time.csv")
    assert result.bars["ts"].tolist() == [ts("2024-03-01T09:00:00Z"), ts("2024-03-01T10:00:00Z")]
    assert result.interval_guess == "1h"


@pytest.mark.parametrize(("name", "message"), [
    ("prices_bad_close.csv", "prices_bad_close.csv line 4: close 'abc' is not a number"),
    ("prices_missing_close.csv", "prices_missing_close.csv line 3: close is missing"),
    ("prices_extra_field.csv", "prices_extra_field.csv line 3: has 3 fields, the header has 2"),
    ("prices_mixed_decimal.csv", "prices_mixed_decimal.csv line 2: close '1,5' is not a number"),
    ("prices_dotted_date.csv", "prices_dotted_date.csv line 2: time '02.01.2024' is not a date or time "
                               "(expected ISO 8601 such as 2022-03-01T12:00:00Z, or RFC 822)"),
    ("prices_no_close.csv", "prices_no_close.csv: no close column (looked for close, close/last, last, "
                            "price, adj close, adjusted close; found: Date, Open, Foo)"),
    ("prices_no_date.csv", "prices_no_date.csv: no date/time column (looked for timestamp utc, timestamp, "
                           "datetime, date time, date, time; found: Open, High, Close)"),
    ("prices_two_tickers.csv", "prices_two_tickers.csv line 2: the file holds several tickers (BZ=F, CL=F); "
                               "import one ticker per file"),
])
def test_bad_price_files(name, message):
    with pytest.raises(CsvError) as error:
        read_prices_csv(FIXTURES / name)
    assert str(error.value) == message


def test_bad_rows_first_reported_with_count_and_skipped_with_reasons():
    path = FIXTURES / "prices_bad_rows.csv"
    with pytest.raises(CsvError) as error:
        read_prices_csv(path)
    assert str(error.value) == ("prices_bad_rows.csv line 4: time 'abc-date' is not a date or time (expected "
                                "ISO 8601 such as 2022-03-01T12:00:00Z, or RFC 822) (and 2 more bad rows)")
    result = read_prices_csv(path, skip_bad=True)
    assert result.skipped == [
        (4, "time 'abc-date' is not a date or time (expected ISO 8601 such as 2022-03-01T12:00:00Z, "
            "or RFC 822)"),
        (6, "close 'abc' is not a number"),
        (7, "close is missing"),
    ]
    assert result.bars["ts"].tolist() == [ts("2022-03-01T00:00:00Z"), ts("2022-03-02T00:00:00Z"),
                                          ts("2022-03-04T00:00:00Z")]
    assert result.bars["close"].tolist() == [97.97, 110.93, 112.1]


def test_impossible_prices_and_volumes_are_bad_rows():
    path = FIXTURES / "prices_impossible.csv"
    with pytest.raises(CsvError) as error:
        read_prices_csv(path)
    assert str(error.value) == ("prices_impossible.csv line 3: close '-5' is negative: a price must be positive "
                                "(and 4 more bad rows)")
    result = read_prices_csv(path, skip_bad=True)
    assert result.skipped == [
        (3, "close '-5' is negative: a price must be positive"),
        (4, "close '0' is zero: a price must be positive"),
        (5, "close '1e308' is above 1e12, the largest price accepted"),
        (6, "close '1e-320' is below 1e-9, the smallest price accepted"),
        (7, "volume '-3' is negative"),
    ]
    assert result.bars["close"].tolist() == [10.5, 11.5]


@pytest.mark.parametrize(("row", "message"), [
    ("2024-01-03;-1,5;2;0,5;1;7", "open '-1,5' is negative: a price must be positive"),   # as written
    ("2024-01-03;1;2e12;0,5;1;7", "high '2e12' is above 1e12, the largest price accepted"),
    ("2024-01-03;1;2;0;1;7", "low '0' is zero: a price must be positive"),
    ("2024-01-03;1;2;0,5;1;1e19", "volume '1e19' is above 1e18, the largest volume accepted"),
    ("2024-01-03;1;2;0,5;1e-9;0", None),            # the bounds themselves, and a volume of 0
])
def test_every_price_column_is_checked(tmp_path, row, message):
    path = write(tmp_path, "p.csv", f"Date;Open;High;Low;Close;Volume\n2024-01-02;1;2;0,5;1;7\n{row}\n")
    if message is None:
        assert read_prices_csv(path).bars["close"].tolist() == [1.0, 1e-9]
        return
    with pytest.raises(CsvError) as error:
        read_prices_csv(path)
    assert str(error.value) == f"p.csv line 3: {message}"


@pytest.mark.parametrize(("text", "message"), [
    # a quote never closed: the rows after it are not swallowed into one field
    ("Date,Close\n2024-01-02,10.5\n2024-01-03,\"11.0\n2024-01-04,12.0\n", "line 3: unterminated quoted field"),
    ('Date,Close\n"2024-01-02,10.5\n', "line 2: unterminated quoted field"),
    # closed further down, with more than a delimiter after it
    ('Date,Close\n2024-01-02,"10.5\n2024-01-03,11\n2024-01-04,"12"\n',
     "line 2: cannot split the line as CSV (',' expected after '\"', on line 4)"),
    ('Date,Close\n2024-01-02,"10.5"x\n', "line 2: cannot split the line as CSV (',' expected after '\"')"),
])
def test_quotes_that_would_swallow_rows_are_refused(tmp_path, text, message):
    path = write(tmp_path, "q.csv", text)
    for skip_bad in (False, True):
        with pytest.raises(CsvError) as error:
            read_prices_csv(path, skip_bad=skip_bad)
        assert str(error.value) == f"q.csv {message}"
    headlines = write(tmp_path, "h.csv", text.replace("Date,Close", "published,title"))
    with pytest.raises(CsvError) as error:
        read_headlines_csv(headlines, fetched=FETCHED)
    assert str(error.value) == f"h.csv {message}"


def test_newsmarks_format_with_several_instruments():
    path = FIXTURES / "prices_newsmarks_two.csv"
    with pytest.raises(CsvError) as error:
        read_prices_csv(path)
    assert str(error.value) == ("prices_newsmarks_two.csv: the file holds several instruments "
                                "(brent, usd_rub); choose one")
    with pytest.raises(CsvError) as error:
        read_prices_csv(path, instrument="eur_rub")
    assert str(error.value) == ("prices_newsmarks_two.csv: no rows for instrument 'eur_rub' (the file has: "
                                "brent, usd_rub)")
    brent = read_prices_csv(path, instrument="brent")
    assert (brent.instrument, brent.interval, brent.interval_guess) == ("brent", "1d", "1d")
    assert_bar(brent.bars, "2022-03-01T00:00:00Z", 97.1, 99.0, 96.0, 97.97, NAN, None)
    assert_bar(brent.bars, "2022-03-02T00:00:00Z", 98.0, 112.0, 97.5, 110.93, 12.0, None)
    assert len(brent.bars) == 2
    rub = read_prices_csv(path, instrument="usd_rub", interval="1d")
    assert rub.bars["close"].tolist() == [105.0, 111.5]


@pytest.mark.parametrize("reader", ["prices", "headlines"])
@pytest.mark.parametrize(("data", "message"), [
    (b"", "x.csv: the file is empty"),
    (b"\n \r\n\n", "x.csv: the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.csv: not a text file (binary data: NUL byte at offset 8)"),
    ("Дата,Цена\n".encode("cp1251"),
     "x.csv line 1: not UTF-8 text (byte 0xc4 at offset 0); save the file as UTF-8"),
    (b"Date,Price,title\n", "x.csv: no data rows (columns: Date, Price, title)"),
])
def test_empty_binary_and_non_utf8_files(tmp_path, reader, data, message):
    path = write(tmp_path, "x.csv", data)
    with pytest.raises(CsvError) as error:
        if reader == "prices":
            read_prices_csv(path)
        else:
            read_headlines_csv(path, fetched=FETCHED)
    assert str(error.value) == message


def test_utf16_with_bom_reads(tmp_path):
    path = write(tmp_path, "u16.csv", "Date,Price\n2022-03-01,97.97\n".encode("utf-16"))
    assert read_prices_csv(path).bars["close"].tolist() == [97.97]


# -- real headline files ---------------------------------------------------------------------------

@pytest.mark.slow   # a whole real file
def test_world_headlines_rss_archive(shared_data):
    result = read_headlines_csv(shared_data / "world-headlines-rss-2026-05-to-08.csv", fetched=FETCHED)
    assert len(result.headlines) == 88751 and result.skipped == []
    assert result.columns == {"time": "pub_date_utc", "title": "title", "source": "source"}
    title = "What is France's heatwave warning system and how does it work?"
    assert result.headlines[0] == Headline(
        source="RFI English", guid="sha1:244a1fe1a8b34f58e78ce8e54056b89e24a4ddd2", title=title,
        published=utc(2023, 8, 23, 8, 26, 21), fetched=FETCHED)
    # the guid is the SHA-1 of source, title and ISO time, so a re-import adds nothing
    recipe = hashlib.sha1(f"RFI English\n{title}\n2023-08-23T08:26:21Z".encode()).hexdigest()
    assert result.headlines[0].guid == f"sha1:{recipe}"
    assert result.headlines[1].title == ("Inside Rod Brind’Amour and Amy Biedenbach’s Enduring Love Story "
                                         "Beyond the NHL")
    assert result.headlines[1].published == utc(2025, 6, 14, 18, 30)


def test_bbc_business_rfc822(shared_data):
    result = read_headlines_csv(shared_data / "bbc-business-rss-2022-2024.csv", fetched=FETCHED)
    assert len(result.headlines) == 2656 and result.skipped == []
    assert result.headlines[1] == Headline(
        source="import:bbc-business-rss-2022-2024.csv",
        guid="https://www.bbc.co.uk/news/business-60642786",
        title="Ukraine conflict: Oil price soars to highest level since 2008",
        published=utc(2022, 3, 7, 8, 15, 53), fetched=FETCHED,
        summary=("Consumers are feeling the impact of higher energy costs as fuel prices and household "
                 "bills jump."),
        link="https://www.bbc.co.uk/news/business-60642786?at_medium=RSS&at_campaign=KARANGA")
    named = read_headlines_csv(shared_data / "bbc-business-rss-2022-2024.csv", source="bbc-business",
                               fetched=FETCHED)
    assert {h.source for h in named.headlines} == {"bbc-business"}


@pytest.mark.slow   # a whole real file
def test_reddit_bytes_literals_unwrapped(shared_data):
    result = read_headlines_csv(shared_data / "reddit-worldnews-2008-2016.csv", fetched=FETCHED)
    headlines = result.headlines
    assert len(headlines) == 73607
    assert result.skipped == [(76002, "title is empty")]  # b'        ': nothing to import
    assert headlines[0].title == (
        "A 117-year-old woman in Mexico City finally received her birth certificate, and died a few hours "
        "later. Trinidad Alvarez Lira had waited years for proof that she had been born in 1898.")
    assert headlines[0].published == utc(2016, 7, 1) and headlines[0].time_inferred is False
    day = [h.title for h in headlines if h.published == utc(2010, 6, 30)]
    # the day's first row, line 57792: "b""South Korea's parliament votes ..."""
    assert day[0] == ("South Korea's parliament votes to legalize chemical castration as punishment for "
                      "convicted child sex offenders")
    # line 57793: b'...: \nPublic ...' -- the escape becomes a newline, and plain text one space
    assert day[1] == ("Pope rebukes cardinal who exposed abuse: Public dressing down for man praised for "
                      "criticism of church abuse cover-ups.")
    titles = {h.title: h for h in headlines}
    # line 57854: "b'""The servant\'s baby ...""'" -- CSV quotes, then the bytes literal's \'
    servant = ('"The servant\'s baby was severely malnourished. When we tried to help, her grandfather '
               "sold the fortified milk we provided. In India, if there isn't enough to go around, a girl "
               'child is ignored, and sometimes left to die."')
    assert titles[servant].published == utc(2010, 6, 28)
    # line 57819: escaped \r\n inside: a space
    bishop = "The Bishop of Bayeux went to jail rather than give authorities"
    assert any(t.startswith(bishop) for t in titles)
    assert not any(h.title.startswith(("b'", 'b"')) for h in headlines)
    assert {h.source for h in headlines} == {"import:reddit-worldnews-2008-2016.csv"}


# -- hand-made headline files ----------------------------------------------------------------------

def test_headline_columns_times_links_and_restored_cells():
    result = read_headlines_csv(FIXTURES / "headlines_mixed.csv", fetched=FETCHED)
    default = "import:headlines_mixed.csv"
    assert result.headlines == [
        Headline(source="BBC", guid="g-1", title="Oil soars, again", published=utc(2022, 3, 7, 12),
                 fetched=FETCHED, summary="Summary, with comma", link="https://news.example.org/a?x=1"),
        Headline(source=default, guid=stable_guid(default, "Rouble falls", "2022-03-07T12:30:00Z"),
                 title="Rouble falls", published=utc(2022, 3, 7, 12, 30), fetched=FETCHED, link=None),
        Headline(source="Reuters", guid=stable_guid("Reuters", "Title with\nnewline", "2022-03-08T00:00:00Z"),
                 title="Title with newline", published=utc(2022, 3, 8), fetched=FETCHED, link=None,
                 day_precision=True),  # `2022-03-08`: a date alone; the guid from the title as written
        Headline(source="Reuters", guid="http://example.com/x", title="=SUM(A1)",
                 published=utc(2022, 3, 8, 9), fetched=FETCHED, summary="@sum", link="http://example.com/x"),
        Headline(source="Reuters", guid="HTTPS://EXAMPLE.COM/y", title="Sanctions widen",
                 published=utc(2022, 3, 8, 7), fetched=FETCHED, link="HTTPS://EXAMPLE.COM/y"),
    ]
    assert stable_guid(default, "Rouble falls", "2022-03-07T12:30:00Z") == \
        "sha1:e02c189087072ddb8cdabefe3252198c1d15ee33"


def test_headline_bad_times_by_physical_line():
    path = FIXTURES / "headlines_bad_time.csv"  # record 1 spans lines 2-3
    with pytest.raises(CsvError) as error:
        read_headlines_csv(path, fetched=FETCHED)
    assert str(error.value) == ("headlines_bad_time.csv line 4: published 'Mon, 07 Mar 2022 12:00:00 MSK' "
                                "has an unknown time zone 'MSK' (use a numeric offset)")
    result = read_headlines_csv(path, fetched=FETCHED, skip_bad=True, source="s")
    assert result.skipped == [
        (4, "published 'Mon, 07 Mar 2022 12:00:00 MSK' has an unknown time zone 'MSK' "
            "(use a numeric offset)"),
        (5, "published 'yesterday' is not a date or time (expected ISO 8601 such as 2022-03-01T12:00:00Z, "
            "or RFC 822)"),
    ]
    assert [(h.title, h.published) for h in result.headlines] == [
        ("First second line", utc(2022, 3, 7)), ("Good", utc(2022, 3, 8))]


def test_headline_time_inferred_column_and_missing_title_column():
    path = FIXTURES / "headlines_newsmarks.csv"
    with pytest.raises(CsvError) as error:
        read_headlines_csv(path, fetched=FETCHED)
    assert str(error.value) == "headlines_newsmarks.csv line 3: time_inferred 'maybe' is not true or false"
    result = read_headlines_csv(path, fetched=FETCHED, skip_bad=True)
    assert [(h.title, h.time_inferred) for h in result.headlines] == [("Oil up", True), ("Coal up", False)]
    with pytest.raises(CsvError) as error:
        read_headlines_csv(FIXTURES / "headlines_no_title.csv", fetched=FETCHED)
    assert str(error.value) == ("headlines_no_title.csv: no title column (looked for title, headline, news; "
                                "found: date, body)")
    with pytest.raises(ValueError):
        read_headlines_csv(path, fetched=datetime(2026, 9, 1))


def test_reimport_adds_nothing(store_url):
    store = Store.open(store_url)
    first = read_headlines_csv(FIXTURES / "headlines_mixed.csv", fetched=FETCHED).headlines
    again = read_headlines_csv(FIXTURES / "headlines_mixed.csv", fetched=datetime(2026, 9, 2, tzinfo=UTC))
    assert store.write_headlines(first).new == 5
    counts = store.write_headlines(again.headlines)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 5)
    store.close()


# -- headline text and times that can be trusted ----------------------------------------------------

def entity_topics():
    from ingest.config_sections import Topic

    return [Topic(name="Delhi visit", terms=["Putin's visit"]), Topic(name="Cafes", terms=["café"])]


def test_entities_decoded_in_titles_and_summaries_and_tagged_on_the_decoded_text(store_url):
    from ingest.csvio.csv_headlines import unwrap_bytes_literal
    from ingest.headline_tags.stored_tags import headline_tagger

    result = read_headlines_csv(FIXTURES / "headlines_entities.csv", fetched=FETCHED)
    assert [(h.title, h.summary) for h in result.headlines] == [
        ("Putin's visit to Delhi & what it means", 'Café owners "worried" about prices'),
        ("Brazil’s real slips", "AT&T keeps its name"),   # unwrapped, then decoded; a bare & stays
    ]
    # guids are made from the title as the file writes it: a file imported before decoding is recognised
    assert [h.guid for h in result.headlines] == [
        stable_guid("CNA", "Putin&#039;s visit to Delhi &amp;amp; what it means", "2026-05-12T08:00:00Z"),
        stable_guid("Rio Times", unwrap_bytes_literal("b'Brazil&#8217;s real slips'"), "2026-05-12T09:30:00Z")]
    tag = headline_tagger(entity_topics())
    store = Store.open(store_url)
    assert store.write_headlines(result.headlines, tag=tag).new == 2
    stored = store.headlines(sort="title")
    assert stored[["title", "summary", "topics"]].values.tolist() == [
        ["Brazil’s real slips", "AT&T keeps its name", ""],
        ["Putin's visit to Delhi & what it means", 'Café owners "worried" about prices', "Cafes;Delhi visit"]]
    assert store.headlines(query='"Putin\'s visit"')["title"].tolist() == ["Putin's visit to Delhi & what it means"]
    assert store.headlines(query="café")["title"].tolist() == ["Putin's visit to Delhi & what it means"]
    store.close()


def test_dates_alone_and_future_times(store_url, tmp_path):
    from dataclasses import replace

    result = read_headlines_csv(FIXTURES / "headlines_dates_future.csv", fetched=FETCHED)
    guid = {h.title: h.guid for h in result.headlines}
    assert [(h.title, h.published, h.time_inferred, h.day_precision) for h in result.headlines] == [
        ("A date alone", utc(2008, 6, 8), False, True),
        ("An RFC 822 date without a clock", utc(2008, 6, 8), False, True),
        ("Midnight to the second", utc(2008, 6, 8), False, False),
        ("Dated 2099", FETCHED, True, False),                                  # the import time, inferred
        ("Five minutes after the import", utc(2026, 9, 1, 12, 5), False, False),  # within the 10 minutes
    ]
    assert result.future == 1
    # a guid keeps the time text it always had: a date alone as its midnight, a future time as written
    assert guid["A date alone"] == stable_guid("reddit", "A date alone", "2008-06-08T00:00:00Z")
    assert guid["Dated 2099"] == stable_guid("reddit", "Dated 2099", "2099-01-01T00:00:00Z")
    store = Store.open(store_url)
    store.write_headlines(result.headlines)
    stored = store.headlines()
    assert stored["day_precision"].tolist() == [True, True, False, False, False]
    exported = headlines_to_csv(stored)
    assert exported == (
        "published_utc,source,title,link,summary,time_inferred,topics,guid,text_truncated\n"
        f"2008-06-08,reddit,A date alone,,,false,,{guid['A date alone']},false\n"
        f"2008-06-08,reddit,An RFC 822 date without a clock,,,false,,{guid['An RFC 822 date without a clock']},false\n"
        f"2008-06-08T00:00:00Z,reddit,Midnight to the second,,,false,,{guid['Midnight to the second']},false\n"
        f"2026-09-01T12:00:00Z,reddit,Dated 2099,,,true,,{guid['Dated 2099']},false\n"
        f"2026-09-01T12:05:00Z,reddit,Five minutes after the import,,,false,,{guid['Five minutes after the import']},"
        "false\n")
    back = read_headlines_csv(write(tmp_path, "export.csv", exported), fetched=utc(2026, 9, 2))
    assert back.future == 0 and sorted(back.headlines, key=lambda h: h.guid) == sorted(
        [replace(h, fetched=utc(2026, 9, 2)) for h in result.headlines], key=lambda h: h.guid)
    counts = store.write_headlines(back.headlines)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 5)
    store.close()


def test_a_year_or_month_alone_is_refused():
    with pytest.raises(CsvError) as error:
        read_headlines_csv(FIXTURES / "headlines_month_only.csv", fetched=FETCHED)
    assert str(error.value) == ("headlines_month_only.csv line 2: published '2026-07' has no day "
                                "(a date, or a date and time, is needed)")
    result = read_headlines_csv(FIXTURES / "headlines_month_only.csv", fetched=FETCHED, skip_bad=True)
    assert [(h.title, h.published, h.day_precision) for h in result.headlines] == [("A day", utc(2026, 7, 26), True)]


def test_cli_import_headlines_counts_times_in_the_future(store_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ingest.cli import cli

    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n', encoding="utf-8")
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    path = FIXTURES / "headlines_dates_future.csv"
    result = CliRunner().invoke(cli, ["--config", str(config), "import-headlines", str(path), "--source", "Hand"],
                                catch_exceptions=False)
    assert result.output == (f"{path}: 5 new, 0 updated, 0 unchanged headlines; "
                             "1 time in the future replaced by the import time\n")
    two = write(tmp_path, "two.csv", "published,title\n2099-01-01,Ahead\n2098-05-05T10:00:00Z,Ahead too\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "import-headlines", str(two)], catch_exceptions=False)
    assert result.output == (f"{two}: 2 new, 0 updated, 0 unchanged headlines; "
                             "2 times in the future replaced by the import time\n"
                             "2 rows had no source: stored as 'import:two.csv'; name it with --source, e.g. "
                             f"newsmarks import-headlines {two} --source 'BBC Business'\n")


@pytest.mark.slow   # a whole real file
def test_reddit_dates_are_days_and_keep_their_guids(shared_data):
    import csv

    from ingest.csvio.csv_headlines import unwrap_bytes_literal

    path = shared_data / "reddit-worldnews-2008-2016.csv"
    result = read_headlines_csv(path, fetched=FETCHED)
    assert len(result.headlines) == 73607 and all(h.day_precision for h in result.headlines)
    assert all(h.published.hour == h.published.minute == h.published.second == 0 for h in result.headlines)
    # the guid recipe of every earlier import: source, the unwrapped title as written, the date's midnight
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(r["Date"], unwrap_bytes_literal(r["News"])) for r in csv.DictReader(handle)]
    source = "import:reddit-worldnews-2008-2016.csv"
    assert [h.guid for h in result.headlines] == [stable_guid(source, title, f"{day}T00:00:00Z")
                                                  for day, title in rows if title.strip()]
    decoded = [h for h in result.headlines if "&amp;" not in h.title and "&" in h.title]
    assert sum("&amp;" in h.title or "&gt;" in h.title or "&lt;" in h.title for h in result.headlines) == 0
    assert decoded  # `&amp;` became `&`


@pytest.mark.integration
def test_reimporting_the_reddit_file_into_a_store_filled_before_adds_nothing(shared_data, tmp_path):
    """Re-importing adds no row (same guids); it marks the rows an earlier newsmarks stored as
    exact midnights as dated to the day only, and a second re-import changes nothing."""
    from dataclasses import replace

    path = shared_data / "reddit-worldnews-2008-2016.csv"
    fresh = read_headlines_csv(path, fetched=FETCHED).headlines
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    # as an earlier newsmarks stored it: exact midnights, no day precision
    before = store.write_headlines([replace(h, day_precision=False) for h in fresh])
    assert before.new == 73581   # 26 rows repeat a title on its day
    again = read_headlines_csv(path, fetched=utc(2026, 9, 2)).headlines
    counts = store.write_headlines(again)
    assert (counts.new, counts.updated) == (0, 73581)
    assert store.headlines(limit=3)["day_precision"].tolist() == [True, True, True]
    counts = store.write_headlines(read_headlines_csv(path, fetched=utc(2026, 9, 3)).headlines)
    assert (counts.new, counts.updated) == (0, 0)
    store.close()


@pytest.mark.integration
def test_world_headlines_import_leaves_no_entity_in_titles(shared_data, tmp_path):
    import csv

    path = shared_data / "world-headlines-rss-2026-05-to-08.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        raw = [row["title"] for row in csv.DictReader(handle)]
    assert sum(any(e in t for e in ("&#039;", "&amp;", "&quot;")) for t in raw) == 3087
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    imported = read_headlines_csv(path, fetched=FETCHED)
    assert store.write_headlines(imported.headlines).new == 88751
    titles = store.headlines()["title"].tolist()
    assert len(titles) == 88751
    assert sum(any(e in t for e in ("&#039;", "&amp;", "&quot;")) for t in titles) == 0
    # 5,270 with entities or extra spaces, and 2 with an information separator (U+001E) where a
    # hyphen was (`self\x1edetermination`): a space
    assert sum(t != decoded for t, decoded in zip(raw, [h.title for h in imported.headlines], strict=True)) == 5272
    assert ("Falklands, Territorial integrity and self determination dominate discussions,… but oil may change "
            "that") in titles
    store.close()


# -- formula safety and links -----------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+2", "'=1+2"), ("+7", "'+7"), ("-36.98", "'-36.98"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("'=x", "''=x"), ("''-x", "'''-x"),
    ("plain", "plain"), ("'quoted'", "'quoted'"), (" =x", " =x"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise_and_restore_are_inverse(cell, safe):
    assert neutralise_cell(cell) == safe
    assert restore_cell(safe) == cell


@pytest.mark.parametrize(("link", "kept"), [
    ("https://news.example.org/a?x=1", "https://news.example.org/a?x=1"),
    (" http://example.com/x ", "http://example.com/x"),
    ("javascript:alert(1)", None), ("data:text/html,<b>x</b>", None), ("/relative/path", None),
    ("//example.com/x", None), ("http://", None), ("http://exa mple.com", None),
    ("ftp://example.com/f", None),
    ("", None), (None, None), ("https://[bad", None),
])
def test_safe_link(link, kept):
    assert safe_link(link) == kept


# -- export ---------------------------------------------------------------------------------------

def test_prices_export_exact_text():
    frame = pd.DataFrame({
        "instrument_id": ["wti", "=cmd"], "interval": ["1d", "1h"],
        "ts": pd.to_datetime(["2020-04-20T00:00:00Z", "2022-06-14T23:00:00Z"], utc=True).as_unit("s"),
        "open": [NAN, 0.1 + 0.2], "high": [NAN, 123456789.123456789], "low": [NAN, 5.0],
        "close": [-36.98, 58.34000015258789], "volume": [NAN, 29078.0], "source": ["csv", "yahoo"],
        "flag": ["jump", None], "review": ["good", None],
        "known": pd.to_datetime(["2020-04-20T19:30:00Z", None], utc=True).as_unit("s"),  # the 1h bar: provisional
    })
    assert prices_to_csv(frame) == (
        "timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags\n"
        '2020-04-20T00:00:00Z,wti,1d,2020-04-20T19:30:00Z,,,,-36.98,,"jump,review:good"\n'
        "2022-06-14T23:00:00Z,'=cmd,1h,,0.30000000000000004,123456789.12345679,5,58.34000015258789,29078,\n"
    )


def test_headlines_export_exact_text():
    frame = pd.DataFrame({
        "id": [1, 2], "source": ["bbc", "-tass"], "guid": ["g1", "g2"],
        "title": ['Oil, "Brent" and gas', "=HYPERLINK(\"http://x\")\nРубль"],
        "summary": ["", "@risk\rline"], "link": ["https://news.example.org/1", None],
        "published": pd.to_datetime([1646612082, 1646640000], unit="s", utc=True),
        "fetched": pd.to_datetime([1646612100, 1646640000], unit="s", utc=True),
        "time_inferred": [False, True], "story_id": [1, 2], "topics": ["oil;russia", ""],
        "text_truncated": [True, False],
    })
    assert headlines_to_csv(frame) == (
        "published_utc,source,title,link,summary,time_inferred,topics,guid,text_truncated\n"
        '2022-03-07T00:14:42Z,bbc,"Oil, ""Brent"" and gas",https://news.example.org/1,,false,oil;russia,g1,true\n'
        "2022-03-07T08:00:00Z,'-tass,\"'=HYPERLINK(\"\"http://x\"\")\nРубль\",,\"'@risk\rline\",true,,g2,false\n"
    )


def test_empty_store_exports_header_only(store_url):
    store = Store.open(store_url)
    assert prices_to_csv(store.bars()) == \
        "timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags\n"
    assert headlines_to_csv(store.headlines()) == \
        "published_utc,source,title,link,summary,time_inferred,topics,guid,text_truncated\n"
    store.close()


def test_prices_round_trip_through_store(shared_data, store_url, tmp_path):
    wti = read_prices_csv(shared_data / "wti-daily.csv", skip_bad=True).bars   # without -36.98
    window = wti[(wti["ts"] >= ts("2020-04-14T00:00:00Z")) & (wti["ts"] <= ts("2020-04-24T00:00:00Z"))]
    extra = pd.DataFrame({"ts": pd.to_datetime(["2020-04-25T00:00:00Z", "2020-04-26T00:00:00Z"], utc=True),
                          "open": [0.1 + 0.2, NAN], "high": [1e-300 + 20, 25.0], "low": [1 / 3, 2e-7],
                          "close": [12.345678901234567, 17.0], "volume": [NAN, 1e17], "flag": [None, None]})
    bars = pd.concat([window, extra], ignore_index=True)
    bars["known"] = bars["ts"] + pd.Timedelta(hours=19, minutes=30)
    bars["flag"] = flag_bars(bars)  # as the sources store them
    assert bars["flag"].tolist()[3:6] == [None, "jump", None]  # 18.31, 8.91, 13.64
    store = Store.open(store_url)
    store.write_bars("wti", "1d", "csv", bars, FETCHED)
    store.write_bars("brent", "1d", "csv", bars.assign(close=bars["close"] + 1), FETCHED)
    stored = store.bars()
    store.close()
    path = write(tmp_path, "export.csv", prices_to_csv(stored))
    back = read_prices_csv(path, instrument="wti")
    assert (back.instrument, back.interval) == ("wti", "1d")
    original = stored[stored["instrument_id"] == "wti"].reset_index(drop=True)
    expected = original[BAR_COLUMNS[:-1]].assign(ts=original["ts"].dt.as_unit("ns"),
                                                 known=original["known"].dt.as_unit("ns"))
    pd.testing.assert_frame_equal(back.bars[BAR_COLUMNS[:-1]], expected)
    assert back.known_given == len(back.bars)   # from the export's known_utc column
    stored_flags = [f if isinstance(f, str) else None for f in original["flag"]]
    assert back.bars["flag"].tolist() == stored_flags == bars["flag"].tolist()
    assert back.bars["close"].iloc[4] == 8.91
    assert back.bars["low"].iloc[-2] == 1 / 3 and back.bars["volume"].iloc[-1] == 1e17
    assert bool(np.isnan(back.bars["open"].iloc[0]))


def test_headlines_round_trip_through_store(store_url, tmp_path):
    from dataclasses import replace

    def made(source, title, when, link=None, summary="", inferred=False, truncated=False):
        guid = link or stable_guid(source, title, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return Headline(source=source, guid=guid, title=title, published=when, fetched=FETCHED,
                        summary=summary, link=link, time_inferred=inferred, text_truncated=truncated)

    originals = [
        made("bbc", 'Oil, "Brent" and gas, again', utc(2022, 3, 7, 0, 14, 42),
             link="https://news.example.org/business-1", summary="Line one\nline two"),
        made("тасс", "Рубль упал до 120 за доллар", utc(2022, 3, 7, 9), inferred=True),
        made("-minus", '=HYPERLINK("http://evil")', utc(2022, 3, 8), link="http://example.com/a?b=1,2",
             summary="@SUM(1)"),
        made("bbc", "\tTabbed, with CR\r\nin it", utc(2022, 3, 9, 23, 59, 59), summary="+1 vs '-2"),
        made("bbc", "'=already quoted", utc(2022, 3, 10)),
        made("wire", "A title cut to its cap…", utc(2022, 3, 11), truncated=True),   # the flag comes back
    ]
    store = Store.open(store_url)
    store.write_headlines(originals)   # written as given: text stored around the import's cleaning
    frame = store.headlines()
    store.close()
    path = write(tmp_path, "headlines.csv", headlines_to_csv(frame))
    back = read_headlines_csv(path, fetched=FETCHED)
    assert back.skipped == []
    # every cell comes back as stored, but made plain text as every import makes it (the line
    # breaks and the tab were never what a feed or an import stores)
    assert back.headlines == [
        replace(originals[0], summary="Line one line two"),
        *originals[1:3],
        replace(originals[3], title="Tabbed, with CR in it"),   # its guid made from the title as stored
        *originals[4:]]
