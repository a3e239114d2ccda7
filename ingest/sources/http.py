"""The one place where requests leave newsmarks: timeouts, a byte cap, a User-Agent that names
us, conditional GET, bounded retries with exponential backoff (tenacity), an overall deadline per
request and a time budget per unit (ingest.sources.deadlines), and only allowed destinations
(ingest.sources.destinations: every connection and redirect hop is checked before it is made,
unless `[http] allow_private`) for every source.

Sources that cannot use this client's session (yfinance brings its own) still go through
`HttpClient.retrying()`, so the retry policy is the same everywhere.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import (
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from ingest.config_sections import HttpConfig
from ingest.records import HostBackoff
from ingest.sources.base import (
    DeadlineExceeded,
    HostUnavailable,
    MalformedResponse,
    PermanentError,
    RateLimited,
    ServerError,
    TransientError,
    Unreachable,
)
from ingest.sources.deadlines import WatchedAdapter, budget_left, watching
from ingest.sources.destinations import RefusedDestination
from ingest.sources.guarded_adapter import GuardedAdapter
from ingest.sources.host_breakers import HostBreakers, until_text
from ingest.sources.host_gates import HostGates

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Response:
    """A fetched response: status, lower-cased headers and the body (capped)."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header value (delay-seconds or an HTTP date; a past
    date gives 0.0), or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


class HttpClient:
    """A requests session with newsmarks' timeouts, byte cap, retries and User-Agent.

    One client serves one job run. A host that could not be reached at all after the retries, or
    gave no complete answer within the deadline, is remembered, and later requests to it in the
    same run fail at once instead of waiting through the same retries again (with no network, a
    first refresh says so in seconds, not minutes; a hanging server costs its deadline once)."""

    def __init__(self, settings: HttpConfig, session: requests.Session | None = None, *, trip_hosts: bool = False):
        self.settings = settings
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = settings.user_agent
        adapter = WatchedAdapter() if settings.allow_private else GuardedAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._unreachable: dict[str, str] = {}
        self.hosts = HostGates(settings.host_interval)
        self.breakers = HostBreakers(settings)
        self.trip_hosts = trip_hosts   # the job runner turns the breakers on (use_breakers)

    def retrying(self, call: Callable[[], T], what: str, host: str | None = None) -> T:
        """Run `call`, retrying TransientError up to `retries` times with exponential backoff
        (honouring a RateLimited.retry_after, capped at `backoff_max`), never past what is left of
        the unit's time budget (ingest.sources.deadlines.unit_budget); a DeadlineExceeded is not
        retried, nor a Retry-After longer than `backoff_max`. With `host`: the tries hold the
        host's turn (ingest.sources.host_gates: one unit per host at a time, spaced); fail at once
        when the host was unreachable, missed its deadline or tripped its breaker earlier (in
        this run, or a stored backoff: ingest.sources.host_breakers); remember it when it does
        now."""
        if host is None:
            return self._retry(call, what, None)
        self._check_host(host, what)
        with self.hosts.turn(host):
            self._check_host(host, what)   # another unit may have found it so meanwhile
            try:
                result = self._retry(call, what, host)
            except (RateLimited, ServerError) as exc:
                if not self.trip_hosts:
                    raise
                backoff = self.breakers.trip(host, exc)
                message = f"{exc}; {host} left alone until {until_text(backoff.until)}"
                if isinstance(exc, RateLimited):
                    raise RateLimited(message, exc.retry_after) from exc
                raise ServerError(message) from exc
            self.breakers.succeeded(host)
            return result

    def _retry(self, call: Callable[[], T], what: str, host: str | None) -> T:
        settings = self.settings
        exponential = wait_exponential(multiplier=settings.backoff, max=settings.backoff_max) \
            + wait_random(0, settings.backoff / 4)

        def wait(state) -> float:
            exc = state.outcome.exception() if state.outcome else None
            delay = exponential(state)
            if isinstance(exc, RateLimited) and exc.retry_after is not None:
                delay = max(delay, min(exc.retry_after, settings.backoff_max))
            return delay

        def before_sleep(state) -> None:
            log.info("%s; retry %d of %d in %.1fs", state.outcome.exception(), state.attempt_number,
                     settings.retries, state.upcoming_sleep)

        def budget_spent(state) -> bool:
            left = budget_left()
            return left is not None and state.upcoming_sleep >= left

        def waits_too_long(exc: BaseException) -> bool:
            return isinstance(exc, RateLimited) and (exc.retry_after or 0) > settings.backoff_max

        retryer = Retrying(
            stop=stop_after_attempt(settings.retries + 1) | budget_spent,
            wait=wait,
            before_sleep=before_sleep,
            retry=retry_if_exception_type(TransientError)
            & retry_if_not_exception_type((DeadlineExceeded, HostUnavailable))
            & retry_if_exception(lambda exc: not waits_too_long(exc)),
            reraise=True,
        )
        try:
            return retryer(call)
        except (Unreachable, DeadlineExceeded) as exc:
            if host is not None and not isinstance(exc, HostUnavailable):
                self._unreachable.setdefault(host, str(exc).removeprefix(f"{what}: "))
            raise

    def use_breakers(self, stored: dict[str, HostBackoff], clock: Callable[[], datetime]) -> None:
        """Trip hosts on 429 / 5xx storms (ingest.sources.host_breakers), starting from the backoffs
        earlier runs stored, timed by the job's clock; `breakers.changes` is what to store after."""
        self.breakers.load(stored, clock)
        self.trip_hosts = True

    def _check_host(self, host: str, what: str) -> None:
        """Raise HostUnavailable when `host` was unreachable or missed its deadline in this run,
        HostBackedOff when its breaker is open."""
        if host in self._unreachable:
            raise HostUnavailable(f"{what}: not tried, {host} was unreachable earlier in this run "
                                  f"({self._unreachable[host]})")
        self.breakers.check(host, what)

    def get(self, url: str, *, params: dict | None = None, etag: str | None = None,
            last_modified: str | None = None, what: str | None = None) -> Response:
        """GET `url` with conditional-GET validators; a 304 comes back as a Response with
        status 304 and no body. Raise TransientError / PermanentError on failure."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        label = what or url
        return self.retrying(lambda: self._get_once(url, params, headers, label), label,
                             host=urlsplit(url).netloc)

    def request_deadline(self) -> float:
        """Seconds one request may take now: `[http] deadline`, or less when the unit's budget has
        less left."""
        left = budget_left()
        return self.settings.deadline if left is None else min(self.settings.deadline, left)

    def _get_once(self, url: str, params: dict | None, headers: dict, label: str) -> Response:
        limit = self.request_deadline()
        if limit <= 0:
            raise DeadlineExceeded(f"{label}: not tried, the unit's time budget is spent")
        missed = DeadlineExceeded(f"{label}: no complete answer within the {limit:g} s deadline")
        with watching(limit) as watch:
            try:
                response = self._get_watched(url, params, headers, label, watch.remaining)
            except (TransientError, PermanentError) as exc:
                if watch.fired or (isinstance(exc, TransientError) and watch.remaining() <= 0.05):
                    raise missed from None
                raise
            if watch.fired:   # a body without a length ends when its socket is shut: cut, not complete
                raise missed
            return response

    def _get_watched(self, url: str, params: dict | None, headers: dict, label: str,
                     remaining: Callable[[], float]) -> Response:
        settings = self.settings
        left = remaining()
        try:
            with self.session.get(url, params=params, headers=headers, stream=True,
                                  timeout=(min(settings.connect_timeout, left),
                                           min(settings.read_timeout, left))) as resp:
                status = resp.status_code
                if status == 429:
                    raise RateLimited(f"{label}: HTTP 429 Too Many Requests",
                                      retry_after_seconds(resp.headers.get("Retry-After")))
                if status >= 500:
                    raise ServerError(f"{label}: HTTP {status} {resp.reason or ''}".rstrip())
                if status >= 400:
                    raise PermanentError(f"{label}: HTTP {status} {resp.reason or ''}".rstrip())
                body = b"" if status == 304 else self._read_capped(resp, label)
                return Response(url=resp.url, status=status,
                                headers={k.lower(): v for k, v in resp.headers.items()}, content=body)
        except RefusedDestination as exc:
            message = str(exc)
            if exc.host != urlsplit(url).hostname:   # a redirect led there
                message = message.replace("refused ", "refused the redirect to ", 1)
            raise RefusedDestination(f"{label}: {message}", exc.host) from None
        except requests.Timeout as exc:
            raise TransientError(f"{label}: timed out ({type(exc).__name__})") from exc
        except requests.ConnectionError as exc:
            raise Unreachable(f"{label}: cannot connect ({_reason(exc)})") from exc
        except requests.RequestException as exc:
            raise PermanentError(f"{label}: {exc}") from exc
        except OSError as exc:   # a socket shut at the deadline, seen outside requests' wrappers
            raise TransientError(f"{label}: {type(exc).__name__}: {exc}") from exc

    def _read_capped(self, resp: requests.Response, label: str) -> bytes:
        cap = self.settings.max_bytes
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise PermanentError(f"{label}: response of {int(declared)} bytes exceeds the cap of {cap}")
        chunks, size = [], 0
        for chunk in resp.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > cap:
                raise PermanentError(f"{label}: response exceeds the cap of {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _reason(exc: Exception) -> str:
    """The plain reason inside a connection error's nested text (urllib3 wraps it in quotes and
    brackets: `…NewConnectionError('<…>: Failed to establish a new connection: [Errno 111]
    Connection refused'))`, `…NameResolutionError("<…>: Failed to resolve 'h' ([Errno -2] Name or
    service not known)")`): from the marker on, without the wrappers' closing quotes and brackets."""
    text = str(exc)
    for marker in ("Failed to establish a new connection:", "Connection refused", "Name or service"):
        if marker in text:
            return _CLOSERS.sub("", text[text.index(marker):].split("'))")[0]).strip()
    return text[:200]


_CLOSERS = re.compile(r"""['")\]\s]+$""")   # the wrappers' closing quotes and brackets at the end


def require_body(response: Response, label: str) -> bytes:
    """The body of a 2xx response, or MalformedResponse when it is empty."""
    if not response.content.strip():
        raise MalformedResponse(f"{label}: empty response body")
    return response.content
