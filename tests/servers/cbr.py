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
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import quoteattr

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


@dataclass
class _Scripted:
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    normal: bool = False  # answer from the data (after any stall)


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
    lines = ['<?xml version="1.0" encoding="windows-1251"?>',
             f'<ValCurs ID={quoteattr(currency_id)} DateRange1="{first:%d.%m.%Y}" '
             f'DateRange2="{last:%d.%m.%Y}" name="Foreign Currency Market Dynamic">']
    for day in sorted(records):
        rate = records[day]
        extra = f"<VunitRate>{cbr_number(rate.per_unit)}</VunitRate>" if vunit_rate else ""
        lines.append(f'<Record Date="{day:%d.%m.%Y}" Id={quoteattr(currency_id)}>'
                     f"<Nominal>{rate.nominal}</Nominal><Value>{cbr_number(rate.value)}</Value>"
                     f"{extra}</Record>")
    lines.append("</ValCurs>")
    return "".join(lines).encode("windows-1251")


def daily_xml(day: date, rates: Mapping[str, Rate], vunit_rate: bool = True) -> bytes:
    """An XML_daily.asp document in the real format (windows-1251, Cyrillic names)."""
    lines = ['<?xml version="1.0" encoding="windows-1251"?>',
             f'<ValCurs Date="{day:%d.%m.%Y}" name="Foreign Currency Market">']
    for currency_id in sorted(rates):
        rate = rates[currency_id]
        num, char, name = CURRENCIES.get(currency_id, ("000", "XXX", "Неизвестная валюта"))
        extra = f"<VunitRate>{cbr_number(rate.per_unit)}</VunitRate>" if vunit_rate else ""
        lines.append(f"<Valute ID={quoteattr(currency_id)}><NumCode>{num}</NumCode>"
                     f"<CharCode>{char}</CharCode><Nominal>{rate.nominal}</Nominal>"
                     f"<Name>{name}</Name><Value>{cbr_number(rate.value)}</Value>{extra}</Valute>")
    lines.append("</ValCurs>")
    return "".join(lines).encode("windows-1251")


class FakeCbr:
    """The fake service; `url` is the base to put in `config.sources.cbr.url`."""

    def __init__(self, rates: Mapping[str, Mapping[date, Rate]] | None = None):
        self.rates: dict[str, dict[date, Rate]] = {k: dict(v) for k, v in (rates or {}).items()}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._script: deque[_Scripted] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

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
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._queue(n, _Scripted(status=status, body=b"error", headers=headers))

    def stall_next(self, n: int = 1, seconds: float = 5.0) -> None:
        """The next `n` requests wait `seconds` before answering (normally) — for timeouts."""
        self._queue(n, _Scripted(stall=seconds, normal=True))

    def pass_next(self, n: int = 1) -> None:
        """The next `n` requests are answered normally: aims a later scripted failure, e.g.
        `pass_next(1); fail_next(3)` fails the second request and its retries."""
        self._queue(n, _Scripted(normal=True))

    def serve_next(self, body: bytes, n: int = 1, status: int = 200) -> None:
        """The next `n` requests get this body (e.g. malformed XML)."""
        self._queue(n, _Scripted(status=status, body=body))

    def reset(self) -> None:
        """Forget queued behaviours and logged requests."""
        with self._lock:
            self._script.clear()
            self.requests.clear()

    def _queue(self, n: int, item: _Scripted) -> None:
        with self._lock:
            self._script.extend([item] * n)

    @property
    def dynamic_requests(self) -> list[dict[str, str]]:
        """Query parameters of every XML_dynamic.asp request so far, in order."""
        with self._lock:
            return [params for path, params in self.requests if path.endswith("/XML_dynamic.asp")]

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeCbr is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/scripts"

    def start(self) -> FakeCbr:
        """Serve on a free loopback port in a background thread."""
        self._stopping.clear()
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-cbr",
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeCbr:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------
    def answer(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one request (after logging it and applying the script)."""
        with self._lock:
            self.requests.append((path, params))
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and scripted.stall:
            self._stopping.wait(scripted.stall)
        if scripted is not None and not scripted.normal:
            return scripted.status, scripted.headers, scripted.body or b""
        xml_type = {"Content-Type": "application/xml; charset=windows-1251"}
        try:
            if path == "/scripts/XML_dynamic.asp":
                return 200, xml_type, self._dynamic(params)
            if path == "/scripts/XML_daily.asp":
                return 200, xml_type, self._daily(params)
        except ValueError:
            return 400, {"Content-Type": "text/plain"}, b"Error in parameters"
        return 404, {"Content-Type": "text/plain"}, b"Not found"

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


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCbr

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            status, headers, body = self.fake.answer(parts.path, params)
        except KeyError:
            status, headers, body = 400, {"Content-Type": "text/plain"}, b"Error in parameters"
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass
