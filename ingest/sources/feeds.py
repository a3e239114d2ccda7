"""Headline feeds (RSS 0.9x/1.0/2.0, Atom): fetch, refuse entity declarations (the check is
ingest.sources.feed_entities), detect the encoding of a feed that does not declare one
(ingest.sources.feed_encoding), parse with feedparser, clean (ingest.headline_text).

The shell (`FeedSource.fetch`) only moves bytes: over HTTP through the shared client (timeouts,
byte cap, retries, conditional GET) or from a local file. Everything else is the pure
`parse_feed(body, headers, source, fetched)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import urljoin, urlsplit
from xml.sax import SAXParseException

import feedparser

from ingest.clean import entry_time, safe_link
from ingest.headline_text import headline_text
from ingest.headline_times import FUTURE_SLACK, day_start, in_the_future, settle_time, without_day, written_date
from ingest.local_files import NotRegularFile, read_regular_file
from ingest.sources.base import (
    FeedState,
    FetchPlan,
    FetchResult,
    Headline,
    MalformedResponse,
    PermanentError,
    Source,
)
from ingest.sources.feed_encoding import settle_encoding
from ingest.sources.feed_entities import declares_entities, sniff_encoding

# feedparser flags these when the HTTP Content-Type and the document disagree about the
# character set or media type; the document itself parsed fine, so they are not problems.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass(frozen=True)
class ParsedFeed:
    """Headlines read from one feed document and the non-fatal problems met on the way."""

    headlines: list[Headline] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class FeedSource(Source):
    """One configured feed: an http(s) URL or a local file path."""

    group: ClassVar[str] = "feeds"

    def __init__(self, feed, config, client):
        self.feed = feed
        self.config = config
        self.client = client
        self.key = f"feed:{feed.name}"

    def conditional_get(self) -> tuple[str, str]:
        """The feed's name and URL: its validators are kept under its name."""
        return self.feed.name, self.feed.url

    def hosts(self) -> frozenset[str]:
        """The feed's host; none for a local file."""
        return frozenset() if self.feed.is_local else frozenset({urlsplit(self.feed.url).netloc})

    def fetch(self, plan: FetchPlan) -> FetchResult:
        """Fetch the feed (conditional GET with the plan's validators) and parse it. A 304 gives
        a result with no headlines and `feed_state.not_modified`."""
        fetched = _utc(plan.now)
        label = f"feed {self.feed.name}"
        if self.feed.is_local:
            body = _read_local(Path(self.feed.url).expanduser(), self.config.http.max_bytes, label)
            headers: dict[str, str] = {}
            state = FeedState(http_status=None)
        else:
            response = self.client.get(self.feed.url, etag=plan.etag, last_modified=plan.last_modified,
                                       what=label)
            if response.not_modified:
                return FetchResult(feed_state=FeedState(304, not_modified=True))
            body = response.content
            # Relative item links resolve against the URL the feed came from.
            headers = {**response.headers, "content-location": response.url}
            state = FeedState(http_status=response.status, etag=response.headers.get("etag"),
                              last_modified=response.headers.get("last-modified"))
        parsed = parse_feed(body, headers, self.feed.name, fetched)
        return FetchResult(headlines=parsed.headlines, feed_state=state, problems=parsed.problems)


def _read_local(path: Path, cap: int, label: str) -> bytes:
    try:
        body, _ = read_regular_file(path, cap)
    except FileNotFoundError:
        raise PermanentError(f"{label}: file not found: {path}") from None
    except NotRegularFile as exc:   # a FIFO would hang the refresh
        raise PermanentError(f"{label}: {exc}") from None
    except OSError as exc:
        raise PermanentError(f"{label}: cannot read {path}: {exc.strerror or exc}") from None
    if len(body) > cap:
        raise PermanentError(f"{label}: file {path} exceeds the cap of {cap} bytes")
    return body


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive time {moment!r}: times must carry a zone")
    return moment.astimezone(UTC)


# -- parsing ---------------------------------------------------------------------------------

def parse_feed(body: bytes, headers: Mapping[str, str] | None, source: str, fetched: datetime) -> ParsedFeed:
    """Headlines of a feed document. `headers` are the HTTP response headers (lower-case names;
    they carry the charset, and `content-location` is the base of relative links); `source` is the
    feed's name; `fetched` (aware) stands in for entries without a usable time (marked
    time_inferred) and for entries dated more than FUTURE_SLACK after it (marked too, and
    counted in a problem). An entry dated without a time of day (`<dc:date>2026-07-26</dc:date>`)
    is published at 00:00 UTC of that date with `day_precision`. Raise PermanentError for
    documents that declare XML entities, MalformedResponse when the body holds no feed at all;
    a partly readable feed gives what parsed plus a problem. A feed whose encoding had to be
    detected (none declared and not UTF-8, or one that does not fit) is read in the detected one,
    and the first problem says so (`no character encoding declared and not UTF-8: read as
    windows-1251 (detected)`)."""
    fetched = _utc(fetched)
    headers = dict(headers or {})
    # Relative links are resolved here, not by feedparser: given a base URL it joins one onto
    # every element it reads (a good share of its time), while few feeds have relative links.
    base = headers.pop("content-location", None)
    label = f"feed {source}"
    if declares_entities(body, headers):
        raise PermanentError(f"{label}: feed declares XML entities; refused")
    if not body.strip():
        raise MalformedResponse(f"{label}: empty document")
    read_as = settle_encoding(body, headers)   # a feed that does not say its encoding: detected, and said
    body, headers = read_as.body, read_as.headers
    # headline_text reduces HTML to text itself (dropping scripts and styles), so feedparser's own
    # HTML sanitizer and its resolving of links inside HTML would be wasted work (a good share
    # of its time).
    result = feedparser.parse(body, response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    entries = result.entries
    if not result.get("version") and not entries:
        raise MalformedResponse(f"{label}: no RSS or Atom feed in the document ({_why_not(result, body)})")

    headlines: list[Headline] = []
    untitled = future = 0
    unreadable: list[str] = []
    for entry in entries:
        text = headline_text(entry.get("title"), entry.get("summary"))
        title = text.title
        if not title:
            untitled += 1
            continue
        published, raw, day_only = _published(entry)
        if published is None and raw:
            unreadable.append(raw)
        link = _link(entry.get("link"), base)
        headline = Headline(
            source=source,
            guid=_guid(entry, link, title, published),
            title=title,
            published=published or fetched,
            fetched=fetched,
            summary=text.summary,
            link=link,
            time_inferred=published is None,
            day_precision=day_only,
            text_truncated=text.truncated,
        )
        if in_the_future(headline):
            future += 1
            headline = settle_time(headline)
        headlines.append(headline)

    problems = [read_as.assumed] if read_as.assumed else []
    malformed = _bozo_problem(result, body, len(entries))
    if malformed:
        problems.append(malformed)
    if untitled:
        problems.append(f"{untitled} {_entries(untitled)} without a title skipped")
    if unreadable:
        problems.append(f"{len(unreadable)} {_entries(len(unreadable))} with an unreadable date "
                        f"(e.g. {unreadable[0]!r}); fetch time used")
    if future:
        minutes = int(FUTURE_SLACK.total_seconds() // 60)
        they = "they were" if future != 1 else "it was"
        problems.append(f"{future} {_entries(future)} dated more than {minutes} minutes after {they} fetched; "
                        "fetch time used")
    return ParsedFeed(headlines=headlines, problems=problems)


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


def _published(entry) -> tuple[datetime | None, str | None, bool]:
    """The entry's time (published, else updated), the first raw date string seen, and whether
    the time is a date alone (feedparser reads `2026-07-26` as midnight: the raw string tells).
    A year or a month alone (`2026-07`) is no usable time. dict.get avoids feedparser's
    deprecated fallback from 'updated' to 'published'."""
    first_raw = None
    for key in ("published", "updated"):
        raw = dict.get(entry, key)
        parsed = dict.get(entry, f"{key}_parsed")
        if not raw and parsed is None:
            continue
        first_raw = first_raw or raw
        if without_day(raw):
            continue
        day = written_date(raw)
        if day is not None:  # 00:00 UTC of the date written, whatever zone followed it
            return day_start(day), first_raw, True
        moment = entry_time(raw, parsed)
        if moment is not None:
            return moment, first_raw, False
    return None, first_raw, False


def _link(raw: str | None, base: str | None) -> str | None:
    """The entry's link when it is http(s); a relative one is resolved against `base` first."""
    link = safe_link(raw)
    if link is None and raw and base:
        link = safe_link(urljoin(base, raw.strip()))
    return link


def _guid(entry, link: str | None, title: str, published: datetime | None) -> str:
    """The entry's id, else its link, else a hash of its title and (real) time: stable across
    fetches, so a re-fetched entry updates its stored row instead of adding one."""
    ident = (dict.get(entry, "id") or "").strip()
    if ident:
        return ident
    if link:
        return link
    stamp = published.isoformat() if published else ""
    return "sha1:" + hashlib.sha1(f"{title}\n{stamp}".encode()).hexdigest()


def _line_offset(body: bytes) -> int:
    """feedparser puts an XML declaration line in front of documents that lack one, so the
    parser's line numbers are one too high for them."""
    sniffed = sniff_encoding(body)
    head = body[:64].decode(sniffed or "latin-1", errors="ignore").lstrip("\ufeff")
    return 0 if head.startswith("<?xml") else 1


def _bozo_problem(result, body: bytes, count: int) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if isinstance(exc, _BENIGN_BOZO):
        return None
    read = f"{count} {_entries(count)} read"
    if isinstance(exc, SAXParseException):
        line = max(1, exc.getLineNumber() - _line_offset(body))
        return f"malformed XML at line {line}: {exc.getMessage()}; {read}"
    return f"malformed feed: {exc}; {read}"


def _why_not(result, body: bytes) -> str:
    exc = result.get("bozo_exception")
    if isinstance(exc, SAXParseException):
        line = max(1, exc.getLineNumber() - _line_offset(body))
        return f"not XML: {exc.getMessage()} at line {line}"
    if exc is not None and not isinstance(exc, _BENIGN_BOZO):
        return str(exc)
    return "no rss, feed or rdf:RDF root element"
