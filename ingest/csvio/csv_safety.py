"""Reading untrusted CSV files safely, and writing CSV that spreadsheets cannot run.

Shared by the price and headline importers (ingest.csvio.csv_prices, ingest.csvio.csv_headlines) and by
every CSV export (the dashboard's downloads use `neutralise_cell` / `write_csv` too):

- `read_records` decodes a file (UTF-8, with or without BOM; UTF-16 with BOM), refuses empty and
  binary files, and splits it with the csv module (strict: a quoted field never closed is
  refused, `line N: unterminated quoted field`, instead of swallowing the rows after it), keeping
  the 1-based line on which each record starts (as a text editor counts, header lines included),
  so errors can point at it. Every CSV import reads its file through it.
- `neutralise_cell` / `restore_cell`: formula-injection guard for text cells and its exact
  inverse.
- `parse_times`: strict, vectorised time parsing (ISO 8601, RFC 822) to UTC.
- `safe_link`: keeps only absolute http(s) URLs.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

DELIMITERS = (",", ";", "\t", "|")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
_RFC822_ZONES = {"UT", "UTC", "GMT", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}
_TRAILING_ZONE = re.compile(r"\s([A-Za-z]{1,5})\s*$")
_EARLIEST = pd.Timestamp("1678-01-01", tz="UTC")
_LATEST = pd.Timestamp("2261-12-31", tz="UTC")


class CsvError(Exception):
    """A CSV file could not be imported. The message names the file, the 1-based line (header
    lines counted) when there is one, and what was wrong."""


def neutralise_cell(value: str) -> str:
    """Guard a text cell against spreadsheet formula injection: a cell starting with `=`, `+`,
    `-`, `@`, tab or CR gets a leading `'`. So that `restore_cell` is an exact inverse for every
    string, a cell that already reads `'` (one or more) followed by one of those characters gets
    one more `'`. Apply to text cells only: numbers are written as numbers."""
    return "'" + value if _NEEDS_QUOTE.match(value) else value


def restore_cell(value: str) -> str:
    """Undo `neutralise_cell`: a cell starting with `'` (one or more) followed by `=`, `+`, `-`,
    `@`, tab or CR loses one `'`. Any other cell is returned as it is."""
    return value[1:] if _QUOTED.match(value) else value


def write_csv(header: list[str], rows) -> str:
    """CSV text of a header and rows of strings (neutralise text cells first): the csv module's
    minimal quoting and `\\n` line ends. A field holding a CR is quoted too (with `\\n` as
    terminator the csv module would leave a lone CR bare)."""
    out = io.StringIO()
    plain = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    scratch = io.StringIO()
    # '\r\n' as terminator makes this writer quote any field with a CR; the terminator is then
    # turned into '\n'. Used only for the rare rows with a CR.
    careful = csv.writer(scratch, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    plain.writerow(header)
    for row in rows:
        if "\r" not in "".join(row):
            plain.writerow(row)
            continue
        scratch.seek(0)
        scratch.truncate()
        careful.writerow(row)
        out.write(scratch.getvalue()[:-2] + "\n")
    return out.getvalue()


def safe_link(value: str | None) -> str | None:
    """The URL if it is an absolute http or https URL without spaces or control characters,
    else None (javascript:, data:, relative paths, garbage)."""
    if not value:
        return None
    url = value.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# -- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Records:
    """A decoded CSV file: its non-blank records and the line each one starts on."""

    name: str
    delimiter: str
    records: list[list[str]]
    lines: list[int]


def decode_text(data: bytes, name: str) -> str:
    """The text of a CSV file; CsvError for an empty, binary or non-UTF-8 file."""
    if not data.strip():
        raise CsvError(f"{name}: the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CsvError(f"{name}: not valid UTF-16 text ({exc.reason})") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CsvError(f"{name}: not a text file (binary data: NUL byte at offset {nul})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvError(f"{name} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                       f"{exc.start}); save the file as UTF-8") from None


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first non-blank line into the most fields (`,` on a tie)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_count = ",", 1
    for candidate in DELIMITERS:
        try:
            count = len(next(csv.reader([first], delimiter=candidate)))
        except (csv.Error, StopIteration):
            continue
        if count > best_count:
            best, best_count = candidate, count
    return best


def read_records(path: str | Path, delimiter: str | None = None) -> Records:
    """Decode and split a CSV file; blank records are dropped. CsvError when it can't be read."""
    path = Path(path)
    name = path.name
    if delimiter is not None and len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CsvError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    text = decode_text(data, name)
    delimiter = delimiter or sniff_delimiter(text)
    # strict: a quote that is never closed is an error instead of a field that swallows every
    # row after it, and so is a closing quote followed by more than a delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            if "".join(record).strip():
                records.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CsvError(split_error(name, start, reader.line_num, exc)) from None
    if not records:
        raise CsvError(f"{name}: the file is empty")
    return Records(name, delimiter, records, lines)


def split_error(name: str, start: int, end: int, exc: csv.Error) -> str:
    """The message for a record the csv module could not split: the file, the line the record
    starts on and what was wrong — `unterminated quoted field` for a quote never closed (the
    record ran to the end of the file), else the module's reason and the line it stopped on."""
    if str(exc) == "unexpected end of data":
        return f"{name} line {start}: unterminated quoted field"
    where = f", on line {end}" if end > start else ""
    return f"{name} line {start}: cannot split the line as CSV ({exc}{where})"


def column(records: list[list[str]], index: int) -> list[str]:
    """One column's cells (an empty string where a record is short)."""
    return [r[index] if index < len(r) else "" for r in records]


def normalise_name(name: str) -> str:
    """A column name for matching: lower case, `_`/`-` as spaces, whitespace collapsed."""
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


def find_column(header: list[str], aliases: tuple[str, ...]) -> int | None:
    """Index of the first column (in alias order) whose normalised name is one of `aliases`."""
    names = [normalise_name(h) for h in header]
    for alias in aliases:
        if alias in names:
            return names.index(alias)
    return None


def find_columns(header: list[str], aliases: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """role → index of its column (`find_column` of the role's aliases), for the roles found."""
    found: dict[str, int] = {}
    for role, names in aliases.items():
        index = find_column(header, names)
        if index is not None:
            found[role] = index
    return found


def missing_column(name: str, what: str, aliases: tuple[str, ...], header: list[str]) -> CsvError:
    """The error for a file without a `what` column: names the file, the names looked for and
    the columns found."""
    return CsvError(f"{name}: no {what} column (looked for {', '.join(aliases)}; found: {', '.join(header)})")


def extra_fields(record: list[str], width: int) -> str | None:
    """Why a record does not fit a header of `width` columns (non-blank cells beyond it), or None."""
    if len(record) > width and "".join(record[width:]).strip():
        return f"has {len(record)} fields, the header has {width}"
    return None


# -- values ----------------------------------------------------------------------------------

def parse_times(values: list[str]) -> tuple[pd.Series, list[str | None]]:
    """Parse times to UTC (datetime64[ns, UTC]); per value, None or why it is not a time.
    Accepted: ISO 8601 (date only → 00:00; no offset → UTC; `Z` or `±HH:MM` converted) and
    RFC 822 (`Mon, 07 Mar 2022 12:00:00 GMT`, numeric offsets, US zone names)."""
    cells = pd.Series(values, dtype=object).str.strip()
    times = pd.to_datetime(cells, format="ISO8601", utc=True, errors="coerce")
    out_of_range = (times < _EARLIEST) | (times > _LATEST)
    times = times.where(~out_of_range).dt.as_unit("ns")
    problems: list[str | None] = [None] * len(values)
    for index in np.flatnonzero(out_of_range.to_numpy()):
        problems[index] = f"{cells.iat[index]!r} is out of range (years 1678 to 2261)"
    failed = np.flatnonzero(times.isna().to_numpy())
    for index in failed:
        text = cells.iat[index]
        if problems[index] is not None:
            continue
        if not text:
            problems[index] = "is missing"
            continue
        moment, problem = _rfc822(text)
        if moment is None:
            problems[index] = f"{text!r} {problem}"
        else:
            times.iat[index] = moment
    return times, problems


def _rfc822(text: str):
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, "is not a date or time (expected ISO 8601 such as 2022-03-01T12:00:00Z, or RFC 822)"
    if moment.tzinfo is None:
        zone = _TRAILING_ZONE.search(text)
        if zone and zone.group(1).upper() not in _RFC822_ZONES:
            return None, f"has an unknown time zone {zone.group(1)!r} (use a numeric offset)"
        moment = moment.replace(tzinfo=UTC)
    moment = pd.Timestamp(moment).tz_convert("UTC")
    if not _EARLIEST <= moment <= _LATEST:
        return None, "is out of range (years 1678 to 2261)"
    return moment.as_unit("ns"), None


def iso_utc(times: pd.Series) -> list[str]:
    """ISO 8601 UTC strings with `Z`, to the second (`2022-03-01T00:00:00Z`)."""
    if len(times) == 0:
        return []
    if getattr(times.dt, "tz", None) is None:
        raise ValueError("naive timestamps: times must carry a zone")
    seconds = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    return [f"{text}Z" for text in np.datetime_as_string(seconds, unit="s").tolist()]


def format_number(value) -> str:
    """A float as the shortest text that reads back as the same float; integral values without
    `.0`; NaN/None as an empty cell."""
    if value is None or pd.isna(value):
        return ""
    number = float(value)
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number)
