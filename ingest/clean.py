"""Cleaning of feed text, links and times (pure functions, no I/O).

- `html_to_text`: HTML (or text that may hold markup) to one line of plain text.
- `decode_entities`: HTML character references in plain text (`Trump&#039;s`) decoded.
- `safe_link`: only absolute http(s) URLs survive.
- `entry_time`: a feed entry's time as an aware UTC datetime, correcting the zone names that
  feedparser 6 silently reads as UTC (MSK and others: its RFC-822 handler maps every zone name it
  does not know to +0000).
"""

from __future__ import annotations

import calendar
import email.utils
import html
import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.html
from lxml import etree

# Elements dropped with everything inside them: code (script, style, template, applet, object), and
# the raw-text and RCDATA elements (xmp, textarea, iframe, noscript, noembed, noframes, plaintext,
# title), whose content an HTML parser hands back as text even when it is markup
# (`<xmp><img src=x onerror=alert(1)></xmp>` would otherwise come out as a live `<img>` tag).
_SKIP = ("script", "style", "template", "applet", "object", "xmp", "textarea", "iframe", "noscript",
         "noembed", "noframes", "plaintext", "title")
# Elements that break a line when shown: they separate words.
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
_BLOCK_NAMES = "|".join(sorted(_BLOCK, key=len, reverse=True))
_BLOCK_TAG = re.compile(rf"<(?=/?(?:{_BLOCK_NAMES})\b)", re.IGNORECASE)
# Characters that are never text: C0 and C1 controls, the bidi embedding, override and isolate
# controls (U+202A-U+202E, U+2066-U+2069: they reorder how the text around them is shown) and lone
# surrogates. The controls that separate (tab, line and page breaks, the information separators
# U+001C-U+001F, which real titles carry where a hyphen was: `self\x1edetermination`, and NEL)
# become spaces; the others are removed.
_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SEPARATING = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85")
# What an HTML tokenizer reads as the start of a tag, an end tag, a comment, a doctype or a
# processing instruction: plain text never holds one.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_LEFTOVER_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
# Markup escaped up to this many times over is taken apart; deeper, its references are removed.
_PASSES = 6
# A character reference as html.unescape reads one (its pattern).
_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")


def html_to_text(s: str | None) -> str:
    """Plain text of an HTML fragment, on one line; the project's one rule for text that may
    hold markup (titles and summaries: see ingest.headline_text, which applies it).

    - Tags are stripped; script, style and the other elements of _SKIP are dropped with their
      content; block elements separate words; comments and processing instructions go.
    - Entities are decoded, and text that decoding turns into markup again (`&lt;img src=x
      onerror=…&gt;`, or `&amp;lt;…` escaped twice) is stripped again, up to _PASSES times (text
      escaped deeper loses its references undecoded), so escaped markup never comes out as a
      live tag.
    - Control characters, bidi override and isolate characters and lone surrogates are removed;
      whitespace is collapsed to single spaces.
    - The result holds no `<` that starts a tag (`<` followed by a letter, `/`, `!` or `?`):
      what is left after the passes is removed by a pattern. `5 < 6` and `<3` stay.

    The parser is lxml's (libxml2), already used for the news pages; text without `<` or `&`
    skips it (the common case for titles). Idempotent: cleaning clean text changes nothing."""
    if not s:
        return ""
    text = s
    for _ in range(_PASSES):
        cleaned = _one_pass(text)
        if cleaned == text:
            return _no_tags(text)
        text = cleaned
    # Still changing: markup escaped more than _PASSES times over, which no publisher does. Its
    # references are removed undecoded, so that cleaning the result again changes nothing.
    return _no_tags(" ".join(_NOT_TEXT.sub(_not_text, _REFERENCE.sub("", text)).split()))


def _one_pass(s: str) -> str:
    """One round: characters that are not text removed, markup parsed to its text (entities
    decoded by the parser) or, without markup, entities decoded; whitespace collapsed."""
    if _NOT_TEXT.search(s):
        s = _NOT_TEXT.sub(_not_text, s)
    if "<" in s:
        s = _markup_text(s)
    elif "&" in s:
        s = html.unescape(s)
    return " ".join(s.split())


def _not_text(match: re.Match) -> str:
    return " " if match.group() in _SEPARATING else ""


def _markup_text(s: str) -> str:
    try:
        # A space before each block tag keeps words of adjacent paragraphs apart.
        root = lxml.html.document_fromstring(_BLOCK_TAG.sub(" <", s))
    except (etree.ParserError, ValueError):   # nothing but a comment or a PI, or what lxml refuses
        return _LEFTOVER_TAG.sub(" ", s)
    etree.strip_elements(root, *_SKIP, with_tail=False)
    return root.text_content()  # leaves out comments and PIs


def _no_tags(text: str) -> str:
    """The text with every tag-like sequence removed (complete ones first, then a lone `<` that
    would open one)."""
    if "<" not in text or not _TAG_OPEN.search(text):
        return text
    text = _TAG_OPEN.sub("", _LEFTOVER_TAG.sub(" ", text))
    return " ".join(text.split())


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")


def decode_entities(s: str | None) -> str:
    """Plain text with its HTML character references decoded (`&#039;`, `&amp;`, `&quot;`),
    twice at most (text escaped twice, `&amp;#039;`, is common in archives); text without a
    reference is returned as it is (`AT&T` stays)."""
    if not s:
        return s or ""
    for _ in range(2):
        if "&" not in s or not _ENTITY.search(s):
            break
        s = html.unescape(s)
    return s


def safe_link(url: str | None) -> str | None:
    """The URL (trimmed) when it is an absolute http or https URL with a host; else None
    (javascript:, data:, relative paths, garbage)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not url or _BAD_URL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a garbage port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


# Zone names feedparser 6.0.14's RFC-822 handler knows (feedparser/datetimes/rfc822.py); it
# reads any other name as +0000. 'utc' is not in its table but +0000 is right for it.
FEEDPARSER_KNOWN_ZONES = frozenset({
    "ut", "gmt", "z", "adt", "ast", "at", "edt", "est", "et", "cdt", "cst", "ct", "mdt", "mst",
    "mt", "pdt", "pst", "pt", "a", "n", "m", "y", "met", "mest", "utc",
})

# Zone names feedparser misreads, with what they mean: an IANA zone (offset taken for the date,
# for zones whose offset changed over the years) or fixed hours east of UTC. Ambiguous names
# (IST: India, Ireland or Israel) are deliberately absent: a time in them is unknown.
ZONE_NAMES: dict[str, str | float] = {
    "msk": "Europe/Moscow",  # +03:00 now, +04:00 from 2011-03-27 to 2014-10-26
    "msd": 4,  # Moscow summer time (until 2011)
    "samt": "Europe/Samara", "yekt": "Asia/Yekaterinburg", "omst": "Asia/Omsk",
    "krat": "Asia/Krasnoyarsk", "irkt": "Asia/Irkutsk", "yakt": "Asia/Yakutsk",
    "vlat": "Asia/Vladivostok", "magt": "Asia/Magadan", "pett": "Asia/Kamchatka",
    "wet": 0, "west": 1, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3,
    "trt": 3, "gst": 4, "pkt": 5, "wib": 7, "ict": 7, "hkt": 8, "sgt": 8, "awst": 8,
    "jst": 9, "kst": 9, "acst": 9.5, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
    "sast": 2, "cat": 2, "eat": 3, "wat": 1, "brt": -3, "art": -3,
    "hst": -10, "akst": -9, "akdt": -8, "nst": -3.5, "ndt": -2.5,
}

# A clock time followed by a zone name at the very end of the string.
_TRAILING_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s+([A-Za-z][A-Za-z_/+-]*)\s*$")
_UNKNOWN = object()


def entry_time(raw: str | None, parsed: time.struct_time | None) -> datetime | None:
    """An entry's time as an aware UTC datetime, from feedparser's raw date string and its
    `*_parsed` struct (UTC). A zone name feedparser misreads is applied properly (MSK: Moscow
    time of that date); an unknown or ambiguous zone name, or no usable date, gives None."""
    zone = _misread_zone(raw) if raw else None
    if zone is _UNKNOWN:
        return None
    if zone is not None:
        wall = _wall_time(raw, parsed)
        if wall is None:
            return None
        return wall.replace(tzinfo=zone).astimezone(UTC)
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def _misread_zone(raw: str):
    """None when feedparser's reading of `raw` can be trusted; else the tzinfo the zone name
    means, or _UNKNOWN."""
    match = _TRAILING_ZONE.search(raw)
    if not match:
        return None
    name = match.group(1)
    key = name.lower()
    if key.startswith("etc/"):
        key = key[4:]
    if key.startswith("gmt") or key in FEEDPARSER_KNOWN_ZONES:
        return None
    meaning = ZONE_NAMES.get(key)
    if meaning is None and "/" in name:
        meaning = name  # an IANA zone name, e.g. Europe/Moscow
    if meaning is None:
        return _UNKNOWN
    return _tzinfo(meaning)


def _tzinfo(meaning: str | float) -> tzinfo:
    if isinstance(meaning, str):
        try:
            return ZoneInfo(meaning)
        except (ZoneInfoNotFoundError, ValueError):
            return _UNKNOWN
    return timezone(timedelta(hours=meaning))


def _wall_time(raw: str, parsed: time.struct_time | None) -> datetime | None:
    """The naive local date and time written in `raw` (its zone name ignored)."""
    fields = email.utils.parsedate_tz(raw)
    if fields is not None:
        try:
            return datetime(*fields[:6])
        except ValueError:
            return None
    if parsed is not None:  # feedparser took the unknown zone as +0000: its fields are the wall time
        return datetime(*parsed[:6])
    return None
