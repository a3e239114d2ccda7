"""dashboard.analysis.alignment, the one rule every figure is aligned by: KnownBars (last_known, within,
clean), known_bars, headline_moments; then the same hand-made bars through every analysis — a
flagged tick, provisional bars, a headline dated to the day only — so moves, the event study,
largest moves and intensity are seen to follow the same rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.alignment import NAT, KnownBars, day_only, headline_moments, known_bars
from dashboard.analysis.bar_moves import bar_moves
from dashboard.analysis.event_align import group_headlines
from dashboard.analysis.event_study import event_study
from dashboard.analysis.intensity import intensity_vs_volatility
from dashboard.analysis.largest_moves import largest_moves
from dashboard.analysis.moves import moves_after, moves_for_one
from ingest.bar_quality import bad_mask, flag_bars
from ingest.close_rules import parse_rule

NAN = float("nan")
H = 3_600 * 10**9
D = 24 * H


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def ns(text: str) -> int:
    return t(text).value


# -- KnownBars ----------------------------------------------------------------------------------

def hand_bars() -> KnownBars:
    """Five bars; known at 10, 20, 20, 30, 40 (two closes known at the same moment); bar 3 bad."""
    return KnownBars(ts=np.array([0, 1, 2, 3, 4], dtype=np.int64), known=np.array([10, 20, 20, 30, 40], dtype=np.int64),
                     close=np.array([1.0, 2.0, 3.0, 4.0, 5.0]), bad=np.array([False, False, False, True, False]))


def test_last_known_is_the_last_bar_known_at_or_before_each_moment():
    bars = hand_bars()
    moments = np.array([9, 10, 19, 20, 25, 30, 40, 99], dtype=np.int64)
    # at 20 both bars known at 20 are known: the later one (2) is the price
    assert bars.last_known(moments).tolist() == [-1, 0, 0, 2, 2, 3, 4, 4]
    assert bars.within(moments).tolist() == [False, True, True, True, True, True, True, False]
    assert len(bars) == 5
    empty = KnownBars(*(np.empty(0, dtype=np.int64) for _ in range(2)), np.empty(0), np.empty(0, dtype=bool))
    assert empty.last_known(moments).tolist() == [-1] * 8
    assert empty.within(moments).tolist() == [False] * 8


def test_clean_says_whether_a_span_of_bars_holds_no_bad_bar():
    bars = hand_bars()
    first = np.array([0, 0, 2, 3, 4, 4, -1, 2, 3])
    last = np.array([2, 3, 3, 3, 4, 5, 1, 1, 7])
    # spans: 0-2 clean; 0-3 and 2-3 and 3-3 hold bar 3; 4-4 clean; 4-5 and 3-7 run past the last
    # bar (not clean: there is no such bar); -1 before the first; 2-1 is no span
    assert bars.clean(first, last).tolist() == [True, False, False, False, True, False, False, False, False]


def test_clean_past_the_last_bar_is_not_clean_and_does_not_raise():
    """Regression: the event study asked whether the window of every bar was clean, also of the
    last bars whose window runs past the data, and clean() indexed past its array (IndexError):
    every event study with a placebo failed."""
    bars = KnownBars(np.arange(6, dtype=np.int64), np.arange(6, dtype=np.int64) + 1, np.ones(6), np.zeros(6, bool))
    centre = np.arange(6)
    assert bars.clean(centre - 2, centre + 2).tolist() == [False, False, True, True, False, False]


def bars_of(rows: list[tuple[str, str | None, float]], **extra) -> pd.DataFrame:
    """(ts, known or None, close) rows as a bars frame (tz-aware, NaT for None)."""
    return pd.DataFrame({"ts": pd.to_datetime([r[0] for r in rows], utc=True),
                         "known": pd.to_datetime([r[1] for r in rows], utc=True),
                         "close": [r[2] for r in rows], **extra})


def test_known_bars_sorts_keeps_the_last_duplicate_and_leaves_out_provisional_and_empty_bars():
    frame = bars_of([("2024-01-03", "2024-01-03 19:30", 3.0),
                     ("2024-01-01", "2024-01-01 19:30", 1.0),
                     ("2024-01-02", "2024-01-02 19:30", 2.0),
                     ("2024-01-02", "2024-01-02 19:30", 2.5),     # same stamp, later row: counts
                     ("2024-01-04", None, 4.0),                   # provisional: left out
                     ("2024-01-05", "2024-01-05 19:30", NAN)],    # no close: left out
                    bad=[None, False, True, False, False, False])
    series = known_bars(frame)
    assert series.ts.tolist() == [ns("2024-01-01"), ns("2024-01-02"), ns("2024-01-03")]
    assert series.known.tolist() == [ns("2024-01-01 19:30"), ns("2024-01-02 19:30"), ns("2024-01-03 19:30")]
    assert series.close.tolist() == [1.0, 2.5, 3.0]
    assert series.bad.tolist() == [False, False, False]         # the bad duplicate lost; None is not bad
    without_bad = known_bars(frame.drop(columns="bad"))
    assert without_bad.bad.dtype == bool and not without_bad.bad.any()


def test_known_times_are_made_non_decreasing_in_bar_order():
    # bar 01-02's close stored as known before 01-01's: taken as known with 01-01's
    series = known_bars(bars_of([("2024-01-01", "2024-01-02 10:00", 1.0), ("2024-01-02", "2024-01-02 09:00", 2.0),
                                 ("2024-01-03", "2024-01-03 09:00", 3.0)]))
    assert series.known.tolist() == [ns("2024-01-02 10:00"), ns("2024-01-02 10:00"), ns("2024-01-03 09:00")]
    assert series.last_known(np.array([ns("2024-01-02 09:30")])).tolist() == [-1]


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="known"), "prices frame lacks column(s) known"),
    (lambda f: f.drop(columns=["ts", "close"]), "prices frame lacks column(s) ts, close"),
    (lambda f: f.assign(known=f["known"].dt.tz_localize(None)), "prices.known must be tz-aware"),
    (lambda f: f.assign(ts=f["ts"].dt.tz_localize(None)), "prices.ts must be tz-aware"),
])
def test_known_bars_refuses_missing_columns_and_naive_times(change, message):
    with pytest.raises(ValueError) as info:
        known_bars(change(bars_of([("2024-01-01", "2024-01-02", 1.0)])), "prices")
    assert message in str(info.value)


def test_headline_moments_put_a_date_alone_at_the_end_of_its_utc_day():
    frame = pd.DataFrame({"published": pd.to_datetime(["2024-01-03 00:00", "2024-01-03 00:00", "2024-01-03 17:45",
                                                       None, "2024-01-03 23:59:59"], utc=True, format="ISO8601"),
                          "day_precision": [True, False, None, True, True]})
    assert headline_moments(frame).tolist() == [ns("2024-01-04"), ns("2024-01-03"), ns("2024-01-03 17:45"), NAT,
                                                ns("2024-01-04")]
    assert day_only(frame).tolist() == [True, False, False, True, True]
    plain = frame.drop(columns="day_precision")
    assert headline_moments(plain).tolist()[:3] == [ns("2024-01-03"), ns("2024-01-03"), ns("2024-01-03 17:45")]
    assert day_only(plain).tolist() == [False] * 5
    # a zone other than UTC: the UTC day counts (2024-01-03 01:00 in Moscow is 01-02 22:00 UTC)
    moscow = pd.DataFrame({"published": [pd.Timestamp("2024-01-03 01:00", tz="Europe/Moscow")], "day_precision": True})
    assert headline_moments(moscow).tolist() == [ns("2024-01-03")]
    with pytest.raises(ValueError, match="news frame lacks column published"):
        headline_moments(pd.DataFrame({"time": []}), "news")


# -- one rule for every figure: a flagged tick --------------------------------------------------

# Fifteen daily bars Monday 2024-01-01 .. Monday 01-15 (every day, to keep the arithmetic plain),
# each known at the end of its UTC day ("24:00 UTC": known = ts + 1 day). Bar 7 (Monday 01-08) is
# a bad tick: 0.7 among closes near 105, flagged `jump` by ingest.bar_quality.
TICK_CLOSES = [100.0, 101.0, 103.0, 102.0, 105.0, 104.0, 106.0, 0.7, 107.0, 108.0, 106.0, 109.0, 110.0, 111.0,
               112.0]
TICK = 7


def tick_bars() -> pd.DataFrame:
    ts = pd.Series(pd.date_range("2024-01-01", periods=len(TICK_CLOSES), freq="D", tz="UTC"))
    close = pd.Series(TICK_CLOSES)
    frame = pd.DataFrame({"instrument_id": "x", "interval": "1d", "ts": ts,
                          "known": parse_rule("24:00 UTC").known(ts), "open": close, "high": close, "low": close,
                          "close": close})
    frame["bad"] = bad_mask(flag_bars(frame))
    return frame


def headlines(*rows: tuple[int, str], day_precision: list[bool] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"id": [r[0] for r in rows], "published": pd.to_datetime([r[1] for r in rows], utc=True),
                          "title": [f"h{r[0]}" for r in rows], "source": "wire", "topics": ""})
    if day_precision is not None:
        frame["day_precision"] = day_precision
    return frame


def test_the_tick_is_flagged_and_known_at_the_end_of_its_day():
    bars = tick_bars()
    assert np.flatnonzero(bars["bad"]).tolist() == [TICK]
    assert bars["known"].iloc[TICK] == t("2024-01-09")


def test_moves_across_a_flagged_tick_are_empty_with_why_flagged_bar():
    news = headlines((1, "2024-01-07 12:00"),    # from 01-06 (104) to 01-07 (106): clean
                     (2, "2024-01-08 12:00"),    # from 01-07 (106) to the tick (known 01-09 00:00)
                     (3, "2024-01-09 00:00"),    # the tick's close known at that moment: from the tick
                     (4, "2024-01-09 12:00"),    # from the tick to 01-09 (107)
                     (5, "2024-01-10 12:00"))    # from 01-09 (107) to 01-10 (108): clean again
    moves = moves_after(news, tick_bars(), {"1d": pd.Timedelta(days=1)}, reasons=True)
    assert moves["move_x_1d"].tolist()[0] == (106.0 - 104.0) / 104.0 * 100.0
    assert np.isnan(moves["move_x_1d"].tolist()[1:4]).all()
    assert moves["move_x_1d"].tolist()[4] == (108.0 - 107.0) / 107.0 * 100.0
    assert moves["why_x_1d"].tolist() == [None, "flagged bar", "flagged bar", "flagged bar", None]
    # two days across the tick: from 01-07 (106) to 01-09 (107) passes through it
    two = moves_after(news.iloc[[1]], tick_bars(), {"2d": pd.Timedelta(days=2)}, reasons=True)
    assert np.isnan(two["move_x_2d"].iat[0]) and two["why_x_2d"].iat[0] == "flagged bar"
    # without the flag the same moves exist (the tick is what empties them)
    raw = moves_after(news, tick_bars().assign(bad=False), {"1d": pd.Timedelta(days=1)})
    assert raw["move_x_1d"].tolist()[1] == (0.7 - 106.0) / 106.0 * 100.0
    assert moves_for_one(t("2024-01-08 12:00"), tick_bars(), {"1d": pd.Timedelta(days=1)}) == [
        {"instrument_id": "x", "horizon": "1d", "from_interval": None, "from_ts": None, "from_known": None,
         "from_close": None, "to_interval": None, "to_ts": None, "to_known": None, "to_close": None, "pct": None,
         "why": "flagged bar"}]


def test_event_study_drops_the_event_whose_window_holds_the_tick():
    # events on bars 3 (window 1..5), 6 (window 4..8: holds the tick) and 11 (window 9..13)
    news = headlines((1, "2024-01-05 10:00"), (2, "2024-01-08 10:00"), (3, "2024-01-13 10:00"))
    result = event_study(news, tick_bars(), "1d", window=2, placebo_draws=0)
    assert (result.n_events, result.n_dropped_flagged, result.n_dropped_edges, result.n_dropped_spacing) == (2, 1, 0, 0)
    assert result.events["bar_time"].tolist() == [t("2024-01-04"), t("2024-01-12")]
    assert result.events["first_headline_id"].tolist() == [1, 3]
    # sd_1 over the one-bar returns touching no bad bar: 14 returns less the two into and out of the tick
    logs = [math.log(c) for c in TICK_CLOSES]
    clean = [logs[i + 1] - logs[i] for i in range(len(logs) - 1) if TICK not in (i, i + 1)]
    assert len(clean) == 12
    assert result.sd_1 == pytest.approx(float(np.std(clean, ddof=1)), rel=1e-12)
    # without the flag, the event is used and the tick dominates its path
    raw = event_study(news, tick_bars().assign(bad=False), "1d", window=2, placebo_draws=0)
    assert raw.n_events == 3 and raw.events["k+1"].iloc[1] == pytest.approx(math.log(0.7 / 106.0), rel=1e-13)


def test_placebo_never_draws_a_window_holding_the_tick():
    bars = tick_bars()
    series = known_bars(bars)
    log_close = np.where(series.bad, np.nan, np.log(series.close))     # a drawn tick would spread NaN
    centre = np.arange(len(series))
    usable = series.clean(centre - 2, centre + 2)
    # bars 2..12 have a full window; 5..9 hold the tick
    assert np.flatnonzero(usable).tolist() == [2, 3, 4, 10, 11, 12]
    result = event_study(headlines((1, "2024-01-05 10:00"), (3, "2024-01-13 10:00")), bars, "1d", window=2,
                         placebo_draws=300, seed=1)
    assert np.isfinite(result.placebo_band_low).all() and np.isfinite(result.placebo_band_high).all()
    assert np.isfinite(result.placebo_p)
    # the events on bars 3 and 11; the pool: the usable bars from the first to the last aligned
    # bar, 3, 4, 10, 11; its three shifts (all offsets) move the events (pool rows 0 and 3) to bars
    # (4, 3), (10, 4), (11, 10): every draw a mean of two usable bars' paths, none through the tick
    assert (result.placebo_pool, result.placebo_draws) == (4, 3)
    path = {b: np.array([log_close[b + k] - log_close[b] for k in range(-2, 3)]) for b in (3, 4, 10, 11)}
    draws = np.array([(path[a] + path[b]) / 2 for a, b in ((4, 3), (10, 4), (11, 10))])
    assert np.isfinite(draws).all()
    low, high = np.quantile(draws, [0.025, 0.975], axis=0)
    assert np.allclose(result.placebo_band_low, low, rtol=1e-12, atol=1e-15)
    assert np.allclose(result.placebo_band_high, high, rtol=1e-12, atol=1e-15)
    observed = (abs(path[3][-1]) + abs(path[11][-1])) / 2
    larger = sum(abs(path[a][-1]) + abs(path[b][-1]) >= 2 * observed * (1 - 1e-12)
                 for a, b in ((4, 3), (10, 4), (11, 10)))
    assert result.placebo_p == (1 + larger) / 4


def test_largest_moves_never_list_a_move_into_or_out_of_the_tick():
    moves = bar_moves(tick_bars(), "1d")
    assert moves.columns.tolist() == ["ts", "known", "prev_close", "close", "log_return"]
    assert moves["log_return"].isna().tolist() == [True] + [False] * 6 + [True, True] + [False] * 6
    out = largest_moves(tick_bars(), headlines((1, "2024-01-08 12:00")), "1d", n=20)
    ranked = out.drop_duplicates("rank")
    assert len(ranked) == 12                                   # 14 moves less the two touching the tick
    assert t("2024-01-08") not in ranked["ts"].tolist() and t("2024-01-09") not in ranked["ts"].tolist()
    # the largest: 01-04 → 01-05, 102 → 105
    assert (ranked["ts"].iat[0], ranked["log_return"].iat[0]) == (t("2024-01-05"), math.log(105.0 / 102.0))
    # without the flag the two moves touching the tick are the largest by far (out of it: 107 / 0.7)
    raw = largest_moves(tick_bars().assign(bad=False), headlines((1, "2024-01-08 12:00")), "1d", n=2)
    assert raw["ts"].tolist() == [t("2024-01-09"), t("2024-01-08")]
    assert raw["log_return"].tolist() == [math.log(107.0 / 0.7), math.log(0.7 / 106.0)]
    assert pd.isna(raw["headline_id"].iat[0]) and raw["headline_id"].iat[1] == 1


def test_intensity_leaves_out_the_bucket_returns_that_cross_the_tick():
    news = headlines((1, "2024-01-08 12:00"), (2, "2024-01-09 12:00"), (3, "2024-01-10 12:00"))
    result = intensity_vs_volatility(news, tick_bars(), "1d", max_lag=1)
    assert result.n_flagged == 2 and result.n == 12
    buckets = result.aligned["bucket"].tolist()
    assert t("2024-01-08") not in buckets and t("2024-01-09") not in buckets
    assert buckets[6] == t("2024-01-10")
    assert result.aligned["abs_return"].iat[6] == abs(math.log(108.0 / 107.0))
    assert result.aligned["headlines"].sum() == 1           # the headlines of 01-08 and 01-09 count on left-out buckets


def test_a_bad_hourly_bar_inside_a_day_leaves_out_that_day_only():
    # hourly bars of two days; 01-02 10:00 is bad (not the day's last bar): the return of 01-02
    # (from 01-01's last close to 01-02's) crosses it; 01-03's starts at 01-02's last close, clean
    ts = pd.Series(pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-02 09:00", "2024-01-02 10:00",
                                   "2024-01-02 11:00", "2024-01-03 09:00", "2024-01-04 09:00"], utc=True))
    bars = pd.DataFrame({"ts": ts, "known": ts + pd.Timedelta(hours=1), "close": [50.0, 51.0, 52.0, 5.0, 53.0, 54.0,
                                                                                  52.0],
                         "bad": [False, False, False, True, False, False, False]})
    result = intensity_vs_volatility(headlines((1, "2024-01-02 12:00")), bars, "1d", max_lag=0, interval="1h")
    assert result.n_flagged == 1
    assert result.aligned["bucket"].tolist() == [t("2024-01-03"), t("2024-01-04")]
    assert result.aligned["abs_return"].tolist() == [abs(math.log(54.0 / 53.0)), abs(math.log(52.0 / 54.0))]
    assert result.aligned["headlines"].tolist() == [1, 0]


# -- provisional bars ---------------------------------------------------------------------------

def test_provisional_bars_are_left_out_everywhere():
    # the tick series without its flag, and bar 7 provisional (its close stored before it became
    # known: known NaT) — as if not stored; plus a provisional last bar with a huge close
    bars = tick_bars().assign(bad=False)
    bars.loc[TICK, "known"] = pd.NaT
    bars.loc[len(bars)] = {**bars.iloc[-1].to_dict(), "ts": t("2024-01-16"), "known": pd.NaT, "close": 1000.0}
    series = known_bars(bars)
    assert len(series) == 14 and t("2024-01-08").value not in series.ts.tolist()
    # moves: a headline on 01-08 goes from 01-07 (106) to 01-09 (107) over 2 days; one after the
    # last known close (01-15's, known 01-16 00:00) is "not known yet", the provisional close unused
    news = headlines((1, "2024-01-08 12:00"), (2, "2024-01-16 12:00"))
    moves = moves_after(news, bars, {"2d": pd.Timedelta(days=2)}, reasons=True)
    assert moves["move_x_2d"].iat[0] == (107.0 - 106.0) / 106.0 * 100.0
    assert np.isnan(moves["move_x_2d"].iat[1]) and moves["why_x_2d"].iat[1] == "not known yet"
    # the event study: bars 6 and 8 are one bar apart
    study = event_study(headlines((1, "2024-01-08 12:00")), bars, "1d", window=1, placebo_draws=0)
    assert study.events["bar_time"].tolist() == [t("2024-01-07")]
    assert study.events["k+1"].iat[0] == pytest.approx(math.log(107.0 / 106.0), rel=1e-14)
    # largest moves: the provisional 1000 is no move; 01-07 → 01-09 is one
    moves = bar_moves(bars, "1d")
    assert len(moves) == 14 and moves["close"].max() == 112.0
    assert moves.loc[moves["ts"] == t("2024-01-09"), "prev_close"].item() == 106.0
    # intensity: no bucket for either
    buckets = intensity_vs_volatility(news, bars, "1d").aligned["bucket"].tolist()
    assert len(buckets) == 13 and t("2024-01-08") not in buckets and t("2024-01-16") not in buckets


# -- a headline dated to the day only -----------------------------------------------------------

def test_a_date_alone_is_aligned_at_the_end_of_its_day_in_every_figure():
    # headline 1 is dated 2024-01-03 only; headline 2 is the same stamp with its time known
    # (00:00). Bar 01-03's close is known at 01-04 00:00.
    bars = tick_bars().assign(bad=False).iloc[:7]
    news = headlines((1, "2024-01-03 00:00"), (2, "2024-01-03 00:00"), day_precision=[True, False])
    moves = moves_after(news, bars, {"1d": pd.Timedelta(days=1)})
    # 1: from 01-03 (103, known at the end of its day) to 01-04 (102); 2: from 01-02 (101) to 01-03
    assert moves["move_x_1d"].tolist() == [(102.0 - 103.0) / 103.0 * 100.0, (103.0 - 101.0) / 101.0 * 100.0]
    detail = moves_for_one(t("2024-01-03"), bars, {"1d": pd.Timedelta(days=1)}, day_precision=True)
    assert (detail[0]["from_ts"], detail[0]["from_known"]) == (t("2024-01-03"), t("2024-01-04"))
    # the event study: on bar 01-03 (index 2) and on bar 01-02 (index 1)
    assert group_headlines(headline_moments(news.iloc[[0]]), known_bars(bars)).bar.tolist() == [2]
    assert group_headlines(headline_moments(news.iloc[[1]]), known_bars(bars)).bar.tolist() == [1]
    study = event_study(news.iloc[[0]], bars, "1d", window=1, placebo_draws=0)
    assert study.events["bar_time"].tolist() == [t("2024-01-03")]
    assert study.events["event_time"].tolist() == [t("2024-01-03")]     # shown as dated
    # largest moves: in the window of the move known at 01-05 00:00 (01-04's), not of 01-03's
    out = largest_moves(bars, news.iloc[[0]], "1d", n=6)
    assert out.loc[out["headline_id"].notna(), "ts"].tolist() == [t("2024-01-04")]
    assert out.loc[out["headline_id"].notna(), "published"].tolist() == [t("2024-01-03")]
    timed = largest_moves(bars, news.iloc[[1]], "1d", n=6)
    assert timed.loc[timed["headline_id"].notna(), "ts"].tolist() == [t("2024-01-03")]
    # intensity: daily buckets count it on 01-04; hourly buckets leave it out (n_day_only)
    daily = intensity_vs_volatility(news, bars, "1d", max_lag=0)
    assert daily.aligned.set_index("bucket")["headlines"].to_dict() == {
        t("2024-01-02"): 0, t("2024-01-03"): 1, t("2024-01-04"): 1, t("2024-01-05"): 0, t("2024-01-06"): 0,
        t("2024-01-07"): 0}
    assert daily.n_day_only == 0
    hours = pd.Series(pd.date_range("2024-01-02 20:00", periods=8, freq="h", tz="UTC"))
    hourly_bars = pd.DataFrame({"ts": hours, "known": hours + pd.Timedelta(hours=1),
                                "close": [50.0, 51.0, 52.0, 51.0, 53.0, 54.0, 55.0, 52.0]})
    hourly = intensity_vs_volatility(news, hourly_bars, "1h", max_lag=0)
    assert hourly.n_day_only == 1
    assert hourly.aligned["headlines"].sum() == 1      # the timed one (00:00 → the 00:00 bucket, known 01:00)
    assert hourly.aligned.set_index("bucket")["headlines"][t("2024-01-03")] == 1
