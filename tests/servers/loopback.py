"""What the loopback fakes (cbr.py, feeds.py, gdelt.py, yahoo.py) share: the server lifecycle, the request
log and the queue of scripted "next N requests" behaviours (ScriptedServer: one queue for every
request, as the CBR and GDELT fakes use it).

A fake subclasses `LoopbackServer` and implements one method::

    class Fake(LoopbackServer):
        def answer(self, method, path, query, headers) -> Reply:
            self.record((path, query))             # log it, as the fake wants it logged
            return Reply(200, {"Content-Type": "text/plain"}, b"hello")

    with Fake() as fake:                            # 127.0.0.1, a free port, a daemon thread
        requests.get(fake.base_url + "/x")

`query` holds the first value of each query parameter and `headers` the request headers with
lower-case names. A `Reply.delay` is waited out before answering (cut short by `stop()`, and then
the request is dropped unanswered); `pause(seconds)` waits the same way inside `answer()`. A 304
reply is sent without a body or Content-Length; a body given as a list of chunks is written chunk
by chunk without Content-Length, the connection's close ending it (a streamed answer), `pace`
seconds apart (a trickling server; cut short by `stop()`). `on_sent`, when set, is called once
the reply is written (or the client went away).

Scripted behaviours: `self._script`, a `Script`, holds per-key queues of items (`Scripted` for
"fail / stall / serve this / answer normally", or any item a fake defines); `play(script.take(key))`
carries out a `Scripted` one inside `answer()`; `reset()` forgets them and the log.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Generic, Self, TypeVar
from urllib.parse import parse_qs, urlsplit

T = TypeVar("T")


@dataclass
class Reply:
    """What a fake answers: status, headers (sent as given, then Content-Length), body (bytes, or
    a list of chunks to stream, `pace` seconds apart), a delay in seconds before anything is sent,
    and what to call once it is sent."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | list[bytes] = b""
    delay: float = 0.0
    pace: float = 0.0
    on_sent: Callable[[], None] | None = None


@dataclass(frozen=True)
class Scripted:
    """A scripted behaviour: answer `status` / `headers` / `body` after waiting `stall` seconds,
    or (`normal`) answer as usual after the stall."""

    status: int = 200
    body: bytes | list[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    normal: bool = False
    pace: float = 0.0

    @classmethod
    def failure(cls, status: int, retry_after: str | None = None) -> Scripted:
        """An error answer (body `error`), with a Retry-After header when given."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(status=status, body=b"error", headers=headers)


class Script(Generic[T]):
    """Queues of scripted items per key (e.g. a feed name; None for a single queue), consumed one
    request at a time in the order they were added. Thread-safe."""

    def __init__(self) -> None:
        self._queues: dict[Hashable, deque[T]] = {}
        self._lock = threading.Lock()

    def add(self, key: Hashable, item: T, n: int = 1) -> None:
        """Queue `item` for the next `n` requests of `key`."""
        with self._lock:
            self._queues.setdefault(key, deque()).extend([item] * n)

    def take(self, key: Hashable, when: Callable[[T], bool] | None = None) -> T | None:
        """The next item of `key` (only if `when(item)` holds, else it stays queued), or None."""
        with self._lock:
            queue = self._queues.get(key)
            if queue and (when is None or when(queue[0])):
                return queue.popleft()
        return None

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) in a daemon thread, answering through
    `answer()`. Use as a context manager, or `start()` / `stop()`. `requests` is the log that
    `record()` appends to; `_script` the scripted behaviours."""

    thread_name = "loopback"
    poll_interval = 0.02   # how often serve_forever looks for a stop (many servers at once: raise it)
    methods: tuple[str, ...] = ("GET",)  # others answer 501, as http.server does
    protocol_version = "HTTP/1.0"

    def __init__(self) -> None:
        self.requests: list = []
        self._script: Script = Script()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        """The reply to one request."""
        raise NotImplementedError

    # -- log --------------------------------------------------------------------------------
    def record(self, entry) -> None:
        """Append `entry` to `requests`."""
        with self._lock:
            self.requests.append(entry)

    def logged(self, keep: Callable[[object], bool]) -> list:
        """The logged requests for which `keep` holds, in order."""
        with self._lock:
            return [entry for entry in self.requests if keep(entry)]

    def reset(self) -> None:
        """Forget scripted behaviours and logged requests."""
        self._script.clear()
        with self._lock:
            self.requests.clear()

    def pause(self, seconds: float) -> bool:
        """Wait `seconds` (cut short by `stop()`); True when stopped meanwhile."""
        return self._stopping.wait(seconds)

    def play(self, scripted: Scripted | None) -> Reply | None:
        """Carry out a scripted behaviour: wait out its stall, then return its reply, or None
        when the request is to be answered normally (also when nothing is scripted)."""
        if scripted is None:
            return None
        if scripted.stall:
            self.pause(scripted.stall)
        if scripted.normal:
            return None
        return Reply(scripted.status, dict(scripted.headers), scripted.body, pace=scripted.pace)

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`; RuntimeError when not started."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        """Serve on a free loopback port in a background thread."""
        self._stopping.clear()
        handler = type("Handler", (_Handler,), {"owner": self, "protocol_version": self.protocol_version})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.thread_name,
                                        kwargs={"poll_interval": self.poll_interval}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (pending delays and pauses are cut short)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ScriptedServer(LoopbackServer):
    """A LoopbackServer with one queue of behaviours (Scripted) for its next requests, whatever
    they ask; `answer()` takes them with `self._script.take(None)` and `play()`."""

    def pass_next(self, n: int = 1) -> None:
        """The next `n` requests are answered normally: aims a later scripted failure, e.g.
        `pass_next(1); fail_next(3)` fails the second request and its retries."""
        self._script.add(None, Scripted(normal=True), n)


class _Handler(BaseHTTPRequestHandler):
    owner: LoopbackServer
    disable_nagle_algorithm = True  # else keep-alive answers wait ~40 ms for a delayed ACK

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        if method not in self.owner.methods:
            self.send_error(501, f"Unsupported method ({method!r})")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.owner.answer(method, parts.path, query, headers)
        try:
            self._send(reply)
        finally:
            if reply.on_sent is not None:
                reply.on_sent()

    def _send(self, reply: Reply) -> None:
        if reply.delay and self.owner.pause(reply.delay):
            return
        streamed = isinstance(reply.body, list)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if streamed:
                self.send_header("Connection", "close")  # the close ends the body
            elif reply.status != 304:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status != 304:
                for i, chunk in enumerate(reply.body if streamed else [reply.body]):
                    if i and reply.pace and self.owner.pause(reply.pace):
                        return
                    self.wfile.write(chunk)
                    if reply.pace:
                        self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its read timeout)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass
