"""GDELT artlist parsing, request parameters and time slicing (pure), on hand-made pages in the
real format (tests/fixtures/gdelt)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ingest.records import Headline
from ingest.sources.base import MalformedResponse, RateLimited
from ingest.sources.gdelt import ArtlistPage, gdelt_params, parse_artlist, parse_artlist_page, parse_seendate
from ingest.sources.gdelt_slices import (
    Slice,
    backfill_range,
    initial_slices,
    pending_slices,
    split_slice,
    truncated_problem,
)
from tests.conftest import utc
from tests.servers.gdelt import fixture

FETCHED = utc(2023, 6, 22, 8, 0)


def test_artlist_page_exact_headlines():
    headlines = parse_artlist(fixture("artlist-page.json"), FETCHED)
    assert headlines == [
        Headline(source="gdelt:reuters.com",
                 guid="https://www.reuters.com/world/europe/eu-agrees-11th-sanctions-package-against-russia-2023-06-21/",
                 title="EU agrees 11th sanctions package against Russia", published=utc(2023, 6, 21, 15, 45),
                 fetched=FETCHED, summary="",
                 link="https://www.reuters.com/world/europe/eu-agrees-11th-sanctions-package-against-russia-2023-06-21/"),
        Headline(source="gdelt:aljazeera.com", guid="https://www.aljazeera.com/economy/2023/6/21/oil-prices-rise",
                 title="Oil prices rise as OPEC & allies weigh output cut , analysts say",
                 published=utc(2023, 6, 21, 15, 0), fetched=FETCHED, summary="",
                 link="https://www.aljazeera.com/economy/2023/6/21/oil-prices-rise"),
        Headline(source="gdelt:ria.ru", guid="https://ria.ru/20230621/sanktsii-1879658012.html",
                 title="Санкции ЕС : что вошло в 11 - й пакет", published=utc(2023, 6, 21, 14, 30),
                 fetched=FETCHED, summary="", link="https://ria.ru/20230621/sanktsii-1879658012.html"),
    ]
    assert all(h.published.tzinfo is not None and not h.time_inferred for h in headlines)


def test_page_counts_returned_articles_and_lists_skipped_ones():
    body = (b'{"articles": [{"url": "https://a.example/1", "title": "Fine", "seendate": "20230621T154500Z",'
            b' "domain": "a.example"}, {"url": "", "title": "No url", "seendate": "20230621T154500Z"},'
            b' {"url": "https://b.example/2", "title": "  ", "seendate": "20230621T154500Z", "domain": "b.example"},'
            b' {"url": "https://c.example/3", "title": "Bad date", "seendate": "2023-06-21 15:45",'
            b' "domain": "c.example"}, {"url": "javascript:alert(1)", "title": "No host", '
            b'"seendate": "20230621T154500Z"}, {"url": "https://www.d.example/4", "title": "Host as domain",'
            b' "seendate": "20230621T154500Z"}, 7]}')
    page = parse_artlist_page(body, FETCHED)
    assert page.articles == 7
    assert [(h.source, h.guid, h.link) for h in page.headlines] == [
        ("gdelt:a.example", "https://a.example/1", "https://a.example/1"),
        ("gdelt:d.example", "https://www.d.example/4", "https://www.d.example/4")]
    assert page.skipped == [
        "article 2: no url",
        "article 3 (https://b.example/2): no title",
        "article 4 (https://c.example/3): unreadable seendate '2023-06-21 15:45'",
        "article 5 (javascript:alert(1)): no usable domain",
        "article 7: not a JSON object",
    ]


def test_a_link_that_is_not_http_is_dropped_but_the_headline_kept():
    body = (b'{"articles": [{"url": "ftp://files.example.org/a.txt", "title": "T", '
            b'"seendate": "20230621T154500Z", "domain": "files.example.org"}]}')
    [headline] = parse_artlist(body, FETCHED)
    assert (headline.guid, headline.link, headline.source) == (
        "ftp://files.example.org/a.txt", None, "gdelt:files.example.org")


def test_invalid_escapes_are_tolerated_and_valid_ones_kept():
    headlines = parse_artlist(fixture("artlist-invalid-escape.json"), FETCHED)
    assert [(h.source, h.title, h.published) for h in headlines] == [
        ("gdelt:tass.com", 'Kremlin says it\'s ready for "serious" talks on Ukraine — Peskov', utc(2023, 6, 21, 12)),
        ("gdelt:dw.com", "Ukraine war updates : Kyiv reports advances near Bakhmut\\ Zaporizhzhia",
         utc(2023, 6, 21, 11, 30)),
    ]


def test_empty_result_is_an_empty_object():
    assert parse_artlist_page(fixture("empty.json"), FETCHED) == ArtlistPage([], 0, [])
    assert parse_artlist_page(b'{"articles": []}', FETCHED) == ArtlistPage([], 0, [])


def test_rate_limit_text_is_rate_limited_and_quoted():
    with pytest.raises(RateLimited) as info:
        parse_artlist(fixture("rate-limit.txt"), FETCHED, what="GDELT 'oil' 2023-06-21 00:00..2023-06-22 00:00 UTC")
    assert str(info.value) == (
        "GDELT 'oil' 2023-06-21 00:00..2023-06-22 00:00 UTC: GDELT asks to slow down: \"Please limit requests to "
        "one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries.\"")
    assert info.value.retry_after is None


@pytest.mark.parametrize("body, message", [
    (fixture("phrase-too-short.txt"),
     'GDELT artlist: GDELT answered with text, not JSON: "The specified phrase is too short."'),
    (b"<html><body><h1>502 Bad Gateway</h1></body></html>",
     'GDELT artlist: GDELT answered with text, not JSON: "502 Bad Gateway"'),
    (fixture("truncated.json"), "GDELT artlist: malformed JSON: Unterminated string starting at: "
                                "line 1 column 215 (char 214)"),
    (b"   ", "GDELT artlist: empty response body (GDELT answers {} when nothing matches)"),
    (b"[1, 2]", "GDELT artlist: expected a JSON object, got list"),
    (b'{"timeline": []}', "GDELT artlist: no 'articles' list in the JSON (keys: timeline)"),
    (b'{"articles": [{"title": "x\\q"}', "GDELT artlist: malformed JSON: Expecting ',' delimiter: "
                                         "line 1 column 30 (char 29)"),
])
def test_what_is_not_an_artlist_is_malformed_with_a_clear_message(body, message):
    with pytest.raises(MalformedResponse) as info:
        parse_artlist(body, FETCHED)
    assert str(info.value) == message


def test_seendate():
    assert parse_seendate("20230918T031500Z") == utc(2023, 9, 18, 3, 15)
    assert parse_seendate("20230918T031500") is None
    assert parse_seendate(None) is None
    assert parse_seendate(20230918) is None


def test_params():
    assert gdelt_params(' "oil price" sanctions ', utc(2023, 9, 18), utc(2023, 9, 19), 250) == {
        "query": '"oil price" sanctions', "mode": "artlist", "format": "json", "maxrecords": "250",
        "sort": "datedesc", "startdatetime": "20230918000000", "enddatetime": "20230918235959"}
    assert gdelt_params("oil", utc(2023, 9, 18, 10, 7, 30), utc(2023, 9, 18, 10, 30), 10)["enddatetime"] == \
        "20230918102959"
    with pytest.raises(ValueError, match="the GDELT query is empty"):
        gdelt_params("  ", utc(2023, 9, 18), utc(2023, 9, 19))
    with pytest.raises(ValueError, match="max_records must be 1..250, got 251"):
        gdelt_params("oil", utc(2023, 9, 18), utc(2023, 9, 19), 251)


def test_initial_slices_cover_the_range_exactly():
    assert initial_slices(utc(2023, 9, 18, 6), utc(2023, 9, 20), timedelta(hours=24)) == [
        Slice(utc(2023, 9, 18, 6), utc(2023, 9, 19, 6)), Slice(utc(2023, 9, 19, 6), utc(2023, 9, 20))]
    with pytest.raises(ValueError, match="slice length 0:10:00 is shorter than GDELT's 0:15:00 updates"):
        initial_slices(utc(2023, 9, 18), utc(2023, 9, 19), timedelta(minutes=10))


def test_split_halves_down_to_the_minimum():
    day = Slice(utc(2023, 9, 18), utc(2023, 9, 19))
    assert split_slice(day) == (Slice(utc(2023, 9, 18), utc(2023, 9, 18, 12)),
                                Slice(utc(2023, 9, 18, 12), utc(2023, 9, 19)))
    odd = Slice(utc(2023, 9, 18, 10, 7, 30), utc(2023, 9, 18, 10, 52, 31))  # 45 min 1 s
    assert split_slice(odd) == (Slice(odd.start, utc(2023, 9, 18, 10, 30)), Slice(utc(2023, 9, 18, 10, 30), odd.end))
    assert split_slice(Slice(utc(2023, 9, 18, 10), utc(2023, 9, 18, 10, 29, 59))) is None
    assert split_slice(Slice(utc(2023, 9, 18, 10), utc(2023, 9, 18, 10, 30))) == (
        Slice(utc(2023, 9, 18, 10), utc(2023, 9, 18, 10, 15)),
        Slice(utc(2023, 9, 18, 10, 15), utc(2023, 9, 18, 10, 30)))
    assert truncated_problem(Slice(utc(2023, 9, 18, 10, 7, 30), utc(2023, 9, 18, 10, 30)), 250) == (
        "slice 2023-09-18 10:07:30..2023-09-18 10:30 UTC still truncated at 250 articles "
        "(its halves would be shorter than 15 min)")


def test_pending_slices_skip_what_is_done_including_split_halves():
    days = initial_slices(utc(2023, 9, 18), utc(2023, 9, 21), timedelta(days=1))
    done = [(utc(2023, 9, 18), utc(2023, 9, 18, 12)),      # first half of a split day
            (utc(2023, 9, 19), utc(2023, 9, 20)),          # a whole day
            (utc(2023, 9, 20, 6), utc(2023, 9, 20, 9))]    # a piece in the middle
    assert pending_slices(days, done) == [
        Slice(utc(2023, 9, 18, 12), utc(2023, 9, 19)),
        Slice(utc(2023, 9, 20), utc(2023, 9, 20, 6)),
        Slice(utc(2023, 9, 20, 9), utc(2023, 9, 21)),
    ]
    assert pending_slices(days, [(utc(2023, 9, 17), utc(2023, 9, 22))]) == []
    assert pending_slices(days, []) == days


def test_backfill_range_stays_within_gdelt_archive_and_settled_time():
    assert backfill_range(utc(2023, 9, 18), utc(2023, 9, 20), utc(2024, 1, 1)) == (
        Slice(utc(2023, 9, 18), utc(2023, 9, 20)), [])
    span, notes = backfill_range(utc(2016, 6, 1), utc(2023, 9, 20, 12), utc(2023, 9, 20, 10, 30))
    assert span == Slice(utc(2017, 1, 1), utc(2023, 9, 20, 9, 30))
    assert notes == ["GDELT's DOC API searches back to 2017-01-01: starting there, not at 2016-06-01 00:00",
                     "the last hour is still being indexed by GDELT: stopping at 2023-09-20 09:30 UTC"]
    with pytest.raises(ValueError, match="nothing to backfill: since 2023-09-20 00:00 is not before until "
                                         "2023-09-19 00:00 UTC"):
        backfill_range(utc(2023, 9, 20), utc(2023, 9, 19), utc(2024, 1, 1))
    with pytest.raises(ValueError, match="since 2023-09-18T00:00:00 has no time zone"):
        backfill_range(datetime(2023, 9, 18), utc(2023, 9, 19), utc(2024, 1, 1))


def test_titles_escaped_once_or_twice_are_decoded():
    body = (b'{"articles": [{"url": "https://a.example/1", '
            b'"title": "Putin&amp;#039;s visit &amp;amp; India&#039;s oil", '
            b'"seendate": "20230621T154500Z", "domain": "a.example"}]}')
    [headline] = parse_artlist(body, FETCHED)
    assert headline.title == "Putin's visit & India's oil"
