"""The linked headlines of a news page (pure): a home page lists many stories, each a link whose
text is the story's headline.

`linked_headlines(root, base, keep)` walks the page's `<a href>` elements in document order and
keeps those whose text is headline-like (`keep`, ingest.pages.page.headline_like: sentence-like,
no marks of code) with at least MIN_WORDS words (menu items such as "All news" or "Show more
news" have fewer), at most MAX_TITLE characters, and a link that is an absolute http(s) URL once
resolved against `base` (the page's URL). A link listed twice (a teaser and its title) is kept
once, with its first headline-like text. Titles are what every entry point stores
(ingest.headline_text: plain text, capped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

import lxml.html

from ingest.clean import html_to_text, safe_link
from ingest.headline_text import headline_text

MIN_WORDS = 4
MAX_TITLE = 300


@dataclass(frozen=True)
class PageLink:
    """One headline a page links to: its title (plain text), its absolute http(s) link, and
    whether the title was cut to its cap."""

    title: str
    link: str
    truncated: bool = False


def linked_headlines(root, base: str | None, keep: Callable[[str], bool]) -> tuple[PageLink, ...]:
    """The page's linked headlines in page order, one per link (see the module docstring).
    `root` is an lxml HTML document (scripts already dropped); `base` resolves relative links
    (None: only absolute links count)."""
    found: dict[str, PageLink] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href:
            continue
        link = safe_link(urljoin(base, href) if base else href)
        if link is None:
            continue
        link = urldefrag(link).url
        if link in found:
            continue
        text = " ".join(html_to_text(lxml.html.tostring(anchor, encoding="unicode", with_tail=False)).split())
        if len(text) > MAX_TITLE or len(text.split()) < MIN_WORDS or not keep(text):
            continue
        cleaned = headline_text(text)
        if cleaned.title:
            found[link] = PageLink(cleaned.title, link, cleaned.truncated)
    return tuple(found.values())
