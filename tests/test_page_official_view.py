"""The Analysis tab's "Page against official" table, from a store: page values of the view's
instruments in the chart's window against the official daily closes, in words and numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from dash import no_update

from dashboard import ids
from dashboard.analysis_view.callbacks import pages_view
from dashboard.context import DashboardContext
from dashboard.filters.callbacks import sync
from ingest.config import Config
from ingest.records import TickerSnapshot
from ingest.store import Store
from tests.conftest import close_bars, utc

FETCHED = utc(2022, 3, 10)
WINDOW = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d",
          "zoomed": False}


@pytest.fixture
def ctx(store_url):
    config = Config.model_validate({"store": {"url": store_url}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    store.sync_config(config)
    days = pd.to_datetime([utc(2022, 3, 2), utc(2022, 3, 3)], utc=True)
    known = pd.to_datetime([utc(2022, 3, 1, 14), utc(2022, 3, 2, 14)], utc=True)   # 17:00 Moscow the day before
    store.write_bars("usd_rub", "1d", "cbr", close_bars(days, [87.7040, 88.1234], known), FETCHED)
    store.write_snapshots([
        TickerSnapshot(source="page:TASS", mark="$", value=87.70, captured_at=utc(2022, 3, 1, 16, 30),
                       captured_from="fetch", instrument_id="usd_rub", change=-0.69),
        TickerSnapshot(source="page:TASS", mark="$", value=87.70, captured_at=utc(2022, 3, 2, 15),
                       captured_from="fetch", instrument_id="usd_rub", change=-0.69),
        TickerSnapshot(source="page:<b>x</b>", mark="$", value=89.00, captured_at=utc(2022, 3, 2, 15),
                       captured_from="fetch", instrument_id="usd_rub")])
    yield DashboardContext(config, store)
    store.close()


def cells(table) -> list[list[str]]:
    body = table.children[1].children[1]
    return [[str(td.children) for td in tr.children] for tr in body.children]


def test_the_table_under_the_analysis_tab(ctx):
    state = sync(None, "?instruments=usd_rub&range=custom&start=2022-03-01&end=2022-03-31", {},
                 ctx.instrument_ids, ctx.default_instruments)[0]
    assert pages_view(ctx, ids.ANALYSIS_TAB_CHART, state, WINDOW) is no_update
    out = pages_view(ctx, ids.ANALYSIS_TAB_ANALYSIS, state, WINDOW, "UTC")
    assert cells(out) == [
        ["2022-03-02 15:00", "page:<b>x</b>", "$ 89.00", "none", "-", "-", "-", "+0.8766",
         "equals no USD/RUB (Bank of Russia) value of the last 10 known; +0.8766 from the one dated 2022-03-03, "
         "known 2022-03-02 14:00"],
        ["2022-03-02 15:00", "page:TASS", "$ 87.70", "an older one (stale)", "2022-03-02", "2022-03-01 14:00",
         "1 d 1 h", "-0.0040",
         "equals USD/RUB (Bank of Russia) dated 2022-03-02, known 2022-03-01 14:00; shown 1 d 1 h after it became "
         "known (-0.0040); stale: the value dated 2022-03-03 was known since 2022-03-02 14:00"],
        ["2022-03-01 16:30", "page:TASS", "$ 87.70", "the newest known", "2022-03-02", "2022-03-01 14:00",
         "2 h 30 min", "-0.0040",
         "equals USD/RUB (Bank of Russia) dated 2022-03-02, known 2022-03-01 14:00; shown 2 h 30 min after it "
         "became known (-0.0040)"]]
    assert out.children[2].children == "3 page values; 2 equal an official value, 1 of them an older one."


def test_no_page_values_in_view(ctx):
    state = sync(None, "?instruments=brent&range=custom&start=2022-03-01&end=2022-03-31", {},
                 ctx.instrument_ids, ctx.default_instruments)[0]
    out = pages_view(ctx, ids.ANALYSIS_TAB_ANALYSIS, state, WINDOW, "UTC")
    assert out.children[1].children.startswith("No page values of the view's instruments")


def test_the_csv_of_every_row(ctx):
    from dashboard.analysis_view.callbacks import analysis_download

    state = sync(None, "?instruments=usd_rub&range=custom&start=2022-03-01&end=2022-03-31", {},
                 ctx.instrument_ids, ctx.default_instruments)[0]
    sent = analysis_download(ctx, "pages", state, WINDOW, {}, "UTC")
    assert sent["filename"] == "newsmarks-analysis-pages-usd_rub-2022-03-01-to-2022-03-31.csv"
    import base64

    text = base64.b64decode(sent["content"]).decode("utf-8-sig").splitlines()
    assert text[0] == ("captured_at,source,mark,instrument_id,value,match,official_ts,official_known,official_close,"
                       "lag_seconds,difference,latest_ts,latest_known,latest_close,stale")
    assert text[3] == ("2022-03-01T16:30:00+00:00,page:TASS,$,usd_rub,87.7,latest,2022-03-02T00:00:00+00:00,"
                       "2022-03-01T14:00:00+00:00,87.704,9000,-0.004,2022-03-02T00:00:00+00:00,"
                       "2022-03-01T14:00:00+00:00,87.704,False")
