"""The columns of a price CSV (pure): its header (the yf.download layout's extra rows too), which
column is the time, close, open..., and the rows of the instrument and interval chosen."""

from __future__ import annotations

from ingest.csvio.csv_safety import (
    CsvError,
    column,
    find_column,
    find_columns,
    missing_column,
    normalise_name,
    restore_cell,
)
from ingest.records import INTERVALS

TIME_ALIASES = ("timestamp utc", "timestamp", "datetime", "date time", "date", "time")
CLOSE_ALIASES = ("close", "close/last", "last", "price")
FALLBACK_CLOSE = ("adj close", "adjusted close")
VALUE_ALIASES = {"open": ("open",), "high": ("high",), "low": ("low",), "volume": ("volume", "vol", "vol.")}
SELECTOR_ALIASES = {"instrument": ("instrument", "instrument id"), "interval": ("interval",)}
EXTRA_ALIASES = {"known": ("known utc",), "flags": ("flags",)}


def header_and_rows(records: list[list[str]], lines: list[int], name: str):
    """The column names, the data rows and their line numbers. The yf.download layout has a `Ticker,...` row and a
    `Date,,,` row under the names; the latter names the first column."""
    header = [cell.strip() for cell in records[0]]
    start = 1
    if len(records) > 1 and normalise_name(records[1][0]) == "ticker":
        tickers = {cell.strip() for cell in records[1][1:] if cell.strip()}
        if len(tickers) > 1:
            raise CsvError(f"{name} line {lines[1]}: the file holds several tickers "
                           f"({', '.join(sorted(tickers))}); import one ticker per file")
        start = 2
    if len(records) > start:
        row = records[start]
        if normalise_name(row[0]) in TIME_ALIASES and not "".join(row[1:]).strip():
            header[0] = row[0].strip()
            start += 1
    return header, records[start:], lines[start:]


def column_roles(header: list[str], name: str, close_column: str | None) -> dict[str, int]:
    """Role (time, or date and clock; close, open, high, low, volume, instrument, interval, known,
    flags) -> the index of the column that holds it; CsvError when there is no time or close."""
    roles: dict[str, int] = {}
    time_index = find_column(header, TIME_ALIASES)
    date_index, clock_index = find_column(header, ("date",)), find_column(header, ("time",))
    if time_index is None:
        raise missing_column(name, "date/time", TIME_ALIASES, header)
    if date_index is not None and clock_index is not None and time_index in (date_index, clock_index):
        roles["date"], roles["clock"] = date_index, clock_index  # separate Date and Time columns
    else:
        roles["time"] = time_index
    if close_column is not None:
        close = find_column(header, (normalise_name(close_column),))
        if close is None:
            raise CsvError(f"{name}: no column {close_column!r} (found: {', '.join(header)})")
    else:
        close = find_column(header, CLOSE_ALIASES)
        if close is None:
            close = find_column(header, FALLBACK_CLOSE)
    if close is None:
        raise missing_column(name, "close", CLOSE_ALIASES + FALLBACK_CLOSE, header)
    roles["close"] = close
    roles.update(find_columns(header, VALUE_ALIASES))
    roles.update(find_columns(header, SELECTOR_ALIASES))
    roles.update(find_columns(header, EXTRA_ALIASES))
    return roles


def select_rows(body, lines, roles, name, wanted):
    """Keep the rows of the wanted instrument / interval (files with such columns)."""
    chosen = {"instrument": None, "interval": None}
    for role in ("instrument", "interval"):
        if role not in roles:
            continue
        cells = [restore_cell(c.strip()) for c in column(body, roles[role])]
        present = sorted(set(cells))
        want = wanted[role]
        if want is None:
            if len(present) > 1:
                raise CsvError(f"{name}: the file holds several {role}s ({', '.join(present)}); "
                               f"choose one")
            want = present[0] if present else None
        elif want not in present:
            raise CsvError(f"{name}: no rows for {role} {want!r} (the file has: {', '.join(present)})")
        if role == "interval" and want not in INTERVALS:
            raise CsvError(f"{name}: unknown interval {want!r} (known: {', '.join(INTERVALS)})")
        mask = [c == want for c in cells]
        body = [r for r, m in zip(body, mask, strict=True) if m]
        lines = [n for n, m in zip(lines, mask, strict=True) if m]
        chosen[role] = want
    return body, lines, chosen


def time_cells(body, roles) -> list[str]:
    """Each row's time cell (separate Date and Time columns joined)."""
    if "time" in roles:
        return column(body, roles["time"])
    dates, clocks = column(body, roles["date"]), column(body, roles["clock"])
    return [f"{d.strip()} {c.strip()}".strip() if d.strip() else ""
            for d, c in zip(dates, clocks, strict=True)]
