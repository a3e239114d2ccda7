"""A headline's title and summary as stored (pure): plain text of a bounded length. The one rule,
applied where every headline enters — feeds (ingest.sources.feeds), CSV import
(ingest.csvio.csv_headlines), GDELT (ingest.sources.gdelt), saved and fetched news pages
(ingest.pages.page) — and to text already stored (the schema-v9 migration, `newsmarks retag`).

- Plain text: ingest.clean.html_to_text (tags stripped, the content of script, style, xmp,
  textarea, iframe, noscript… dropped, entities decoded and what they decode to stripped again,
  control and bidi override characters removed, whitespace collapsed).
- Length: a title keeps at most TITLE_CAP characters, a summary SUMMARY_CAP; a longer one is cut
  at a word boundary near the cap, ends in `…`, and the headline is flagged `text_truncated`.
  The longest real titles seen are about 310 characters (r/worldnews), summaries about 1,900
  (the Guardian's); a 15 MB title once made every chart and table answer showing it 15 MB.
- Cost: a field is read up to RAW_CAP characters at all (a longer one is flagged truncated
  whatever its text), so a hostile 15 MB field costs no more than a 1 MB one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.clean import html_to_text

TITLE_CAP = 500          # characters of a stored title, `…` included
SUMMARY_CAP = 5_000      # characters of a stored summary, `…` included
RAW_CAP = 1_000_000      # characters of a field read before cleaning
ELLIPSIS = "…"
_WORD_BACK = 40          # a cut moves back to a space at most this many characters


@dataclass(frozen=True)
class HeadlineText:
    """A headline's title and summary as stored, and whether either was cut to its cap."""

    title: str
    summary: str
    truncated: bool


def capped(text: str, cap: int) -> tuple[str, bool]:
    """`text` when it holds at most `cap` characters; else its first characters up to a space
    near the cap (within _WORD_BACK characters; else at the cap itself), trailing spaces off,
    and `…`, `cap` characters at most — and whether it was cut."""
    if len(text) <= cap:
        return text, False
    room = cap - len(ELLIPSIS)
    head = text[:room]
    if not text[room].isspace():   # the cut falls inside a word: back to the space before it
        space = head.rfind(" ", room - _WORD_BACK)
        if space > 0:
            head = head[:space]
    return head.rstrip() + ELLIPSIS, True


def headline_text(title: str | None, summary: str | None = "") -> HeadlineText:
    """The title and summary as stored: plain text (ingest.clean.html_to_text) capped at
    TITLE_CAP and SUMMARY_CAP characters (see the module docstring). An empty title stays empty:
    the caller decides what a headline without one is."""
    title, title_cut = _plain(title, TITLE_CAP)
    summary, summary_cut = _plain(summary, SUMMARY_CAP)
    return HeadlineText(title, summary, title_cut or summary_cut)


def _plain(raw: str | None, cap: int) -> tuple[str, bool]:
    if not raw:
        return "", False
    over = len(raw) > RAW_CAP
    if over:
        raw = raw[:RAW_CAP]
        if raw.rfind("<") > raw.rfind(">"):   # a tag cut in two: without its first half
            raw = raw[:raw.rfind("<")]
    text, cut = capped(html_to_text(raw), cap)
    return text, cut or over
