"""`newsmarks snapshot`: saved news pages (files or URLs) → ticker snapshots and a headline.

The thin shell around the page units (ingest.sources.pages.PageSource, which read, fetch and
parse): each target is one unit with one ingest run (job "snapshot", source `page:<file name>`
or `page:<host>`, group "pages"), its snapshots and headline stored in one transaction, so a
failing target shows in `newsmarks status` and never stops the others. The outcome line says
where each captured time came from; an inferred one (a file's modification time, the page's own
time) is named as inferred, and a strip label without a year is shown as `rates as of 17.03
(year unknown)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ingest.config import Config
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.pages import AsOf, TickerItem, canonical_mark
from ingest.records import Headline, TickerSnapshot
from ingest.runners.run_record import recorded_run
from ingest.sources.base import FetchPlan
from ingest.sources.http import HttpClient
from ingest.sources.pages import PageFetch, PageSource, is_url
from ingest.store import Store, WriteCounts

JOB, GROUP = "snapshot", "pages"
_ARROWS = {1: "↑", -1: "↓", 0: "→"}
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


def page_units(config: Config, targets: Sequence[str], *, captured_at: datetime | None = None,
               client: HttpClient | None = None,
               clock: Callable[[], datetime] | None = None) -> list[PageSource]:
    """One page unit per target, sharing one HTTP client (an unreachable host is tried once per
    call) and the config's strip marks."""
    if captured_at is not None and captured_at.tzinfo is None:
        raise ValueError("captured_at must be timezone-aware")
    if client is None and any(is_url(t) for t in targets):
        client = HttpClient(config.http)
    instruments = {canonical_mark(i.mark): i.id for i in config.instruments if i.mark}
    return [PageSource(target, instruments=instruments, max_bytes=config.http.max_bytes, client=client,
                       captured_at=captured_at, clock=clock) for target in targets]


def snapshot_pages(store: Store, config: Config, targets: Sequence[str], *, captured_at: datetime | None,
                   now: datetime, client: HttpClient | None = None,
                   clock: Callable[[], datetime] | None = None) -> list[PageOutcome]:
    """Read or fetch each target, store its snapshots and headline; one outcome per target, in
    order. `captured_at` (aware) overrides every captured time; `now` stamps the runs and the
    headlines' fetch time; `clock` gives each fetch's time (default: always `now`)."""
    units = page_units(config, targets, captured_at=captured_at, client=client, clock=clock)
    tagger = headline_tagger(config.topics)
    plan = FetchPlan(now=now, backfill_since=config.refresh.backfill_since)
    outcomes = []
    for unit in units:
        with recorded_run(store, JOB, unit.key, now, GROUP, what=unit.target) as run:
            page = unit.fetch(plan)
            outcome = page_outcome(unit.target, unit.key, page, run.commit(page, tagger))
        if run.error is not None:
            outcome = PageOutcome(unit.target, unit.key, "error", error=run.error)
        outcomes.append(outcome)
    return outcomes


def page_outcome(target: str, source: str, page: PageFetch, counts: WriteCounts) -> PageOutcome:
    """The outcome of a stored page unit."""
    return PageOutcome(target, source, "partial" if page.problems else "ok", tuple(page.snapshots), page.items,
                       page.headlines[0] if page.headlines else None, counts, page.rates_as_of,
                       tuple(page.problems), captured_from=page.captured_from, rates_label=page.rates_label)
