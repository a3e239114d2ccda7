"""A news page as a source unit, behind the same interface as the price and feed units
(ingest.sources.base.Source): read a saved file or fetch a URL, parse its header strip and its
headline (ingest.pages), and return them as ticker snapshots and a headline in a FetchResult. The
shell that records and stores each unit's run is ingest.runners.page_snapshots.

Captured time of the ticker snapshots (UTC, whole seconds), `captured_from` saying which: the
time given (`captured_at`: "given"), else a URL's fetch time ("fetch"), else the page's own
publication time when it shows one ("page"), else the file's modification time ("file"). The
last two are inferred — a file's date is when it was last copied or saved, and a page's strip
may be newer than its article; a strip label without a year ("Курс ЦБ на 17.03") is never given
one from an inferred time.

The headline's time: the page's own publication time when it shows one (ingest.pages.published;
time_inferred False, `day_precision` for a date alone) — unless that time lies more than
FUTURE_SLACK after the page was captured (a problem then) —, else the captured time with
time_inferred=True. Its guid is the URL or file name with the SHA-1 of the title, so storing a
page again adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from ingest.headline_times import FUTURE_SLACK
from ingest.local_files import NotRegularFile, read_regular_file
from ingest.pages import AsOf, ParsedPage, TickerItem, parse_page
from ingest.records import FetchResult, Headline, TickerSnapshot
from ingest.sources.base import FetchPlan, PermanentError, Source
from ingest.sources.http import HttpClient

KNOWN_CAPTURE = ("given", "fetch")   # captured times that are known, not inferred


@dataclass
class PageFetch(FetchResult):
    """What a page unit returned (its snapshots, its headline, its problems), and what the
    outcome line says of it: the strip's items, where the captured time came from, and the date
    the strip's rates are as of."""

    items: tuple[TickerItem, ...] = ()
    captured_from: str | None = None
    rates_as_of: date | None = None
    rates_label: AsOf | None = None   # the strip label's date as written (for a year not known)


def is_url(target: str) -> bool:
    """Whether a target is an http(s) URL (anything else is a file path)."""
    return target.lower().startswith(("http://", "https://"))


def source_key(target: str) -> str:
    """`page:<host>` for a URL, `page:<file name>` for a file."""
    if "://" in target:
        return f"page:{(urlsplit(target).hostname or target).lower()}"
    return f"page:{Path(target).name or target}"


class PageSource(Source):
    """One page, a saved file or an http(s) URL: source `page:<file name>` or `page:<host>`.
    `instruments` maps canonical strip marks to instrument ids; `captured_at` (aware) overrides
    the captured time; `clock` gives a URL's fetch time."""

    group: ClassVar[str] = "pages"

    def __init__(self, target: str, *, instruments: dict[str | None, str], max_bytes: int,
                 client: HttpClient | None = None, captured_at: datetime | None = None,
                 clock: Callable[[], datetime] | None = None):
        if captured_at is not None and captured_at.tzinfo is None:
            raise ValueError("captured_at must be timezone-aware")
        self.target, self.key = target, source_key(target)
        self.instruments, self.max_bytes, self.client = instruments, max_bytes, client
        self.captured_at, self.clock = captured_at, clock

    def fetch(self, plan: FetchPlan) -> PageFetch:
        """Read or fetch and parse the page; `plan.now` is the headline's fetch time. SourceError
        on failure."""
        target = self.target
        if is_url(target):
            if self.client is None:
                raise ValueError("a page unit for a URL needs an HTTP client")
            response = self.client.get(target, what=f"page {target}")
            fetched_at = self.clock() if self.clock is not None else plan.now
            page = parse_page(response.content, target, response.headers.get("content-type"))
            existed, how, ident, link = fetched_at, "fetch", target, page.link or target
        elif "://" in target:
            raise PermanentError(f"{target}: only http and https URLs can be fetched")
        else:
            body, modified = read_page_file(target, self.max_bytes)
            page = parse_page(body, Path(target).name)
            existed, how, ident, link = modified, "file", Path(target).name, page.link
        if self.captured_at is not None:
            existed, how = self.captured_at, "given"
        existed = existed.astimezone(UTC).replace(microsecond=0)
        problems = list(page.problems)
        own = page.published
        if own is not None and own > existed + FUTURE_SLACK:  # published after it was seen: a wrong date
            stated = _moment_text(own, page.published_day_only)
            problems.append(f"the page's own time ({page.published_where}: {stated}) is after {_SEEN[how]} "
                            f"({_moment_text(existed, False)}): not used")
            own = None
        when = existed
        if how == "file" and own is not None:
            when, how = own.replace(microsecond=0), "page"
        snapshots = page_snapshots(page, self.key, when, how, self.instruments)
        headline = page_headline(page, self.key, ident, when, plan.now, link, own, page.published_day_only)
        as_of = page.rates_as_of.resolve(when if how in KNOWN_CAPTURE else None) if page.rates_as_of else None
        return PageFetch(headlines=[headline] if headline else [], snapshots=snapshots, problems=problems,
                         items=page.items, captured_from=how, rates_as_of=as_of, rates_label=page.rates_as_of)


_SEEN = {"given": "the time given by --captured-at", "fetch": "its fetch time", "file": "its file's modification time"}


def _moment_text(moment: datetime, day_only: bool) -> str:
    return f"{moment:%Y-%m-%d}" if day_only else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def read_page_file(path: str, max_bytes: int) -> tuple[bytes, datetime]:
    """A saved page's bytes and modification time (UTC); PermanentError naming the file when it
    cannot be read or is larger than `max_bytes`."""
    try:
        body, info = read_regular_file(path, max_bytes)
    except NotRegularFile as exc:   # a FIFO would hang the command
        raise PermanentError(str(exc)) from None
    except OSError as exc:
        raise PermanentError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if len(body) > max_bytes:
        size = max(info.st_size, len(body))
        raise PermanentError(f"{Path(path).name}: file of {size} bytes exceeds the cap of {max_bytes}")
    return body, datetime.fromtimestamp(int(info.st_mtime), UTC)


def page_snapshots(page: ParsedPage, source: str, captured_at: datetime, captured_from: str,
                   instruments: dict[str | None, str]) -> list[TickerSnapshot]:
    """The page's strip items as snapshot records; `instruments` maps canonical marks to ids."""
    return [TickerSnapshot(source=source, mark=item.mark, value=item.value, captured_at=captured_at,
                           captured_from=captured_from, instrument_id=instruments.get(item.mark),
                           change=item.change, change_pct=item.change_pct, mark_inferred=item.mark_inferred,
                           direction=item.direction)
            for item in page.items]


def page_headline(page: ParsedPage, source: str, ident: str, captured_at: datetime, fetched: datetime,
                  link: str | None, own: datetime | None = None, day_only: bool = False) -> Headline | None:
    """The page's headline as a record (None when it has none): published at the page's own
    time `own` when there is one (`day_only`: a date alone, day precision), else at the captured
    time, time_inferred; guid `<ident>#sha1:<SHA-1 of the title>`."""
    if not page.headline:
        return None
    digest = hashlib.sha1(page.headline.encode()).hexdigest()
    if own is not None:
        return Headline(source=source, guid=f"{ident}#sha1:{digest}", title=page.headline,
                        published=own.astimezone(UTC).replace(microsecond=0), fetched=fetched,
                        summary=page.summary, link=link, day_precision=day_only, text_truncated=page.truncated)
    return Headline(source=source, guid=f"{ident}#sha1:{digest}", title=page.headline,
                    published=captured_at, fetched=fetched, summary=page.summary, link=link,
                    time_inferred=True, text_truncated=page.truncated)
