"""A store filled from the real data in ../shared/data, for the browser tests and the README
screenshot: Brent (EIA spot, daily) as `brent`, Yahoo USD/RUB (`;` + decimal comma) as
`usd_rub_mkt`, real headline files, and a few hand-made headlines (one hostile, one with a plain
http link)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

from ingest.close_rules import instrument_rule
from ingest.config import Config
from ingest.csvio import read_headlines_csv, read_prices_csv
from ingest.headline_tags.tagging import TopicTagger
from ingest.records import Headline
from ingest.store import Store

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
BRENT_CSV = SHARED_DATA / "brent-daily.csv"
USD_RUB_CSV = SHARED_DATA / "yahoo" / "USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv"
BBC_BUSINESS_CSV = SHARED_DATA / "bbc-business-rss-2022-2024.csv"
WORLD_HEADLINES_CSV = SHARED_DATA / "world-headlines-rss-2026-05-to-08.csv"

FETCHED = datetime(2026, 9, 1, tzinfo=UTC)
HAND_SOURCE = "Hand-made"
XSS_TITLE = '<script>alert("x")</script> Sanctions talk'
XSS_LINK = "javascript:alert(1)"
XSS_SUMMARY = '<img src=x onerror="alert(2)"> & <b>not bold</b>'
HTTP_TITLE = "Rouble steadies as exporters sell dollars"
HTTP_LINK = "http://example.org/markets/rouble-steadies"
HTTP_SUMMARY = "Hand-made headline with a plain http link."

# Both on a weekend without BBC Business headlines, so a one- or two-day view holds just them.
HAND_MADE = (
    Headline(source=HAND_SOURCE, guid="hand-made-xss", title=XSS_TITLE, link=XSS_LINK, summary=XSS_SUMMARY,
             published=datetime(2022, 3, 19, 12, 0, tzinfo=UTC), fetched=FETCHED),
    Headline(source=HAND_SOURCE, guid="hand-made-http", title=HTTP_TITLE, link=HTTP_LINK, summary=HTTP_SUMMARY,
             published=datetime(2022, 3, 20, 9, 30, tzinfo=UTC), fetched=FETCHED),
)


def store_config(url: str) -> Config:
    """The default config (instruments, topics) with its store at `url`."""
    return Config.model_validate({"store": {"url": url}})


def _within(headlines: Iterable[Headline], first: date | None, last: date | None) -> list[Headline]:
    return [h for h in headlines
            if (first is None or h.published.date() >= first) and (last is None or h.published.date() <= last)]


def build_store(url: str, headline_files: Iterable[tuple[Path, str | None]] = ((BBC_BUSINESS_CSV, "BBC Business"),),
                first: date | None = None, last: date | None = None, hand_made: bool = True) -> Config:
    """Fill the (new) store at `url` and return its config. headline_files: (CSV, source for rows
    without a source cell); only headlines published from `first` to `last` (UTC dates) are kept."""
    config = store_config(url)
    store = Store.open(url)
    try:
        store.sync_config(config)
        for instrument_id, path in (("brent", BRENT_CSV), ("usd_rub_mkt", USD_RUB_CSV)):
            # as `newsmarks import-prices` reads them: closes known by the instrument's rule
            instrument = config.instrument(instrument_id)
            rule = instrument_rule(instrument.source, instrument.ticker, instrument.close_time)
            prices = read_prices_csv(path, interval="1d", close_rule=rule)
            store.write_bars(instrument_id, "1d", "import", prices.bars, FETCHED)
        headlines: list[Headline] = []
        for path, source in headline_files:
            headlines += read_headlines_csv(path, source=source, fetched=FETCHED).headlines
        headlines = _within(headlines, first, last)
        if hand_made:
            headlines += HAND_MADE
        store.write_headlines(headlines, tag=TopicTagger(config.topics))
    finally:
        store.close()
    return config
