"""Saved news pages, parsed (pure): the two real pages in ../shared/data/pages, hand-made strip
variants (tests/fixtures/pages and inline), and files that are not pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.pages import AsOf, NotAPage, Strip, TickerItem, canonical_mark, find_strip, parse_page
from ingest.pages.tokens import tokenize
from ingest.sources.base import PermanentError
from tests.conftest import utc

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
NO_MARK = ("has no mark: left out (a position tells the mark only in the known layout: three bullet "
           "lines $, €, BR at the top)")


def item(mark, value, value_text, change=None, change_pct=None, direction=None, inferred=False, text=""):
    return TickerItem(mark, value, value_text, change, change_pct, direction, inferred, text)


def fixture(name: str):
    return parse_page((FIXTURES / name).read_bytes(), name)


# -- the real pages ----------------------------------------------------------------------------

def test_real_text_page(shared_data):
    page = parse_page((shared_data / "pages" / "news-page-header-tickers.txt").read_bytes(),
                      "news-page-header-tickers.txt")
    assert page.kind == "text"
    assert page.items == (
        item("$", 87.70, "87.70", change=-0.69, direction=-1, text="$ 87.70 -0.69"),
        item("€", 95.44, "95.44", change=-0.89, direction=-1, inferred=True, text="95.44 -0.89"),
        item("BR", 90.06, "90.06", change_pct=0.64, direction=1, text="BR 90.06 +0.64%"),
    )
    assert page.headline == "Lavrov: Russia and USA will not take part in talks of Syrian government and opposition"
    assert page.summary == (
        "Russia and the United States have come to an unambiguous conclusion that the UN Security Council "
        "December 2015 Resolution 2254 is the main basis for moving forward in the Syrian conflict "
        "settlement. The countries discussed certain measures in accordance with the resolution; they are "
        "to be taken to provide conditions for announcing a ceasefire, Russian Foreign Minister Sergey "
        "Lavrov has said after a meeting with US Secretary of State John Kerry in Zurich.")
    assert (page.link, page.rates_as_of, page.problems) == (None, None, ())


def test_real_tass_header_excerpt(shared_data):
    name = "tass-ru-homepage-20180318-ticker-excerpt.html"
    page = parse_page((shared_data / "pages" / name).read_bytes(), name)
    assert page.kind == "html"
    assert page.items == (item("$", 57.49, "57.49", direction=1, text="$ 57.49 ↑"),
                          item("€", 70.81, "70.81", direction=1, text="€ 70.81 ↑"))
    assert page.rates_as_of == AsOf(17, 3)
    assert page.rates_as_of.resolve(utc(2018, 3, 18, 0, 18, 38)) == date(2018, 3, 17)
    # only the site's <title> ("ТАСС - Новости в России и мире"): no article headline
    assert (page.headline, page.summary, page.link, page.problems) == (None, "", None, ())


# -- hand-made variants --------------------------------------------------------------------------

def test_reordered_strip_with_an_extra_item():
    page = fixture("strip-reordered-extra.txt")
    assert page.items == (
        item("BR", 90.06, "90.06", change_pct=0.64, direction=1, text="BR 90.06 +0.64%"),
        item("CNY", 12.01, "12.01", change=0.02, direction=1, text="CNY 12.01 +0.02"),
        item("€", 95.44, "95.44", change=-0.89, direction=-1, text="€ 95.44 -0.89"),
        item("$", 87.70, "87.70", change=-0.69, direction=-1, text="$ 87.70 -0.69"),
    )
    assert page.headline == "Oil rises as OPEC keeps its output cuts in place"
    assert page.summary == "Brent crude rose on Monday after OPEC said it would keep its output cuts until June."
    assert page.problems == ()


def test_decimal_comma_unicode_minus_en_dash_and_spaced_percent():
    page = fixture("strip-decimal-comma-minus.txt")
    assert page.items == (
        item("$", 87.70, "87.70", change=-0.69, direction=-1, text="$ 87,70 −0,69"),
        item("€", 95.44, "95.44", change=-0.89, direction=-1, text="€ 95,44 –0,89"),
        item("BR", 90.06, "90.06", change_pct=0.64, direction=1, text="BR 90,06 +0,64 %"),
    )
    assert page.headline == "Rouble slips as oil prices fall"
    assert page.summary == ("The rouble weakened against the dollar and the euro as Brent crude lost ground "
                            "in London.")


def test_missing_mark_out_of_the_known_order_is_not_inferred():
    page = fixture("strip-missing-mark-reordered.txt")
    assert page.items == (item("$", 87.70, "87.70", change=-0.69, direction=-1, text="$ 87.70 -0.69"),
                          item("BR", 90.06, "90.06", change_pct=0.64, direction=1, text="BR 90.06 +0.64%"))
    assert page.problems == (f"ticker item '95.44 -0.89' {NO_MARK}",)
    assert page.headline == "Lavrov: Russia and USA will not take part in talks"
    assert page.summary == ""


def test_russian_marks_one_line_with_label_and_arrows():
    page = fixture("strip-russian-marks.txt")
    assert page.items == (
        item("$", 57.49, "57.49", direction=1, text="Доллар 57,49 ↑"),
        item("€", 70.81, "70.81", direction=-1, text="Евро 70,81 ↓"),
        item("BR", 66.21, "66.21", change_pct=-1.2, direction=-1, text="Нефть Brent 66,21 −1,2%"),
    )
    assert page.rates_as_of == AsOf(17, 3, 2018)
    assert page.headline == "Лавров: Россия и США не примут участия в переговорах"
    assert page.summary == "Министр иностранных дел России Сергей Лавров заявил об этом после встречи в Цюрихе."


def test_html_variant_windows_1251_items_split_over_elements():
    page = fixture("strip-variant-cp1251.html")
    assert page.kind == "html"
    assert page.items == (
        item("$", 87.70, "87.70", change=-0.69, direction=-1, text="USD 87,70 ▼ 0,69"),
        item("€", 95.44, "95.44", change=-0.89, direction=-1, text="EUR 95,44 −0,89"),
        item("BR", 90.06, "90.06", change_pct=0.64, direction=1, text="Brent 90,06 +0,64%"),
    )
    assert page.headline == "Нефть подешевела после решения ОПЕК+"  # the <h1>, not og:title or <title>
    assert page.summary == "Цены на нефть марки Brent снизились после того, как страны ОПЕК+ договорились о добыче."
    assert page.link == "https://news.example.ru/oil-opec"


def test_html_charset_from_the_http_header_and_og_title():
    body = ('<html><head><meta property="og:title" content="Рубль укрепился к доллару">'
            '<meta property="og:description" content="Курс доллара снизился на торгах в пятницу.">'
            '</head><body><div>$ 57,49 &darr;</div></body></html>').encode("cp1251")
    page = parse_page(body, "https://example.ru/x", "text/html; charset=windows-1251")
    assert page.items == (item("$", 57.49, "57.49", direction=-1, text="$ 57,49 ↓"),)
    assert (page.headline, page.summary) == ("Рубль укрепился к доллару", "Курс доллара снизился на торгах в пятницу.")


def test_page_without_a_strip_yields_its_headline():
    page = fixture("headline-only.txt")
    assert (page.items, page.headline, page.summary) == \
        ((), "Lavrov meets Kerry in Zurich", "The two ministers discussed the Syrian settlement on Wednesday.")


# -- the strip, line by line -------------------------------------------------------------------------

def test_known_layout_infers_a_missing_mark_only_at_the_top():
    lines = ["• $ 87.70 -0.69", "• 95.44 -0.89", "• BR 90.06 +0.64%"]
    assert [(i.mark, i.mark_inferred) for i in find_strip(lines).items] == \
        [("$", False), ("€", True), ("BR", False)]
    # HTML pages, a line above the strip, two lines, other change kinds, no mark at all: not inferred
    for variant in (find_strip(lines, infer_layout=False), find_strip(["Markets", *lines]),
                    find_strip(lines[:2]), find_strip([lines[0], "• 95.44 -0.89%", lines[2]])):
        assert [i.mark for i in variant.items] == ["$", "BR"][:len(variant.items)]
        assert variant.problems[0].endswith(NO_MARK)
    bare = find_strip(["• 87.70 -0.69", "• 95.44 -0.89", "• 90.06 +0.64%"])
    assert bare.items == () and len(bare.problems) == 3


@pytest.mark.parametrize("line, expected", [
    ("$ 87.70 -0.69 (-0.78%)", item("$", 87.70, "87.70", change=-0.69, change_pct=-0.78, direction=-1,
                                    text="$ 87.70 -0.69 -0.78%")),
    ("BR 90.06 ▲ 0.64%", item("BR", 90.06, "90.06", change_pct=0.64, direction=1, text="BR 90.06 ▲ 0.64%")),
    ("MOEX 3\u00a0215,40 +0,5%", item("MOEX", 3215.4, "3215.40", change_pct=0.5, direction=1,
                                      text="MOEX 3\u00a0215,40 +0,5%")),
    ("brent 1,234.50 &minus;1.00", item("BR", 1234.5, "1234.50", change=-1.0, direction=-1,
                                        text="brent 1,234.50 −1.00")),
    ("€ 1.234,50 +0", item("€", 1234.5, "1234.50", change=0.0, direction=0, text="€ 1.234,50 +0")),
    ("USD: 87.70 &uarr;", item("$", 87.70, "87.70", direction=1, text="USD 87.70 ↑")),
])
def test_one_item_lines(line, expected):
    strip = find_strip([line])
    assert (strip.items, strip.problems) == ((expected,), ())


@pytest.mark.parametrize("lines, marks, problems", [
    (["• $ 87,7O -0.69", "• € 95.44 -0.89"], ["€"], ["cannot read ticker item '• $ 87,7O -0.69': left out"]),
    (["BR 90.06 0.64%"], ["BR"], ["ticker item 'BR 90.06 0.64%': change '0.64%' has no sign: left out"]),
    (["BR 90.06 +0.64% ▼"], ["BR"], ["ticker item 'BR 90.06 +0.64% ▼': the sign and the arrow disagree: "
                                     "change left out"]),
    (["$ 87.70 | $ 88.00"], ["$"], ["ticker item '$ 88.00': a second $ in the strip: left out"]),
    (["$ +0.5 | € 95.44 -0.89"], ["€"], ["ticker item '$ +0.5' has a change but no value: left out"]),
])
def test_unreadable_items_are_left_out_and_reported(lines, marks, problems):
    strip = find_strip(lines)
    assert ([i.mark for i in strip.items], list(strip.problems)) == (marks, problems)


def test_strip_label_alone_on_its_line_and_items_split_over_lines():
    strip = find_strip(["Курс ЦБ на 29.02:", "EUR", "95,44", "−0,89", "Brent 90,06 +0,64%"])
    assert strip.as_of == AsOf(29, 2)
    assert [(i.mark, i.value, i.change, i.change_pct) for i in strip.items] == \
        [("€", 95.44, -0.89, None), ("BR", 90.06, None, 0.64)]
    assert strip.lines == frozenset(range(5))


@pytest.mark.parametrize("lines", [
    ["Brent rose to 90.06 on Monday"], ["2016", "", "1 2 3"], ["• Russia and the USA agreed", "• on talks"],
    ["Европа 5"], ["Brazil 5 +1"], [],
])
def test_text_that_is_no_strip(lines):
    assert find_strip(lines) == Strip(items=(), problems=(), as_of=None, lines=frozenset())


def test_marks():
    for written in ("$", "USD", "usd", "доллар", "Доллар США", "долл."):
        assert canonical_mark(written) == "$"
    for written in ("€", "EUR", "Euro", "евро", "Евро"):
        assert canonical_mark(written) == "€"
    for written in ("BR", "Brent", "BRENT", "Брент", "нефть Brent", "Нефть", "Нефть  Brent"):
        assert canonical_mark(written) == "BR"
    assert [canonical_mark(w) for w in ("CNY", "£", "Brazil", "Европа", "rub", "")] == \
        ["CNY", "£", None, None, None, None]
    assert tokenize("Brazil 5") is None and tokenize("Евро 70,81") is not None


def test_rates_date_resolves_near_the_page_time():
    assert AsOf(17, 3).resolve(utc(2018, 3, 16, 22)) == date(2018, 3, 17)   # shown the day before
    assert AsOf(17, 3).resolve(utc(2026, 11, 27)) == date(2026, 3, 17)
    assert AsOf(2, 1).resolve(utc(2018, 12, 31)) == date(2019, 1, 2)
    assert AsOf(29, 2).resolve(utc(2019, 5, 1)) == date(2016, 2, 29)
    assert AsOf(17, 3, 2016).resolve(utc(2018, 3, 18)) == date(2016, 3, 17)


# -- not pages -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    (b"", "x.txt: the file is empty, not a news page"),
    (b" \n\t\n", "x.txt: the file is empty, not a news page"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.txt: not a news page (binary data: NUL byte at offset 8)"),
    (b"\xff\xd8\xff\xe0JFIF", "x.txt: not a news page (not utf-8 text: byte 0xff at offset 0)"),
    ("Курс доллара".encode("cp1251"), "x.txt: not a news page (not utf-8 text: byte 0xca at offset 0)"),
    (b"ab\x01\x02\x03\x04cd", "x.txt: not a news page (binary data: 4 control characters)"),
    (b"hello\nworld\n", "x.txt: not a news page: no ticker strip and no headline found"),
    (b"<html><head><title>TASS</title></head><body><p>Menu</p></body></html>",
     "x.txt: not a news page: no ticker strip and no headline found"),
    (b"\xe2\x80\xa2 87.70 -0.69\n", "x.txt: not a news page: no ticker strip and no headline found "
                                     f"(ticker item '87.70 -0.69' {NO_MARK})"),
])
def test_not_a_page(body, message):
    with pytest.raises(NotAPage) as caught:
        parse_page(body, "x.txt")
    assert str(caught.value) == message
    assert isinstance(caught.value, PermanentError)


@pytest.mark.parametrize("path", ["brent-daily.csv", "world-headlines-rss-2026-05-to-08.csv", "SOURCES.md",
                                  "feeds/guardian-world-20210523.xml"])
def test_data_files_are_not_pages(shared_data, path):
    with pytest.raises(NotAPage, match="not a news page: no ticker strip and no headline found"):
        parse_page((shared_data / path).read_bytes(), path.split("/")[-1])


@pytest.mark.parametrize("body", [
    b'[project]\nname = "newsmarks"\ndescription = "Rouble rates, Brent and the geopolitical news beside them"\n',
    b"from dashboard.commands import main\n\nmain(['serve', '--port', '8050', 'and', 'more', 'words', 'here'])\n",
    b"Date,Source,Title\n2022-03-01,BBC,Oil prices jump as sanctions bite hard\n2022-03-02,BBC,Rouble slides\n",
    b"Markets calm after the vote\n\nShort note.\n",   # a headline without an article body
])
def test_code_configuration_and_records_are_not_pages(body):
    with pytest.raises(NotAPage, match="no ticker strip and no headline found"):
        parse_page(body, "x.txt")


def test_a_text_article_without_a_strip_is_a_page():
    page = parse_page(b"Rouble slides as oil falls\n\nThe rouble fell against the dollar on Monday as Brent "
                      b"crude slipped below 70 dollars a barrel.\n", "a.txt")
    assert (page.headline, page.items) == ("Rouble slides as oil falls", ())
    assert page.summary.startswith("The rouble fell against the dollar")


def test_valid_utf8_wins_over_a_stale_meta_charset():
    body = ('<html><head><meta charset="windows-1251"></head><body><h1>Рубль укрепился к доллару</h1>'
            '<div>Евро 70,81 ↓</div></body></html>').encode()
    page = parse_page(body, "saved.html")
    assert (page.headline, [(i.mark, i.value, i.direction) for i in page.items]) == \
        ("Рубль укрепился к доллару", [("€", 70.81, -1)])


# -- the page's own time ---------------------------------------------------------------------------

def test_real_pages_show_no_time_of_their_own(shared_data):
    for name in ("news-page-header-tickers.txt", "tass-ru-homepage-20180318-ticker-excerpt.html"):
        page = parse_page((shared_data / "pages" / name).read_bytes(), name)
        assert (page.published, page.published_day_only, page.published_where) == (None, False, None)


def test_article_published_time_is_exact_and_wins():
    page = fixture("article-published-time.html")
    # article:published_time first: not the <meta name="date"> nor the article's <time> of a day later
    assert (page.published, page.published_day_only, page.published_where) == (
        utc(2016, 1, 20, 15, 42, 5), False, "article:published_time")
    assert page.headline == "Lavrov & Kerry: Russia's talks with the USA"   # escaped twice in the page
    assert page.link == "https://news.example.org/world/lavrov-kerry"
    assert [i.mark for i in page.items] == ["$", "€", "BR"]


def test_a_date_only_time_of_the_article_is_a_day():
    page = fixture("article-time-date-only.html")
    # the <meta name="pubdate"> has no offset (its day is unknown), the sidebar's <time> is another story's
    assert (page.published, page.published_day_only, page.published_where) == (
        utc(2016, 1, 20), True, "<time> of the article")
    assert page.headline == "Oil falls below 28 dollars a barrel"


def html_page(head: str = "", body: str = "<h1>Rouble firms as oil recovers</h1>") -> bytes:
    return f"<html><head>{head}</head><body>{body}<p>The rouble gained on Monday as Brent rose.</p></body></html>" \
        .encode()


@pytest.mark.parametrize("head, body, published, day_only, where", [
    ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [{"@type": "WebPage", '
     '"datePublished": "2016-01-01"}, {"@type": "NewsArticle", "datePublished": "2016-01-20T08:30:00-05:00"}]}'
     '</script>', None, utc(2016, 1, 20, 13, 30), False, "JSON-LD datePublished"),
    ('<meta itemprop="datePublished" content="2016-01-20T10:00:00Z">', None, utc(2016, 1, 20, 10), False,
     "datePublished"),
    ('<meta name="date" content="2016-01-20">', None, utc(2016, 1, 20), True, "meta date"),
    ("", '<h1>Rouble firms as oil recovers</h1><span>by A. Writer</span>'
         '<time pubdate datetime="2016-01-20T10:00+03:00">Jan 20</time>', utc(2016, 1, 20, 7), False,
     "<time pubdate>"),
    ('<meta property="article:published_time" content="2016-01-20T10:00:00">', None, None, False, None),  # no zone
    ('<meta property="article:published_time" content="20 January 2016">', None, None, False, None),   # not ISO
    ('<meta property="article:published_time" content="0001-01-01T00:00:00Z">', None, None, False, None),
    ('<script type="application/ld+json">{not json</script>', None, None, False, None),
])
def test_html_page_times(head, body, published, day_only, where):
    page = parse_page(html_page(head, body) if body else html_page(head), "p.html")
    assert (page.published, page.published_day_only, page.published_where) == (published, day_only, where)


def test_a_home_page_gets_no_time_of_its_own():
    body = (b'<html><head><meta property="article:published_time" content="2016-01-20T10:00:00Z"></head>'
            b'<body><div>$ 57,49 &darr;</div><time datetime="2016-01-20">today</time></body></html>')
    page = parse_page(body, "home.html")
    assert page.headline is None and page.published is None


def test_text_page_date_line_next_to_the_headline():
    page = fixture("text-with-date-line.txt")
    assert (page.published, page.published_day_only, page.published_where) == (
        utc(2016, 1, 20, 15, 42), False, "a date line of the page")  # MSK was +03:00 in 2016
    assert page.headline == "Lavrov: Russia and USA will not take part in talks of Syrian government and opposition"
    assert page.summary.startswith("Russia and the United States")   # the date line is no part of it


@pytest.mark.parametrize("line, published", [
    ("20 January 2016, 18:42 MSK", utc(2016, 1, 20, 15, 42)),
    ("Published: 2016-01-20T15:42:00Z", utc(2016, 1, 20, 15, 42)),
    ("2016-01-20 18:42 +03:00", utc(2016, 1, 20, 15, 42)),
    ("Wed, 20 Jan 2016 15:42:00 GMT", utc(2016, 1, 20, 15, 42)),
    ("January 20, 2016 10:42 GMT-05:00", utc(2016, 1, 20, 15, 42)),
    ("20.01.2016 18:42 MSK", utc(2016, 1, 20, 15, 42)),
    ("20 января 2016, 18:42 МСК", utc(2016, 1, 20, 15, 42)),
    ("15 марта 2012 г., 14:30 МСК", utc(2012, 3, 15, 10, 30)),   # Moscow was +04:00 then
    ("20 January 2016", None),               # a date alone: not read from text
    ("20 January 2016, 18:42", None),        # no zone
    ("01/02/2016 18:42 GMT", None),          # which is the month?
    ("20 January 2016, 18:42 IST", None),    # India, Ireland or Israel?
    ("Updated 20 January 2016, 18:42 GMT", None),
    ("It was 20 January 2016, 18:42 GMT when the talks ended", None),
])
def test_text_page_time_lines(line, published):
    text = (f"• $ 76.55 +0.30\n\nLavrov meets Kerry in Zurich\n{line}\n\nThe two ministers discussed the Syrian "
            "settlement on Wednesday in a hotel by the lake.\n")
    page = parse_page(text.encode(), "p.txt")
    assert page.headline == "Lavrov meets Kerry in Zurich"
    assert page.published == published
    assert page.published_day_only is False
