"""The three download buttons really deliver CSV files to the browser's download folder."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from dashboard import ids
from dashboard.analysis.moves import moves_after
from ingest.csvio.csv_safety import format_number
from ingest.store import Store
from tests.browser import page
from tests.browser.fixture_store import BRENT_CSV, USD_RUB_CSV

LINK = "/?instruments=brent,usd_rub_mkt&q=oil&range=custom&start=2022-03-01&end=2022-03-31"
MARCH = (datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 3, 31, 23, 59, 59, tzinfo=UTC))
BOM = b"\xef\xbb\xbf"
HEADLINES_HEADER = "time,source,title,link,summary,topics"
FIRST_HEADLINE = ("2022-03-07T08:15:53+00:00,BBC Business,"
                  "Ukraine conflict: Petrol at fresh record as oil and gas prices soar,"
                  "https://www.bbc.co.uk/news/business-60642786?at_medium=RSS&at_campaign=KARANGA,"
                  '"Investors fear a global economic shock, with rising fuel bills causing more pain for households.",'
                  "Energy;Ukraine")


def march_days(path, delimiter: str) -> set[str]:
    """The dates of March 2022 in a real price file (first column), read with the csv module."""
    with path.open(newline="") as handle:
        return {row[0] for row in csv.reader(handle, delimiter=delimiter) if row[0].startswith("2022-03")}


def lines_of(content: bytes) -> list[str]:
    """The lines of a downloaded CSV: UTF-8 after a byte-order mark, `\\n` line ends, a final newline."""
    assert content.startswith(BOM)
    text = content[len(BOM):].decode("utf-8")
    assert "\r" not in text and text.endswith("\n")
    return text[:-1].split("\n")


def click_and_read(duo, button: str, name: str) -> list[str]:
    page.click_in_view(duo, f"#{button}")
    return lines_of(page.downloaded(duo.download_path, name))


def test_each_download_button_delivers_its_csv(open_app, browser_config):
    store = Store.open(browser_config.store.url)
    try:
        oil = store.headlines(start=MARCH[0], end=MARCH[1], query="oil", stories_only=True)
        bars = store.bars(["brent", "usd_rub_mkt"], None, MARCH[0] - timedelta(days=7), MARCH[1] + timedelta(days=7))
    finally:
        store.close()
    first_moves = moves_after(oil[["id", "published", "day_precision"]], bars, reasons=True).iloc[0]
    days = march_days(BRENT_CSV, ",") | march_days(USD_RUB_CSV, ";")

    duo = open_app(LINK)
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TABLE_COUNT}"), "5 headlines", "the table count")

    prices = click_and_read(duo, ids.DOWNLOAD_PRICES_BUTTON, "newsmarks-prices-2022-03-01-to-2022-03-31.csv")
    assert prices[0] == "time_UTC,brent,usd_rub_mkt"
    assert prices[1] == "2022-03-01T00:00:00+00:00,110.93,104.97350311279297"  # the two files' closes of that day
    assert prices[-1] == "2022-03-31T00:00:00+00:00,107.29,83.46499633789062"
    assert len(prices) - 1 == len(days) == 23

    headlines = click_and_read(duo, ids.DOWNLOAD_HEADLINES_BUTTON, "newsmarks-headlines-2022-03-01-to-2022-03-31.csv")
    assert headlines[0] == HEADLINES_HEADER
    assert headlines[1] == FIRST_HEADLINE
    assert len(headlines) - 1 == len(oil) == 5
    assert [row[2] for row in csv.reader(io.StringIO("\n".join(headlines[1:])))] == oil["title"].tolist()

    joined = click_and_read(duo, ids.DOWNLOAD_JOINED_BUTTON, "newsmarks-joined-2022-03-01-to-2022-03-31.csv")
    move_columns = [f"{kind}_{i}_{h}" for i in ("brent", "usd_rub_mkt") for h in ("1h", "1d")
                    for kind in ("move", "why")]
    assert joined[0] == ",".join([HEADLINES_HEADER, *move_columns])
    assert joined[1] == ",".join([FIRST_HEADLINE, *(format_number(first_moves[c]) if c.startswith("move_")
                                                    else (first_moves[c] or "") for c in move_columns)])
    # daily bars only: no 1h move (never a 0). A day after 08:15 UTC on Monday 7 March Brent's close
    # of that day is known (settled 19:30 London); the market rate's close of the 7th (108.85, far
    # below that day's low of 134.46) is a flagged bad tick: no move across it
    assert joined[1].split(",")[-8:] == ["", "no hourly data", format_number(first_moves["move_brent_1d"]), "",
                                         "", "no hourly data", "", "flagged bar"]
    assert len(joined) - 1 == 5
    assert duo.get_logs() == []
