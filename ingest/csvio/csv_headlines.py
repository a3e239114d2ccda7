"""Headlines from CSV files, and headlines to CSV (pure, apart from reading the given file).

Read as they are: RSS archives (`pub_date_utc,source,region,title`; `title,pubDate,guid,link,
description`), the Kaggle r/worldnews file (`Date,News`, older rows wrapped in Python bytes-literal
syntax `b"…"` / `b'…'`, unwrapped here), and newsmarks' own export
`published_utc,source,title,link,summary,time_inferred,topics,guid,text_truncated` (also without
its last columns, as older versions wrote it).

Times: ISO 8601 (`Z`, offsets; naive = UTC) or RFC 822 (`Mon, 07 Mar 2022 12:00:00 GMT`). A date
alone (`2008-06-08`, `Sun, 08 Jun 2008`) is stored as that date: 00:00 UTC with `day_precision`
(the file gives no time within the day, so such a headline is placed on its day, never at an
hour of it); the export writes such a row's time as the date alone again. A year or a month
alone (`2026-07`) is refused. A time more than ingest.headline_times.FUTURE_SLACK after the
import cannot be a publication time: the row gets the import time, marked time_inferred, and
`HeadlineImport.future` counts them.

Titles and summaries: a bytes literal is unwrapped, then the text becomes what every entry point
stores (ingest.headline_text): plain text — markup stripped, HTML character references decoded
(`Trump&#039;s` → `Trump's`, `&amp;#039;` too) so that words match, control and bidi override
characters removed — capped in length (`text_truncated`; the export's `text_truncated` column is
read back too). A row whose title has no text left is skipped. A row without a guid or link gets
one made from its source, title and time as the file writes them (before cleaning), so that a
file imported before entities were decoded is recognised row by row.

Text cells are passed through `restore_cell` (the inverse of the export's formula guard), so
export → import gives back the same headlines. `topics` is not read: tags are recomputed.
"""

from __future__ import annotations

import ast
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from ingest.csvio.csv_safety import (
    CsvError,
    column,
    extra_fields,
    find_column,
    find_columns,
    iso_utc,
    missing_column,
    neutralise_cell,
    normalise_name,
    parse_times,
    read_records,
    restore_cell,
    safe_link,
    write_csv,
)
from ingest.headline_text import headline_text
from ingest.headline_times import day_start, in_the_future, settle_time, without_day, written_date
from ingest.records import Headline

TIME_ALIASES = ("published utc", "pub date utc", "published", "published at", "pubdate", "pub date",
                "datetime", "date", "time", "timestamp", "updated")
TITLE_ALIASES = ("title", "headline", "news")
ALIASES = {
    "source": ("source", "feed", "publisher"),
    "link": ("link", "url"),
    "summary": ("summary", "description"),
    "time_inferred": ("time inferred",),
    "guid": ("guid", "id"),
    "text_truncated": ("text truncated",),
}
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f", ""}
EXPORT_COLUMNS = ["published_utc", "source", "title", "link", "summary", "time_inferred", "topics", "guid",
                  "text_truncated"]
_BYTES_LITERAL = re.compile(r"""b(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", re.DOTALL)


@dataclass
class HeadlineImport:
    """Headlines read from a CSV file (in file order), and (line, reason) of the rows left out
    with skip_bad=True. `columns`: role → the file's column name used. `future`: rows dated more
    than FUTURE_SLACK after the import, given the import time (marked time_inferred)."""

    headlines: list[Headline]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    future: int = 0
    unnamed: int = 0            # rows with no source cell and no `source` given: stored as `import:<file name>`
    fallback_source: str = ""   # that name


def read_headlines_csv(path: str | Path, *, source: str | None = None, skip_bad: bool = False,
                       fetched: datetime, delimiter: str | None = None) -> HeadlineImport:
    """Read headlines from a CSV file; CsvError (naming file, line and problem) when it can't.

    source: for rows without a source cell (else `import:<file name>`). guid: the guid/id cell,
    else the link, else a stable hash of (source, title, published), so re-importing a file adds
    nothing. Links other than absolute http(s) URLs are dropped. fetched: the import time (aware).
    skip_bad: leave out rows with a bad time or a bad time_inferred or text_truncated cell and
    list them in `.skipped`, instead of raising. Rows with a blank title, or one that is markup
    alone, are always left out (and listed in `.skipped`): there is nothing to import. Times:
    see the module docstring (a date alone, times in the future)."""
    if fetched.tzinfo is None:
        raise ValueError("fetched must be timezone-aware")
    table = read_records(path, delimiter)
    name = table.name
    header = [cell.strip() for cell in table.records[0]]
    body, lines = table.records[1:], table.lines[1:]
    roles = _roles(header, name)
    if not body:
        raise CsvError(f"{name}: no data rows (columns: {', '.join(header)})")
    default_source = source or f"import:{name}"
    times, time_problems, day_only = _times(column(body, roles["time"]))
    published = times.dt.to_pydatetime().tolist() if len(times) else []
    stamps = iso_utc(times.fillna(pd.Timestamp(0, tz="UTC")))
    texts = {role: [restore_cell(c) if c[:1] == "'" else c for c in column(body, index)]
             for role, index in roles.items() if role not in ("time", "time_inferred", "text_truncated")}
    no_cells = [""] * len(body)
    titles, sources = texts["title"], texts.get("source", no_cells)
    links, guids, summaries = (texts.get(role, no_cells) for role in ("link", "guid", "summary"))
    flags = {role: column(body, roles[role]) for role in ("time_inferred", "text_truncated") if role in roles}
    headlines: list[Headline] = []
    skipped: list[tuple[int, str]] = []
    width = len(header)
    future = unnamed = 0
    for i, record in enumerate(body):
        title = titles[i]
        if title[:1] == "b":
            title = unwrap_bytes_literal(title)
        if not title.strip():  # nothing to import: left out, and listed, even without skip_bad
            skipped.append((lines[i], "title is empty"))
            continue
        problem = f"published {time_problems[i]}" if time_problems[i] is not None else extra_fields(record, width)
        given: dict[str, bool] = {}
        for role, cells in flags.items():
            flag = cells[i].strip().lower()
            if problem is None and flag not in TRUE and flag not in FALSE:
                problem = f"{role} {cells[i]!r} is not true or false"
            given[role] = flag in TRUE
        if problem is not None:
            if not skip_bad:
                raise CsvError(f"{name} line {lines[i]}: {problem}")
            skipped.append((lines[i], problem))
            continue
        summary = summaries[i]
        if summary[:1] == "b":
            summary = unwrap_bytes_literal(summary)
        text = headline_text(title, summary)
        if not text.title:   # markup alone: nothing to import, as above
            skipped.append((lines[i], "title has no text once its markup is removed"))
            continue
        row_source = sources[i].strip() or default_source
        unnamed += source is None and not sources[i].strip()
        link = safe_link(links[i]) if links[i] else None
        guid = guids[i].strip() or link or stable_guid(row_source, title, stamps[i])  # the title as written
        inferred = given.get("time_inferred", False)
        headline = Headline(source=row_source, guid=guid, title=text.title, published=published[i],
                            fetched=fetched, summary=text.summary, link=link, time_inferred=inferred,
                            day_precision=day_only[i] and not inferred,
                            text_truncated=text.truncated or given.get("text_truncated", False))
        if in_the_future(headline):
            future += 1
            headline = settle_time(headline)
        headlines.append(headline)
    return HeadlineImport(headlines, skipped, {role: header[index] for role, index in roles.items()}, future,
                          unnamed, default_source)


def _times(cells: list[str]) -> tuple[pd.Series, list[str | None], list[bool]]:
    """parse_times (ISO 8601, RFC 822) with dates alone told apart: per cell, whether the text
    had no time of day (then the time is 00:00 UTC of its date; RFC 822 dates without a clock,
    which parse_times refuses, are read too). A year or a month alone is a problem."""
    times, problems = parse_times(cells)
    day_only = [False] * len(cells)
    for index, cell in enumerate(cells):
        if without_day(cell):
            if problems[index] is None:
                problems[index] = f"{cell.strip()!r} has no day (a date, or a date and time, is needed)"
            times.iat[index] = pd.NaT
            continue
        day = written_date(cell)
        if day is None or not 1678 <= day.year <= 2261:  # out of range: parse_times said so
            continue
        day_only[index] = True
        if problems[index] is not None or times.iat[index].to_pydatetime() != day_start(day):
            times.iat[index] = pd.Timestamp(day_start(day)).as_unit("ns")
            problems[index] = None
    return times, problems, day_only


def _roles(header: list[str], name: str) -> dict[str, int]:
    time_index = find_column(header, TIME_ALIASES)
    if time_index is None:  # any other column whose name starts with 'published'
        time_index = next((i for i, h in enumerate(header) if normalise_name(h).startswith("published")),
                          None)
    if time_index is None:
        raise missing_column(name, "time", TIME_ALIASES, header)
    title_index = find_column(header, TITLE_ALIASES)
    if title_index is None:
        raise missing_column(name, "title", TITLE_ALIASES, header)
    return {"time": time_index, "title": title_index, **find_columns(header, ALIASES)}


def unwrap_bytes_literal(text: str) -> str:
    """`b"…"` / `b'…'` (a Python bytes literal, as the Kaggle r/worldnews file has) → its text,
    escapes decoded and the bytes read as UTF-8 (undecodable bytes replaced). Any other text is
    returned as it is."""
    if not text.startswith(("b'", 'b"')) or not _BYTES_LITERAL.fullmatch(text):
        return text
    inner = text[2:-1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes stay as they are, as in Python
            if re.search(r"\\[uUN]", inner):  # not escapes in a bytes literal
                data = ast.literal_eval(text)
            else:  # same result as literal_eval, without parsing a Python literal
                data = inner.encode("utf-8").decode("unicode_escape").encode("latin-1")
    except (SyntaxError, ValueError, UnicodeError):
        return text
    return data.decode("utf-8", errors="replace")


def stable_guid(source: str, title: str, published_utc: str) -> str:
    """A guid for a headline without one: `sha1:` and the SHA-1 of source, title and time."""
    digest = hashlib.sha1(f"{source}\n{title}\n{published_utc}".encode()).hexdigest()
    return f"sha1:{digest}"


def headlines_to_csv(frame: pd.DataFrame) -> str:
    """CSV text `published_utc,source,title,link,summary,time_inferred,topics,guid,text_truncated`
    from a frame like `Store.headlines()` returns (with its guid, so that re-importing an export
    into the same store recognises every headline). Times as `2022-03-07T00:14:42Z`, a headline
    dated to the day only (`day_precision`) as the date alone (`2008-06-08`); time_inferred and
    text_truncated as true/false;
    text cells formula-neutralised; minimal quoting, `\\n` line ends."""
    missing = [c for c in ("published", "source", "title") if c not in frame.columns]
    if missing:
        raise ValueError(f"headlines frame lacks column(s) {', '.join(missing)}")
    n = len(frame)
    stamps = iso_utc(frame["published"])
    if "day_precision" in frame.columns:
        days = [isinstance(day, bool | int) and bool(day) for day in frame["day_precision"].tolist()]
        stamps = [stamp[:10] if day else stamp for stamp, day in zip(stamps, days, strict=True)]

    def texts(name: str) -> list[str]:
        if name not in frame.columns:
            return [""] * n
        return [neutralise_cell("" if v is None or (isinstance(v, float) and v != v) else str(v))
                for v in frame[name].tolist()]

    def flags(name: str) -> list[str]:
        values = frame[name].tolist() if name in frame.columns else [False] * n
        return ["true" if bool(v) else "false" for v in values]

    columns = [stamps, texts("source"), texts("title"), texts("link"), texts("summary"), flags("time_inferred"),
               texts("topics"), texts("guid"), flags("text_truncated")]
    return write_csv(EXPORT_COLUMNS, zip(*columns, strict=True))
