"""A loopback feed server for tests: serves feed documents at `/feeds/<name>` with ETag and
Last-Modified validators (a matching conditional request gets 304), logs every request with its
headers, and plays scripted failures per feed.

By default it serves the real captures in ../shared/data/feeds (see REAL_FEEDS). Usage::

    with FeedServer() as server:                        # the real captures
        server.add("handmade.xml", b"<rss ...>")        # any document (ETag from its content)
        url = server.url_for("bbc-world-20170120.xml")
        server.fail_next("bbc-world-20170120.xml", 2, status=500)   # next 2 requests: HTTP 500
        server.fail_next(name, 1, status=429, retry_after="0")
        server.stall_next(name, 1, seconds=3)           # next request waits 3 s (timeouts)
        server.serve_next(name, b"<html>oops</html>")   # next request gets this body, 200
        server.pass_next(name, 1)                       # next request answered normally
        server.requests_for(name)                       # [Request(name, path, headers, status)]

Scripted behaviours of a feed are consumed one request at a time, in the order they were added;
when none are queued the document is served (or 304, or 404 for unknown names).
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

FEEDS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "feeds"
REAL_FEEDS = (
    "guardian-world-20210523.xml",
    "guardian-us-20180131.xml",
    "reuters-worldnews-20180130.xml",
    "huffpost-world-20190630.xml",
    "bbc-world-20170120.xml",
    "bbc-world-20260726-trimmed.xml",
    "dw-all-20260726-trimmed.rdf.xml",
)
DEFAULT_LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
RSS_TYPE = "text/xml; charset=utf-8"
_AUTO = object()


@dataclass
class Document:
    """A served document with its validators (None: the header is not sent)."""

    body: bytes
    content_type: str = RSS_TYPE
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Request:
    """One request, logged when it arrives: feed name, path, headers (lower-case names) and the
    status it got (None while it is still being answered, e.g. stalled)."""

    name: str
    path: str
    headers: dict[str, str]
    status: int | None = None


@dataclass
class _Scripted:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    normal: bool = False  # answer from the document (after any stall)


def content_etag(body: bytes) -> str:
    """A strong ETag derived from the content."""
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class FeedServer:
    """The server; documents by name, `url_for(name)` their URLs."""

    def __init__(self, directory: Path | None = FEEDS_DIR, names: tuple[str, ...] = REAL_FEEDS):
        self.documents: dict[str, Document] = {}
        self.requests: list[Request] = []
        self._scripts: dict[str, deque[_Scripted]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if directory is not None:
            for name in names:
                self.add(name, (directory / name).read_bytes())

    # -- documents and script --------------------------------------------------------------
    def add(self, name: str, body: bytes, content_type: str = RSS_TYPE, etag=_AUTO,
            last_modified=_AUTO) -> Document:
        """Serve `body` at /feeds/<name> (replacing any document of that name). ETag defaults to a
        hash of the body and Last-Modified to DEFAULT_LAST_MODIFIED; pass None to omit one."""
        document = Document(body=body, content_type=content_type,
                            etag=content_etag(body) if etag is _AUTO else etag,
                            last_modified=DEFAULT_LAST_MODIFIED if last_modified is _AUTO else last_modified)
        with self._lock:
            self.documents[name] = document
        return document

    def fail_next(self, name: str, n: int = 1, status: int = 500, retry_after: str | None = None) -> None:
        """The next `n` requests for `name` answer `status` (with Retry-After when given)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._queue(name, n, _Scripted(status=status, body=b"error", headers=headers))

    def stall_next(self, name: str, n: int = 1, seconds: float = 5.0) -> None:
        """The next `n` requests for `name` wait `seconds` before answering normally."""
        self._queue(name, n, _Scripted(stall=seconds, normal=True))

    def serve_next(self, name: str, body: bytes, n: int = 1, status: int = 200,
                   headers: dict[str, str] | None = None) -> None:
        """The next `n` requests for `name` get this body and status (no validators)."""
        self._queue(name, n, _Scripted(status=status, body=body,
                                       headers=headers or {"Content-Type": RSS_TYPE}))

    def pass_next(self, name: str, n: int = 1) -> None:
        """The next `n` requests for `name` are answered normally (aims a later failure)."""
        self._queue(name, n, _Scripted(normal=True))

    def requests_for(self, name: str) -> list[Request]:
        """The logged requests for one feed, in order."""
        with self._lock:
            return [r for r in self.requests if r.name == name]

    def reset(self) -> None:
        """Forget scripted behaviours and logged requests (documents stay)."""
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def _queue(self, name: str, n: int, item: _Scripted) -> None:
        with self._lock:
            self._scripts.setdefault(name, deque()).extend([item] * n)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FeedServer is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url_for(self, name: str) -> str:
        """The URL of a document (it need not exist: unknown names answer 404)."""
        return f"{self.base_url}/feeds/{quote(name)}"

    def start(self) -> FeedServer:
        """Serve on a free loopback port in a background thread."""
        self._stopping.clear()

        class Handler(_Handler):
            pass

        Handler.owner = self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="feed-server",
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------
    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one GET (logged with the status it gets)."""
        name = unquote(path.removeprefix("/feeds/")) if path.startswith("/feeds/") else ""
        request = Request(name=name, path=path, headers=headers)
        with self._lock:
            self.requests.append(request)
            script = self._scripts.get(name)
            scripted = script.popleft() if script else None
            document = self.documents.get(name)
        if scripted is not None and scripted.stall:
            self._stopping.wait(scripted.stall)
        if scripted is not None and not scripted.normal:
            status, out, body = scripted.status, dict(scripted.headers), scripted.body
        elif document is None:
            status, out, body = 404, {"Content-Type": "text/plain"}, b"Not found"
        else:
            status, out, body = _serve(document, headers)
        with self._lock:
            request.status = status
        return status, out, body


def _serve(document: Document, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    out = {"Content-Type": document.content_type}
    if document.etag:
        out["ETag"] = document.etag
    if document.last_modified:
        out["Last-Modified"] = document.last_modified
    if _not_modified(document, headers):
        return 304, out, b""
    return 200, out, document.body


def _not_modified(document: Document, headers: dict[str, str]) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
    if "if-none-match" in headers:
        if document.etag is None:
            return False
        asked = {tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")}
        return "*" in asked or document.etag.removeprefix("W/") in asked
    if "if-modified-since" in headers and document.last_modified:
        try:
            since = email.utils.parsedate_to_datetime(headers["if-modified-since"])
            modified = email.utils.parsedate_to_datetime(document.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    owner: FeedServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out, body = self.owner.answer(path, headers)
        try:
            self.send_response(status)
            for name, value in out.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass
