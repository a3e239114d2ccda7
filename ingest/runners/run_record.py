"""The one way a unit of work is recorded in the store's runs — a refresh of a source, a saved
page, a GDELT backfill: `recorded_run` starts the run, the block closes it (storing what it got
with `Run.commit`, or `Run.finish` with its own status), and a failure inside the block closes it
as an error instead of leaving it 'running': a SourceError by its message, anything else as
"unexpected <Type>: <message>" with its traceback logged. The failure is recorded, not raised, so
one failing source never stops the others: `Run.error` says what it was."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from ingest.records import FetchResult
from ingest.sources.base import SourceError
from ingest.store import NO_ROWS, Store, WriteCounts

log = logging.getLogger(__name__)


@dataclass
class Run:
    """One recorded run while its block runs: its id, and once closed how (`error` when the block
    failed)."""

    store: Store
    run_id: int
    now: datetime
    feed: tuple[str, str] | None = None   # (name, url): a feed's fetch is recorded with the run
    closed: bool = False
    error: str | None = None
    status: str = "error"   # how a failed run is recorded: a SourceError's run_status ('rate-limited', …)

    def commit(self, result: FetchResult, tag: Callable | None = None) -> WriteCounts:
        """Store everything the unit returned and close the run, in one transaction."""
        counts = self.store.commit_result(self.run_id, result, self.now, tag=tag, feed=self.feed)
        self.closed = True
        return counts

    def finish(self, status: str, when: datetime, counts: WriteCounts = NO_ROWS, error: str | None = None) -> None:
        """Close the run with a status of the block's own (a backfill's 'interrupted', …)."""
        self.store.finish_run(self.run_id, status, when, counts, error=error, feed=self.feed)
        self.closed = True


@contextmanager
def recorded_run(store: Store, job: str, source: str, now: datetime, group: str, *,
                 feed: tuple[str, str] | None = None, what: str | None = None,
                 run_id: int | None = None) -> Iterator[Run]:
    """Start a run of `source` (its `group`'s lock held by the caller; `run_id`: one started
    already, when its fetch began) and yield it; on leaving, a run the block did not close is
    closed as an error, and an exception from the block is recorded (and not raised): see the
    module docstring. `what` names the unit in the log."""
    run = Run(store, store.start_run(job, source, now, group) if run_id is None else run_id, now, feed)
    try:
        yield run
    except SourceError as exc:
        run.error, run.status = str(exc), exc.run_status
    except Exception as exc:  # a bug or an unforeseen failure: record it, go on with the others
        log.exception("%s failed unexpectedly", what or source)
        run.error = f"unexpected {type(exc).__name__}: {exc}"
    else:
        if not run.closed:
            run.error = "the run ended without storing or closing anything"
    if run.error is not None and not run.closed:
        store.finish_run(run.run_id, run.status, now, error=run.error, feed=feed)
        run.closed = True
