"""The Analysis tab: its callbacks called directly on a store filled from ../shared/data (Brent
daily, BBC Business headlines), checked against the pure analyses' own outputs."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from dash import dcc, html, no_update

from dashboard import create_app, ids
from dashboard.analysis.event_study import event_study
from dashboard.analysis.intensity import intensity_vs_volatility
from dashboard.analysis.largest_moves import largest_moves
from dashboard.analysis_view.callbacks import (
    analysis_download,
    analysis_outputs,
    analysis_view,
    instrument_choice,
    show_on_chart,
)
from dashboard.analysis_view.controls import Controls, controls_from
from dashboard.analysis_view.data import no_events_message
from dashboard.analysis_view.figures import event_study_figure, lag_figure
from dashboard.analysis_view.tables import chart_link, frame_csv, stats_table_rows
from dashboard.callbacks.state_sync import sync
from dashboard.chart_data import headline_filter
from dashboard.context import DashboardContext
from dashboard.state import parse_state
from ingest.config import Config
from ingest.csv_safety import format_number
from ingest.csvio import read_headlines_csv, read_prices_csv
from ingest.risk_index import daily_risk_index
from ingest.sources.base import Headline
from ingest.store import Store
from ingest.tagging import headline_tagger
from tests.conftest import SHARED_DATA, close_bars, utc

FETCHED = utc(2026, 9, 1)   # after the last bar: every close written was final
START, END = utc(2022, 3, 1), utc(2022, 3, 31, 23, 59, 59)
WINDOW = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-31T23:59:59+00:00", "interval": "1d",
          "zoomed": False}
MARCH = "?instruments=brent,usd_rub_mkt&range=custom&start=2022-03-01&end=2022-03-31"
BRENT = {"instrument": "brent", "interval": "1d", "window": 10, "spacing": 0, "lag": 10, "n": 10}
FORMULA = "=cmd|' /C calc'!A0 oil"
SCRIPT = '<script>alert("x")</script> Sanctions talk'
LABEL = "Brent crude (ICE futures)"


@pytest.fixture(scope="module")
def ctx(module_store_url) -> DashboardContext:
    config = Config.model_validate({"store": {"url": module_store_url}, "feeds": []})
    store = Store.open(config.store.url)
    store.sync_config(config)
    store.write_bars("brent", "1d", "import", read_prices_csv(SHARED_DATA / "brent-daily.csv").bars, FETCHED)
    hourly = close_bars(pd.date_range("2022-03-07", periods=48, freq="h", tz="UTC"), [120.0 + i / 4 for i in range(48)])
    days = pd.date_range("2022-02-01", "2022-04-29", freq="B", tz="UTC")
    broken = close_bars(days, [0.0 if day == pd.Timestamp("2022-03-15", tz="UTC") else 90.0 + i % 7
                               for i, day in enumerate(days)])
    store.write_bars("brent", "1h", "import", hourly, FETCHED)
    store.write_bars("eur_rub_mkt", "1d", "import", broken, FETCHED)
    tag = headline_tagger(config.topics)
    store.write_headlines(read_headlines_csv(SHARED_DATA / "bbc-business-rss-2022-2024.csv",
                                             fetched=FETCHED).headlines, tag=tag)
    store.write_headlines([
        Headline(source="hand", guid="f1", title=FORMULA, published=utc(2022, 3, 2, 12), fetched=FETCHED),
        Headline(source="hand", guid="s1", title=SCRIPT, published=utc(2022, 3, 9, 12), fetched=FETCHED),
    ], tag=tag)
    return DashboardContext(config, store)


def state(ctx, search: str) -> dict:
    return sync(None, search, [], ctx.instrument_ids, ctx.default_instruments)[0]


def view_filter(ctx, search: str):
    return headline_filter(parse_state(search, ctx.instrument_ids, ctx.default_instruments), START, END)


def march_headlines(ctx, start=START) -> pd.DataFrame:
    return ctx.store.headlines(start=start, end=END, stories_only=True)


def march_bars(ctx) -> pd.DataFrame:
    """Brent's March bars and the last bar before March (Monday 2022-02-28)."""
    return ctx.store.bars(["brent"], "1d", utc(2022, 2, 28), END)


def expected_study(ctx):
    pad = timedelta(days=2 * 10 + 10)   # 2W daily bars and ten days for weekends and holidays
    bars = ctx.store.bars(["brent"], "1d", START - pad, END + pad)
    return event_study(march_headlines(ctx), bars, "1d", 10, 0, 200, 0)


def expected_means(ctx) -> pd.DataFrame:
    """The mean move after March's headlines per calendar horizon, one headline at a time (an
    independent reading of dashboard.moves): from the close of the last bar known by the headline
    to the close of the last bar known a horizon later; none when no close became known between
    (Brent has daily bars only here: "no hourly data" for an hour, "no close within 1d" for a day)."""
    pad = timedelta(days=2 * 10 + 10)
    bars = ctx.store.bars(["brent"], "1d", START - pad, END + pad)
    rows = []
    for horizon, span, why in (("1h", timedelta(hours=1), "no hourly data"),
                               ("1d", timedelta(days=1), "no close within 1d")):
        moves, empty = [], 0
        for t in march_headlines(ctx)["published"]:
            before, after = bars[bars["known"] <= t], bars[bars["known"] <= t + span]
            if len(after) == len(before):
                empty += 1
                continue
            a, b = before["close"].iloc[-1], after["close"].iloc[-1]
            moves.append((b - a) / a * 100)
        rows.append({"horizon": horizon, "mean": float(np.mean(moves)) if moves else np.nan, "used": len(moves),
                     "empty": empty, "why": f"{why} {empty:,}" if empty else ""})
    return pd.DataFrame(rows)


def expected_intensity(ctx):
    return intensity_vs_volatility(march_headlines(ctx), march_bars(ctx), "1d", 10, interval="1d")


def texts(component) -> list[str]:
    """The children of every cell (Td) of an html.Table's body, row by row."""
    return [[cell.children for cell in row.children] for row in component.children[1].children]


def csv_rows(sent: dict) -> list[list[str]]:
    content = base64.b64decode(sent["content"]).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_layout_has_the_two_tabs_and_keeps_the_chart_ids(tmp_path):
    config = Config.model_validate({"store": {"url": f"sqlite:///{tmp_path / 'lazy.db'}"}, "feeds": []})
    app = create_app(config)
    page = app.layout()
    tabs = [c for c in page._traverse() if getattr(c, "id", None) == ids.ANALYSIS_TABS][0]
    assert [t.tab_id for t in tabs.children] == [ids.ANALYSIS_TAB_CHART, ids.ANALYSIS_TAB_ANALYSIS]
    assert [t.label for t in tabs.children] == ["Chart", "Analysis"] and tabs.active_tab == ids.ANALYSIS_TAB_CHART
    chart_ids = {getattr(c, "id", None) for c in tabs.children[0]._traverse()}
    assert {ids.CHART, ids.CHART_NOTE, ids.TABLE_CONTAINER, ids.TABLE, ids.DOWNLOAD_JOINED_BUTTON} <= chart_ids
    analysis_ids = {getattr(c, "id", None) for c in tabs.children[1]._traverse()}
    assert {ids.ANALYSIS_EVENT_CHART, ids.ANALYSIS_STATS, ids.ANALYSIS_LAG_CHART, ids.ANALYSIS_MOVES,
            ids.ANALYSIS_RISK_CHART, ids.ANALYSIS_DOWNLOAD, ids.ANALYSIS_TOP_N} <= analysis_ids
    assert app.server.test_client().get("/").status_code == 200
    assert not (tmp_path / "lazy.db").exists()


def test_controls_default_and_clamp():
    assert controls_from(None) == Controls(instrument=None, interval="1d", window=10, spacing=0, lag=10, n=10)
    assert controls_from({"instrument": "brent", "interval": "1h", "window": 0, "spacing": "x", "lag": 500,
                          "n": 7.9}) == Controls("brent", "1h", 1, 0, 60, 7)
    assert controls_from({"interval": "5m", "window": None, "n": float("inf")}) == Controls(None)


def test_instrument_follows_the_view(ctx):
    options, value = instrument_choice(ctx, state(ctx, MARCH), None)
    assert options == [{"label": LABEL, "value": "brent"},
                       {"label": "USD/RUB market (Yahoo)", "value": "usd_rub_mkt"}] and value == "brent"
    assert instrument_choice(ctx, state(ctx, MARCH), "usd_rub_mkt")[1] == "usd_rub_mkt"
    assert instrument_choice(ctx, state(ctx, MARCH), "eur_rub")[1] == "brent"
    assert instrument_choice(ctx, state(ctx, "?instruments="), "brent") == ([], None)


class NoStore(DashboardContext):
    @property
    def store(self):
        raise AssertionError("the store was read while the Chart tab is shown")


def test_nothing_is_computed_on_the_chart_tab(ctx):
    idle = NoStore(ctx.config)
    assert analysis_outputs(idle, ids.ANALYSIS_TAB_CHART, state(ctx, MARCH), WINDOW, BRENT) == (no_update,) * 6
    assert analysis_outputs(idle, None, state(ctx, MARCH), WINDOW, BRENT) == (no_update,) * 6
    shown = analysis_outputs(ctx, ids.ANALYSIS_TAB_ANALYSIS, state(ctx, MARCH), WINDOW, BRENT)
    assert shown[0][0].children.startswith(LABEL)


def test_event_study_path_bands_and_statistics(ctx):
    message, figure, stats, _lags, _moves, _risk = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)
    expected = expected_study(ctx)
    headlines = ctx.store.count_headlines(view_filter(ctx, MARCH))
    assert expected.n_headlines == headlines == 93           # 91 BBC headlines in March 2022 and 2 by hand
    means = expected_means(ctx)
    assert [m.children for m in message] == [
        f"{LABEL}, daily bars; {headlines} headlines in view; times in UTC.",
        *[f"Mean move {m.horizon} after the headlines left out {m.empty:,} without a move ({m.why})."
          for m in means.itertuples()]]
    assert means["used"].tolist() == [7, 85] and means["empty"].tolist() == [86, 8]
    k = list(range(-10, 11))
    placebo, band, mean = figure.data
    assert [t.meta["kind"] for t in figure.data] == ["placebo_band", "band", "mean"]
    assert list(mean.x) == k and list(mean.y) == [float(v) for v in expected.mean_path * 100]
    assert list(band.x) == k + k[::-1] and band.fill == "toself"
    assert list(band.y) == [float(v) for v in np.concatenate([expected.band_high, expected.band_low[::-1]]) * 100]
    assert list(placebo.y) == [float(v) for v in
                               np.concatenate([expected.placebo_band_high, expected.placebo_band_low[::-1]]) * 100]
    assert expected.n_events == 21 and expected.events["first_headline_title"].iloc[0] == FORMULA
    assert figure.layout.title.text == (f"{LABEL}<br><sup>21 events, 2022-03-02 12:00 to 2022-03-31 06:38 "
                                        f"(UTC)</sup>")
    rows = stats_table_rows(expected, expected_intensity(ctx), means)
    assert rows[:3] == [{"statistic": "Headlines", "value": 93},
                        {"statistic": "Headlines before the first bar", "value": 0},
                        {"statistic": "Events used", "value": 21}]
    assert rows[4] == {"statistic": "Events left out: a flagged bar in the window", "value": 0}
    assert rows[9] == {"statistic": "Mean move at +10 bars, %", "value": expected.move_w * 100}
    assert rows[16] == {"statistic": "Placebo p of the mean |move at +10|", "value": expected.placebo_p}
    assert rows[17] == {"statistic": "Buckets (1d) with a return", "value": 23}   # March 2022's trading days
    assert rows[-6:] == [
        {"statistic": "Mean move 1h after a headline, %", "value": means["mean"][0]},
        {"statistic": "Headlines with a 1h move", "value": 7},
        {"statistic": "Headlines without a 1h move (left out of the mean)", "value": 86},
        {"statistic": "Mean move 1d after a headline, %", "value": means["mean"][1]},
        {"statistic": "Headlines with a 1d move", "value": 85},
        {"statistic": "Headlines without a 1d move (left out of the mean)", "value": 8}]
    shown = texts(stats)
    assert shown == [[row["statistic"], f"{row['value']:,}" if isinstance(row["value"], int)
                      else f"{row['value']:.4g}"] for row in rows]


def test_risk_share_as_the_news_side_of_the_correlation(ctx):
    _message, _figure, stats, lags, _moves, _risk = analysis_view(ctx, state(ctx, MARCH), WINDOW,
                                                                  {**BRENT, "lag": 3, "news": "risk"})
    expected = intensity_vs_volatility(march_headlines(ctx), march_bars(ctx), "1d", 3, interval="1d", news="risk")
    assert list(lags.data[0].y) == expected.lags["r"].tolist()
    assert "r of the risk share of headlines per 1d" in lags.layout.title.text
    shown = dict((row[0], row[1]) for row in texts(stats))
    assert shown["Pearson r, risk share vs |return|"] == f"{expected.pearson_r:.4g}"
    assert shown["Buckets (1d) with a return and headlines"] == f"{expected.n:,}"
    assert expected.n == expected.aligned["risk_share"].notna().sum() == 21   # days without a headline have no share
    assert controls_from({"news": "tone"}).news == "count"


def test_lag_plot_is_the_cross_correlation(ctx):
    figure = analysis_view(ctx, state(ctx, MARCH), WINDOW, {**BRENT, "lag": 5})[3]
    expected = intensity_vs_volatility(march_headlines(ctx), march_bars(ctx), "1d", 5, interval="1d")
    bars, high, low = figure.data
    assert list(bars.x) == list(range(-5, 6))
    assert list(bars.y) == expected.lags["r"].tolist() and list(bars.customdata) == expected.lags["pairs"].tolist()
    assert expected.n == 23 and expected.band == 1.96 / np.sqrt(23)
    assert (list(high.x), list(high.y), list(low.y)) == ([-5.5, 5.5], [expected.band] * 2, [-expected.band] * 2)
    flat = intensity_vs_volatility(march_headlines(ctx).iloc[:0], march_bars(ctx), "1d", 2, interval="1d")
    assert list(lag_figure(flat).data[0].y) == [None] * 5        # no headlines: r undefined, gaps


def test_largest_moves_table_links_to_the_chart(ctx):
    moves = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)[4]
    expected = largest_moves(march_bars(ctx), march_headlines(ctx, START - timedelta(days=1)), "1d", 10)
    assert expected["rank"].nunique() == 10
    first = expected.iloc[0]
    assert (first["ts"], first["pct"]) == (pd.Timestamp("2022-03-09", tz="UTC"), (116.58 - 133.18) / 133.18 * 100)
    rows = texts(moves)
    assert rows[0][:8] == ["1", "2022-03-09", f"{first['pct']:+.2f}", "116.58", "2022-03-09 12:00", "hand",
                           SCRIPT, ""]                     # the title is a plain string: React shows it as text
    link = rows[0][8]
    assert isinstance(link, html.Span) and link.id == {"type": ids.ANALYSIS_SHOW_ON_CHART, "index": 1}
    assert isinstance(link.children, dcc.Link)
    assert link.children.href == "?instruments=brent,usd_rub_mkt&range=custom&start=2022-03-06&end=2022-03-12"
    spans = [c for c in moves._traverse() if isinstance(c, html.Span)]
    assert [s.id["index"] for s in spans] == list(range(1, 11))
    assert [r[6] for r in rows[:3]] == expected[expected["rank"] == 1]["title"].tolist()[:3]
    assert rows[1][:4] == ["", "", "", ""]                 # the move's cells only on its first row


def test_chart_link_keeps_the_view_filters(ctx):
    view = parse_state("?instruments=brent&q=oil&topics=OPEC&tz=Europe/Moscow&range=1Y", ctx.instrument_ids,
                       ctx.default_instruments)
    assert chart_link(view, pd.Timestamp("2022-03-01 13:00", tz="UTC")) == (
        "?instruments=brent&q=oil&topics=OPEC&range=custom&start=2022-02-26&end=2022-03-04&tz=Europe/Moscow")
    triggered = '{"index":1,"type":"nm-analysis-show-on-chart"}.n_clicks'
    assert show_on_chart([{"prop_id": triggered, "value": 1}]) == ids.ANALYSIS_TAB_CHART
    assert show_on_chart([{"prop_id": triggered, "value": None}]) is no_update
    assert show_on_chart([{"prop_id": ".", "value": None}]) is no_update


def test_risk_index_series(ctx):
    figure = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)[5]
    expected = daily_risk_index(march_headlines(ctx))
    assert [t.meta["kind"] for t in figure.data] == ["share_any", "share_threats", "share_acts"]
    days = expected["day"].dt.strftime("%Y-%m-%d").tolist()
    for trace in figure.data:
        assert list(trace.x) == days
        assert list(trace.y) == [float(v) for v in expected[trace.meta["kind"]] * 100]
    assert int(expected["headlines"].sum()) == 93 and days[0] == "2022-03-02"
    negative = MARCH + "&sentiment=negative"                # every filter of the view applies
    figure = analysis_view(ctx, state(ctx, negative), WINDOW, BRENT)[5]
    count = ctx.store.count_headlines(view_filter(ctx, negative))
    assert sum(figure.data[0].customdata) == count and 0 < count < 93


def test_no_events_is_a_message(ctx):
    message, figure, stats, lags, moves, risk = analysis_view(
        ctx, state(ctx, MARCH + "&q=zzyzxnothing"), WINDOW, BRENT)
    assert [m.children for m in message][1:] == [
        "Event study: no headline matches the filters in this view, so there are no events.",
        "Geopolitical risk: no headline in this view."]
    assert figure.layout.annotations[0].text == "No event study: see the note above"
    assert texts(stats)[2] == ["Events used", "0"]
    bars = ctx.store.bars(["brent"], "1d", utc(2022, 3, 1), utc(2022, 3, 10))
    lonely = pd.DataFrame({"id": [1], "published": [utc(2022, 3, 2, 12)], "title": ["t"]})
    assert no_events_message(event_study(lonely, bars, "1d", 10, placebo_draws=0)) == (
        "Event study: no events. Of 1 headlines, 0 came before the first bar; 1 events lack 10 bars on both "
        "sides and 0 were dropped for spacing.")
    assert event_study_figure(event_study(lonely, bars, "1d", 10, placebo_draws=0), "UTC").layout.annotations[
        0].text == "No events in this view"


def test_non_positive_prices_and_too_few_bars(ctx):
    view = state(ctx, "?instruments=eur_rub_mkt&range=custom&start=2022-03-01&end=2022-03-31")
    message, figure, _stats, lags, moves, _risk = analysis_view(ctx, view, WINDOW, {"instrument": "eur_rub_mkt"})
    assert message[1].children == ("Event study of EUR/RUB market (Yahoo): closes must be finite and positive "
                                   "(log returns of them are taken).")
    assert figure.layout.annotations[0].text == "No event study: see the note above"
    assert texts(moves)[0][:2] == ["1", "2022-03-02"]      # the other analyses still run (moves off zero left out)
    hourly = {**BRENT, "interval": "1h", "window": 30}
    window = {"start": "2022-03-07T00:00:00+00:00", "end": "2022-03-08T23:59:59+00:00", "interval": "1h"}
    message = analysis_view(ctx, state(ctx, MARCH), window, hourly)[0]
    assert message[1].children == ("Event study: only 48 hourly bars of Brent crude (ICE futures) around this "
                                   "view; it needs at least 61 (2W + 1). Widen the range or lower W, or use "
                                   "daily bars.")
    nothing = analysis_view(ctx, state(ctx, "?instruments="), WINDOW, BRENT)
    assert nothing[0] == "Choose an instrument in the filters to analyse it."


def test_downloads_are_safe_csv(ctx):
    expected = expected_study(ctx)
    sent = analysis_download(ctx, "events", state(ctx, MARCH + "&tz=Europe/Moscow"), WINDOW, BRENT)
    assert sent["filename"] == "newsmarks-analysis-events-brent-2022-03-01-to-2022-03-31.csv"
    rows = csv_rows(sent)
    assert rows[0] == ["event_time", "bar_time", "bar_known", "bar_close", "first_headline_id",
                       "first_headline_title", "n_headlines", *[f"k{k:+d}" for k in range(-10, 11)]]
    event = expected.events.iloc[0]
    # the close of 1 March, known at the end of its UTC day (the bars were read without a close rule):
    # the last close known at 15:00 Moscow time on 2 March
    assert rows[1] == ["2022-03-02T15:00:00+03:00", "2022-03-01T03:00:00+03:00", "2022-03-02T03:00:00+03:00",
                       format_number(event["bar_close"]),
                       str(event["first_headline_id"]), "'" + FORMULA, "1",
                       *[format_number(event[f"k{k:+d}"]) for k in range(-10, 11)]]
    assert len(rows) == 1 + expected.n_events
    stats = csv_rows(analysis_download(ctx, "stats", state(ctx, MARCH), WINDOW, BRENT))
    rows = stats_table_rows(expected, expected_intensity(ctx), expected_means(ctx))
    assert stats == [["statistic", "value"], *[[r["statistic"], format_number(r["value"])] for r in rows]]
    assert stats[10] == ["Mean move at +10 bars, %", repr(expected.move_w * 100)] and stats[10][1].startswith("-")
    lags = csv_rows(analysis_download(ctx, "lags", state(ctx, MARCH), WINDOW, BRENT))
    intensity = expected_intensity(ctx)
    assert lags[0] == ["lag", "pairs", "r", "band"] and len(lags) == 22
    assert lags[1] == ["-10", str(intensity.lags["pairs"].iloc[0]), repr(float(intensity.lags["r"].iloc[0])),
                       repr(float(intensity.band))]
    moves = csv_rows(analysis_download(ctx, "moves", state(ctx, MARCH), WINDOW, BRENT))
    assert moves[1][:6] == ["1", "2022-03-09T00:00:00+00:00", "133.18", "116.58",
                            repr(float(np.log(116.58 / 133.18))), repr((116.58 - 133.18) / 133.18 * 100)]
    assert moves[1][10:12] == ["hand", SCRIPT]
    risk = csv_rows(analysis_download(ctx, "risk", state(ctx, MARCH), WINDOW, BRENT))
    index = daily_risk_index(march_headlines(ctx))
    assert risk[0] == ["day_utc", "headlines", "share_any", "share_threats", "share_acts"]
    assert risk[1] == ["2022-03-02", "1", *[format_number(index[c].iloc[0]) for c in
                                            ("share_any", "share_threats", "share_acts")]]
    broken = state(ctx, "?instruments=eur_rub_mkt&range=1M")
    assert analysis_download(ctx, "events", broken, WINDOW, {"instrument": "eur_rub_mkt"}) is no_update


def test_frame_csv_writes_numbers_times_and_neutral_text():
    frame = pd.DataFrame({"t": pd.to_datetime(["2022-03-01 10:00", None], utc=True),
                          "n": pd.array([-3, None], dtype="Int64"), "x": [-0.5, float("nan")],
                          "=s": ["@SUM(A1)", None]})
    assert frame_csv(frame, "Europe/Moscow").decode("utf-8") == (
        "\ufefft,n,x,'=s\n2022-03-01T13:00:00+03:00,-3,-0.5,'@SUM(A1)\n,,,\n")


# -- one analysis, two faces: `newsmarks study` / `newsmarks intensity` and the Analysis tab --------------

CLI_VIEWS = [   # (URL query of the view, --start, --end, CLI options)
    ("?instruments=brent&q=oil", "2022-03-01", "2022-03-31", ["--window", "5"]),
    ("?instruments=brent&topics=Energy", "2022-01-01", "2022-12-31", ["--window", "3", "--spacing", "2"]),
    ("?instruments=brent&sources=import:bbc-business-rss-2022-2024.csv", "2022-03-01", "2024-11-30",
     ["--window", "10"]),
    ("?instruments=brent", "2022-03-01", "2022-03-31", ["--window", "10"]),
]


def cli(ctx, tmp_path, *args: str):
    from click.testing import CliRunner

    from dashboard.commands import newsmarks_cli

    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\n[store]\nurl = "{ctx.config.store.url}"\n', encoding="utf-8")
    result = CliRunner().invoke(newsmarks_cli(), ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def cli_args(view: str) -> list[str]:
    """The CLI options of a view's filters."""
    parsed = parse_state(view, ["brent"], ["brent"])
    return ([*(["--query", parsed.query] if parsed.query else [])]
            + [a for t in parsed.topics for a in ("--topic", t)] + [a for s in parsed.sources for a in ("--source", s)])


@pytest.mark.parametrize("view, first, last, options", CLI_VIEWS)
def test_study_on_the_command_line_gives_the_analysis_tabs_figures(ctx, tmp_path, view, first, last, options):
    window = {"start": f"{first}T00:00:00+00:00", "end": f"{last}T23:59:59+00:00", "interval": "1d"}
    controls = {**BRENT, **{k.lstrip("-"): int(v) for k, v in zip(options[::2], options[1::2], strict=True)}}
    data = state(ctx, view)
    tab = {row[0]: row[1] for row in csv_rows(analysis_download(ctx, "stats", data, window, controls))[1:]}
    tab_events = csv_rows(analysis_download(ctx, "events", data, window, controls))
    out = tmp_path / "events.csv"
    printed = cli(ctx, tmp_path, "study", "--instrument", "brent", *cli_args(view), "--start", first, "--end", last,
                  *options, "-o", str(out)).stdout.splitlines()
    w = controls["window"]
    assert printed[1].startswith(f"headlines: {tab['Headlines']} ({tab['Headlines before the first bar']} before "
                                 f"the data); events: {tab['Events used']} ")
    assert printed[2] == (f"mean move at +1 bar:  {float(tab['Mean move at +1 bar, %']) / 100:.6f} (log return)  "
                          f"t = {float(tab['t at +1']):.3f}  p = {float(tab['p at +1']):.4f}")
    assert printed[5].endswith(f"p = {float(tab[f'Placebo p of the mean |move at +{w}|']):.4f} for the mean "
                               f"absolute move at +{w}")
    # the events, move by move: the same floats written the same way
    cli_events = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    moves = [f"k{k:+d}" for k in range(-w, w + 1)]
    assert [[row[cli_events[0].index(c)] for c in moves] for row in cli_events[1:]] == \
        [[row[tab_events[0].index(c)] for c in moves] for row in tab_events[1:]]
    assert int(tab["Events used"]) == len(cli_events) - 1 > 0


@pytest.mark.parametrize("view, first, last, news", [
    ("?instruments=brent&q=oil", "2022-03-01", "2022-03-31", "count"),
    ("?instruments=brent", "2022-01-01", "2022-12-31", "risk"),
])
def test_intensity_on_the_command_line_gives_the_analysis_tabs_figures(ctx, tmp_path, view, first, last, news):
    window = {"start": f"{first}T00:00:00+00:00", "end": f"{last}T23:59:59+00:00", "interval": "1d"}
    controls = {**BRENT, "lag": 5, "news": news}
    tab_lags = csv_rows(analysis_download(ctx, "lags", state(ctx, view), window, controls))
    out = tmp_path / "lags.csv"
    printed = cli(ctx, tmp_path, "intensity", "--instrument", "brent", *cli_args(view), "--start", first, "--end",
                  last, "--lag", "5", "--news", news, "-o", str(out)).stdout.splitlines()
    assert list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))) == tab_lags
    stats = {row[0]: row[1] for row in csv_rows(analysis_download(ctx, "stats", state(ctx, view), window, controls))}
    pearson = next(v for k, v in stats.items() if k.startswith("Pearson r"))
    assert printed[2].startswith(f"Pearson r = {float(pearson):.4f}")
