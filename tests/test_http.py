from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from ingest.config_sections import HttpConfig
from ingest.sources.base import PermanentError, RateLimited, TransientError, Unreachable
from ingest.sources.http import HttpClient
from ingest.sources.http import retry_after_seconds as _retry_after_seconds


def client(**overrides) -> HttpClient:
    settings = dict(retries=2, backoff=0.01, backoff_max=0.05, connect_timeout=1, read_timeout=0.5)
    settings.update(overrides)
    return HttpClient(HttpConfig(**settings))


def test_get_sends_user_agent_and_conditional_headers(web):
    web.add("feed", b"<rss/>", etag='"v1"')   # 304 to a matching If-None-Match
    response = client().get(web.url_for("feed"), etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert response.status == 304 and response.not_modified and response.content == b""
    [request] = web.requests_for("feed")
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["user-agent"].startswith("newsmarks/")
    assert request.headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_retries_5xx_then_succeeds(web):
    web.add("x", b"ok", etag='"e"')
    web.fail_next("x", 1, status=503)
    web.fail_next("x", 1, status=500)
    response = client().get(web.url_for("x"))
    assert (response.status, response.content, response.headers["etag"]) == (200, b"ok", '"e"')
    assert len(web.requests_for("x")) == 3


def test_gives_up_after_bounded_retries(web):
    web.fail_next("x", 10, status=500)   # every request
    with pytest.raises(TransientError, match=r"^cbr USD: HTTP 500 Internal Server Error$"):
        client(retries=1).get(web.url_for("x"), what="cbr USD")
    assert len(web.requests_for("x")) == 2


def test_429_honours_retry_after_within_the_cap(web):
    web.add("x", b"ok")
    web.fail_next("x", 1, status=429, retry_after="1")
    started = time.monotonic()
    assert client(backoff_max=2).get(web.url_for("x")).content == b"ok"
    assert time.monotonic() - started >= 1.0   # waited what the server asked
    assert len(web.requests_for("x")) == 2


def test_429_asking_longer_than_the_cap_is_not_waited_for_and_trips_the_host(web):
    web.add("x", b"ok")
    web.fail_next("x", 1, status=429, retry_after="3600")
    http = client(backoff_max=0.3)
    http.use_breakers({}, lambda: datetime.now(UTC))
    with pytest.raises(RateLimited, match=r"HTTP 429 Too Many Requests; 127\.0\.0\.1:\d+ left alone until "):
        http.get(web.url_for("x"))
    assert len(web.requests_for("x")) == 1
    [backoff] = http.breakers.changes.values()
    assert backoff.until - http.breakers.clock() >= timedelta(seconds=3590)   # at least its Retry-After


def test_429_every_time_is_rate_limited(web):
    web.fail_next("x", 10, status=429)   # every request
    with pytest.raises(RateLimited, match="HTTP 429 Too Many Requests"):
        client().get(web.url_for("x"), what="feed:BBC")


def test_404_is_permanent_and_not_retried(web):
    with pytest.raises(PermanentError, match="HTTP 404 Not Found") as info:
        client().get(web.url_for("x"))   # no such document
    assert not isinstance(info.value, TransientError)
    assert len(web.requests_for("x")) == 1


def test_byte_cap(web):
    web.add("big", b"x" * 5000)
    with pytest.raises(PermanentError, match="response of 5000 bytes exceeds the cap of 1000"):
        client(max_bytes=1000).get(web.url_for("big"))

    web.serve_next("stream", [b"x" * 1000] * 5, headers={"Content-Type": "text/plain"})   # no Content-Length
    with pytest.raises(PermanentError, match="response exceeds the cap of 1000 bytes"):
        client(max_bytes=1000).get(web.url_for("stream"))


def test_read_timeout_is_transient(web):
    web.add("slow", b"late")
    web.stall_next("slow", 1, seconds=1.0)
    with pytest.raises(TransientError, match="timed out"):
        client(retries=0, read_timeout=0.2).get(web.url_for("slow"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_unreachable_and_remembered_for_the_run(web):
    port = free_port()
    shared = client(retries=2, backoff=0.2, backoff_max=0.2)
    started = time.monotonic()
    with pytest.raises(Unreachable, match=r"^feed:x: cannot connect"):
        shared.get(f"http://127.0.0.1:{port}/x", what="feed:x")
    assert time.monotonic() - started >= 0.4   # two retries waited for
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        shared.get(f"http://127.0.0.1:{port}/y", what="feed:y")
    assert time.monotonic() - started < 0.1    # not tried again in this run
    assert str(info.value).startswith(f"feed:y: not tried, 127.0.0.1:{port} was unreachable earlier in this "
                                      "run (cannot connect")
    web.add("z", b"ok")
    assert shared.get(web.url_for("z")).content == b"ok"   # other hosts are unaffected
    with pytest.raises(Unreachable, match="cannot connect"):       # a new run tries again
        client(retries=0).get(f"http://127.0.0.1:{port}/x", what="feed:x")


def test_retry_after_parsing():
    assert _retry_after_seconds("12") == 12.0
    assert _retry_after_seconds(None) is None
    assert _retry_after_seconds("soon") is None
    assert _retry_after_seconds("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0


def test_connection_errors_read_plainly():
    """The reason inside urllib3's nested error text, without its wrappers' quotes and brackets
    (the status table once showed `cannot connect (Name or service not known)")))`)."""
    from ingest.sources.http import _reason

    refused = ("HTTPConnectionPool(host='h', port=80): Max retries exceeded with url: / (Caused by NewConnectionError("
               "'<urllib3.connection.HTTPConnection object at 0x1>: Failed to establish a new connection: [Errno 111] "
               "Connection refused'))")
    unresolved = ("HTTPSConnectionPool(host='www.cbr.ru', port=443): Max retries exceeded with url: /x (Caused by "
                  "NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x1>: Failed to resolve "
                  "'www.cbr.ru' ([Errno -2] Name or service not known)\"))")
    assert _reason(Exception(refused)) == "Failed to establish a new connection: [Errno 111] Connection refused"
    assert _reason(Exception(unresolved)) == "Name or service not known"
    assert _reason(Exception("timed out")) == "timed out"
