"""A saved news page (plain text or HTML) → its ticker strip, headline and summary (pure).

Text pages: lines as saved; the strip is the first run of ticker lines (ingest.pages.strip),
the headline the first line of sentence-like text outside it (at least three words, mostly
letters, at most 300 characters, none of the marks of code or configuration: `=`, `<>`, `{}`,
backticks, a leading `#`), the summary the paragraph after the headline (lines up to the next
blank line, joined by spaces) when it is sentence-like. A text without a strip counts as a page
only with an article — a headline followed by a body of at least MIN_BODY_WORDS words — and
never when its lines are records (CSV and the like).

Bytes are decoded by their BOM, else as UTF-8 when they are valid UTF-8 (a saved copy is often
re-encoded but keeps its old `<meta>`), else by the HTTP charset, else the `<meta>` charset.

Headlines and summaries are what every entry point stores (ingest.headline_text): plain text,
HTML character references decoded (`&#039;`, and `&amp;#039;` escaped twice) and markup they
decode to stripped, capped in length (`ParsedPage.truncated`).

The page's own publication time (`published`, `published_day_only`), where it shows one: see
ingest.pages.published (meta tags, itemprop, JSON-LD, the article's `<time>`; in a text page only
a full date-and-time line with its zone next to the headline, which is then no part of the
summary). A page without an article headline gets no time of its own.

HTML pages: block elements break lines (scripts and styles dropped) and the strip is found in
those lines.
The headline is the first `<h1>`, else `og:title`. `<title>` is never used: on a home page
(such as the saved tass.ru header) it names the site, not an article, so such a page yields its
strip and no headline. The summary is the first sentence-like `<p>` after the `<h1>`, else
`og:description` / `description`. The link is `<link rel=canonical>`, else `og:url`, when it is
an absolute http(s) URL.

`NotAPage` (a PermanentError) for an empty file, binary content and text with neither a strip
nor a headline.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import lxml.html
from lxml import etree

from ingest.clean import decode_entities, html_to_text, safe_link
from ingest.headline_text import headline_text
from ingest.pages.links import PageLink, linked_headlines
from ingest.pages.published import PAGE_TIME_LINES, PageTime, article_time, html_page_time, text_page_time
from ingest.pages.strip import Strip, TickerItem, find_strip
from ingest.pages.tokens import AsOf
from ingest.sources.base import PermanentError

MAX_HEADLINE = 300
_DROP = ("script", "style", "template", "noscript", "applet")
_LINE_BREAKING = (
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
)
_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


class NotAPage(PermanentError):
    """The file or response is not a saved news page; the message names it and says why."""


@dataclass(frozen=True)
class ParsedPage:
    """What a page holds: strip items (page order), headline and summary ('' when none), the
    page's own link (canonical URL, HTML only), the strip label's date, the problems met
    (strip items left out, and why), and the page's own publication time when it shows one
    (`published`, UTC; 00:00 UTC of the date when `published_day_only`; `published_where`:
    where it was read)."""

    name: str
    kind: str  # "text" | "html"
    items: tuple[TickerItem, ...]
    headline: str | None
    summary: str = ""
    link: str | None = None
    rates_as_of: AsOf | None = None
    problems: tuple[str, ...] = ()
    published: datetime | None = None
    published_day_only: bool = False
    published_where: str | None = None
    truncated: bool = False   # the headline or summary was cut to its cap (ingest.headline_text)
    links: tuple[PageLink, ...] = ()   # the headlines the page links to (HTML only; ingest.pages.links)


def parse_page(body: bytes, name: str, content_type: str | None = None, base: str | None = None) -> ParsedPage:
    """Parse a saved page; `name` (file name or URL) is used in messages, `content_type` is the
    HTTP Content-Type when the page was fetched, `base` the URL it came from (relative links
    resolve against it; with it, a page whose only content is linked headlines is a page too).
    Raises NotAPage."""
    text, is_html = decode_page(body, name, content_type)
    links: tuple[PageLink, ...] = ()
    if is_html:
        strip, headline, summary, link, own, links = _read_html(text, name, base)
        kind = "html"
    else:
        strip, headline, summary, link, own, kind = *_read_text(text), "text"
    cleaned = headline_text(headline, summary)
    headline, summary = cleaned.title or None, cleaned.summary
    if not strip.items and headline is None and not (base and links):   # a fetched home page: its links suffice
        why = "no ticker strip and no headline found"
        if strip.problems:
            why += f" ({'; '.join(strip.problems)})"
        raise NotAPage(f"{name}: not a news page: {why}")
    if headline is None:
        own = None  # a home page: its dates are those of other articles
    return ParsedPage(name, kind, strip.items, headline, summary, link, strip.as_of, strip.problems,
                      own.moment if own else None, own.day_only if own else False, own.where if own else None,
                      cleaned.truncated and headline is not None, links)


def decode_page(body: bytes, name: str, content_type: str | None = None) -> tuple[str, bool]:
    """The page's text and whether it is HTML; NotAPage for empty, binary or undecodable bytes."""
    if not body.strip():
        raise NotAPage(f"{name}: the file is empty, not a news page")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        nul = body.find(b"\x00")
        if nul >= 0:
            raise NotAPage(f"{name}: not a news page (binary data: NUL byte at offset {nul})")
        encoding = "utf-8" if _is_utf8(body) else _declared_charset(body, content_type) or "utf-8"
    try:
        text = body.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        raise NotAPage(f"{name}: not a news page (not {encoding} text: byte 0x{body[exc.start]:02x} "
                       f"at offset {exc.start})") from None
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 100):
        raise NotAPage(f"{name}: not a news page (binary data: {controls} control characters)")
    looks_html = bool(_HTML_START.search(text[:65536])) and text.lstrip().startswith("<")
    return text, looks_html or ("html" in (content_type or "").lower() and "<" in text)


def _is_utf8(body: bytes) -> bool:
    """Whether the bytes are valid UTF-8: then they are UTF-8 whatever a page declares (a saved
    copy is often re-encoded with its old <meta> kept; legacy Cyrillic text is never valid UTF-8)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the HTTP header or a <meta> declares, when Python knows it."""
    found = _HTTP_CHARSET.search(content_type or "")
    name = found.group(1) if found else None
    if name is None and (meta := _META_CHARSET.search(body[:8192])):
        name = meta.group(1).decode("ascii")
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# -- text pages ---------------------------------------------------------------------------------

def sentence_like(text: str) -> bool:
    """At least three words and mostly letters: a headline or a paragraph, not a menu item."""
    letters = sum(ch.isalpha() for ch in text)
    return len(text.split()) >= 3 and letters * 2 >= len(text.replace(" ", ""))


_CODE_CHARS = re.compile(r"[=<>{}`]|^\s*#")
MIN_BODY_WORDS = 8


def headline_like(text: str) -> bool:
    """Sentence-like text without the marks of code, markup or configuration (`=`, `<>`, `{}`,
    backticks, a leading `#`), starting with a capital (headlines do; code and prose fragments
    mostly don't), not ending as a fragment (`,` `;` `(` `[`)."""
    first = next((ch for ch in text if ch.isalpha()), "")
    return (sentence_like(text) and not first.islower() and not _CODE_CHARS.search(text)
            and not text.rstrip().endswith((",", ";", "(", "[")))


def looks_tabular(lines: Sequence[str]) -> bool:
    """The first non-blank lines are records (CSV, TSV): at least three of them in a row with the
    same number (two or more) of one separator."""
    rows = [line for line in lines if line.strip()][:5]
    if len(rows) < 3:
        return False
    return any(len({row.count(sep) for row in rows[:3]}) == 1 and rows[0].count(sep) >= 2 for sep in ",;\t|")


def _read_text(text: str) -> tuple[Strip, str | None, str, None, PageTime | None]:
    lines = text.splitlines()
    strip = find_strip(lines, infer_layout=True)
    at = next((i for i, line in enumerate(lines) if i not in strip.lines and headline_like(line.strip())),
              None)
    if at is None or len(lines[at].strip()) > MAX_HEADLINE:
        return strip, None, "", None, None
    if not strip.items and looks_tabular(lines):
        return strip, None, "", None, None   # a data file, not a page
    own, own_line = _text_time(lines, at, strip.lines)
    paragraph: list[str] = []
    for index in range(at + 1, len(lines)):
        line = lines[index]
        if index == own_line:
            continue  # the page's date line: no part of the summary
        if line.strip():
            paragraph.append(line.strip())
        elif paragraph:
            break
    summary = decode_entities(" ".join(paragraph))
    summary = summary if sentence_like(summary) and not _CODE_CHARS.search(summary) else ""
    if not strip.items and len(summary.split()) < MIN_BODY_WORDS:
        return strip, None, "", None, None   # without a strip, a page needs an article: a headline and its body
    return strip, decode_entities(" ".join(lines[at].split())), summary, None, own


def _text_time(lines: list[str], at: int, strip_lines: frozenset[int]) -> tuple[PageTime | None, int | None]:
    """The page time a full date-and-time line next to the headline (line `at`) states, and
    that line's index: the nearest of the PAGE_TIME_LINES non-blank lines before and after it."""
    before = [i for i in range(at - 1, -1, -1) if lines[i].strip() and i not in strip_lines][:PAGE_TIME_LINES]
    after = [i for i in range(at + 1, len(lines)) if lines[i].strip()][:PAGE_TIME_LINES]
    for index in sorted(before + after, key=lambda i: (abs(i - at), i)):
        own = text_page_time(lines[index].strip())
        if own is not None:
            return own, index
    return None, None


# -- HTML pages ---------------------------------------------------------------------------------

def _read_html(text: str, name: str, base: str | None) \
        -> tuple[Strip, str | None, str, str | None, PageTime | None, tuple[PageLink, ...]]:
    try:
        root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", text))
    except (etree.ParserError, ValueError) as exc:
        raise NotAPage(f"{name}: not a news page (HTML that cannot be parsed: {exc})") from None
    own = html_page_time(root)   # before the scripts go: JSON-LD is a script
    etree.strip_elements(root, *_DROP, with_tail=False)
    heading = next((h for h in root.iter("h1") if _element_text(h)), None)
    headline = _element_text(heading) if heading is not None else decode_entities(_meta(root, "og:title"))
    summary = ""
    if heading is not None:
        summary = next((t for p in heading.xpath("following::p") if sentence_like(t := _element_text(p))), "")
    if not summary and headline:
        summary = decode_entities(_meta(root, "og:description") or _meta(root, "description") or "")
    link = next((safe_link(e.get("href")) for e in root.xpath("//link[@rel='canonical'][@href]")), None) \
        or safe_link(_meta(root, "og:url"))
    if own is None:
        own = article_time(root, heading)
    links = linked_headlines(root, base or link, headline_like)   # before _html_lines changes the tree
    strip = find_strip(_html_lines(root), infer_layout=False)
    return strip, headline or None, summary, link, own, links


def _element_text(element) -> str:
    return html_to_text(lxml.html.tostring(element, encoding="unicode", with_tail=False))


def _meta(root, key: str) -> str | None:
    for meta in root.iter("meta"):
        if key in (meta.get("property"), meta.get("name")) and (meta.get("content") or "").strip():
            return " ".join(meta.get("content").split())
    return None


def _html_lines(root) -> list[str]:
    """The document's visible text as lines: a line break around every block element; blank
    lines dropped (in HTML they carry no meaning). Changes `root`."""
    for element in root.iter(*_LINE_BREAKING):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    body = root.find("body")
    content = (body if body is not None else root).text_content()
    return [line for line in (" ".join(raw.split()) for raw in content.split("\n")) if line]
