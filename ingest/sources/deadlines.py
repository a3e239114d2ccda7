"""Hard time bounds for requests and units, whatever the server's pace.

requests' (urllib3's) timeouts bound each socket read, not an answer: a server trickling one byte
a second never trips a 3 s read timeout. So a request runs under a `Watch`: a watchdog timer
(threading.Timer) that, at the deadline, shuts down the sockets the request reads from; the
blocked read then ends at once, and the client reports the deadline. The sockets are registered
by the connections of `WatchedAdapter` (every connection newsmarks' client makes, guarded or not)
when they wait for an answer, in the thread that asked (a thread-local holds its watch).

The name look-up, which no socket of ours can cut, runs in a helper thread waited on for what is
left of the deadline (`within_deadline`).

A unit's *budget* (`unit_budget`) bounds all of one unit's requests with their retries and waits;
the runner opens it around each unit's fetch, the client reads what is left of it.

Why not a library: neither requests, urllib3 nor tenacity has an overall deadline for a streamed
answer (urllib3's Timeout(total=…) still bounds reads one at a time), and a request cannot be
stopped from outside its thread any other way.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

_local = threading.local()
T = TypeVar("T")


class Watch:
    """One request's deadline: `seconds` from now, then every registered socket is shut down."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.ends - time.monotonic())

    def add(self, sock: socket.socket | None) -> None:
        """Watch `sock` (shut at once when the deadline already passed)."""
        if sock is None:
            return
        with self._lock:
            if self.fired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def expire(self) -> None:
        """Reach the deadline now (a wait outside any socket ran out)."""
        self._fire()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)
            self._sockets.clear()

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass   # already closed


@contextmanager
def watching(seconds: float) -> Iterator[Watch]:
    """Run the block's request under a Watch of `seconds` (this thread's sockets are registered)."""
    watch = Watch(seconds)
    previous = getattr(_local, "watch", None)
    _local.watch = watch
    watch.start()
    try:
        yield watch
    finally:
        watch.cancel()
        _local.watch = previous


def register(sock: socket.socket | None) -> None:
    """Put `sock` under this thread's current watch, if any."""
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.add(sock)


def within_deadline(call: Callable[[], T], what: str) -> T:
    """`call()` bounded by this thread's watch, if any: run in a helper thread and waited on for
    what is left of the deadline. For what no socket of ours can cut — the name look-up
    (getaddrinfo blocks in the C library, ~5 s a try with an unreachable resolver). Past the
    deadline the watch fires and socket.gaierror names `what`; the helper thread ends whenever
    the look-up does, its answer unused."""
    watch = getattr(_local, "watch", None)
    if watch is None:
        return call()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:   # handed to the waiting thread, raised there
            outcome["error"] = exc

    helper = threading.Thread(target=run, name="newsmarks-lookup", daemon=True)
    helper.start()
    helper.join(watch.remaining())
    if helper.is_alive():
        watch.expire()
        raise socket.gaierror(socket.EAI_AGAIN, f"{what} did not finish within the {watch.seconds:g} s deadline")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@contextmanager
def unit_budget(seconds: float) -> Iterator[None]:
    """Bound the block's (one unit's) requests, retries and waits to `seconds` in all."""
    previous = getattr(_local, "budget_ends", None)
    _local.budget_ends = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.budget_ends = previous


def budget_left() -> float | None:
    """Seconds left of this thread's unit budget, or None outside a unit."""
    ends = getattr(_local, "budget_ends", None)
    return None if ends is None else max(0.0, ends - time.monotonic())


class _Watched:
    """Mixed into urllib3's connections: the host is looked up within the deadline, then its
    addresses tried in turn; the socket an answer is read from is registered with the thread's
    watch (new and reused connections alike)."""

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of `host` to connect to on `port` (looked up within the deadline)."""
        found = within_deadline(lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), f"looking up {host}")
        return list(dict.fromkeys(str(info[4][0]) for info in found))

    def _new_conn(self):
        try:
            addresses = self.addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc
        name, failure = self._dns_host, None
        for address in addresses:
            self._dns_host = address   # connect to the address just looked up; SNI and Host keep the name
            try:
                return super()._new_conn()
            except ConnectTimeoutError as exc:   # NewConnectionError too: try the next address
                failure = exc
            finally:
                self._dns_host = name
        raise failure

    def getresponse(self, *args, **kwargs):
        register(getattr(self, "sock", None))
        return super().getresponse(*args, **kwargs)


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections are cut at the deadline of the request (see above)."""

    pool_classes = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self.pool_classes)
