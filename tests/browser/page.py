"""Reading the dashboard page in the browser: component props, the drawn figure, the table rows,
the detail panel, downloads. Every wait has a timeout and says what it waited for."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    NoAlertPresentException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from dashboard import ids

TIMEOUT = 30.0   # generous: a loaded CI machine is slow, and only a failure waits it out

# The props of a component as Dash's renderer holds them (what the page shows for inputs whose
# DOM does not carry the value, such as the new multi-value dropdown).
PROPS_JS = """
const state = window.store && window.store.getState();
const path = state && state.paths && state.paths.strs[arguments[0]];
if (!path) { return null; }
let node = state.layout;
for (const key of path) { node = node[key]; }
return node.props;
"""

# The figure plotly.js has drawn (the graph div's `data`), reduced to what the tests check.
TRACES_JS = """
const graph = document.getElementById(arguments[0]);
const gd = graph && graph.querySelector('.js-plotly-plot');
if (!gd || !gd.data) { return null; }
return gd.data.map(t => ({name: t.name, meta: t.meta || null,
                          ids: (t.customdata || []).map(row => row[0]),
                          n: (t.x || []).length}));
"""

# The rendered rows of the headlines table (ag-grid draws only the rows in view, plus a buffer).
TABLE_JS = """
const rows = [...document.querySelectorAll('#' + arguments[0] + ' .ag-center-cols-container .ag-row')];
const cell = (row, col) => row.querySelector('.ag-cell[col-id="' + col + '"]');
return rows.map(row => ({
    index: Number(row.getAttribute('row-index')),
    time: cell(row, 'published').innerText, source: cell(row, 'source').innerText,
    title: cell(row, 'title').innerText, topics: cell(row, 'topics').innerText,
    anchors: [...cell(row, 'title').querySelectorAll('a')].map(a => ({
        href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel'),
        text: a.innerText})),
})).sort((a, b) => a.index - b.index);
"""


def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Poll `condition` until it returns something truthy; AssertionError naming `what` (and the
    last value seen) on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = condition()
        except StaleElementReferenceException:
            last = None
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last seen: {last!r})")
        time.sleep(0.1)


def wait_for_equal(read: Callable[[], Any], expected: Any, what: str, timeout: float = TIMEOUT) -> None:
    """Wait until `read()` equals `expected`; on timeout, show the last value read."""
    seen: list[Any] = []

    def same() -> bool:
        seen.append(read())
        return seen[-1] == expected

    try:
        wait_until(same, what, timeout)
    except AssertionError:
        raise AssertionError(f"{what}: expected {expected!r}, last seen {seen[-1] if seen else None!r}") from None


def click_in_view(duo, selector: str, timeout: float = TIMEOUT) -> None:
    """Scroll an element to the middle of the window and click it, again while something else
    still covers it (the page's layout settles after callbacks: a loading table, a redrawn chart)."""

    def clicked() -> bool:
        element = duo.find_element(selector)
        duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        try:
            element.click()
        except (ElementClickInterceptedException, StaleElementReferenceException):
            return False
        return True

    wait_until(clicked, f"a click on {selector}", timeout)


def props(duo, component_id: str) -> dict | None:
    """The current props of a component (None before the layout is rendered)."""
    return duo.driver.execute_script(PROPS_JS, component_id)


def prop(duo, component_id: str, name: str) -> Any:
    """One prop of a component as the renderer holds it; None until the layout holding the
    component has been rendered (so a wait on it never fails on a page still loading)."""
    return (props(duo, component_id) or {}).get(name)


def checked_values(duo, component_id: str) -> list[str]:
    """The values of the checked inputs inside a component (radio items, checklists)."""
    return duo.driver.execute_script(
        "return [...document.querySelectorAll('#' + arguments[0] + ' input')].filter(i => i.checked)"
        ".map(i => i.value)", component_id)


def date_inputs(duo) -> list[str]:
    """The values shown in the date pickers' inputs."""
    return duo.driver.execute_script(
        "return [...document.querySelectorAll('.dash-datepicker-input')].map(i => i.value)")


def text(duo, selector: str) -> str:
    """The visible text of the first element matching a CSS selector ('' when there is none)."""
    found = duo.driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def traces(duo) -> list[dict] | None:
    """The chart's drawn traces: name, meta, customdata ids (first column) and point count."""
    return duo.driver.execute_script(TRACES_JS, ids.CHART)


def mark_ids(duo) -> list[int] | None:
    """Headline ids of all mark traces on the drawn chart, sorted (None before it is drawn)."""
    drawn = traces(duo)
    if drawn is None:
        return None
    return sorted(int(i) for t in drawn if (t["meta"] or {}).get("kind") == "marks" for i in t["ids"])


def table_rows(duo) -> list[dict]:
    """The headlines table's rendered rows in row order, as shown: time, source, title, topics,
    plus the title cell's anchors ([{'href', 'target', 'rel', 'text'}]). Read in one script, so a
    re-rendering grid cannot leave stale elements behind."""
    return duo.driver.execute_script(TABLE_JS, ids.TABLE)


def table_titles(duo) -> list[str]:
    return [row["title"] for row in table_rows(duo)]


def search(duo, keyword: str) -> None:
    """Type a keyword in the search box and press Enter (the box is debounced)."""
    box = duo.find_element(f"#{ids.SEARCH}")
    box.clear()
    box.send_keys(keyword + "\n")


def hover_only_mark(duo) -> None:
    """Move the mouse onto the one headline mark on the chart (plotly then shows its hover label)."""
    points = wait_until(lambda: duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.CHART} .scatterlayer path.point"),
                        "the mark's SVG point")
    assert len(points) == 1, f"expected exactly one mark point, found {len(points)}"
    ActionChains(duo.driver).move_to_element(points[0]).pause(0.3).perform()


def click_only_mark(duo) -> None:
    """Click the one headline mark on the chart.

    A real mouse click at the marker's centre: plotly.js has no click handler on the SVG point
    itself; its drag layer on top turns the mouse position into the nearest point (hovermode
    'closest') and emits plotly_click, which dcc.Graph turns into `clickData`. So the pointer is
    moved there first (plotly picks the point on hover), then ActionChains clicks at that
    position, whatever element lies on top (an element click would be "intercepted").
    """
    hover_only_mark(duo)
    ActionChains(duo.driver).click().perform()


def callbacks_done(duo) -> bool:
    """True when Dash has no callback waiting for its answer (a test that ends with requests in
    flight would have the server write to a closed connection)."""
    return bool(duo.driver.execute_script(
        "return !!window.store && !window.store.getState().isLoading"))


def detail_panel_open(duo) -> bool:
    panel = duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.DETAIL_PANEL}.show")
    return bool(panel) and panel[0].is_displayed()


def no_alert(duo) -> bool:
    """True when no JavaScript alert/confirm/prompt is open."""
    try:
        duo.driver.switch_to.alert  # noqa: B018 - the property raises when none is open
    except NoAlertPresentException:
        return True
    return False


def downloaded(folder: str | Path, name: str, timeout: float = TIMEOUT) -> bytes:
    """The bytes of a finished download `name` in `folder`."""
    path = Path(folder) / name

    def done() -> bool:
        return path.is_file() and not any(Path(folder).glob("*.crdownload"))

    try:
        wait_until(done, f"the download {name}", timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {folder} holds {sorted(p.name for p in Path(folder).iterdir())}") from None
    return path.read_bytes()
