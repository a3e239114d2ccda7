"""One instrument's bars as moves: the log return from one close to the next, stamped with the bar
whose close ends it and when that close became known — what the largest moves are ranked by."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import known_bars
from dashboard.analysis.moves import INTERVAL_LENGTH
from dashboard.analysis.time_columns import ns_times

MOVE_COLUMNS = ("ts", "known", "prev_close", "close", "log_return")


def bar_moves(bars: pd.DataFrame, interval: str) -> pd.DataFrame:
    """One instrument's bars of one interval as moves: columns ts, known (when the close became
    known), prev_close, close, log_return (ln(close / prev_close); NaN for the first bar, where
    either close is not positive and where either bar is bad). Times as datetime64[ns, UTC].

    bars: columns ts and known (tz-aware), close, optionally bad, in any order; rows without a
    time, a known time or a close are skipped, of bars with the same stamp the last one counts.
    Optional columns interval and instrument_id must hold one value (the given interval, one
    instrument). ValueError otherwise."""
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    missing = [c for c in ("ts", "known", "close") if c not in bars.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    if "interval" in bars.columns and len(bars) and not (bars["interval"] == interval).all():
        others = sorted({str(v) for v in bars["interval"].unique()} - {interval})
        raise ValueError(f"bars must all have interval {interval!r}, found {', '.join(others)}")
    if "instrument_id" in bars.columns and bars["instrument_id"].nunique(dropna=False) > 1:
        found = ", ".join(sorted(str(v) for v in bars["instrument_id"].unique()))
        raise ValueError(f"bars must be of one instrument, found {found}")
    series = known_bars(bars, "bars")
    close = series.close
    prev = np.concatenate([[np.nan], close])[:len(close)]
    index = np.arange(len(close))
    clean = series.clean(index - 1, index)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_return = np.log(close / prev)
    log_return = np.where((prev > 0) & (close > 0) & clean, log_return, np.nan)
    return pd.DataFrame({"ts": ns_times(series.ts), "known": ns_times(series.known), "prev_close": prev,
                         "close": close, "log_return": log_return})
