"""The page in a real browser: the ticker strip, a link's view state, search, and a malformed link."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.common.by import By

from dashboard import ids
from dashboard.chart.data import BAR_PADDING
from dashboard.state import RANGE_PRESETS
from ingest.store import HeadlineFilter, Store
from tests.browser import page
from tests.browser.fixture_store import BRENT_CSV

BRENT_LABEL = "Brent crude (ICE futures)"
MARCH = (datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 3, 31, 23, 59, 59, tzinfo=UTC))
MARCH_LINK = "/?instruments=brent&range=custom&start=2022-03-01&end=2022-03-31"


def brent_rows() -> list[tuple[str, float]]:
    """(date, close) of the real Brent file, read with the csv module."""
    with BRENT_CSV.open(newline="") as handle:
        return [(row["Date"], float(row["Price"])) for row in csv.DictReader(handle)]


NO_USD = "USD/RUB (Bank of Russia): no data in this window — run `newsmarks refresh` or import a CSV"
NO_EUR = "EUR/RUB (Bank of Russia): no data in this window — run `newsmarks refresh` or import a CSV"


def no_data_text(duo) -> list[str]:
    """The text of each annotation drawn on the chart (its lines run together)."""
    return [e.get_attribute("textContent")
            for e in duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.CHART} .annotation-text")]


def test_page_loads_with_the_ticker_strip(open_app):
    rows = brent_rows()
    (_, previous), (day, latest) = rows[-2], rows[-1]
    value, change = f"{latest:.2f}", f"{(latest - previous) / previous * 100:+.2f}%"
    assert (day, value, change) == ("2026-08-18", "95.29", "+3.09%")  # 92.43 -> 95.29 in the file

    duo = open_app("/")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TICKER_STRIP}"), f"BR{value}{change}", "the ticker strip")
    # Only Brent: the other instruments with a mark ($, €) have no data in this store.
    items = duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.TICKER_STRIP} .nm-ticker-item")
    assert [item.get_attribute("id") for item in items] == ["nm-ticker-brent"]
    parts = items[0].find_elements(By.CSS_SELECTOR, "span")
    assert [(p.text, p.get_attribute("class")) for p in parts] == [
        ("BR", "nm-mark"), (value, "nm-value"), (change, "nm-change nm-up")]
    # known at the ICE settlement, 19:30 London time (British summer time: 18:30 UTC)
    assert items[0].get_attribute("title") == f"brent: {value}, the close dated {day}, known {day} 18:30 (UTC)"
    assert page.text(duo, f"#{ids.LAST_REFRESH}") == "Not refreshed yet"

    # The default view: the last three months before the newest data point, with the instruments that
    # have data in them — of the strip's three, Brent alone (the Bank of Russia rates have none here)
    page.wait_for_equal(lambda: page.prop(duo, ids.INSTRUMENTS, "value"), ["brent"], "the default instruments")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.CHART_NOTE}"),
                        "0 headlines in view. Daily bars, times in UTC.", "the chart note")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TABLE_COUNT}"), "0 headlines", "the table count")
    # The newest data point is when Brent's last close became known, 18:30 UTC that day.
    latest = datetime.fromisoformat(day) + timedelta(hours=18, minutes=30)
    first = (latest - RANGE_PRESETS["3M"] - BAR_PADDING["1d"]).isoformat()
    drawn = page.wait_until(lambda: page.traces(duo), "the chart")
    assert [(t["name"], t["meta"]["kind"], t["n"]) for t in drawn] == [   # the (empty) ring of a selected story first
        ("selected headline", "highlight", 0), (BRENT_LABEL, "price", sum(1 for d, _ in rows if d >= first))]
    assert no_data_text(duo) == []
    page.wait_until(lambda: page.callbacks_done(duo), "the page's callbacks to finish")

    # Instruments chosen that have no data in the window: the chart says so, on it and above it
    duo.wait_for_page(f"{duo.server.url}/?instruments=usd_rub,eur_rub,brent")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.CHART_NOTE}"),
                        f"0 headlines in view. Daily bars, times in UTC. {NO_USD}. {NO_EUR}.", "the chart note")
    page.wait_for_equal(lambda: no_data_text(duo), [NO_USD + NO_EUR], "the no-data note on the chart")
    page.wait_until(lambda: page.callbacks_done(duo), "the page's callbacks to finish")
    assert duo.get_logs() == []


def test_link_opens_its_view_and_search_narrows_table_and_marks(open_app, browser_config):
    store = Store.open(browser_config.store.url)
    try:
        march = store.headlines(start=MARCH[0], end=MARCH[1], stories_only=True)
        oil = store.headlines(start=MARCH[0], end=MARCH[1], query="oil", stories_only=True, sort="published",
                              descending=True)
        assert store.count_headlines(HeadlineFilter(*MARCH, stories_only=True)) == len(march)
    finally:
        store.close()
    assert (len(march), len(oil)) == (93, 5)  # 91 BBC Business stories and the 2 hand-made ones

    duo = open_app(MARCH_LINK + "&marked=all")
    # The filters show the link's values.
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.INSTRUMENTS}-value"), BRENT_LABEL, "the instruments shown")
    page.wait_for_equal(lambda: page.prop(duo, ids.INSTRUMENTS, "value"), ["brent"], "the instruments' value")
    page.wait_for_equal(lambda: page.checked_values(duo, ids.RANGE_PRESET), ["custom"], "the checked range preset")
    page.wait_for_equal(lambda: page.date_inputs(duo), ["2022-03-01", "2022-03-31"], "the date pickers")
    assert duo.find_element(f"#{ids.SEARCH}").get_attribute("value") == ""
    page.wait_for_equal(lambda: page.checked_values(duo, ids.MARK_MODE), ["all"], "the marks control")

    # The whole month, every story marked: every headline is a mark, the table counts them all, newest first.
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TABLE_COUNT}"), f"{len(march)} headlines", "the table count")
    page.wait_for_equal(lambda: page.mark_ids(duo), sorted(march["id"].tolist()), "the marks of March")
    assert page.text(duo, f"#{ids.CHART_NOTE}") == (f"{len(march)} headlines in view. {len(march)} marked one by one. "
                                                    "Daily bars, times in UTC.")
    newest = march.sort_values("published").iloc[-1]
    page.wait_for_equal(lambda: page.table_titles(duo)[:1], [newest["title"]], "the newest headline first")

    page.search(duo, "oil")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TABLE_COUNT}"), "5 headlines", "the count after the search")
    expected_rows = [{"time": r.published.strftime("%Y-%m-%d %H:%M"), "source": r.source, "title": r.title,
                      "topics": r.topics} for r in oil.itertuples()]
    page.wait_for_equal(lambda: [{k: row[k] for k in ("time", "source", "title", "topics")}
                                 for row in page.table_rows(duo)], expected_rows, "the table rows after the search")
    assert expected_rows[0] == {"time": "2022-03-22 01:40", "source": "BBC Business",
                                "title": "Shell reconsiders its exit from oil field off Shetland", "topics": "Energy"}
    page.wait_for_equal(lambda: page.mark_ids(duo), sorted(oil["id"].tolist()), "the marks after the search")
    assert page.text(duo, f"#{ids.CHART_NOTE}") == "5 headlines in view. 5 marked one by one. Daily bars, times in UTC."
    query = parse_qs(urlsplit(duo.driver.current_url).query)
    assert query == {"instruments": ["brent"], "q": ["oil"], "range": ["custom"], "start": ["2022-03-01"],
                     "end": ["2022-03-31"], "marked": ["all"]}
    assert duo.get_logs() == []


def test_malformed_link_falls_back_to_the_defaults(open_app):
    # Every read waits for its condition: the page renders its layout, then each callback's
    # answer, in an order the test does not control (a read before its component is rendered
    # sees None or an empty text, never a wrong value that would pass).
    duo = open_app("/?range=banana&instruments=nope&tz=Mars/Phobos")
    page.wait_for_equal(lambda: page.prop(duo, ids.INSTRUMENTS, "value"), ["brent"],
                        "the default instruments (those with data)")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.INSTRUMENTS}").split("\n")[0],
                        BRENT_LABEL, "the instruments dropdown's text")
    page.wait_for_equal(lambda: page.checked_values(duo, ids.RANGE_PRESET), ["3M"], "the checked range preset")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TIMEZONE}"), "UTC", "the time zone shown")
    page.wait_for_equal(lambda: page.date_inputs(duo), ["", ""], "the empty date pickers")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.CHART_NOTE}"),
                        "0 headlines in view. Daily bars, times in UTC.", "the chart note")
    drawn = page.wait_until(lambda: page.traces(duo), "the chart")
    assert [t["name"] for t in drawn] == ["selected headline", BRENT_LABEL]
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TICKER_STRIP}"), "BR95.29+3.09%", "the ticker strip")
    assert duo.find_elements("div.dash-debug-alert") == []
    assert duo.get_logs() == []


def test_show_on_chart_switches_to_the_chart_at_that_move(open_app):
    duo = open_app(MARCH_LINK)
    page.wait_until(lambda: page.traces(duo), "the chart")
    tab = f"//*[@id='{ids.ANALYSIS_TABS}']//a[normalize-space()='Analysis']"
    page.wait_until(lambda: duo.driver.find_elements(By.XPATH, tab), "the Analysis tab's link")[0].click()
    page.wait_for_equal(lambda: page.prop(duo, ids.ANALYSIS_TABS, "active_tab"), ids.ANALYSIS_TAB_ANALYSIS,
                        "the Analysis tab")
    first_link = f"#{ids.ANALYSIS_MOVES} a"
    page.wait_until(lambda: duo.driver.find_elements(By.CSS_SELECTOR, first_link), "the largest moves' links")
    href = duo.driver.find_elements(By.CSS_SELECTOR, first_link)[0].get_attribute("href")
    # a DOM click on the link (WebDriver's own click finds no point of it inside the viewport of
    # the table's scrolled cell); React's handlers see the same event
    duo.driver.execute_script("arguments[0].click()", duo.driver.find_elements(By.CSS_SELECTOR, first_link)[0])
    page.wait_for_equal(lambda: page.prop(duo, ids.ANALYSIS_TABS, "active_tab"), ids.ANALYSIS_TAB_CHART,
                        "back on the Chart tab")
    page.wait_for_equal(lambda: duo.driver.current_url, href, "the move's view in the address bar")
    assert "range=custom" in urlsplit(href).query
    assert duo.get_logs() == []


def test_the_analysis_tab_and_a_story_are_restored_from_a_link(open_app, browser_config):
    store = Store.open(browser_config.store.url)
    try:
        row = store.headlines(start=MARCH[0], end=MARCH[1], stories_only=True).iloc[0]
    finally:
        store.close()
    story = int(row["id"])
    duo = open_app(f"{MARCH_LINK}#analysis&story={story}")
    page.wait_for_equal(lambda: page.prop(duo, ids.ANALYSIS_TABS, "active_tab"), ids.ANALYSIS_TAB_ANALYSIS,
                        "the Analysis tab, from the link")
    page.wait_for_equal(lambda: page.prop(duo, ids.SELECTED_HEADLINE, "data"), story, "the story, from the link")
    # its detail opens, as a click on its mark would open it; closed again to go on
    page.wait_for_equal(lambda: [e.text for e in duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.DETAIL_BODY} h5")],
                        [row["title"]], "the linked story's detail")
    # the panel slides in: its close button takes clicks once it is open and shown
    page.wait_until(lambda: page.detail_panel_open(duo), "the detail panel to be open")
    close = duo.driver.find_element(By.CSS_SELECTOR, f"#{ids.DETAIL_PANEL} .btn-close")
    page.wait_until(lambda: close.is_displayed() and close.is_enabled() and duo.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === arguments[0];", close),
        "the detail panel's close button to take clicks")
    close.click()
    page.wait_until(lambda: not duo.driver.find_elements(By.CSS_SELECTOR, ".offcanvas-backdrop"), "the panel closed")
    # the tab's study answered (nothing left running on the server when the test ends)
    page.wait_until(lambda: duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.ANALYSIS_MOVES} a"),
                    "the Analysis tab's largest moves")
    # back on the chart, the story is ringed and the link says so
    tab = f"//*[@id='{ids.ANALYSIS_TABS}']//a[normalize-space()='Chart']"
    page.wait_until(lambda: duo.driver.find_elements(By.XPATH, tab), "the Chart tab's link")[0].click()
    page.wait_until(lambda: [t for t in page.traces(duo) or [] if (t["meta"] or {}).get("kind") == "highlight"
                             and t["meta"].get("id") == story and t["n"] == 1], "the ring on the linked story")
    page.wait_for_equal(lambda: urlsplit(duo.driver.current_url).fragment, f"story={story}", "the link's fragment")
    assert parse_qs(urlsplit(duo.driver.current_url).query)["range"] == ["custom"]   # the view's query kept
    page.wait_until(lambda: page.callbacks_done(duo), "the page's callbacks to finish")
    assert duo.get_logs() == []


def test_a_first_load_reads_the_tables_rows_once(open_app, monkeypatch):
    """The page starts without a table; it is built once the chart has drawn its window, and the
    first data version (the one that window was drawn from) does not build it again: its first
    page of rows is read once, not once for the page, once for the window and once for the poll."""
    from dashboard.table import callbacks as table_callbacks

    asked, real = [], table_callbacks.table_rows

    def counted(view, request, *args):
        asked.append(dict(request or {}))
        return real(view, request, *args)

    monkeypatch.setattr(table_callbacks, "table_rows", counted)
    duo = open_app(MARCH_LINK)
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.TABLE_COUNT}"), "93 headlines", "the table count")
    page.wait_until(lambda: page.table_rows(duo), "the table's first rows")
    grid = duo.find_element(f"#{ids.TABLE}")
    page.wait_until(lambda: page.prop(duo, ids.DATA_VERSION, "data") is not None, "the first poll")
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.LAST_REFRESH}"), "Not refreshed yet", "the header")
    page.wait_until(lambda: page.callbacks_done(duo), "the page's callbacks to finish")
    assert [r.get("startRow") for r in asked] == [0]
    assert grid.is_displayed()   # the same grid: not built again (a stale element would raise)
    assert duo.get_logs() == []
