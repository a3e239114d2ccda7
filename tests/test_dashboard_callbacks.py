"""Dashboard callbacks called directly, on a store filled from ../shared/data."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html, no_update

from dashboard import create_app, ids
from dashboard.chart.callbacks import chart_view, mark_anchor, zoom_window
from dashboard.context import DashboardContext
from dashboard.downloads.callbacks import download
from dashboard.filters.callbacks import sync
from dashboard.header.callbacks import header_view, poll
from dashboard.table.callbacks import clicked_headline, detail_view, linked_story, table_rows
from dashboard.table.layout import headlines_table
from dashboard.window import ChartWindow
from ingest.config import Config
from ingest.csvio import read_headlines_csv, read_prices_csv
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store import Store
from tests.conftest import SHARED_DATA, close_bars, utc

FETCHED = utc(2026, 9, 1)   # after the last bar: every close written was final


@pytest.fixture(scope="module")
def ctx(module_store_url) -> DashboardContext:
    config = Config.model_validate({"store": {"url": module_store_url}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    store.sync_config(config)
    brent = read_prices_csv(SHARED_DATA / "brent-daily.csv").bars
    store.write_bars("brent", "1d", "import", brent, FETCHED)
    rub = read_prices_csv(SHARED_DATA / "yahoo" / "USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv").bars
    store.write_bars("usd_rub_mkt", "1d", "import", rub, FETCHED)
    hourly = close_bars(pd.date_range("2022-03-07", periods=48, freq="h", tz="UTC"), [120.0 + i / 4 for i in range(48)])
    store.write_bars("brent", "1h", "import", hourly, FETCHED)
    tagger = headline_tagger(config.topics)
    store.write_headlines(read_headlines_csv(SHARED_DATA / "bbc-business-rss-2022-2024.csv",
                                             fetched=FETCHED).headlines, tag=tagger)
    store.write_headlines([
        Headline(source="hand", guid="x1", title='<script>alert("x")</script> Sanctions talk',
                 published=utc(2022, 3, 8, 12), fetched=FETCHED, link="javascript:alert(1)"),
    ], tag=tagger)
    return DashboardContext(config, store)


def state(ctx, search: str) -> dict:
    result = sync(None, search, {}, ctx.instrument_ids, ctx.default_instruments)
    return result[0]


def march_total(ctx) -> int:
    """Headlines (first copies of stories) in March 2022, counted independently of the callbacks."""
    frame = ctx.store.headlines(start=utc(2022, 3, 1), end=utc(2022, 3, 31, 23, 59, 59))
    return int((frame["story_id"] == frame["id"]).sum())


MARCH = "?instruments=brent,usd_rub_mkt&range=custom&start=2022-03-01&end=2022-03-31"


def test_create_app_touches_no_store(tmp_path):
    config = Config.model_validate({"store": {"url": f"sqlite:///{tmp_path / 'lazy.db'}"}})
    app = create_app(config)
    assert not (tmp_path / "lazy.db").exists()
    assert app.server.test_client().get("/").status_code == 200
    assert not (tmp_path / "lazy.db").exists()   # the page shell needs no data either


def test_the_default_instruments_are_those_with_data_else_the_strips(tmp_path):
    config = Config.model_validate({"store": {"url": f"sqlite:///{tmp_path / 'empty.db'}"}})
    empty = DashboardContext(config)
    assert empty.default_instruments == empty.strip_instruments == ["usd_rub", "eur_rub", "brent"]
    empty.store.close()


def test_sync_from_url_and_from_filters(ctx):
    data, search, filters = sync(None, MARCH + "&q=Ukraine", {}, ctx.instrument_ids, ctx.default_instruments)
    assert search == ("?instruments=brent,usd_rub_mkt&q=Ukraine&range=custom&start=2022-03-01"
                      "&end=2022-03-31")   # the link, rewritten in its canonical order
    assert sync(None, search, {}, ctx.instrument_ids, ctx.default_instruments)[1] is no_update
    bad = sync(None, "?range=banana&tz=Mars/Phobos", {}, ctx.instrument_ids, lambda: ctx.default_instruments)
    # no instruments named: those with daily bars in the 3 months up to the newest data (by hand: the
    # store's bars), of the strip's usd_rub, eur_rub and brent only brent
    latest = ctx.store.latest_data_time()
    with_data = [i for i in ctx.instrument_ids
                 if not ctx.store.bars([i], "1d", latest - timedelta(days=92), latest).empty]
    assert with_data == ["brent"] == ctx.default_instruments
    assert bad[1] == "?instruments=brent&range=3M"
    assert filters == {"instruments": ["brent", "usd_rub_mkt"], "query": "Ukraine", "topics": [], "sources": [],
                       "range": "custom", "start": "2022-03-01", "end": "2022-03-31", "tz": "UTC",
                       "axis": "separate", "marks_by": "risk", "mark_mode": "top", "sentiment": [],
                       "overlays": ["snapshots"]}
    changed = dict(filters)
    changed["query"] = "sanction*"
    data, search, outputs = sync(ids.SEARCH, MARCH, changed, ctx.instrument_ids, ctx.default_instruments)
    assert search == ("?instruments=brent,usd_rub_mkt&q=sanction%2A&range=custom&start=2022-03-01"
                      "&end=2022-03-31")
    assert outputs == dict.fromkeys(filters, no_update) and len(outputs) == 13 and data["query"] == "sanction*"
    changed["range"] = "1W"
    data, search, outputs = sync(ids.RANGE_PRESET, search, changed, ctx.instrument_ids, ctx.default_instruments)
    assert search == "?instruments=brent,usd_rub_mkt&q=sanction%2A&range=1W"
    assert (outputs["start"], outputs["end"]) == (None, None)
    changed["overlays"] = ["risk"]   # risk index on, page snapshots off
    data, search, outputs = sync(ids.OVERLAYS, search, changed, ctx.instrument_ids, ctx.default_instruments)
    assert search == "?instruments=brent,usd_rub_mkt&q=sanction%2A&range=1W&show=risk"
    assert data["overlays"] == ("risk",)
    changed["overlays"] = []
    assert sync(ids.OVERLAYS, search, changed, ctx.instrument_ids, ctx.default_instruments)[1] == \
        "?instruments=brent,usd_rub_mkt&q=sanction%2A&range=1W&show="
    assert sync(None, "?show=risk,banana,snapshots", {}, ctx.instrument_ids,
                ctx.default_instruments)[0]["overlays"] == ("risk", "snapshots")
    changed["mark_mode"], changed["marks_by"] = "all", "source"   # every story marked, coloured by source
    data, search, _ = sync(ids.MARK_MODE, search, changed, ctx.instrument_ids, ctx.default_instruments)
    assert search == "?instruments=brent,usd_rub_mkt&q=sanction%2A&range=1W&marks=source&marked=all&show="
    assert (data["mark_mode"], data["marks_by"]) == ("all", "source")
    assert sync(None, "?marked=some&marks=colour", {}, ctx.instrument_ids,
                ctx.default_instruments)[0] | {} == sync(None, "?", {}, ctx.instrument_ids, ctx.default_instruments)[0]


def test_an_instrument_without_prices_in_the_window_says_so_on_the_chart(ctx):
    """The Bank of Russia rate has no bars in this store: the chart says so for it, above the prices
    it does have, and the note above the chart says the same."""
    view = "?instruments=brent,usd_rub&range=custom&start=2022-03-01&end=2022-03-31&marked=none"
    figure, note, _, empty = chart_view(ctx, state(ctx, view), None, ids.STATE, None, None, None)
    said = "USD/RUB (Bank of Russia): no data in this window — run `newsmarks refresh` or import a CSV"
    assert empty is None and [a for a in figure["layout"].get("annotations", []) if a.get("name") == "no-data"] == [
        {"text": said, "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "top",
         "showarrow": False, "align": "left", "bgcolor": "rgba(255,255,255,0.85)",
         "font": {"size": 12, "color": "#6c757d"}, "name": "no-data"}]
    assert note == f"{march_total(ctx):,} headlines in view. Marks off. Daily bars, times in UTC. {said}."
    assert [t["meta"]["kind"] for t in figure["data"]][:2] == ["highlight", "price"]   # Brent's line still drawn
    # a window with prices for both says nothing of the kind
    figure, note, _, _ = chart_view(ctx, state(ctx, MARCH), None, ids.STATE, None, None, None)
    assert "no data" not in note and not [a for a in go.Figure(figure).layout.annotations if a.name == "no-data"]


def test_chart_shows_prices_marks_and_counts(ctx):
    figure, note, window, empty = chart_view(ctx, state(ctx, MARCH + "&marked=all"), None, ids.STATE, None, None,
                                             None)
    figure = go.Figure(figure)
    assert empty is None
    assert window == {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00",
                      "interval": "1d", "zoomed": False, "headlines": march_total(ctx),
                      "version": ctx.store.data_version(), "follows_latest": False}
    kinds = [(trace.meta["kind"], trace.name) for trace in figure.data]
    assert kinds[:3] == [("highlight", "selected headline"), ("price", "Brent crude (ICE futures)"),
                         ("price", "USD/RUB market (Yahoo)")]
    total = march_total(ctx)
    assert note == f"{total:,} headlines in view. {total:,} marked one by one. Daily bars, times in UTC."
    marks = [t for t in figure.data if t.meta["kind"] == "marks"]
    assert sum(len(t.x) for t in marks) == total
    brent = figure.data[1]
    stored = ctx.store.bars(["brent"], "1d", utc(2022, 2, 22), utc(2022, 3, 31, 23))
    assert list(brent.y) == stored["close"].tolist()   # 7 days of padding before the window
    # each close where it became known (the step the marks sit on), its trading day in the hover
    assert [pd.Timestamp(x) for x in brent.x] == stored["known"].dt.tz_localize(None).tolist()
    assert pd.Timestamp(brent.x[0]) == pd.Timestamp("2022-02-23") and brent.line.shape == "hv"
    assert brent.customdata[0] == "close of 2022-02-22, known 2022-02-23 00:00"
    # the counts, then the Yahoo RUB bad ticks of March 2022 as crosses (kept out of the line)
    assert [t.meta["kind"] for t in figure.data][-2:] == ["counts", "flagged"]
    flagged = figure.data[-1]
    assert [str(pd.Timestamp(x).date()) for x in flagged.x] == ["2022-03-07", "2022-03-21"]
    assert [row[2] for row in flagged.customdata] == ["range", "range"]
    rub_line = figure.data[2]
    assert not [c for c in rub_line.customdata if c.startswith("close of 2022-03-07")]


def test_marks_sit_on_the_first_shown_instrument_with_prices(ctx):
    """usd_rub (the Bank of Russia's rate) has no prices in this store: the marks sit on Brent,
    the next instrument shown, at its last close at or before each headline, on Brent's axis."""
    view = "?instruments=usd_rub,brent&range=custom&start=2022-03-01&end=2022-03-31&marked=all"
    figure, _note, _window, _empty = chart_view(ctx, state(ctx, view), None, ids.STATE, None, None, None)
    marks = [t for t in figure["data"] if t["meta"]["kind"] == "marks"]
    closes = ctx.store.bars(["brent"], "1d", utc(2022, 2, 20), utc(2022, 3, 31, 23))
    # the price known at each headline: the last close known by then (Brent: 19:30 London)
    on = pd.Series(closes["close"].to_numpy(), index=closes["known"].dt.tz_localize(None))
    placed = [(pd.Timestamp(x), y) for t in marks for x, y in zip(t["x"], t["y"], strict=True)]
    assert len(placed) == march_total(ctx) and {t["yaxis"] for t in marks} == {"y"}
    assert all(y == on[on.index <= x].iloc[-1] for x, y in placed)
    assert mark_anchor(("usd_rub", "brent"), pd.DataFrame(columns=["instrument_id"])) == "usd_rub"
    assert mark_anchor((), pd.DataFrame(columns=["instrument_id"])) is None


def test_zoom_to_days_switches_to_hourly_bars(ctx):
    relayout = {"xaxis.range[0]": "2022-03-07 00:00:00", "xaxis.range[1]": "2022-03-08 12:00:00"}
    figure, note, window, _ = chart_view(ctx, state(ctx, MARCH), relayout, ids.CHART, None, None, None)
    assert window["interval"] == "1h" and window["zoomed"]
    # the Yahoo rouble has daily bars only: in the hourly zoom it has no line, and the note says why
    assert note.endswith("Hourly bars, times in UTC. USD/RUB market (Yahoo): no hourly data in this window.")
    assert zoom_window(relayout, "Europe/Moscow") == (utc(2022, 3, 6, 21), utc(2022, 3, 8, 9))
    assert zoom_window({"xaxis.autorange": True}, "UTC") == "reset"
    assert zoom_window({"dragmode": "pan"}, "UTC") is None
    assert ChartWindow.from_dict(window).start == datetime(2022, 3, 7, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["&tz=" + "A" * 300, "&range=custom&start=0001-01-01&end=2022-03-31",
                                 "&range=custom&start=2022-03-01&end=9999-12-31"])
def test_a_link_with_an_unusable_parameter_draws_the_default_view(ctx, bad):
    """A 300-character zone (an HTTP 500 before) or a range from year 1 (a blank chart before) is
    left out of the view, as every unusable parameter is: the chart is the default view's."""
    link = "?instruments=brent"
    default, canonical, filters = sync(None, link, {}, ctx.instrument_ids, ctx.default_instruments)
    data, search, shown = sync(None, link + bad, {}, ctx.instrument_ids, ctx.default_instruments)
    assert (data, search, shown) == (default, canonical, filters)
    assert search == "?instruments=brent&range=3M"
    figure, note, window, empty = chart_view(ctx, data, None, ids.STATE, None, None, None)
    assert (note, window, empty) == chart_view(ctx, default, None, ids.STATE, None, None, None)[1:]
    assert empty is None and note == "0 headlines in view. Daily bars, times in UTC."
    assert [t["meta"]["kind"] for t in figure["data"]][:2] == ["highlight", "price"]


def test_a_zoom_beyond_the_days_a_view_may_span_keeps_the_part_within_them(ctx):
    far = {"xaxis.range[0]": "0001-01-01 00:00:00", "xaxis.range[1]": "2022-03-08 12:00:00"}
    assert zoom_window(far, "UTC") == (utc(1900, 1, 1), utc(2022, 3, 8, 12))
    later = {"xaxis.range[0]": "2022-03-07 00:00:00", "xaxis.range[1]": "9999-12-31 00:00:00"}
    assert zoom_window(later, "UTC") == (utc(2022, 3, 7), datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert zoom_window({"xaxis.range[0]": "9000-01-01", "xaxis.range[1]": "9999-12-31"}, "UTC") is None
    figure, note, window, _ = chart_view(ctx, state(ctx, MARCH), far, ids.CHART, None, None, None)
    assert window["start"] == "1900-01-01T00:00:00+00:00" and window["zoomed"]
    assert [t["meta"]["kind"] for t in figure["data"]][:2] == ["highlight", "price"]


def test_empty_store_explains_what_happened(tmp_path):
    config = Config.model_validate({"store": {"url": f"sqlite:///{tmp_path / 'e.db'}"}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    run = store.start_run("refresh", "feed:BBC World", utc(2026, 1, 1), "feeds")
    store.finish_run(run, "error", utc(2026, 1, 1), error="feed BBC World: cannot connect (refused)")
    figure, note, window, empty = chart_view(DashboardContext(config, store), None, None, None, None, None, None)
    figure = go.Figure(figure)
    text = str(empty)
    assert "No data yet" in text and "feed BBC World: cannot connect (refused)" in text
    assert "newsmarks import-prices FILE --instrument ID" in text
    assert figure.layout.annotations[0].text == "No data yet"


def test_header_ticker_strip(ctx):
    strip, badges, refreshed, options = header_view(ctx, state(ctx, ""), None)
    brent = ctx.store.bars(["brent"], "1d").tail(2)["close"].tolist()
    expected = f"{brent[1]:.2f}", f"{(brent[1] - brent[0]) / brent[0] * 100:+.2f}%"
    item = strip[0]
    assert [c.children for c in item.children] == ["BR", expected[0], expected[1]]
    assert badges == [] and refreshed == "Not refreshed yet"
    assert {"label": "hand", "value": "hand"} in options


def test_poll_only_reports_changes(ctx):
    version = ctx.store.data_version()
    assert poll(ctx, version - 1) == version
    assert poll(ctx, version) is no_update


def test_table_rows_sorted_and_paged(ctx):
    data = state(ctx, MARCH)
    window = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d"}
    first = table_rows(ctx, {"startRow": 0, "endRow": 2}, data, window, None)
    newest = ctx.store.headlines(start=utc(2022, 3, 1), end=utc(2022, 3, 31, 23, 59, 59), stories_only=True,
                                 sort="published", descending=True, limit=2)
    assert [r["title"] for r in first["rowData"]] == newest["title"].tolist()
    assert first["rowCount"] == march_total(ctx)
    by_source = table_rows(ctx, {"startRow": 0, "endRow": 1, "sortModel": [{"colId": "source", "sort": "asc"}]},
                           data, window, None)
    assert by_source["rowData"][0]["source"] == "hand"
    script = by_source["rowData"][0]
    assert script["title"] == '<script>alert("x")</script> Sanctions talk' and script["link"] is None
    assert set(script) >= {"move_brent_1h", "move_brent_1d", "move_usd_rub_mkt_1d"}


def test_table_rows_say_how_many_sources_carried_each_story(ctx):
    """The Sources column: the distinct sources among every copy of the row's story, counted here
    from all the store's headlines (each copy's story_id names its first copy)."""
    window = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d"}
    rows = table_rows(ctx, {"startRow": 0, "endRow": 500}, state(ctx, MARCH), window, None)["rowData"]
    every = ctx.store.headlines(start=utc(2022, 2, 26), end=utc(2022, 4, 3))
    expected = every.groupby("story_id")["source"].nunique()
    assert [r["coverage"] for r in rows] == [int(expected[r["id"]]) for r in rows]
    assert len(rows) == march_total(ctx) and {r["coverage"] for r in rows} == {1}   # one feed and one hand-made row
    assert [c["field"] for c in headlines_table().columnDefs] == ["time", "source", "title", "topics", "coverage"]


def test_detail_panel_shows_text_and_safe_links(ctx):
    script_id = int(ctx.store.headlines(sources=["hand"])["id"].iloc[0])
    assert clicked_headline({"points": [{"customdata": [script_id, "escaped", "hand", "t"]}]}) == script_id
    assert clicked_headline({"points": [{"x": 1, "y": 2}]}) is None
    body = detail_view(ctx, script_id, state(ctx, MARCH), None)
    assert isinstance(body[0], html.H5) and body[0].children == '<script>alert("x")</script> Sanctions talk'
    assert body[2].children == "No link"
    bbc = ctx.store.headlines(query='"petrol at fresh record"')
    body = detail_view(ctx, int(bbc["id"].iloc[0]), state(ctx, MARCH), None)
    anchor = body[2].children
    assert isinstance(anchor, html.A) and anchor.target == "_blank" and anchor.rel == "noopener noreferrer"
    assert anchor.href == bbc["link"].iloc[0] and anchor.href.startswith("https://www.bbc.co.uk/")


def test_a_link_naming_a_story_opens_its_detail(ctx):
    story = int(ctx.store.headlines(sources=["hand"])["id"].iloc[0])
    is_open, body = linked_story(ctx, story, state(ctx, MARCH), None)
    assert is_open is True
    assert body[0].children == detail_view(ctx, story, state(ctx, MARCH), None)[0].children \
        == '<script>alert("x")</script> Sanctions talk'
    assert linked_story(ctx, None, state(ctx, MARCH), None) == (no_update, no_update)
    assert linked_story(ctx, 999999, state(ctx, MARCH), None) == (True, ["This headline is no longer in the store."])


def test_prices_download(ctx):
    window = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-02T23:59:59+00:00", "interval": "1d"}
    sent = download(ctx, "prices", state(ctx, MARCH), window, None)
    assert sent["filename"] == "newsmarks-prices-2022-03-01-to-2022-03-02.csv"
    content = base64.b64decode(sent["content"]).decode("utf-8")
    closes = ctx.store.bars(["brent"], "1d", utc(2022, 3, 1), utc(2022, 3, 2, 23))["close"].tolist()
    rub = ctx.store.bars(["usd_rub_mkt"], "1d", utc(2022, 3, 1), utc(2022, 3, 2, 23))["close"].tolist()
    assert content.splitlines()[0] == "\ufefftime_UTC,brent,usd_rub_mkt"
    assert content.splitlines()[1] == f"2022-03-01T00:00:00+00:00,{closes[0]!r},{rub[0]!r}"


def test_sentiment_filter_narrows_the_chart_and_table(ctx):
    window = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d"}
    negative = state(ctx, MARCH + "&sentiment=negative")
    assert negative["sentiment"] == ("negative",)
    rows = table_rows(ctx, {"startRow": 0, "endRow": 500}, negative, window, None)
    everything = table_rows(ctx, {"startRow": 0, "endRow": 500}, state(ctx, MARCH), window, None)
    ids_negative = {r["id"] for r in rows["rowData"]}
    frame = ctx.store.headlines(ids=sorted(r["id"] for r in everything["rowData"]))
    assert ids_negative == set(frame[frame["sentiment"] == "negative"]["id"])
    assert 0 < rows["rowCount"] < everything["rowCount"]


@pytest.mark.parametrize("search, complete", [
    (MARCH + "&q=Ukraine", True),                          # few enough: every story read
    (MARCH + "&topics=Energy", True),
    ("?instruments=brent&range=All&sources=import:bbc-business-rss-2022-2024.csv", False),  # the top ones read
    ("?instruments=brent&range=All", False),               # time alone: counted in SQL
    (MARCH, True),
])
def test_chart_counts_equal_the_stores_counts_however_they_are_made(ctx, search, complete):
    from dashboard.chart.data import CANDIDATES, READ_ALL, bucket_for, load_chart_data
    from dashboard.state import ViewState, time_window
    view = ViewState.from_dict(state(ctx, search), ctx.instrument_ids, ctx.default_instruments)
    start, end = time_window(view, ctx.store.latest_data_time())
    data = load_chart_data(ctx.store, view, start, end)
    flt = view.headline_filter(start, end)
    expected = ctx.store.headline_counts(flt, bucket_for(start, end))
    pd.testing.assert_frame_equal(data.counts, expected)
    assert data.total_headlines == ctx.store.count_headlines(flt) > 0
    assert (0 < data.total_headlines <= READ_ALL) is complete is data.complete
    assert len(data.headlines) == (data.total_headlines if complete else CANDIDATES)
    ranked = ctx.store.headlines(flt).sort_values(["importance", "published", "id"], ascending=[False, True, True])
    if complete:
        assert data.headlines["id"].tolist() == ranked["id"].tolist()
    else:   # every story of the levels above the lowest one read, then some of that level spread over the window
        lowest = data.headlines["importance"].min()
        read = data.headlines
        assert read.loc[read["importance"] > lowest, "id"].tolist() == \
            ranked.loc[ranked["importance"] > lowest, "id"].tolist()
        level = ranked.loc[ranked["importance"] == lowest, "id"]
        assert set(read.loc[read["importance"] == lowest, "id"]) <= set(level)
        assert read["id"].tolist() == ranked[ranked["id"].isin(read["id"])]["id"].tolist()   # in rank order


def test_table_moves_are_one_compact_cell_per_instrument(ctx):
    from dashboard.table.callbacks import compact_moves, move_columns

    assert compact_moves({"move_brent_1h": 0.1234, "move_brent_1d": -0.4}, "brent") == ("+0.12% / \u22120.40%", None)
    assert compact_moves({"move_brent_1h": None, "why_brent_1h": "no hourly data", "move_brent_1d": 2.0},
                         "brent") == ("/ +2.00%", "1h: no hourly data")
    assert compact_moves({"why_brent_1h": "no hourly data", "why_brent_1d": "not known yet"}, "brent") == (
        "", "1h: no hourly data; 1d: not known yet")
    assert [(c["field"], c["headerName"], c["tooltipField"]) for c in move_columns(["brent"], ctx.labels)] == [
        ("moves_brent", "Brent crude (ICE futures) 1h / 1d", "moves_why_brent")]
    window = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d"}
    rows = table_rows(ctx, {"startRow": 0, "endRow": 500}, state(ctx, MARCH), window, None)["rowData"]
    for row in rows:   # each cell is its row's two moves, as the CSV download gives them
        for instrument in ("brent", "usd_rub_mkt"):
            assert (row[f"moves_{instrument}"], row[f"moves_why_{instrument}"]) == compact_moves(row, instrument)
    assert any(row["moves_brent"].count("%") == 2 for row in rows)


def test_the_table_is_built_once_the_chart_has_a_window_and_again_only_for_newer_data():
    from dashboard.table.callbacks import table_built_for, table_remount

    drawn = {"start": "2026-06-01T00:00:00+00:00", "end": "2026-06-30T00:00:00+00:00", "version": 7}
    view = {"instruments": ["brent"], "range": "1M"}
    W, V = ids.WINDOW, ids.DATA_VERSION
    assert table_remount(set(), None, view, None, None) is False       # the page's first call: no window yet
    assert table_remount({V}, None, view, 7, None) is False            # the first poll before the chart
    assert table_remount({W}, drawn, view, None, None) is True         # the chart drew: the table is built
    assert table_remount(set(), drawn, view, 7, None) is True          # a window restored with the page
    # the first window and the first poll in one batch (a slow page): the window builds the table
    assert table_remount({V, W}, drawn, view, 7, None) is True
    built = table_built_for(drawn, view, 7)
    assert built == {"window": drawn, "state": view, "version": 7}
    assert table_remount({V}, drawn, view, 7, built) is False          # the version the window was drawn from
    assert table_remount({V}, drawn, view, None, built) is False
    assert table_remount({V}, drawn, view, 8, built) is True           # newer data: its moves may have changed
    assert table_remount({V}, drawn, view, 8, table_built_for(drawn, view, 8)) is False
    # the same window again (the chart answering plotly's first-draw relayout): the table stays
    assert table_remount({W}, drawn, view, 7, built) is False
    assert table_remount({W, V}, drawn, view, 7, built) is False
    # another window, or the same window for another view (a filter that leaves the span as it was)
    assert table_remount({W}, {**drawn, "end": "2026-06-29T00:00:00+00:00"}, view, 7, built) is True
    assert table_remount({W}, drawn, {**view, "search": "oil"}, 7, built) is True
    # a window drawn from newer data than the table read: built again
    assert table_remount({W}, {**drawn, "version": 8}, view, 7, built) is True
    # a window with no version (drawn by an older newsmarks): any data version builds it again
    assert table_built_for({**drawn, "version": None}, view, None)["version"] is None
    unversioned = {**drawn, "version": None}
    assert table_remount({V}, unversioned, view, 8, table_built_for(unversioned, view, None)) is True
