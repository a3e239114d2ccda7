"""Every kind of source — prices, feeds, news pages, GDELT history — is a unit behind the one
interface (ingest.sources.base.Source): a key, a group, and `fetch(plan)` returning a
FetchResult, which the shells record and store the same way."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.config import HttpConfig
from ingest.records import FetchResult
from ingest.sources import load_class
from ingest.sources.base import FetchPlan, PermanentError, Source
from ingest.sources.gdelt import GdeltFetch, GdeltSlice
from ingest.sources.gdelt_slices import Slice
from ingest.sources.http import HttpClient
from ingest.sources.pages import PageFetch, PageSource
from ingest.sources.registry import UNIT_CLASSES
from tests.conftest import utc
from tests.servers.gdelt import FakeGdelt, article

PLAN = FetchPlan(now=utc(2024, 5, 1, 12), backfill_since=date(2015, 1, 1))
MARKS = {"$": "usd_rub", "€": "eur_rub", "BR": "brent"}


@pytest.mark.parametrize("path", UNIT_CLASSES)
def test_every_registered_unit_is_a_source(path):
    cls = load_class(path)
    assert issubclass(cls, Source)
    assert cls.group in ("prices", "feeds", "pages", "news")


def test_a_saved_page_is_a_unit_returning_its_strip_and_headline(shared_data):
    given = utc(2024, 4, 30, 9, 15)
    unit = PageSource(str(shared_data / "pages" / "news-page-header-tickers.txt"), instruments=MARKS,
                      max_bytes=1_000_000, captured_at=given)
    assert (unit.key, unit.group) == ("page:news-page-header-tickers.txt", "pages")
    result = unit.fetch(PLAN)
    assert isinstance(result, PageFetch) and isinstance(result, FetchResult)
    assert [(s.mark, s.instrument_id, s.value, s.captured_at, s.captured_from) for s in result.snapshots] == [
        ("$", "usd_rub", 87.70, given, "given"), ("€", "eur_rub", 95.44, given, "given"),
        ("BR", "brent", 90.06, given, "given")]       # in the strip's order
    [headline] = result.headlines
    assert (headline.published, headline.fetched, headline.time_inferred) == (given, PLAN.now, True)
    assert (result.captured_from, result.problems) == ("given", [])


def test_a_page_unit_refuses_what_it_cannot_fetch():
    unit = PageSource("ftp://example.org/page.txt", instruments=MARKS, max_bytes=1000)
    with pytest.raises(PermanentError, match="only http and https URLs can be fetched"):
        unit.fetch(PLAN)
    with pytest.raises(ValueError, match="timezone-aware"):
        PageSource("x.txt", instruments=MARKS, max_bytes=1000, captured_at=utc(2024, 1, 1).replace(tzinfo=None))


def test_a_gdelt_slice_is_a_unit_returning_its_headlines():
    day = Slice(utc(2023, 6, 1), utc(2023, 6, 2))
    articles = [article(f"https://www.news.example.com/{i}", f"Sanctions story {i}", utc(2023, 6, 1, i))
                for i in range(3)]
    with FakeGdelt(articles) as fake:
        unit = GdeltSlice("sanctions", day, url=fake.url, client=HttpClient(HttpConfig(retries=0)))
        result = unit.fetch(PLAN)
    assert (unit.key, unit.group) == ("gdelt:2023-06-01 00:00..2023-06-02 00:00 UTC", "news")
    assert isinstance(result, GdeltFetch) and isinstance(result, FetchResult)
    assert (result.articles, result.skipped) == (3, [])
    assert sorted(h.title for h in result.headlines) == ["Sanctions story 0", "Sanctions story 1",
                                                        "Sanctions story 2"]
    assert {h.source for h in result.headlines} == {"gdelt:news.example.com"}
