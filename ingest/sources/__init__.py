"""The sources: `build_sources(config)` makes every unit the config describes, from the classes
named in ingest.sources.registry (adding a price source: a module and one line there).

Modules are imported only when a source is built (yfinance is slow to import)."""

from __future__ import annotations

import importlib

from ingest.sources.registry import FEED_SOURCE, PRICE_SOURCES, WATCHED_PAGE_SOURCE

__all__ = ["FEED_SOURCE", "PRICE_SOURCES", "UNIT_GROUPS", "build_sources", "load_class"]
UNIT_GROUPS = ("prices", "feeds", "pages")   # what `refresh` and `schedule` run, each under its own lock


def load_class(path: str):
    """Import 'package.module:Class' and return the class."""
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def build_sources(config, client=None, groups: tuple[str, ...] = ("prices", "feeds")) -> list:
    """Every source unit of `groups` the config describes, in a stable order: prices, feeds,
    then watched pages."""
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
    if "pages" in groups:
        page_cls = load_class(WATCHED_PAGE_SOURCE)
        units.extend(page_cls(page, config, client) for page in config.pages)
    return units
