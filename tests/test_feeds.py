"""Feed source: the real feedparser and requests code against a loopback server serving real
captures (../shared/data/feeds) and small hand-made feeds (tests/fixtures/feeds)."""

from __future__ import annotations

import codecs
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from ingest.config import Config
from ingest.config_sections import FeedConfig
from ingest.sources import build_sources
from ingest.sources.base import (
    FeedState,
    FetchPlan,
    Headline,
    MalformedResponse,
    PermanentError,
    RateLimited,
    TransientError,
)
from ingest.sources.feed_entities import declares_entities
from ingest.sources.feeds import FeedSource, ParsedFeed, parse_feed
from ingest.sources.http import HttpClient
from tests.servers.feeds import DEFAULT_LAST_MODIFIED, FEEDS_DIR, FeedServer, content_etag

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
HTTP = {"backoff": 0.01, "backoff_max": 0.02, "retries": 2, "read_timeout": 2, "connect_timeout": 2}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def plan(etag: str | None = None, last_modified: str | None = None) -> FetchPlan:
    return FetchPlan(now=NOW, backfill_since=date(2015, 1, 1), etag=etag, last_modified=last_modified)


@pytest.fixture(scope="module")
def server():
    with FeedServer() as running:
        for path in sorted(FIXTURES.glob("*.xml")):
            running.add(path.name, path.read_bytes())
        yield running


@pytest.fixture(autouse=True)
def _clean_script(server):
    server.reset()
    yield
    server.reset()


def source_for(server: FeedServer, name: str, **http) -> FeedSource:
    config = Config.model_validate({"http": {**HTTP, **http}, "feeds": [], "pages": []})
    feed = FeedConfig(name=f"Test {name}", url=server.url_for(name))
    return FeedSource(feed, config, HttpClient(config.http))


def fetch(server: FeedServer, name: str, **http):
    return source_for(server, name, **http).fetch(plan())


# -- real captures ---------------------------------------------------------------------------

REAL = {
    # name: (count, index, guid, title, link, published UTC, summary)
    "guardian-world-20210523.xml": (41, 1,
        "https://www.theguardian.com/world/2021/may/23/belarus-diverts-ryanair-plane-to-arrest-blogger-says-opposition",
        "Belarus accused of ‘hijacking’ Ryanair flight diverted to arrest blogger",
        "https://www.theguardian.com/world/2021/may/23/belarus-diverts-ryanair-plane-to-arrest-blogger-says-opposition",
        utc(2021, 5, 23, 15, 14, 19), None),
    "guardian-us-20180131.xml": (55, 54,
        "https://www.theguardian.com/artanddesign/gallery/2018/jan/31/earths-ultimate-yogis-in-pictures-yoga",
        "Earth's ultimate yogis – in pictures",
        "https://www.theguardian.com/artanddesign/gallery/2018/jan/31/earths-ultimate-yogis-in-pictures-yoga",
        utc(2018, 1, 31, 7, 0, 20),
        "Worried that fitness obsessives were making yoga too commercial, photographer Andy Richter went in "
        "search of the true spiritual path – from mass retreats in America to caves in India Continue reading..."),
    # -0500 offsets; feedburner link, guid from <guid>; feedflare markup stripped from the summary.
    "reuters-worldnews-20180130.xml": (10, 0,
        "http://www.reuters.com/article/us-northkorea-missiles-usa/u-s-general-says-north-korea-not-"
        "demonstrated-all-components-of-icbm-idUSKBN1FJ23Z?feedType=RSS&feedName=worldNews",
        "U.S. general says North Korea not demonstrated all components of ICBM",
        "http://feeds.reuters.com/~r/Reuters/worldNews/~3/c3wXZD4kLB8/u-s-general-says-north-korea-not-"
        "demonstrated-all-components-of-icbm-idUSKBN1FJ23Z",
        utc(2018, 1, 30, 17, 29, 57),
        "WASHINGTON (Reuters) - North Korea's nuclear program has made strides in recent months but the "
        "country has not yet demonstrated all the components of an intercontinental ballistic missile "
        "(ICBM), including a survivable re-entry vehicle, the vice chairman of the U.S. Joint Chiefs of "
        "Staff said on Tuesday."),
    # -0400 offsets, &#39; entities, a stray <meta> in <rss>.
    "huffpost-world-20190630.xml": (31, 30,
        "https://www.huffpost.com/entry/un-probe-saudi-prince-jamal-khashoggi_n_5d0a1296e4b0e560b70c11b0",
        "UN Calls For Probe Of Saudi Prince's Role In Jamal Khashoggi Death",
        "https://www.huffpost.com/entry/un-probe-saudi-prince-jamal-khashoggi_n_5d0a1296e4b0e560b70c11b0",
        utc(2019, 6, 19, 10, 53, 56),
        'An independent U.N. human rights expert cited "credible evidence" of the possible role of Saudi '
        "Crown Prince Mohammed bin Salman in the journalist's death."),
    # CDATA titles and descriptions, GMT.
    "bbc-world-20170120.xml": (3, 2,
        "http://www.bbc.co.uk/news/world-middle-east-38689131",
        "Syria: IS destroys part of Palmyra's Roman Theatre",
        "http://www.bbc.co.uk/news/world-middle-east-38689131",
        utc(2017, 1, 20, 12, 42, 59),
        "IS militants destroy part of the Roman Theatre's facade and a nearby monument."),
    "bbc-world-20260726-trimmed.xml": (4, 0,
        "https://www.bbc.co.uk/news/articles/cevmdxz4872o#0",
        "What we know so far about the Berlin Pride ramming attack",
        "https://www.bbc.co.uk/news/articles/cevmdxz4872o?at_medium=RSS&at_campaign=rss",
        utc(2026, 7, 26, 9, 18, 33),
        "A police manhunt is underway after a suspect rammed a car into a crowd at a Pride event in the "
        "German capital on Saturday night."),
    # RSS 1.0 (RDF) with dc:date only; &apos; in the title.
    "dw-all-20260726-trimmed.rdf.xml": (2, 1,
        "https://www.dw.com/en/sudan-civil-war-civilians-used-as-human-shields/a-78089487?maca=en-rss-en-all-1573-rdf",
        "Sudan civil war: Civilians used as 'human shields'",
        "https://www.dw.com/en/sudan-civil-war-civilians-used-as-human-shields/a-78089487?maca=en-rss-en-all-1573-rdf",
        utc(2026, 7, 26, 9, 56),
        "The situation in the besieged city of El Obeid in Sudan is worsening by the day, with rights "
        "organizations warning of mass atrocities. Children are traumatized and do not dare go to school."),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_feed_over_http(server, name):
    count, index, guid, title, link, published, summary = REAL[name]
    result = fetch(server, name)
    body = (FEEDS_DIR / name).read_bytes()
    assert result.feed_state == FeedState(200, etag=content_etag(body), last_modified=DEFAULT_LAST_MODIFIED)
    assert result.problems == []
    assert result.prices == [] and result.snapshots == []
    assert len(result.headlines) == count
    assert len({h.guid for h in result.headlines}) == count
    entry = result.headlines[index]
    assert (entry.source, entry.guid, entry.title, entry.link, entry.published, entry.fetched,
            entry.time_inferred) == (f"Test {name}", guid, title, link, published, NOW, False)
    if summary is not None:
        assert entry.summary == summary
    assert all(h.published.tzinfo is UTC and not h.time_inferred for h in result.headlines)
    assert all("<" not in h.title and "<" not in h.summary for h in result.headlines)


def test_guardian_entity_escaped_summary_is_plain_text(server):
    result = fetch(server, "guardian-world-20210523.xml")
    first = result.headlines[0]
    assert first.title == "Italy in shock as 14 people die in cable car accident"
    assert first.published == utc(2021, 5, 23, 18, 25, 1)
    assert first.summary == (
        "Casualties reported after cable car with 15 passengers collapsed near Lake Maggiore in northern "
        "Italy Italy was in shock on Sunday after a cable car crashed to the ground in a northern Italian "
        "beauty spot, killing 14 people including a nine-year-old child. The cable car is believed to have "
        "been carrying 15 people on the 20-minute ride between the resort town of Stresa and the Mottarone "
        "mountain in the Piedmont region when it plummeted into the woods near Lake Maggiore shortly after "
        "midday. Continue reading...")
    times = [h.published for h in result.headlines]
    assert (min(times), max(times)) == (utc(2021, 5, 21, 0, 30, 32), utc(2021, 5, 23, 22, 0, 4))


@pytest.mark.parametrize("content_type", ["text/xml", "text/html; charset=utf-8", "application/octet-stream"])
def test_content_type_quirks_are_not_problems(server, content_type):
    # feedparser flags these (us-ascii assumed for bare text/xml; not an XML media type), yet
    # it reads the document fine: nothing to report.
    name = f"guardian-as-{content_type.split(';')[0].replace('/', '-')}.xml"
    server.add(name, (FEEDS_DIR / "guardian-world-20210523.xml").read_bytes(), content_type=content_type)
    result = fetch(server, name)
    assert result.problems == []
    assert len(result.headlines) == 41
    assert result.headlines[1].title == "Belarus accused of ‘hijacking’ Ryanair flight diverted to arrest blogger"


def test_requests_go_through_the_client(server):
    name = "bbc-world-20170120.xml"
    source = source_for(server, name)
    source.fetch(plan())
    (request,) = server.requests_for(name)
    assert request.headers["user-agent"] == source.config.http.user_agent
    assert "if-none-match" not in request.headers and "if-modified-since" not in request.headers


# -- conditional GET -------------------------------------------------------------------------

def test_conditional_get_answers_304_without_headlines(server):
    name = "huffpost-world-20190630.xml"
    source = source_for(server, name)
    first = source.fetch(plan())
    assert len(first.headlines) == 31
    state = first.feed_state
    second = source.fetch(plan(etag=state.etag, last_modified=state.last_modified))
    assert second.feed_state == FeedState(304, not_modified=True)
    assert second.headlines == [] and second.problems == []
    requests = server.requests_for(name)
    assert [r.status for r in requests] == [200, 304]
    assert requests[1].headers["if-none-match"] == content_etag((FEEDS_DIR / name).read_bytes())
    assert requests[1].headers["if-modified-since"] == DEFAULT_LAST_MODIFIED


def test_conditional_get_last_modified_only_and_changed_feed(server):
    name = "changing.xml"
    old = (FIXTURES / "atom-updated.xml").read_bytes()
    server.add(name, old, etag=None, last_modified="Tue, 05 Mar 2024 10:00:00 GMT")
    source = source_for(server, name)
    first = source.fetch(plan())
    assert first.feed_state == FeedState(200, etag=None, last_modified="Tue, 05 Mar 2024 10:00:00 GMT")
    assert source.fetch(plan(last_modified="Tue, 05 Mar 2024 10:00:00 GMT")).feed_state.not_modified
    # The feed changes: a conditional request with the old validators gets the new document.
    server.add(name, (FIXTURES / "script.xml").read_bytes(), last_modified="Wed, 06 Mar 2024 10:00:00 GMT")
    third = source.fetch(plan(etag=content_etag(old), last_modified="Tue, 05 Mar 2024 10:00:00 GMT"))
    assert third.feed_state == FeedState(200, etag=content_etag((FIXTURES / "script.xml").read_bytes()),
                                         last_modified="Wed, 06 Mar 2024 10:00:00 GMT")
    assert [h.guid for h in third.headlines][:2] == ["hostile-1", "hostile-2"]
    assert [r.status for r in server.requests_for(name)] == [200, 304, 200]


# -- failures and retries --------------------------------------------------------------------

def test_429_then_success(server):
    name = "dw-all-20260726-trimmed.rdf.xml"
    server.fail_next(name, 1, status=429, retry_after="0")
    result = fetch(server, name)
    assert [h.title for h in result.headlines] == [
        "Can Pakistan-administered Kashmir elections calm tensions?",
        "Sudan civil war: Civilians used as 'human shields'"]
    assert [r.status for r in server.requests_for(name)] == [429, 200]


def test_500_then_success(server):
    name = "bbc-world-20170120.xml"
    server.fail_next(name, 2, status=500)
    result = fetch(server, name)
    assert len(result.headlines) == 3
    assert [r.status for r in server.requests_for(name)] == [500, 500, 200]


def test_retries_exhausted(server):
    name = "bbc-world-20170120.xml"
    server.fail_next(name, 3, status=503)
    with pytest.raises(TransientError, match=r"^feed Test bbc-world-20170120.xml: HTTP 503"):
        fetch(server, name)
    server.reset()
    server.fail_next(name, 3, status=429, retry_after="0")
    with pytest.raises(RateLimited, match="HTTP 429"):
        fetch(server, name)
    assert len(server.requests_for(name)) == 3


def test_timeout(server):
    name = "bbc-world-20170120.xml"
    server.stall_next(name, 2, seconds=2.0)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"^feed Test bbc-world-20170120.xml: timed out"):
        fetch(server, name, read_timeout=0.2, retries=1)
    assert time.monotonic() - started < 1.5
    assert len(server.requests_for(name)) == 2


def test_not_found_is_permanent(server):
    with pytest.raises(PermanentError, match=r"^feed Test missing.xml: HTTP 404"):
        fetch(server, "missing.xml")


def test_byte_cap(server):
    with pytest.raises(PermanentError, match="exceeds the cap of 5000"):
        fetch(server, "guardian-world-20210523.xml", max_bytes=5000)


# -- malformed and refused documents ---------------------------------------------------------

def test_truncated_feed_keeps_what_parsed(server):
    result = fetch(server, "truncated.xml")
    assert result.problems == ["malformed XML at line 23: no element found; 3 entries read"]
    assert [(h.guid, h.title, h.published, h.time_inferred) for h in result.headlines] == [
        ("https://example.org/news/1", "First complete item", utc(2024, 3, 4, 9, 15), False),
        ("https://example.org/news/2", "Second complete item", utc(2024, 3, 4, 9, 30), False),
        # Cut off inside its pubDate: title and link survived, the time did not.
        ("https://example.org/news/3", "Third item, cut off", NOW, True),
    ]


def test_mismatched_tag_line_number_without_xml_declaration():
    body = (b'<rss version="2.0"><channel><title>t</title>\n'
            b"<item><title>One</title><link>https://example.org/1</link></item>\n"
            b"<item><title>Two</titel></item>\n"
            b"</channel></rss>\n")
    parsed = parse_feed(body, {}, "hand", NOW)
    # feedparser's loose parser, which takes over, loses the second title.
    assert parsed.problems == ["malformed XML at line 3: mismatched tag; 2 entries read",
                               "1 entry without a title skipped"]
    assert [h.title for h in parsed.headlines] == ["One"]


@pytest.mark.parametrize("body, message", [
    (b"", "feed Test x: empty document"),
    (b"  \r\n ", "feed Test x: empty document"),
    (b"<html><head><title>Sorry</title></head><body><p>Not here</p></body></html>",
     "feed Test x: no RSS or Atom feed in the document (no rss, feed or rdf:RDF root element)"),
    (b'{"error": "not a feed"}',
     "feed Test x: no RSS or Atom feed in the document (not XML: not well-formed (invalid token) at line 1)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary",
     "feed Test x: no RSS or Atom feed in the document (not XML: not well-formed (invalid token) at line 1)"),
])
def test_no_feed_at_all_is_malformed(server, body, message):
    server.serve_next("x", body)
    with pytest.raises(MalformedResponse) as caught:
        fetch(server, "x")
    assert str(caught.value) == message


def _bomb(encoding: str = "utf-8", bom: bool = False) -> bytes:
    """One 40 KB entity referenced 2,500 times: 100 MB once expanded (stack-facts.md)."""
    text = ('<?xml version="1.0" encoding="{enc}"?>\n'
            '<!DOCTYPE rss [\n<!ENTITY big "' + "A" * 40_000 + '">\n]>\n'
            '<rss version="2.0"><channel><title>t</title><item><title>'
            + "&big;" * 2_500 + "</title></item></channel></rss>\n").replace("{enc}", encoding)
    body = text.encode(encoding)
    return ("\ufeff".encode(encoding) if bom else b"") + body


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", False), ("utf-16-le", True), ("utf-16-be", True), ("utf-16-be", False),
    ("utf-16-le", False), ("utf-32-le", False), ("cp037", False),
])
def test_entity_bomb_refused_quickly(server, encoding, bom):
    name = f"bomb-{encoding}-{bom}.xml"
    server.add(name, _bomb(encoding, bom), content_type="application/rss+xml")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(PermanentError) as caught:
            fetch(server, name)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value) == f"feed Test {name}: feed declares XML entities; refused"
    assert elapsed < 1.0
    assert peak < 10_000_000  # the expansion alone would be 100 MB


def test_entity_declaration_hidden_behind_declared_encoding():
    # UTF-7 turns '<' into '+ADw-': invisible to a byte search, but feedparser honours the declaration.
    body = ('<?xml version="1.0" encoding="utf-7"?>'
            + '<!DOCTYPE rss [<!ENTITY big "AAAA">]><rss version="2.0"><channel><item><title>&big;</title>'
              "</item></channel></rss>".replace("<", "+ADw-")).encode()
    assert body.decode("utf-7").startswith('<?xml version="1.0" encoding="utf-7"?><!DOCTYPE rss [<!ENTITY')
    assert b"<!ENTITY" not in body
    assert declares_entities(body)
    with pytest.raises(PermanentError, match="feed declares XML entities; refused"):
        parse_feed(body, {}, "utf7", NOW)
    # Same through an HTTP charset on a UTF-16 body that starts without '<?'.
    body16 = '<!DOCTYPE rss [<!ENTITY x "y">]><rss/>'.encode("utf-16-le")
    assert declares_entities(body16, {"content-type": "application/xml; charset=utf-16le"})


def test_doctype_without_entities_and_entity_text_are_accepted():
    netscape = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
                b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
                b'<rss version="0.91"><channel><title>Old</title><link>http://example.org/</link>'
                b"<item><title>Caf\xe9 opens</title><link>http://example.org/cafe</link></item>"
                b"</channel></rss>\n")
    parsed = parse_feed(netscape, {}, "old", NOW)
    assert parsed == ParsedFeed(headlines=[Headline(source="old", guid="http://example.org/cafe",
                                                    title="Café opens", published=NOW, fetched=NOW,
                                                    summary="", link="http://example.org/cafe",
                                                    time_inferred=True)], problems=[])
    about_xml = (b'<rss version="2.0"><channel><item><title>XML tricks</title>'
                 b"<description><![CDATA[Never write <!ENTITY x> in a feed]]></description>"
                 b"<guid>g1</guid></item></channel></rss>")
    assert not declares_entities(about_xml)
    # In HTML a stray declaration is markup, not text: dropped.
    assert parse_feed(about_xml, {}, "x", NOW).headlines[0].summary == "Never write in a feed"


# -- cleaning and times in hand-made feeds ----------------------------------------------------

def test_hostile_markup(server):
    name = "script.xml"
    result = fetch(server, name)
    assert result.problems == ["1 entry without a title skipped"]
    rows = [(h.guid, h.title, h.link, h.summary) for h in result.headlines]
    assert rows == [
        # Script elements go with their content; other tags are stripped; javascript: links dropped.
        ("hostile-1", "Oil prices jump 5%", None, "Brent & WTI rose"),
        ("hostile-2", "Rouble slides & recovers", None, ""),
        # Escaped twice in the feed: decoded, it is markup again and is taken as markup (text that
        # decodes to a tag is never stored as one): an unclosed script runs to the end, as in a browser.
        ("hostile-3", "Talks resume in", "https://example.org/news/geneva", ""),
        # hostile-4's title was only a script: empty, skipped (the problem above).
        # A relative link resolves against the URL the feed came from.
        (server.base_url + "/news/relative", "Relative link", server.base_url + "/news/relative", ""),
    ]


def test_relative_link_without_base_is_dropped():
    parsed = parse_feed((FIXTURES / "script.xml").read_bytes(), {}, "local", NOW)
    last = parsed.headlines[-1]
    assert (last.title, last.link) == ("Relative link", None)
    assert last.guid.startswith("sha1:") and len(last.guid) == 45
    # The hash guid is stable: the same entry parsed again gets the same guid.
    again = parse_feed((FIXTURES / "script.xml").read_bytes(), {}, "local", utc(2027, 1, 1))
    assert again.headlines[-1].guid == last.guid


def test_relative_links_resolve_against_content_location_or_xml_base():
    body = (b'<rss version="2.0"><channel><title>t</title>'
            b"<item><title>A</title><link>/news/a</link></item>"
            b"<item><title>B</title><link> b.html </link></item>"
            b"<item><title>C</title><link>//cdn.example.org/c</link></item>"
            b"<item><title>D</title><link>javascript:alert(1)</link></item>"
            b"<item><title>E</title><link>https://other.example.net/e</link></item>"
            b"</channel></rss>")
    parsed = parse_feed(body, {"content-location": "https://example.org/feeds/world.xml"}, "rel", NOW)
    assert [h.link for h in parsed.headlines] == [
        "https://example.org/news/a", "https://example.org/feeds/b.html", "https://cdn.example.org/c", None,
        "https://other.example.net/e"]
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/atom/">'
            b"<title>t</title><entry><title>X</title><link href='x/1'/><id>urn:x:1</id>"
            b"<updated>2024-03-06T11:45:00Z</updated></entry></feed>")
    (entry,) = parse_feed(atom, {}, "base", NOW).headlines
    assert (entry.link, entry.published) == ("https://example.org/atom/x/1", utc(2024, 3, 6, 11, 45))


def test_msk_dates_undated_and_unreadable(server):
    result = fetch(server, "msk.xml")
    assert result.problems == [
        "1 entry without a title skipped",
        "1 entry with an unreadable date (e.g. 'Fri, 15 Jul 2016 14:30:00 IST'); fetch time used",
    ]
    rows = [(h.title, h.published, h.time_inferred) for h in result.headlines]
    assert rows == [
        ("Rouble firms before the central bank meeting", utc(2012, 3, 15, 10, 30), False),  # MSK = +04 in 2012
        ("Brent steadies after OPEC talks", utc(2016, 7, 15, 11, 30), False),  # MSK = +03 in 2016
        ("Summer-time stamp", utc(2009, 7, 15, 10, 30), False),  # MSD = +04
        ("Offset stamp", utc(2016, 7, 15, 11, 30), False),
        ("No date at all", NOW, True),
        ("Ambiguous zone", NOW, True),
        ("No link, no guid", utc(2016, 7, 15, 13, 0), False),
    ]
    assert result.headlines[-1].link is None
    assert result.headlines[-1].guid.startswith("sha1:")
    assert all(h.fetched == NOW for h in result.headlines)


def test_atom_entries_with_only_updated(server):
    result = fetch(server, "atom-updated.xml")
    assert result.problems == []
    rows = [(h.guid, h.title, h.link, h.published, h.time_inferred, h.summary) for h in result.headlines]
    assert rows == [
        ("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", "Sanctions widened to shipping",
         "https://example.org/atom/1", utc(2024, 3, 6, 8, 45), False, "The EU & UK agreed."),
        # published wins over updated when both are there.
        ("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b", "Ceasefire talks in Doha",
         "https://example.org/atom/2", utc(2024, 3, 6, 3, 0), False, ""),
    ]


# -- local files, wiring, store ----------------------------------------------------------------

def local_source(path: str, **http) -> FeedSource:
    config = Config.model_validate({"http": {**HTTP, **http}, "feeds": [{"name": "Local", "url": path}]})
    return FeedSource(config.feeds[0], config, client=None)


def test_local_file():
    result = local_source(str(FEEDS_DIR / "bbc-world-20260726-trimmed.xml")).fetch(plan())
    assert result.feed_state == FeedState(http_status=None)
    assert [h.published for h in result.headlines] == [
        utc(2026, 7, 26, 9, 18, 33), utc(2026, 7, 26, 9, 16, 46), utc(2026, 7, 26, 8, 14, 55),
        utc(2026, 7, 25, 6, 34, 40)]
    assert {h.source for h in result.headlines} == {"Local"}


def test_local_file_missing_and_over_cap(tmp_path):
    missing = tmp_path / "nope.xml"
    with pytest.raises(PermanentError) as caught:
        local_source(str(missing)).fetch(plan())
    assert str(caught.value) == f"feed Local: file not found: {missing}"
    big = FEEDS_DIR / "guardian-us-20180131.xml"
    with pytest.raises(PermanentError) as caught:
        local_source(str(big), max_bytes=1000).fetch(plan())
    assert str(caught.value) == f"feed Local: file {big} exceeds the cap of 1000 bytes"


def test_source_identity_and_registry(server):
    config = Config.model_validate({"http": HTTP, "instruments": [], "feeds": [
        {"name": "BBC World", "url": server.url_for("bbc-world-20170120.xml")},
        {"name": "DW", "url": str(FEEDS_DIR / "dw-all-20260726-trimmed.rdf.xml")}]})
    units = build_sources(config, HttpClient(config.http), groups=("feeds",))
    assert [type(u) for u in units] == [FeedSource, FeedSource]
    assert [(u.group, u.key, u.feed.name) for u in units] == [
        ("feeds", "feed:BBC World", "BBC World"), ("feeds", "feed:DW", "DW")]
    assert [len(u.fetch(plan()).headlines) for u in units] == [3, 2]


def test_naive_time_refused():
    with pytest.raises(ValueError, match="naive time"):
        parse_feed(b"<rss/>", {}, "x", datetime(2026, 1, 1))


def test_results_store_and_second_fetch_is_not_modified(server, store_url):
    from ingest.store import Store

    name = "bbc-world-20170120.xml"
    config = Config.model_validate({"http": HTTP, "instruments": [],
                                    "feeds": [{"name": "BBC World", "url": server.url_for(name)}]})
    source = FeedSource(config.feeds[0], config, HttpClient(config.http))
    store = Store.open(store_url)
    try:
        store.sync_config(config)
        feed = (source.feed.name, source.feed.url)
        run = store.start_run("feeds", source.key, NOW, "feeds")
        counts = store.commit_result(run, source.fetch(plan()), NOW, feed=feed)
        assert (counts.new, counts.updated, counts.unchanged) == (3, 0, 0)
        etag, last_modified = store.feed_validators("BBC World")
        assert (etag, last_modified) == (content_etag((FEEDS_DIR / name).read_bytes()), DEFAULT_LAST_MODIFIED)
        run = store.start_run("feeds", source.key, NOW, "feeds")
        store.commit_result(run, source.fetch(plan(etag, last_modified)), NOW, feed=feed)
        stored = store.headlines()
        assert stored["title"].tolist() == [
            "Syria: IS destroys part of Palmyra's Roman Theatre",
            "Gambia crisis: Jammeh given last chance to resign as troops close in",
            "Rigopiano avalanche: Eight found alive in Italy hotel after two days"]
        assert stored["published"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() == [
            "2017-01-20 12:42:59", "2017-01-20 12:45:16", "2017-01-20 12:55:28"]
        assert store.runs(source=source.key)["status"].tolist() == ["not_modified", "ok"]
    finally:
        store.close()


# -- trustworthy times and text ("right inputs for every number") -------------------------------

def test_dates_alone_future_dates_and_twice_escaped_titles(server):
    result = fetch(server, "dates-future-entities.xml")
    rows = [(h.title, h.published, h.time_inferred, h.day_precision) for h in result.headlines]
    assert rows == [
        ("Putin's visit to Delhi & what it means", utc(2026, 7, 26, 9, 18, 33), False, False),
        ("A date without a time", utc(2026, 7, 26), False, True),          # <dc:date>2026-07-26</dc:date>
        ("An RFC 822 date without a clock", utc(2026, 7, 25), False, True),
        ("Dated 2099", NOW, True, False),
        ("Dated an hour ahead of the fetch", NOW, True, False),
        ("Dated five minutes ahead: a clock running fast", utc(2026, 8, 1, 12, 5), False, False),  # within 10 min
        ("Only a month", NOW, True, False),
    ]
    assert result.problems == [
        "1 entry with an unreadable date (e.g. '2026-07'); fetch time used",
        "2 entries dated more than 10 minutes after they were fetched; fetch time used",
    ]


def test_one_future_entry_is_said_in_the_singular():
    body = (b"<rss version='2.0'><channel><title>t</title><item><title>Far ahead</title>"
            b"<link>https://example.org/x</link><pubDate>Thu, 01 Jan 2099 00:00:00 GMT</pubDate></item>"
            b"</channel></rss>")
    parsed = parse_feed(body, {}, "x", NOW)
    assert parsed.problems == ["1 entry dated more than 10 minutes after it was fetched; fetch time used"]
    assert [(h.published, h.time_inferred) for h in parsed.headlines] == [(NOW, True)]


def test_a_future_entry_is_stored_at_its_fetch_time_and_the_run_says_why(store, make_config):
    from ingest.runners.jobs import run_job

    config = make_config(feeds=[{"name": "Dates", "url": str(FIXTURES / "dates-future-entities.xml")}])
    report = run_job(store, config, groups=("feeds",), now=lambda: NOW)
    [outcome] = report.outcomes
    problems = ("1 entry with an unreadable date (e.g. '2026-07'); fetch time used; "
                "2 entries dated more than 10 minutes after they were fetched; fetch time used")
    assert (outcome.status, outcome.counts.new, outcome.error) == ("partial", 7, problems)
    assert outcome.line() == f"{'feed:Dates':<32} partial       7 new, 0 updated, 0 unchanged; {problems}"
    [run] = store.runs(source="feed:Dates").to_dict("records")
    assert (run["status"], run["error"]) == ("partial", problems)
    stored = store.headlines(sort="title")
    future = stored[stored["title"] == "Dated 2099"].iloc[0]
    assert (future["published"], future["fetched"], future["time_inferred"], future["day_precision"]) == (
        pd.Timestamp(NOW), pd.Timestamp(NOW), True, False)
    dated = stored[stored["title"] == "A date without a time"].iloc[0]
    assert (dated["published"], dated["time_inferred"], dated["day_precision"]) == (
        pd.Timestamp("2026-07-26", tz="UTC"), False, True)
    # fetched again a day later: 2099 still lies ahead and keeps its first fetch time; the entry
    # dated 13:00 no longer does, and its own time replaces the inferred one
    again = run_job(store, config, groups=("feeds",), now=lambda: NOW + timedelta(days=1))
    assert (again.outcomes[0].counts.updated, again.outcomes[0].counts.unchanged) == (1, 6)
    times = store.headlines().set_index("title")[["published", "time_inferred"]]
    assert tuple(times.loc["Dated 2099"]) == (pd.Timestamp(NOW), True)
    assert tuple(times.loc["Dated an hour ahead of the fetch"]) == (pd.Timestamp("2026-08-01 13:00", tz="UTC"), False)


# -- feeds that do not say their encoding -----------------------------------------------------------

RUSSIAN = ["Банк России сохранил ключевую ставку на уровне 16 процентов",
           "Курс доллара опустился ниже 90 рублей впервые с августа",
           "Нефть марки Brent подорожала после решения ОПЕК+ о сокращении добычи"]


@pytest.mark.parametrize("name, content_type, problem", [
    ("undeclared-cp1251.xml", "application/rss+xml",
     "no character encoding declared and not UTF-8: read as windows-1251 (detected)"),
    ("undeclared-koi8r.xml", "application/rss+xml",
     "no character encoding declared and not UTF-8: read as KOI8-R (detected)"),
    ("undeclared-koi8r.xml", "text/xml; charset=utf-8",
     "declared encoding 'utf-8' does not fit the bytes: read as KOI8-R (detected)"),
    ("undeclared-cp1251.xml", "text/xml; charset=x-unheard-of",
     "declared encoding 'x-unheard-of' is unknown and the bytes are not UTF-8: read as windows-1251 (detected)"),
])
def test_an_undeclared_encoding_is_detected_and_said(server, name, content_type, problem):
    server.add(name, (FIXTURES / name).read_bytes(), content_type=content_type)
    result = fetch(server, name)
    assert result.problems == [problem]
    assert [h.title for h in result.headlines] == RUSSIAN
    assert result.headlines[0].summary == ("Совет директоров Банка России принял решение сохранить ключевую "
                                           "ставку, отметив замедление инфляции.")


@pytest.mark.parametrize("body, headers", [
    ("<rss version='2.0'><channel><item><title>Рубль</title></item></channel></rss>".encode(), {}),   # UTF-8
    ("<?xml version='1.0' encoding='koi8-r'?><rss version='2.0'><channel><item><title>Рубль</title></item>"
     "</channel></rss>".encode("koi8_r"), {}),                                                  # declared
    ("<rss version='2.0'><channel><item><title>Рубль</title></item></channel></rss>".encode("cp1251"),
     {"content-type": "application/xml; charset=windows-1251"}),                               # HTTP charset
    (codecs.BOM_UTF8 + "<rss version='2.0'><channel><item><title>Рубль</title></item></channel></rss>"
     .encode(), {}),                                                                     # a BOM
])
def test_a_feed_that_says_its_encoding_is_read_by_it_without_a_note(body, headers):
    from ingest.sources.feed_encoding import settle_encoding

    assert settle_encoding(body, headers).assumed is None
    parsed = parse_feed(body, headers, "x", NOW)
    assert ([h.title for h in parsed.headlines], parsed.problems) == (["Рубль"], [])


def test_the_detected_feed_is_handed_over_as_utf8():
    from ingest.sources.feed_encoding import settle_encoding

    body = (FIXTURES / "undeclared-koi8r.xml").read_bytes().replace(b'<?xml version="1.0"?>',
                                                                   b'<?xml version="1.0" encoding="utf-8"?>')
    settled = settle_encoding(body, {"content-type": "text/xml; charset=utf-8"})
    assert settled.assumed == "declared encoding 'utf-8' does not fit the bytes: read as KOI8-R (detected)"
    assert settled.body == body.decode("koi8_r").encode("utf-8")
    assert settled.headers == {"content-type": "text/xml; charset=utf-8"}
    settled = settle_encoding(b"<?xml version='1.0' encoding='utf-8'?>" + "<rss>Рубль</rss>".encode("cp1251"),
                              {"content-type": "application/rss+xml"})
    assert settled.body.startswith(b"<?xml version='1.0' encoding='utf-8'?><rss>")
    assert settled.headers == {"content-type": "application/rss+xml; charset=utf-8"}
