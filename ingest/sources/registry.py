"""Which class serves each price source, by name (strings only: nothing is imported here, so the
config can check a source name without importing the sources, and they can import the config).
Adding a price source is adding a module with a PriceSource subclass that has a
`units(instrument, config, client)` classmethod, and one line here."""

from __future__ import annotations

PRICE_SOURCES: dict[str, str] = {
    "cbr": "ingest.sources.cbr:CbrSource",
    "yahoo": "ingest.sources.yahoo:YahooSource",
}
FEED_SOURCE = "ingest.sources.feeds:FeedSource"
