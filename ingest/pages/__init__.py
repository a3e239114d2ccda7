"""Saved news pages: their header ticker strip and their headline (pure parsing).

- ingest.pages.tokens: `tokenize(line)`, `canonical_mark`, `AsOf` (the strip label's date).
- ingest.pages.strip: `find_strip(lines)` → `Strip` of `TickerItem`s.
- ingest.pages.page: `parse_page(body, name)` → `ParsedPage`; `NotAPage` for what is no page.
- ingest.pages.published: the page's own publication time (meta tags, JSON-LD, `<time>`, a
  date line of a text page), read conservatively.

The source unit that reads or fetches a page is ingest.sources.pages.PageSource; the shell that
records and stores its runs is ingest.runners.page_snapshots.
"""

from ingest.pages.page import NotAPage, ParsedPage, parse_page
from ingest.pages.strip import Strip, TickerItem, find_strip
from ingest.pages.tokens import AsOf, canonical_mark

__all__ = ["AsOf", "NotAPage", "ParsedPage", "Strip", "TickerItem", "canonical_mark", "find_strip",
           "parse_page"]
