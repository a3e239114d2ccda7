"""Clicking a headline mark opens its detail panel; hostile headline text stays text everywhere."""

from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.common.by import By

from dashboard import ids
from dashboard.analysis.moves import moves_for_one
from ingest.store import Store
from tests.browser import page
from tests.browser.fixture_store import (
    HAND_SOURCE,
    HTTP_LINK,
    HTTP_SUMMARY,
    HTTP_TITLE,
    XSS_SUMMARY,
    XSS_TITLE,
)

BRENT_LABEL = "Brent crude (ICE futures)"
# Each hand-made headline is alone on its day (a weekend without BBC Business headlines).
HTTP_DAY = "/?instruments=brent&range=custom&start=2022-03-20&end=2022-03-20"
XSS_DAY = "/?instruments=brent&range=custom&start=2022-03-19&end=2022-03-19"

DETAIL_JS = """
const body = document.getElementById(arguments[0]);
if (!body || !body.querySelector('h5')) { return null; }
return {
    title: body.querySelector('h5').innerText,
    meta: body.querySelector('p.text-muted').innerText,
    paragraphs: [...body.querySelectorAll('p')].map(p => p.innerText),
    anchors: [...body.querySelectorAll('a')].map(a => ({href: a.getAttribute('href'), text: a.innerText,
                                                        target: a.getAttribute('target'), rel: a.getAttribute('rel')})),
    moves: [...body.querySelectorAll('table tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText)),
    rules: [...body.querySelectorAll('ul.nm-close-rules li')].map(li => li.innerText),
    elements: [...body.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
};
"""
EXPLAINED = ("Each move runs from the price known when the headline came out (a headline dated to the day only: "
             "at the end of that day) to the price known the horizon later; it is empty when no new close became "
             "known in between, and never crosses a flagged bar.")
# The lines of the chart's hover label (plotly draws each as an SVG tspan of class "line").
HOVER_JS = """
return [...document.querySelectorAll('#' + arguments[0] + ' .hoverlayer .hovertext text tspan.line')]
    .map(t => t.textContent);
"""


def hand_made(store_url: str, title: str) -> tuple[int, list[list[str]]]:
    """(id, expected moves rows of the detail panel) of a hand-made headline, from the store."""
    store = Store.open(store_url)
    try:
        frame = store.headlines(sources=[HAND_SOURCE])
        row = frame[frame["title"] == title].iloc[0]
        bars = store.bars(["brent"], None, (row["published"] - timedelta(days=7)).to_pydatetime(),
                          (row["published"] + timedelta(days=7)).to_pydatetime())
    finally:
        store.close()
    moves = [[BRENT_LABEL, m["horizon"], m["why"] if m["pct"] is None else f"{m['pct']:+.2f}%", span(m)]
             for m in moves_for_one(row["published"], bars)]
    return int(row["id"]), moves


def span(move: dict) -> str:
    """The closes a move runs between, as the panel shows them (UTC)."""
    if move["from_known"] is None:
        return ""
    return (f"{move['from_close']:,.4f} (known {move['from_known']:%m-%d %H:%M}) → "
            f"{move['to_close']:,.4f} (known {move['to_known']:%m-%d %H:%M})")


def detail(duo) -> dict | None:
    return duo.driver.execute_script(DETAIL_JS, ids.DETAIL_BODY)


def test_clicking_a_mark_opens_its_detail_panel(open_app, browser_config):
    headline_id, moves = hand_made(browser_config.store.url, HTTP_TITLE)
    duo = open_app(HTTP_DAY)
    page.wait_for_equal(lambda: page.mark_ids(duo), [headline_id], "the one mark of the day")
    assert not page.detail_panel_open(duo)

    page.click_only_mark(duo)
    page.wait_until(lambda: page.detail_panel_open(duo), "the detail panel to open")
    shown = page.wait_until(lambda: detail(duo), "the detail panel's contents")
    assert shown["title"] == HTTP_TITLE
    assert shown["meta"] == f"{HAND_SOURCE} · 2022-03-20 09:30 UTC"
    assert shown["paragraphs"] == [f"{HAND_SOURCE} · 2022-03-20 09:30 UTC", "Open the article", HTTP_SUMMARY,
                                   EXPLAINED]
    assert shown["anchors"] == [{"href": HTTP_LINK, "text": "Open the article", "target": "_blank",
                                 "rel": "noopener noreferrer"}]
    assert "noopener" in shown["anchors"][0]["rel"].split()
    # a Sunday morning: no close of Brent became known within the hour, or within the day
    assert moves == [[BRENT_LABEL, "1h", "no hourly data", ""], [BRENT_LABEL, "1d", "no close within 1d", ""]]
    assert shown["moves"] == moves
    assert shown["rules"] == [f"{BRENT_LABEL}: the close of trading day D is known at 19:30 Europe/London on D; "
                              "hourly bars: one hour after they start"]
    assert page.text(duo, f"#{ids.DETAIL_PANEL} .offcanvas-title") == "Headline"
    # The clicked headline is ringed on the chart.
    page.wait_until(lambda: [t for t in page.traces(duo) or [] if (t["meta"] or {}).get("kind") == "highlight"
                             and t["meta"].get("id") == headline_id], "the highlight ring on the clicked mark")
    assert duo.get_logs() == []


def test_hostile_headline_stays_text(open_app, browser_config):
    headline_id, moves = hand_made(browser_config.store.url, XSS_TITLE)
    duo = open_app(XSS_DAY)
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TABLE_COUNT}"), "1 headline", "the table count")

    # The table shows the title as literal text, and its javascript: link is no anchor.
    page.wait_for_equal(lambda: [(r["source"], r["title"], r["topics"], r["anchors"]) for r in page.table_rows(duo)],
                        [(HAND_SOURCE, XSS_TITLE, "Sanctions", [])], "the table row")

    # The chart's hover label shows it as text too.
    page.wait_for_equal(lambda: page.mark_ids(duo), [headline_id], "the one mark of the day")
    page.hover_only_mark(duo)
    hover = page.wait_until(lambda: duo.driver.execute_script(HOVER_JS, ids.CHART), "the mark's hover label")
    assert hover == ["2022-03-19 12:00 UTC", HAND_SOURCE, XSS_TITLE,
                     "no risk kind · 1 source · importance 1 = topic 1"]   # the Sanctions topic

    page.click_only_mark(duo)

    page.wait_until(lambda: page.detail_panel_open(duo), "the detail panel to open")
    shown = page.wait_until(lambda: detail(duo), "the detail panel's contents")
    assert shown["title"] == XSS_TITLE
    assert shown["paragraphs"] == [f"{HAND_SOURCE} · 2022-03-19 12:00 UTC", "No link", XSS_SUMMARY, EXPLAINED]
    assert shown["anchors"] == []
    assert shown["moves"] == moves
    assert not {"script", "img", "b", "a"} & set(shown["elements"])

    # Nothing ran: no alert, no element made from the headline's markup anywhere in the page.
    assert page.no_alert(duo)
    assert duo.driver.execute_script(
        "return [...document.querySelectorAll('script')].filter(s => s.text.includes('alert(')).length"
        " + document.querySelectorAll('img[src=\"x\"], a[href^=\"javascript:\"]').length") == 0
    assert duo.find_elements(f"#{ids.TABLE} a") == []
    assert duo.get_logs() == []
    # The ticker strip is still there after all that (the page did not break).
    assert duo.find_element(f"#{ids.TICKER_STRIP}").find_elements(By.CSS_SELECTOR, ".nm-ticker-item")


def test_clicking_a_table_row_opens_its_detail_with_the_whole_title(open_app, browser_config):
    headline_id, moves = hand_made(browser_config.store.url, XSS_TITLE)
    duo = open_app(XSS_DAY)
    page.wait_for_equal(lambda: [r["title"] for r in page.table_rows(duo)], [XSS_TITLE], "the table row")
    # a cell shows two lines of a title at most, a longer one cut with an ellipsis
    clamp = duo.driver.execute_script(
        "const e = document.querySelector('#' + arguments[0] + ' .ag-cell[col-id=\"title\"] span');"
        "return e ? getComputedStyle(e).webkitLineClamp : null;", ids.TABLE)
    assert clamp == "2"
    assert not page.detail_panel_open(duo)
    cell = f"#{ids.TABLE} .ag-center-cols-container .ag-cell[col-id='published']"
    element = duo.driver.find_element(By.CSS_SELECTOR, cell)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    page.wait_until(lambda: duo.driver.execute_script(   # nothing over it once scrolled to
        "const r = arguments[0].getBoundingClientRect();"
        "return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === arguments[0]"
        " || arguments[0].contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));", element),
        "the row's cell in view")
    element.click()
    page.wait_until(lambda: page.detail_panel_open(duo), "the detail panel to open")
    shown = page.wait_until(lambda: detail(duo), "the detail panel's contents")
    assert shown["title"] == XSS_TITLE and shown["moves"] == moves
    page.wait_for_equal(lambda: page.prop(duo, ids.SELECTED_HEADLINE, "data"), headline_id, "the row's story selected")
    # no backdrop: the table stays usable beside the panel
    assert not duo.driver.find_elements(By.CSS_SELECTOR, ".offcanvas-backdrop")
    page.wait_until(lambda: page.callbacks_done(duo), "the page's callbacks to finish")
    assert duo.get_logs() == []
