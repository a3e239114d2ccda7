"""Price bars to CSV (pure): newsmarks' own export, which ingest.csvio.csv_prices reads back into the
same bars."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.bar_quality import flags_text
from ingest.csvio.csv_safety import format_number, iso_utc, neutralise_cell, write_csv

EXPORT_COLUMNS = ["timestamp_utc", "instrument", "interval", "known_utc", "open", "high", "low", "close", "volume",
                  "flags"]


def prices_to_csv(frame: pd.DataFrame) -> str:
    """CSV text `timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags` from
    a frame like `Store.bars()` returns (instrument_id, interval, ts, known, open, high, low, close,
    volume, flag, review; other columns ignored; known, flag and review optional). Times as
    `2022-03-01T00:00:00Z` (a daily bar: its trading day); known_utc empty while a close is
    provisional (NaT); flags as `flags_text` writes them (`ohlc,jump,review:good`); numbers written
    so that they read back as the same floats (empty cell for NaN); text cells formula-neutralised;
    `\\n` line ends. read_prices_csv reads it back into the same bars."""
    missing = [c for c in ("instrument_id", "interval", "ts", "close") if c not in frame.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    n = len(frame)
    stamps = iso_utc(frame["ts"])
    known = _iso_or_empty(frame["known"]) if "known" in frame.columns else [""] * n
    flags = [flags_text(_text(f), _text(r)) for f, r in zip(
        frame["flag"].tolist() if "flag" in frame.columns else [None] * n,
        frame["review"].tolist() if "review" in frame.columns else [None] * n, strict=True)]
    numbers = {c: [format_number(v) for v in frame[c].tolist()] if c in frame.columns else [""] * n
               for c in ("open", "high", "low", "close", "volume")}
    rows = (
        [stamps[i], neutralise_cell(str(inst)), neutralise_cell(str(ivl)), known[i], numbers["open"][i],
         numbers["high"][i], numbers["low"][i], numbers["close"][i], numbers["volume"][i], flags[i]]
        for i, (inst, ivl) in enumerate(zip(frame["instrument_id"].tolist(), frame["interval"].tolist(),
                                            strict=True))
    )
    return write_csv(EXPORT_COLUMNS, rows)


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _iso_or_empty(times: pd.Series) -> list[str]:
    """iso_utc of each time, an empty cell for NaT."""
    present = times.notna().to_numpy()
    out = [""] * len(times)
    for index, text in zip(np.flatnonzero(present), iso_utc(times[present]), strict=True):
        out[index] = text
    return out
