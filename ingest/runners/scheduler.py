"""Scheduled refresh: prices, feeds and watched news pages on their own intervals (APScheduler;
the pages by their `every`, else `[refresh] pages`: one job per interval), each run logged, a
clean stop on Ctrl-C / SIGTERM (the units in flight finish, the rest wait for next time)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ingest.config import Config
from ingest.runners.jobs import JobReport, run_job, utcnow
from ingest.sources import build_sources
from ingest.store import Store

log = logging.getLogger("newsmarks.schedule")
REPAIR_EVERY = timedelta(minutes=10)


class RepairClock:
    """When the feeds refresh next looks for headlines written around the store (run_job's
    `repair`, two scans of every headline): on its first run, then every REPAIR_EVERY."""

    def __init__(self, every: timedelta = REPAIR_EVERY):
        self.every = every
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def due(self, now: datetime) -> bool:
        """Whether a repair is due at `now`; if so, it counts as done then."""
        with self._lock:
            if self._last is not None and now - self._last < self.every:
                return False
            self._last = now
            return True


def _refresh_group(store: Store, config: Config, group: str, stop: threading.Event,
                   on_report: Callable[[str, JobReport], None] | None, repairs: RepairClock,
                   pages: tuple[str, ...] | None = None) -> None:
    log.info("refresh of %s starting", group if pages is None else ", ".join(pages))
    units = None
    if pages is not None:   # the watched pages due on this job's interval
        units = [unit for unit in build_sources(config, groups=("pages",)) if unit.key in pages]
    report = run_job(store, config, "refresh", groups=(group,), should_stop=stop.is_set, units=units,
                     on_outcome=lambda outcome: log.info("%s", outcome.line()),
                     repair=group == "feeds" and repairs.due(utcnow()))
    if report.skipped:
        log.warning("refresh of %s skipped: %s", group, report.skipped)
    else:
        counts = report.counts
        failed = sum(o.failed for o in report.outcomes)
        log.info("refresh of %s done: %d sources, %d failed, %d new rows", group,
                 len(report.outcomes), failed, counts.new)
    if on_report is not None:
        on_report(group, report)


def make_scheduler(store: Store, config: Config, *, blocking: bool, stop: threading.Event,
                   on_report: Callable[[str, JobReport], None] | None = None,
                   run_now: bool = True) -> BaseScheduler:
    """A scheduler with one job per group ('prices', 'feeds'), each on its configured interval,
    and one per interval of the watched pages (`refresh-pages-<seconds>s`, the pages with that
    `every`), never overlapping itself; with `run_now` all also run at once."""
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    jobs: list[tuple[str, str, timedelta, tuple[str, ...] | None]] = [
        ("prices", "refresh-prices", config.refresh.prices_every, None),
        ("feeds", "refresh-feeds", config.refresh.feeds_every, None)]
    for every, keys in page_intervals(config).items():
        jobs.append(("pages", f"refresh-pages-{int(every.total_seconds())}s", every, keys))
    repairs = RepairClock()
    for group, job_id, every, pages in jobs:
        scheduler.add_job(_refresh_group, "interval", args=(store, config, group, stop, on_report, repairs, pages),
                          seconds=every.total_seconds(), id=job_id, name=job_id.replace("-", " ", 1),
                          max_instances=1, coalesce=True, misfire_grace_time=int(every.total_seconds()),
                          next_run_time=utcnow() if run_now else None)
    return scheduler


def page_intervals(config: Config) -> dict[timedelta, tuple[str, ...]]:
    """The watched pages' keys by how often they are fetched (their `every`, else `[refresh]
    pages`), shortest interval first."""
    out: dict[timedelta, tuple[str, ...]] = {}
    for page in config.pages:
        every = page.every_delta(config.refresh.pages_every)
        out[every] = (*out.get(every, ()), page.key)
    return dict(sorted(out.items()))


def run_forever(store: Store, config: Config) -> None:
    """Run the scheduled refresh in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    scheduler = make_scheduler(store, config, blocking=True, stop=stop)

    def _terminate(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, _terminate)
    pages = "".join(f", {page.key} every {page.every or config.refresh.pages}" for page in config.pages)
    log.info("scheduled refresh: prices every %s, feeds every %s%s (Ctrl-C to stop)",
             config.refresh.prices, config.refresh.feeds, pages)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping: letting the source in progress finish")
        stop.set()
        scheduler.shutdown(wait=True)
        log.info("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
