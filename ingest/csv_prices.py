"""Price bars from CSV files, and bars to CSV (pure, apart from reading the given file).

Read as they are: EIA `Date,Price`; yfinance `Ticker.history()` CSVs (`Date` with UTC offsets;
Dividends/Stock Splits ignored); European-locale CSVs (`;` and decimal comma, detected); the
three-header-row `yf.download` layout (Price/Ticker/Date); and newsmarks' own export
`timestamp_utc,instrument,interval,open,high,low,close,volume`.

Times: ISO 8601 or RFC 822. A time with an offset is converted to UTC; a naive date or
date-time is taken as UTC (a date alone gives 00:00 UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.bar_quality import flag_bars
from ingest.csv_safety import (
    CsvError,
    column,
    extra_fields,
    find_column,
    find_columns,
    format_number,
    iso_utc,
    missing_column,
    neutralise_cell,
    normalise_name,
    parse_times,
    read_records,
    restore_cell,
    write_csv,
)
from ingest.sources.base import BAR_COLUMNS, INTERVALS

TIME_ALIASES = ("timestamp utc", "timestamp", "datetime", "date time", "date", "time")
CLOSE_ALIASES = ("close", "close/last", "last", "price")
FALLBACK_CLOSE = ("adj close", "adjusted close")
VALUE_ALIASES = {"open": ("open",), "high": ("high",), "low": ("low",), "volume": ("volume", "vol", "vol.")}
SELECTOR_ALIASES = {"instrument": ("instrument", "instrument id"), "interval": ("interval",)}
MISSING = {"", "nan", "null", "none", "n/a", "na"}
EXPORT_COLUMNS = ["timestamp_utc", "instrument", "interval", "open", "high", "low", "close", "volume"]
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_ONLY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


@dataclass
class PriceImport:
    """Bars read from a CSV file.

    bars: BAR_COLUMNS, sorted by ts (UTC), flagged with `flag_bars`.
    skipped: (line, reason) of rows left out with skip_bad=True.
    interval_guess: '1d' or '1h' (from the file's interval column, else from the spacing of the
    times), or None when it can't tell.
    instrument / interval: the value of the file's instrument / interval column, if it has one.
    columns: role (time, open, high, low, close, volume, ...) → the file's column name used.
    """

    bars: pd.DataFrame
    skipped: list[tuple[int, str]] = field(default_factory=list)
    interval_guess: str | None = None
    instrument: str | None = None
    interval: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    decimal: str = "."


def read_prices_csv(path: str | Path, *, delimiter: str | None = None, decimal: str | None = None,
                    skip_bad: bool = False, instrument: str | None = None,
                    interval: str | None = None, close_column: str | None = None) -> PriceImport:
    """Read price bars from a CSV file; CsvError (naming file, line and problem) when it can't.

    delimiter / decimal: detected when None (decimal comma when number cells hold `,` but no `.`).
    skip_bad: leave out rows with a bad time or number, a missing close or a repeated time, and
    list them in `.skipped`, instead of raising. instrument / interval: when the file has an
    `instrument` (or `interval`) column, keep only the rows with this value; required when the
    file holds several. Without such a column they are not used. close_column: the column to
    read as close (matched case-insensitively), e.g. `usd_rub`, instead of the usual names."""
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    table = read_records(path, delimiter)
    name = table.name
    header, body, lines = _header(table.records, table.lines, name)
    roles = _roles(header, name, close_column)
    if not body:
        raise CsvError(f"{name}: no data rows (columns: {', '.join(header)})")
    body, lines, chosen = _select(body, lines, roles, name, {"instrument": instrument, "interval": interval})
    problems: dict[int, str] = {}
    width = len(header)
    for i, record in enumerate(body):
        problem = extra_fields(record, width)
        if problem is not None:
            problems[i] = problem
    raw_times = _time_cells(body, roles)
    times, time_problems = parse_times(raw_times)
    for i, problem in enumerate(time_problems):
        if problem is not None:
            problems.setdefault(i, f"time {problem}")
    cells = {role: column(body, roles[role]) for role in ("open", "high", "low", "close", "volume")
             if role in roles}
    decimal = decimal or _guess_decimal(cells)
    values = {}
    for role in ("close", "open", "high", "low", "volume"):
        if role not in cells:
            values[role] = np.full(len(body), np.nan)
            continue
        values[role], bad = _numbers(cells[role], decimal, required=role == "close")
        for i, why in bad:
            problems.setdefault(i, f"{role} {why}")
    keep = np.ones(len(body), dtype=bool)
    skipped = _settle(problems, lines, keep, skip_bad, name)
    _duplicates(times, lines, keep, skipped, skip_bad, name)
    skipped.sort()
    bars = pd.DataFrame({"ts": times[keep].reset_index(drop=True),
                         **{role: values[role][keep] for role in ("open", "high", "low", "close", "volume")}})
    bars = bars.sort_values("ts", kind="stable").reset_index(drop=True)
    bars["flag"] = flag_bars(bars)
    guess = chosen["interval"] or _guess_interval(bars["ts"], [raw_times[i] for i in np.flatnonzero(keep)])
    used = {role: header[index] for role, index in roles.items()}
    return PriceImport(bars[BAR_COLUMNS], skipped, guess, chosen["instrument"], chosen["interval"], used,
                       table.delimiter, decimal)


def _header(records: list[list[str]], lines: list[int], name: str):
    """The column names and the data rows. The yf.download layout has a `Ticker,...` row and a
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


def _roles(header: list[str], name: str, close_column: str | None) -> dict[str, int]:
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
    return roles


def _select(body, lines, roles, name, wanted):
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


def _time_cells(body, roles) -> list[str]:
    if "time" in roles:
        return column(body, roles["time"])
    dates, clocks = column(body, roles["date"]), column(body, roles["clock"])
    return [f"{d.strip()} {c.strip()}".strip() if d.strip() else ""
            for d, c in zip(dates, clocks, strict=True)]


def _guess_decimal(cells: dict[str, list[str]]) -> str:
    comma = any("," in c for values in cells.values() for c in values)
    point = any("." in c for values in cells.values() for c in values)
    return "," if comma and not point else "."


def _numbers(cells: list[str], decimal: str, required: bool) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Floats parsed exactly (Python's float); bad cells as (row, reason)."""
    out = np.full(len(cells), np.nan)
    bad: list[tuple[int, str]] = []
    for i, cell in enumerate(cells):
        text = cell.strip()
        if text.lower() in MISSING:
            if required:
                bad.append((i, "is missing"))
            continue
        candidate = text.replace(",", ".") if decimal == "," else text
        if not _NUMBER.fullmatch(candidate):
            bad.append((i, f"{cell!r} is not a number"))
            continue
        value = float(candidate)
        if not np.isfinite(value):
            bad.append((i, f"{cell!r} is not a finite number"))
            continue
        out[i] = value
    return out, bad


def _settle(problems: dict[int, str], lines: list[int], keep: np.ndarray, skip_bad: bool,
            name: str) -> list[tuple[int, str]]:
    if problems and not skip_bad:
        first = min(problems)
        more = len(problems) - 1
        suffix = f" (and {more} more bad row{'s' if more > 1 else ''})" if more else ""
        raise CsvError(f"{name} line {lines[first]}: {problems[first]}{suffix}")
    for i in problems:
        keep[i] = False
    return [(lines[i], why) for i, why in problems.items()]


def _duplicates(times: pd.Series, lines: list[int], keep: np.ndarray, skipped: list, skip_bad: bool,
                name: str) -> None:
    """A time seen twice: CsvError naming both lines, or (skip_bad) the later row skipped."""
    rows = np.flatnonzero(keep)
    kept_times = times.iloc[rows]
    repeated = kept_times.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first_line: dict[pd.Timestamp, int] = {}
    for row, moment in zip(rows, kept_times, strict=True):
        first_line.setdefault(moment, lines[row])
    for row, moment in zip(rows[repeated], kept_times[repeated], strict=True):
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        why = f"duplicate time {stamp} (also on line {first_line[moment]})"
        if not skip_bad:
            raise CsvError(f"{name} line {lines[row]}: {why}")
        keep[row] = False
        skipped.append((lines[row], why))


def _guess_interval(ts: pd.Series, raw: list[str]) -> str | None:
    if len(ts) >= 2:
        spacing = ts.diff().dropna().median()
        if pd.Timedelta(minutes=45) <= spacing <= pd.Timedelta(minutes=90):
            return "1h"
        if pd.Timedelta(hours=20) <= spacing <= pd.Timedelta(days=4):
            return "1d"
        return None
    if raw and all(_DATE_ONLY.fullmatch(value) for value in raw):
        return "1d"
    return None


def prices_to_csv(frame: pd.DataFrame) -> str:
    """CSV text `timestamp_utc,instrument,interval,open,high,low,close,volume` from a frame like
    `Store.bars()` returns (instrument_id, interval, ts, open, high, low, close, volume; other
    columns ignored). Times as `2022-03-01T00:00:00Z`; numbers written so that they read back
    as the same floats (empty cell for NaN); text cells formula-neutralised; `\\n` line ends."""
    missing = [c for c in ("instrument_id", "interval", "ts", "close") if c not in frame.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    n = len(frame)
    stamps = iso_utc(frame["ts"])
    numbers = {c: [format_number(v) for v in frame[c].tolist()] if c in frame.columns else [""] * n
               for c in ("open", "high", "low", "close", "volume")}
    rows = (
        [stamps[i], neutralise_cell(str(inst)), neutralise_cell(str(ivl)), numbers["open"][i],
         numbers["high"][i], numbers["low"][i], numbers["close"][i], numbers["volume"][i]]
        for i, (inst, ivl) in enumerate(zip(frame["instrument_id"].tolist(), frame["interval"].tolist(),
                                            strict=True))
    )
    return write_csv(EXPORT_COLUMNS, rows)
