"""Source registry. Adding a price source is adding a module with a PriceSource subclass that
has a `units(instrument, config, client)` classmethod, and one line in PRICE_SOURCES.

Modules are imported only when a source is built (yfinance is slow to import)."""

from __future__ import annotations

import importlib

PRICE_SOURCES: dict[str, str] = {
    "cbr": "ingest.sources.cbr:CbrSource",
    "yahoo": "ingest.sources.yahoo:YahooSource",
}
FEED_SOURCE = "ingest.sources.feeds:FeedSource"


def load_class(path: str):
    """Import 'package.module:Class' and return the class."""
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def build_sources(config, client=None, groups: tuple[str, ...] = ("prices", "feeds")) -> list:
    """Every source unit the config describes, in a stable order: prices first, then feeds."""
    from ingest.sources.http import HttpClient

    client = client or HttpClient(config.http)
    units = []
    if "prices" in groups:
        for instrument in config.instruments:
            cls = load_class(PRICE_SOURCES[instrument.source])
            units.extend(cls.units(instrument, config, client))
    if "feeds" in groups:
        feed_cls = load_class(FEED_SOURCE)
        units.extend(feed_cls(feed, config, client) for feed in config.feeds)
    return units
