"""Headline times that can be trusted (pure): one rule for every entry point (feeds, CSV imports,
GDELT, saved pages), applied again by the store to everything it writes.

- A time more than FUTURE_SLACK after the moment the headline was fetched or imported cannot be
  when it was published (a feed item dated 2099, a clock set wrong): it becomes that moment,
  marked inferred (`time_inferred`).
- A date without a time is kept as a date: `published` is 00:00 UTC of it and `day_precision`
  says so. Such a headline is aligned as its whole day (the dashboard's alignment: at the end of
  that UTC day): it is known to be out by the end of that day, never at an hour of it.
  `written_date(text)` tells such a date from a time by the text a source wrote (`2008-06-08`,
  `Sun, 08 Jun 2008`); `without_day(text)` finds a year or a month alone (`2026`, `2026-07`),
  which is not a date at all.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from ingest.records import Headline

FUTURE_SLACK = timedelta(minutes=10)
FUTURE_SLACK_SECONDS = int(FUTURE_SLACK.total_seconds())

# A zone written after a date without a clock (`2026-07-26Z`, `2026-07-26 +03:00`, `… GMT`).
_ZONE = r"(?:\s*(?:Z|[+-]\d{2}(?::?\d{2})?)|\s+[A-Za-z]{1,5})?"
_DATE_ONLY = re.compile(
    r"\s*(?:"
    r"(?P<y>\d{4})(?P<sep>-?)(?P<m>\d{2})(?P=sep)(?P<d>\d{2})"                    # ISO 8601 / W3C-DTF
    r"|(?:[A-Za-z]{3,9},?\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4})"  # RFC 822
    rf"){_ZONE}\s*")
_WITHOUT_DAY = re.compile(r"\s*\d{4}(?:-\d{2})?\s*")
_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}


def written_date(text: str | None) -> date | None:
    """The date a source's time text gives when it is a date without a time of day: ISO 8601
    `2008-06-08` (`20080608`), RFC 822 `Sun, 08 Jun 2008` (English month names), a zone after it
    or not (a date is a date in any zone); None for anything else (a time, garbage, no such day)."""
    if not text:
        return None
    match = _DATE_ONLY.fullmatch(text)
    if match is None:
        return None
    if match["y"] is not None:
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    else:
        month = _MONTHS.get(match["month"].lower())
        if month is None:
            return None
        year, day = int(match["year"]), int(match["day"])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def without_day(text: str | None) -> bool:
    """Whether a time text is a year or a month alone (`2026`, `2026-07`): no day to place the
    headline on."""
    return bool(text) and _WITHOUT_DAY.fullmatch(text) is not None


def day_start(day: date) -> datetime:
    """00:00 UTC of a date: where a headline dated to the day only is published."""
    return datetime.combine(day, time(0), UTC)


def in_the_future(headline: Headline) -> bool:
    """Whether the headline's time lies more than FUTURE_SLACK after it was fetched."""
    return headline.published > headline.fetched + FUTURE_SLACK


def settle_time(headline: Headline) -> Headline:
    """The headline with a time it can have had: one in the future becomes its fetch time,
    marked inferred (and no longer a date alone)."""
    if not in_the_future(headline):
        return headline
    return replace(headline, published=headline.fetched, time_inferred=True, day_precision=False)
