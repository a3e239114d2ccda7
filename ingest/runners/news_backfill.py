"""Headline history from GDELT (the shell around the slice units of ingest/sources/gdelt.py): walk
the time slices of a query, oldest first, one request at a time and at least `min_interval` seconds apart; split a
slice whose page came back full; store each finished slice with its headlines in one transaction,
so an interrupted backfill continues where it stopped and stores nothing twice.

The run is recorded in the store (job 'backfill-news', source 'gdelt', group 'news') and shows in
`newsmarks status`. The refresh lock 'news' keeps two backfills of one store from doubling the
request rate GDELT sees.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO

from ingest.config import Config
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.headline_times import FUTURE_SLACK, in_the_future
from ingest.runners.run_record import Run, recorded_run
from ingest.sources.base import FetchPlan, PermanentError, RateLimited, SourceError, TransientError, Unreachable
from ingest.sources.gdelt import SOURCE, GdeltFetch, GdeltSlice, gdelt_params
from ingest.sources.gdelt_slices import (
    SETTLE,
    Slice,
    backfill_range,
    initial_slices,
    pending_slices,
    split_slice,
    truncated_problem,
)
from ingest.sources.http import HttpClient
from ingest.store import LockBusy, Store, WriteCounts

log = logging.getLogger(__name__)

JOB = "backfill-news"
GROUP = "news"


@dataclass(frozen=True)
class BackfillProgress:
    """Sent to the progress callback once before the first request (`slice` None) and after each
    stored slice: the time to cover in this run, the time covered so far, and the slice's result."""

    total: timedelta
    covered: timedelta
    slice: Slice | None = None
    counts: WriteCounts = WriteCounts()
    articles: int = 0


@dataclass
class NewsBackfillReport:
    """What a backfill did. status: ok | partial (done, with problems) | error | interrupted |
    skipped (another backfill held the lock; nothing was done). `future`: articles GDELT dated
    more than FUTURE_SLACK after they were fetched (stored at their fetch time, marked inferred;
    a note says how many)."""

    query: str
    status: str = "ok"
    range: Slice | None = None
    counts: WriteCounts = WriteCounts()
    slices_stored: int = 0
    already_done: timedelta = timedelta(0)
    requests: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    future: int = 0


class _Pacer:
    """Keeps requests at least `interval` seconds apart (measured from the end of the previous
    one) and waits out backoffs, through the injected clock and sleep."""

    def __init__(self, interval: float, sleep: Callable[[float], None], clock: Callable[[], float]):
        self.interval, self.sleep, self.clock = interval, sleep, clock
        self.next_at: float | None = None

    def wait(self) -> None:
        if self.next_at is not None:
            delay = self.next_at - self.clock()
            if delay > 0:
                self.sleep(delay)

    def done(self, backoff: float = 0.0) -> None:
        self.next_at = self.clock() + max(self.interval, backoff)


def backoff_delay(attempt: int, config: Config, retry_after: float | None) -> float:
    """Seconds to wait before retry `attempt` (1 = the first retry): doubling from the larger
    of `min_interval` and `http.backoff`, capped at the larger of `http.backoff_max` and
    `min_interval`, and at least a server's Retry-After (within the same cap)."""
    interval = config.sources.gdelt.min_interval
    cap = max(config.http.backoff_max, interval)
    delay = min(cap, max(interval, config.http.backoff) * 2 ** (attempt - 1))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


class ProgressBar:
    """A tqdm bar over the hours a backfill has to cover, fed by its progress callback; the
    CLI's progress display. Call `close()` when the backfill returns."""

    FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} h [{elapsed}<{remaining}]"

    def __init__(self, file: IO[str]):
        self.file = file
        self.bar = None

    def __call__(self, step: BackfillProgress) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=step.total.total_seconds() / 3600, desc="backfill-news",
                            bar_format=self.FORMAT, file=self.file)
        if step.slice is not None:
            self.bar.update(step.slice.duration.total_seconds() / 3600)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def utcnow() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


def backfill_news(store: Store, config: Config, query: str, since: datetime, until: datetime | None, *,
                  client: HttpClient | None = None,
                  progress: Callable[[BackfillProgress], None] | None = None,
                  sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                  now: Callable[[], datetime] = utcnow, lock_wait: float = 0.0) -> NewsBackfillReport:
    """Fill the store with GDELT's headlines for `query` in [since, until) (aware datetimes;
    `until` None: up to what GDELT has settled, an hour before now), skipping slices stored by
    earlier runs. Returns the report; never raises for a failed request, a refusal or Ctrl-C
    (the run records them). ValueError for an empty query or range."""
    query = query.strip()  # the same query with other spacing continues the same slices
    started = now()
    span, notes = backfill_range(since, started - SETTLE if until is None else until, started)
    gdelt_params(query, span.start, span.end)  # validates the query before anything is recorded
    report = NewsBackfillReport(query=query, range=span, notes=notes)
    try:
        with store.refresh_lock(lock_wait, (GROUP,)):
            store.mark_interrupted(started, (GROUP,))
            with recorded_run(store, JOB, SOURCE, started, GROUP, what=f"GDELT backfill of {query!r}") as run:
                _run(store, config, report, run, client, progress, _Pacer(
                    config.sources.gdelt.min_interval, sleep, clock), now)
            if run.error is not None:   # failed before its slice loop, which records its own failures
                report.status, report.error = "error", run.error
    except LockBusy as exc:
        report.status, report.error = "skipped", str(exc)
    return report


def _run(store: Store, config: Config, report: NewsBackfillReport, run: Run, client: HttpClient | None,
         progress: Callable[[BackfillProgress], None] | None, pacer: _Pacer,
         now: Callable[[], datetime]) -> None:
    """The slice loop of one recorded run; closes the run whatever happens."""
    settings = config.sources.gdelt
    span = report.range
    wanted = initial_slices(span.start, span.end, timedelta(hours=settings.slice_hours))
    queue = deque(pending_slices(wanted, store.done_backfill_slices(SOURCE, report.query)))
    total = sum((s.duration for s in queue), timedelta(0))
    report.already_done = span.duration - total
    covered = timedelta(0)
    client = client or HttpClient(config.http.model_copy(update={"retries": 0}))   # pacing, backoff: ours
    tag = headline_tagger(config.topics)
    try:
        if progress is not None:
            progress(BackfillProgress(total, covered))
        while queue:
            item = queue.popleft()
            page = _fetch(client, config, report, item, pacer, now)
            halves = split_slice(item) if page.articles >= settings.max_records else None
            if halves is not None:
                queue.extendleft(reversed(halves))
                continue
            if page.articles >= settings.max_records:
                report.problems.append(truncated_problem(item, settings.max_records))
            if page.skipped:
                report.problems.append(_skipped_problem(item, page.skipped))
            report.future += sum(in_the_future(h) for h in page.headlines)  # the store gives them their fetch time
            counts = store.commit_backfill_slice(SOURCE, report.query, item.start, item.end,
                                                 page.headlines, now(), tag=tag)
            report.counts += counts
            report.slices_stored += 1
            covered += item.duration
            if progress is not None:
                progress(BackfillProgress(total, covered, item, counts, page.articles))
    except KeyboardInterrupt:
        report.status = "interrupted"
        report.error = (f"interrupted after {report.slices_stored} slices "
                        f"({_hours(covered)} of {_hours(total)}); rerun to continue")
    except SourceError as exc:
        report.status = "error"
        report.error = f"{exc}; {report.slices_stored} slices stored before it, rerun to continue"
    except Exception as exc:  # a bug or an unforeseen failure: record it rather than leave 'running'
        log.exception("GDELT backfill of %r failed unexpectedly", report.query)
        report.status, report.error = "error", f"unexpected {type(exc).__name__}: {exc}"
    else:
        report.status = "partial" if report.problems else "ok"
    if report.future:
        minutes = int(FUTURE_SLACK.total_seconds() // 60)
        report.notes.append(f"{report.future} {'article' if report.future == 1 else 'articles'} dated more than "
                            f"{minutes} minutes after {'it was' if report.future == 1 else 'they were'} fetched: "
                            "stored at the fetch time, marked inferred")
    error = report.error if report.status in ("error", "interrupted") else None
    detail = error or "; ".join(report.problems[:20]) or None
    run.finish(report.status, now(), report.counts, detail)


def _fetch(client: HttpClient, config: Config, report: NewsBackfillReport, item: Slice, pacer: _Pacer,
           now: Callable[[], datetime]) -> GdeltFetch:
    """One slice's page, retrying rate limits and other transient failures with backoff; raises
    the last SourceError when the retries are used up, a PermanentError at once."""
    settings = config.sources.gdelt
    unit = GdeltSlice(report.query, item, url=settings.url, client=client, max_records=settings.max_records)
    attempts, attempt = config.http.retries + 1, 0
    while True:
        attempt += 1
        pacer.wait()
        report.requests += 1
        try:
            page = unit.fetch(FetchPlan(now=now(), backfill_since=config.refresh.backfill_since))
        except Unreachable:
            pacer.done()
            raise  # the client fails at once for the rest of the run: no use waiting to retry
        except TransientError as exc:
            if attempt >= attempts:
                pacer.done()
                raise type(exc)(f"{exc}; gave up after {attempts} attempts") from exc
            delay = backoff_delay(attempt, config, exc.retry_after if isinstance(exc, RateLimited) else None)
            log.info("%s; retry %d of %d in %.1fs", exc, attempt, attempts - 1, delay)
            pacer.done(delay)
            continue
        except PermanentError:
            pacer.done()
            raise
        pacer.done()
        return page


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g} h"


def _skipped_problem(item: Slice, skipped: list[str]) -> str:
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return f"slice {item.label}: {len(skipped)} articles skipped: {'; '.join(skipped[:3])}{more}"
