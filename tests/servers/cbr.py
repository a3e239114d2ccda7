"""A loopback fake of the Bank of Russia XML scripts (www.cbr.ru/scripts), for tests.

It serves, in the real format (windows-1251 XML, decimal comma, DD.MM.YYYY dates):
- `GET /scripts/XML_dynamic.asp?date_req1=DD/MM/YYYY&date_req2=DD/MM/YYYY&VAL_NM_RQ=<ID>`: the
  records of one currency in the range (an unknown ID gives an empty <ValCurs>, like the real one);
- `GET /scripts/XML_daily.asp?date_req=DD/MM/YYYY`: every currency's rate on the latest rate
  date on or before `date_req` (no `date_req`: the latest date).

Usage::

    with FakeCbr.with_ecb_data() as cbr:          # USD, EUR from ../shared/data, JPY/CNY hand-made
        config = Config.model_validate({"sources": {"cbr": {"url": cbr.url}}})
        cbr.fail_next(2, status=500)               # the next 2 requests answer HTTP 500
        cbr.fail_next(1, status=429, retry_after="0")
        cbr.stall_next(1, seconds=3)               # the next request waits 3 s before answering
        cbr.serve_next(b"<html>oops</html>")       # the next request gets this body, status 200
        cbr.pass_next(1)                           # the next request is answered normally
        ...
        cbr.dynamic_requests                       # [{'date_req1': ..., 'date_req2': ..., ...}, ...]

Scripted behaviours are consumed one request at a time, in the order they were added; when none
are queued the server answers from its data. `reset()` clears the script and the request log.
`add_rates()` adds records at any time (e.g. "the next day's rate appears" in an end-to-end test).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import quoteattr

from tests.servers.loopback import Reply, Scripted, ScriptedServer

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ECB_RUB_CSV = DATA_DIR / "ecb-rub-daily.csv"
USD, EUR, JPY, CNY = "R01235", "R01239", "R01820", "R01375"
CURRENCIES = {  # ID: (NumCode, CharCode, Name) as the Bank of Russia names them
    USD: ("840", "USD", "Доллар США"),
    EUR: ("978", "EUR", "Евро"),
    JPY: ("392", "JPY", "Японских иен"),
    CNY: ("156", "CNY", "Китайский юань"),
}
# Hand-made: roubles per 100 yen and per 10 yuan around the end of the ECB's RUB series.
HANDMADE = {
    JPY: (100, {date(2022, 2, 25): "72.1500", date(2022, 2, 26): "73.0412",
                date(2022, 3, 1): "91.2345"}),
    CNY: (10, {date(2022, 2, 25): "137.8300", date(2022, 2, 26): "139.0001",
               date(2022, 3, 1): "166.2570"}),
}


def cbr_number(value: Decimal) -> str:
    """'57.4942' -> '57,4942' (the service's decimal comma)."""
    return format(value, "f").replace(".", ",")


@dataclass(frozen=True)
class Rate:
    """One published rate: roubles per `nominal` units, as the service prints it."""

    nominal: int
    value: Decimal  # 4 decimals

    @property
    def per_unit(self) -> Decimal:
        return (self.value / self.nominal).normalize()


def load_ecb_rates(path: Path = ECB_RUB_CSV) -> dict[str, dict[date, Rate]]:
    """USD (usd_rub) and EUR (eur_rub) rates from the real ECB-derived CSV, as 4-decimal values."""
    usd: dict[date, Rate] = {}
    eur: dict[date, Rate] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            day = date.fromisoformat(row["date"])
            usd[day] = Rate(1, Decimal(row["usd_rub"]).quantize(Decimal("0.0001")))
            eur[day] = Rate(1, Decimal(row["eur_rub"]).quantize(Decimal("0.0001")))
    return {USD: usd, EUR: eur}


def dynamic_xml(currency_id: str, first: date, last: date, records: Mapping[date, Rate],
                vunit_rate: bool = True) -> bytes:
    """An XML_dynamic.asp document in the real format (windows-1251)."""
    return _val_curs(
        f'ID={quoteattr(currency_id)} DateRange1="{first:%d.%m.%Y}" DateRange2="{last:%d.%m.%Y}" '
        f'name="Foreign Currency Market Dynamic"',
        [f'<Record Date="{day:%d.%m.%Y}" Id={quoteattr(currency_id)}><Nominal>{records[day].nominal}</Nominal>'
         f"{_value(records[day], vunit_rate)}</Record>" for day in sorted(records)])


def daily_xml(day: date, rates: Mapping[str, Rate], vunit_rate: bool = True) -> bytes:
    """An XML_daily.asp document in the real format (windows-1251, Cyrillic names)."""
    items = []
    for currency_id in sorted(rates):
        num, char, name = CURRENCIES.get(currency_id, ("000", "XXX", "Неизвестная валюта"))
        items.append(f"<Valute ID={quoteattr(currency_id)}><NumCode>{num}</NumCode><CharCode>{char}</CharCode>"
                     f"<Nominal>{rates[currency_id].nominal}</Nominal><Name>{name}</Name>"
                     f"{_value(rates[currency_id], vunit_rate)}</Valute>")
    return _val_curs(f'Date="{day:%d.%m.%Y}" name="Foreign Currency Market"', items)


def _value(rate: Rate, vunit_rate: bool) -> str:
    """<Value> (and <VunitRate>, roubles per unit) of one rate."""
    extra = f"<VunitRate>{cbr_number(rate.per_unit)}</VunitRate>" if vunit_rate else ""
    return f"<Value>{cbr_number(rate.value)}</Value>{extra}"


def _val_curs(attributes: str, items: list[str]) -> bytes:
    """A <ValCurs> document with these attributes and elements, encoded as the service does."""
    return "".join(['<?xml version="1.0" encoding="windows-1251"?>', f"<ValCurs {attributes}>", *items,
                    "</ValCurs>"]).encode("windows-1251")


class FakeCbr(ScriptedServer):
    """The fake service; `url` is the base to put in `config.sources.cbr.url`."""

    thread_name = "fake-cbr"

    def __init__(self, rates: Mapping[str, Mapping[date, Rate]] | None = None):
        super().__init__()
        self.rates: dict[str, dict[date, Rate]] = {k: dict(v) for k, v in (rates or {}).items()}
        self.requests: list[tuple[str, dict[str, str]]] = []

    @classmethod
    def with_ecb_data(cls, path: Path = ECB_RUB_CSV) -> FakeCbr:
        """USD and EUR from the real ECB-derived series (2005-04-01 .. 2022-03-01), plus the
        hand-made JPY (Nominal 100) and CNY (Nominal 10) records of HANDMADE."""
        fake = cls(load_ecb_rates(path))
        for currency_id, (nominal, values) in HANDMADE.items():
            fake.add_rates(currency_id, values, nominal=nominal)
        return fake

    # -- data and script -----------------------------------------------------------------
    def add_rates(self, currency_id: str, values: Mapping[date, str | Decimal | float],
                  nominal: int = 1) -> None:
        """Add (or replace) records: roubles per `nominal` units by rate date."""
        with self._lock:
            series = self.rates.setdefault(currency_id, {})
            for day, value in values.items():
                series[day] = Rate(nominal, Decimal(str(value)).quantize(Decimal("0.0001")))

    def fail_next(self, n: int = 1, status: int = 500, retry_after: str | None = None) -> None:
        """The next `n` requests answer `status` (with a Retry-After header when given)."""
        self._script.add(None, Scripted.failure(status, retry_after), n)

    def stall_next(self, n: int = 1, seconds: float = 5.0) -> None:
        """The next `n` requests wait `seconds` before answering (normally) — for timeouts."""
        self._script.add(None, Scripted(stall=seconds, normal=True), n)

    def serve_next(self, body: bytes, n: int = 1, status: int = 200) -> None:
        """The next `n` requests get this body (e.g. malformed XML)."""
        self._script.add(None, Scripted(status=status, body=body), n)

    @property
    def dynamic_requests(self) -> list[dict[str, str]]:
        """Query parameters of every XML_dynamic.asp request so far, in order."""
        return [params for path, params in self.logged(lambda entry: entry[0].endswith("/XML_dynamic.asp"))]

    @property
    def url(self) -> str:
        return f"{self.base_url}/scripts"

    # -- answering -------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        """The reply to one request (logged as (path, query) first; the script applies)."""
        self.record((path, query))
        scripted = self.play(self._script.take(None))
        if scripted is not None:
            return scripted
        xml_type = {"Content-Type": "application/xml; charset=windows-1251"}
        try:
            if path == "/scripts/XML_dynamic.asp":
                return Reply(200, xml_type, self._dynamic(query))
            if path == "/scripts/XML_daily.asp":
                return Reply(200, xml_type, self._daily(query))
        except (KeyError, ValueError):
            return Reply(400, {"Content-Type": "text/plain"}, b"Error in parameters")
        return Reply(404, {"Content-Type": "text/plain"}, b"Not found")

    def _dynamic(self, params: dict[str, str]) -> bytes:
        first = _request_date(params["date_req1"])
        last = _request_date(params["date_req2"])
        currency_id = params["VAL_NM_RQ"]
        with self._lock:
            series = dict(self.rates.get(currency_id, {}))
        return dynamic_xml(currency_id, first, last,
                           {d: r for d, r in series.items() if first <= d <= last})

    def _daily(self, params: dict[str, str]) -> bytes:
        with self._lock:
            rates = {k: dict(v) for k, v in self.rates.items()}
        asked = _request_date(params["date_req"]) if "date_req" in params else date.max
        days = [d for series in rates.values() for d in series if d <= asked]
        if not days:
            raise ValueError("no rates on or before the requested date")
        day = max(days)
        return daily_xml(day, {k: v[day] for k, v in rates.items() if day in v})


def _request_date(text: str) -> date:
    """'01/03/2022' -> date(2022, 3, 1); ValueError otherwise."""
    return datetime.strptime(text, "%d/%m/%Y").date()
