"""The view state and its URL form (pure). A copied link opens the same view; anything
malformed in a URL falls back, field by field, to the defaults."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.records import HeadlineFilter

Defaults = Sequence[str] | Callable[[], Sequence[str]]   # the default instruments, or how to find them


def resolved(defaults: Defaults) -> Sequence[str]:
    """The default instruments: `defaults` itself, or what it gives when it is a function."""
    return defaults() if callable(defaults) else defaults

DEFAULT_RANGE = "3M"   # a link without a range
RANGE_PRESETS = {"1D": timedelta(days=1), "1W": timedelta(weeks=1), "1M": timedelta(days=31),
                 "3M": timedelta(days=92), "1Y": timedelta(days=366), "All": None}
TIMEZONES = ("UTC", "Europe/Moscow", "browser")
AXIS_MODES = ("separate", "pct")
MARKS_BY = ("risk", "topic", "source")   # what colours the marks
MARK_MODES = ("top", "all", "none")       # which stories are marked singly (dashboard.chart.clusters)
MAX_QUERY = 200
SENTIMENTS = ("negative", "neutral", "positive")
OVERLAYS = ("risk", "snapshots")       # extra series on the chart: risk index, page snapshots
DEFAULT_OVERLAYS = ("snapshots",)
# The days a custom range may span: the data reach back to 1900 at most (the risk index), and every
# time the chart reads, padded by a week, must fit pandas' nanosecond timestamps (1677-2262).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
# An IANA zone name: at most 64 characters of letters, digits and `_+-/` (the longest is 32).
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
# ViewState field -> URL parameter, where they differ
_URL_KEYS = {"query": "q", "marks_by": "marks", "mark_mode": "marked", "overlays": "show"}


@dataclass(frozen=True)
class ViewState:
    """What the page shows. `range` is a preset key or 'custom' (then start/end are dates)."""

    instruments: tuple[str, ...] = ()
    query: str = ""
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    range: str = DEFAULT_RANGE
    start: date | None = None
    end: date | None = None
    tz: str = "UTC"
    axis: str = "separate"
    marks_by: str = "risk"
    mark_mode: str = "top"
    sentiment: tuple[str, ...] = ()
    overlays: tuple[str, ...] = DEFAULT_OVERLAYS

    def headline_filter(self, start: datetime | None, end: datetime | None) -> HeadlineFilter:
        """The store filter for this view's headlines in a window (first copy of each story)."""
        return HeadlineFilter(start=start, end=end, query=self.query or None, sources=self.sources,
                              topics=self.topics, stories_only=True, sentiments=self.sentiment)

    def to_dict(self) -> dict:
        """A JSON-friendly dict (for dcc.Store)."""
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        data["end"] = self.end.isoformat() if self.end else None
        return data

    @classmethod
    def from_dict(cls, data: dict | None, known_instruments: list[str], default_instruments: Defaults) -> ViewState:
        """Rebuild from `to_dict()` output (validated like a URL)."""
        if not data:
            return cls(instruments=tuple(resolved(default_instruments)))
        query = {_URL_KEYS.get(k, k): (",".join(v) if isinstance(v, list | tuple) else ("" if v is None else str(v)))
                 for k, v in data.items()}
        return parse_state(urlencode(query), known_instruments, default_instruments)


def _date(text: str) -> date | None:
    """The day of a `YYYY-MM-DD` URL value, None when it is not one between FIRST_DAY and LAST_DAY."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def usable_time(moment: datetime | None) -> datetime | None:
    """`moment` when it lies within FIRST_DAY..LAST_DAY (UTC), else None: a time the chart and the
    analyses can read (a window tampered with in the browser may hold any)."""
    if moment is None:
        return None
    try:
        day = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    except OverflowError:   # year 1 with an offset east of UTC
        return None
    return moment if FIRST_DAY <= day <= LAST_DAY else None


def _list(values: dict, key: str) -> tuple[str, ...]:
    raw = values.get(key, [""])[-1]
    return tuple(item for item in (part.strip() for part in raw.split(",")) if item)


def valid_timezone(name: str) -> bool:
    """True for 'browser' and IANA zone names this machine knows; False for anything else, whatever
    it holds (a 300-character name, a path, a directory of the zone database)."""
    if name == "browser":
        return True
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def parse_state(search: str | None, known_instruments: list[str], default_instruments: Defaults) -> ViewState:
    """The view state from a URL query string ('?a=b&…'); bad fields take their defaults (the
    default instruments: a list, or a function giving it — asked only when the link names none)."""
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    named = _list(values, "instruments")
    instruments = tuple(i for i in named if i in known_instruments)
    if not instruments and (named or "instruments" not in values):  # none given, or none known
        instruments = tuple(resolved(default_instruments))
    state = ViewState(instruments=instruments)
    query = values.get("q", [""])[-1].strip()[:MAX_QUERY]
    range_key = values.get("range", [DEFAULT_RANGE])[-1]
    start, end = _date(values.get("start", [""])[-1]), _date(values.get("end", [""])[-1])
    if range_key == "custom" and start and end and start <= end:
        state = replace(state, range="custom", start=start, end=end)
    elif range_key in RANGE_PRESETS:
        state = replace(state, range=range_key)
    tz = values.get("tz", ["UTC"])[-1]
    axis = values.get("axis", ["separate"])[-1]
    marks_by = values.get("marks", ["risk"])[-1]
    mark_mode = values.get("marked", ["top"])[-1]
    return replace(state, query=query, topics=_list(values, "topics"), sources=_list(values, "sources"),
                   sentiment=tuple(v for v in _list(values, "sentiment") if v in SENTIMENTS),
                   tz=tz if valid_timezone(tz) else "UTC",
                   axis=axis if axis in AXIS_MODES else "separate",
                   marks_by=marks_by if marks_by in MARKS_BY else "risk",
                   mark_mode=mark_mode if mark_mode in MARK_MODES else "top",
                   overlays=(tuple(o for o in OVERLAYS if o in _list(values, "show")) if "show" in values
                             else DEFAULT_OVERLAYS))


def state_to_search(state: ViewState) -> str:
    """The URL query string ('?…') of a state; defaults are left out to keep links short."""
    params: dict[str, str] = {"instruments": ",".join(state.instruments)}
    if state.query:
        params["q"] = state.query
    if state.topics:
        params["topics"] = ",".join(state.topics)
    if state.sources:
        params["sources"] = ",".join(state.sources)
    params["range"] = state.range
    if state.range == "custom" and state.start and state.end:
        params["start"], params["end"] = state.start.isoformat(), state.end.isoformat()
    if state.tz != "UTC":
        params["tz"] = state.tz
    if state.axis != "separate":
        params["axis"] = state.axis
    if state.marks_by != "risk":
        params["marks"] = state.marks_by
    if state.mark_mode != "top":
        params["marked"] = state.mark_mode
    if state.sentiment:
        params["sentiment"] = ",".join(state.sentiment)
    if state.overlays != DEFAULT_OVERLAYS:
        params["show"] = ",".join(state.overlays)
    return "?" + urlencode(params, safe=",/")


def time_window(state: ViewState, latest: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The UTC window a state asks for: a custom range as whole days, a preset counted back from
    `latest` (the newest data point, so that a store of past data still shows something)."""
    if state.range == "custom" and state.start and state.end:
        return (datetime.combine(state.start, time.min, UTC),
                datetime.combine(state.end, time.max, UTC).replace(microsecond=0))
    span = RANGE_PRESETS.get(state.range)
    if span is None or latest is None:
        return None, None
    return latest - span, latest


def display_zone(state: ViewState, browser_tz: str | None) -> str:
    """The IANA zone to display times in ('browser' resolved, falling back to UTC)."""
    if state.tz == "browser":
        return browser_tz if browser_tz and valid_timezone(browser_tz) and browser_tz != "browser" else "UTC"
    return state.tz
