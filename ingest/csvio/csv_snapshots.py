"""Ticker snapshots to CSV (pure): what `newsmarks export snapshots` writes."""

from __future__ import annotations

import pandas as pd

from ingest.csvio.csv_safety import format_number, iso_utc, neutralise_cell, write_csv

EXPORT_COLUMNS = ["captured_at_utc", "source", "mark", "instrument_id", "value", "change", "change_pct",
                  "captured_from", "mark_inferred", "direction"]


def _direction(value) -> str:
    """'up', 'down' or '' (no arrow, or a value already signed)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return "up" if int(value) > 0 else "down"


def snapshots_to_csv(frame: pd.DataFrame) -> str:
    """CSV text `captured_at_utc,source,mark,instrument_id,value,change,change_pct,captured_from,
    mark_inferred,direction` (direction: up/down, empty when unknown) from a frame like
    `Store.snapshots()` returns. Times as `2018-03-18T00:18:38Z`;
    numbers written to read back as the same floats (empty cell for none); mark_inferred as
    true/false; text cells formula-neutralised; `\\n` line ends."""
    missing = [c for c in ("captured_at", "source", "mark", "value") if c not in frame.columns]
    if missing:
        raise ValueError(f"snapshots frame lacks column(s) {', '.join(missing)}")
    n = len(frame)

    def texts(name: str) -> list[str]:
        if name not in frame.columns:
            return [""] * n
        return [neutralise_cell("" if v is None or (isinstance(v, float) and v != v) else str(v))
                for v in frame[name].tolist()]

    def numbers(name: str) -> list[str]:
        return [format_number(v) for v in frame[name].tolist()] if name in frame.columns else [""] * n

    inferred = frame["mark_inferred"].tolist() if "mark_inferred" in frame.columns else [False] * n
    columns = [iso_utc(frame["captured_at"]), texts("source"), texts("mark"), texts("instrument_id"),
               numbers("value"), numbers("change"), numbers("change_pct"), texts("captured_from"),
               ["true" if bool(v) else "false" for v in inferred],
               [_direction(v) for v in (frame["direction"].tolist() if "direction" in frame.columns else [None] * n)]]
    return write_csv(EXPORT_COLUMNS, zip(*columns, strict=True))
