"""The one interface every source implements, the records sources return, and typed errors.

A *source unit* is the smallest thing that can succeed or fail on its own: one instrument at one
bar interval from one service, or one feed. Each unit gets its own ingest-run record, so one
failure stays one failure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

import pandas as pd

# ts: a daily bar's trading day at 00:00 UTC, an hourly bar's start (UTC); known: when its close
# became known (UTC; see ingest.close_rules); flag: automatic quality flags (ingest.bar_quality)
BAR_COLUMNS = ["ts", "known", "open", "high", "low", "close", "volume", "flag"]
INTERVALS = ("1d", "1h")


class SourceError(Exception):
    """A source unit failed; the message says what failed and where."""


class TransientError(SourceError):
    """Worth retrying: timeouts, refused connections, HTTP 429 and 5xx."""


class RateLimited(TransientError):
    """HTTP 429; `retry_after` is the server's requested wait in seconds, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(TransientError):
    """The host could not be reached at all (no route, DNS failure, connection refused)."""


class PermanentError(SourceError):
    """Not worth retrying now: other 4xx, malformed or oversized bodies, refused documents."""


class EmptyResult(PermanentError):
    """The service answered but returned no data for the requested range."""


class MalformedResponse(PermanentError):
    """The body could not be read as the format the source expects."""


@dataclass(frozen=True)
class Headline:
    """One headline. Times are timezone-aware UTC. `time_inferred`: the source gave no usable
    time (or one in the future) and `published` is when it was fetched or imported.
    `day_precision`: the source gave a date without a time; `published` is 00:00 UTC of it."""

    source: str
    guid: str
    title: str
    published: datetime
    fetched: datetime
    summary: str = ""
    link: str | None = None
    time_inferred: bool = False
    day_precision: bool = False


@dataclass(frozen=True)
class TickerSnapshot:
    """A ticker value as a news page showed it at `captured_at` (UTC)."""

    source: str
    mark: str
    value: float
    captured_at: datetime
    captured_from: str  # "given" | "fetch" | "page" (the date the page shows) | "file" (its modification time)
    instrument_id: str | None = None
    change: float | None = None
    change_pct: float | None = None
    mark_inferred: bool = False
    direction: int | None = None   # +1 / -1 when the page showed only an arrow (or a sign), else None


@dataclass(frozen=True)
class PriceBatch:
    """Bars of one instrument at one interval: a DataFrame with BAR_COLUMNS, `ts` and `known`
    UTC-aware. `close_rule`: the close rule the daily bars' `known` follows when the source
    learned it itself (Yahoo's metadata), to be remembered for the instrument; else None."""

    instrument_id: str
    interval: str
    source: str
    bars: pd.DataFrame
    close_rule: str | None = None


@dataclass(frozen=True)
class FeedState:
    """Conditional-GET state of a feed after a fetch."""

    http_status: int | None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False


@dataclass
class FetchResult:
    """What one source unit returned. `problems` are non-fatal issues worth recording
    (e.g. a malformed feed of which only part parsed)."""

    prices: list[PriceBatch] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    snapshots: list[TickerSnapshot] = field(default_factory=list)
    feed_state: FeedState | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FetchPlan:
    """What the job asks of a unit: bars from `since` (None: as far back as `backfill_since`
    allows), up to `now`; and for feeds the stored conditional-GET validators."""

    now: datetime
    backfill_since: date
    since: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None


class Source(ABC):
    """A source unit. Subclasses set `key` (unique, e.g. 'yahoo:brent:1h') and `group`
    ('prices' or 'feeds', which decides the schedule it runs on)."""

    group: ClassVar[str]
    key: str

    @abstractmethod
    def fetch(self, plan: FetchPlan) -> FetchResult:
        """Fetch and parse; raise a SourceError subclass on failure."""


class PriceSource(Source):
    """A price source unit: one instrument at one interval."""

    group: ClassVar[str] = "prices"

    def __init__(self, instrument, interval: str):
        if interval not in INTERVALS:
            raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVALS)})")
        self.instrument = instrument
        self.interval = interval
        self.key = f"{instrument.source}:{instrument.id}:{interval}"


def empty_bars() -> pd.DataFrame:
    """An empty bar frame with the right columns and dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS})
    frame["ts"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["known"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["flag"] = pd.Series(dtype="object")
    return frame
