from __future__ import annotations

import pandas as pd

from dashboard.header.parts import ticker_title
from dashboard.header.ticker import TickerItem, ticker_items
from ingest.close_rules import cbr_rule, parse_rule
from ingest.config import Config

BRENT_RULE = parse_rule("19:30 Europe/London")


def frame(rows, bad=()) -> pd.DataFrame:
    """Bars (instrument_id, interval, ts, close) with their known times: the Bank of Russia's rule
    for usd_rub/eur_rub, 19:30 London for brent's daily bars, an hour after the start for hourly
    bars, the end of the London day for the market quotes."""
    data = pd.DataFrame(rows, columns=["instrument_id", "interval", "ts", "close"])
    data["ts"] = pd.to_datetime(data["ts"], utc=True, format="ISO8601")
    rules = {"usd_rub": cbr_rule(), "eur_rub": cbr_rule(), "brent": BRENT_RULE,
             "usd_rub_mkt": parse_rule("24:00 Europe/London")}
    known = []
    for row in data.itertuples():
        if row.interval == "1h":
            known.append(row.ts + pd.Timedelta(hours=1))
        else:
            known.append(rules[row.instrument_id].known(pd.Series([row.ts])).iloc[0])
    data["known"] = pd.Series(known, dtype="datetime64[ns, UTC]")
    data["bad"] = [i in bad for i in range(len(data))]
    return data


def test_strip_values_like_the_news_page():
    recent = frame([
        ("usd_rub", "1d", "2016-01-20", 88.39), ("usd_rub", "1d", "2016-01-21", 87.70),
        ("eur_rub", "1d", "2016-01-20", 96.33), ("eur_rub", "1d", "2016-01-21", 95.44),
        ("brent", "1d", "2016-01-20", 89.49), ("brent", "1h", "2016-01-21 09:00", 90.0),
        ("brent", "1h", "2016-01-21 10:00", 90.06274),
        ("usd_rub_mkt", "1d", "2016-01-21", 80.0),
    ])
    now = pd.Timestamp("2016-01-21 11:30", tz="UTC")
    items = ticker_items(recent, Config().instruments, now)
    assert [(i.mark, i.value, i.change, i.direction) for i in items] == [
        ("$", "87.70", "-0.69", "down"), ("€", "95.44", "-0.89", "down"), ("BR", "90.06", "+0.64%", "up")]
    assert items[2] == TickerItem("brent", "BR", "90.06", "+0.64%", "up", pd.Timestamp("2016-01-21 10:00", tz="UTC"),
                                  "1h", pd.Timestamp("2016-01-21 11:00", tz="UTC"))
    # the Bank of Russia's rate dated the 21st was published on the 20th (17:00 Moscow = 14:00 UTC)
    assert ticker_title(items[0], "Europe/Moscow") == (
        "usd_rub: 87.70, the close dated 2016-01-21, known 2016-01-20 17:00 (Europe/Moscow)")
    assert ticker_title(items[2], "UTC") == (
        "brent: 90.06, the close of the hour from 2016-01-21 10:00, known 2016-01-21 11:00 (UTC)")


def test_only_values_known_by_now_are_shown():
    """Tomorrow's Bank of Russia rate shows from its publication on; a close not yet known does not."""
    recent = frame([("usd_rub", "1d", "2016-01-21", 87.70), ("usd_rub", "1d", "2016-01-22", 88.00),
                    ("brent", "1d", "2016-01-20", 89.49), ("brent", "1d", "2016-01-21", 90.20)])
    def shown(now: str) -> list[tuple[str, str, str]]:
        return [(i.instrument_id, i.value, i.change) for i in
                ticker_items(recent, Config().instruments, pd.Timestamp(now, tz="UTC"))]

    # 13:59 UTC on the 21st: the rate dated the 22nd is not published yet; Brent's 21st not settled
    assert shown("2016-01-21 13:59") == [("usd_rub", "87.70", ""), ("brent", "89.49", "")]
    # 14:00: the rate "for tomorrow" is out, as a Russian news page shows it
    assert shown("2016-01-21 14:00") == [("usd_rub", "88.00", "+0.30"), ("brent", "89.49", "")]
    # 19:30 UTC (winter: London = UTC): Brent's settlement of the 21st
    assert shown("2016-01-21 19:30") == [("usd_rub", "88.00", "+0.30"), ("brent", "90.20", "+0.79%")]


def test_a_bad_tick_is_never_shown_and_provisional_closes_wait():
    recent = frame([("brent", "1d", "2016-01-19", 88.0), ("brent", "1d", "2016-01-20", 8.9),
                    ("brent", "1d", "2016-01-21", 90.0)], bad={1})
    recent.loc[2, "known"] = pd.NaT     # written during the session: provisional
    items = ticker_items(recent, Config().instruments, pd.Timestamp("2016-01-22", tz="UTC"))
    assert [(i.value, i.change) for i in items] == [("88.00", "")]


def test_single_bar_has_no_change_and_flat_moves_are_flat():
    recent = frame([("usd_rub", "1d", "2016-01-21", 87.70), ("eur_rub", "1d", "2016-01-20", 95.441),
                    ("eur_rub", "1d", "2016-01-21", 95.444)])
    items = ticker_items(recent, Config().instruments, pd.Timestamp("2016-01-22", tz="UTC"))
    assert [(i.value, i.change, i.direction) for i in items] == [("87.70", "", "flat"), ("95.44", "0.00", "flat")]
