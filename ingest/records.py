"""The records passed between the layers (plain data, no behaviour beyond a status): a headline, a
ticker value seen on a page, a batch of price bars, what a source unit returned, and the names of
bar intervals and run statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import pandas as pd


class Interval(StrEnum):
    """A bar interval; equal to its name ('1d', '1h'), as stored."""

    DAILY = "1d"
    HOURLY = "1h"


class RunStatus(StrEnum):
    """How a recorded run ended (or 'running'); equal to its stored name."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"          # stored, with problems worth reading
    NOT_MODIFIED = "not_modified"  # a feed's conditional GET: nothing new
    ERROR = "error"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    RATE_LIMITED = "rate-limited"  # not tried (or given up): its host answered 429 / 5xx and is left alone


# ts: a daily bar's trading day at 00:00 UTC, an hourly bar's start (UTC); known: when its close
# became known (UTC; see ingest.close_rules); flag: automatic quality flags (ingest.bar_quality)
BAR_COLUMNS = ["ts", "known", "open", "high", "low", "close", "volume", "flag"]
INTERVALS = tuple(i.value for i in Interval)   # ("1d", "1h")


@dataclass(frozen=True)
class Headline:
    """One headline. Times are timezone-aware UTC. `time_inferred`: the source gave no usable
    time (or one in the future) and `published` is when it was fetched or imported.
    `day_precision`: the source gave a date without a time; `published` is 00:00 UTC of it.
    `text_truncated`: the title or summary was longer than its cap and was cut
    (ingest.headline_text)."""

    source: str
    guid: str
    title: str
    published: datetime
    fetched: datetime
    summary: str = ""
    link: str | None = None
    time_inferred: bool = False
    day_precision: bool = False
    text_truncated: bool = False


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
    (e.g. a malformed feed of which only part parsed); `notes` are recorded with the run too
    but are no problem (a watched page's `strip unchanged since …`)."""

    prices: list[PriceBatch] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    snapshots: list[TickerSnapshot] = field(default_factory=list)
    feed_state: FeedState | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def result_message(result: FetchResult) -> str | None:
    """What a run records of a result beside its counts: its problems, then its notes."""
    return "; ".join([*result.problems, *result.notes]) or None


def result_status(result: FetchResult) -> RunStatus:
    """The status a run gets for what its unit returned: not_modified (a feed's 304), partial
    (stored, with problems) or ok."""
    if result.feed_state is not None and result.feed_state.not_modified:
        return RunStatus.NOT_MODIFIED
    return RunStatus.PARTIAL if result.problems else RunStatus.OK


@dataclass(frozen=True)
class HostBackoff:
    """A host left alone after 429 / 5xx answers: not asked before `until` (UTC); `failures`: the
    runs in a row that ended so (the wait doubles with each); `reason`: the last answer."""

    host: str
    until: datetime
    failures: int
    reason: str


@dataclass(frozen=True)
class HeadlineFilter:
    """Which headlines: a time range (inclusive), a search-box query, sources, topics, and
    whether to keep only the first copy of each story."""

    start: datetime | None = None
    end: datetime | None = None
    query: str | None = None
    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    stories_only: bool = False
    sentiments: tuple[str, ...] = ()   # 'negative', 'neutral', 'positive'

    def __post_init__(self) -> None:
        for name in ("sources", "topics", "sentiments"):   # any sequence given: held as a tuple (hashable)
            object.__setattr__(self, name, tuple(getattr(self, name)))
