"""A loopback fake of the GDELT DOC 2.0 API (`/api/v2/doc/doc`, `mode=artlist&format=json`), for
tests.

It answers from a set of articles in GDELT's real shape (`article()` builds one): those with
`startdatetime <= seendate <= enddatetime` (YYYYMMDDHHMMSS, both ends included), sorted by
`sort` (datedesc unless `dateasc`; ties by url), at most `maxrecords` (default 75, at most 250),
as `{"articles": [...]}`; `{}` when nothing matches. A bad or missing parameter, or a query
shorter than 3 characters ("The specified phrase is too short."), gets a plain-text refusal with
HTTP 200, as GDELT does.

Usage::

    with FakeGdelt([article(...), ...]) as gdelt:
        config = make_config(sources={"gdelt": {"url": gdelt.url, "min_interval": 0}})
        gdelt.rate_limit_next(1, retry_after="7")   # next request: 429 + GDELT's plain-text message
        gdelt.slow_down_next(1)                     # next request: that message with HTTP 200
        gdelt.malformed_next(1)                     # next request: a page cut off mid-way
        gdelt.serve_next(b"...", status=200)        # next request: this body
        gdelt.pass_next(1)                          # next request answered normally (aims the next)
        gdelt.windows                               # [(start, end), ...] of every artlist request
        gdelt.requests                              # [GdeltRequest(query, headers, status), ...]

Scripted behaviours are consumed one request at a time, in the order they were added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.servers.loopback import Reply, Scripted, ScriptedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gdelt"
PATH = "/api/v2/doc/doc"
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/html; charset=utf-8"  # GDELT sends its plain-text refusals as text/html
SEENDATE = "%Y%m%dT%H%M%SZ"
PARAM_TIME = "%Y%m%d%H%M%S"


def fixture(name: str) -> bytes:
    """A file of tests/fixtures/gdelt."""
    return (FIXTURES / name).read_bytes()


def article(url: str, title: str, seen: datetime, domain: str | None = None, language: str = "English",
            sourcecountry: str = "United States", url_mobile: str = "", socialimage: str = "") -> dict:
    """One artlist article in GDELT's field order; `domain` defaults to the URL's host without www."""
    if domain is None:
        domain = url.split("/")[2].removeprefix("www.")
    return {"url": url, "url_mobile": url_mobile, "title": title, "seendate": seen.strftime(SEENDATE),
            "socialimage": socialimage, "domain": domain, "language": language,
            "sourcecountry": sourcecountry}


def artlist_body(articles: list[dict]) -> bytes:
    """An artlist response body as GDELT sends it (`{}` for none), UTF-8."""
    if not articles:
        return b"{}"
    return json.dumps({"articles": articles}, ensure_ascii=False).encode("utf-8")


@dataclass
class GdeltRequest:
    """One request: its query parameters, headers (lower-case names) and the status it got."""

    query: dict[str, str]
    headers: dict[str, str]
    status: int | None = None


class FakeGdelt(ScriptedServer):
    """The fake service; `url` is what goes in `config.sources.gdelt.url`."""

    thread_name = "fake-gdelt"

    def __init__(self, articles: Iterable[dict] = ()):
        super().__init__()
        self.articles: list[dict] = list(articles)
        self.requests: list[GdeltRequest] = []

    @property
    def url(self) -> str:
        return self.base_url + PATH

    # -- data and script ------------------------------------------------------------------
    def add(self, articles: Iterable[dict]) -> None:
        """Add articles (e.g. news that GDELT indexed meanwhile)."""
        with self._lock:
            self.articles.extend(articles)

    def rate_limit_next(self, n: int = 1, status: int = 429, retry_after: str | None = None) -> None:
        """The next `n` requests get GDELT's plain-text rate-limit message with `status`."""
        headers = {"Content-Type": TEXT_TYPE}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        self._script.add(None, Scripted(status=status, body=fixture("rate-limit.txt"), headers=headers), n)

    def slow_down_next(self, n: int = 1) -> None:
        """The next `n` requests get the rate-limit message with HTTP 200 (how GDELT often sends it)."""
        self.rate_limit_next(n, status=200)

    def malformed_next(self, n: int = 1) -> None:
        """The next `n` requests get a page cut off in the middle of an article."""
        self.serve_next(fixture("truncated.json"), n)

    def serve_next(self, body: bytes, n: int = 1, status: int = 200, content_type: str = JSON_TYPE) -> None:
        """The next `n` requests get this body."""
        self._script.add(None, Scripted(status=status, body=body, headers={"Content-Type": content_type}), n)

    @property
    def windows(self) -> list[tuple[datetime, datetime]]:
        """(startdatetime, enddatetime) of every request so far, as UTC datetimes."""
        return [(_when(r.query["startdatetime"]), _when(r.query["enddatetime"])) for r in self.logged(
            lambda r: "startdatetime" in r.query and "enddatetime" in r.query)]

    # -- answering --------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        """The reply to one request (logged first; the script applies)."""
        entry = GdeltRequest(dict(query), headers)
        self.record(entry)
        reply = self.play(self._script.take(None))
        if reply is None:
            reply = self._artlist(path, query)
        entry.status = reply.status
        return reply

    def _artlist(self, path: str, query: dict[str, str]) -> Reply:
        if path != PATH:
            return Reply(404, {"Content-Type": TEXT_TYPE}, b"Not Found")
        if query.get("mode", "").lower() != "artlist" or query.get("format", "").lower() != "json":
            return _refusal(b"This fake serves only mode=artlist&format=json.")
        if len(query.get("query", "").strip()) < 3:
            return _refusal(fixture("phrase-too-short.txt"))
        try:
            start, end = _when(query["startdatetime"]), _when(query["enddatetime"])
            limit = min(int(query.get("maxrecords", "75")), 250)
        except (KeyError, ValueError):
            return _refusal(b"Invalid STARTDATETIME, ENDDATETIME or MAXRECORDS.")
        with self._lock:
            chosen = [a for a in self.articles
                      if start <= datetime.strptime(a["seendate"], SEENDATE).replace(tzinfo=UTC) <= end]
        chosen.sort(key=lambda a: a["url"])
        chosen.sort(key=lambda a: a["seendate"], reverse=query.get("sort", "datedesc").lower() != "dateasc")
        return Reply(200, {"Content-Type": JSON_TYPE}, artlist_body(chosen[:limit]))


def _refusal(body: bytes) -> Reply:
    return Reply(200, {"Content-Type": TEXT_TYPE}, body)


def _when(value: str) -> datetime:
    return datetime.strptime(value, PARAM_TIME).replace(tzinfo=UTC)
