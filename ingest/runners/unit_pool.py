"""Fetch source units concurrently, store them from one thread, in order.

`fetch_in_pool(units, fetch, workers, should_stop)` runs `fetch(unit)` for up to `workers` units at
a time in a thread pool (concurrent.futures) and yields each unit with what its fetch gave —
`Fetched`: the result, or the exception it raised — in the units' own order, in the calling
thread. So the caller writes to the store from one thread, one unit after another, exactly as it
did when units ran one at a time: the store's transactions, run records and SQLite's one writer
are untouched; only the network waits overlap. Generic over sources: any `Source` (prices,
feeds, pages, …) gets it.

What keeps concurrent units polite and bounded lives in the HTTP client they share (per-host
turns, deadlines, breakers: ingest.sources.http); each fetch runs inside its unit's time budget
(ingest.sources.deadlines.unit_budget). `should_stop` is asked in the calling thread before each
unit is handed to the pool, and `on_start(unit)` called there just before: a stop lets the units
in flight finish and starts no more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from ingest.records import FetchResult
from ingest.sources.deadlines import unit_budget

U = TypeVar("U")


@dataclass(frozen=True)
class Fetched:
    """What one unit's fetch gave: its result, or the exception it raised."""

    result: FetchResult | None = None
    error: BaseException | None = None

    def unwrap(self) -> FetchResult:
        """The result, or raise the fetch's exception (in the caller's thread, for its records)."""
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise TypeError("the fetch returned nothing")
        return self.result


class PoolRun(Generic[U]):
    """One pass over units; `stopped` tells whether `should_stop` ended it before every unit ran."""

    def __init__(self, workers: int, budget: float, should_stop: Callable[[], bool] = lambda: False,
                 on_start: Callable[[U], None] | None = None):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers, self.budget, self.should_stop = workers, budget, should_stop
        self.on_start = on_start
        self.stopped = False

    def _fetch(self, fetch: Callable[[U], FetchResult], unit: U) -> Fetched:
        try:
            with unit_budget(self.budget):
                return Fetched(result=fetch(unit))
        except Exception as exc:   # recorded by the caller, in its thread
            return Fetched(error=exc)

    def run(self, units: Iterable[U], fetch: Callable[[U], FetchResult]) -> Iterator[tuple[U, Fetched]]:
        """Yield (unit, Fetched) in the units' order while up to `workers` fetch at once, never two
        units of one known host at a time (see `unit_hosts`): a unit whose host is busy waits in
        the queue, not in a worker, and the next unit of a free host goes first."""
        for ready in self.run_batches(units, fetch, 1):
            yield from ready

    def run_batches(self, units: Iterable[U], fetch: Callable[[U], FetchResult],
                    most: int) -> Iterator[list[tuple[U, Fetched]]]:
        """As `run`, but yield the units in their order as lists: each one the next unit and the
        units after it whose fetches are done too, up to `most` (the caller can store them in one
        transaction: fetched together, they are written together). With one worker every list
        holds one unit."""
        if most < 1:
            raise ValueError(f"most must be at least 1, not {most}")
        queue = list(units)
        hosts = [unit_hosts(unit) for unit in queue]
        pending = list(range(len(queue)))
        futures: dict[int, Future] = {}
        released: set[int] = set()
        busy: set[str] = set()
        following = 0
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="newsmarks-unit") as pool:
            while True:
                for i, future in futures.items():
                    if i not in released and future.done():
                        released.add(i)
                        busy.difference_update(hosts[i])
                self._submit(pool, queue, hosts, pending, futures, len(futures) - len(released), busy, fetch)
                ready: list[tuple[U, Fetched]] = []
                while following < len(queue) and len(ready) < most:
                    if following in futures and futures[following].done():
                        ready.append((queue[following], futures[following].result()))
                    elif following in futures or not self.stopped:
                        break
                    following += 1   # done and taken, or never started (stopped)
                if ready:
                    yield ready      # the next units start first: they are fetched while these are stored
                    continue
                if following == len(queue):
                    return
                flying = [f for i, f in futures.items() if i not in released]
                if flying:
                    wait(flying, return_when=FIRST_COMPLETED)

    def _submit(self, pool: ThreadPoolExecutor, queue: list[U], hosts: list[frozenset[str]], pending: list[int],
                futures: dict[int, Future], running: int, busy: set[str],
                fetch: Callable[[U], FetchResult]) -> None:
        """Hand the first pending units whose hosts are free to the pool, up to `workers` running."""
        while not self.stopped and running < self.workers:
            index = next((i for i in pending if not hosts[i] & busy), None)
            if index is None:
                return
            if self.should_stop():
                self.stopped = True
                return
            pending.remove(index)
            if self.on_start is not None:
                self.on_start(queue[index])   # e.g. its run record, so a crash leaves it 'running'
            futures[index] = pool.submit(self._fetch, fetch, queue[index])
            busy.update(hosts[index])
            running += 1


def unit_hosts(unit: object) -> frozenset[str]:
    """The hosts a unit's fetch will ask, when it says (`Source.hosts()`; a planned unit's
    `unit`'s); none when unknown, and then nothing keeps it from running beside others (the HTTP
    client's per-host turns still keep its requests one at a time)."""
    inner = getattr(unit, "unit", unit)
    hosts = getattr(inner, "hosts", None)
    return frozenset(hosts()) if callable(hosts) else frozenset()
