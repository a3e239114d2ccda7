from __future__ import annotations

import pandas as pd

from dashboard.ticker import TickerItem, ticker_items
from ingest.config import Config


def frame(rows):
    data = pd.DataFrame(rows, columns=["instrument_id", "interval", "ts", "close"])
    data["ts"] = pd.to_datetime(data["ts"], utc=True, format="ISO8601")
    return data


def test_strip_values_like_the_news_page():
    recent = frame([
        ("usd_rub", "1d", "2016-01-20", 88.39), ("usd_rub", "1d", "2016-01-21", 87.70),
        ("eur_rub", "1d", "2016-01-20", 96.33), ("eur_rub", "1d", "2016-01-21", 95.44),
        ("brent", "1d", "2016-01-20", 89.49), ("brent", "1h", "2016-01-21 09:00", 90.0),
        ("brent", "1h", "2016-01-21 10:00", 90.06274),
        ("usd_rub_mkt", "1d", "2016-01-21", 80.0),
    ])
    items = ticker_items(recent, Config().instruments)
    assert [(i.mark, i.value, i.change, i.direction) for i in items] == [
        ("$", "87.70", "-0.69", "down"), ("€", "95.44", "-0.89", "down"), ("BR", "90.06", "+0.64%", "up")]
    assert items[2] == TickerItem("brent", "BR", "90.06", "+0.64%", "up", pd.Timestamp("2016-01-21 10:00", tz="UTC"))


def test_single_bar_has_no_change_and_flat_moves_are_flat():
    recent = frame([("usd_rub", "1d", "2016-01-21", 87.70), ("eur_rub", "1d", "2016-01-20", 95.441),
                    ("eur_rub", "1d", "2016-01-21", 95.444)])
    items = ticker_items(recent, Config().instruments)
    assert [(i.value, i.change, i.direction) for i in items] == [("87.70", "", "flat"), ("95.44", "0.00", "flat")]
