"""GDELT DOC 2.0 article lists: request parameters, parsing of `mode=artlist&format=json` pages
into headlines (pure), and `GdeltSlice`, the source unit that fetches one time slice of a query
(ingest.sources.gdelt_slices cuts the slices; the backfill shell that paces, retries, splits and
stores them is ingest/runners/news_backfill.py).

What GDELT sends, as observed: `{"articles": [{"url", "url_mobile", "title", "seendate"
("20230918T031500Z", UTC, at its 15-minute update times), "socialimage", "domain", "language",
"sourcecountry"}, ...]}`; `{}` when nothing matched; refusals as plain text, often with HTTP 200
("Please limit requests to one every 5 seconds ...", "The specified phrase is too short"); and
now and then JSON with invalid backslash escapes in a title (\\' for an apostrophe): the
backslash is dropped, valid escapes are left alone. Titles become plain text with their HTML
entities decoded, twice-escaped ones (`&amp;#039;`) too, capped in length (ingest.headline_text). A seendate
after the fetch is left to the store's rule (ingest.headline_times: the fetch time, inferred).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from urllib.parse import urlsplit

from ingest.clean import html_to_text, safe_link
from ingest.headline_text import headline_text
from ingest.records import FetchResult, Headline
from ingest.sources.base import FetchPlan, MalformedResponse, RateLimited, Source
from ingest.sources.gdelt_slices import Slice
from ingest.sources.http import HttpClient
from ingest.utc import aware_utc

SOURCE = "gdelt"                      # the source name of backfill slices and runs
SOURCE_PREFIX = "gdelt:"              # headline sources are gdelt:<domain>
MAX_RECORDS = 250                     # GDELT returns at most this many articles per request
RATE_LIMIT_MARKER = "limit requests"  # in GDELT's plain-text "Please limit requests to ..."
_SEENDATE = "%Y%m%dT%H%M%SZ"
_PARAM_TIME = "%Y%m%d%H%M%S"
_MAX_DOMAIN = 190                     # the store's source column holds 200 characters
_QUOTED_TEXT = 300
# A JSON string escape, or a lone backslash (GDELT's invalid escapes, such as \')
_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})|\\')


@dataclass(frozen=True)
class ArtlistPage:
    """One parsed artlist response: its headlines, how many articles GDELT returned (to tell a
    page cut at the cap), and the articles skipped with the reason."""

    headlines: list[Headline] = field(default_factory=list)
    articles: int = 0
    skipped: list[str] = field(default_factory=list)


def gdelt_params(query: str, start: datetime, end: datetime, max_records: int = MAX_RECORDS) -> dict[str, str]:
    """Query parameters of one artlist request for the slice [start, end): newest first, with
    `enddatetime` one second before `end` (GDELT includes both ends; adjacent slices must not
    overlap)."""
    if not query.strip():
        raise ValueError("the GDELT query is empty")
    if not 1 <= max_records <= MAX_RECORDS:
        raise ValueError(f"max_records must be 1..{MAX_RECORDS}, got {max_records}")
    return {
        "query": query.strip(),
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(max_records),
        "sort": "datedesc",
        "startdatetime": aware_utc(start, "start").strftime(_PARAM_TIME),
        "enddatetime": (aware_utc(end, "end") - timedelta(seconds=1)).strftime(_PARAM_TIME),
    }


def parse_seendate(value: object) -> datetime | None:
    """GDELT's '20230918T031500Z' as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), _SEENDATE).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_artlist_page(body: bytes, fetched: datetime, *, what: str = "GDELT artlist") -> ArtlistPage:
    """Parse one artlist JSON page. Raise RateLimited for GDELT's plain-text "limit requests"
    refusal, MalformedResponse (quoting GDELT's text) for any other body that is not an artlist.
    Articles without a url, title, readable seendate or domain are skipped and listed."""
    data = _load_json(body, what)
    if not isinstance(data, dict):
        raise MalformedResponse(f"{what}: expected a JSON object, got {type(data).__name__}")
    if not data:
        return ArtlistPage()  # GDELT's answer when nothing matched
    items = data.get("articles")
    if not isinstance(items, list):
        keys = ", ".join(sorted(map(str, data))[:5])
        raise MalformedResponse(f"{what}: no 'articles' list in the JSON (keys: {keys})")
    headlines, skipped = [], []
    for index, item in enumerate(items, start=1):
        result = _headline(item, index, fetched)
        (headlines if isinstance(result, Headline) else skipped).append(result)
    return ArtlistPage(headlines, len(items), skipped)


def parse_artlist(body: bytes, fetched: datetime, *, what: str = "GDELT artlist") -> list[Headline]:
    """The headlines of one artlist JSON page (see parse_artlist_page)."""
    return parse_artlist_page(body, fetched, what=what).headlines


def _load_json(body: bytes, what: str) -> object:
    text = body.decode("utf-8-sig", errors="replace").strip()
    if not text:
        raise MalformedResponse(f"{what}: empty response body (GDELT answers {{}} when nothing matches)")
    if text[0] not in "{[":
        said = html_to_text(text)[:_QUOTED_TEXT]
        if RATE_LIMIT_MARKER in said.lower():
            raise RateLimited(f'{what}: GDELT asks to slow down: "{said}"')
        raise MalformedResponse(f'{what}: GDELT answered with text, not JSON: "{said}"')
    try:
        return json.loads(text, strict=False)  # strict=False: raw tabs/newlines inside titles
    except json.JSONDecodeError as exc:
        if "escape" not in exc.msg:
            raise MalformedResponse(f"{what}: malformed JSON: {exc}") from None
    # a valid escape stays as it is; a lone backslash (\' for an apostrophe) is dropped
    repaired = _ESCAPE.sub(lambda m: m.group(0) if len(m.group(0)) > 1 else "", text)
    try:
        return json.loads(repaired, strict=False)
    except json.JSONDecodeError as exc:
        raise MalformedResponse(f"{what}: malformed JSON: {exc}") from None


def _headline(item: object, index: int, fetched: datetime) -> Headline | str:
    """A Headline, or why article `index` (1-based) was skipped."""
    if not isinstance(item, dict):
        return f"article {index}: not a JSON object"
    url = item.get("url")
    if not isinstance(url, str) or not url.strip():
        return f"article {index}: no url"
    url = url.strip()
    raw_title = item.get("title")
    text = headline_text(raw_title if isinstance(raw_title, str) else "")
    title = text.title
    if not title:
        return f"article {index} ({url}): no title"
    seen = parse_seendate(item.get("seendate"))
    if seen is None:
        return f"article {index} ({url}): unreadable seendate {item.get('seendate')!r}"
    domain = _domain(item.get("domain"), url)
    if domain is None:
        return f"article {index} ({url}): no usable domain"
    return Headline(source=SOURCE_PREFIX + domain, guid=url, title=title, published=seen,
                    fetched=fetched, summary="", link=safe_link(url), text_truncated=text.truncated)


def _domain(value: object, url: str) -> str | None:
    """GDELT's domain, lower-case; else the URL's host without 'www.'; None when neither works."""
    domain = value.strip().lower() if isinstance(value, str) else ""
    if not domain:
        try:
            domain = (urlsplit(url).hostname or "").removeprefix("www.")
        except ValueError:
            return None
    if not domain or len(domain) > _MAX_DOMAIN or any(ch.isspace() for ch in domain):
        return None
    return domain


# -- slicing ------------------------------------------------------------------------------------


@dataclass
class GdeltFetch(FetchResult):
    """What one slice's request returned: its headlines, how many articles GDELT sent (a page at
    the cap means the slice must be split), and the articles skipped with the reason."""

    articles: int = 0
    skipped: list[str] = field(default_factory=list)


class GdeltSlice(Source):
    """One time slice of a GDELT query as a source unit: one artlist request, parsed. Retries are
    the backfill's (it paces every request to GDELT), so `client` should not retry."""

    group: ClassVar[str] = "news"

    def __init__(self, query: str, item: Slice, *, url: str, client: HttpClient, max_records: int = MAX_RECORDS):
        self.query, self.slice, self.url, self.client = query, item, url, client
        self.params = gdelt_params(query, item.start, item.end, max_records)
        self.key = f"{SOURCE}:{item.label}"
        self.what = f"GDELT {query!r} {item.label}"

    def fetch(self, plan: FetchPlan) -> GdeltFetch:
        """Request and parse the slice's page; `plan.now` is the headlines' fetch time."""
        response = self.client.get(self.url, params=self.params, what=self.what)
        page = parse_artlist_page(response.content, plan.now, what=self.what)
        return GdeltFetch(headlines=page.headlines, articles=page.articles, skipped=page.skipped)
