"""`newsmarks snapshot`: saved news pages (files or URLs) → ticker snapshots and a headline.

The thin shell around ingest.pages: read or fetch each target, parse it, and store its ticker
snapshots and headline in one transaction with one ingest run per target (job "snapshot",
source `page:<file name>` or `page:<host>`, group "pages"), so a failing target shows in
`newsmarks status` and never stops the others.

Captured time of the ticker snapshots (UTC, whole seconds), `captured_from` saying which: the
time given (`--captured-at`: "given"), else a URL's fetch time ("fetch"), else the page's own
publication time when it shows one ("page"), else the file's modification time ("file"). The
last two are inferred — a file's date is when it was last copied or saved, and a page's strip
may be newer than its article — and the outcome line says so; a strip label without a year
("Курс ЦБ на 17.03") is never given one from an inferred time: `rates as of 17.03 (year unknown)`.

The headline's time: the page's own publication time when it shows one (ingest.pages.published;
time_inferred False, `day_precision` for a date alone) — unless that time lies more than
FUTURE_SLACK after the page was captured (a problem then) —, else the captured time with
time_inferred=True. Its guid is the URL or file name with the SHA-1 of the title, so storing a
page again adds nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ingest.config import Config
from ingest.headline_times import FUTURE_SLACK
from ingest.pages import AsOf, ParsedPage, TickerItem, canonical_mark, parse_page
from ingest.records import FetchResult, Headline, TickerSnapshot
from ingest.run_record import Run, recorded_run
from ingest.sources.base import PermanentError
from ingest.sources.http import HttpClient
from ingest.store import Store, WriteCounts
from ingest.stored_tags import headline_tagger

log = logging.getLogger(__name__)
JOB, GROUP = "snapshot", "pages"
_ARROWS = {1: "↑", -1: "↓", 0: "→"}
KNOWN_CAPTURE = ("given", "fetch")   # captured times that are known, not inferred
CAPTURE_NOTES = {"file": "captured at the file's modification time (inferred)",
                 "page": "captured at the page's own publication time (inferred)"}


@dataclass(frozen=True)
class PageOutcome:
    """How one target did: its source key, status (ok | partial | error), what was stored."""

    target: str
    source: str
    status: str
    snapshots: tuple[TickerSnapshot, ...] = ()
    items: tuple[TickerItem, ...] = ()
    headline: Headline | None = None
    counts: WriteCounts = WriteCounts()
    rates_as_of: date | None = None
    problems: tuple[str, ...] = ()
    error: str | None = None
    captured_from: str | None = None
    rates_label: AsOf | None = None   # the strip label's date as written (for a year not known)

    def line(self) -> str:
        """One line for the terminal, e.g. `page:x.txt: 3 snapshots ($ 87.70, € 95.44 (mark
        inferred), BR 90.06), 1 headline (time inferred); 4 new, 0 already stored; captured at the
        file's modification time (inferred)`."""
        if self.status == "error":
            return f"{self.source}: error: {self.error}"
        shown = ", ".join(_item_text(i) for i in self.items)
        if self.rates_as_of is not None:
            shown += f"; rates as of {self.rates_as_of.isoformat()}"
        elif self.rates_label is not None:
            shown += f"; rates as of {self.rates_label.text} (year unknown)"
        count = len(self.items)
        strip = f"{count} snapshot{'s' if count != 1 else ''} ({shown})" if count else "no ticker strip"
        text = (f"{self.source}: {strip}, {_headline_text(self.headline)}; "
                f"{self.counts.new} new, {self.counts.unchanged + self.counts.updated} already stored")
        if count and self.captured_from in CAPTURE_NOTES:
            text += f"; {CAPTURE_NOTES[self.captured_from]}"
        return text + (f"; problems: {'; '.join(self.problems)}" if self.problems else "")


def _headline_text(headline: Headline | None) -> str:
    if headline is None:
        return "no headline"
    if headline.time_inferred:
        return "1 headline (time inferred)"
    if headline.day_precision:
        return f"1 headline published {headline.published:%Y-%m-%d} (the page's own date)"
    return f"1 headline published {headline.published:%Y-%m-%d %H:%M:%S} UTC (the page's own time)"


def _item_text(item: TickerItem) -> str:
    text = f"{item.mark} {item.value_text}"
    if item.change is None and item.change_pct is None and item.direction is not None:
        text += f" {_ARROWS[item.direction]}"
    return text + (" (mark inferred)" if item.mark_inferred else "")


def is_url(target: str) -> bool:
    """Whether a target is an http(s) URL (anything else is a file path)."""
    return target.lower().startswith(("http://", "https://"))


def source_key(target: str) -> str:
    """`page:<host>` for a URL, `page:<file name>` for a file."""
    if "://" in target:
        return f"page:{(urlsplit(target).hostname or target).lower()}"
    return f"page:{Path(target).name or target}"


def snapshot_pages(store: Store, config: Config, targets: Sequence[str], *, captured_at: datetime | None,
                   now: datetime, client: HttpClient | None = None,
                   clock: Callable[[], datetime] | None = None) -> list[PageOutcome]:
    """Read or fetch each target, store its snapshots and headline; one outcome per target, in
    order. `captured_at` (aware) overrides every captured time; `now` stamps the runs and the
    headlines' fetch time; `clock` gives each fetch's time (default: always `now`)."""
    if captured_at is not None and captured_at.tzinfo is None:
        raise ValueError("captured_at must be timezone-aware")
    if client is None and any(is_url(t) for t in targets):
        client = HttpClient(config.http)  # one client: an unreachable host is tried once per call
    snapshotter = _Snapshotter(store, config, captured_at, now, clock or (lambda: now), client)
    outcomes = []
    for target in targets:
        source = source_key(target)
        with recorded_run(store, JOB, source, now, GROUP, what=target) as run:
            outcome = snapshotter.store_page(target, source, run)
        if run.error is not None:
            outcome = PageOutcome(target, source, "error", error=run.error)
        outcomes.append(outcome)
    return outcomes


class _Snapshotter:
    """One `snapshot_pages` call's settings; `store_page` does one target."""

    def __init__(self, store: Store, config: Config, captured_at: datetime | None, now: datetime,
                 clock: Callable[[], datetime], client: HttpClient | None):
        self.store, self.config, self.captured_at, self.now = store, config, captured_at, now
        self.clock, self.client = clock, client
        self.instruments = {canonical_mark(i.mark): i.id for i in config.instruments if i.mark}
        self.tagger = headline_tagger(config.topics)

    def store_page(self, target: str, source: str, run: Run) -> PageOutcome:
        """Read or fetch, parse and store one target, closing its run; SourceError on failure."""
        if is_url(target):
            response = self.client.get(target, what=f"page {target}")
            fetched_at = self.clock()
            page = parse_page(response.content, target, response.headers.get("content-type"))
            existed, how, ident, link = fetched_at, "fetch", target, page.link or target
        elif "://" in target:
            raise PermanentError(f"{target}: only http and https URLs can be fetched")
        else:
            body, modified = read_page_file(target, self.config.http.max_bytes)
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
        snapshots = page_snapshots(page, source, when, how, self.instruments)
        headline = page_headline(page, source, ident, when, self.now, link, own,
                                 page.published_day_only)
        result = FetchResult(headlines=[headline] if headline else [], snapshots=snapshots, problems=problems)
        counts = run.commit(result, self.tagger)
        as_of = page.rates_as_of.resolve(when if how in KNOWN_CAPTURE else None) if page.rates_as_of else None
        return PageOutcome(target, source, "partial" if problems else "ok", tuple(snapshots),
                           page.items, headline, counts, as_of, tuple(problems), captured_from=how,
                           rates_label=page.rates_as_of)


_SEEN = {"given": "the time given by --captured-at", "fetch": "its fetch time", "file": "its file's modification time"}


def _moment_text(moment: datetime, day_only: bool) -> str:
    return f"{moment:%Y-%m-%d}" if day_only else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def read_page_file(path: str, max_bytes: int) -> tuple[bytes, datetime]:
    """A saved page's bytes and modification time (UTC); PermanentError naming the file when it
    cannot be read or is larger than `max_bytes`."""
    file = Path(path)
    try:
        info = file.stat()
        if info.st_size > max_bytes:
            raise PermanentError(f"{file.name}: file of {info.st_size} bytes exceeds the cap of {max_bytes}")
        body = file.read_bytes()
    except OSError as exc:
        raise PermanentError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
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
                        summary=page.summary, link=link, day_precision=day_only)
    return Headline(source=source, guid=f"{ident}#sha1:{digest}", title=page.headline,
                    published=captured_at, fetched=fetched, summary=page.summary, link=link,
                    time_inferred=True)
