"""Which class serves each kind of source unit, by name (strings only: nothing is imported here, so
the config can check a source name without importing the sources, and they can import the config).
Every class named here is an ingest.sources.base.Source: `fetch(plan)` returns a FetchResult, and
the shells record and store each unit's run the same way (ingest.runners.run_record).

Adding a price source is adding a module with a PriceSource subclass that has a
`units(instrument, config, client)` classmethod, and one line in PRICE_SOURCES."""

from __future__ import annotations

PRICE_SOURCES: dict[str, str] = {
    "cbr": "ingest.sources.cbr:CbrSource",
    "yahoo": "ingest.sources.yahoo:YahooSource",
}
FEED_SOURCE = "ingest.sources.feeds:FeedSource"          # one feed (refresh, schedule)
PAGE_SOURCE = "ingest.sources.pages:PageSource"          # one news page, file or URL (snapshot)
WATCHED_PAGE_SOURCE = "ingest.sources.page_watch:WatchedPage"  # one [[pages]] entry (refresh, schedule)
NEWS_HISTORY_SOURCE = "ingest.sources.gdelt:GdeltSlice"  # one time slice of a GDELT query (backfill-news)
UNIT_CLASSES = (*PRICE_SOURCES.values(), FEED_SOURCE, PAGE_SOURCE, WATCHED_PAGE_SOURCE, NEWS_HISTORY_SOURCE)
