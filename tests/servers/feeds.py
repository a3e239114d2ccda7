"""A loopback feed server for tests: serves feed documents at `/feeds/<name>` with ETag and
Last-Modified validators (a matching conditional request gets 304), logs every request with its
headers, and plays scripted failures per feed. Any test that needs an HTTP server uses it (the
`web` fixture of tests/conftest.py: one with no documents).

By default it serves the real captures in ../shared/data/feeds (see REAL_FEEDS). Usage::

    with FeedServer() as server:                        # the real captures
        server.add("handmade.xml", b"<rss ...>")        # any document (ETag from its content)
        url = server.url_for("bbc-world-20170120.xml")
        server.fail_next("bbc-world-20170120.xml", 2, status=500)   # next 2 requests: HTTP 500
        server.fail_next(name, 1, status=429, retry_after="0")
        server.stall_next(name, 1, seconds=3)           # next request waits 3 s (timeouts)
        server.serve_next(name, b"<html>oops</html>")   # next request gets this body, 200
        server.serve_next(name, [b"<rss>", b"</rss>"])  # ... streamed, without Content-Length
        server.trickle_next(name, b"<rss>...</rss>", every=1.0)   # one byte a second, forever if long
        server.pass_next(name, 1)                       # next request answered normally
        server.requests_for(name)                       # [Request(name, path, headers, status)]
        server.reset()                                  # forget the script and the log

Scripted behaviours of a feed are consumed one request at a time, in the order they were added;
when none are queued the document is served (or 304, or 404 for unknown names).
"""

from __future__ import annotations

import email.utils
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from tests.servers.loopback import LoopbackServer, Reply, Scripted

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
    """One request, logged when it arrives: feed name, path, headers (lower-case names), the
    status it got (None while it is still being answered, e.g. stalled), and on the monotonic
    clock when it arrived and when its answer was written (None until then)."""

    name: str
    path: str
    headers: dict[str, str]
    status: int | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


def content_etag(body: bytes) -> str:
    """A strong ETag derived from the content."""
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class FeedServer(LoopbackServer):
    """The server; documents by name, `url_for(name)` their URLs."""

    thread_name = "feed-server"

    def __init__(self, directory: Path | None = FEEDS_DIR, names: tuple[str, ...] = REAL_FEEDS):
        super().__init__()
        self.documents: dict[str, Document] = {}
        self.requests: list[Request] = []
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
        self._script.add(name, Scripted.failure(status, retry_after), n)

    def stall_next(self, name: str, n: int = 1, seconds: float = 5.0) -> None:
        """The next `n` requests for `name` wait `seconds` before answering normally."""
        self._script.add(name, Scripted(stall=seconds, normal=True), n)

    def serve_next(self, name: str, body: bytes | list[bytes], n: int = 1, status: int = 200,
                   headers: dict[str, str] | None = None) -> None:
        """The next `n` requests for `name` get this body (chunks: streamed) and status (no validators)."""
        self._script.add(name, Scripted(status=status, body=body,
                                         headers=headers or {"Content-Type": RSS_TYPE}), n)

    def trickle_next(self, name: str, body: bytes, n: int = 1, every: float = 1.0) -> None:
        """The next `n` requests for `name` get `body` one byte every `every` seconds (status 200,
        no Content-Length): a server that never stops a slow answer."""
        self._script.add(name, Scripted(body=[body[i:i + 1] for i in range(len(body))],
                                         headers={"Content-Type": RSS_TYPE}, pace=every), n)

    def pass_next(self, name: str, n: int = 1) -> None:
        """The next `n` requests for `name` are answered normally (aims a later failure)."""
        self._script.add(name, Scripted(normal=True), n)

    def requests_for(self, name: str) -> list[Request]:
        """The logged requests for one feed, in order."""
        return self.logged(lambda request: request.name == name)

    def url_for(self, name: str) -> str:
        """The URL of a document (it need not exist: unknown names answer 404)."""
        return f"{self.base_url}/feeds/{quote(name)}"

    # -- answering -------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        """The reply to one GET (logged when it arrives, with the status it gets when answered)."""
        name = unquote(path.removeprefix("/feeds/")) if path.startswith("/feeds/") else ""
        request = Request(name=name, path=path, headers=headers)
        self.record(request)
        reply = self.play(self._script.take(name))
        if reply is None:
            with self._lock:
                document = self.documents.get(name)
            reply = _serve(document, headers) if document is not None else \
                Reply(404, {"Content-Type": "text/plain"}, b"Not found")
        with self._lock:
            request.status = reply.status

        def sent() -> None:
            with self._lock:
                request.ended = time.monotonic()

        reply.on_sent = sent
        return reply


def _serve(document: Document, headers: dict[str, str]) -> Reply:
    out = {"Content-Type": document.content_type}
    if document.etag:
        out["ETag"] = document.etag
    if document.last_modified:
        out["Last-Modified"] = document.last_modified
    if _not_modified(document, headers):
        return Reply(304, out)
    return Reply(200, out, document.body)


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
