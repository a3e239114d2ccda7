"""Per-host breakers: a host that still answers 429 or 5xx after a unit's retries (or asks, with
Retry-After, for a longer wait than `[http] backoff_max`) is *tripped*: no unit of this run asks it
again — they are recorded `rate-limited`, not tried — and it is left alone across runs until a time
stored in the store (`HostBackoff`): `host_backoff` seconds doubling with each run in a row that
ended so, capped at `host_backoff_max`, and never before its Retry-After. A later successful
answer from the host clears it.

The run's HttpClient holds one `HostBreakers`; the job runner gives it the stored backoffs at the
start and stores `changes` at the end (only the runner touches the store). Times are the job's
clock (`clock`), so tests can run the next run "later".

Why not a library (pybreaker, circuitbreaker): their state lives in one process and counts calls;
here the state must outlast the process (the next scheduled run) and follow the server's
Retry-After, which is a table row and a few lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ingest.config_sections import HttpConfig
from ingest.records import HostBackoff
from ingest.sources.base import HostBackedOff, RateLimited, ServerError


def _utcnow() -> datetime:
    return datetime.now(UTC)


def backoff_after(settings: HttpConfig, failures: int, retry_after: float | None) -> float:
    """Seconds a host is left alone after its `failures`-th run in a row ending in 429 / 5xx:
    host_backoff doubled per earlier failure, capped at host_backoff_max, at least Retry-After."""
    doubled = settings.host_backoff * 2 ** max(0, failures - 1)
    return max(min(doubled, settings.host_backoff_max), retry_after or 0.0)


def until_text(moment: datetime) -> str:
    """`2026-12-03 01:35 UTC`."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


class HostBreakers:
    """This run's tripped hosts, the stored backoffs, and what changed (for the store)."""

    def __init__(self, settings: HttpConfig, stored: dict[str, HostBackoff] | None = None,
                 clock: Callable[[], datetime] = _utcnow):
        self.settings = settings
        self.stored = dict(stored or {})
        self.clock = clock
        self.tripped: dict[str, HostBackoff] = {}
        self.changes: dict[str, HostBackoff | None] = {}   # None: cleared
        self._lock = threading.Lock()

    def load(self, stored: dict[str, HostBackoff], clock: Callable[[], datetime]) -> None:
        """Take the backoffs stored by earlier runs, and the job's clock."""
        with self._lock:
            self.stored, self.clock = dict(stored), clock

    def check(self, host: str, what: str) -> None:
        """Raise HostBackedOff when `host` tripped in this run, or is left alone until later."""
        with self._lock:
            tripped = self.tripped.get(host)
            stored = self.stored.get(host)
        if tripped is not None:
            raise HostBackedOff(f"{what}: not tried, {host} answered {tripped.reason} earlier in this run; "
                                f"left alone until {until_text(tripped.until)}")
        if stored is not None and stored.until > self.clock():
            raise HostBackedOff(f"{what}: not tried, {host} is left alone until {until_text(stored.until)} "
                                f"(it answered {stored.reason}, {_times(stored.failures)} in a row)")

    def trip(self, host: str, exc: RateLimited | ServerError) -> HostBackoff:
        """Leave `host` alone for the rest of the run and until its backoff ends; return it."""
        reason = _reason(exc)
        with self._lock:
            if host in self.tripped:
                return self.tripped[host]
            previous = self.stored.get(host)
            failures = (previous.failures if previous is not None else 0) + 1
            retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
            seconds = backoff_after(self.settings, failures, retry_after)
            backoff = HostBackoff(host, self.clock() + timedelta(seconds=seconds), failures, reason)
            self.tripped[host] = self.changes[host] = backoff
            return backoff

    def succeeded(self, host: str) -> None:
        """The host answered: forget its stored backoff."""
        with self._lock:
            if host in self.stored and host not in self.tripped:
                del self.stored[host]
                self.changes[host] = None


def _reason(exc: Exception) -> str:
    """`HTTP 429 Too Many Requests` out of `feed X: HTTP 429 Too Many Requests`."""
    text = str(exc)
    at = text.find("HTTP ")
    return text[at:].split(";")[0] if at >= 0 else type(exc).__name__


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")
