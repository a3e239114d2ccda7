"""The cells of a price CSV (pure): which prices and volumes are possible (`value_problem`), the
trading day a daily bar's time cell was written for, the `known_utc` and `flags` columns of
newsmarks' own export, and how to tell that export from the one before schema version 6 (see
ingest.csvio.csv_prices)."""

from __future__ import annotations

from datetime import date, datetime
from email.utils import parsedate_to_datetime

import numpy as np
import pandas as pd

from ingest.bar_quality import parse_flags
from ingest.csvio.csv_safety import column, normalise_name, parse_times, restore_cell

MISSING = {"", "nan", "null", "none", "n/a", "na"}
# A price (open, high, low, close) is positive — the analyses take logarithms of prices, and a
# single price of 0 or below made the event study refuse its whole instrument — and lies between
# these bounds: 1e308 overflows the first sum or ratio, 1e-320 is a subnormal float, and no
# instrument newsmarks charts trades outside them. A volume is not negative and not absurd.
MIN_PRICE, MAX_PRICE = 1e-9, 1e12
MAX_VOLUME = 1e18
_BOUND_TEXT = {MIN_PRICE: "1e-9", MAX_PRICE: "1e12", MAX_VOLUME: "1e18"}


def value_problem(role: str, value: float) -> str | None:
    """Why a finite number read from a price file's `role` column (open, high, low, close,
    volume) cannot be that value, or None: a price must be positive and within [MIN_PRICE,
    MAX_PRICE], a volume within [0, MAX_VOLUME]. The message follows the cell's text."""
    if role == "volume":
        if value < 0:
            return "is negative"
        if value > MAX_VOLUME:
            return f"is above {_BOUND_TEXT[MAX_VOLUME]}, the largest volume accepted"
        return None
    if value < 0:
        return "is negative: a price must be positive"
    if value == 0:
        return "is zero: a price must be positive"
    if value < MIN_PRICE:
        return f"is below {_BOUND_TEXT[MIN_PRICE]}, the smallest price accepted"
    if value > MAX_PRICE:
        return f"is above {_BOUND_TEXT[MAX_PRICE]}, the largest price accepted"
    return None


def old_export(roles: dict[str, int], header: list[str]) -> bool:
    """newsmarks' own export from before schema version 6: `timestamp_utc,instrument,interval,...`
    without known_utc, daily bars stamped at their exchange's midnight in UTC."""
    return ("time" in roles and normalise_name(header[roles["time"]]) == "timestamp utc"
            and "instrument" in roles and "interval" in roles and "known" not in roles)


def written_time(cell: str) -> datetime | None:
    """The date and clock as written in a time cell (its offset, if any, dropped), or None."""
    text = cell.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return moment.replace(tzinfo=None)


def trading_days_as_written(raw: list[str], times: pd.Series) -> pd.Series:
    """Each row's trading day: the date as written in its time cell, at 00:00 UTC (the UTC date
    where the cell cannot be read as written; NaT where the time is bad)."""
    days: list[date | None] = []
    for cell, moment in zip(raw, times, strict=True):
        if pd.isna(moment):
            days.append(None)
            continue
        written = written_time(cell)
        days.append(written.date() if written is not None else moment.date())
    return pd.Series(pd.to_datetime(days, utc=True), dtype="datetime64[ns, UTC]")


def all_midnights(raw: list[str], times: pd.Series) -> bool:
    """Whether every readable time is a midnight as written (a date alone, or 00:00 local)."""
    written = [written_time(cell) for cell, moment in zip(raw, times, strict=True) if not pd.isna(moment)]
    return all(w is not None and (w.hour, w.minute, w.second, w.microsecond) == (0, 0, 0, 0) for w in written)


def known_cells(body, roles, problems: dict[int, str]) -> pd.Series:
    """The known_utc column (UTC; NaT where absent or empty); a bad cell is a problem of its row."""
    if "known" not in roles:
        return pd.Series(pd.NaT, index=range(len(body)), dtype="datetime64[ns, UTC]")
    cells = [c.strip() for c in column(body, roles["known"])]
    times, bad = parse_times(cells)
    for i, problem in enumerate(bad):
        if problem is not None and cells[i].lower() not in MISSING:
            problems.setdefault(i, f"known_utc {problem}")
    empty = np.array([c.lower() in MISSING for c in cells], dtype=bool)
    return times.where(~empty).reset_index(drop=True)


def flag_cells(body, roles, problems: dict[int, str]) -> tuple[list[str | None], list[str | None]]:
    """The flags column as (flag, review) per row (None, None without one)."""
    if "flags" not in roles:
        return [None] * len(body), [None] * len(body)
    flags, reviews = [], []
    for i, cell in enumerate(column(body, roles["flags"])):
        try:
            flag, review = parse_flags(restore_cell(cell.strip()))
        except ValueError as exc:
            problems.setdefault(i, f"flags: {exc}")
            flag, review = None, None
        flags.append(flag)
        reviews.append(review)
    return flags, reviews
