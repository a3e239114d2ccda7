"""The chart's extra series: the geopolitical-risk index (store rows -> index -> traces) and the
ticker values news pages showed, on a small hand-made store with known tags."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from dashboard import ids
from dashboard.chart import figures
from dashboard.chart.callbacks import chart_view
from dashboard.chart.data import load_chart_data
from dashboard.chart.figures import price_figure
from dashboard.chart.marks import place_marks
from dashboard.chart.overlays import RISK_AXIS
from dashboard.context import DashboardContext
from dashboard.filters.callbacks import sync
from dashboard.state import ViewState
from ingest.config import Config
from ingest.headline_tags.risk_index import INDEX_COLUMNS, bucket_risk_index, daily_risk_index, tag_counts_by_source
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline, TickerSnapshot
from ingest.store import HeadlineFilter, Store
from tests.conftest import close_bars, utc
from tests.dense_news import own_words

FETCHED = utc(2026, 1, 1)
TITLES = [   # (day of March 2022, hour, title) — GPR categories as the lexicon gives them
    (1, 9, "Fears of war grow on the border"),             # war_threats
    (1, 15, "Markets calm"),
    (1, 18, "Oil prices rise"),
    (1, 20, "Terrorist attack kills 12 in capital"),       # terror_acts
    (2, 10, "Troops mass as military buildup continues"),  # military_buildups
    (2, 11, "War begins as invasion starts"),              # beginning_of_war
    (3, 8, "Markets calm again"),
]
VIEW = "?instruments=brent,usd_rub&range=custom&start=2022-03-01&end=2022-03-03"


@pytest.fixture
def ctx(store_url) -> DashboardContext:
    config = Config.model_validate({"store": {"url": store_url}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    store.sync_config(config)
    days = pd.date_range("2022-02-20", "2022-03-05", freq="D", tz="UTC")
    store.write_bars("brent", "1d", "import", close_bars(days, [100.0 + i for i in range(len(days))]), FETCHED)
    store.write_bars("usd_rub", "1d", "import", close_bars(days, [80.0] * len(days)), FETCHED)
    store.write_headlines([Headline(source="hand", guid=title, title=title, published=utc(2022, 3, day, hour),
                                    fetched=FETCHED) for day, hour, title in TITLES],
                          tag=headline_tagger(config.topics))
    store.write_snapshots([
        TickerSnapshot(source="page:a.txt", mark="BR", value=113.5, captured_at=utc(2022, 3, 2, 12),
                       captured_from="given", instrument_id="brent", change_pct=0.64),
        TickerSnapshot(source="page:a.txt", mark="€", value=95.44, captured_at=utc(2022, 3, 2, 12),
                       captured_from="given", instrument_id="eur_rub", change=-0.89, mark_inferred=True),
        TickerSnapshot(source="page:b.html", mark="$", value=87.7, captured_at=utc(2022, 3, 3, 6),
                       captured_from="file", instrument_id="usd_rub", change=-0.69, mark_inferred=True),
    ])
    yield DashboardContext(config, store)
    store.close()


def sent(ctx: DashboardContext, search: str, relayout=None, trigger=ids.STATE):
    """The figure the chart callback answers for a view (a plain dict)."""
    state = sync(None, search, {}, ctx.instrument_ids, ctx.default_instruments)[0]
    return chart_view(ctx, state, relayout, trigger, None, None, None)[0]


def view(ctx: DashboardContext, search: str, relayout=None, trigger=ids.STATE) -> go.Figure:
    """That figure as plotly builds it, validating every property."""
    return go.Figure(sent(ctx, search, relayout, trigger))


def traces(figure, kind: str) -> list:
    return [t for t in figure.data if t.meta["kind"] == kind]


def test_store_reads_the_gpr_tags_of_matching_headlines(ctx):
    rows = ctx.store.gpr_tags(HeadlineFilter(start=utc(2022, 3, 1), end=utc(2022, 3, 3, 23)))
    assert rows[["published", "tag"]].to_dict("list") == {
        "published": [pd.Timestamp(f"2022-03-0{d} {h:02d}:00", tz="UTC")
                      for d, h in ((1, 9), (1, 20), (2, 10), (2, 11))],
        "tag": ["war_threats", "terror_acts", "military_buildups", "beginning_of_war"]}
    assert ctx.store.gpr_tags(HeadlineFilter(query="Terrorist"))["tag"].tolist() == ["terror_acts"]


def test_bucket_index_from_counts_and_tags_matches_the_index_from_headlines(ctx):
    flt = HeadlineFilter(start=utc(2022, 3, 1), end=utc(2022, 3, 3, 23))
    index = bucket_risk_index(ctx.store.source_counts(flt, 86400), ctx.store.gpr_tags(flt), 86400)
    assert list(index.columns) == INDEX_COLUMNS
    assert index["headlines"].tolist() == [4, 2, 1]
    assert index["share_any"].tolist() == [0.5, 1.0, 0.0]
    assert index["share_threats"].tolist() == [0.25, 0.5, 0.0]
    assert index["share_acts"].tolist() == [0.25, 0.5, 0.0]
    assert index["index_any"].isna().all()          # 7 headlines: no day has enough for an index
    daily = daily_risk_index(ctx.store.headlines(start=flt.start, end=flt.end))
    assert index.drop(columns="bucket").equals(daily.drop(columns="day"))
    assert index["bucket"].tolist() == daily["day"].tolist()


def test_bucket_index_refuses_mismatched_inputs():
    counts = pd.DataFrame({"bucket": [pd.Timestamp("2022-03-01", tz="UTC")], "source": ["hand"], "count": [1]})
    tags = pd.DataFrame({"id": [1, 2], "published": [pd.Timestamp("2022-03-01 10:00", tz="UTC")] * 2,
                         "source": ["hand", "hand"], "tag": ["war_threats", "terror_acts"]})
    with pytest.raises(ValueError, match="2 tagged headlines of hand in bucket 2022-03-01 00:00:00\\+00:00 but only 1"):
        bucket_risk_index(counts, tags, 86400)
    with pytest.raises(ValueError, match="unknown GPR categories in tags: banana"):
        tag_counts_by_source(counts, tags.assign(tag="banana"), 86400)
    with pytest.raises(ValueError, match="counts lacks column"):
        bucket_risk_index(counts.drop(columns="count"), tags, 86400)


RISK_PLAN = {   # day of March 2022: source -> (escalation, peace threats, untagged) headlines
    1: {"wire": (4, 2, 14), "desk": (3, 0, 7)},
    2: {"wire": (1, 1, 18)},
    3: {"wire": (8, 0, 12), "desk": (1, 1, 2)},      # the desk's 4 headlines of March 3rd do not count
    4: {"wire": (2, 1, 5)},                          # 8 headlines: no index that day
}



@pytest.fixture
def risk_ctx(store_url) -> DashboardContext:
    """Brent and 120 headlines of two sources over four days, every title a story of its own (each
    the first copy of its story: eight made-up words of its own after the category's words), with
    known categories."""
    config = Config.model_validate({"store": {"url": store_url}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    store.sync_config(config)
    days = pd.date_range("2022-02-20", "2022-03-06", freq="D", tz="UTC")
    store.write_bars("brent", "1d", "import", close_bars(days, [100.0 + i for i in range(len(days))]), FETCHED)
    items, n = [], 0
    for d, sources in RISK_PLAN.items():
        for source, (acts, threats, calm) in sources.items():
            titles = (["Missile strike hits Kyiv apartment block"] * acts
                      + ["Ceasefire collapses after talks"] * threats + ["Markets calm"] * calm)
            for title in titles:
                n += 1
                items.append(Headline(source=source, guid=str(n), title=f"{title} {own_words(n, 8)}",
                                      published=utc(2022, 3, d, n % 24), fetched=FETCHED))
    store.write_headlines(items, tag=headline_tagger(config.topics))
    yield DashboardContext(config, store)
    store.close()


RISK_VIEW = "?instruments=brent&range=custom&start=2022-03-01&end=2022-03-04"


def test_risk_index_on_the_lower_panel_when_asked(risk_ctx):
    assert traces(view(risk_ctx, RISK_VIEW), "risk") == []          # off by default
    figure = view(risk_ctx, RISK_VIEW + "&show=risk")
    risk = traces(figure, "risk")
    assert [t.name for t in risk] == ["geopolitical risk", "risk: threats", "risk: acts"]
    assert [t.visible for t in risk] == [True, "legendonly", "legendonly"]
    expected = daily_risk_index(risk_ctx.store.headlines(start=utc(2022, 3, 1), end=utc(2022, 3, 4, 23, 59, 59),
                                                         stories_only=True))
    for line, column in zip(risk, ("index_any", "index_threats", "index_acts"), strict=True):
        np.testing.assert_array_equal(np.array(line.y, dtype=float), expected[column].to_numpy())
        assert [row[0] for row in line.customdata] == pytest.approx(expected[f"{column}_low"].tolist(), nan_ok=True)
        assert [row[1] for row in line.customdata] == pytest.approx(expected[f"{column}_high"].tolist(), nan_ok=True)
    assert risk[0].y[3] is None and np.nanmean(np.array(risk[0].y, dtype=float)) == pytest.approx(100.0)
    assert [str(x)[:10] for x in risk[0].x] == ["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-04"]
    assert [list(row[2:6]) for row in risk[0].customdata] == [
        [pytest.approx(9 / 30 * 100), 30, 30, 2], [pytest.approx(10.0), 20, 20, 1],
        [pytest.approx(10 / 24 * 100), 24, 20, 1], [pytest.approx(3 / 8 * 100), 8, 0, 0]]
    assert risk[0].customdata[0][6] == ("100 = mean of 2022-03-01 … 2022-03-03 (UTC); tagged over expected at "
                                        "each source's own mean share")
    band = traces(figure, "risk_band")   # one polygon over the days with an index: up the highs, back the lows
    assert len(band) == 1 and band[0].fill == "toself" and band[0].meta["series"] == "index_any"
    assert list(band[0].y) == pytest.approx([*expected["index_any_high"].iloc[:3],
                                             *expected["index_any_low"].iloc[2::-1]])
    assert [str(x)[:10] for x in band[0].x] == ["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-03", "2022-03-02",
                                                "2022-03-01"]
    assert {t.xaxis for t in risk + band} == {"x2"} and {t.yaxis for t in risk + band} == {RISK_AXIS}
    assert figure.layout.yaxis20.overlaying == "y2" and figure.layout.yaxis20.side == "right"
    assert figure.layout.yaxis20.title.text == "GPR index (view mean = 100)"
    # the index follows the filters, like the counts: the wire alone tags 6, 2, 8 of 20 (mean 16/60)
    filtered = traces(view(risk_ctx, RISK_VIEW + "&show=risk&sources=wire"), "risk")[0]
    assert [row[3] for row in filtered.customdata] == [20, 20, 20, 8]
    assert list(filtered.y[:3]) == pytest.approx([112.5, 37.5, 150.0]) and filtered.y[3] is None


def test_risk_index_without_enough_headlines_says_so(ctx):
    figure = view(ctx, VIEW + "&show=risk")
    assert all(np.isnan(np.array(t.y, dtype=float)).all() for t in traces(figure, "risk"))
    assert figure.layout.yaxis20.title.text == ("GPR index: no day/week with 20 headlines from sources with ≥5 "
                                                "each")


def test_hourly_counts_still_give_a_daily_index(risk_ctx):
    relayout = {"xaxis.range[0]": "2022-03-01 00:00:00", "xaxis.range[1]": "2022-03-02 23:00:00"}
    figure = view(risk_ctx, RISK_VIEW + "&show=risk", relayout, ids.CHART)
    assert traces(figure, "counts")[0].meta["bucket_seconds"] == 3600
    # the base is the zoomed view: its two days
    expected = daily_risk_index(risk_ctx.store.headlines(start=utc(2022, 3, 1), end=utc(2022, 3, 2, 23),
                                                         stories_only=True))
    np.testing.assert_array_equal(np.array(traces(figure, "risk")[0].y, dtype=float), expected["index_any"].to_numpy())
    assert np.mean(traces(figure, "risk")[0].y) == pytest.approx(100.0)


def test_page_snapshots_sit_beside_their_instruments(ctx):
    figure = view(ctx, VIEW)
    shown = traces(figure, "snapshots")
    assert [t.meta["instrument"] for t in shown] == ["brent", "usd_rub"]   # eur_rub is not drawn
    brent, rub = shown
    assert list(brent.y) == [113.5] and brent.yaxis == "y"
    assert list(rub.y) == [87.7] and rub.yaxis == "y3"
    assert [str(x) for x in rub.x] == ["2022-03-03T06:00:00"]
    # the hover says which official value each page value equals (none here: worked out by hand, the
    # newest close known at the capture is brent's of 03-01, 109, known a day after; usd_rub's 80 of 03-02)
    assert list(brent.customdata[0]) == ["page:a.txt", "2022-03-02 12:00 UTC", "BR 113.50", "+0.64%",
                                         "time given on import",
                                         "equals no Brent crude (ICE futures) value of the last 10 known; +4.5000 "
                                         "from the one dated 2022-03-01, known 2022-03-02 00:00"]
    assert list(rub.customdata[0]) == ["page:b.html", "2022-03-03 06:00 UTC", "$ 87.70", "-0.69",
                                       "time of the saved file (inferred); mark inferred from its position",
                                       "equals no USD/RUB (Bank of Russia) value of the last 10 known; +7.7000 "
                                       "from the one dated 2022-03-02, known 2022-03-03 00:00"]
    assert rub.name == "USD/RUB (Bank of Russia): as shown on the page"
    # % change mode: the same transform as the lines (brent's first bar in view, with padding, is 2022-02-22: 102)
    pct = traces(view(ctx, VIEW + "&axis=pct"), "snapshots")
    assert pct[0].y[0] == pytest.approx((113.5 / 102.0 - 1) * 100)
    assert traces(view(ctx, VIEW + "&show="), "snapshots") == []


def typed_arrays_as_lists(value):
    """plotly's JSON with its base64 typed arrays ({"dtype", "bdata"[, "shape"]}) as plain lists."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {k: typed_arrays_as_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed_arrays_as_lists(v) for v in value]
    return value


@pytest.mark.parametrize("search", [VIEW + "&show=risk,snapshots", VIEW + "&axis=pct&show=snapshots&marks=topic",
                                    VIEW + "&q=war"])
def test_the_unvalidated_figure_is_what_plotly_validation_makes(ctx, search, monkeypatch):
    """The chart is sent as a plain dict, built without plotly's property validation: plotly,
    validating every property, makes the same JSON of it — a misspelt property or a plotly change
    fails here. The same holds for price_figure's go.Figure (figures.VALIDATE)."""
    raw = sent(ctx, search)
    answer = json.loads(to_json_plotly(raw))   # what Dash sends
    # the same, up to key order and the encoding of numbers (plotly writes its numeric arrays
    # as typed arrays in base64, the dict sent has them as JSON lists; plotly.js reads both)
    assert answer == typed_arrays_as_lists(json.loads(go.Figure(raw).to_json()))
    assert {t["meta"]["kind"] for t in answer["data"]} >= {"price", "counts"}
    state = sync(None, search, {}, ctx.instrument_ids, ctx.default_instruments)[0]
    data = load_chart_data(ctx.store, ViewState.from_dict(state, ctx.instrument_ids, ctx.default_instruments),
                           utc(2022, 2, 20), utc(2022, 3, 5))
    stories = ctx.store.headlines(ids=data.headlines["id"].tolist())   # the ranked stories with their text
    fast = price_figure(data.bars, place_marks(stories, data.bars, "brent"), data.counts, labels={})
    monkeypatch.setattr(figures, "VALIDATE", True)
    checked = price_figure(data.bars, place_marks(stories, data.bars, "brent"), data.counts, labels={})
    assert json.loads(fast.to_json()) == json.loads(checked.to_json())


def test_page_snapshots_are_drawn_when_the_official_series_is_absent(ctx):
    """EUR/RUB has no bars in this store, only a page's value: shown, it is drawn on an axis of its
    own (the third price axis), titled with the instrument, beside Brent's and USD/RUB's lines."""
    figure = view(ctx, "?instruments=brent,usd_rub,eur_rub&range=custom&start=2022-03-01&end=2022-03-03")
    shown = {t.meta["instrument"]: t for t in traces(figure, "snapshots")}
    assert list(shown) == ["brent", "usd_rub", "eur_rub"]
    eur = shown["eur_rub"]
    assert list(eur.y) == [95.44] and eur.yaxis == "y4"
    assert figure.layout.yaxis4.title.text == "EUR/RUB (Bank of Russia)"
    assert (figure.layout.yaxis4.overlaying, figure.layout.yaxis4.side) == ("y", "left")
    assert [t.meta["instrument"] for t in traces(figure, "price")] == ["brent", "usd_rub"]
    # in % change mode there is no first close to measure from: not drawn
    pct = view(ctx, "?instruments=brent,usd_rub,eur_rub&range=custom&start=2022-03-01&end=2022-03-03&axis=pct")
    assert [t.meta["instrument"] for t in traces(pct, "snapshots")] == ["brent", "usd_rub"]
