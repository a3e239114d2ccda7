"""Yahoo Finance prices through yfinance: one unit per symbol and interval ("1d", and "1h" when
`refresh.hourly_days` > 0), fetched with `Ticker(symbol, session=S).history(start, end, ...)`.

Choices (see also yahoo_session.py for the session and yfinance's process-wide state):
- Windows come from the plan, never the wall clock: daily bars from `plan.since` (else
  `plan.backfill_since`, 00:00 UTC) to `plan.now`; hourly bars from `plan.since` (else
  `plan.now - hourly_days`), clamped to Yahoo's 730-day limit for 1h bars (less one hour of slack).
  yfinance sends them as period1/period2; `auto_adjust=False`, no actions, no repair, no pre/post.
- Time stamps are stored in UTC. Yahoo stamps a daily bar at midnight in the exchange's zone;
  its local date is the bar's trading day, stored as that date at 00:00 UTC (a RUB=X bar for
  2022-06-15, stamped 00:00 Europe/London in summer time, is stored at 2022-06-15 00:00 UTC, as
  a naive date in a CSV file of the same day is). Its close is known by the instrument's close
  rule (ingest.close_rules): the configured or built-in one, else the end of the regular trading
  period in the chart answer's metadata, which the batch carries for the store to remember.
  Hourly bars are stored at their start in UTC and known one hour later.
- Failures are typed by what Yahoo actually answered (the session keeps the chart responses),
  falling back on yfinance's exceptions (YFRateLimitError, YFPricesMissingError,
  YFTzMissingError, YFDataException) and curl's (Timeout, ConnectionError): 429 -> RateLimited
  (with Retry-After), 5xx / timeouts / refused connections -> TransientError, a body that is not
  the chart JSON -> MalformedResponse, no bars -> EmptyResult, a chart error such as an unknown
  symbol -> YahooChartError (an EmptyResult). Transient ones are retried by
  `client.retrying()` (bounded, with backoff); every message names the symbol and interval.
- An empty answer is an error, except right after the last stored bar: when `plan.since` is at
  most 4 days before `plan.now`, "no new bars" is normal (a weekend, a holiday) and the fetch
  returns an empty batch. Yahoo's "Data doesn't exist for startDate ..." chart error counts as
  empty; other chart errors (e.g. an unknown symbol) never do.
- Bars are flagged with `ingest.bar_quality.flag_bars`, never dropped, except bars without a
  close (reported in `problems`), which cannot be stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

import pandas as pd

from ingest.bar_quality import flag_bars
from ingest.close_rules import DEFAULT_RULE, CloseRule, hourly_known, instrument_rule, meta_rule, trading_days
from ingest.sources.base import (
    DeadlineExceeded,
    EmptyResult,
    FetchPlan,
    FetchResult,
    MalformedResponse,
    PermanentError,
    PriceBatch,
    PriceSource,
    RateLimited,
    ServerError,
    SourceError,
    TransientError,
    Unreachable,
    empty_bars,
)
from ingest.sources.destinations import RefusedDestination
from ingest.sources.http import retry_after_seconds
from ingest.sources.yahoo_session import ChartAnswer, shared_session, yfinance_guard

HOURLY_LIMIT = timedelta(days=730)
HOURLY_SLACK = timedelta(hours=1)
RECENT = timedelta(days=4)
NO_BARS_IN_RANGE = "Data doesn't exist for startDate"
CURL_FILESIZE_EXCEEDED = 63


class YahooChartError(EmptyResult):
    """Yahoo answered with a chart error (`{"chart": {"error": {...}}}`), e.g. an unknown symbol."""


def fetch_window(interval: str, plan: FetchPlan, hourly_days: int) -> tuple[datetime, datetime]:
    """The (start, end) UTC window a unit asks Yahoo for (see the module docstring)."""
    end = plan.now.astimezone(UTC)
    if interval == "1d":
        start = plan.since or datetime.combine(plan.backfill_since, time(0), tzinfo=UTC)
        return start.astimezone(UTC), end
    start = plan.since or end - timedelta(days=hourly_days)
    return max(start.astimezone(UTC), end - HOURLY_LIMIT + HOURLY_SLACK), end


def is_recent(plan: FetchPlan) -> bool:
    """True when the plan continues from a bar at most RECENT before `plan.now`."""
    return plan.since is not None and plan.now - plan.since <= RECENT


def history_to_bars(frame: pd.DataFrame, interval: str = "1h", rule: CloseRule | None = None) -> pd.DataFrame:
    """Turn a yfinance `history()` frame (tz-aware index in the exchange zone, Open/High/Low/
    Close/Volume) into BAR_COLUMNS, sorted, flagged: daily bars (`interval` "1d") under their
    trading day (the index's local date, 00:00 UTC), known by `rule` (default DEFAULT_RULE);
    hourly bars at their start in UTC, known an hour later. Bars without a close are left out."""
    if frame is None or frame.empty:
        return empty_bars()
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        raise MalformedResponse("yfinance returned bars without a time zone")
    stamps = pd.DatetimeIndex(trading_days(index)) if interval == "1d" else index.tz_convert("UTC")
    bars = pd.DataFrame({
        "ts": pd.DatetimeIndex(stamps).as_unit("ns"),
        "open": frame["Open"].astype("float64").to_numpy(),
        "high": frame["High"].astype("float64").to_numpy(),
        "low": frame["Low"].astype("float64").to_numpy(),
        "close": frame["Close"].astype("float64").to_numpy(),
        "volume": frame["Volume"].astype("float64").to_numpy(),
    })
    bars = bars.dropna(subset=["close"]).sort_values("ts").drop_duplicates("ts", keep="last")
    bars = bars.reset_index(drop=True)
    known = (rule or DEFAULT_RULE).known(bars["ts"]) if interval == "1d" else hourly_known(bars["ts"])
    bars["known"] = known.dt.as_unit("ns")
    bars["flag"] = flag_bars(bars)
    return bars[["ts", "known", "open", "high", "low", "close", "volume", "flag"]]


def _without_query(url: str) -> str:
    return urlsplit(url)._replace(query="", fragment="").geturl()


def chart_answer_error(label: str, answer: ChartAnswer) -> SourceError | None:
    """The error a chart answer amounts to, or None when it looks like a good answer with bars."""
    if answer.status == 429:
        return RateLimited(f"{label}: HTTP 429 Too Many Requests", retry_after_seconds(answer.retry_after))
    if answer.status >= 500:
        return ServerError(f"{label}: HTTP {answer.status} from {_without_query(answer.url)}")
    try:
        body = json.loads(answer.body)
    except ValueError:
        return MalformedResponse(f"{label}: chart answer (HTTP {answer.status}) is not JSON: "
                                 f"{answer.body[:60]!r}")
    chart = body.get("chart") if isinstance(body, dict) else None
    if not isinstance(chart, dict):
        return MalformedResponse(f"{label}: chart answer (HTTP {answer.status}) has no 'chart' object")
    error = chart.get("error")
    if error:
        code = error.get("code", "?") if isinstance(error, dict) else "?"
        text = error.get("description", str(error)) if isinstance(error, dict) else str(error)
        message = f"{label}: Yahoo chart error (HTTP {answer.status}) {code}: {text}"
        return EmptyResult(message) if str(text).startswith(NO_BARS_IN_RANGE) else YahooChartError(message)
    if answer.status >= 400:
        return PermanentError(f"{label}: HTTP {answer.status} from {_without_query(answer.url)}")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return MalformedResponse(f"{label}: chart answer has no result")
    if not results[0].get("timestamp"):
        return EmptyResult(f"{label}: Yahoo returned no bars")
    return None


def classify_failure(label: str, exc: BaseException | None, answer: ChartAnswer | None) -> SourceError:
    """Map a failed `history()` call (`exc`, or None when it returned nothing) and the last chart
    answer received to a typed SourceError whose message starts with `label`."""
    from curl_cffi.requests import exceptions as curl_errors
    from yfinance.exceptions import (
        YFDataException,
        YFPricesMissingError,
        YFRateLimitError,
        YFTzMissingError,
    )

    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, curl_errors.Timeout):
        return TransientError(f"{label}: timed out ({type(exc).__name__})")
    if isinstance(exc, curl_errors.RequestException) and getattr(exc, "code", 0) == CURL_FILESIZE_EXCEEDED:
        return PermanentError(f"{label}: response exceeds the byte cap")
    if isinstance(exc, curl_errors.ConnectionError):
        return Unreachable(f"{label}: cannot connect ({type(exc).__name__}: {str(exc)[:200]})")
    if answer is not None:
        found = chart_answer_error(label, answer)
        if found is not None:
            return found
    if isinstance(exc, YFRateLimitError):
        return RateLimited(f"{label}: rate limited by Yahoo (HTTP 429)")
    if isinstance(exc, YFPricesMissingError):
        return EmptyResult(f"{label}: Yahoo returned no bars ({exc})")
    if isinstance(exc, YFTzMissingError):
        return YahooChartError(f"{label}: Yahoo gave no time zone for the symbol (unknown or delisted?)")
    if isinstance(exc, YFDataException) and "DOWN" in str(exc):
        return TransientError(f"{label}: Yahoo Finance is down ({exc})")
    if isinstance(exc, (ValueError, KeyError, TypeError, IndexError, AttributeError)):
        return MalformedResponse(f"{label}: unexpected chart answer ({type(exc).__name__}: {exc})")
    if isinstance(exc, curl_errors.RequestException):
        return TransientError(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
    if exc is None:
        return EmptyResult(f"{label}: Yahoo returned no bars")
    return PermanentError(f"{label}: {type(exc).__name__}: {exc}")


class YahooSource(PriceSource):
    """One Yahoo symbol at one interval, fetched through yfinance (see the module docstring)."""

    source = "yahoo"

    def __init__(self, instrument, interval: str, config, client):
        super().__init__(instrument, interval)
        self.config = config
        self.client = client
        self.base_url = config.sources.yahoo.url
        self.label = f"Yahoo {instrument.ticker} {interval}"
        self.rule = instrument_rule("yahoo", instrument.ticker, getattr(instrument, "close_time", None))

    @classmethod
    def units(cls, instrument, config, client) -> list[YahooSource]:
        """The daily unit, plus the hourly one when `refresh.hourly_days` > 0."""
        intervals = ["1d"] + (["1h"] if config.refresh.hourly_days > 0 else [])
        return [cls(instrument, interval, config, client) for interval in intervals]

    def hosts(self) -> frozenset[str]:
        """The configured Yahoo base URL's host (yfinance's requests all go there, or to Yahoo's own
        hosts when it is Yahoo's)."""
        return frozenset({urlsplit(self.base_url).netloc})

    def fetch(self, plan: FetchPlan) -> FetchResult:
        """Fetch the plan's window; raise a SourceError subclass on failure."""
        start, end = fetch_window(self.interval, plan, self.config.refresh.hourly_days)
        if start >= end:
            return self._result(empty_bars())
        label = f"{self.label} {start:%Y-%m-%d %H:%M}..{end:%Y-%m-%d %H:%M} UTC"
        session = shared_session(self.client, self.base_url, self.config.http)
        try:
            frame, answered_rule = self.client.retrying(lambda: self._history(session, start, end, label),
                                                        self.label, host=urlsplit(self.base_url).netloc)
        except EmptyResult as exc:
            if type(exc) is EmptyResult and is_recent(plan):
                return self._result(empty_bars())
            raise
        rule, learned = self.rule, None
        if rule is None and self.interval == "1d":
            rule = answered_rule or DEFAULT_RULE
            learned = rule.text
        bars = history_to_bars(frame, self.interval, rule)
        dropped = int(frame["Close"].isna().sum())
        problems = [f"{self.label}: {dropped} bars without a close left out"] if dropped else []
        return self._result(bars, problems, learned)

    def _history(self, session, start: datetime, end: datetime, label: str) -> tuple[pd.DataFrame, CloseRule | None]:
        """The history frame, and the close rule the chart answer's metadata implies."""
        import yfinance as yf

        limit = self.client.request_deadline()
        if limit <= 0:
            raise DeadlineExceeded(f"{label}: not tried, the unit's time budget is spent")
        missed = DeadlineExceeded(f"{label}: no complete answer within the {limit:g} s deadline")
        with yfinance_guard(session), session.bounded(limit):
            try:
                frame = yf.Ticker(self.instrument.ticker, session=session).history(
                    start=int(start.timestamp()), end=int(end.timestamp()), interval=self.interval,
                    auto_adjust=False, actions=False, prepost=False, repair=False, keepna=False,
                    timeout=self.config.http.read_timeout)
            except Exception as exc:  # yfinance's failures are many and untyped: classify them
                if session.missed_deadline:
                    raise missed from None
                if session.refusal is not None:   # whatever yfinance made of it
                    raise RefusedDestination(f"{label}: {session.refusal}", session.refusal.host) from None
                answer = session.chart_answers[-1] if session.chart_answers else None
                raise classify_failure(label, exc, answer) from exc
            if session.refusal is not None:
                raise RefusedDestination(f"{label}: {session.refusal}", session.refusal.host)
            if session.missed_deadline:
                raise missed
            if frame is None or frame.empty:
                answer = session.chart_answers[-1] if session.chart_answers else None
                raise classify_failure(label, None, answer)
            return frame, _answer_rule(session.chart_answers[-1] if session.chart_answers else None)

    def _result(self, bars: pd.DataFrame, problems: list[str] | None = None,
                close_rule: str | None = None) -> FetchResult:
        batch = PriceBatch(self.instrument.id, self.interval, self.source, bars, close_rule)
        return FetchResult(prices=[batch], problems=problems or [])


def _answer_rule(answer: ChartAnswer | None) -> CloseRule | None:
    """The close rule a chart answer's metadata implies (meta_rule), or None."""
    if answer is None:
        return None
    try:
        result = json.loads(answer.body)["chart"]["result"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return meta_rule(result.get("meta") if isinstance(result, dict) else None)
