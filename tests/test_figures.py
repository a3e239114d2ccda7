"""The main chart: traces, axes, marks, escaping, counts, size; and one check on real Brent + BBC data."""

from __future__ import annotations

import email.utils
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.chart.figures import counts_name, empty_figure, price_figure
from dashboard.chart.marks import place_marks
from dashboard.chart.plotly_text import hover_text
from ingest.close_rules import parse_rule

LABELS = {"brent": "Brent crude (ICE futures)", "usd": "USD/RUB (Bank of Russia)", "eur": "EUR/RUB"}
SCRIPT = "<script>alert(1)</script>"
LINK = '<a href="javascript:alert(1)">x</a>'


def make_bars() -> pd.DataFrame:
    """Three instruments' daily bars, each close known at its bar's stamp (so a mark sits on the
    close of the last bar at or before it)."""
    ts = pd.Series(pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-03"], utc=True))
    stamps = pd.concat([ts] * 3, ignore_index=True)
    return pd.DataFrame({
        "instrument_id": ["brent"] * 3 + ["eur"] * 3 + ["usd"] * 3,
        "ts": stamps, "known": stamps,
        "close": [80.0, 100.0, 120.0, 128.0, 160.0, 96.0, 40.0, 50.0, 70.0]})


def make_headlines() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [11, 12, 13],
        "published": pd.to_datetime(["2022-03-01 12:00", "2022-03-02 06:30", "2022-03-02 21:15"], utc=True),
        "source": ["BBC", "Reuters", "BBC"],
        "title": ["Oil up", SCRIPT, LINK],
        "topics": ["oil", "oil;war", ""],
        "link": ["https://x/1", np.nan, "https://x/3"]})


def make_counts() -> pd.DataFrame:
    return pd.DataFrame({"bucket": pd.to_datetime(["2022-03-01", "2022-03-02"], utc=True), "count": [1, 2]})


def build(axis_mode="separate", **kwargs) -> go.Figure:
    marks = place_marks(make_headlines(), make_bars(), "usd", axis_mode)
    options = {"labels": LABELS, "axis_mode": axis_mode, "tz": "Europe/Moscow"} | kwargs
    return price_figure(make_bars(), marks, make_counts(), **options)


def of_kind(fig: go.Figure, kind: str) -> list:
    return [t for t in fig.data if t.meta["kind"] == kind]


def shown(trace) -> list:
    """The trace's x as the browser receives it (figure JSON)."""
    return json.loads(go.Figure(trace).to_json())["data"][0]["x"]


MOSCOW_DAYS = ["2022-03-01T03:00:00", "2022-03-02T03:00:00", "2022-03-03T03:00:00"]


def test_price_lines_separate_axes():
    fig = build()
    prices = of_kind(fig, "price")
    assert [(t.type, t.name, t.yaxis, t.meta["instrument"]) for t in prices] == [
        ("scatter", "Brent crude (ICE futures)", "y", "brent"),
        ("scatter", "USD/RUB (Bank of Russia)", "y3", "usd"),
        ("scatter", "EUR/RUB", "y4", "eur")]
    assert all(t.mode == "lines" and t.xaxis == "x" for t in prices)
    assert [shown(t) for t in prices] == [MOSCOW_DAYS] * 3       # 00:00 UTC shown as 03:00 Moscow
    assert [list(t.y) for t in prices] == [[80.0, 100.0, 120.0], [40.0, 50.0, 70.0], [128.0, 160.0, 96.0]]
    layout = fig.layout
    assert layout.yaxis.title.text == "Brent crude (ICE futures)" and layout.yaxis.side == "left"
    assert (layout.yaxis3.overlaying, layout.yaxis3.side, layout.yaxis3.anchor) == ("y", "right", "x")
    assert (layout.yaxis4.overlaying, layout.yaxis4.side, layout.yaxis4.anchor, layout.yaxis4.autoshift) == (
        "y", "left", "free", True)
    assert layout.yaxis3.title.text == "USD/RUB (Bank of Russia)"
    assert layout.yaxis2.domain == (0.0, 0.2134)                 # row 2 (counts) keeps y2


def test_pct_mode_one_axis_of_percent_change():
    fig = build("pct")
    prices = of_kind(fig, "price")
    assert [t.yaxis for t in prices] == ["y", "y", "y"]
    assert [list(t.y) for t in prices] == [[0.0, 25.0, 50.0], [0.0, 25.0, 75.0], [0.0, 25.0, -25.0]]
    assert fig.layout.yaxis.title.text == "% change"
    assert [key for key in fig.layout.to_plotly_json() if key.startswith("yaxis")] == ["yaxis", "yaxis2"]
    marks = of_kind(fig, "marks")
    assert {t.name: list(t.y) for t in marks} == {"BBC": [0.0, 25.0], "Reuters": [25.0]}


def test_mark_traces_one_per_group_with_customdata():
    fig = build()
    marks = of_kind(fig, "marks")
    assert [(t.type, t.name, t.mode, t.meta["group"], t.yaxis) for t in marks] == [
        ("scatter", "BBC", "markers", "BBC", "y3"), ("scatter", "Reuters", "markers", "Reuters", "y3")]
    bbc, reuters = marks
    assert shown(bbc) == ["2022-03-01T15:00:00", "2022-03-03T00:15:00"]
    assert list(bbc.y) == [40.0, 50.0]                          # usd close at or before each headline
    assert bbc.customdata.tolist() == [   # no score columns: no score line
        [11, "Oil up", "BBC", "2022-03-01 15:00 MSK", ""],
        [13, "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;", "BBC", "2022-03-03 00:15 MSK", ""]]
    assert reuters.customdata.tolist() == [[12, "&lt;script&gt;alert(1)&lt;/script&gt;", "Reuters",
                                            "2022-03-02 09:30 MSK", ""]]
    assert bbc.hovertemplate == ("%{customdata[3]}<br>%{customdata[2]}<br><b>%{customdata[1]}</b><br>"
                                 "%{customdata[4]}<extra></extra>")
    assert list(bbc.marker.size) == [8.0, 8.0]    # no importance: the smallest mark


def scored() -> pd.DataFrame:
    return make_headlines().assign(story_kind=["act", "threat", "none"], story_sources=[3.0, 1.0, 1.0],
                                   importance=[7.0, 2.0, 0.0])


def test_marks_by_risk_kind_sized_by_importance_with_the_score_in_the_hover():
    marks = place_marks(scored(), make_bars(), "usd", "separate")
    fig = price_figure(make_bars(), marks, make_counts(), labels=LABELS, tz="Europe/Moscow", marks_by="risk")
    traces = of_kind(fig, "marks")
    assert [(t.name, t.marker.color, list(t.marker.size), t.customdata[:, 0].tolist()) for t in traces] == [
        ("geopolitical act", "#c0392b", [22.0], [11]), ("geopolitical threat", "#e67e22", [12.0], [12]),
        ("no risk kind", "#7f8c8d", [8.0], [13])]
    assert traces[0].customdata[0][4] == ("geopolitical act · 3 sources · "
                                          "importance 7 = act 4 + topic 1 + 2 more sources 2")


def test_cluster_badges_carry_their_count_hover_and_span():
    from dashboard.chart.clusters import badge_groups, plan_marks

    stories = place_marks(scored(), make_bars(), "usd", "separate")
    plan = plan_marks(scored(), None, pd.Timestamp("2022-03-01", tz="UTC"), pd.Timestamp("2022-03-04", tz="UTC"),
                      top_n=1)
    assert plan.bucket_seconds == 3 * 3600 and plan.singles["id"].tolist() == [11, 12, 13]   # each alone in its 3 h
    many = pd.concat([scored(), scored().assign(id=[21, 22, 23])], ignore_index=True)   # twins at the same times
    plan = plan_marks(many.sort_values(["importance", "id"], ascending=[False, True]).reset_index(drop=True), None,
                      pd.Timestamp("2022-03-01", tz="UTC"), pd.Timestamp("2022-03-04", tz="UTC"), top_n=0)
    assert plan.singles.empty
    kinds = many[many["story_kind"] != "none"]   # the groups, counted by hand: two stories of each kind
    counted = pd.DataFrame({"bucket": kinds["published"].dt.floor("3h"), "group": kinds["story_kind"],
                            "count": 1}).groupby(["bucket", "group"], as_index=False)["count"].sum()
    no_singles = pd.DataFrame({"bucket": pd.Series(dtype="datetime64[ns, UTC]"), "group": pd.Series(dtype=object)})
    clusters = badge_groups(plan.clusters, counted, no_singles, blank="none")
    fig = price_figure(make_bars(), place_marks(plan.singles, make_bars(), "usd", "separate"), make_counts(),
                       labels=LABELS, tz="UTC", marks_by="risk", clusters=clusters, stories=many)
    badges = of_kind(fig, "clusters")
    assert [(t.name, t.mode, list(t.text), list(t.marker.size)) for t in badges] == [
        ("geopolitical act (clusters)", "markers+text", ["2"], [28.5]),     # 18 + 1.5 x importance 7
        ("geopolitical threat (clusters)", "markers+text", ["2"], [21.0]),
        ("no risk kind (clusters)", "markers+text", ["2"], [18.0])]
    act = badges[0]
    assert act.customdata.tolist() == [[
        "cluster", int(pd.Timestamp("2022-03-01 12:00", tz="UTC").timestamp()), 10800,
        "<b>2 stories</b> · 2022-03-01 12:00 UTC – 2022-03-01 15:00 UTC<br>mostly geopolitical act: 2 geopolitical act"
        "<br>• Oil up <i>(geopolitical act, 3 sources)"
        "</i><br>• Oil up <i>(geopolitical act, 3 sources)</i><br>click to list them"]]
    # in the badges' lane along the bottom of the price panel: an axis of its own, 0..1, hidden
    assert shown(act) == ["2022-03-01T13:30:00"] and list(act.y) == [0.05] and act.yaxis == "y21"
    assert (fig.layout.yaxis21.overlaying, list(fig.layout.yaxis21.range), fig.layout.yaxis21.visible) == (
        "y", [0, 1], False)
    assert "yaxis21" not in build().layout.to_plotly_json()   # no badges: no lane
    assert len(stories) == 3


def test_highlight_trace_rings_the_selected_headline():
    fig = build(highlight_id=12)
    ring = fig.data[0]   # always the first trace: selecting another story patches just it
    assert (ring.name, ring.meta, ring.yaxis, ring.showlegend) == ("selected headline", {"kind": "highlight", "id": 12},
                                                                   "y3", False)
    assert shown(ring) == ["2022-03-02T09:30:00"] and list(ring.y) == [50.0]
    assert ring.marker.symbol == "circle-open" and ring.marker.size == 22
    for empty in (build(highlight_id=999), build()):
        (ring,) = of_kind(empty, "highlight")
        assert (list(ring.x), list(ring.y), ring.meta) == ([], [], {"kind": "highlight", "id": None})


def test_a_story_not_marked_singly_is_ringed_from_its_own_placed_row():
    selected = place_marks(make_headlines().iloc[[1]], make_bars(), "usd", "separate")
    empty_marks = place_marks(make_headlines().iloc[0:0], make_bars(), "usd", "separate")
    fig = price_figure(make_bars(), empty_marks, make_counts(), labels=LABELS, tz="UTC", highlight_id=12,
                       selected=selected)
    assert [t.meta["kind"] for t in fig.data] == ["highlight", "price", "price", "price", "counts"]
    assert list(fig.data[0].y) == [50.0] and fig.data[0].yaxis == "y3"



def test_marks_by_topic():
    fig = build(marks_by="topic")
    assert [(t.name, t.customdata[:, 0].tolist()) for t in of_kind(fig, "marks")] == [
        ("oil", [11, 12]), ("(no topic)", [13]), ("war", [12])]


def test_untrusted_text_never_reaches_the_figure_raw():
    text = build().to_json()
    assert "<script" not in text and "<a href" not in text and "javascript:alert(1)&#34;" in text
    assert hover_text('Tom & "Jerry" <b>') == "Tom &amp; &#34;Jerry&#34; &lt;b&gt;"
    assert hover_text("it's") == "it&#39;s"
    assert hover_text(np.nan) == ""




def test_counts_trace():
    (counts,) = of_kind(build(), "counts")
    assert (counts.type, counts.name, counts.xaxis, counts.yaxis) == ("bar", "headlines per day", "x2", "y2")
    assert shown(counts) == ["2022-03-01T03:00:00", "2022-03-02T03:00:00"] and list(counts.y) == [1, 2]
    assert (counts.meta, counts.offset, counts.width) == ({"kind": "counts", "bucket_seconds": 86_400}, 0, 77_760_000)
    hourly = of_kind(build(interval="1h"), "counts")[0]
    assert (hourly.name, hourly.width) == ("headlines per hour", 3_240_000)
    weekly = of_kind(build(interval="1h", bucket_seconds=604_800), "counts")[0]     # bucket wins over interval
    assert (weekly.name, weekly.meta["bucket_seconds"]) == ("headlines per week", 604_800)


def test_counts_name():
    assert [counts_name(s) for s in (3_600, 86_400, 604_800, 21_600, 172_800, 90)] == [
        "headlines per hour", "headlines per day", "headlines per week", "headlines per 6 hours",
        "headlines per 2 days", "headlines per 90 seconds"]


def test_layout():
    fig = build()
    layout = fig.layout
    assert (layout.uirevision, layout.hovermode, layout.height, layout.legend.orientation) == (
        "newsmarks-price", "closest", 620, "h")
    # the light style of plotly_white, written out (no template to validate on every callback)
    assert layout.template == pio.templates["none"]
    assert (layout.plot_bgcolor, layout.paper_bgcolor, layout.yaxis.gridcolor) == ("white", "white", "#EBF0F8")
    assert (layout.yaxis.domain, layout.yaxis2.domain) == ((0.2434, 1.0), (0.0, 0.2134))
    # the panels are where plotly's own make_subplots puts them (written out: it costs 20–27 ms a call)
    from plotly.subplots import make_subplots

    from dashboard.chart.figures import SUBPLOTS
    reference = make_subplots(**SUBPLOTS).layout
    assert (reference.yaxis.domain, reference.yaxis2.domain) == (layout.yaxis.domain, layout.yaxis2.domain)
    assert (reference.xaxis.matches, reference.xaxis.showticklabels, reference.xaxis.anchor,
            reference.xaxis2.anchor, reference.yaxis2.anchor) == ("x2", False, "y", "y2", "x2")
    assert (layout.xaxis.anchor, layout.xaxis2.anchor, layout.yaxis2.anchor) == ("y", "y2", "x2")
    assert layout.xaxis2.title.text == "time (Europe/Moscow)"
    assert layout.xaxis.matches == "x2" and layout.xaxis.type == "date"
    # zoom persistence is left to layout.uirevision, so a caller can reset it by changing that alone
    assert all(layout[key].uirevision is None for key in ("xaxis", "xaxis2", "yaxis", "yaxis2", "yaxis3"))
    assert build(tz="UTC").layout.xaxis2.title.text == "time (UTC)"


def test_every_trace_is_one_the_pages_plotly_bundle_draws():
    """The page loads plotly.js's basic bundle (scatter, bar, pie: assets/plotly-basic-*.min.js),
    so a long line is an SVG scatter too (the chart downsamples lines before drawing them)."""
    from dashboard.chart.trace_dicts import TRACE_TYPES, trace

    ts = pd.date_range("2020-01-01", periods=15_001, freq="h", tz="UTC")
    bars = pd.DataFrame({"instrument_id": ["a"] * 15_001 + ["b"] * 15_000,
                         "ts": list(ts) + list(ts[:15_000]), "close": np.ones(30_001)})
    fig = price_figure(bars, make_headlines().iloc[0:0], make_counts().iloc[0:0], labels={"a": "A", "b": "B"})
    assert [t.type for t in of_kind(fig, "price")] == ["scatter", "scatter"]
    assert {t.type for t in build().data} <= set(TRACE_TYPES)
    with pytest.raises(ValueError, match="the page's plotly.js bundle draws scatter, bar, pie, not 'scattergl'"):
        trace("scattergl", x=[1])
    bundles = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "assets").glob("plotly-*.min.js"))
    assert bundles == ["plotly-basic-4.1.1.min.js"]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        build(tz="Mars/Olympus")
    with pytest.raises(ValueError, match="interval must be one of"):
        build(interval="5m")
    with pytest.raises(ValueError, match="bucket_seconds must be positive, got 0"):
        build(bucket_seconds=0)
    with pytest.raises(ValueError, match="axis_mode must be one of"):
        price_figure(make_bars(), make_headlines(), make_counts(), labels=LABELS, axis_mode="log")


def test_figure_json_size_for_5_instruments_and_2000_marks():
    rng = np.random.default_rng(5)
    ts = pd.date_range("2018-01-01", periods=2000, freq="D", tz="UTC")
    ids = ["brent", "usd", "eur", "cny", "gold"]
    bars = pd.DataFrame({"instrument_id": np.repeat(ids, 2000), "ts": np.tile(ts, 5), "known": np.tile(ts, 5),
                         "close": 80 + rng.normal(0, 1, 10_000).cumsum()})
    headlines = pd.DataFrame({
        "id": np.arange(2000), "published": ts + pd.Timedelta(hours=7),
        "source": rng.choice(["BBC Business", "Reuters World", "TASS", "Interfax"], 2000),
        "title": [f"Headline number {i}: oil, sanctions & the rouble move again today" for i in range(2000)],
        "topics": "oil;sanctions", "link": "https://example.org/x"})
    counts = pd.DataFrame({"bucket": ts, "count": rng.integers(0, 20, 2000)})
    marks = place_marks(headlines, bars, "brent", "separate")
    fig = price_figure(bars, marks, counts, labels={i: i.upper() for i in ids}, tz="Europe/Moscow")
    size = len(fig.to_json())
    print(f"figure JSON for 5 x 2,000 points + 2,000 marks + 2,000 count bars: {size / 1e6:.3f} MB")
    assert sum(len(t.customdata) for t in of_kind(fig, "marks")) == 2000
    assert size < 1_500_000


def test_empty_figure():
    fig = empty_figure("No data for <these> instruments")
    assert fig.data == ()
    (note,) = fig.layout.annotations
    assert (note.text, note.x, note.y, note.showarrow) == ("No data for &lt;these&gt; instruments", 0.5, 0.5, False)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_real_brent_and_bbc_march_2022(shared_data):
    prices = pd.read_csv(shared_data / "brent-daily.csv")
    prices = prices[prices["Date"].str.startswith("2022")]
    days = pd.to_datetime(prices["Date"], utc=True)
    bars = pd.DataFrame({"instrument_id": "brent", "ts": days,
                         "known": parse_rule("19:30 Europe/London").known(days),   # the brent instrument's rule
                         "close": prices["Price"].astype(float)}).reset_index(drop=True)
    feed = pd.read_csv(shared_data / "bbc-business-rss-2022-2024.csv")
    feed["published"] = pd.to_datetime([email.utils.parsedate_to_datetime(v) for v in feed["pubDate"]], utc=True)
    march = feed[(feed["published"] >= "2022-03-01") & (feed["published"] < "2022-04-01")].reset_index(drop=True)
    headlines = pd.DataFrame({"id": march.index, "published": march["published"], "source": "BBC Business",
                              "title": march["title"], "topics": "", "link": march["link"]})
    assert len(headlines) == 105

    marks = place_marks(headlines, bars, "brent", "separate")
    soars = marks[marks["title"] == "Ukraine conflict: Oil price soars to highest level since 2008"]
    # the feed lists this story twice (same guid, re-published at 09:00:31)
    assert soars["published"].tolist() == [pd.Timestamp("2022-03-07 08:15:53", tz="UTC"),
                                           pd.Timestamp("2022-03-07 09:00:31", tz="UTC")]
    # The close of 2022-03-07 (129.02) became known at 19:30 London that evening, after 08:15:53: the
    # mark sits on the price known then, the previous trading day's close (2022-03-04: 123.86).
    assert bars.loc[bars["ts"] == pd.Timestamp("2022-03-07", tz="UTC"), "close"].tolist() == [129.02]
    assert soars["y"].tolist() == [123.86, 123.86]
    assert set(marks["y"]) <= set(bars["close"])

    fig = price_figure(bars, marks, make_counts().iloc[0:0], labels={"brent": "Brent"}, tz="Europe/Moscow")
    (trace,) = of_kind(fig, "marks")
    at = [i for i, row in enumerate(trace.customdata) if row[1].startswith("Ukraine conflict: Oil price soars")]
    assert [shown(trace)[i] for i in at] == ["2022-03-07T11:15:53", "2022-03-07T12:00:31"]
    assert [trace.y[i] for i in at] == [123.86, 123.86]
    assert [trace.customdata[i][3] for i in at] == ["2022-03-07 11:15 MSK", "2022-03-07 12:00 MSK"]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("fmt", ["%Y-%m-%d %H:%M %Z", "%Y-%m-%dT%H:%M:%S%z",
                                 "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])   # the last three: numpy's
def test_format_times_writes_what_pandas_strftime_writes(zone, fmt):
    from zoneinfo import ZoneInfo

    from dashboard.analysis.time_columns import format_times
    # DST changes, Moscow's 2011 and 2014 changes of offset and name, before 1970, sub-seconds, NaT
    times = pd.Series(pd.to_datetime([
        "2011-03-26 22:59:59", "2011-03-26 23:00:00", "2014-10-25 21:59:59.999", "2014-10-25 22:00:00",
        "2022-03-27 00:59:59", "2022-03-27 01:00:00", "2022-10-30 00:30:00", "2022-10-30 01:30:00",
        "1969-07-20 20:17:40.5", "2026-11-27 12:00:00", None], utc=True, format="mixed"))
    expected = times.dt.tz_convert(zone).dt.strftime(fmt).tolist()
    assert format_times(times, ZoneInfo(zone), fmt) == [None if isinstance(e, float) else e for e in expected]
    assert format_times(times.iloc[:0], ZoneInfo(zone), fmt) == []
    with pytest.raises(ValueError, match="when must be tz-aware"):
        format_times(times.dt.tz_localize(None), ZoneInfo(zone), fmt, "when")


def test_marks_without_a_source_or_title_show_empty_hover_fields():
    headlines = make_headlines()
    headlines["source"] = pd.Series(["BBC", None, np.nan], dtype="str")
    headlines["title"] = pd.Series(["Oil up", None, "A & B"], dtype="str")
    marks = place_marks(headlines, make_bars(), "usd")
    fig = price_figure(make_bars(), marks, make_counts(), labels=LABELS, tz="UTC", marks_by="source")
    rows = {t.name: [list(r) for r in t.customdata] for t in of_kind(fig, "marks")}
    assert rows == {"(no source)": [[12, "", "", "2022-03-02 06:30 UTC", ""],
                                    [13, "A &amp; B", "", "2022-03-02 21:15 UTC", ""]],
                    "BBC": [[11, "Oil up", "BBC", "2022-03-01 12:00 UTC", ""]]}


def test_a_price_line_steps_where_each_close_became_known_and_the_marks_sit_on_it():
    """Each close is drawn from when it was known (a step, `hv`), the rule the marks follow: every
    mark's y is the line's value at the mark's time (read off the line by hand); a provisional
    close, with no known time, sits at its bar's stamp; the hover names the trading day."""
    ts = pd.Series(pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-04"], utc=True))
    bars = pd.DataFrame({"instrument_id": ["brent"] * 4, "ts": ts,
                         "known": ts + pd.Timedelta(hours=18, minutes=30),
                         "close": [80.0, 90.0, 85.0, 88.0]})
    bars.loc[3, "known"] = pd.NaT   # the newest close, still provisional
    headlines = make_headlines()
    marks = place_marks(headlines, bars, "brent", "separate")
    fig = price_figure(bars, marks, make_counts(), labels=LABELS, tz="UTC")
    (line,) = of_kind(fig, "price")
    assert shown(line) == ["2022-03-01T18:30:00", "2022-03-02T18:30:00", "2022-03-03T18:30:00",
                           "2022-03-04T00:00:00"]
    assert line.line.shape == "hv" and list(line.customdata) == [
        "close of 2022-03-01, known 2022-03-01 18:30", "close of 2022-03-02, known 2022-03-02 18:30",
        "close of 2022-03-03, known 2022-03-03 18:30", "close of 2022-03-04, provisional"]
    steps = [(pd.Timestamp(x), y) for x, y in zip(shown(line), line.y, strict=True)]
    for mark in of_kind(fig, "marks"):
        for x, y in zip(shown(mark), mark.y, strict=True):
            on_line = [value for at, value in steps if at <= pd.Timestamp(x)]
            assert y == (on_line[-1] if on_line else steps[0][1]), x
    # 12:00 on 1 March: before the first close was known, the first close; 06:30 and 21:15 on 2 March:
    # the close of 1 March (known the evening before), then that of 2 March (known at 18:30)
    assert sorted(y for t in of_kind(fig, "marks") for y in t.y) == [80.0, 80.0, 90.0]
