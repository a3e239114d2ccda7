"""Marks at real feed density in a real browser: 1,200 stories a day show the most important
singly and the rest in badges; zooming in splits the badges into single stories; clicking a badge
lists its stories and clicking one opens its detail and moves the ring onto it."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from dashboard import create_app, ids
from dashboard.chart.clusters import TOP_N
from tests.browser import page
from tests.browser.conftest import free_port
from tests.dense_news import DENSE_VIEW, PER_DAY, fill_dense_store

# Each badge trace's points with their centre on the page, the customdata row and the trace index.
BADGES_JS = """
const gd = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
// each drawn scatter trace's group carries its calcdata, whose trace names its index in gd.data
const layers = [...gd.querySelectorAll('.scatterlayer .trace')];
const layerOf = index => layers.find(g => g.__data__ && g.__data__[0] && g.__data__[0].trace
                                          && g.__data__[0].trace.index === index);
const found = [];
gd.data.forEach((t, index) => {
    if (!t.meta || t.meta.kind !== arguments[1] || !layerOf(index)) { return; }
    const points = [...layerOf(index).querySelectorAll('path.point')];
    points.forEach((p, i) => {
        const box = p.getBoundingClientRect();
        found.push({trace: index, point: i, x: box.x + box.width / 2, y: box.y + box.height / 2,
                    data: t.customdata[i], element: p});
    });
});
return found;
"""
ZOOM_JS = """
const gd = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
Plotly.relayout(gd, {'xaxis.range[0]': arguments[1], 'xaxis.range[1]': arguments[2]});
"""


@pytest.fixture(scope="module")
def dense_config(tmp_path_factory):
    return fill_dense_store(f"sqlite:///{tmp_path_factory.mktemp('dense-store') / 'store.db'}")


@pytest.fixture
def open_dense(dash_duo, dense_config):
    def start(path: str):
        dash_duo.driver.implicitly_wait(0)
        dash_duo.start_server(create_app(dense_config), navigate=False, port=free_port())
        dash_duo.wait_for_page(dash_duo.server.url + path)
        return dash_duo
    return start


def drawn(duo, kind: str) -> list[dict]:
    return [t for t in page.traces(duo) or [] if (t["meta"] or {}).get("kind") == kind]


def points(duo, kind: str) -> list[dict]:
    return duo.driver.execute_script(BADGES_JS, ids.CHART, kind)


def click_at(duo, point: dict) -> None:
    """A real mouse click on a point's SVG shape: the pointer moves onto it first (plotly picks
    the nearest point on hover), then clicks where it is, whatever lies on top."""
    ActionChains(duo.driver).move_to_element(point["element"]).pause(0.3).perform()
    ActionChains(duo.driver).click().perform()


def stories_listed(duo) -> list:
    return duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.DETAIL_BODY} .nm-cluster-story")


def test_a_dense_view_zoom_and_a_clicked_badge(open_dense):
    duo = open_dense("/" + DENSE_VIEW)
    page.wait_until(lambda: drawn(duo, "clusters"), "the badges")
    singles = sum(t["n"] for t in drawn(duo, "marks"))
    assert singles == TOP_N
    note = page.text(duo, f"#{ids.CHART_NOTE}")
    assert note.startswith(f"{2 * PER_DAY:,} headlines in view. {TOP_N} marked one by one, "
                           f"{2 * PER_DAY - TOP_N:,} in clusters")

    # twenty minutes: a minute per bucket, every story alone in its own — single marks only
    duo.driver.execute_script(ZOOM_JS, ids.CHART, "2026-08-10 06:00:00", "2026-08-10 06:20:00")
    page.wait_until(lambda: not drawn(duo, "clusters") and sum(t["n"] for t in drawn(duo, "marks")) == 17,
                    "the badges split into the 17 stories of those twenty minutes")

    # an hour: buckets of five minutes; click the badge farthest from any single mark
    duo.driver.execute_script(ZOOM_JS, ids.CHART, "2026-08-10 06:00:00", "2026-08-10 07:00:00")
    page.wait_until(lambda: drawn(duo, "clusters") and page.text(duo, f"#{ids.CHART_NOTE}").startswith("51 "),
                    "the hour's badges")
    badges, marks = points(duo, "clusters"), points(duo, "marks")
    badge = max(badges, key=lambda b: min([abs(b["x"] - m["x"]) for m in marks] or [1e9]))
    click_at(duo, badge)
    page.wait_until(lambda: page.detail_panel_open(duo), "the panel to open on the badge's list")
    buttons = page.wait_until(lambda: stories_listed(duo), "the badge's stories")
    heading = page.text(duo, f"#{ids.DETAIL_BODY} h6")
    assert heading.endswith("stories") and int(heading.split()[0]) == len(buttons) >= 2
    chosen = buttons[0].text
    buttons[0].click()
    page.wait_for_equal(lambda: page.text(duo, f"#{ids.DETAIL_BODY} h5"), chosen, "the chosen story's detail")
    page.wait_until(lambda: [t for t in page.traces(duo) or [] if (t["meta"] or {}).get("kind") == "highlight"
                             and t["meta"].get("id") is not None and t["n"] == 1], "the ring moved onto the story")
    assert duo.get_logs() == []
