"""The HTTP session newsmarks hands to yfinance, and the care its process-wide state needs.

`YahooSession` is a curl_cffi `Session` (what yfinance 1.7 uses itself, impersonating Chrome) that
- sends every `https://<anything>.yahoo.com/...` request (cookie from fc.yahoo.com, crumb, consent,
  chart on query1/query2) to the configured base URL instead, keeping path and query, unless that
  URL is itself a yahoo.com URL (the default, https://query2.finance.yahoo.com): then requests go
  to the real hosts unchanged. A proxy cannot do this (https needs CONNECT) and yfinance's URL
  constants are copied at import, hence the session;
- applies newsmarks' connect/read timeouts to every request (yfinance passes its own 10-30 s) and
  a byte cap (`http.max_bytes`, curl's MAXFILESIZE); within `bounded(seconds)` (one yfinance call:
  cookie, crumb, time zone and chart requests together) every request's total time (curl's
  TIMEOUT) is cut to what is left, and `missed_deadline` says when that ran out. It does not send newsmarks' User-Agent:
  Yahoo turns away non-browser clients, which is why yfinance impersonates Chrome;
- connects only where ingest.sources.destinations allows (unless `[http] allow_private`): it follows
  redirects itself, checking every hop before curl is asked to connect, and pins curl to the
  addresses it checked (CURLOPT_RESOLVE), so a second look-up cannot answer differently. A refusal
  is kept in `refusal` too, since yfinance swallows some of its requests' errors;
- keeps the chart answers it received (`chart_answers`), so a failure can be classified by what
  Yahoo actually said (status, Retry-After, body) rather than by yfinance's inconsistent
  exceptions.

`yfinance_guard()` serialises yfinance calls in this process and resets the state yfinance keeps
process-wide, which would otherwise leak between fetches (and between tests with different fake
servers) — found by reading yfinance 1.7 (data.py, cache.py, base.py, scrapers/history.py):
- `YfData` is a singleton holding one session, cookie and crumb; `Ticker(session=S)` swaps its
  session but keeps the cookie and crumb of the previous one. When the session changes they are
  forgotten (private attributes `_cookie`, `_crumb`, `_cookie_strategy`).
- `YfData.cache_get` is an `functools.lru_cache` (64 entries) keyed on URL, params and timeout
  only — not on the host the session really talks to. History requests whose end lies more than
  30 minutes in the past, and every time-zone look-up, go through it; it also caches error
  answers (a 500 would be "retried" from the cache). It is cleared before and after every fetch.
- Time zones and cookies are cached in SQLite files under ~/.cache/py-yfinance. On the first fetch
  of the process (never at import) they are moved to a private temporary directory, so nothing
  from another process or a real Yahoo run is reused, and tests write nothing to $HOME. This only
  fully works if nothing in the process used yfinance before: yfinance keeps an opened cache
  object. A symbol's time zone therefore stays cached for the life of the process (harmless:
  it is the exchange's zone; the look-up costs one request per symbol per process).
- `yf.config.debug.hide_exceptions` is set to False during the fetch (so failures raise instead
  of being logged and returned as empty frames) and restored afterwards. The deprecated
  `history(raise_errors=True)` does the same but warns.
- Warnings raised from yfinance's code (pandas' deprecations of what it calls, its own
  DeprecationWarnings, which it turns on for itself at import) would reach the terminal on every
  refresh: a filter for warnings from `yfinance` modules ignores them, unless the `yfinance`
  logger is enabled for DEBUG (`newsmarks -v`), where they are shown once per place. Installed at
  each fetch (a warnings filter is process-wide, and others may reset the list), never at import.
  What yfinance logs goes to its `yfinance` logger, which the CLI keeps quiet unless -v.
"""

from __future__ import annotations

import atexit
import logging
import re
import shutil
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from curl_cffi import CurlOpt
from curl_cffi import requests as curl_requests

from ingest.config_sections import HttpConfig
from ingest.sources.destinations import RefusedDestination, allowed_addresses

DEFAULT_BASE_URL = "https://query2.finance.yahoo.com"
_YAHOO_PREFIX = re.compile(r"^https?://(?:[A-Za-z0-9-]+\.)*yahoo\.com(?::\d+)?(?=[/?#]|$)", re.IGNORECASE)
_CHART_PATH = "/v8/finance/chart/"
_REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 10


def is_real_yahoo(base_url: str) -> bool:
    """True when `base_url` is a yahoo.com URL (then requests are not rewritten)."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "yahoo.com" or host.endswith(".yahoo.com")


def rewrite_url(url: str, base_url: str) -> str:
    """`url` with its `https://<anything>.yahoo.com` prefix replaced by `base_url` (path and query
    kept); unchanged when `base_url` is a yahoo.com URL or `url` is not a Yahoo URL."""
    if is_real_yahoo(base_url):
        return url
    match = _YAHOO_PREFIX.match(url)
    if not match:
        return url
    return base_url.rstrip("/") + url[match.end():]


@dataclass(frozen=True)
class ChartAnswer:
    """A chart response as received: final URL, status, Retry-After header and body."""

    url: str
    status: int
    retry_after: str | None
    body: bytes


class YahooSession(curl_requests.Session):
    """A curl_cffi session (impersonating Chrome) that routes Yahoo requests to `target`, connects
    only to allowed destinations, and applies newsmarks' timeouts and byte cap to every request."""

    def __init__(self, target: str, settings: HttpConfig):
        super().__init__(impersonate="chrome",
                         curl_options={CurlOpt.MAXFILESIZE_LARGE: settings.max_bytes})
        self.target = target
        self.timeouts = (settings.connect_timeout, settings.read_timeout)
        self.allow_private = settings.allow_private
        self.chart_answers: list[ChartAnswer] = []
        self.refusal: RefusedDestination | None = None
        self.ends: float | None = None
        self.missed_deadline = False

    @contextmanager
    def bounded(self, seconds: float) -> Iterator[None]:
        """Bound every request of the block to end within `seconds` from now, all together."""
        self.ends, self.missed_deadline = time.monotonic() + seconds, False
        try:
            yield
        finally:
            self.ends = None

    def _timeouts(self) -> tuple[float, float]:
        """(connect, read) for the next request: curl's total is their sum, cut to what is left."""
        if self.ends is None:
            return self.timeouts
        left = self.ends - time.monotonic()
        if left <= 0:
            self.missed_deadline = True
            raise curl_requests.exceptions.Timeout("the deadline has passed")
        connect = min(self.timeouts[0], left)
        return connect, max(0.0, min(self.timeouts[1], left - connect))

    def request(self, method, url, **kwargs):
        """Send one request to the rewritten URL with newsmarks' timeouts, following redirects
        (unless `allow_redirects=False`) hop by hop, each checked; remember chart answers."""
        try:
            return self._request(method, url, **kwargs)
        except curl_requests.exceptions.Timeout:
            if self.ends is not None and time.monotonic() >= self.ends - 0.05:
                self.missed_deadline = True
            raise

    def _request(self, method, url, **kwargs):
        follow = kwargs.pop("allow_redirects", None)
        follow = self.allow_redirects if follow is None else follow
        target = rewrite_url(url, self.target)
        for hop in range(MAX_REDIRECTS + 1):
            self._check(target, redirected=hop > 0)
            kwargs["timeout"] = self._timeouts()
            response = super().request(method, target, allow_redirects=False, **kwargs)
            if _CHART_PATH in urlsplit(target).path:
                self.chart_answers.append(ChartAnswer(str(response.url), response.status_code,
                                                      response.headers.get("Retry-After"), response.content))
            location = response.headers.get("Location")
            if not follow or response.status_code not in _REDIRECTS or not location:
                break
            target = rewrite_url(urljoin(target, location), self.target)
            kwargs["params"] = None   # the new URL carries its query
            if response.status_code == 303 or (response.status_code in (301, 302) and method.upper() == "POST"):
                method = "GET"
                for body in ("data", "json", "files", "content", "multipart"):
                    kwargs.pop(body, None)
        return response

    def _check(self, url: str, redirected: bool) -> None:
        """Refuse `url` (RefusedDestination, also kept in `refusal`) unless its host's addresses are
        allowed; pin curl to them."""
        self.curl_options.pop(CurlOpt.RESOLVE, None)
        if self.allow_private:
            return
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = allowed_addresses(host, port)
        except RefusedDestination as exc:
            message = str(exc).replace("refused ", "refused the redirect to ", 1) if redirected else str(exc)
            self.refusal = RefusedDestination(message, host)
            raise self.refusal from None
        except OSError as exc:   # the name does not resolve: as curl would say it
            raise curl_requests.exceptions.DNSError(f"Could not resolve host: {host} ({exc})") from None
        if addresses != [host]:
            pinned = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
            self.curl_options[CurlOpt.RESOLVE] = [f"{host}:{port}:{pinned}"]


# Process-wide state, created lazily at the first fetch (nothing happens at import).
_LOCK = threading.Lock()
_sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_state: dict[str, object] = {"cache_dir": None, "last_session": None}


def shared_session(owner: object, target: str, settings: HttpConfig) -> YahooSession:
    """The session of `owner` (the run's HttpClient) for this base URL and HTTP settings: the
    units of one run share yfinance's cookie and crumb instead of fetching new ones per unit,
    and a new client (a new run, a new test) starts clean."""
    with _LOCK:
        per_owner = _sessions.setdefault(owner, {})
        key = (target, settings)
        session = per_owner.get(key)
        if session is None:
            session = per_owner[key] = YahooSession(target, settings)
        return session


def _private_cache_dir() -> str:
    if _state["cache_dir"] is None:
        path = tempfile.mkdtemp(prefix="newsmarks-yfinance-")
        atexit.register(shutil.rmtree, path, True)
        _state["cache_dir"] = path
    return str(_state["cache_dir"])


def quiet_yfinance_warnings() -> None:
    """Ignore warnings raised from yfinance's modules, or show them once per place when the
    `yfinance` logger is enabled for DEBUG (see the module docstring). Idempotent."""
    verbose = logging.getLogger("yfinance").isEnabledFor(logging.DEBUG)
    warnings.filterwarnings("default" if verbose else "ignore", module=r"yfinance(\.|$)")


@contextmanager
def yfinance_guard(session: YahooSession) -> Iterator[None]:
    """Run one yfinance fetch with `session`: serialised, exceptions on, caches isolated (see the
    module docstring). `session.chart_answers` holds only this fetch's chart answers."""
    import yfinance as yf
    from yfinance.data import YfData

    with _LOCK:
        quiet_yfinance_warnings()
        if _state["cache_dir"] is None:
            yf.set_tz_cache_location(_private_cache_dir())
        previous_hide = yf.config.debug.hide_exceptions
        yf.config.debug.hide_exceptions = False
        YfData.cache_get.cache_clear()
        data = YfData(session=session)
        if _state["last_session"] is not session:
            with data._cookie_lock:
                data._cookie = None
                data._crumb = None
                data._cookie_strategy = "basic"
            _state["last_session"] = session
        session.chart_answers, session.refusal = [], None
        try:
            yield
        finally:
            session.chart_answers, session.refusal = [], None
            YfData.cache_get.cache_clear()
            yf.config.debug.hide_exceptions = previous_hide
