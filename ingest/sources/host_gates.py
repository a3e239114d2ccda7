"""Politeness per host while units are fetched concurrently: one request at a time to each host,
and the starts of its requests at least `interval` seconds apart (a lock and the last start time
per host). The run's HttpClient holds one HostGates; every request of every unit goes through
`turn(host)` (Yahoo's yfinance calls too, as one turn each).

Why not a library: urllib3's pool can cap connections per host (`pool_maxsize`, `pool_block`) but
not space their starts, and yfinance's curl session is not a urllib3 pool; a lock and a clock per
host are a few lines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class HostGates:
    """Per host: a lock held for the whole request, and the monotonic time of the last start."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    def _lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        """Hold `host` for the block: wait for its lock, then until `interval` after its last
        request started."""
        with self._lock(host):
            last = self._last.get(host)
            if last is not None:
                wait = last + self.interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last[host] = self._clock()
            yield
