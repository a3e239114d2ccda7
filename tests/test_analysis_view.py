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
from scipy.stats import norm

from dashboard import create_app, ids
from dashboard.analysis.event_report import description, stat_rows
from dashboard.analysis.event_study import event_study
from dashboard.analysis.inputs import load_inputs, no_events_message, run_risk_index
from dashboard.analysis.intensity import intensity_vs_volatility
from dashboard.analysis.largest_moves import RANKING_RULE, RESULT_COLUMNS, largest_moves
from dashboard.analysis.move_windows import window_headline_ids
from dashboard.analysis.settings import Settings, settings_from
from dashboard.analysis_view.callbacks import (
    analysis_download,
    analysis_outputs,
    analysis_view,
    instrument_choice,
    show_on_chart,
)
from dashboard.analysis_view.figures import event_study_figure, lag_figure, risk_figure
from dashboard.analysis_view.tables import chart_link, frame_csv, risk_frame, stats_table_rows
from dashboard.context import DashboardContext
from dashboard.filters.callbacks import sync
from dashboard.state import parse_state
from ingest.config import Config
from ingest.csvio import read_headlines_csv, read_prices_csv
from ingest.csvio.csv_safety import format_number, neutralise_cell
from ingest.headline_tags.risk_index import daily_risk_index
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store import Store
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
    config = Config.model_validate({"store": {"url": module_store_url}, "feeds": [], "pages": []})
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
    return sync(None, search, {}, ctx.instrument_ids, ctx.default_instruments)[0]


def view_filter(ctx, search: str):
    return parse_state(search, ctx.instrument_ids, ctx.default_instruments).headline_filter(START, END)


def march_headlines(ctx, start=START) -> pd.DataFrame:
    return ctx.store.headlines(start=start, end=END, stories_only=True)


def march_bars(ctx) -> pd.DataFrame:
    """Brent's March bars and the last bar before March (Monday 2022-02-28)."""
    return ctx.store.bars(["brent"], "1d", utc(2022, 2, 28), END)


def expected_moves(ctx) -> pd.DataFrame:
    """March's ten largest Brent moves with the stories before them, from the store's reads: the
    first copies from a day before March, and every copy of the stories in the moves' windows."""
    bars, headlines = march_bars(ctx), march_headlines(ctx, START - timedelta(days=1))
    copies = ctx.store.story_copies(window_headline_ids(bars, headlines, "1d", 10))
    return largest_moves(bars, headlines, "1d", 10, copies=copies)


def expected_study(ctx, model: str = "mean"):
    """The tab's default event study of March: the constant-mean model over 120 bars, overlapping
    events merged into episodes, the placebo's calendar March. Bars from 2W daily bars, ten days
    for weekends and holidays and 1.5 days for each of the estimation window's 121 bars before the
    window (none for the raw model), 2W bars and ten days after it."""
    after = timedelta(days=2 * 10 + 10)
    before = after + (timedelta(days=1.5 * 121) if model != "raw" else timedelta(0))
    bars = ctx.store.bars(["brent"], "1d", START - before, END + after)
    return event_study(march_headlines(ctx), bars, "1d", 10, 0, 200, 0, model=model, estimation=120,
                       overlap="merge", period=(START, END))


def expected_means(ctx) -> pd.DataFrame:
    """The mean move after March's headlines per calendar horizon, one headline at a time (an
    independent reading of dashboard.analysis.moves): from the close of the last bar known by the headline
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


def march_coverage(ctx) -> pd.Series:
    """All stored headlines (every source, copies too) per UTC day of March 2022, counted from the
    headlines themselves (the tab reads the store's day counts)."""
    days = ctx.store.headlines(start=START, end=END)["published"].dt.floor("D")
    return days.value_counts().sort_index()


def expected_intensity(ctx, lag: int = 10, **options):
    """Intensity of March's view as the tab runs it: the window's whole days of coverage and its
    span as the span the headlines were read over."""
    return intensity_vs_volatility(march_headlines(ctx), march_bars(ctx), "1d", lag, interval="1d",
                                   coverage=march_coverage(ctx), since=START, until=END, **options)


def texts(component) -> list[str]:
    """The children of every cell (Td) of an html.Table's body, row by row."""
    return [[cell.children for cell in row.children] for row in component.children[1].children]


def csv_rows(sent: dict) -> list[list[str]]:
    content = base64.b64decode(sent["content"]).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_layout_has_the_two_tabs_and_keeps_the_chart_ids(tmp_path):
    config = Config.model_validate({"store": {"url": f"sqlite:///{tmp_path / 'lazy.db'}"}, "feeds": [], "pages": []})
    app = create_app(config)
    page = app.layout()
    tabs = [c for c in page._traverse() if getattr(c, "id", None) == ids.ANALYSIS_TABS][0]
    assert [t.tab_id for t in tabs.children] == [ids.ANALYSIS_TAB_CHART, ids.ANALYSIS_TAB_ANALYSIS]
    assert [t.label for t in tabs.children] == ["Chart", "Analysis"] and tabs.active_tab == ids.ANALYSIS_TAB_CHART
    chart_ids = {getattr(c, "id", None) for c in tabs.children[0]._traverse()}
    assert {ids.CHART, ids.CHART_NOTE, ids.TABLE_CONTAINER, ids.DOWNLOAD_JOINED_BUTTON} <= chart_ids
    assert ids.TABLE not in chart_ids   # built once the chart has drawn its window: its rows read once
    analysis_ids = {getattr(c, "id", None) for c in tabs.children[1]._traverse()}
    assert {ids.ANALYSIS_EVENT_CHART, ids.ANALYSIS_STATS, ids.ANALYSIS_LAG_CHART, ids.ANALYSIS_MOVES,
            ids.ANALYSIS_RISK_CHART, ids.ANALYSIS_DOWNLOAD, ids.ANALYSIS_TOP_N} <= analysis_ids
    assert app.server.test_client().get("/").status_code == 200
    assert not (tmp_path / "lazy.db").exists()


def test_controls_default_and_clamp():
    assert settings_from(None) == Settings(instrument=None, interval="1d", window=10, spacing=0, lag=10, n=10)
    assert settings_from({"instrument": "brent", "interval": "1h", "window": 0, "spacing": "x", "lag": 500,
                          "n": 7.9}) == Settings("brent", "1h", 1, 0, 60, 7)
    assert settings_from({"interval": "5m", "window": None, "n": float("inf")}) == Settings(None)
    # the event study: the constant-mean model over 120 bars, overlapping events merged, by default
    default = settings_from(None)
    assert (default.model, default.estimation, default.overlap, default.benchmark) == ("mean", 120, "merge", None)
    assert settings_from({"model": "market", "benchmark": "usd_rub", "estimation": 5, "overlap": "spacing"}) == \
        Settings(None, model="market", benchmark="usd_rub", estimation=10, overlap="spacing")
    assert settings_from({"model": "capm", "benchmark": "", "estimation": "x", "overlap": "drop"}) == Settings(None)


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
    assert analysis_outputs(idle, ids.ANALYSIS_TAB_CHART, state(ctx, MARCH), WINDOW, BRENT) == (no_update,) * 7
    assert analysis_outputs(idle, None, state(ctx, MARCH), WINDOW, BRENT) == (no_update,) * 7
    shown = analysis_outputs(ctx, ids.ANALYSIS_TAB_ANALYSIS, state(ctx, MARCH), WINDOW, BRENT)
    assert shown[0][0].children.startswith(LABEL)


def test_event_study_path_bands_and_statistics(ctx):
    message, figure, stats, _lags, _moves, _risk, _hindsight = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)
    expected = expected_study(ctx)
    headlines = ctx.store.count_headlines(view_filter(ctx, MARCH))
    assert expected.n_headlines == headlines == 93           # 91 BBC headlines in March 2022 and 2 by hand
    means = expected_means(ctx)
    assert [m.children for m in message] == [
        f"{LABEL}, daily bars; {headlines} headlines in view; times in UTC.",
        description(expected),
        *[f"Mean move {m.horizon} after the headlines left out {m.empty:,} without a move ({m.why})."
          for m in means.itertuples()]]
    assert message[1].children.startswith("Event study: model constant mean of each event's 120 one-bar log "
                                          "returns ending 11 bars before the event bar (MacKinlay 1997); overlap: ")
    assert means["used"].tolist() == [7, 85] and means["empty"].tolist() == [86, 8]
    k = list(range(-10, 11))
    placebo, band, mean = figure.data
    assert [t.meta["kind"] for t in figure.data] == ["placebo_band", "band", "mean"]
    assert list(mean.x) == k and list(mean.y) == [float(v) for v in expected.mean_path * 100]
    assert list(band.x) == k + k[::-1] and band.fill == "toself"
    assert list(band.y) == [float(v) for v in np.concatenate([expected.band_high, expected.band_low[::-1]]) * 100]
    assert list(placebo.y) == [float(v) for v in
                               np.concatenate([expected.placebo_band_high, expected.placebo_band_low[::-1]]) * 100]
    # March's 21 events (on as many bars) in 2 episodes of overlapping ±10-bar windows
    assert (expected.n_events, expected.n_merged) == (2, 19)
    assert expected.events["first_headline_title"].iloc[0] == FORMULA
    assert expected.events["n_headlines"].sum() == 93 and expected.events["events_in_episode"].sum() == 21
    assert figure.layout.title.text == (f"{LABEL}<br><sup>2 episodes, 2022-03-02 12:00 to 2022-03-31 06:38 "
                                        f"(UTC); constant-mean model</sup>")
    rows = stats_table_rows(expected, expected_intensity(ctx), means)
    assert rows[:3] == [{"statistic": "Headlines", "value": 93},
                        {"statistic": "Headlines before the first bar", "value": 0},
                        {"statistic": "Events used (episodes)", "value": 2}]
    assert rows[4] == {"statistic": "Events left out: a flagged bar in the window", "value": 0}
    shown = {row["statistic"]: row["value"] for row in rows}
    assert shown["Events left out: fewer than 120 bars of history"] == 0
    assert shown["CAAR at +10 bars, %"] == expected.move_w * 100
    assert shown["BMP t at +10"] == expected.test("bmp", 10)[0] and shown["BMP t p at +1"] == expected.test("bmp", 1)[1]
    assert shown["Placebo p of the mean |CAR at +10|"] == expected.placebo_p
    assert shown["Placebo p of the CAAR at +10 (two-sided)"] == expected.placebo_p_caar
    n = len(stat_rows(expected))                             # then intensity's rows
    assert rows[n] == {"statistic": "Trading periods (1d) with a return", "value": 23}   # March 2022's trading days
    # the store has no headline at all on 1, 3, 5, 6, 19 and 20 March: the buckets of 1 and 3 March
    # and the Mondays 7 and 21 March (their periods hold the weekend) have no news value, not 0;
    # the weekends of 12-13 and 26-27 March had 3 and 5 headlines, counted on the Mondays after
    assert rows[n + 1] == {"statistic": "Buckets (1d) used: a return and a news value", "value": 19}
    assert rows[n + 3:n + 6] == [
        {"statistic": "Buckets left out: a day of the headline period without collection", "value": 4},
        {"statistic": "Buckets left out: headline period not wholly in the view", "value": 0},
        {"statistic": "Headlines from closed-market periods (counted in the next trading period)", "value": 8}]
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
    _message, _figure, stats, lags, _moves, _risk, _hindsight = analysis_view(ctx, state(ctx, MARCH), WINDOW,
                                                                  {**BRENT, "lag": 3, "news": "risk"})
    expected = expected_intensity(ctx, 3, news="risk")
    assert list(lags.data[0].y) == expected.lags["r"].tolist()
    assert "r of the risk share of headlines per 1d" in lags.layout.title.text
    shown = dict((row[0], row[1]) for row in texts(stats))
    assert shown["Raw Pearson r (no controls), risk share vs |return|"] == f"{expected.pearson_r:.4g}"
    assert shown["HAC t (Newey–West, 2 lags)"] == f"{expected.regression.t:.4g}"
    assert shown["Buckets (1d) used: a return and a risk share"] == f"{expected.n:,}"
    # days without a headline have no share; the 4 buckets without collection have none either
    assert expected.n == expected.aligned["risk_share"].notna().sum() == 19
    assert settings_from({"news": "tone"}).news == "count"


def test_lag_plot_is_the_cross_correlation_with_a_band_per_lag(ctx):
    figure = analysis_view(ctx, state(ctx, MARCH), WINDOW, {**BRENT, "lag": 5})[3]
    expected = expected_intensity(ctx, 5)
    bars, high, family_high, low, family_low = figure.data
    assert [t.meta["kind"] for t in figure.data] == ["r", "band_high", "family_high", "band_low", "family_low"]
    assert list(bars.x) == list(range(-5, 6))
    assert list(bars.y) == expected.lags["r"].tolist()
    assert [row[0] for row in bars.customdata] == expected.lags["pairs"].tolist()
    assert expected.n == 19 and expected.band == 1.96 / np.sqrt(19)
    pairs = expected.lags["pairs"].to_numpy()
    # each lag's own n: the rows t with a news value whose row t + lag exists (every row has a return)
    known = expected.aligned["covered"].to_numpy()
    assert pairs.tolist() == [sum(1 for t in range(23) if known[t] and 0 <= t + k < 23) for k in range(-5, 6)] \
        == [17, 17, 18, 18, 19, 19, 18, 17, 16, 15, 14]
    assert list(high.x) == list(range(-5, 6)) and high.line.shape == "hvh"
    assert list(high.y) == (1.96 / np.sqrt(pairs)).tolist() and list(low.y) == (-1.96 / np.sqrt(pairs)).tolist()
    z = norm.isf((1 - 0.95 ** (1 / 11)) / 2)                          # Šidák over the 11 lags
    assert list(family_high.y) == pytest.approx((z / np.sqrt(pairs)).tolist(), rel=1e-12)
    assert list(family_low.y) == pytest.approx((-z / np.sqrt(pairs)).tolist(), rel=1e-12)
    flat = intensity_vs_volatility(march_headlines(ctx).iloc[:0], march_bars(ctx), "1d", 2, interval="1d")
    assert list(lag_figure(flat).data[0].y) == [None] * 5        # no headlines: r undefined, gaps
    assert len(lag_figure(flat).data) == 1                       # and no band: no lag was tested
    # the tab's calendar controls: closed-market headlines left out, pre-whitened lags
    options = {**BRENT, "lag": 5, "closed": "exclude", "prewhiten": ["prewhiten"]}
    figure = analysis_view(ctx, state(ctx, MARCH), WINDOW, options)[3]
    whitened = expected_intensity(ctx, 5, closed="exclude", prewhiten=True)
    assert whitened.prewhitened and whitened.closed == "exclude"
    assert list(figure.data[0].y) == whitened.lags["r"].tolist()
    assert "pre-whitened (AR" in figure.layout.title.text


def test_largest_moves_table_links_to_the_chart(ctx):
    moves = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)[4]
    expected = expected_moves(ctx)
    assert expected["rank"].nunique() == 10
    first = expected.iloc[0]
    assert (first["ts"], first["pct"]) == (pd.Timestamp("2022-03-09", tz="UTC"), (116.58 - 133.18) / 133.18 * 100)
    rows = texts(moves)
    assert rows[0][:8] == ["1", "2022-03-09", f"{first['pct']:+.2f}", "116.58",
                           first["published"].strftime("%Y-%m-%d %H:%M"), first["source"], first["title"],
                           first["reason"]]
    head = moves.children[0].children.children
    assert [cell.children for cell in head] == ["#", "Bar (UTC)", "Move %", "Close", "Headline time", "Sources",
                                                "Headline", "Why it ranks", ""]
    assert head[7].title == RANKING_RULE and moves.children[2].children.children.children == RANKING_RULE
    day = expected[expected["rank"] == 1]
    assert [r[7] for r in rows[:3]] == day["reason"].tolist()[:3]
    assert rows[3] == ["", f"… and {len(day) - 3:,} more stories (in the CSV)"]
    # titles are plain strings: React shows them as text (the script headline is in this window)
    assert SCRIPT in day["title"].tolist() and all(isinstance(r[6], str) for r in rows if len(r) > 6)
    link = rows[0][8]
    assert isinstance(link, html.Span) and link.id == {"type": ids.ANALYSIS_SHOW_ON_CHART, "index": 1}
    assert isinstance(link.children, dcc.Link)
    assert link.children.href == "?instruments=brent,usd_rub_mkt&range=custom&start=2022-03-06&end=2022-03-12"
    spans = [c for c in moves._traverse() if isinstance(c, html.Span)]
    assert [s.id["index"] for s in spans] == list(range(1, 11))
    assert [r[6] for r in rows[:3]] == expected[expected["rank"] == 1]["title"].tolist()[:3]
    assert rows[1][:4] == ["", "", "", ""]                 # the move's cells only on its first row


def test_largest_moves_csv_has_every_story_with_its_ranking(ctx):
    moves = csv_rows(analysis_download(ctx, "moves", state(ctx, MARCH), WINDOW, BRENT))
    expected = expected_moves(ctx)
    assert moves[0] == list(RESULT_COLUMNS) and len(moves) == 1 + len(expected)
    assert moves[1][:6] == ["1", "2022-03-09T00:00:00+00:00", "133.18", "116.58",
                            repr(float(np.log(116.58 / 133.18))), repr((116.58 - 133.18) / 133.18 * 100)]
    for row, (_, story) in zip(moves[1:], expected.iterrows(), strict=True):
        assert row[8:13] == ([str(story["headline_rank"]), str(story["headline_id"]), story["published"].isoformat(),
                              story["source"], neutralise_cell(story["title"])]
                             if pd.notna(story["headline_id"]) else [""] * 5)
        assert row[18:] == ([str(story["coverage"]), story["sources"], format_number(story["hours_before"]),
                             format_number(story["closeness"]), story["reason"]]
                            if pd.notna(story["headline_id"]) else ["", "", "", "", ""])
    titles = [row[12] for row in moves[1:]]
    assert titles.count(SCRIPT) == 1 and titles.count("'" + FORMULA) == 1     # a formula is neutralised


def test_largest_moves_count_every_source_that_carried_a_story(store_url):
    """A story from three feeds is one row of the largest moves with its three sources — also when
    the view shows one feed only; a copy that came out after the move's close is not counted."""
    config = Config.model_validate({"store": {"url": store_url}, "feeds": [], "pages": []})
    store = Store.open(store_url)
    try:
        store.sync_config(config)
        days = pd.date_range("2022-03-01", "2022-03-04", freq="D", tz="UTC")
        store.write_bars("brent", "1d", "import", close_bars(days, [100.0, 110.0, 99.0, 99.5]), FETCHED)
        strike = "Missile strike hits Black Sea oil terminal"

        def item(source: str, title: str, *when: int) -> Headline:
            return Headline(source=source, guid=f"{source}-{when}", title=title, published=utc(*when),
                            fetched=FETCHED)

        store.write_headlines([item("BBC World", strike, 2022, 3, 3, 6), item("DW", strike, 2022, 3, 3, 7),
                               item("France 24", strike.upper() + "!", 2022, 3, 3, 9),
                               item("TASS", strike, 2022, 3, 4, 2),     # 03-03's close was known at 03-04 00:00
                               item("wire", "Abalone fishing ban extended", 2022, 3, 3, 23, 30)],
                              tag=headline_tagger(config.topics))
        ctx = DashboardContext(config, store)
        window = {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-04T23:59:59+00:00", "interval": "1d"}
        for view in ("?instruments=brent&range=custom&start=2022-03-01&end=2022-03-04",
                     "?instruments=brent&sources=BBC%20World&range=custom&start=2022-03-01&end=2022-03-04"):
            rows = texts(analysis_view(ctx, state(ctx, view), window, {"instrument": "brent", "n": 1})[4])
            assert rows[0][:7] == ["1", "2022-03-03", f"{(99.0 - 110.0) / 110.0 * 100:+.2f}", "99", "2022-03-03 06:00",
                                   "BBC World, DW, France 24", strike]
            assert rows[0][7].endswith("3 sources · 18.0 h before")
            assert [r[6] for r in rows[1:]] == (["Abalone fishing ban extended"] if "sources" not in view else [])
        sent = csv_rows(analysis_download(ctx, "moves", state(ctx, view), window, {"instrument": "brent", "n": 1}))
        record = dict(zip(sent[0], sent[1], strict=True))
        assert (record["title"], record["coverage"], record["sources"]) == (strike, "3", "BBC World;DW;France 24")
        assert (record["hours_before"], record["closeness"]) == ("18", repr(float(np.exp(-3.0))))
    finally:
        store.close()


def test_chart_link_keeps_the_view_filters(ctx):
    view = parse_state("?instruments=brent&q=oil&topics=OPEC&tz=Europe/Moscow&range=1Y", ctx.instrument_ids,
                       ctx.default_instruments)
    assert chart_link(view, pd.Timestamp("2022-03-01 13:00", tz="UTC")) == (
        "?instruments=brent&q=oil&topics=OPEC&range=custom&start=2022-02-26&end=2022-03-04&tz=Europe/Moscow")
    link = {"index": 1, "type": ids.ANALYSIS_SHOW_ON_CHART}
    assert show_on_chart(link, [None, 1]) == ids.ANALYSIS_TAB_CHART
    assert show_on_chart(link, [None, None]) is no_update        # the links were redrawn
    assert show_on_chart(None, []) is no_update


def test_risk_index_series(ctx):
    # BBC Business publishes 1 to 12 headlines a day: too few for an index on any day of March
    figure = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)[5]
    assert figure.layout.annotations[0].text == ("No day in this view has 20 headlines from sources with ≥5 each: "
                                                 "no risk index")
    expected = daily_risk_index(march_headlines(ctx))
    assert int(expected["headlines"].sum()) == 93 and expected["index_any"].isna().all()
    # with enough headlines: one line per component, the band around the main one, gaps where too few
    index = daily_risk_index(pd.DataFrame({
        "published": pd.to_datetime(["2022-03-01 10:00", "2022-03-02 10:00", "2022-03-03 10:00"], utc=True).repeat(
            [20, 20, 4]),
        "source": "wire",
        "gpr": ["escalation_of_war"] * 2 + [""] * 18 + ["war_threats"] * 6 + [""] * 14 + ["terror_acts"] * 4}))
    figure = risk_figure(index)
    assert [t.meta["kind"] for t in figure.data] == ["index_any_band", "index_any", "index_threats", "index_acts"]
    assert list(figure.data[0].x) == ["2022-03-01", "2022-03-02", "2022-03-02", "2022-03-01"]
    assert list(figure.data[0].y) == [*index["index_any_high"].iloc[:2], *index["index_any_low"].iloc[1::-1]]
    for trace in figure.data[1:]:
        assert list(trace.x) == ["2022-03-01", "2022-03-02", "2022-03-03"]
        assert list(trace.y) == [None if np.isnan(v) else float(v) for v in index[trace.meta["kind"]]]
    assert list(figure.data[1].y[:2]) == pytest.approx([50.0, 150.0]) and figure.data[1].y[2] is None  # 10 %, 30 %
    assert figure.data[1].customdata[0] == [20, 20, 1, 10.0, *index[["index_any_low", "index_any_high"]].iloc[0]]
    assert figure.layout.title.text.startswith("Geopolitical risk index (UTC days): 100 = mean of 2022-03-01 … "
                                               "2022-03-02<br>")
    assert "days with <20 such headlines left out (1 of 3 here)" in figure.layout.title.text
    negative = MARCH + "&sentiment=negative"                # every filter of the view applies
    negative_state = parse_state(negative, ctx.instrument_ids, ctx.default_instruments)
    inputs = load_inputs(ctx.store, negative_state.headline_filter(START, END), settings_from(BRENT), LABEL)
    frame = risk_frame(run_risk_index(inputs)[0])
    count = ctx.store.count_headlines(view_filter(ctx, negative))
    assert frame["headlines"].sum() == count and 0 < count < 93


def test_no_events_is_a_message(ctx):
    message, figure, stats, lags, moves, risk, _hindsight = analysis_view(
        ctx, state(ctx, MARCH + "&q=zzyzxnothing"), WINDOW, BRENT)
    assert [m.children for m in message][1:] == [
        "Event study: no headline matches the filters in this view, so there are no events.",
        "Geopolitical risk: no headline in this view."]
    assert figure.layout.annotations[0].text == "No event study: see the note above"
    assert texts(stats)[2] == ["Events used (episodes)", "0"]
    bars = ctx.store.bars(["brent"], "1d", utc(2022, 3, 1), utc(2022, 3, 10))
    lonely = pd.DataFrame({"id": [1], "published": [utc(2022, 3, 2, 12)], "title": ["t"]})
    assert no_events_message(event_study(lonely, bars, "1d", 10, placebo_draws=0)) == (
        "Event study: no events. Of 1 headlines, 0 came before the first bar; events left out: 1 at the data's "
        "edges, 0 with a flagged bar in their window, 0 for spacing.")
    longer = ctx.store.bars(["brent"], "1d", utc(2022, 1, 1), utc(2022, 3, 31))
    assert no_events_message(event_study(lonely, longer, "1d", 10, placebo_draws=0, model="mean", overlap="merge")) == (
        "Event study: no events. Of 1 headlines, 0 came before the first bar; events left out: 0 at the data's "
        "edges, 0 with a flagged bar in their window, 1 without 120 bars of history, 0 with a flagged bar in their "
        "estimation window, 0 with no variation in their estimation window, 0 merged into episodes.")
    assert event_study_figure(event_study(lonely, bars, "1d", 10, placebo_draws=0), "UTC").layout.annotations[
        0].text == "No events in this view"


def test_non_positive_prices_and_too_few_bars(ctx):
    view = state(ctx, "?instruments=eur_rub_mkt&range=custom&start=2022-03-01&end=2022-03-31")
    message, figure, _stats, lags, moves, _risk, hindsight = analysis_view(ctx, view, WINDOW,
                                                                           {"instrument": "eur_rub_mkt"})
    assert hindsight.children[1].children == ("No story scored: no daily returns to measure the moves by in this "
                                              "view (fewer than three daily closes, or a close that is not positive).")
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
    numbers = ["est_alpha", "est_beta", "est_sd", *[f"k{k:+d}" for k in range(-10, 11)],
               *[f"car{k:+d}" for k in range(-10, 11)], *[f"ar{k:+d}" for k in range(-9, 11)]]
    assert rows[0] == ["event_time", "bar_time", "bar_known", "bar_close", "first_headline_id",
                       "first_headline_title", "n_headlines", "events_in_episode", *numbers]
    event = expected.events.iloc[0]
    # the close of 1 March, known at the end of its UTC day (the bars were read without a close rule):
    # the last close known at 15:00 Moscow time on 2 March
    assert rows[1] == ["2022-03-02T15:00:00+03:00", "2022-03-01T03:00:00+03:00", "2022-03-02T03:00:00+03:00",
                       format_number(event["bar_close"]),
                       str(event["first_headline_id"]), "'" + FORMULA, str(event["n_headlines"]),
                       str(event["events_in_episode"]), *[format_number(event[c]) for c in numbers]]
    assert rows[1][numbers.index("est_beta") + 8] == ""               # no slope in the constant-mean model
    assert len(rows) == 1 + expected.n_events
    stats = csv_rows(analysis_download(ctx, "stats", state(ctx, MARCH), WINDOW, BRENT))
    rows = stats_table_rows(expected, expected_intensity(ctx), expected_means(ctx))
    assert stats == [["statistic", "value"], *[[r["statistic"], format_number(r["value"])] for r in rows]]
    assert ["CAAR at +10 bars, %", repr(expected.move_w * 100)] in stats
    lags = csv_rows(analysis_download(ctx, "lags", state(ctx, MARCH), WINDOW, BRENT))
    intensity = expected_intensity(ctx)
    assert lags[0] == ["lag", "pairs", "r", "band", "family_band"] and len(lags) == 22
    assert lags[1:] == [[str(row.lag), str(row.pairs), format_number(row.r), format_number(row.band),
                         format_number(row.family_band)] for row in intensity.lags.itertuples()]
    assert lags[1][3] == repr(1.96 / float(np.sqrt(intensity.lags["pairs"].iloc[0])))   # the lag's own n
    moves = csv_rows(analysis_download(ctx, "moves", state(ctx, MARCH), WINDOW, BRENT))
    assert moves[1][:6] == ["1", "2022-03-09T00:00:00+00:00", "133.18", "116.58",
                            repr(float(np.log(116.58 / 133.18))), repr((116.58 - 133.18) / 133.18 * 100)]
    risk = csv_rows(analysis_download(ctx, "risk", state(ctx, MARCH), WINDOW, BRENT))
    index = daily_risk_index(march_headlines(ctx))
    assert risk[0] == ["day_utc", "headlines", "counted", "sources", "share_any", "share_threats", "share_acts",
                       "index_any", "index_any_low", "index_any_high", "index_threats", "index_threats_low",
                       "index_threats_high", "index_acts", "index_acts_low", "index_acts_high"]
    assert risk[1] == ["2022-03-02", "1", "0", "0", *[format_number(index[c].iloc[0]) for c in
                                                      ("share_any", "share_threats", "share_acts")], *[""] * 9]
    assert len(risk) == 1 + len(index)
    broken = state(ctx, "?instruments=eur_rub_mkt&range=1M")
    assert analysis_download(ctx, "events", broken, WINDOW, {"instrument": "eur_rub_mkt"}) is no_update


def test_coverage_and_story_copies_are_read_only_by_the_analyses_that_use_them(ctx, monkeypatch):
    reads: list[str] = []

    def counting(name: str):
        read = getattr(Store, name)

        def counted(self, *args, **kwargs):
            reads.append(name)
            return read(self, *args, **kwargs)
        return counted

    for name in ("headline_counts", "story_copies"):
        monkeypatch.setattr(Store, name, counting(name))
    analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)
    assert sorted(reads) == ["headline_counts", "story_copies"]          # once each for the whole tab
    for kind, wanted in (("events", []), ("stats", ["headline_counts"]), ("lags", ["headline_counts"]),
                         ("moves", ["story_copies"]), ("risk", []), ("hindsight", [])):
        reads.clear()
        assert analysis_download(ctx, kind, state(ctx, MARCH), WINDOW, BRENT) is not no_update
        assert reads == wanted, kind


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
     ["--window", "10", "--model", "raw", "--estimation", "60"]),
    ("?instruments=brent", "2022-03-01", "2022-03-31", ["--window", "10", "--model", "raw", "--spacing", "0"]),
    ("?instruments=brent&q=oil", "2022-01-01", "2022-12-31", ["--window", "2", "--estimation", "30"]),
]


def shown(cell: str, digits: int) -> str:
    """A statistics CSV cell as `newsmarks study` prints it (an empty cell, NaN, as n/a)."""
    return f"{float(cell):.{digits}f}" if cell else "n/a"


def tab_controls(options: list[str]) -> dict:
    """The Analysis tab's controls of `newsmarks study` options."""
    given = dict(zip(options[::2], options[1::2], strict=True))
    controls = {**BRENT, "window": int(given["--window"]), "model": given.get("--model", "mean"),
                "estimation": int(given.get("--estimation", 120))}
    if "--spacing" in given:
        return {**controls, "overlap": "spacing", "spacing": int(given["--spacing"])}
    return {**controls, "overlap": "merge", "spacing": 0}


def cli(ctx, tmp_path, *args: str):
    from click.testing import CliRunner

    from dashboard.commands import newsmarks_cli

    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "{ctx.config.store.url}"\n', encoding="utf-8")
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
    controls = tab_controls(options)
    data = state(ctx, view)
    tab = {row[0]: row[1] for row in csv_rows(analysis_download(ctx, "stats", data, window, controls))[1:]}
    tab_events = csv_rows(analysis_download(ctx, "events", data, window, controls))
    out = tmp_path / "events.csv"
    printed = cli(ctx, tmp_path, "study", "--instrument", "brent", *cli_args(view), "--start", first, "--end", last,
                  *options, "-o", str(out)).stdout.splitlines()
    w, raw = controls["window"], controls["model"] == "raw"
    mean, moved = ("mean move", "move") if raw else ("CAAR", "CAR")
    used = tab["Events used" if controls["overlap"] == "spacing" else "Events used (episodes)"]
    assert printed[1].startswith(f"headlines: {tab['Headlines']} ({tab['Headlines before the first bar']} before "
                                 f"the data); events: {used} (left out: ")
    label = "Mean move" if raw else "CAAR"
    for line, h, bars, pad in ((printed[2], 1, "bar", " "), (printed[3], w, "bars", "")):
        assert line == (f"{mean} at +{h} {bars}: {pad}{float(tab[f'{label} at +{h} {bars}, %']) / 100:.6f} "
                        f"(log return)  t = {float(tab[f't at +{h}']):.3f}  p = {float(tab[f'p at +{h}']):.4f}")
    assert printed[5] == (
        f"placebo ({tab['Placebo draws (calendar shifts)']} shifts of the event calendar within the period's "
        f"{tab['Placebo pool, bars']} usable bars, {used} of them event bars): "
        f"p = {float(tab[f'Placebo p of the {label if not raw else mean} at +{w} (two-sided)']):.4f} for the {mean} "
        f"at +{w} (two-sided); p = {float(tab[f'Placebo p of the mean |{moved} at +{w}|']):.4f} for the mean "
        f"absolute {moved} at +{w}")
    # each test's statistic and p at +1 and +W, as the tab has them
    names = ["Kolari-Pynnönen adjusted t", "calendar-time HAC t"] + ([] if raw else [
        "Patell Z", "BMP t", "Corrado rank", "generalised sign Z"])
    for name in names:
        line = next(text for text in printed if text.startswith(f"  {name} ["))
        for h in sorted({1, w}):
            assert f"h = {h}: {shown(tab[f'{name} at +{h}'], 3)}  p = {shown(tab[f'{name} p at +{h}'], 4)}" in line, \
                (name, line)
    assert all(not text.startswith("  BMP t [") for text in printed) if raw else True
    # the events, move by move, CAR by CAR: the same floats written the same way
    cli_events = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    columns = [f"{prefix}{k:+d}" for prefix in ("k", "car") for k in range(-w, w + 1)] + ["est_alpha", "est_sd"]
    assert [[row[cli_events[0].index(c)] for c in columns] for row in cli_events[1:]] == \
        [[row[tab_events[0].index(c)] for c in columns] for row in tab_events[1:]]
    assert int(used) == len(cli_events) - 1 > 0


@pytest.mark.parametrize("view, first, last, news, calendar", [
    ("?instruments=brent&q=oil", "2022-03-01", "2022-03-31", "count", []),
    ("?instruments=brent", "2022-01-01", "2022-12-31", "risk", []),
    ("?instruments=brent", "2022-01-01", "2022-12-31", "count", ["--closed", "exclude", "--prewhiten"]),
])
def test_intensity_on_the_command_line_gives_the_analysis_tabs_figures(ctx, tmp_path, view, first, last, news,
                                                                       calendar):
    window = {"start": f"{first}T00:00:00+00:00", "end": f"{last}T23:59:59+00:00", "interval": "1d"}
    controls = {**BRENT, "lag": 5, "news": news, "closed": "exclude" if "exclude" in calendar else "next",
                "prewhiten": ["prewhiten"] if "--prewhiten" in calendar else []}
    tab_lags = csv_rows(analysis_download(ctx, "lags", state(ctx, view), window, controls))
    out = tmp_path / "lags.csv"
    ran = cli(ctx, tmp_path, "intensity", "--instrument", "brent", *cli_args(view), "--start", first, "--end",
              last, "--lag", "5", "--news", news, *calendar, "-o", str(out))
    printed = ran.stdout.splitlines()
    assert list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))) == tab_lags
    assert ran.stderr == f"{len(tab_lags) - 1} lags written to {out}\n"
    tab = {row[0]: row[1] for row in csv_rows(analysis_download(ctx, "stats", state(ctx, view), window, controls))}
    value = {k.split(",")[0].split(" (")[0]: v for k, v in tab.items()}   # the labels without their details
    assert printed[1].startswith(f"trading calendar: {tab['Trading periods (1d) with a return']} trading periods "
                                 f"with a return; {int(float(value['Headlines from closed-market periods'])):,} ")
    assert printed[1].endswith(f"(--closed {controls['closed']})")
    used = next(v for k, v in tab.items() if k.startswith("Buckets (1d) used"))
    assert printed[2].startswith(
        f"used: {used} (left out: {tab['Buckets left out: return across a flagged bar']} whose return crosses a "
        f"flagged bar; {tab['Buckets left out: a day of the headline period without collection']} whose headline "
        f"period has a day without collection; {tab['Buckets left out: headline period not wholly in the view']} ")
    hac_t = next(v for k, v in tab.items() if k.startswith("HAC t"))
    assert f"b = {float(value['News coefficient']):.6g}  HAC t = {float(hac_t):.3f}  p = {float(tab['HAC p']):.4f}" \
        in printed[3]
    assert printed[4].startswith(f"partial r given the weekday = {float(value['Partial r given the weekday']):.4f}  "
                                 f"p = {float(tab['Partial p']):.4f}")
    assert printed[5] == (f"raw, no controls: Pearson r = {float(value['Raw Pearson r']):.4f}  "
                          f"p = {float(tab['Raw Pearson p']):.4f}")
    lag_lines = printed[-11:]
    assert [line.split(":")[0].strip() for line in lag_lines] == [f"{k:+d}" for k in range(-5, 6)]
    for line, row in zip(lag_lines, tab_lags[1:], strict=True):
        assert f"({row[1]} pairs; band ±{float(row[3]):.4f}, family ±{float(row[4]):.4f})" in line
    if "--prewhiten" in calendar:
        assert "of the AR(" in printed[7] and int(float(value["Pre-whitening: AR order of the headlines"])) >= 0


def test_the_methods_page_opens_from_the_analysis_tab(tmp_path):
    from dashboard.analysis_view.methods import METHODS_FILE, methods_text

    text = methods_text()
    assert text == METHODS_FILE.read_text(encoding="utf-8") and text.startswith("# Methods")
    for section in ("When each value was known", "The event study", "News intensity", "Largest moves",
                    "Geopolitical risk"):
        assert section in text
    missing = tmp_path / "none.md"
    assert methods_text(missing).startswith("The methods page is not part of this installation")
    app = create_app(Config.model_validate({"store": {"url": f"sqlite:///{tmp_path / 'm.db'}"}}))
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert ids.METHODS_BUTTON in layout and ids.METHODS_PANEL in layout


def test_stories_with_hindsight_against_an_independent_computation(ctx):
    """The Analysis tab's hindsight table for March 2022 and Brent: each story's 1d move from the
    detail panel's function (moves_for_one), the sigma of Brent's daily returns in numpy, the rule
    applied by hand — the table's rows in that order, labelled as hindsight."""
    from dashboard.analysis.moves import moves_for_one
    from dashboard.analysis_view.hindsight import CAPTION, SHOWN

    table = analysis_view(ctx, state(ctx, MARCH), WINDOW, BRENT)[6]
    caption, rows, foot = table.children
    assert caption.children == CAPTION and caption.children.startswith("Hindsight: uses the move that followed")
    bars = ctx.store.bars(["brent"], "1d", utc(2022, 3, 1), utc(2022, 3, 31, 23, 59, 59))
    closes = bars.loc[bars["flag"].isna(), "close"].to_numpy()
    sigma = np.std(np.diff(closes) / closes[:-1] * 100, ddof=1)
    every = ctx.store.headlines(start=utc(2022, 3, 1), end=utc(2022, 3, 31, 23, 59, 59), stories_only=True)
    around = ctx.store.bars(["brent"], None, utc(2022, 2, 20), utc(2022, 4, 10))
    expected = []
    for story in every.itertuples():
        move = next(m["pct"] for m in moves_for_one(story.published, around, day_precision=story.day_precision)
                    if m["instrument_id"] == "brent" and m["horizon"] == "1d")
        if move is None or pd.isna(move):
            continue
        score = int(story.importance) + min(int(abs(move) // sigma), 3)
        expected.append((-score, -story.importance, story.published, story.id, story.title, f"{move:+.2f}", score))
    expected.sort()
    shown = [[cell for cell in row] for row in texts(rows)]
    assert [(r[1], r[4], r[6]) for r in shown] == [(e[4], e[5], str(e[6])) for e in expected[:SHOWN]]
    assert foot.children.startswith(f"σ of {LABEL}'s daily returns in the view: {sigma:.2f} %; {len(expected):,} of")
    # the CSV: every scored story, not only the table's, with the hindsight columns named as such
    sent = analysis_download(ctx, "hindsight", state(ctx, MARCH), WINDOW, BRENT)
    assert sent["filename"] == "newsmarks-analysis-hindsight-brent-2022-03-01-to-2022-03-31.csv"
    rows = csv_rows(sent)
    assert rows[0] == ["published", "title", "source", "kind", "importance_then", "hindsight_move_1d_pct",
                       "hindsight_sigmas", "hindsight", "daily_sigma_pct"]
    # (a title that would run as a formula is neutralised, with a leading quote)
    assert [(r[1], f"{float(r[5]):+.2f}", r[7]) for r in rows[1:]] == [
        ("'" + e[4] if e[4][:1] in "=+-@" else e[4], e[5], str(e[6])) for e in expected]
    assert any(r[1].startswith("'=") for r in rows[1:])
    assert all(float(r[8]) == pytest.approx(sigma, rel=1e-12) for r in rows[1:])
    assert all(float(r[6]) == pytest.approx(abs(float(r[5])) / sigma, rel=1e-12) for r in rows[1:])
