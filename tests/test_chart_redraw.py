"""New data redraws an open chart only when it changed what the chart shows: the store's log of
which times each data version changed, chart_answer, and the callback as the browser
calls it (an empty answer when nothing is to be redrawn)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import create_app, ids
from dashboard.chart.cache import ChartCache
from dashboard.chart.callbacks import UNCHANGED, chart_answer, chart_view
from dashboard.context import DashboardContext
from ingest.config import Config
from ingest.records import Headline, TickerSnapshot
from ingest.store import Store
from tests.conftest import close_bars, utc

FETCHED = utc(2026, 1, 1)
MARCH = {"instruments": ["brent"], "range": "custom", "start": "2022-03-01", "end": "2022-03-31"}
MONTH = {"instruments": ["brent"], "range": "1M"}


def headline(guid: str, published, title: str = "Oil story") -> Headline:
    return Headline(source="s", guid=guid, title=title, published=published, fetched=FETCHED)


def daily(first: str, days: int, level: float = 100.0) -> pd.DataFrame:
    return close_bars(pd.date_range(first, periods=days, freq="D", tz="UTC"), [level + i for i in range(days)])


@pytest.fixture
def ctx(store_url) -> DashboardContext:
    config = Config.model_validate({"store": {"url": store_url}, "feeds": [], "pages": []})
    store = Store.open(store_url)
    store.sync_config(config)
    store.write_bars("brent", "1d", "import", daily("2022-02-01", 120), FETCHED)   # to 31 May 2022
    store.write_headlines([headline("a", utc(2022, 3, 10, 9)), headline("b", utc(2022, 5, 30, 12))])
    yield DashboardContext(config, store)
    store.close()


def chart_request(dependencies: list[dict], values: dict, changed: list[str]) -> dict:
    """The body dash-renderer posts for the main chart callback; `values` by 'id.property'."""
    chart = next(d for d in dependencies if f"{ids.CHART}.figure" in d["output"])
    return {"output": chart["output"],
            "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                        for o in chart["output"].strip(".").split("...")],
            "inputs": [dict(i, value=values.get(f"{i['id']}.{i['property']}")) for i in chart["inputs"]],
            "state": [dict(s, value=values.get(f"{s['id']}.{s['property']}")) for s in chart["state"]],
            "changedPropIds": changed}


def draw(ctx, state, window=None, trigger=ids.STATE):
    """The callback's answer (with a cache of its own, so that every call draws or says UNCHANGED)."""
    return chart_answer(ctx, ChartCache(), state, None, trigger, window, None, None)


def test_the_change_log_tells_which_times_each_version_changed(store):
    assert store.data_version() == 0 and store.changed_since(0, None, None) is False
    store.write_bars("brent", "1d", "import", daily("2022-03-01", 3), FETCHED)            # v1: 1-3 March
    store.write_headlines([headline("a", utc(2022, 3, 10, 9))])                           # v2: 10 March
    store.write_snapshots([TickerSnapshot(source="page:x", mark="BR", instrument_id="brent", value=90.0,
                                          change=None, change_pct=None, captured_at=utc(2022, 4, 2),
                                          captured_from="given")])                         # v3: 2 April
    assert store.data_version() == 3
    assert store.changed_since(0, utc(2022, 3, 4), utc(2022, 3, 9)) is False   # between the changes
    assert store.changed_since(0, utc(2022, 3, 3), utc(2022, 3, 9)) is True    # the bars' last day
    assert store.changed_since(1, utc(2022, 3, 1), utc(2022, 3, 3)) is False   # only v1 touched them
    assert store.changed_since(1, utc(2022, 3, 10, 9), None) is True
    assert store.changed_since(2, None, utc(2022, 4, 1)) is False
    assert store.changed_since(2, None, utc(2022, 4, 2)) is True
    assert store.changed_since(3, None, None) is False
    # unchanged rows are no change; a revised bar and a headline moved to another time are
    store.write_bars("brent", "1d", "import", daily("2022-03-01", 3), FETCHED)
    assert store.data_version() == 3
    revised = daily("2022-03-02", 1, level=120.0)
    store.write_bars("brent", "1d", "import", revised, FETCHED)                            # v4: 2 March
    assert store.changed_since(3, utc(2022, 3, 2), utc(2022, 3, 2)) is True
    assert store.changed_since(3, utc(2022, 3, 3), None) is False
    store.write_headlines([headline("a", utc(2022, 3, 8), title="Oil story, revised")])     # v5: 8-10 March
    assert store.changed_since(4, utc(2022, 3, 9), utc(2022, 3, 9, 12)) is True
    assert store.changed_since(4, utc(2022, 3, 11), None) is False
    store.retag(lambda h: [("topic", "Oil")])                                              # v6: anywhere
    assert store.changed_since(5, utc(2030, 1, 1), None) is True
    assert store.changed_since(99, utc(2030, 1, 1), None) is True   # a version this store never had


def test_the_change_log_forgets_old_versions_and_then_answers_changed(store, monkeypatch):
    import ingest.store.runs as runs
    monkeypatch.setattr(runs, "CHANGE_LOG_KEEP", 150)
    for day in range(200):
        store.write_headlines([headline(f"h{day}", utc(2021, 1, 1) + pd.Timedelta(days=day))])
    with store.reading() as conn:
        kept = conn.exec_driver_sql("SELECT min(version), max(version), count(*) FROM data_changes").one()
    assert tuple(kept) == (51, 200, 150)   # pruned when version 200 was written: 1..50 are gone
    assert store.changed_since(50, utc(2030, 1, 1), None) is False   # 51..200 are all known
    assert store.changed_since(49, utc(2030, 1, 1), None) is True    # version 50 is not


def test_new_data_outside_a_fixed_window_leaves_the_chart_as_it_is(ctx):
    figure, note, window, _ = draw(ctx, MARCH)
    assert window["version"] == 2 and window["follows_latest"] is False
    ctx.store.write_headlines([headline("c", utc(2022, 5, 20))])
    ctx.store.write_bars("brent", "1d", "import", daily("2022-06-01", 5), FETCHED)
    assert draw(ctx, MARCH, window, ids.DATA_VERSION) == UNCHANGED
    # a redraw asked for by anything else is drawn in full
    assert draw(ctx, MARCH, window, ids.STATE)[2]["version"] == 4
    # a bar in the padding before the window (its first marks sit on it) is a change
    ctx.store.write_bars("brent", "1d", "import", daily("2022-02-25", 1, level=50.0), FETCHED)
    figure, note, redrawn, _ = draw(ctx, MARCH, window, ids.DATA_VERSION)
    assert redrawn["version"] == 5 and 50.0 in list(figure["data"][1]["y"])   # [0]: the selected story's ring
    ctx.store.write_headlines([headline("d", utc(2022, 3, 20), title="Brent jumps")])
    figure, note, redrawn, _ = draw(ctx, MARCH, redrawn, ids.DATA_VERSION)
    assert redrawn["version"] == 6 and redrawn["headlines"] == 2 and note.startswith("2 headlines in view")


def test_a_window_that_follows_the_newest_data_redraws_when_data_comes_after_it(ctx):
    figure, note, window, _ = draw(ctx, MONTH)
    # the newest data point: the close of 31 May, known a day after its stamp (close_bars' rule)
    assert window["follows_latest"] is True and window["end"] == "2022-06-01T00:00:00+00:00"
    ctx.store.write_headlines([headline("old", utc(2021, 6, 1))])   # long before the window
    assert draw(ctx, MONTH, window, ids.DATA_VERSION) == UNCHANGED
    ctx.store.write_bars("brent", "1d", "import", daily("2022-06-01", 2), FETCHED)
    figure, note, moved, _ = draw(ctx, MONTH, window, ids.DATA_VERSION)
    assert moved["end"] == "2022-06-03T00:00:00+00:00"
    # a zoom is a fixed window, even on a preset range
    relayout = {"xaxis.range[0]": "2022-05-10 00:00:00", "xaxis.range[1]": "2022-05-20 00:00:00"}
    figure, note, zoomed, _ = chart_view(ctx, MONTH, relayout, ids.CHART, moved, None, None)
    assert zoomed["zoomed"] is True and zoomed["follows_latest"] is False
    ctx.store.write_bars("brent", "1d", "import", daily("2022-06-03", 2), FETCHED)
    assert draw(ctx, MONTH, zoomed, ids.DATA_VERSION) == UNCHANGED


def test_a_chart_drawn_without_a_version_or_of_all_time_is_always_redrawn(ctx):
    ctx.store.write_headlines([headline("c", utc(2019, 1, 1))])
    legacy = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d",
              "zoomed": False, "headlines": 1}   # drawn by an older newsmarks: no version in it
    assert draw(ctx, MARCH, legacy, ids.DATA_VERSION)[2]["version"] == 3
    everything = {"instruments": ["brent"], "range": "All"}
    window = draw(ctx, everything)[2]
    assert window["start"] is None and window["follows_latest"] is True
    ctx.store.write_headlines([headline("d", utc(2018, 1, 1))])
    assert draw(ctx, everything, window, ids.DATA_VERSION)[2]["version"] == 4


def test_the_callback_answers_nothing_when_new_data_changes_nothing_shown(ctx):
    app = create_app(ctx.config, ctx.store)
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    window = draw(ctx, MARCH)[2]

    def post(changed: list[str], version: int) -> tuple[int, bytes]:
        values = {f"{ids.STATE}.data": MARCH, f"{ids.DATA_VERSION}.data": version, f"{ids.WINDOW}.data": window}
        body = chart_request(dependencies, values, changed)
        answer = client.post("/_dash-update-component", json=body)
        return answer.status_code, answer.data

    ctx.store.write_bars("brent", "1d", "import", daily("2022-07-01", 3), FETCHED)
    status, content = post([f"{ids.DATA_VERSION}.data"], 3)
    assert status == 200 and json.loads(content) == {"multi": True, "response": {}}   # nothing to redraw
    status, content = post([f"{ids.DATA_VERSION}.data", f"{ids.STATE}.data"], 3)   # and the view changed
    assert status == 200 and json.loads(content)["response"][ids.WINDOW]["data"]["version"] == 3
    ctx.store.write_headlines([headline("e", utc(2022, 3, 15))])
    status, content = post([f"{ids.DATA_VERSION}.data"], 4)
    assert status == 200 and json.loads(content)["response"][ids.WINDOW]["data"]["headlines"] == 2


def test_a_worker_draws_a_view_of_the_same_data_once(ctx):
    """Pages showing one view (a team's default) redrawing it after a refresh: the first request
    reads the store and builds the figure, the others get that answer; new data is drawn anew."""
    from sqlalchemy import event
    app = create_app(ctx.config, ctx.store)
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    statements: list[str] = []
    event.listen(ctx.store.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))

    def post(state: dict, tz: str = "Europe/Berlin") -> dict:
        body = chart_request(dependencies, {f"{ids.STATE}.data": state, f"{ids.BROWSER_TZ}.data": tz},
                             [f"{ids.STATE}.data"])
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200
        return json.loads(answer.data)["response"]

    first = post(MARCH)
    drawn = len(statements)
    assert drawn > 5
    assert post(MARCH) == first
    asked = [s for s in statements[drawn:] if s.lstrip().upper().startswith("SELECT")]
    assert len(asked) == 1 and "FROM meta" in asked[0]     # only: which data version is this?
    other_zone = post(dict(MARCH, tz="browser"), "Asia/Tokyo")
    assert other_zone[ids.CHART_NOTE]["children"].endswith("times in Asia/Tokyo.")
    ctx.store.write_headlines([headline("z", utc(2022, 3, 12), title="Talks resume")])
    again = post(MARCH)
    assert again[ids.WINDOW]["data"]["version"] == 3 and again[ids.WINDOW]["data"]["headlines"] == 2
    assert first[ids.WINDOW]["data"]["headlines"] == 1


def test_a_chart_cache_keeps_the_latest_answers():
    from dashboard.chart.cache import ChartCache, chart_key
    cache = ChartCache(size=2)
    drawn = []

    def draw(name):
        drawn.append(name)
        return (name,)
    assert cache.get_or_draw("a", lambda: draw("a")) == ("a",)
    assert cache.get_or_draw("a", lambda: draw("again")) == ("a",)
    cache.get_or_draw("b", lambda: draw("b"))
    cache.get_or_draw("c", lambda: draw("c"))         # "a" was used least recently: dropped
    cache.get_or_draw("a", lambda: draw("a2"))
    assert drawn == ["a", "b", "c", "a2"] and (cache.hits, cache.misses) == (1, 4)
    with pytest.raises(ValueError, match="at least one answer"):
        ChartCache(size=0)
    # the key holds what the answer depends on, and no more
    zoomed = {"start": "2022-03-07T00:00:00+00:00", "end": "2022-03-08T00:00:00+00:00", "zoomed": True,
              "version": 1, "headlines": 5}
    key = chart_key(MARCH, {"xaxis.range[0]": "x"}, ids.DATA_VERSION, zoomed, None, "UTC", 7)
    assert key == chart_key(MARCH, None, ids.DATA_VERSION, dict(zoomed, version=6, headlines=9), None, "UTC", 7)
    assert key != chart_key(MARCH, None, ids.DATA_VERSION, zoomed, None, "UTC", 8)
    assert key != chart_key(MARCH, None, ids.STATE, zoomed, None, "UTC", 7)      # a new state drops the zoom
    assert key != chart_key(MARCH, None, ids.DATA_VERSION, None, None, "UTC", 7)
    assert chart_key(MARCH, {"xaxis.range[0]": "x"}, ids.CHART, None, None, "UTC", 7) != \
        chart_key(MARCH, {"xaxis.range[0]": "y"}, ids.CHART, None, None, "UTC", 7)
    assert key != chart_key(MARCH, None, ids.DATA_VERSION, zoomed, 12, "UTC", 7)  # a highlighted headline


def test_what_reads_beyond_the_window_is_refreshed_by_new_data_even_when_the_chart_is_not(ctx):
    """The table's moves after each headline and the analysis read bars past the window's end: they
    listen to the data version themselves, not only to the window the chart sets."""
    app = create_app(ctx.config, ctx.store)
    dependencies = app.server.test_client().get("/_dash-dependencies").get_json()

    def inputs_of(output: str) -> set[str]:
        found = [d for d in dependencies if output in d["output"]]
        assert len(found) == 1, output
        return {f"{i['id']}.{i['property']}" for i in found[0]["inputs"]}
    version, window = f"{ids.DATA_VERSION}.data", f"{ids.WINDOW}.data"
    assert {version, window} <= inputs_of(f"{ids.TABLE_CONTAINER}.children")
    assert {version, window} <= inputs_of(f"{ids.ANALYSIS_EVENT_CHART}.figure")
    assert version in inputs_of(f"{ids.CHART}.figure")


def test_a_window_and_a_data_version_arriving_together_build_the_table(ctx):
    """A slow page sends the chart's first window and the first poll's data version in one call
    (dash-renderer batches inputs changed while a request was out): the table is built. Posted
    as the browser posts it; before, the first of the two decided and the table stayed empty."""
    app = create_app(ctx.config, ctx.store)
    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    remount = next(d for d in dependencies if f"{ids.TABLE_CONTAINER}.children" in d["output"])
    window = draw(ctx, MARCH)[2]
    values = {f"{ids.WINDOW}.data": window, f"{ids.DATA_VERSION}.data": window["version"],
              f"{ids.STATE}.data": MARCH}

    def post(changed: list[str]) -> dict:
        body = {"output": remount["output"],
                "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                            for o in remount["output"].strip(".").split("...")],
                "inputs": [dict(i, value=values.get(f"{i['id']}.{i['property']}")) for i in remount["inputs"]],
                "state": [dict(s, value=values.get(f"{s['id']}.{s['property']}")) for s in remount["state"]],
                "changedPropIds": changed}
        answer = client.post("/_dash-update-component", json=body)
        return json.loads(answer.data)["response"] if answer.status_code == 200 else {"status": answer.status_code}

    both = post([f"{ids.DATA_VERSION}.data", f"{ids.WINDOW}.data"])
    assert both[ids.TABLE_COUNT]["children"] == "1 headline"
    assert both[ids.TABLE_CONTAINER]["children"]["props"]["id"] == ids.TABLE
    assert both[ids.TABLE_BUILT]["data"] == {"window": window, "state": MARCH, "version": window["version"]}
    values[f"{ids.TABLE_BUILT}.data"] = both[ids.TABLE_BUILT]["data"]
    assert post([f"{ids.DATA_VERSION}.data"]) == {}   # the same version alone: nothing updated
    assert post([f"{ids.WINDOW}.data"]) == {}         # the same window again: nothing either

