"""Bank of Russia official rouble rates (cbr.ru XML scripts).

The Bank of Russia sets its official rate of a currency on a business day; the rate is valid from
the date it carries, the next calendar day (the rate set on a Friday carries Saturday's date and
holds through Monday). A rate is stored at that date: the bar's `ts` is that date at 00:00 UTC,
with open = high = low = close = the rate per ONE unit of the currency (the service quotes roubles
per `Nominal` units, e.g. per 100 yen, and we divide), no volume, `flag` from `flag_bars`, and
`known` by the instrument's close rule (ingest.close_rules: by default 17:00 Moscow time on the
day before the date, when it has been published).

Requests: `{base}/XML_dynamic.asp?date_req1=DD/MM/YYYY&date_req2=DD/MM/YYYY&VAL_NM_RQ=<ID>`, one per
calendar year of the requested range, so every response stays small; one failing request fails
the unit. The day after `plan.now`'s UTC date is the last day asked for: the rate carrying
tomorrow's date is published this afternoon (a news page shows it as "the rate for tomorrow").

Empty answers: a well-formed response without records for the whole range is an `EmptyResult`
(a wrong currency ID looks like this) — except right after a weekend or holiday, when a refresh
whose `plan.since` lies within `RECENT_EMPTY_OK` of `plan.now` may legitimately find nothing new;
that returns an empty batch instead of an error.

Parsing (`parse_dynamic`, `parse_daily`) is pure: bytes in, values out. Documents are windows-1251
XML with a decimal comma, read with defusedxml (DOCTYPE and entity declarations are refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
import pandas as pd
from defusedxml import DefusedXmlException

from ingest.bar_quality import flag_bars
from ingest.close_rules import CloseRule, cbr_rule, instrument_rule
from ingest.sources.base import (
    BAR_COLUMNS,
    EmptyResult,
    FetchPlan,
    FetchResult,
    MalformedResponse,
    PriceBatch,
    PriceSource,
    empty_bars,
)
from ingest.sources.http import require_body

SOURCE = "cbr"
RECENT_EMPTY_OK = timedelta(days=7)
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_NOMINAL = re.compile(r"^\d+$")


@dataclass(frozen=True)
class DailyRates:
    """One `XML_daily.asp` document: the date the rates carry, and by currency ID the roubles
    per ONE unit, the letter code (e.g. 'USD') and the Russian name."""

    date: date
    rates: dict[str, float]
    char_codes: dict[str, str]
    names: dict[str, str]


# -- pure parsing --------------------------------------------------------------------------------

def _root(xml: bytes, what: str) -> Element:
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedResponse(f"{what}: refused a DOCTYPE/entity declaration in the XML "
                                f"({type(exc).__name__})") from None
    except ParseError as exc:
        raise MalformedResponse(f"{what}: not well-formed XML ({exc})") from None
    if root.tag != "ValCurs":
        raise MalformedResponse(f"{what}: expected a <ValCurs> root element, got <{root.tag}>")
    return root


def _date(text: str | None, what: str) -> date:
    try:
        return datetime.strptime((text or "").strip(), "%d.%m.%Y").date()
    except ValueError:
        raise MalformedResponse(f"{what}: date {text!r} is not DD.MM.YYYY") from None


def _per_unit(node: Element, what: str) -> float:
    """Value / Nominal of a <Record> or <Valute>, exact in decimal, then as a float."""
    value_text = (node.findtext("Value") or "").strip()
    nominal_text = (node.findtext("Nominal") or "").strip()
    if not _NUMBER.match(value_text):
        raise MalformedResponse(f"{what}: <Value> {value_text!r} is not a number")
    if not _NOMINAL.match(nominal_text) or int(nominal_text) == 0:
        raise MalformedResponse(f"{what}: <Nominal> {nominal_text!r} is not a positive integer")
    return float(Decimal(value_text.replace(",", ".")) / Decimal(nominal_text))


def bars_from_rates(rates: dict[date, float], rule: CloseRule | None = None) -> pd.DataFrame:
    """A bar frame (BAR_COLUMNS, sorted, flagged) from per-unit rates by the date they carry,
    known by `rule` (default: the Bank of Russia's rule with its default publication time)."""
    if not rates:
        return empty_bars()
    days = sorted(rates)
    values = [rates[d] for d in days]
    bars = pd.DataFrame({
        "ts": pd.DatetimeIndex([pd.Timestamp(d) for d in days]).tz_localize("UTC").as_unit("ns"),
        "open": values, "high": values, "low": values, "close": values,
        "volume": float("nan"),
    })
    bars["known"] = (rule or cbr_rule()).known(bars["ts"]).dt.as_unit("ns")
    bars["flag"] = flag_bars(bars)
    return bars[BAR_COLUMNS]


def parse_dynamic(xml: bytes, currency_id: str, *, what: str | None = None,
                  rule: CloseRule | None = None) -> pd.DataFrame:
    """Parse an `XML_dynamic.asp` document of `currency_id` into bars (see the module docstring;
    `rule`: when the rates became known, by default the Bank of Russia's rule).
    A document without records gives an empty frame; a malformed one, a record of another
    currency or a non-numeric value raises MalformedResponse (its message starts with `what`)."""
    what = what or f"cbr {currency_id}"
    root = _root(xml, what)
    document_id = root.get("ID")
    if document_id is not None and document_id != currency_id:
        raise MalformedResponse(f"{what}: the document is for currency {document_id!r}")
    rates: dict[date, float] = {}
    for record in root.iter("Record"):
        record_id = record.get("Id")
        if record_id is not None and record_id != currency_id:
            raise MalformedResponse(f"{what}: a record is for currency {record_id!r}")
        day = _date(record.get("Date"), f"{what} <Record>")
        rates[day] = _per_unit(record, f"{what} record of {record.get('Date')}")
    return bars_from_rates(rates, rule)


def parse_daily(xml: bytes) -> DailyRates:
    """Parse an `XML_daily.asp` document: every currency's rate per one unit on its date."""
    what = "cbr daily rates"
    root = _root(xml, what)
    day = _date(root.get("Date"), f"{what} <ValCurs Date>")
    rates: dict[str, float] = {}
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for valute in root.iter("Valute"):
        currency_id = (valute.get("ID") or "").strip()
        if not currency_id:
            raise MalformedResponse(f"{what}: a <Valute> has no ID attribute")
        rates[currency_id] = _per_unit(valute, f"{what} {currency_id}")
        codes[currency_id] = (valute.findtext("CharCode") or "").strip()
        names[currency_id] = (valute.findtext("Name") or "").strip()
    return DailyRates(date=day, rates=rates, char_codes=codes, names=names)


def year_chunks(start: date, end: date) -> list[tuple[date, date]]:
    """Split [start, end] (inclusive) into one range per calendar year."""
    chunks = []
    while start <= end:
        last = min(end, date(start.year, 12, 31))
        chunks.append((start, last))
        start = last + timedelta(days=1)
    return chunks


def _utc_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC).date()


# -- the source unit -----------------------------------------------------------------------------

class CbrSource(PriceSource):
    """Daily official rates of one currency; `instrument.ticker` is the Bank of Russia
    currency ID (e.g. 'R01235' USD, 'R01239' EUR)."""

    def __init__(self, instrument, interval: str, config, client):
        if interval != "1d":
            raise ValueError(f"the Bank of Russia publishes daily rates only, not {interval!r}")
        super().__init__(instrument, interval)
        self.client = client
        self.base_url = config.sources.cbr.url.rstrip("/")
        self.rule = instrument_rule("cbr", instrument.ticker, getattr(instrument, "close_time", None),
                                    config.sources.cbr.published)

    @classmethod
    def units(cls, instrument, config, client) -> list[CbrSource]:
        """One unit per instrument: daily bars."""
        return [cls(instrument, "1d", config, client)]

    def hosts(self) -> frozenset[str]:
        """The Bank of Russia's host (or its configured mirror's)."""
        return frozenset({urlsplit(self.base_url).netloc})

    def fetch(self, plan: FetchPlan) -> FetchResult:
        """Fetch the rates from `plan.since` (else `plan.backfill_since`) to the day after
        `plan.now` (tomorrow's rate, when it has been published)."""
        currency_id = self.instrument.ticker
        start = _utc_date(plan.since) if plan.since is not None else plan.backfill_since
        end = _utc_date(plan.now) + timedelta(days=1)
        frames = []
        for first, last in year_chunks(start, end):
            label = f"cbr {currency_id} {first:%d.%m.%Y}-{last:%d.%m.%Y}"
            response = self.client.get(f"{self.base_url}/XML_dynamic.asp", what=label, params={
                "date_req1": f"{first:%d/%m/%Y}", "date_req2": f"{last:%d/%m/%Y}",
                "VAL_NM_RQ": currency_id,
            })
            frames.append(parse_dynamic(require_body(response, label), currency_id, what=label))
        rates = {ts.date(): close for frame in frames
                 for ts, close in zip(frame["ts"], frame["close"], strict=True)
                 if start <= ts.date() <= end}
        bars = bars_from_rates(rates, self.rule)  # flags computed over the whole range, not per chunk
        if bars.empty:
            recent = plan.since is not None and plan.now - plan.since <= RECENT_EMPTY_OK
            if not recent:
                raise EmptyResult(f"cbr {currency_id}: no rates between {start:%d.%m.%Y} and "
                                  f"{end:%d.%m.%Y} (is {currency_id!r} a Bank of Russia currency ID?)")
        return FetchResult(prices=[PriceBatch(self.instrument.id, self.interval, SOURCE, bars)])
