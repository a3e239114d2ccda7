"""The one interface every source implements and its typed errors; the records sources return
(Headline, PriceBatch, FetchResult…) live in ingest.records and are re-exported here.

A *source unit* is the smallest thing that can succeed or fail on its own: one instrument at one
bar interval from one service, or one feed. Each unit gets its own ingest-run record, so one
failure stays one failure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

import pandas as pd

from ingest.records import (
    BAR_COLUMNS,
    INTERVALS,
    FeedState,
    FetchResult,
    Headline,
    PriceBatch,
    TickerSnapshot,
)

__all__ = ["BAR_COLUMNS", "INTERVALS", "DeadlineExceeded", "EmptyResult", "FeedState", "FetchPlan",
           "FetchResult", "Headline", "HostBackedOff", "HostUnavailable", "MalformedResponse",
           "PermanentError", "PriceBatch", "PriceSource", "RateLimited", "ServerError", "Source",
           "SourceError", "TickerSnapshot", "TransientError", "Unreachable", "empty_bars"]


class SourceError(Exception):
    """A source unit failed; the message says what failed and where; `run_status` is how its run
    is recorded."""

    run_status: ClassVar[str] = "error"


class TransientError(SourceError):
    """Worth retrying: timeouts, refused connections, HTTP 429 and 5xx."""


class RateLimited(TransientError):
    """HTTP 429; `retry_after` is the server's requested wait in seconds, when it gave one."""

    run_status: ClassVar[str] = "rate-limited"

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(TransientError):
    """The host could not be reached at all (no route, DNS failure, connection refused)."""


class ServerError(TransientError):
    """HTTP 5xx: worth retrying; a host still answering so after the retries is left alone."""


class HostBackedOff(SourceError):
    """Not tried: its host answered 429 / 5xx earlier in this run, or is left alone until a time
    stored by an earlier run (ingest.sources.host_breakers)."""

    run_status: ClassVar[str] = "rate-limited"


class HostUnavailable(Unreachable):
    """Not tried: its host was unreachable or missed its deadline earlier in this run."""


class DeadlineExceeded(TransientError):
    """No complete answer within the request's deadline (`[http] deadline`): not retried in this
    run, and the host's other units are not tried either (a hanging or trickling server costs its
    deadline once per run)."""


class PermanentError(SourceError):
    """Not worth retrying now: other 4xx, malformed or oversized bodies, refused documents."""


class EmptyResult(PermanentError):
    """The service answered but returned no data for the requested range."""


class MalformedResponse(PermanentError):
    """The body could not be read as the format the source expects."""


@dataclass(frozen=True)
class FetchPlan:
    """What the job asks of a unit: bars from `since` (None: as far back as `backfill_since`
    allows), up to `now`; for feeds and pages the stored conditional-GET validators; for a
    watched page the strip stored last (`last_strip`, its snapshots: the page stores its strip
    again only when it changed)."""

    now: datetime
    backfill_since: date
    since: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_strip: tuple[TickerSnapshot, ...] = ()


class Source(ABC):
    """A source unit. Subclasses set `key` (unique, e.g. 'yahoo:brent:1h') and `group`
    ('prices', 'feeds' or 'pages', which decides the schedule it runs on and its refresh lock)."""

    group: ClassVar[str]
    key: str

    @abstractmethod
    def fetch(self, plan: FetchPlan) -> FetchResult:
        """Fetch and parse; raise a SourceError subclass on failure."""

    def conditional_get(self) -> tuple[str, str] | None:
        """(name, url) under which the store keeps this unit's conditional-GET validators and
        last fetch (the feeds table), or None for a unit without them."""
        return None

    def hosts(self) -> frozenset[str]:
        """The hosts (`host[:port]`) `fetch` will ask, when known beforehand: the job runner then
        never fetches two units of one host at once (ingest.runners.unit_pool). None by default."""
        return frozenset()


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
