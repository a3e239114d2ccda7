"""A loopback fake of Yahoo Finance for tests: the endpoints yfinance 1.7 calls, in Yahoo's formats.

What it answers (any host's path, since the newsmarks Yahoo session rewrites every
`https://<anything>.yahoo.com` to this server's URL):

- `GET /` (fc.yahoo.com): sets an `A3` cookie, as fc.yahoo.com does (without `Domain`, since the
  server is 127.0.0.1, and without `Secure`, since it speaks plain HTTP).
- `GET /v1/test/getcrumb`: the crumb as text.
- `GET /consent` (guce.yahoo.com), `POST /v2/collectConsent`, `GET /copyConsent`: the cookie-consent
  round trip yfinance falls back to after an HTTP error.
- `GET /v8/finance/chart/<SYMBOL>` with `period1`/`period2` (epoch seconds, bars with
  period1 <= ts < period2) or `range` (counted back from the server's `now`), and `interval`
  1d, 1h or 60m. The body has the real shape, with `meta` built on the recorded bodies in
  ../shared/data/yahoo/v8-chart-*.body.json. An empty window answers like Yahoo does for a
  closed market (a result with `meta`, no `timestamp`, `quote == [{}]`); an unknown symbol gets
  Yahoo's 404 chart error; a 1h request reaching back more than 730 days before `now` gets a 422
  chart error modelled on Yahoo's ("The requested range must be within the last 730 days").
- `GET /v10/finance/quoteSummary/<SYMBOL>`, `GET /v7/finance/quote`: 404 with Yahoo's error body
  (yfinance asks for them only when it cannot find a time zone).

Data. Daily bars are the recorded yfinance histories in ../shared/data/yahoo: RUB=X
(Europe/London, 2003-12-01..2024-12-07) and BZ=F (America/New_York, 2017-11-09..2022-11-09),
served at the timestamps recorded there (exchange-local midnight), with the values as recorded.
Real hourly data is not available, so hourly bars are *derived*: for each daily bar in the last
`hourly_days` calendar days of a series, one bar per hour of the trading day (RUB=X 00:00-23:00
London, 24 bars; BZ=F 00:00-17:00 New York, 18 bars; local clock hours, so DST days are right),
with prices on a straight line from the day's open to its close: the bar starting at hour k of n
opens at open + (close - open) * k / n and closes at open + (close - open) * (k + 1) / n; its high
and low are the larger and smaller of the two (so the daily high/low are not reproduced). The
day's volume is split evenly (integer division, remainder on the last bar).

Time. `now` (settable: `FakeYahoo(now=...)` or `set_now()`) is the server's clock: it decides
`range` windows, `meta` "current" fields, the 730-day limit of 1h data, and no bar after it is
served. It defaults to one day after the latest bar of all series (2024-12-08). Data ends in
2022/2024, so tests set `now` to the FetchPlan's `now` (YahooSource asks for period1/period2
computed from `plan.now`, never the wall clock). Hourly BZ=F bars (2022-10-10..2022-11-09) need a
`now` within 730 days of them, e.g. `now=utc(2022, 11, 10)`.

Failures. `fail(symbol, kind, times=...)` makes the next `times` price requests for `symbol`
fail; kinds: an HTTP status (500, 503, 429, ...), "malformed" (200 with a truncated JSON body),
"empty" (200 with an empty result), "error" (404 with a chart error body) or "sleep" (wait
`seconds`, then answer normally). A *price request* is a chart request with period1/period2;
yfinance's time-zone look-up (`range=1d`) is left alone unless `lookups=True`. Note that
yfinance itself re-requests once after any HTTP status >= 400 (after fetching a new cookie and
crumb), so one failed attempt of the source consumes two injected failures.

Log. `requests` (or `log(kind, symbol)`) lists every request with its kind, symbol, query, status
and Cookie header. yfinance 1.7 only reuses a cookie it could persist for a yahoo.com domain, so
against this server (cookies for 127.0.0.1) it asks `/` again before each request; harmless.

    with FakeYahoo(now=utc(2022, 11, 10)) as fake:
        config = Config.model_validate({"sources": {"yahoo": {"url": fake.url}}, ...})
        fake.fail("BZ=F", 500, times=2)
        ...
        assert [r.status for r in fake.log("chart", "BZ=F")] == [500, 500, 200]
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from tests.servers.loopback import LoopbackServer, Reply

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "yahoo"
RUB_CSV = DATA_DIR / "RUB=X_1d_yfinance-history_2003-2024.csv"
BRENT_CSV = DATA_DIR / "BZ=F_1d_yfinance-history_2017-2022.csv"
TEMPLATES = {
    "CURRENCY": DATA_DIR / "v8-chart-EURUSD=X-1d-2020-01-01-to-2020-01-03.body.json",
    "FUTURE": DATA_DIR / "v8-chart-GC=F-1d-2020-01-01-to-2020-01-03.body.json",
}
HOUR = 3600
DAY = 86400
HOURLY_LIMIT_DAYS = 730
RANGES = {"1d": 1, "5d": 5, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731, "5y": 1827,
          "10y": 3653, "max": 100 * 366}
JSON_TYPE = "application/json;charset=utf-8"
UNKNOWN_SYMBOL = {"code": "Not Found", "description": "No data found, symbol may be delisted"}


@dataclass(frozen=True)
class Series:
    """One symbol the fake serves: daily bars (ts UTC-aware, open, high, low, close, volume),
    the exchange time zone, the local hours of its trading day, and the `meta` identity."""

    symbol: str
    tz: str
    daily: pd.DataFrame
    hours: tuple[int, int]  # first and last local hour that starts an hourly bar
    instrument_type: str  # "CURRENCY" or "FUTURE": picks the recorded meta template
    currency: str
    exchange_name: str
    full_exchange_name: str
    short_name: str
    long_name: str | None = None
    price_hint: int = 2

    def with_daily(self, daily: pd.DataFrame) -> Series:
        """The same symbol with other daily bars (e.g. scaled values for a second server)."""
        return Series(**{**self.__dict__, "daily": daily})


def load_history_csv(path: Path) -> pd.DataFrame:
    """Read a yfinance `Ticker.history()` CSV into ts (UTC), open, high, low, close, volume."""
    raw = pd.read_csv(path)
    return pd.DataFrame({
        "ts": pd.to_datetime(raw["Date"], utc=True).dt.as_unit("s"),
        "open": raw["Open"].astype("float64"),
        "high": raw["High"].astype("float64"),
        "low": raw["Low"].astype("float64"),
        "close": raw["Close"].astype("float64"),
        "volume": raw["Volume"].astype("int64"),
    })


def rub_series() -> Series:
    """USD/RUB (RUB=X) as Yahoo serves it: an FX pair stamped Europe/London."""
    return Series(symbol="RUB=X", tz="Europe/London", daily=load_history_csv(RUB_CSV), hours=(0, 23),
                  instrument_type="CURRENCY", currency="RUB", exchange_name="CCY",
                  full_exchange_name="CCY", short_name="USD/RUB", long_name="USD/RUB", price_hint=4)


def brent_series() -> Series:
    """Brent front-month futures (BZ=F): stamped America/New_York, NYMEX."""
    return Series(symbol="BZ=F", tz="America/New_York", daily=load_history_csv(BRENT_CSV), hours=(0, 17),
                  instrument_type="FUTURE", currency="USD", exchange_name="NYM",
                  full_exchange_name="NY Mercantile", short_name="Brent Crude Oil Last Day Financ",
                  price_hint=2)


def derive_hourly(series: Series, days: int) -> pd.DataFrame:
    """Hourly bars derived from the daily bars of the last `days` calendar days (see module doc)."""
    daily = series.daily
    if daily.empty or days <= 0:
        return daily.iloc[0:0].copy()
    cutoff = daily["ts"].iloc[-1] - pd.Timedelta(days=days)
    first, last = series.hours
    rows = []
    for bar in daily[daily["ts"] > cutoff].itertuples(index=False):
        midnight = bar.ts.tz_convert(series.tz).normalize()
        starts = pd.date_range(midnight, midnight + pd.Timedelta(days=1), freq="h", inclusive="left")
        starts = [s for s in starts if first <= s.hour <= last]
        n = len(starts)
        step = (bar.close - bar.open) / n
        share, rest = divmod(int(bar.volume), n)
        for k, start in enumerate(starts):
            o, c = bar.open + step * k, bar.open + step * (k + 1)
            rows.append((start.tz_convert("UTC"), o, max(o, c), min(o, c), c,
                         share + (rest if k == n - 1 else 0)))
    frame = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.as_unit("s")
    return frame


def _epoch(ts: pd.Series) -> list[int]:
    return [int(t.timestamp()) for t in ts]


def _zone(tz: str, at: int) -> tuple[str, int]:
    moment = pd.Timestamp(at, unit="s", tz="UTC").tz_convert(tz)
    return moment.tzname(), int(moment.utcoffset().total_seconds())


def _period(tz: str, start: int, end: int) -> dict:
    name, offset = _zone(tz, start)
    return {"timezone": name, "start": start, "end": end, "gmtoffset": offset}


def chart_meta(series: Series, template: dict, bars: pd.DataFrame, interval: str, now: int,
               range_: str, period1: int) -> dict:
    """`meta` of a chart answer: the recorded template's keys, filled for this symbol and `now`."""
    meta = copy.deepcopy(template)
    daily = series.daily[series.daily["ts"] <= pd.Timestamp(now, unit="s", tz="UTC")]
    if daily.empty:
        daily = series.daily.iloc[:1]
    last = daily.iloc[-1]
    year = daily[daily["ts"] > last["ts"] - pd.Timedelta(days=365)]
    before = series.daily[series.daily["ts"] < pd.Timestamp(period1, unit="s", tz="UTC")]
    name, offset = _zone(series.tz, now)
    day_start = int(pd.Timestamp(now, unit="s", tz="UTC").tz_convert(series.tz).normalize().timestamp())
    day_end = day_start + DAY - 60
    meta.update({
        "currency": series.currency,
        "symbol": series.symbol,
        "exchangeName": series.exchange_name,
        "fullExchangeName": series.full_exchange_name,
        "instrumentType": series.instrument_type,
        "firstTradeDate": int(series.daily["ts"].iloc[0].timestamp()),
        "regularMarketTime": int(last["ts"].timestamp()),
        "gmtoffset": offset,
        "timezone": name,
        "exchangeTimezoneName": series.tz,
        "regularMarketPrice": float(last["close"]),
        "fiftyTwoWeekHigh": float(year["high"].max()),
        "fiftyTwoWeekLow": float(year["low"].min()),
        "regularMarketDayHigh": float(last["high"]),
        "regularMarketDayLow": float(last["low"]),
        "regularMarketVolume": int(last["volume"]),
        "shortName": series.short_name,
        "chartPreviousClose": float((before if not before.empty else daily).iloc[-1]["close"]),
        "priceHint": series.price_hint,
        "currentTradingPeriod": {
            "pre": _period(series.tz, day_start, day_start),
            "regular": _period(series.tz, day_start, day_end),
            "post": _period(series.tz, day_end, day_end),
        },
        "dataGranularity": interval,
        "range": range_,
    })
    if series.long_name:
        meta["longName"] = series.long_name
    else:
        meta.pop("longName", None)
    if interval != "1d":
        days: dict = {}
        for ts in bars["ts"]:
            key = ts.tz_convert(series.tz).date()
            start = int(ts.timestamp())
            first, end = days.get(key, (start, start + HOUR))
            days[key] = (min(first, start), max(end, start + HOUR))
        meta["tradingPeriods"] = [[_period(series.tz, s, e)] for s, e in days.values()]
    return meta


def chart_body(series: Series, template: dict, bars: pd.DataFrame, interval: str, now: int,
               range_: str, period1: int) -> dict:
    """A v8 chart answer with `bars` (already cut to the window), in Yahoo's shape."""
    meta = chart_meta(series, template, bars, interval, now, range_, period1)
    daily = interval == "1d"
    if bars.empty:
        indicators = {"quote": [{}]}
        if daily:
            indicators["adjclose"] = [{}]
        return {"chart": {"result": [{"meta": meta, "indicators": indicators}], "error": None}}
    quote = {"open": bars["open"].tolist(), "volume": [int(v) for v in bars["volume"]],
             "close": bars["close"].tolist(), "low": bars["low"].tolist(), "high": bars["high"].tolist()}
    indicators = {"quote": [quote]}
    if daily:
        indicators["adjclose"] = [{"adjclose": bars["close"].tolist()}]
    return {"chart": {"result": [{"meta": meta, "timestamp": _epoch(bars["ts"]),
                                  "indicators": indicators}], "error": None}}


def chart_error(code: str, description: str) -> dict:
    """Yahoo's chart error body."""
    return {"chart": {"result": None, "error": {"code": code, "description": description}}}


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake received. `kind`: cookie, crumb, chart, consent, quote or other."""

    method: str
    path: str
    query: dict[str, str]
    kind: str
    symbol: str | None
    status: int
    cookie: str | None
    at: float


@dataclass
class _Failure:
    kind: int | str
    seconds: float = 0.0
    retry_after: str | None = None
    lookups: bool = False


def _reply(status: int, body: bytes, content_type: str = JSON_TYPE, headers: dict[str, str] | None = None,
           delay: float = 0.0) -> Reply:
    return Reply(status, {"Content-Type": content_type, **(headers or {})}, body, delay)


class FakeYahoo(LoopbackServer):
    """The fake server. Use as a context manager, or `start()` / `stop()`; `url` is its base URL
    (put it in `sources.yahoo.url`); `requests` is the log; `fail()` injects failures."""

    thread_name = "fake-yahoo"
    methods = ("GET", "POST")
    protocol_version = "HTTP/1.1"

    def __init__(self, series: list[Series] | None = None, *, now: datetime | None = None,
                 hourly_days: int = 30):
        super().__init__()
        self.series = {s.symbol: s for s in (series if series is not None else [rub_series(), brent_series()])}
        self.hourly = {symbol: derive_hourly(s, hourly_days) for symbol, s in self.series.items()}
        self.templates = {kind: json.loads(path.read_text())["chart"]["result"][0]["meta"]
                          for kind, path in TEMPLATES.items()}
        latest = max((s.daily["ts"].iloc[-1] for s in self.series.values() if not s.daily.empty),
                     default=pd.Timestamp("2024-01-01", tz="UTC"))
        self.now = now or (latest + pd.Timedelta(days=1)).to_pydatetime()
        self.crumb = secrets.token_urlsafe(8)
        self.cookie_value = "d=AQABBN" + secrets.token_hex(12) + "&S=AQAAA"
        self.requests: list[LoggedRequest] = []

    # -- control -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.base_url

    def set_now(self, now: datetime) -> None:
        """Set the server's clock (tz-aware)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.now = now

    def fail(self, symbol: str, kind: int | str, times: int = 1, *, seconds: float = 0.0,
             retry_after: str | None = None, lookups: bool = False) -> None:
        """Make the next `times` price requests for `symbol` fail with `kind` (see module doc)."""
        if not (isinstance(kind, int) or kind in ("malformed", "empty", "error", "sleep")):
            raise ValueError(f"unknown failure kind {kind!r}")
        self._script.add(symbol, _Failure(kind, seconds, retry_after, lookups), times)

    def clear_failures(self) -> None:
        self._script.clear()

    def log(self, kind: str | None = None, symbol: str | None = None) -> list[LoggedRequest]:
        """The logged requests, optionally only of one kind and/or symbol."""
        return self.logged(lambda r: (kind is None or r.kind == kind) and (symbol is None or r.symbol == symbol))

    # -- answers -----------------------------------------------------------------------------
    def _now_epoch(self) -> int:
        return int(self.now.timestamp())

    def _take_failure(self, symbol: str, lookup: bool) -> _Failure | None:
        return self._script.take(symbol, when=lambda failure: not lookup or failure.lookups)

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        """The reply to one request, logged with its kind, symbol, status and Cookie header."""
        kind, symbol, reply = self._route(path, query)
        self.record(LoggedRequest(method, path, query, kind, symbol, reply.status, headers.get("cookie"),
                                  time.monotonic()))
        return reply

    def _route(self, path: str, query: dict[str, str]) -> tuple[str, str | None, Reply]:
        """Kind, symbol and reply for one request (pure apart from the failure queue)."""
        if path in ("", "/"):
            cookie = f"A3={self.cookie_value}; Max-Age=31557600; Path=/; SameSite=None; HttpOnly"
            return "cookie", None, _reply(200, b"<html><body>fc</body></html>", "text/html; charset=utf-8",
                                          {"Set-Cookie": cookie})
        if path == "/v1/test/getcrumb":
            return "crumb", None, _reply(200, self.crumb.encode(), "text/plain;charset=utf-8")
        if path == "/consent":
            form = ('<html><body><form method="post" action="/v2/collectConsent?sessionId=s1">'
                    '<input type="hidden" name="csrfToken" value="t1"/>'
                    '<input type="hidden" name="sessionId" value="s1"/>'
                    '<button name="agree" value="agree">Accept all</button></form></body></html>')
            return "consent", None, _reply(200, form.encode(), "text/html; charset=utf-8")
        if path in ("/v2/collectConsent", "/copyConsent"):
            return "consent", None, _reply(200, b"<html></html>", "text/html; charset=utf-8")
        if path.startswith("/v10/finance/quoteSummary/") or path == "/v7/finance/quote":
            symbol = path.rsplit("/", 1)[-1] if "quoteSummary" in path else query.get("symbols")
            body = {"quoteSummary": {"result": None, "error": {
                "code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}}}
            return "quote", symbol, _reply(404, json.dumps(body).encode())
        if path.startswith("/v8/finance/chart/"):
            symbol = path.removeprefix("/v8/finance/chart/")
            return "chart", symbol, self._chart(symbol, query)
        return "other", None, _reply(404, b"Not Found", "text/plain")

    def _chart(self, symbol: str, query: dict[str, str]) -> Reply:
        failure = self._take_failure(symbol, lookup="period1" not in query)
        delay = 0.0
        if failure is not None:
            if failure.kind == "sleep":
                delay = failure.seconds
            elif isinstance(failure.kind, int):
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                if failure.kind == 429:
                    return _reply(429, b"Too Many Requests\r\n", "text/plain;charset=utf-8", headers)
                page = f"<html><body><h1>{failure.kind} Server Error</h1></body></html>"
                return _reply(failure.kind, page.encode(), "text/html; charset=utf-8", headers)
            elif failure.kind == "error":
                return _reply(404, json.dumps(chart_error(**UNKNOWN_SYMBOL)).encode())
        series = self.series.get(symbol)
        if series is None:
            return _reply(404, json.dumps(chart_error(**UNKNOWN_SYMBOL)).encode(), delay=delay)
        interval = query.get("interval", "1d")
        if interval not in ("1d", "1h", "60m"):
            text = f"Invalid input - interval={interval} is not supported."
            return _reply(400, json.dumps(chart_error("Bad Request", text)).encode(), delay=delay)
        now = self._now_epoch()
        range_ = ""
        if "period1" in query:
            period1 = int(query["period1"])
            period2 = int(query.get("period2", now))
        else:
            range_ = query.get("range", "1mo")
            if range_ not in RANGES:
                return _reply(400, json.dumps(chart_error(
                    "Bad Request", f"Invalid input - range={range_} is not supported.")).encode())
            period2, period1 = now, now - RANGES[range_] * DAY
        if interval != "1d" and period1 < now - HOURLY_LIMIT_DAYS * DAY:
            text = (f"{interval} data not available for startTime={period1} and endTime={period2}. "
                    f"The requested range must be within the last {HOURLY_LIMIT_DAYS} days.")
            return _reply(422, json.dumps(chart_error("Unprocessable Entity", text)).encode(), delay=delay)
        bars = series.daily if interval == "1d" else self.hourly[symbol]
        start = pd.Timestamp(period1, unit="s", tz="UTC")
        end = pd.Timestamp(min(period2, now), unit="s", tz="UTC")
        window = bars[(bars["ts"] >= start) & (bars["ts"] < end)]
        granularity = "1h" if interval == "60m" else interval
        if failure is not None and failure.kind == "empty":
            window = window.iloc[0:0]
        body = json.dumps(chart_body(series, self.templates[series.instrument_type], window,
                                     granularity, now, range_, period1)).encode()
        if failure is not None and failure.kind == "malformed":
            body = body[: len(body) // 2]
        return _reply(200, body, delay=delay)


def utc(*args: int) -> datetime:
    """A UTC datetime, for tests."""
    return datetime(*args, tzinfo=UTC)


__all__ = ["FakeYahoo", "LoggedRequest", "Series", "brent_series", "chart_body", "derive_hourly",
           "load_history_csv", "rub_series", "utc", "HOURLY_LIMIT_DAYS"]
