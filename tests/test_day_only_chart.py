"""Headlines dated to the day only on the chart: counted by day, never at an hour; marked with
their date alone."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import ids
from dashboard.chart.callbacks import chart_view
from dashboard.context import DashboardContext
from dashboard.filters.callbacks import sync
from ingest.config import Config
from ingest.records import Headline
from ingest.store import HeadlineFilter, Store
from tests.conftest import close_bars, utc

FETCHED = utc(2026, 1, 1)


@pytest.fixture
def ctx(store_url) -> DashboardContext:
    config = Config.model_validate({"store": {"url": store_url}, "feeds": [], "pages": []})
    store = Store.open(store_url)
    store.sync_config(config)
    hours = pd.date_range("2010-06-01", periods=72, freq="h", tz="UTC")
    store.write_bars("brent", "1h", "import", close_bars(hours, [70.0 + i / 10 for i in range(72)],
                                                         known=hours + pd.Timedelta(hours=1)), FETCHED)
    store.write_headlines(
        [Headline(source="wire", guid=f"e{h}", title=f"Exact {h}", published=utc(2010, 6, 2, h), fetched=FETCHED)
         for h in (0, 9, 15)]
        + [Headline(source="reddit", guid=f"d{i}", title=f"Dated {i}", published=utc(2010, 6, 2),
                    fetched=FETCHED, day_precision=True) for i in range(3)]
        + [Headline(source="reddit", guid="d-other", title="Another day", published=utc(2010, 6, 1),
                    fetched=FETCHED, day_precision=True)])
    yield DashboardContext(config, store)
    store.close()


def test_the_store_counts_day_only_headlines_per_day(ctx):
    counts = ctx.store.day_only_counts(HeadlineFilter(start=utc(2010, 6, 2), end=utc(2010, 6, 2, 23, 59)))
    assert [(d.isoformat(), c) for d, c in zip(counts["day"], counts["count"], strict=True)] == [
        ("2010-06-02T00:00:00+00:00", 3)]
    assert ctx.store.day_only_counts(HeadlineFilter(sources=("wire",)))["count"].tolist() == []


def test_hourly_counts_leave_them_out_and_the_note_says_so(ctx):
    state = sync(None, "?instruments=brent&range=custom&start=2010-06-02&end=2010-06-02", {}, ctx.instrument_ids,
                 ctx.default_instruments)[0]
    figure, note, window, _ = chart_view(ctx, state, None, ids.STATE, None, None, None)
    assert window["headlines"] == 6 and window["interval"] == "1h"
    assert note == ("6 headlines in view. 6 marked one by one. 3 of them dated to the day only: not counted by "
                    "hour. Hourly bars, times in UTC.")
    counts = next(t for t in figure["data"] if t["meta"]["kind"] == "counts")
    assert [(str(pd.Timestamp(x)), y) for x, y in zip(counts["x"], counts["y"], strict=True)] == [
        ("2010-06-02 00:00:00", 1), ("2010-06-02 09:00:00", 1), ("2010-06-02 15:00:00", 1)]
    marks = [t for t in figure["data"] if t["meta"]["kind"] == "marks"]
    hovers = sorted(row[3] for t in marks for row in t["customdata"])
    assert hovers == ["2010-06-02 (date only)"] * 3 + ["2010-06-02 00:00 UTC", "2010-06-02 09:00 UTC",
                                                       "2010-06-02 15:00 UTC"]


def test_daily_counts_keep_them(ctx):
    state = sync(None, "?instruments=brent&range=custom&start=2010-05-01&end=2010-06-30", {}, ctx.instrument_ids,
                 ctx.default_instruments)[0]
    figure, note, _window, _ = chart_view(ctx, state, None, ids.STATE, None, None, None)
    counts = next(t for t in figure["data"] if t["meta"]["kind"] == "counts")
    assert list(counts["y"]) == [1, 6]
    # the store has hourly bars only: the daily chart has no line, and says so
    assert note == ("7 headlines in view. 7 marked one by one. Daily bars, times in UTC. Brent crude (ICE "
                    "futures): no data in this window — run `newsmarks refresh` or import a CSV.")


def test_their_marks_sit_on_the_price_the_detail_panel_starts_from(ctx):
    """Hourly closes 70 + i/10, each known an hour after its bar starts: a headline dated 2010-06-02
    is aligned at the day's end, when the close of the 23:00 bar (74.7) became known; one at 09:00
    reads the 08:00 bar's (73.2)."""
    from dashboard.analysis.moves import moves_for_one

    state = sync(None, "?instruments=brent&range=custom&start=2010-06-02&end=2010-06-02", {}, ctx.instrument_ids,
                 ctx.default_instruments)[0]
    figure = chart_view(ctx, state, None, ids.STATE, None, None, None)[0]
    placed = sorted((row[3], round(y, 6)) for t in figure["data"] if t["meta"]["kind"] == "marks"
                    for row, y in zip(t["customdata"], t["y"], strict=True))
    assert placed == [("2010-06-02 (date only)", 74.7)] * 3 + [
        ("2010-06-02 00:00 UTC", 72.3), ("2010-06-02 09:00 UTC", 73.2), ("2010-06-02 15:00 UTC", 73.8)]
    bars = ctx.store.bars(["brent"], "1h")
    panel = moves_for_one(utc(2010, 6, 2), bars, day_precision=True)
    assert {round(m["from_close"], 6) for m in panel if m["instrument_id"] == "brent"} == {74.7}
