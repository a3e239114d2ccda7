"""dashboard.analysis.event_study: alignment by when each close was known (dashboard.analysis.alignment),
grouping, edges, flagged bars and spacing on hand-made bars with exact values; Bank of Russia
rates over weekends and the New Year holidays; the statistics against scipy.stats; the placebo
(seeded calendar shifts within the bars whose windows are clean) against a slow reference; the
report; real data (Brent, the rouble with its bad ticks, BBC business and
world headlines) checked against an independent one-headline-at-a-time recomputation."""

from __future__ import annotations

import bisect
import math
import re
import statistics
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis.alignment import headline_moments, known_bars
from dashboard.analysis.event_align import group_headlines
from dashboard.analysis.event_frame import move_columns
from dashboard.analysis.event_models import clean_returns, raw_paths
from dashboard.analysis.event_path_stats import path_stats
from dashboard.analysis.event_placebo import shift_placebo
from dashboard.analysis.event_report import events_csv, summary_lines
from dashboard.analysis.event_study import event_study, keep_spaced
from ingest.bar_quality import bad_mask
from ingest.close_rules import cbr_rule, parse_rule
from ingest.csvio.csv_headlines import read_headlines_csv
from ingest.csvio.csv_prices import read_prices_csv
from tests.conftest import SHARED_DATA

# Ten daily bars, Monday 2024-01-01 .. Wednesday 01-10, each known at the next midnight UTC (the
# end of its UTC day).
CLOSES = [100.0, 102.0, 101.0, 112.0, 111.0, 114.0, 116.0, 113.0, 117.0, 120.0]
HEADLINES = [  # (id, published, title) -> the bar it belongs to
    (11, "2024-01-04T09:00:00Z", "a"),        # bar 2 (01-03, closed 01-04 00:00)
    (12, "2024-01-05T00:00:00Z", "b"),        # exactly at bar 3's close: bar 3
    (13, "2024-01-04T23:59:59Z", "c"),        # bar 2 again: one event with 11 (11 is earlier)
    (14, "2024-01-02T12:00:00Z", "d"),        # bar 0: no 2 bars before it -> edge
    (15, "2024-01-01T05:00:00Z", "e"),        # before the first close was known
    (16, "2024-01-08T10:00:00Z", "f"),        # bar 6
    (17, "2024-01-10T10:00:00Z", "g"),        # bar 8: no 2 bars after it -> edge
    (18, "2024-02-01T00:00:00Z", "h"),        # after the data: bar 9 -> edge
]


def daily_bars(closes: list[float], start: str = "2024-01-01", unit: str = "s") -> pd.DataFrame:
    """Daily bars every day from `start`, each known at the end of its UTC day."""
    ts = pd.Series(pd.date_range(start, periods=len(closes), freq="D", tz="UTC")).dt.as_unit(unit)
    return pd.DataFrame({"instrument_id": "brent", "interval": "1d", "ts": ts, "known": ts + pd.Timedelta(days=1),
                         "close": closes})


def moments(rows: list[tuple[int, str, str]]) -> np.ndarray:
    return headline_moments(headline_frame(rows))


def headline_frame(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "published", "title"])
    frame["published"] = pd.to_datetime(frame["published"], utc=True, format="ISO8601").dt.as_unit("s")
    return frame


def log_move(i: int, k: int) -> float:
    return math.log(CLOSES[i + k] / CLOSES[i])


def used_events(result, headlines: pd.DataFrame, bars: pd.DataFrame) -> tuple[list[int], list[int], list[int]]:
    """(bar index among known_bars(bars), position in `headlines` of the first headline, headlines)
    of each event `event_study` used."""
    stamps = known_bars(bars).ts.tolist()
    ids = headlines["id"].tolist()
    return ([stamps.index(pd.Timestamp(t).value) for t in result.events["bar_time"]],
            [ids.index(i) for i in result.events["first_headline_id"]], result.events["n_headlines"].tolist())


def study(rows, bars: pd.DataFrame, **kwargs):
    """event_study of the headlines `rows` on `bars`, no model, no placebo."""
    return event_study(headline_frame(rows), bars, "1d", placebo_draws=0, **kwargs)


# -- alignment, grouping, edges, spacing -------------------------------------------------------

def test_alignment_grouping_and_edges_on_hand_made_bars():
    bars = daily_bars(CLOSES)
    result = study(HEADLINES, bars, window=2)
    bar, first, size = used_events(result, headline_frame(HEADLINES), bars)
    assert bar == [2, 3, 6]
    assert first == [0, 1, 5]                               # positions of headlines 11, 12, 16
    assert size == [2, 1, 1]
    assert (result.n_headlines_before_data, result.n_dropped_edges, result.n_dropped_spacing) == (1, 3, 0)
    assert result.n_dropped_flagged == 0


def test_before_any_event_is_left_out_every_aligned_bar_is_an_event():
    # the grouping event_study starts from: nothing left out yet but the headline before the data
    events = group_headlines(moments(HEADLINES), known_bars(daily_bars(CLOSES)))
    assert events.bar.tolist() == [0, 2, 3, 6, 8, 9]
    assert events.size.tolist() == [1, 2, 1, 1, 1, 1]
    assert events.first.tolist() == [3, 0, 1, 5, 6, 7]
    assert events.before == 1 and events.before + events.size.sum() == len(HEADLINES)


def test_hourly_bars_are_known_at_the_end_of_their_hour():
    ts = pd.Series(pd.date_range("2024-03-04 08:00", periods=5, freq="h", tz="UTC"))
    times = pd.DataFrame({"published": pd.to_datetime(["2024-03-04 10:30:00", "2024-03-04 11:00:00",
                                                       "2024-03-04 08:59:59"], utc=True)})
    bars = pd.DataFrame({"ts": ts, "known": ts + pd.Timedelta(hours=1), "close": 1.0})
    events = group_headlines(headline_moments(times), known_bars(bars))
    # 10:30 -> the 09:00 bar (known 10:00); 11:00 -> the 10:00 bar; 08:59:59 -> nothing known yet
    assert events.bar.tolist() == [1, 2]
    assert events.first.tolist() == [0, 1]
    assert events.before == 1


@pytest.mark.parametrize(("spacing", "kept", "dropped"), [
    (0, [2, 3, 6], 0), (1, [2, 3, 6], 0), (2, [2, 6], 1), (4, [2, 6], 1), (5, [2], 2)])
def test_spacing_drops_events_too_close_after_the_previous_kept_one(spacing, kept, dropped):
    bars = daily_bars(CLOSES)
    result = study(HEADLINES, bars, spacing=spacing, window=2)
    assert used_events(result, headline_frame(HEADLINES), bars)[0] == kept
    assert result.n_dropped_spacing == dropped
    assert result.n_dropped_edges == 3


def test_edge_events_are_left_out_before_spacing():
    # bar 0 (headline 14) is an edge event: it does not suppress bar 2, although 2 - 0 < 3
    rows = [HEADLINES[3], HEADLINES[0], HEADLINES[1]]
    bars = daily_bars(CLOSES)
    result = study(rows, bars, spacing=3, window=2)
    assert used_events(result, headline_frame(rows), bars)[0] == [2]
    assert (result.n_dropped_edges, result.n_dropped_spacing) == (1, 1)


@pytest.mark.parametrize(("bad", "spacing", "kept", "flagged", "spaced"), [
    (5, 0, [2], 2, 0),          # bar 5 lies in the windows of bars 3 (1..5) and 6 (4..8)
    (4, 0, [], 3, 0),           # bar 4 is at the edge of bar 2's window (0..4) and bar 6's (4..8)
    (1, 5, [6], 2, 0),          # events 2 and 3 are dropped for the bad bar first: 6 is not spaced out
    (9, 2, [2, 6], 0, 1),       # bar 9 lies only in the windows of the edge events 8 and 9
])
def test_events_whose_window_holds_a_bad_bar_are_dropped_after_edges_and_before_spacing(
        bad, spacing, kept, flagged, spaced):
    bars = daily_bars(CLOSES).assign(bad=[i == bad for i in range(len(CLOSES))])
    result = study(HEADLINES, bars, spacing=spacing, window=2)
    assert used_events(result, headline_frame(HEADLINES), bars)[0] == kept
    assert (result.n_dropped_edges, result.n_dropped_flagged, result.n_dropped_spacing) == (3, flagged, spaced)


# Bank of Russia USD rates dated Tue 2024-12-24 .. Sat 12-28, then (after the New Year holidays)
# Fri 2025-01-10, Sat 01-11, Tue 01-14 .. Sat 01-18: no rate is dated Sunday, Monday or a
# holiday. A rate dated D is known at 14:00 UTC on D - 1 (17:00 Moscow time).
CBR_DAYS = ["2024-12-24", "2024-12-25", "2024-12-26", "2024-12-27", "2024-12-28", "2025-01-10", "2025-01-11",
            "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17", "2025-01-18"]
CBR_CLOSES = [101.0, 102.0, 100.5, 101.5, 101.6797, 101.2, 101.9146, 102.4651, 102.3429, 101.4361, 102.0, 102.5]
CBR_HEADLINES = [
    (1, "2024-12-27T13:59:00Z", "a"),    # a minute before the 12-28 rate: on the 12-27 rate (bar 3)
    (2, "2024-12-27T14:00:00Z", "b"),    # at its publication: on the 12-28 rate (bar 4)
    (3, "2024-12-31T10:00:00Z", "c"),    # the holidays: still the 12-28 rate
    (4, "2025-01-09T13:59:00Z", "d"),    # the last minute before the 01-10 rate: 12-28's
    (5, "2025-01-09T14:00:00Z", "e"),    # the 01-10 rate (bar 5)
    (6, "2025-01-12T10:00:00Z", "f"),    # Sunday: the 01-11 rate (bar 6, published Friday)
    (7, "2025-01-13T13:59:00Z", "g"),    # Monday before 14:00: still the 01-11 rate
    (8, "2025-01-13T14:00:00Z", "h"),    # Monday 14:00: the 01-14 rate (bar 7)
]


def cbr_bars() -> pd.DataFrame:
    stamps = pd.Series(pd.to_datetime(CBR_DAYS, utc=True))
    return pd.DataFrame({"instrument_id": "usd_rub", "interval": "1d", "ts": stamps,
                         "known": cbr_rule().known(stamps), "close": CBR_CLOSES})


def test_bank_of_russia_weekend_and_new_year_rates_in_the_alignment():
    assert cbr_bars()["known"].iloc[3:6].tolist() == [pd.Timestamp(t, tz="UTC") for t in (
        "2024-12-26 14:00", "2024-12-27 14:00", "2025-01-09 14:00")]
    result = event_study(headline_frame(CBR_HEADLINES), cbr_bars(), "1d", window=1, placebo_draws=0)
    assert used_events(result, headline_frame(CBR_HEADLINES), cbr_bars()) == (
        [3, 4, 5, 6, 7], [0, 1, 4, 5, 7], [1, 3, 1, 2, 1])
    events = result.events
    assert events["bar_time"].tolist() == [pd.Timestamp(d, tz="UTC") for d in CBR_DAYS[3:8]]
    assert events["bar_known"].tolist() == cbr_bars()["known"].iloc[3:8].tolist()
    # one bar after the 12-28 rate is the 01-10 rate, across the holidays
    c = CBR_CLOSES
    assert events["k+1"].tolist() == pytest.approx([math.log(c[i + 1] / c[i]) for i in range(3, 8)], rel=1e-13)
    assert events["k-1"].tolist() == pytest.approx([math.log(c[i - 1] / c[i]) for i in range(3, 8)], rel=1e-13)
    assert result.events["k+1"].iat[1] == pytest.approx(math.log(101.2 / 101.6797), rel=1e-13)


def test_a_date_alone_and_provisional_bars_in_the_alignment():
    rows = [(1, "2024-01-03T00:00:00Z", "x"), (2, "2024-01-03T00:00:00Z", "y")]
    frame = headline_frame(rows).assign(day_precision=[True, False])
    # the date alone is aligned at 01-04 00:00, when bar 2's (01-03's) close became known
    events = group_headlines(headline_moments(frame), known_bars(daily_bars(CLOSES)))
    assert (events.bar.tolist(), events.first.tolist()) == ([1, 2], [1, 0])
    # bar 1 provisional (known NaT): the 00:00 headline falls back to bar 0 (ts 01-01), and bar 2
    # is now index 1
    bars = daily_bars(CLOSES)
    bars.loc[1, "known"] = pd.NaT
    events = group_headlines(headline_moments(frame), known_bars(bars))
    assert events.bar.tolist() == [0, 1]
    result = event_study(frame.iloc[[0]], bars, "1d", window=1, placebo_draws=0)
    assert result.events["bar_time"].tolist() == [pd.Timestamp("2024-01-03", tz="UTC")]
    assert result.events["k-1"].iat[0] == pytest.approx(math.log(CLOSES[0] / CLOSES[2]), rel=1e-14)


def test_keep_spaced_matches_a_plain_greedy_loop():
    rng = np.random.default_rng(5)
    for spacing in (2, 3, 7, 50):
        bars = np.unique(rng.integers(0, 3000, 1500))
        expected, last = [], None
        for b in bars:
            if last is None or b - last >= spacing:
                expected.append(b)
                last = b
        assert bars[keep_spaced(bars, spacing)].tolist() == expected
    assert keep_spaced(np.array([], dtype=np.int64), 4).tolist() == []
    assert keep_spaced(np.array([7]), 4).tolist() == [True]


def test_raw_paths_exact():
    paths = raw_paths(np.log(np.array(CLOSES)), np.array([6, 2, 6]), 2)
    assert paths.shape == (3, 5)
    for row, i in zip(paths, [6, 2, 6], strict=True):
        assert row.tolist() == pytest.approx([log_move(i, k) for k in range(-2, 3)], rel=1e-13, abs=1e-14)
    assert paths[:, 2].tolist() == [0.0, 0.0, 0.0]


# -- the statistics --------------------------------------------------------------------------

def test_event_study_exact_values_on_hand_made_bars():
    result = event_study(headline_frame(HEADLINES), daily_bars(CLOSES), "1d", window=2, placebo_draws=0)
    assert (result.n_headlines, result.n_headlines_before_data, result.n_events) == (8, 1, 3)
    assert (result.n_dropped_edges, result.n_dropped_spacing, result.n_dropped_flagged) == (3, 0, 0)
    assert result.k.tolist() == [-2, -1, 0, 1, 2]
    moves = np.array([[log_move(i, k) for k in range(-2, 3)] for i in (2, 3, 6)])
    assert result.mean_path.tolist() == pytest.approx(moves.mean(axis=0).tolist(), rel=1e-13, abs=1e-14)
    t_975 = 0.95 / math.sqrt(2 * 0.975 * 0.025)        # t_{0.975} with 2 degrees of freedom, closed form
    half = t_975 * moves.std(axis=0, ddof=1) / math.sqrt(3)
    assert result.band_low.tolist() == pytest.approx((moves.mean(axis=0) - half).tolist(), rel=1e-12)
    assert result.band_high.tolist() == pytest.approx((moves.mean(axis=0) + half).tolist(), rel=1e-12)
    plus_1 = [math.log(112 / 101), math.log(111 / 112), math.log(113 / 116)]
    plus_2 = [math.log(111 / 101), math.log(114 / 112), math.log(117 / 116)]
    for (move, t, p), sample in (((result.move_1, result.t_1, result.p_1), plus_1),
                                 ((result.move_w, result.t_w, result.p_w), plus_2)):
        expected = stats.ttest_1samp(sample, 0.0)
        assert move == pytest.approx(sum(sample) / 3, rel=1e-13)
        assert t == pytest.approx(expected.statistic, rel=1e-12)
        assert p == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.sd_1 == pytest.approx(float(np.std(np.diff(np.log(CLOSES)), ddof=1)), rel=1e-13)
    # 2 sd = 0.0745: only bar 2's +1 move (log 112/101 = 0.103) is beyond
    assert result.share_beyond_2sd == 1 / 3
    assert result.mean_abs_w == pytest.approx(sum(abs(m) for m in plus_2) / 3, rel=1e-13)
    assert math.isnan(result.placebo_p) and np.isnan(result.placebo_band_low).all()
    events = result.events
    assert events.columns.tolist() == ["event_time", "bar_time", "bar_known", "bar_close", "first_headline_id",
                                       "first_headline_title", "n_headlines", "events_in_episode", "est_alpha",
                                       "est_beta", "est_sd", "k-2", "k-1", "k+0", "k+1", "k+2",
                                       "car-2", "car-1", "car+0", "car+1", "car+2", "ar-1", "ar+0", "ar+1", "ar+2"]
    # no model: the CARs are the raw moves, the ARs the one-bar returns, nothing estimated
    assert events[move_columns(2, "car")].to_numpy().tolist() == events[move_columns(2)].to_numpy().tolist()
    one_bar = np.array([[math.log(CLOSES[i + k] / CLOSES[i + k - 1]) for k in range(-1, 3)] for i in (2, 3, 6)])
    assert np.allclose(events[move_columns(2, "ar", -1)].to_numpy(), one_bar, rtol=1e-13, atol=1e-15)
    assert events["events_in_episode"].tolist() == [1, 1, 1] and events["est_sd"].isna().all()
    assert events["event_time"].tolist() == [pd.Timestamp(t, tz="UTC") for t in
                                             ("2024-01-04 09:00", "2024-01-05 00:00", "2024-01-08 10:00")]
    assert events["bar_time"].tolist() == [pd.Timestamp(t, tz="UTC")
                                           for t in ("2024-01-03", "2024-01-04", "2024-01-07")]
    assert events["bar_known"].tolist() == [pd.Timestamp(t, tz="UTC")
                                            for t in ("2024-01-04", "2024-01-05", "2024-01-08")]
    assert events["bar_close"].tolist() == [101.0, 112.0, 116.0]
    assert events["first_headline_id"].tolist() == [11, 12, 16]
    assert events["first_headline_title"].tolist() == ["a", "b", "f"]
    assert events["n_headlines"].tolist() == [2, 1, 1]
    assert events[move_columns(2)].to_numpy().ravel().tolist() == pytest.approx(moves.ravel().tolist(),
                                                                               rel=1e-13, abs=1e-14)


def test_path_stats_equal_scipy_ttest_per_column():
    rng = np.random.default_rng(3)
    paths = np.column_stack([rng.normal(0.001, 0.02, 500), np.zeros(500),
                             50.0 + rng.normal(0.0, 1e-7, 500),           # mean >> spread
                             np.full(500, 0.25)])                          # no spread at all
    result = path_stats(paths)
    expected = stats.ttest_1samp(paths[:, [0, 2]], 0.0, axis=0)
    assert result.t[[0, 2]].tolist() == pytest.approx(expected.statistic.tolist(), rel=1e-9)
    assert result.p[[0, 2]].tolist() == pytest.approx(expected.pvalue.tolist(), rel=1e-9)
    sd = paths.std(axis=0, ddof=1)
    assert result.band_high.tolist() == pytest.approx(
        (paths.mean(axis=0) + stats.t.ppf(0.975, 499) * sd / math.sqrt(500)).tolist(), rel=1e-12)
    assert math.isnan(result.t[1]) and math.isnan(result.p[1])          # 0 / 0
    assert result.t[3] == math.inf and result.p[3] == 0.0                # as scipy: mean / 0
    assert result.band_low[3] == result.band_high[3] == 0.25


def test_no_usable_event_gives_nan_not_a_crash():
    rows = [HEADLINES[3], HEADLINES[4], HEADLINES[7]]         # edge, before the data, edge
    result = event_study(headline_frame(rows), daily_bars(CLOSES), "1d", window=2)
    assert (result.n_events, result.n_headlines, result.n_dropped_edges, result.n_headlines_before_data) == \
        (0, 3, 2, 1)
    for value in (result.move_1, result.t_1, result.p_1, result.move_w, result.t_w, result.p_w,
                  result.share_beyond_2sd, result.mean_abs_w, result.placebo_p):
        assert math.isnan(value)
    assert np.isnan(result.mean_path).all() and np.isnan(result.placebo_band_high).all()
    assert len(result.events) == 0 and result.events.columns[-1] == "ar+2"
    empty = event_study(headline_frame([]), daily_bars(CLOSES), "1d", window=2)
    assert (empty.n_events, empty.n_headlines) == (0, 0)
    short = event_study(headline_frame(HEADLINES), daily_bars(CLOSES[:4]), "1d", window=2)
    assert (short.n_events, short.n_dropped_edges) == (0, 3)           # bars 0, 2 and 3
    one = event_study(headline_frame(HEADLINES[:1]), daily_bars(CLOSES), "1d", window=2)
    assert one.n_events == 1 and one.move_1 == pytest.approx(math.log(112 / 101), rel=1e-14)
    assert math.isnan(one.t_1) and math.isnan(one.band_low[3])


@pytest.mark.parametrize(("change", "message"), [
    ({"headlines": "naive"}, "tz-aware"),
    ({"bars": "naive"}, "bars.ts must be tz-aware"),
    ({"bars": "naive known"}, "bars.known must be tz-aware"),
    ({"bars": "no known"}, "bars frame lacks column(s) known"),
    ({"bars": "negative"}, "positive"),
    ({"bars": "two instruments"}, "one instrument"),
    ({"bars": "hourly"}, "not '1d'"),
    ({"window": 0}, "window must be an integer >= 1"),
    ({"window": 2.5}, "window must be an integer"),
    ({"spacing": -1}, "spacing must be an integer >= 0"),
    ({"placebo_draws": -5}, "placebo_draws"),
    ({"interval": "5m"}, "unknown interval"),
    ({"headlines": "no title"}, "lacks column(s) title"),
    ({"headlines": "missing time"}, "missing times"),
])
def test_bad_inputs_raise_clear_value_errors(change, message):
    headlines, bars = headline_frame(HEADLINES), daily_bars(CLOSES)
    kwargs = {"window": 2, "placebo_draws": 0}
    match change.get("headlines"):
        case "naive":
            headlines["published"] = headlines["published"].dt.tz_localize(None)
        case "no title":
            headlines = headlines.drop(columns="title")
        case "missing time":
            headlines.loc[2, "published"] = pd.NaT
    match change.get("bars"):
        case "naive":
            bars["ts"] = bars["ts"].dt.tz_localize(None)
        case "naive known":
            bars["known"] = bars["known"].dt.tz_localize(None)
        case "no known":
            bars = bars.drop(columns="known")
        case "negative":
            bars.loc[7, "close"] = -1.0
        case "two instruments":
            bars.loc[0, "instrument_id"] = "usd_rub"
        case "hourly":
            bars["interval"] = "1h"
    kwargs.update({k: v for k, v in change.items() if k in ("window", "spacing", "placebo_draws")})
    with pytest.raises(ValueError, match=re.escape(message)):
        event_study(headlines, bars, change.get("interval", "1d"), **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model": "capm"}, "unknown model 'capm' (known: raw, mean, market)"),
    ({"model": "mean", "estimation": 3}, "estimation must be an integer >= 4 for the mean model, got 3"),
    ({"model": "market", "estimation": 4.5}, "estimation must be an integer >= 5 for the market model"),
    ({"model": "market"}, "the market model needs the bars of a benchmark instrument"),
    ({"model": "market", "benchmark": "same"}, "the benchmark must be another instrument than brent"),
    ({"model": "market", "benchmark": "no known"}, "benchmark bars frame lacks column(s) known"),
    ({"model": "market", "benchmark": "negative"}, "benchmark closes must be finite and positive"),
    ({"model": "mean", "benchmark": "other"}, "a benchmark is used by the market model only, not by 'mean'"),
    ({"overlap": "drop"}, "unknown overlap 'drop' (known: merge, spacing)"),
    ({"overlap": "merge", "spacing": 3}, "spacing applies to overlap='spacing' only"),
    ({"period": (datetime(2024, 1, 1), None)}, "period start must be tz-aware"),
])
def test_bad_model_settings_raise_clear_value_errors(kwargs, message):
    bars = daily_bars(CLOSES)
    frames = {"same": bars, "other": daily_bars(CLOSES).assign(instrument_id="usd_rub"),
              "no known": daily_bars(CLOSES).assign(instrument_id="usd_rub").drop(columns="known"),
              "negative": daily_bars([-1.0, *CLOSES[1:]]).assign(instrument_id="usd_rub")}
    kwargs = {**kwargs, "benchmark": frames.get(kwargs.get("benchmark"))}
    with pytest.raises(ValueError, match=re.escape(message)):
        event_study(headline_frame(HEADLINES), bars, "1d", window=2, placebo_draws=0, **kwargs)


def test_unsorted_bars_are_sorted_and_of_two_bars_with_one_stamp_the_last_counts():
    headlines = headline_frame(HEADLINES)
    plain = event_study(headlines, daily_bars(CLOSES), "1d", window=2, placebo_draws=20)
    shuffled = event_study(headlines, daily_bars(CLOSES).iloc[[0, 2, 1, 3, 4, 5, 6, 9, 7, 8]], "1d", window=2,
                           placebo_draws=20)
    pd.testing.assert_frame_equal(plain.events, shuffled.events)
    assert plain.placebo_p == shuffled.placebo_p and plain.sd_1 == shuffled.sd_1
    # a second row for 01-04 (bar 3) with close 118: it replaces 112
    bars = pd.concat([daily_bars(CLOSES), daily_bars(CLOSES).iloc[[3]].assign(close=118.0)], ignore_index=True)
    result = event_study(headlines, bars, "1d", window=2, placebo_draws=0)
    assert result.events["bar_close"].tolist() == [101.0, 118.0, 116.0]
    assert result.events["k+1"].iat[0] == pytest.approx(math.log(118 / 101), rel=1e-14)


def test_a_bad_bar_may_have_any_close_and_sd_1_leaves_out_the_returns_touching_it():
    closes = [*CLOSES]
    closes[8] = -1.0                                      # bar 8 bad (a negative tick)
    bars = daily_bars(closes).assign(bad=[i == 8 for i in range(10)])
    result = event_study(headline_frame(HEADLINES), bars, "1d", window=1, placebo_draws=0)
    # events on bars 2, 3 and 6 (windows clean); bar 8's window (7..9) holds the bad bar; bars 0
    # and 9 lack a bar before / after them
    assert result.events["bar_time"].dt.day.tolist() == [3, 4, 7]
    assert (result.n_dropped_edges, result.n_dropped_flagged) == (2, 1)
    logs = np.log(CLOSES)
    clean = [logs[i + 1] - logs[i] for i in range(9) if 8 not in (i, i + 1)]
    assert len(clean) == 7
    assert result.sd_1 == pytest.approx(float(np.std(clean, ddof=1)), rel=1e-13)
    assert clean_returns(np.log(np.abs(closes)), bars["bad"].to_numpy()).tolist() == pytest.approx(clean, rel=1e-15)


def test_bars_without_a_close_are_skipped():
    bars = daily_bars([*CLOSES[:4], float("nan"), *CLOSES[4:]])     # 01-01 .. 01-11, 01-05 empty
    result = event_study(headline_frame(HEADLINES[:2]), bars, "1d", window=2, placebo_draws=0)
    assert result.events["bar_time"].tolist() == [pd.Timestamp("2024-01-03", tz="UTC"),
                                                  pd.Timestamp("2024-01-04", tz="UTC")]
    assert result.events["k+2"].tolist() == pytest.approx([math.log(111 / 101), math.log(114 / 112)], rel=1e-14)


# -- the placebo -------------------------------------------------------------------------------

def random_walk_bars(n: int, sd: float, seed: int, start: str = "2021-01-04") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return daily_bars((100.0 * np.exp(np.cumsum(rng.normal(0.0, sd, n)))).tolist(), start=start)


def headlines_after_bars(bars: pd.DataFrame, indexes, delay: timedelta = timedelta(minutes=30)) -> pd.DataFrame:
    """A headline `delay` after the close of each bar in `indexes` became known: on that bar."""
    times = [bars["known"].iloc[i] + delay for i in indexes]
    return pd.DataFrame({"id": range(1, len(times) + 1), "published": pd.Series(times),
                         "title": [f"h{i}" for i in range(len(times))]})


def test_placebo_is_reproducible_with_a_seed():
    bars = random_walk_bars(600, 0.01, seed=1)
    headlines = headlines_after_bars(bars, range(20, 580, 13))
    a = event_study(headlines, bars, "1d", window=5, placebo_draws=200, seed=7)
    b = event_study(headlines, bars, "1d", window=5, placebo_draws=200, seed=7)
    c = event_study(headlines, bars, "1d", window=5, placebo_draws=200, seed=8)
    assert a.placebo_p == b.placebo_p and 1 / 201 <= a.placebo_p <= 1.0
    assert np.array_equal(a.placebo_band_low, b.placebo_band_low)
    assert np.array_equal(a.placebo_band_high, b.placebo_band_high)
    assert not np.array_equal(a.placebo_band_high, c.placebo_band_high)
    assert (a.placebo_band_low <= a.placebo_band_high).all() and a.placebo_band_low[5] == 0.0


def test_placebo_finds_events_placed_before_large_jumps():
    rng = np.random.default_rng(2)
    steps = rng.normal(0.0, 0.002, 500)
    jumps = np.arange(30, 470, 22)
    steps[jumps + 1] += 0.05 * np.where(np.arange(len(jumps)) % 2, 1, -1)   # bar j -> j+1 jumps
    bars = daily_bars((100.0 * np.exp(np.cumsum(steps))).tolist())
    result = event_study(headlines_after_bars(bars, jumps), bars, "1d", window=1, placebo_draws=200, seed=0)
    assert result.n_events == len(jumps)
    assert result.placebo_p == 1 / 201 <= 0.01
    assert result.share_beyond_2sd == 1.0


def monday_steps(ts: pd.Series, big: float, small: float) -> np.ndarray:
    """Closes whose one-bar move out of each Monday bar is ±big and every other move ±small."""
    weekday = ts.dt.tz_convert("Europe/London").dt.day_of_week.to_numpy()
    moves = np.where(weekday[:-1] == 0, big, small) * np.where(np.arange(len(ts) - 1) % 2, 1.0, -1.0)
    return 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(moves)]))


@pytest.mark.parametrize("zone", ["UTC", "Europe/London"])
def test_the_calendar_shift_does_not_keep_the_weekday_of_the_events(zone):
    # Daily bars stamped at local midnight (23:00 UTC in summer for London, as newsmarks stored
    # Yahoo's daily bars before it kept trading days), known 24 hours later; the only big moves
    # are out of Monday bars, and every event is on a Monday bar.
    stamps = pd.Series(pd.date_range("2021-01-04", periods=728, freq="D", tz=zone)).dt.tz_convert("UTC")
    bars = pd.DataFrame({"ts": stamps, "known": stamps + pd.Timedelta(days=1),
                         "close": monday_steps(stamps, 0.05, 0.001)})
    mondays = np.flatnonzero(stamps.dt.tz_convert(zone).dt.day_of_week.to_numpy() == 0)[1:-1]
    result = event_study(headlines_after_bars(bars, mondays[::3]), bars, "1d", window=1, seed=3)
    assert result.n_events == len(mondays[::3])
    assert result.mean_abs_w == pytest.approx(0.05, rel=1e-9)
    # the calendar shift keeps the events' spacing (every 21 days), not their weekday: most
    # offsets move them off Mondays, so the events stand out
    assert result.placebo_p < 0.2 and result.placebo_draws == 200


def slow_shift(per_bar: np.ndarray, positions: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The calendar shift one offset and one event at a time."""
    m = len(per_bar)
    paths = [np.mean([per_bar[(q + u) % m] for q in positions], axis=0) for u in offsets]
    mean_abs = [np.mean([abs(per_bar[(q + u) % m][-1]) for q in positions]) for u in offsets]
    return np.array(paths), np.array(mean_abs)


@pytest.mark.parametrize("sparse_below", [0, 10**9])     # dense sums, sparse sums
def test_calendar_shift_equals_a_slow_reference_and_keeps_the_spacing(monkeypatch, sparse_below):
    import dashboard.analysis.event_placebo as module

    monkeypatch.setattr(module, "_SPARSE_BELOW", sparse_below)
    rng = np.random.default_rng(6)
    per_bar = rng.normal(0.0, 0.01, (300, 7))
    positions = np.array([3, 4, 9, 40, 41, 42, 200, 297])
    paths, mean_abs, offsets = shift_placebo(per_bar, positions, 120, seed=5)
    # 120 distinct offsets in 1 .. 299, drawn without replacement, as numpy's seeded choice draws them
    expected = np.random.default_rng(5).choice(np.arange(1, 300), size=120, replace=False)
    assert offsets.tolist() == expected.tolist() and len(set(offsets.tolist())) == 120 and 0 not in offsets
    slow = slow_shift(per_bar, positions, offsets)
    assert np.allclose(paths, slow[0], rtol=1e-12, atol=1e-16) and np.allclose(mean_abs, slow[1], rtol=1e-12)
    # fewer offsets than draws: every offset once, in order (no randomness left)
    every = shift_placebo(per_bar[:20], np.array([2, 3, 11]), 200, seed=1)
    assert every[2].tolist() == list(range(1, 20))
    assert np.allclose(every[0], slow_shift(per_bar[:20], np.array([2, 3, 11]), np.arange(1, 20))[0], rtol=1e-12)


def test_the_placebo_shifts_within_the_period_over_clean_windows_only():
    bars = random_walk_bars(400, 0.01, seed=12)
    bars["bad"] = [i == 230 for i in range(400)]
    events = [205, 208, 250, 262, 290]
    headlines = headlines_after_bars(bars, events)
    period = (bars["known"].iloc[200], bars["known"].iloc[299] + timedelta(hours=1))
    result = event_study(headlines, bars, "1d", window=3, placebo_draws=500, seed=2, period=period)
    # bars 200 .. 299 less the seven whose window holds bar 230 (227 .. 233): 93 bars, all offsets
    assert (result.placebo_pool, result.placebo_draws) == (93, 92)
    assert np.isfinite(result.placebo_band_low).all() and np.isfinite(result.placebo_p)
    again = event_study(headlines, bars, "1d", window=3, placebo_draws=500, seed=9, period=period)
    assert again.placebo_p == result.placebo_p                      # every offset: the seed does not matter
    # the mean model needs each pool bar's estimation window too: 40 clean returns before it
    model = event_study(headlines, bars, "1d", window=3, placebo_draws=50, seed=2, period=period, model="mean",
                        estimation=40, overlap="merge")
    # the bad bar 230 lies in the estimation windows of bars 234 .. 274 (returns 231 - 3 - 40 ..)
    assert model.placebo_pool == 93 - len(range(234, 275)) and model.placebo_draws == 50
    # without a period: the span of the headlines' bars
    assert event_study(headlines, bars, "1d", window=3, placebo_draws=10).placebo_pool == 290 - 205 + 1 - 7


# -- the report ---------------------------------------------------------------------------------

def test_report_lines_and_csv_name_the_flagged_events_and_the_known_times():
    bars = daily_bars(CLOSES).assign(bad=[i == 5 for i in range(10)])
    result = event_study(headline_frame(HEADLINES), bars, "1d", window=2, placebo_draws=0)
    lines = summary_lines(result, "Brent")
    assert lines[0] == "event study: Brent, 1d bars, window ±2, spacing 0"
    assert lines[1] == ("headlines: 8 (1 before the data); events: 1 (left out: 3 at the data's edges, "
                        "2 with a flagged bar in their window, 0 for spacing)")
    assert lines[2] == f"mean move at +1 bar:  {math.log(112 / 101):.6f} (log return)  t = n/a  p = n/a"
    assert lines[5] == ("placebo (0 shifts of the event calendar within the period's 1 usable bars, 1 of them "
                        "event bars): p = n/a for the mean move at +2 (two-sided); p = n/a for the mean absolute "
                        "move at +2")
    assert lines[6:9] == ["model: none (raw log returns, no estimation window)",
                          "overlap: spacing 0 (0 events dropped); 0 bars lie in two or more of the used events' "
                          "windows",
                          "tests of the mean move over bars +1..+h (statistic, p; reference distribution):"]
    assert lines[9].startswith("  cross-sectional t [t(N-1)]: h = 1: n/a  p = n/a;  h = 2: n/a")
    rows = events_csv(result).strip().splitlines()
    assert rows[0] == ("event_time_utc,bar_time_utc,bar_known_utc,first_headline,first_headline_id,n_headlines,"
                       "events_in_episode,est_alpha,est_beta,est_sd,k-2,k-1,k+0,k+1,k+2,car-2,car-1,car+0,car+1,"
                       "car+2,ar-1,ar+0,ar+1,ar+2")
    assert rows[1].startswith("2024-01-04T09:00:00Z,2024-01-03T00:00:00Z,2024-01-04T00:00:00Z,a,11,2,1,,,,")
    assert len(rows) == 2


def test_report_of_a_model_names_the_model_the_skipped_events_and_every_test():
    bars = random_walk_bars(300, 0.01, seed=3).assign(bad=[i == 150 for i in range(300)])
    headlines = headlines_after_bars(bars, [40, 160, 170, 200, 201, 240, 241, 290])
    result = event_study(headlines, bars, "1d", window=3, placebo_draws=50, model="mean", estimation=60,
                         overlap="merge")
    lines = summary_lines(result, "X")
    assert lines[0] == "event study: X, 1d bars, window ±3, overlapping events merged into episodes"
    # 40: too little history; 160 .. 201: the bad bar 150 in their estimation windows (returns i - 63
    # .. i - 4); 241 merged into the episode of 240; 290 used
    assert lines[1] == ("headlines: 8 (0 before the data); events: 2 (left out: 0 at the data's edges, 0 with a "
                        "flagged bar in their window, 1 without 60 bars of history, 4 with a flagged bar in their "
                        "estimation window, 0 with no variation in their estimation window, 1 merged into episodes)")
    assert lines[2].startswith("CAAR at +1 bar:  ") and lines[6].startswith("model: constant mean of each event's 60")
    assert lines[7] == ("overlap: events less than 7 bars after an episode's first event merged into it: 1 merged, "
                        "2 episodes; 6 bars lay in two or more windows before merging")
    assert [line.split(" [")[0].strip() for line in lines[9:]] == [
        "cross-sectional t", "Patell Z", "BMP t", "Kolari-Pynnönen adjusted t", "Corrado rank",
        "generalised sign Z", "calendar-time HAC t"]
    csv_rows = events_csv(result).strip().splitlines()
    assert csv_rows[1].split(",")[5:7] == ["2", "2"]              # two headlines, two events in the episode


# -- real data ----------------------------------------------------------------------------------

def brent_bars() -> pd.DataFrame:
    """EIA Brent spot: a date without a time of day, taken as known at the end of the UTC day."""
    raw = pd.read_csv(SHARED_DATA / "brent-daily.csv")
    ts = pd.Series(pd.to_datetime(raw["Date"], utc=True, format="%Y-%m-%d"))
    return pd.DataFrame({"ts": ts, "known": parse_rule("24:00 UTC").known(ts), "close": raw["Price"]})


def rub_bars() -> pd.DataFrame:
    """Yahoo's RUB=X (yfinance history), its closes known at the end of the London day (Yahoo's FX
    rule), with ingest.bar_quality's flags: `bad` for its bad ticks (0.7162, 5.0, 110.67...)."""
    imported = read_prices_csv(SHARED_DATA / "yahoo" / "RUB=X_1d_yfinance-history_2003-2024.csv", interval="1d",
                               close_rule=parse_rule("24:00 Europe/London"))
    bars = imported.bars
    return bars[["ts", "known", "close"]].assign(bad=bad_mask(bars["flag"], bars["review"]))


def bbc_headlines(pattern: str) -> pd.DataFrame:
    imported = read_headlines_csv(SHARED_DATA / "bbc-business-rss-2022-2024.csv",
                                  fetched=datetime(2026, 1, 1, tzinfo=UTC))
    frame = pd.DataFrame({"id": range(1, len(imported.headlines) + 1),
                          "published": pd.Series([h.published for h in imported.headlines]),
                          "title": [h.title for h in imported.headlines]})
    frame["published"] = frame["published"].dt.tz_convert("UTC")
    return frame[frame["title"].str.contains(pattern, case=False, regex=True)].reset_index(drop=True)


def one_at_a_time(headlines: pd.DataFrame, bars: pd.DataFrame, window: int) -> dict:
    """The event study the plain way: one headline at a time, with bisect, math.log and
    statistics.stdev. bars: sorted by ts, every bar with a known time and a close."""
    closes = bars["close"].tolist()
    known = [t.to_pydatetime() for t in bars["known"]]
    bad = bars["bad"].tolist() if "bad" in bars.columns else [False] * len(closes)
    groups: dict[int, list[int]] = {}
    for row in sorted(headlines.itertuples(index=False), key=lambda r: r.published):
        i = bisect.bisect_right(known, row.published.to_pydatetime()) - 1
        if i >= 0:
            groups.setdefault(i, []).append(row.id)
    inside = {i: ids for i, ids in groups.items() if window <= i <= len(closes) - 1 - window}
    used = {i: ids for i, ids in inside.items() if not any(bad[i - window:i + window + 1])}
    paths = {i: [math.log(closes[i + k] / closes[i]) for k in range(-window, window + 1)] for i in used}
    one_bar = [math.log(closes[j + 1] / closes[j]) for j in range(len(closes) - 1) if not (bad[j] or bad[j + 1])]
    return {"bars": sorted(used), "first_ids": [used[i][0] for i in sorted(used)],
            "sizes": [len(used[i]) for i in sorted(used)], "edges": len(groups) - len(inside),
            "flagged": len(inside) - len(used), "paths": np.array([paths[i] for i in sorted(used)]),
            "sd_1": statistics.stdev(one_bar)}


def check_against_the_plain_way(result, expected: dict, window: int) -> None:
    paths = expected["paths"]
    assert result.n_events == len(expected["bars"]) and result.n_dropped_edges == expected["edges"]
    assert result.n_dropped_flagged == expected["flagged"]
    assert result.events["first_headline_id"].tolist() == expected["first_ids"]
    assert result.events["n_headlines"].tolist() == expected["sizes"]
    assert np.allclose(result.events[move_columns(window)].to_numpy(), paths, rtol=1e-13, atol=1e-14)
    for (t, p), column in (((result.t_1, result.p_1), window + 1), ((result.t_w, result.p_w), 2 * window)):
        test = stats.ttest_1samp(paths[:, column], 0.0)
        assert t == pytest.approx(test.statistic, rel=1e-10)
        assert p == pytest.approx(test.pvalue, rel=1e-10)
    n = len(paths)
    half = stats.t.ppf(0.975, n - 1) * paths.std(axis=0, ddof=1) / math.sqrt(n)
    assert np.allclose(result.band_high, paths.mean(axis=0) + half, rtol=1e-11, atol=1e-16)
    assert result.sd_1 == pytest.approx(expected["sd_1"], rel=1e-10)
    beyond = np.abs(paths[:, window + 1]) > 2 * expected["sd_1"]
    assert result.share_beyond_2sd == beyond.mean()


def test_brent_against_bbc_oil_headlines():
    headlines, bars = bbc_headlines(r"\boil\b"), brent_bars()
    result = event_study(headlines, bars, "1d", window=5, placebo_draws=200, seed=0)
    expected = one_at_a_time(headlines, bars, 5)
    assert (len(headlines), result.n_events, result.n_dropped_edges, result.n_dropped_flagged) == (39, 33, 0, 0)
    check_against_the_plain_way(result, expected, 5)
    # the first event: "Ukraine conflict: Oil price soars to highest level since 2008", Monday
    # 2022-03-07 08:15 UTC, on Friday 03-04's bar (known Saturday 00:00)
    first = result.events.iloc[0]
    assert first["first_headline_title"] == "Ukraine conflict: Oil price soars to highest level since 2008"
    assert first["bar_time"] == pd.Timestamp("2022-03-04", tz="UTC") and first["bar_close"] == 123.86
    assert first["bar_known"] == pd.Timestamp("2022-03-05", tz="UTC")
    assert 1 / 201 <= result.placebo_p <= 1.0


def test_the_rouble_against_bbc_russia_headlines():
    headlines = bbc_headlines(r"\b(?:russia\w*|rouble|ruble)\b")
    bars = rub_bars()
    result = event_study(headlines, bars, "1d", window=5, placebo_draws=50)
    expected = one_at_a_time(headlines, bars, 5)
    assert result.n_events == len(expected["bars"]) > 20
    check_against_the_plain_way(result, expected, 5)
    # RUB=X has six bad bars from 2022 on (2022-03-07, 03-21, 06-13, 07-18; 2023-02-03, 03-16):
    # 14 events of the BBC's Russia headlines have one in their ±5-bar window
    assert (result.n_events, result.n_dropped_flagged) == (24, 14)
    assert np.isfinite(result.placebo_band_low).all() and np.isfinite(result.placebo_p)


def test_the_rouble_study_around_its_bad_ticks_does_not_blow_up():
    """Headlines next to RUB=X's bad ticks (0.7162 on 2016-01-06, 110.67 on 2022-06-13 and
    2022-07-18, 5.0 on 2023-03-16): the events whose ±5-bar window holds a tick are left out, so
    no path moves by log(74.6 / 0.7162) = 4.6 or log(76.5 / 5) = 2.7; without the flags they would."""
    published = ["2016-01-04 12:00", "2016-01-06 12:00", "2016-01-08 12:00", "2016-02-01 12:00",
                 "2022-06-10 12:00", "2022-06-14 12:00", "2022-07-15 12:00", "2022-07-19 12:00",
                 "2022-08-15 12:00", "2023-03-15 12:00", "2023-03-17 12:00", "2023-04-20 12:00"]
    headlines = pd.DataFrame({"id": range(1, 13), "published": pd.to_datetime(published, utc=True),
                              "title": [f"h{i}" for i in range(1, 13)]})
    bars = rub_bars()
    result = event_study(headlines, bars, "1d", window=5, placebo_draws=100, seed=2)
    # kept: 2016-02-01, 2022-08-15 and 2023-04-20, far enough from every tick
    assert (result.n_events, result.n_dropped_flagged, result.n_dropped_edges) == (3, 9, 0)
    assert result.events["first_headline_id"].tolist() == [4, 9, 12]
    moves = result.events[move_columns(5)].to_numpy()
    assert np.abs(moves).max() < 0.2 and np.abs(result.mean_path).max() < 0.1
    assert np.isfinite(result.placebo_band_high).all() and np.abs(result.placebo_band_high).max() < 0.1
    expected = one_at_a_time(headlines, bars, 5)
    check_against_the_plain_way(result, expected, 5)
    raw = event_study(headlines, bars.assign(bad=False), "1d", window=5, placebo_draws=0)
    assert raw.n_events == 12 and np.abs(raw.events[move_columns(5)].to_numpy()).max() > 4.6


def test_brent_against_world_headlines_with_spacing():
    raw = pd.read_csv(SHARED_DATA / "world-headlines-rss-2026-05-to-08.csv")
    headlines = pd.DataFrame({"id": range(1, len(raw) + 1), "title": raw["title"],
                              "published": pd.to_datetime(raw["pub_date_utc"], utc=True, format="ISO8601")})
    headlines = headlines[headlines["title"].str.contains(r"\boil\b", case=False, na=False)]
    bars = brent_bars()
    result = event_study(headlines, bars, "1d", window=5, placebo_draws=0)
    expected = one_at_a_time(headlines, bars, 5)
    check_against_the_plain_way(result, expected, 5)
    # headlines after Brent's last bar (2026-08-18) land on it and are left out at the edge
    assert result.events["bar_time"].max() <= pd.Timestamp("2026-08-11", tz="UTC")
    spaced = event_study(headlines, bars, "1d", window=5, spacing=11, placebo_draws=0)
    kept, last = [], None
    for i in expected["bars"]:
        if last is None or i - last >= 11:
            kept.append(i)
            last = i
    assert spaced.n_events == len(kept) and spaced.n_dropped_spacing == len(expected["bars"]) - len(kept)
    assert (np.diff(bars.index[bars["ts"].isin(spaced.events["bar_time"])]) >= 11).all()


# -- no model, the spacing rule: the study as it was before models ----------------------------------

# Computed with the event study before models, estimation windows and episodes (commit 34a9075),
# placebo off: (N, dropped for spacing, flagged, edges, t at +1, t at +W, mean path k = -W .. +W).
BEFORE_MODELS = {
    'world_hormuz_w3_s0': (70, 0, 0, 3, -0.4467891977647138, -0.8710134374931489, [
        0.009171580997175357, 0.007217927072129524, 0.0033296493800720178, 0.0, -0.002150136933414767,
        -0.005458444443368154, -0.008044663270160792
    ]),
    'world_iran_w10_s0': (65, 0, 0, 10, -0.591062138232659, -1.551425845041732, [
        0.02715017512309684, 0.028675118246003623, 0.029655461478087102, 0.030224502863520502, 0.02670600561898072,
        0.02292398250929727, 0.01523388441255032, 0.011961383786302312, 0.008499300720237402, 0.005739537302034151,
        0.0, -0.0030140272077518603, -0.004609827595483992, -0.009426720988544145, -0.010444485739126614,
        -0.014436278335227771, -0.018890491268833916, -0.023035661975411802, -0.029067742537460348,
        -0.02876647074500316, -0.02862607624644079
    ]),
    'world_oil_w5_s11': (8, 58, 0, 5, -1.5868387523997822, -1.175626005529588, [
        -0.009210018673175169, -0.0063498559400592125, 0.0035572205628647824, 0.005930105444846179,
        -0.0042451287632145895, 0.0, -0.021917569128057313, -0.02633642401245173, -0.036506876326370286,
        -0.0265787877856567, -0.039370242137333755
    ]),
    'bbc_oil_w5_s3': (31, 2, 0, 0, -0.9553840806690327, -1.8752372318047423, [
        -0.014351467844737132, -0.013260540632233775, -0.011108477359869228, -0.004136151087188326,
        -0.002644675165858194, 0.0, -0.005064512714641167, -0.004819634084942008, -0.01467280393023824,
        -0.01611240757854247, -0.017908062718429447
    ]),
    'bbc_russia_rub_w5_s2': (24, 0, 14, 0, -0.3009204098230307, -1.5564975420871225, [
        0.029318996146236898, 0.02500118704275241, 0.016118951209374493, 0.015540294372633157, 0.008958382582291202,
        0.0, -0.0017962791108460847, -0.006516074453380538, -0.009000720729887668, -0.010955008792924178,
        -0.016228068720414563
    ]),
}


def world_headlines(pattern: str) -> pd.DataFrame:
    raw = pd.read_csv(SHARED_DATA / "world-headlines-rss-2026-05-to-08.csv")
    headlines = pd.DataFrame({"id": range(1, len(raw) + 1), "title": raw["title"],
                              "published": pd.to_datetime(raw["pub_date_utc"], utc=True, format="ISO8601")})
    return headlines[headlines["title"].str.contains(pattern, case=False, na=False)]


@pytest.mark.parametrize("name", list(BEFORE_MODELS))
def test_the_raw_model_with_spacing_gives_exactly_the_figures_from_before_models(name):
    headlines, bars, window, spacing = {
        "world_hormuz_w3_s0": (lambda: world_headlines(r"\bhormuz\b"), brent_bars, 3, 0),
        "world_iran_w10_s0": (lambda: world_headlines(r"\biran\b"), brent_bars, 10, 0),
        "world_oil_w5_s11": (lambda: world_headlines(r"\boil\b"), brent_bars, 5, 11),
        "bbc_oil_w5_s3": (lambda: bbc_headlines(r"\boil\b"), brent_bars, 5, 3),
        "bbc_russia_rub_w5_s2": (lambda: bbc_headlines(r"\b(?:russia\w*|rouble|ruble)\b"), rub_bars, 5, 2),
    }[name]
    result = event_study(headlines(), bars(), "1d", window=window, spacing=spacing, placebo_draws=0, model="raw",
                         overlap="spacing")
    n, spaced, flagged, edges, t_1, t_w, path = BEFORE_MODELS[name]
    assert (result.n_events, result.n_dropped_spacing, result.n_dropped_flagged, result.n_dropped_edges) == \
        (n, spaced, flagged, edges)
    assert (result.t_1, result.t_w) == (t_1, t_w)                      # exactly: the same floats
    moves = np.ascontiguousarray(result.events[move_columns(window)].to_numpy())    # the events' raw moves
    assert result.mean_path.tolist() == path and moves.mean(axis=0).tolist() == path
    assert result.n_skipped == {"benchmark": 0, "history": 0, "history_flagged": 0, "flat": 0}
