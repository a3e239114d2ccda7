"""The header ticker strip's values (pure): like a news page's `$ 87.70 -0.69`, `BR 90.06 +0.64%`.

Each value is one that was known at the moment the strip is drawn (dashboard.analysis.alignment): the
close of the instrument's newest bar whose close became known by `now` (hourly or daily; a
provisional close, stored before its bar closed, and a bad tick are never shown). Its change is
against the last good daily close of an earlier trading day, known by then too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.analysis.alignment import bad_bars


@dataclass(frozen=True)
class TickerItem:
    """One strip item: mark, value and change as shown, direction ('up', 'down', 'flat'), the
    bar's UTC stamp (`time`: a daily bar's trading day, an hourly bar's start), its interval and
    when its close became known (`known`)."""

    instrument_id: str
    mark: str
    value: str
    change: str
    direction: str
    time: pd.Timestamp
    interval: str = "1d"
    known: pd.Timestamp | None = None


def format_change(delta: float, pct: bool) -> str:
    """A change as a ticker strip shows it: '+0.64%', '-0.69', '0.00' (no signed zero)."""
    text = f"{delta:+.2f}"
    if text in ("+0.00", "-0.00"):
        text = "0.00"
    return text + ("%" if pct else "")


def _usable(rows: pd.DataFrame, now: pd.Timestamp | None) -> pd.DataFrame:
    """Bars whose close was known by `now` (all known ones when None) and that are not bad."""
    if "known" not in rows.columns:
        raise ValueError("bars frame lacks column known")
    ok = rows["known"].notna()
    if now is not None:
        ok &= rows["known"] <= now
    ok &= ~bad_bars(rows)
    return rows[ok]


def ticker_items(recent: pd.DataFrame, instruments, now: pd.Timestamp | None = None) -> list[TickerItem]:
    """Strip items for the instruments that have a mark and a value known by `now` (see the module
    docstring). `recent`: bars (instrument_id, interval, ts, known, close, optionally bad) of the
    last days. The change is in roubles or in % as the instrument's `change` says."""
    items = []
    for instrument in instruments:
        if not instrument.mark:
            continue
        rows = _usable(recent[recent["instrument_id"] == instrument.id], now).sort_values(["known", "ts"])
        if rows.empty:
            continue
        latest = rows.iloc[-1]
        daily = rows[(rows["interval"] == "1d")].sort_values("ts")
        day_start = latest["ts"].normalize()
        earlier = daily[daily["ts"] < (latest["ts"] if latest["interval"] == "1d" else day_start)]
        if earlier.empty:
            change, direction = "", "flat"
        else:
            previous = float(earlier.iloc[-1]["close"])
            delta = float(latest["close"]) - previous
            pct = instrument.change == "pct"
            shown = delta / previous * 100 if pct and previous else delta
            change = format_change(shown, pct)
            direction = "flat" if change.lstrip("+-").rstrip("%") == "0.00" else ("up" if delta > 0 else "down")
        items.append(TickerItem(instrument.id, instrument.mark, f"{float(latest['close']):.2f}", change,
                                direction, latest["ts"], str(latest["interval"]), latest["known"]))
    return items
