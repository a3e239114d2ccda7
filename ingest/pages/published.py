"""A saved page's own publication time (pure), read conservatively: a wrong date is worse than none.

HTML, in this order (the first that reads wins): `<meta property="article:published_time">`;
`itemprop="datePublished"` (a `<meta content>` or a `<time datetime>`); JSON-LD `datePublished`
(of an article, else of the page); `<meta name="date">` / `name="pubdate"`; a `<time datetime>`
marked `pubdate`, else the first `<time datetime>` of the `<article>` holding the headline's
`<h1>` (or of the `<h1>`'s own parent). Values are ISO 8601: a date and time with `Z` or an
offset (converted to UTC), or a date alone (`2016-01-20`: day precision, 00:00 UTC). A date and
time without an offset is left out: its zone is unknown, and with it the day.

Text pages: only a line near the headline (PAGE_TIME_LINES lines before or after it) that is
nothing but a full date and time with its zone — ISO 8601 (`2016-01-20T15:42:00Z`,
`2016-01-20 18:42 +03:00`), RFC 822 (`Wed, 20 Jan 2016 15:42:00 GMT`), `20 January 2016, 18:42
GMT`, `January 20, 2016 18:42 UTC`, `20.01.2016 18:42 MSK`, `20 января 2016, 18:42 МСК`; an
optional `Published:`/`Опубликовано:` before it. Zones: Z, UTC, GMT, numeric offsets, and MSK/МСК
(Moscow time of that date). A date without a time, or a slashed date (01/02/2016: which is the
month?), is never read from text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

EARLIEST_YEAR = 1991                  # the web; an earlier date on a news page is a placeholder
PAGE_TIME_LINES = 3
_ISO = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
                  r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?\s*")
_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
                  "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "report", "liveblogposting")
_MONTHS = {
    **{name: i for i, names in enumerate([
        ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
        ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
        ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names},
    **{name: i for i, name in enumerate(
        ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
         "октября", "ноября", "декабря"], start=1)},
}
_MOSCOW = ZoneInfo("Europe/Moscow")
_CLOCK = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
_ZONE_TEXT = r"(?P<zone>Z|UTC|GMT|MSK|МСК|(?:UTC|GMT)?\s?[+-]\d{2}:?\d{2})"
_PREFIX = (r"\s*(?:(?:published|posted|опубликовано)\s*:?\s*)?"
           r"(?:(?:mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?\s+)?")
_TEXT_TIMES = [
    re.compile(_PREFIX + r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?:T|\s+)" + _CLOCK + r"(?:[.,]\d+)?\s*"
               + _ZONE_TEXT + r"\s*", re.IGNORECASE),
    re.compile(_PREFIX + r"(?P<d>\d{1,2})\.?\s+(?P<mname>[A-Za-zА-Яа-яЁё]{3,9})\.?,?\s+(?P<y>\d{4})(?:\s*г\.)?"
               r",?\s+(?:at\s+|в\s+)?" + _CLOCK + r"\s*" + _ZONE_TEXT + r"\s*", re.IGNORECASE),
    re.compile(_PREFIX + r"(?P<mname>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4}),?\s+(?:at\s+)?"
               + _CLOCK + r"\s*" + _ZONE_TEXT + r"\s*", re.IGNORECASE),
    re.compile(_PREFIX + r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4}),?\s+" + _CLOCK + r"\s*"
               + _ZONE_TEXT + r"\s*", re.IGNORECASE),
]


@dataclass(frozen=True)
class PageTime:
    """When the page says it was published: `moment` (UTC; 00:00 UTC of the date when
    `day_only`) and where it was read (`article:published_time`, `JSON-LD datePublished`...)."""

    moment: datetime
    day_only: bool
    where: str


def iso_page_time(value: str | None, where: str) -> PageTime | None:
    """An ISO 8601 value of a page's markup: a date and time with `Z` or an offset (→ UTC), or a
    date alone (day precision); None for anything else (no offset: the zone is unknown)."""
    if not value:
        return None
    match = _ISO.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    if hour is None:
        return _page_time(int(year), int(month), int(day), None, None, where)
    if zone is None:
        return None
    offset = _offset(zone)
    if offset is None:
        return None
    return _page_time(int(year), int(month), int(day), (int(hour), int(minute), int(second or 0)), offset, where)


def _offset(zone: str):
    if zone.upper() == "Z":
        return UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    sign = 1 if zone[0] == "+" else -1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _page_time(year: int, month: int, day: int, clock: tuple[int, int, int] | None, zone,
               where: str) -> PageTime | None:
    if year < EARLIEST_YEAR:
        return None
    try:
        if clock is None:
            return PageTime(datetime.combine(date(year, month, day), datetime.min.time(), UTC), True, where)
        local = datetime(year, month, day, *clock, tzinfo=zone)
    except ValueError:
        return None
    return PageTime(local.astimezone(UTC), False, where)


# -- HTML ---------------------------------------------------------------------------------------

def html_page_time(root) -> PageTime | None:
    """The page time its markup declares (meta tags, itemprop, JSON-LD); read before scripts are
    dropped. `<time>` elements are read by `article_time`, which needs the headline."""
    for key in ("article:published_time",):
        if found := _first(_meta_values(root, ("property", "name"), key), key):
            return found
    itemprop = [e.get("content") or e.get("datetime")
                for e in root.xpath("//*[@itemprop='datePublished'][@content or @datetime]")]
    if found := _first(itemprop, "datePublished"):
        return found
    if found := _first(_json_ld_dates(root), "JSON-LD datePublished"):
        return found
    for key in ("date", "pubdate"):
        if found := _first(_meta_values(root, ("name",), key), f"meta {key}"):
            return found
    return None


def article_time(root, heading) -> PageTime | None:
    """A `<time datetime>` marked `pubdate`, else the first `<time datetime>` of the `<article>`
    that holds the headline's `<h1>` (`heading`), else of the `<h1>`'s parent."""
    if found := _first([e.get("datetime") for e in root.xpath("//time[@pubdate][@datetime]")], "<time pubdate>"):
        return found
    if heading is None:
        return None
    article = next(iter(heading.xpath("ancestor::article[1]")), None)
    scope = article if article is not None else heading.getparent()
    if scope is None:
        return None
    times = scope.xpath(".//time[@datetime]")
    return iso_page_time(times[0].get("datetime").strip(), "<time> of the article") if times else None


def _first(values, where: str) -> PageTime | None:
    for value in values:
        found = iso_page_time((value or "").strip(), where)
        if found is not None:
            return found
    return None


def _meta_values(root, attributes: tuple[str, ...], key: str) -> list[str]:
    return [meta.get("content") or "" for meta in root.iter("meta")
            if any((meta.get(a) or "").strip().lower() == key for a in attributes)]


def _json_ld_dates(root) -> list[str]:
    """datePublished values of the page's JSON-LD: those of articles first, then the others."""
    articles, others = [], []
    for script in root.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _json_objects(data):
            value = item.get("datePublished")
            if not isinstance(value, str):
                continue
            kinds = item.get("@type")
            kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
            (articles if any(str(k).lower() in _ARTICLE_TYPES for k in kinds) else others).append(value)
    return articles + others


def _json_objects(data, depth: int = 0):
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _json_objects(graph, depth + 1)


# -- text ---------------------------------------------------------------------------------------

def text_page_time(line: str) -> PageTime | None:
    """The time a text line states when the line is nothing but a full date and time with its
    zone (see the module docstring); None otherwise."""
    if len(line) > 80 or not any(ch.isdigit() for ch in line):
        return None
    for pattern in _TEXT_TIMES:
        match = pattern.fullmatch(line)
        if match is None:
            continue
        fields = match.groupdict()
        month = int(fields["mo"]) if fields.get("mo") else _MONTHS.get(fields["mname"].lower())
        if month is None:
            return None
        zone = _text_zone(fields["zone"])
        if zone is None:
            return None
        clock = (int(fields["h"]), int(fields["mi"]), int(fields["s"] or 0))
        return _page_time(int(fields["y"]), month, int(fields["d"]), clock, zone, "a date line of the page")
    return None


def _text_zone(zone: str):
    name = zone.replace(" ", "").upper()
    if name in ("Z", "UTC", "GMT"):
        return UTC
    if name in ("MSK", "МСК"):
        return _MOSCOW
    if name.startswith(("UTC", "GMT")):
        name = name[3:]
    return _offset(name) if re.fullmatch(r"[+-]\d{2}:?\d{2}", name) else None
