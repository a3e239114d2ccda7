"""The configuration's sections as frozen pydantic models (instruments, feeds, topics, refresh,
http, sources) with their checks and built-in defaults; ingest.config assembles them into Config."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ingest.sources.registry import PRICE_SOURCES

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """Parse '90s', '15m', '1h', '3d' into a timedelta; raise ValueError otherwise."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"expected a duration like '15m', '1h' or '3d', got {text!r}")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {text!r}")
    return timedelta(seconds=seconds)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


class FrozenModel(BaseModel):
    """The base of every config model: frozen, strings stripped, an unknown key refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Instrument(FrozenModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=40)]
    label: str
    mark: str | None = None
    source: str
    ticker: Annotated[str, Field(min_length=1)]
    change: Literal["abs", "pct"] = "abs"
    close_time: str | None = None   # when a daily close became known; None: the built-in rule

    @field_validator("close_time")
    @classmethod
    def _close_rule(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from ingest.close_rules import parse_rule

        return parse_rule(value).text

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in PRICE_SOURCES:
            raise ValueError(f"unknown price source {value!r} (known: {', '.join(sorted(PRICE_SOURCES))})")
        return value


class FeedConfig(FrozenModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    url: Annotated[str, Field(min_length=1)]

    @field_validator("url")
    @classmethod
    def _url_or_path(cls, value: str) -> str:
        if "://" in value:
            return _check_http_url(value)
        return value  # a local file path; whether it exists is checked at fetch time

    @property
    def is_local(self) -> bool:
        """True when the feed is read from a file rather than fetched over HTTP."""
        return "://" not in self.url


class PageConfig(FrozenModel):
    """A news page watched on a schedule (`[[pages]]`): its header strip and its headlines are
    stored as source `page:<name>`; `every` (a duration) overrides `[refresh] pages` for it."""

    name: Annotated[str, Field(min_length=1, max_length=95)]
    url: Annotated[str, Field(min_length=1)]
    every: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @field_validator("every")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @property
    def key(self) -> str:
        """The page's source name: `page:<name>` (its runs, headlines and snapshots)."""
        return f"page:{self.name}"

    def every_delta(self, default: timedelta) -> timedelta:
        """How often `schedule` fetches it: `every`, else `default` (`[refresh] pages`)."""
        return parse_duration(self.every) if self.every is not None else default


def _term_with_words(term: str) -> str:
    """A topic term as the tagger can match it: with at least one word character (the tagger's
    own rule, ingest.headline_tags.tagging.compile_topic, checked here so that `"((("` or `"*"`
    stop at load with one line instead of a traceback in refresh, retag or import-headlines)."""
    from ingest.headline_tags.tagging import words_of

    if not words_of(term):
        raise ValueError(f"topic term {term!r} has no letters or digits, so it can match no word")
    return term


class Topic(FrozenModel):
    name: Annotated[str, Field(min_length=1, max_length=60)]
    terms: Annotated[list[Annotated[str, Field(min_length=1), AfterValidator(_term_with_words)]], Field(min_length=1)]


class RefreshConfig(FrozenModel):
    prices: str = "15m"
    feeds: str = "5m"
    pages: str = "15m"
    backfill_since: date = date(2015, 1, 1)
    overlap: str = "3d"
    hourly_days: Annotated[int, Field(ge=0, le=730)] = 730
    lock_wait: str = "30s"

    @field_validator("prices", "feeds", "pages", "overlap", "lock_wait")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def prices_every(self) -> timedelta:
        return parse_duration(self.prices)

    @property
    def feeds_every(self) -> timedelta:
        return parse_duration(self.feeds)

    @property
    def pages_every(self) -> timedelta:
        return parse_duration(self.pages)

    @property
    def overlap_delta(self) -> timedelta:
        return parse_duration(self.overlap)

    @property
    def lock_wait_delta(self) -> timedelta:
        return parse_duration(self.lock_wait)


class HttpConfig(FrozenModel):
    connect_timeout: Annotated[float, Field(gt=0)] = 10.0
    read_timeout: Annotated[float, Field(gt=0)] = 30.0
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    backoff: Annotated[float, Field(ge=0)] = 2.0
    backoff_max: Annotated[float, Field(ge=0)] = 60.0
    max_bytes: Annotated[int, Field(gt=0)] = 20_000_000
    user_agent: str = "newsmarks/0.1 (+https://github.com/newsmarks/newsmarks)"
    # connect to private, link-local and cloud-metadata addresses too (ingest.sources.destinations)
    allow_private: bool = False
    # hard bounds (ingest.sources.deadlines): one request's whole answer (connect, headers, body),
    # and one unit's requests with their retries and waits
    deadline: Annotated[float, Field(gt=0)] = 20.0
    unit_budget: Annotated[float, Field(gt=0)] = 60.0
    # concurrency (ingest.runners.unit_pool): units fetched at once; per host one request at a
    # time, request starts at least `host_interval` seconds apart
    workers: Annotated[int, Field(ge=1, le=64)] = 8
    host_interval: Annotated[float, Field(ge=0)] = 0.2
    # a host answering 429 / 5xx after the retries is left alone for the rest of the run and, from
    # run to run, for `host_backoff` seconds doubling up to `host_backoff_max` (at least its Retry-After)
    host_backoff: Annotated[float, Field(ge=0)] = 300.0
    host_backoff_max: Annotated[float, Field(ge=0)] = 21600.0


class ServiceConfig(FrozenModel):
    url: str

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        return _check_http_url(value)


class CbrConfig(ServiceConfig):
    """The Bank of Russia: its URL, and when its rates are taken as published (Moscow time, on
    the business day before the date a rate carries; see ingest.close_rules)."""

    published: str = "17:00"

    @field_validator("published")
    @classmethod
    def _clock(cls, value: str) -> str:
        from ingest.close_rules import cbr_rule

        cbr_rule(value)
        return value


class GdeltConfig(ServiceConfig):
    """GDELT DOC 2.0: its URL, the spacing GDELT asks for, the page size and the first slice length
    of a headline-history backfill."""

    min_interval: Annotated[float, Field(ge=0)] = 5.0
    max_records: Annotated[int, Field(ge=1, le=250)] = 250
    slice_hours: Annotated[float, Field(ge=0.5, le=24 * 31)] = 24.0


class SourcesConfig(FrozenModel):
    yahoo: ServiceConfig = ServiceConfig(url="https://query2.finance.yahoo.com")
    cbr: CbrConfig = CbrConfig(url="https://www.cbr.ru/scripts")
    gdelt: GdeltConfig = GdeltConfig(url="https://api.gdeltproject.org/api/v2/doc/doc")


def default_instruments() -> list[Instrument]:
    return [
        Instrument(id="usd_rub", label="USD/RUB (Bank of Russia)", mark="$", source="cbr",
                   ticker="R01235", change="abs"),
        Instrument(id="eur_rub", label="EUR/RUB (Bank of Russia)", mark="€", source="cbr",
                   ticker="R01239", change="abs"),
        Instrument(id="brent", label="Brent crude (ICE futures)", mark="BR", source="yahoo",
                   ticker="BZ=F", change="pct"),
        Instrument(id="usd_rub_mkt", label="USD/RUB market (Yahoo)", source="yahoo",
                   ticker="RUB=X", change="abs"),
        Instrument(id="eur_rub_mkt", label="EUR/RUB market (Yahoo)", source="yahoo",
                   ticker="EURRUB=X", change="abs"),
    ]


def default_feeds() -> list[FeedConfig]:
    return [
        FeedConfig(name="TASS", url="https://tass.com/rss/v2.xml"),
        FeedConfig(name="BBC World", url="https://feeds.bbci.co.uk/news/world/rss.xml"),
        FeedConfig(name="Al Jazeera", url="https://www.aljazeera.com/xml/rss/all.xml"),
        FeedConfig(name="The Moscow Times", url="https://www.themoscowtimes.com/rss/news"),
        FeedConfig(name="Deutsche Welle", url="https://rss.dw.com/rdf/rss-en-all"),
        FeedConfig(name="Guardian World", url="https://www.theguardian.com/world/rss"),
    ]


def default_pages() -> list[PageConfig]:
    return [PageConfig(name="TASS", url="https://tass.com/")]


def default_topics() -> list[Topic]:
    return [
        Topic(name="Syria", terms=["Syria*", "Damascus", "Assad", "Aleppo", "Idlib"]),
        Topic(name="Ukraine", terms=["Ukrain*", "Kyiv", "Kiev", "Donbas*", "Zelensk*", "Crimea*"]),
        Topic(name="Sanctions", terms=["sanction*", "embargo*", "price cap", "asset freeze"]),
        Topic(name="OPEC", terms=["OPEC*", "oil output", "production cut*", "output cut*"]),
        Topic(name="Talks", terms=["talks", "negotiat*", "summit", "ceasefire", "truce", "peace deal"]),
        Topic(name="Energy", terms=["oil", "crude", "Brent", "gas", "pipeline*", "LNG", "refiner*"]),
        Topic(name="Rouble", terms=["rouble*", "ruble*", "Bank of Russia", "central bank"]),
    ]
