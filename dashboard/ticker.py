"""The header ticker strip's values (pure): like a news page's `$ 87.70 -0.69`, `BR 90.06 +0.64%`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class TickerItem:
    """One strip item: mark, value and change as shown, direction ('up', 'down', 'flat'),
    the UTC time of the value."""

    instrument_id: str
    mark: str
    value: str
    change: str
    direction: str
    time: pd.Timestamp


def format_change(delta: float, pct: bool) -> str:
    """A change as a ticker strip shows it: '+0.64%', '-0.69', '0.00' (no signed zero)."""
    text = f"{delta:+.2f}"
    if text in ("+0.00", "-0.00"):
        text = "0.00"
    return text + ("%" if pct else "")


def ticker_items(recent: pd.DataFrame, instruments) -> list[TickerItem]:
    """Strip items for the instruments that have a mark and data. `recent`: bars (instrument_id,
    interval, ts, close) of the last days. The value is the newest close (hourly or daily); the
    change is against the last daily close of an earlier day — in roubles or in % as the
    instrument's `change` says."""
    items = []
    for instrument in instruments:
        if not instrument.mark:
            continue
        rows = recent[recent["instrument_id"] == instrument.id].sort_values("ts")
        if rows.empty:
            continue
        latest = rows.iloc[-1]
        day_start = latest["ts"].normalize()
        daily = rows[(rows["interval"] == "1d") & (rows["ts"] < day_start)]
        if latest["interval"] == "1d":
            daily = rows[(rows["interval"] == "1d") & (rows["ts"] < latest["ts"])]
        if daily.empty:
            change, direction = "", "flat"
        else:
            previous = float(daily.iloc[-1]["close"])
            delta = float(latest["close"]) - previous
            pct = instrument.change == "pct"
            shown = delta / previous * 100 if pct and previous else delta
            change = format_change(shown, pct)
            direction = "flat" if change.lstrip("+-").rstrip("%") == "0.00" else ("up" if delta > 0 else "down")
        items.append(TickerItem(instrument.id, instrument.mark, f"{float(latest['close']):.2f}", change,
                                direction, latest["ts"]))
    return items
