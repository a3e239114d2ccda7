"""Price bars from CSV files (pure, apart from reading the given file); bars to CSV are in
ingest.csvio.csv_price_export, the cells that say when a bar was in ingest.csvio.csv_price_cells, which
column is which in ingest.csvio.csv_price_columns.

Read as they are: EIA `Date,Price`; yfinance `Ticker.history()` CSVs (`Date` with UTC offsets;
Dividends/Stock Splits ignored); European-locale CSVs (`;` and decimal comma, detected); the
three-header-row `yf.download` layout (Price/Ticker/Date); and newsmarks' own export
`timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags` (and the one from
before schema version 6, without `known_utc` and `flags`).

Times: ISO 8601 or RFC 822. A time with an offset is converted to UTC; a naive date or
date-time is taken as UTC (a date alone gives 00:00 UTC).

Daily bars are keyed by trading day (ingest.close_rules): a row's trading day is the date as
written in its time cell — the local date of a stamp with an offset (`2022-06-15 00:00:00+01:00`
is 2022-06-15), the date of a naive one — stored as that date at 00:00 UTC. The export of
newsmarks before schema version 6 stamped daily bars at their exchange's midnight in UTC
(`2022-06-14T23:00:00Z`): its rows get the nearest UTC midnight. Hourly bars keep their UTC
instant.

When each close became known (`known`): the file's `known_utc` column where it has one (an empty
cell: as below); else, for daily bars, by the close rule given (default: the end of the UTC day,
close_rules.DEFAULT_RULE); an hourly bar's close one hour after its start.

Quality flags: the file's `flags` column where it has one (`jump,ohlc,review:good`, kept as
given: flags and a user's review), else computed with ingest.bar_quality.flag_bars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.bar_quality import flag_bars
from ingest.close_rules import DEFAULT_RULE, CloseRule, hourly_known, nearest_midnight
from ingest.csvio.csv_price_cells import (
    MISSING,
    all_midnights,
    flag_cells,
    known_cells,
    old_export,
    trading_days_as_written,
    value_problem,
)
from ingest.csvio.csv_price_columns import column_roles, header_and_rows, select_rows, time_cells
from ingest.csvio.csv_safety import CsvError, column, extra_fields, parse_times, read_records
from ingest.records import BAR_COLUMNS, INTERVALS

IMPORT_COLUMNS = [*BAR_COLUMNS, "review"]
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_ONLY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


@dataclass
class PriceImport:
    """Bars read from a CSV file.

    bars: BAR_COLUMNS and `review` (a user's verdict 'bad'/'good' from the file's `flags`
    column, else None: to be applied after the bars are written, see Store.import_bars), sorted
    by ts (UTC); daily bars at their trading day (00:00 UTC).
    skipped: (line, reason) of rows left out with skip_bad=True.
    interval_guess: '1d' or '1h' (from the file's interval column, else from the spacing of the
    times), or None when it can't tell.
    instrument / interval: the value of the file's instrument / interval column, if it has one.
    columns: role (time, open, high, low, close, volume, known, flags, ...) → the file's column used.
    read_as: the interval the times were read as ('1d': trading days; '1h': UTC instants).
    close_rule: the close rule that gave daily bars their `known` (None for hourly bars).
    known_given: how many bars took `known` from the file's known_utc column (the others: by
    `close_rule`, or an hour after an hourly bar's start).
    """

    bars: pd.DataFrame
    skipped: list[tuple[int, str]] = field(default_factory=list)
    interval_guess: str | None = None
    instrument: str | None = None
    interval: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    decimal: str = "."
    read_as: str = "1d"
    close_rule: CloseRule | None = None
    known_given: int = 0


def read_prices_csv(path: str | Path, *, delimiter: str | None = None, decimal: str | None = None,
                    skip_bad: bool = False, instrument: str | None = None,
                    interval: str | None = None, close_column: str | None = None,
                    close_rule: CloseRule | None = None) -> PriceImport:
    """Read price bars from a CSV file; CsvError (naming file, line and problem) when it can't.

    delimiter / decimal: detected when None (decimal comma when number cells hold `,` but no `.`).
    skip_bad: leave out rows with a bad time or number, an impossible price or volume (a price of
    0 or below, or outside 1e-9 to 1e12; a negative volume: csv_price_cells.value_problem), a
    missing close or a repeated time (a repeated trading day for daily bars), and list them in
    `.skipped`, instead of raising.
    instrument / interval: when the file has an `instrument` (or `interval`) column, keep only the
    rows with this value; required when the file holds several. Without an instrument column
    `instrument` is not used; without an interval column `interval` says what the bars are
    (default: guessed from the spacing of the times, else daily when every time is a midnight as
    written, else hourly), and a file whose times are spaced otherwise is refused.
    close_column: the column to read as close (matched case-insensitively), e.g. `usd_rub`,
    instead of the usual names. close_rule: when daily closes became known, for the rows without
    a known_utc cell (default: close_rules.DEFAULT_RULE, the end of the UTC day)."""
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if interval is not None and interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVALS)})")
    table = read_records(path, delimiter)
    name = table.name
    header, body, lines = header_and_rows(table.records, table.lines, name)
    roles = column_roles(header, name, close_column)
    if not body:
        raise CsvError(f"{name}: no data rows (columns: {', '.join(header)})")
    body, lines, chosen = select_rows(body, lines, roles, name, {"instrument": instrument, "interval": interval})
    problems: dict[int, str] = {}
    width = len(header)
    for i, record in enumerate(body):
        problem = extra_fields(record, width)
        if problem is not None:
            problems[i] = problem
    raw_times = time_cells(body, roles)
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
        values[role], bad = _numbers(cells[role], decimal, role)
        for i, why in bad:
            problems.setdefault(i, f"{role} {why}")
    known = known_cells(body, roles, problems)
    flags, reviews = flag_cells(body, roles, problems)
    guess = _guess_interval(times.dropna().sort_values(), [raw_times[i] for i in np.flatnonzero(times.notna())])
    read_as = _read_as(chosen["interval"], interval, guess, name)
    if read_as is None:
        read_as = "1d" if all_midnights(raw_times, times) else "1h"
    if read_as == "1d":
        keys = nearest_midnight(times) if old_export(roles, header) else trading_days_as_written(raw_times, times)
    else:
        keys = times
    keep = np.ones(len(body), dtype=bool)
    skipped = _settle(problems, lines, keep, skip_bad, name)
    _duplicates(keys, lines, keep, skipped, skip_bad, name, daily=read_as == "1d")
    skipped.sort()
    rows = np.flatnonzero(keep)
    bars = pd.DataFrame({"ts": keys.iloc[rows].reset_index(drop=True).dt.as_unit("ns"),
                         "known": known.iloc[rows].reset_index(drop=True),
                         **{role: values[role][keep] for role in ("open", "high", "low", "close", "volume")},
                         "flag": [flags[i] for i in rows], "review": [reviews[i] for i in rows]})
    bars = bars.sort_values("ts", kind="stable").reset_index(drop=True)
    given = int(bars["known"].notna().sum())
    rule = (close_rule or DEFAULT_RULE) if read_as == "1d" else None
    if given < len(bars):
        missing = bars["known"].isna()
        by_rule = rule.known(bars["ts"][missing]) if rule is not None else hourly_known(bars["ts"][missing])
        bars.loc[missing, "known"] = by_rule.dt.as_unit("ns")
    bars["known"] = pd.to_datetime(bars["known"], utc=True).dt.as_unit("ns")
    if "flags" not in roles:
        bars["flag"] = flag_bars(bars)
    for column_name in ("flag", "review"):
        bars[column_name] = bars[column_name].astype(object).where(bars[column_name].notna(), None)
    used = {role: header[index] for role, index in roles.items()}
    return PriceImport(bars[IMPORT_COLUMNS], skipped, chosen["interval"] or guess, chosen["instrument"],
                       chosen["interval"], used, table.delimiter, decimal, read_as, rule, given)


def _read_as(column_value: str | None, wanted: str | None, guess: str | None, name: str) -> str | None:
    """The interval the times are read as: the file's interval column, else the one asked for
    (refused when the spacing of the times says otherwise), else the guess; None: not known yet."""
    if column_value is not None:
        return column_value
    if wanted is not None:
        if guess is not None and guess != wanted:
            spaced = "about an hour" if guess == "1h" else "a day or more"
            raise CsvError(f"{name}: the rows are {spaced} apart ({guess} bars), not {wanted} bars; "
                           f"import them as {guess}")
        return wanted
    return guess


def _guess_decimal(cells: dict[str, list[str]]) -> str:
    comma = any("," in c for values in cells.values() for c in values)
    point = any("." in c for values in cells.values() for c in values)
    return "," if comma and not point else "."


def _numbers(cells: list[str], decimal: str, role: str) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Floats parsed exactly (Python's float), each a possible value of `role`
    (csv_price_cells.value_problem); bad cells as (row, reason). A close is required."""
    out = np.full(len(cells), np.nan)
    bad: list[tuple[int, str]] = []
    for i, cell in enumerate(cells):
        text = cell.strip()
        if text.lower() in MISSING:
            if role == "close":
                bad.append((i, "is missing"))
            continue
        candidate = text.replace(",", ".") if decimal == "," else text
        if not _NUMBER.fullmatch(candidate):
            bad.append((i, f"{cell!r} is not a number"))
            continue
        value = float(candidate)
        why = "is not a finite number" if not np.isfinite(value) else value_problem(role, value)
        if why is not None:
            bad.append((i, f"{cell!r} {why}"))
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


def _duplicates(keys: pd.Series, lines: list[int], keep: np.ndarray, skipped: list, skip_bad: bool,
                name: str, daily: bool) -> None:
    """A time (daily bars: a trading day) seen twice: CsvError naming both lines, or (skip_bad)
    the later row skipped."""
    rows = np.flatnonzero(keep)
    kept = keys.iloc[rows]
    repeated = kept.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first_line: dict[pd.Timestamp, int] = {}
    for row, moment in zip(rows, kept, strict=True):
        first_line.setdefault(moment, lines[row])
    for row, moment in zip(rows[repeated], kept[repeated], strict=True):
        what = f"trading day {moment:%Y-%m-%d}" if daily else f"time {moment:%Y-%m-%dT%H:%M:%SZ}"
        why = f"duplicate {what} (also on line {first_line[moment]})"
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
