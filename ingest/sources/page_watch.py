"""A news page watched on a schedule (`[[pages]]`), behind the same interface as the price and
feed units (ingest.sources.base.Source): fetched by `refresh` and `schedule` through the shared
HTTP client (timeouts, byte cap, retries, conditional GET), in the refresh group "pages" (its
own lock and run records), as source `page:<name>`.

What one fetch returns (pure once the bytes are in: `watched_result`):

- the header strip's values as ticker snapshots captured at the fetch time (`captured_from`
  "fetch") — unless they equal the strip stored last (`FetchPlan.last_strip`): then no
  snapshot, and a note `strip unchanged since <time it was stored>` for the run;
- every headline the page links to (ingest.pages.links), each with its link; a page that links
  to none but has an article headline gives that one. A home page shows no times: each is
  published at its first fetch, `time_inferred`. Guid: the link, else `sha1:<SHA-1 of the
  title>`, so a headline listed on every fetch is stored once.

A page without a strip stores its headlines with the problem `no ticker strip found on the page`
(status `partial`: a redesign that hides the strip shows in `status`). A 304 answer stores
nothing (status `not_modified`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

from ingest.clean import safe_link
from ingest.pages import ParsedPage, canonical_mark, parse_page
from ingest.records import FeedState, FetchResult, Headline, TickerSnapshot
from ingest.sources.base import FetchPlan, Source
from ingest.sources.pages import page_snapshots


class WatchedPage(Source):
    """One configured page (`config.pages` entry `page`), fetched with `client`."""

    group: ClassVar[str] = "pages"

    def __init__(self, page, config, client):
        self.page, self.client = page, client
        self.key = page.key
        self.instruments = {canonical_mark(i.mark): i.id for i in config.instruments if i.mark}

    def conditional_get(self) -> tuple[str, str]:
        """The page's validators are kept under `page:<name>` in the feeds table."""
        return self.key, self.page.url

    def hosts(self) -> frozenset[str]:
        """The page's host: the job runner fetches one unit of a host at a time."""
        return frozenset({urlsplit(self.page.url).netloc})

    def fetch(self, plan: FetchPlan) -> FetchResult:
        """Fetch the page (conditionally) and read its strip and headlines; SourceError on
        failure."""
        response = self.client.get(self.page.url, etag=plan.etag, last_modified=plan.last_modified,
                                   what=f"page {self.page.name}")
        if response.not_modified:
            return FetchResult(feed_state=FeedState(304, not_modified=True))
        parsed = parse_page(response.content, self.page.url, response.headers.get("content-type"),
                            base=response.url)
        state = FeedState(http_status=response.status, etag=response.headers.get("etag"),
                          last_modified=response.headers.get("last-modified"))
        return watched_result(parsed, self.key, plan.now, self.instruments, plan.last_strip, state,
                              fallback_link=response.url)


def watched_result(parsed: ParsedPage, source: str, fetched: datetime, instruments: dict[str | None, str],
                   last_strip: Sequence[TickerSnapshot], state: FeedState | None = None,
                   fallback_link: str | None = None) -> FetchResult:
    """What a fetch of a watched page stores (see the module docstring). `fetched` (aware) is
    the capture time; `last_strip` the snapshots stored last for `source`."""
    if fetched.tzinfo is None:
        raise ValueError("fetched must be timezone-aware")
    fetched = fetched.astimezone(UTC).replace(microsecond=0)
    snapshots = page_snapshots(parsed, source, fetched, "fetch", instruments)
    problems = list(parsed.problems)
    if not parsed.items:   # the strip is what the page is watched for: its absence is worth reading
        problems.insert(0, "no ticker strip found on the page")
    notes = []
    if snapshots and last_strip and strip_values(snapshots) == strip_values(last_strip):
        since = max(s.captured_at for s in last_strip).astimezone(UTC)
        notes.append(f"strip unchanged since {since:%Y-%m-%d %H:%M:%S} UTC")
        snapshots = []
    return FetchResult(headlines=watched_headlines(parsed, source, fetched, fallback_link), snapshots=snapshots,
                       feed_state=state, problems=problems, notes=notes)


def strip_values(snapshots: Sequence[TickerSnapshot]) -> frozenset[tuple]:
    """What a strip shows, whatever its capture: each item's mark, value, change, change in
    percent and arrow (two strips are the same when these are)."""
    return frozenset((s.mark, float(s.value), _number(s.change), _number(s.change_pct), s.direction)
                     for s in snapshots)


def _number(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)


def watched_headlines(parsed: ParsedPage, source: str, fetched: datetime,
                      fallback_link: str | None = None) -> list[Headline]:
    """The page's linked headlines (else its own article headline, linked to its canonical URL
    or `fallback_link`; its guid the canonical URL, else the title's hash: the page's URL may
    show another article tomorrow), published at `fetched` with time_inferred."""
    if parsed.links:
        return [Headline(source=source, guid=item.link, title=item.title, published=fetched, fetched=fetched,
                         link=item.link, time_inferred=True, text_truncated=item.truncated)
                for item in parsed.links]
    if not parsed.headline:
        return []
    link = parsed.link or safe_link(fallback_link)
    guid = parsed.link or "sha1:" + hashlib.sha1(parsed.headline.encode()).hexdigest()
    return [Headline(source=source, guid=guid, title=parsed.headline, published=fetched, fetched=fetched,
                     summary=parsed.summary, link=link, time_inferred=True, text_truncated=parsed.truncated)]
