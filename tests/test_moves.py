"""dashboard.moves: exact moves on hand-made bars, the bar choice rules, and one real case."""

from __future__ import annotations

import csv
import math
from datetime import timedelta
from email.utils import parsedate_to_datetime

import numpy as np
import pandas as pd
import pytest

from dashboard.moves import moves_after, moves_for_one
from tests.conftest import SHARED_DATA

NAN = float("nan")


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def bars_frame(rows: list[tuple[str, str, str, float]], unit: str = "s") -> pd.DataFrame:
    """(instrument_id, interval, UTC time, close) rows as a bars frame (ts in `unit`, like the store)."""
    frame = pd.DataFrame(rows, columns=["instrument_id", "interval", "ts", "close"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601").dt.as_unit(unit)
    return frame


def headlines_frame(rows: list[tuple[int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "published"])
    frame["published"] = pd.to_datetime(frame["published"], utc=True, format="ISO8601")
    return frame


def assert_same(actual: pd.Series, expected: list[float]) -> None:
    """Exact float equality, NaN matching NaN."""
    values = actual.tolist()
    assert len(values) == len(expected), values
    for got, want in zip(values, expected, strict=True):
        assert (math.isnan(got) and math.isnan(want)) or got == want, (values, expected)


# Daily bars (00:00 UTC, carrying that day's close); 2022-03-04 is a Friday, 03-07 a Monday.
DAILY = [
    ("brent", "1d", "2022-03-01", 80.0),
    ("brent", "1d", "2022-03-02", 100.0),
    ("brent", "1d", "2022-03-03", 90.0),
    ("brent", "1d", "2022-03-04", 72.0),
    ("brent", "1d", "2022-03-07", 108.0),
    ("brent", "1d", "2022-03-08", 54.0),
]


def test_daily_moves_exact_values_in_headline_order():
    headlines = headlines_frame([
        (6, "2022-03-06T10:00:00Z"),   # Sunday: from Friday's close, a day later Monday's bar
        (1, "2022-02-28T12:00:00Z"),   # before the first bar
        (2, "2022-03-01T00:00:00Z"),   # exactly at a bar
        (3, "2022-03-01T15:30:00Z"),   # between bars
        (4, "2022-03-02T23:30:00Z"),   # the hour crosses into the next day's bar
        (5, "2022-03-04T10:00:00Z"),   # Friday: a day later is Saturday, still Friday's close
        (7, "2022-03-07T10:00:00Z"),   # a day later is after the last bar: not known yet
        (8, "2022-03-07T00:00:00Z"),   # a day later is exactly the last bar
        (9, "2022-03-08T05:00:00Z"),   # after the last bar: nothing known
        (10, "2022-03-08T00:00:00Z"),  # at the last bar: later moments not known yet
    ])
    moves = moves_after(headlines, bars_frame(DAILY))
    assert list(moves.columns) == ["id", "move_brent_1h", "move_brent_1d"]
    assert moves["id"].tolist() == [6, 1, 2, 3, 4, 5, 7, 8, 9, 10]
    assert moves.index.tolist() == list(range(10))
    assert_same(moves["move_brent_1h"], [0.0, NAN, 0.0, 0.0, -10.0, 0.0, 0.0, 0.0, NAN, NAN])
    # 1d: consecutive closes around the headline (03-01 → 03-02: +25 %, 03-02 → 03-03: −10 %).
    assert_same(moves["move_brent_1d"], [50.0, NAN, 25.0, 25.0, -10.0, 0.0, NAN, -50.0, NAN, NAN])
    assert moves["move_brent_1d"].dtype == np.float64


def test_hourly_bars_preferred_when_they_cover_both_moments():
    bars = bars_frame([
        ("usd", "1d", "2022-03-01", 80.0),
        ("usd", "1d", "2022-03-02", 100.0),
        ("usd", "1d", "2022-03-03", 90.0),
        ("usd", "1h", "2022-03-01T10:00", 64.0),
        ("usd", "1h", "2022-03-01T11:00", 72.0),
        ("usd", "1h", "2022-03-01T12:00", 96.0),
        ("usd", "1h", "2022-03-01T13:00", 48.0),
    ])
    headlines = headlines_frame([
        (1, "2022-03-01T10:30:00Z"),   # 1h: hourly 64 → 72; 1d: beyond the hourly bars → daily 80 → 100
        (2, "2022-03-01T12:00:00Z"),   # 1h ends exactly at the last hourly bar: hourly 96 → 48
        (3, "2022-03-01T12:30:00Z"),   # 1h ends after the last hourly bar → daily 80 → 80
        (4, "2022-03-01T09:30:00Z"),   # before the first hourly bar → daily
    ])
    moves = moves_after(headlines, bars)
    assert_same(moves["move_usd_1h"], [12.5, -50.0, 0.0, 0.0])
    assert_same(moves["move_usd_1d"], [25.0, 25.0, 25.0, 25.0])


def test_only_hourly_bars_and_instrument_order_and_custom_horizons():
    bars = bars_frame([
        ("eur", "1h", "2022-03-01T10:00", 64.0),
        ("eur", "1h", "2022-03-01T14:00", 80.0),
        ("brent", "1d", "2022-03-01", 80.0),
        ("brent", "1d", "2022-03-02", 100.0),
        ("brent", "1d", "2022-03-03", 90.0),
    ])
    headlines = headlines_frame([(1, "2022-03-01T10:00:00Z"), (2, "2022-03-01T11:00:00Z")])
    moves = moves_after(headlines, bars, {"4h": timedelta(hours=4), "1d": timedelta(days=1)})
    assert list(moves.columns) == ["id", "move_eur_4h", "move_eur_1d", "move_brent_4h", "move_brent_1d"]
    assert_same(moves["move_eur_4h"], [25.0, NAN])      # 11:00 + 4h is after the last hourly bar
    assert_same(moves["move_eur_1d"], [NAN, NAN])       # no daily bars to fall back on
    assert_same(moves["move_brent_4h"], [0.0, 0.0])
    assert_same(moves["move_brent_1d"], [25.0, 25.0])


def test_units_and_zones_do_not_matter_and_missing_closes_are_skipped():
    bars = bars_frame(DAILY + [("brent", "1d", "2022-03-05", NAN)], unit="ns")
    bars = bars.sample(frac=1.0, random_state=3).reset_index(drop=True)   # unsorted input
    headlines = headlines_frame([(3, "2022-03-01T15:30:00Z"), (5, "2022-03-04T10:00:00Z")])
    headlines["published"] = headlines["published"].dt.tz_convert("Europe/Moscow").dt.as_unit("us")
    moves = moves_after(headlines, bars)
    assert_same(moves["move_brent_1d"], [25.0, 0.0])


def test_starting_close_zero_or_negative_gives_nan_and_nat_headline_gives_nan():
    bars = bars_frame([("wti", "1d", "2020-04-20", -36.98), ("wti", "1d", "2020-04-21", 8.91),
                       ("wti", "1d", "2020-04-22", 13.64), ("wti", "1d", "2020-04-23", 16.94)])
    headlines = headlines_frame([(1, "2020-04-20T12:00:00Z"), (2, "2020-04-21T12:00:00Z")])
    headlines.loc[2] = [3, pd.NaT]
    moves = moves_after(headlines, bars)
    assert_same(moves["move_wti_1d"], [NAN, (13.64 - 8.91) / 8.91 * 100.0, NAN])
    assert moves["id"].tolist() == [1, 2, 3]


def test_empty_inputs():
    empty = headlines_frame([])
    moves = moves_after(empty, bars_frame(DAILY))
    assert list(moves.columns) == ["id", "move_brent_1h", "move_brent_1d"] and len(moves) == 0
    moves = moves_after(headlines_frame([(1, "2022-03-01T00:00:00Z")]), bars_frame([]))
    assert list(moves.columns) == ["id"] and moves["id"].tolist() == [1]


def test_moves_for_one_names_the_bars_used():
    bars = bars_frame([
        ("usd", "1d", "2022-03-01", 80.0),
        ("usd", "1d", "2022-03-02", 100.0),
        ("usd", "1h", "2022-03-01T10:00", 64.0),
        ("usd", "1h", "2022-03-01T11:00", 72.0),
        ("usd", "1h", "2022-03-01T12:00", 96.0),
        ("usd", "1d", "2022-03-03", 90.0),
        ("brent", "1d", "2022-03-01", 80.0),
    ])
    detail = moves_for_one(pd.Timestamp("2022-03-01T13:30:00+03:00"), bars)
    assert detail == [
        {"instrument_id": "usd", "horizon": "1h", "interval": "1h",
         "from_ts": ts("2022-03-01T10:00"), "from_close": 64.0,
         "to_ts": ts("2022-03-01T11:00"), "to_close": 72.0, "pct": 12.5},
        {"instrument_id": "usd", "horizon": "1d", "interval": "1d",
         "from_ts": ts("2022-03-01"), "from_close": 80.0,
         "to_ts": ts("2022-03-02"), "to_close": 100.0, "pct": 25.0},
        {"instrument_id": "brent", "horizon": "1h", "interval": "1d",
         "from_ts": None, "from_close": None, "to_ts": None, "to_close": None, "pct": None},
        {"instrument_id": "brent", "horizon": "1d", "interval": "1d",
         "from_ts": None, "from_close": None, "to_ts": None, "to_close": None, "pct": None},
    ]
    # Same numbers as moves_after for the same moment.
    moves = moves_after(headlines_frame([(1, "2022-03-01T10:30:00Z")]), bars)
    assert [moves[f"move_{d['instrument_id']}_{d['horizon']}"].iat[0] for d in detail[:2]] == [12.5, 25.0]


def test_moves_for_one_known_start_unknown_end():
    one_day = {"1d": timedelta(days=1)}
    # After the last bar (03-04): neither price is known yet.
    assert moves_for_one(ts("2022-03-04T10:00"), bars_frame(DAILY[:4]), one_day) == [
        {"instrument_id": "brent", "horizon": "1d", "interval": "1d", "from_ts": None, "from_close": None,
         "to_ts": None, "to_close": None, "pct": None}]
    # The start is known; a day later lies after the last bar.
    assert moves_for_one(ts("2022-03-03T10:00"), bars_frame(DAILY[:4]), one_day) == [
        {"instrument_id": "brent", "horizon": "1d", "interval": "1d", "from_ts": ts("2022-03-03"),
         "from_close": 90.0, "to_ts": None, "to_close": None, "pct": None}]
    # With the next bar stored, the move is known.
    assert moves_for_one(ts("2022-03-03T10:00"), bars_frame(DAILY), one_day) == [
        {"instrument_id": "brent", "horizon": "1d", "interval": "1d", "from_ts": ts("2022-03-03"),
         "from_close": 90.0, "to_ts": ts("2022-03-04"), "to_close": 72.0, "pct": -20.0}]


@pytest.mark.parametrize("make, message", [
    (lambda h, b: moves_after(h.assign(published=h["published"].dt.tz_localize(None)), b),
     "headlines.published must be tz-aware"),
    (lambda h, b: moves_after(h, b.assign(interval="1wk")), "unknown interval"),
    (lambda h, b: moves_after(h, b, {"0h": timedelta(0)}), "horizon '0h' must be a positive timedelta"),
    (lambda h, b: moves_after(h.drop(columns="id"), b), "headlines frame lacks column(s) id"),
    (lambda h, b: moves_after(h, b.drop(columns="close")), "bars frame lacks column(s) close"),
    (lambda h, b: moves_for_one(pd.Timestamp("2022-03-01"), b), "headline_time must be tz-aware"),
])
def test_bad_input_raises_clear_errors(make, message):
    with pytest.raises(ValueError) as info:
        make(headlines_frame([(1, "2022-03-01T00:00:00Z")]), bars_frame(DAILY))
    assert message in str(info.value)


def test_real_brent_move_after_bbc_oil_headline():
    """EIA Brent spot (daily, Date → 00:00 UTC) after the BBC's 'Oil price soars' headline of
    Monday 2022-03-07 08:15:53 UTC: the rule takes the close of the bar stamped 2022-03-07 and,
    a day later (03-08 08:15:53), the close of the bar stamped 2022-03-08."""
    with open(SHARED_DATA / "bbc-business-rss-2022-2024.csv", newline="", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f)
                   if r["title"] == "Ukraine conflict: Oil price soars to highest level since 2008")
    published = pd.Timestamp(parsedate_to_datetime(row["pubDate"])).tz_convert("UTC")
    assert published == ts("2022-03-07T08:15:53")

    with open(SHARED_DATA / "brent-daily.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    dates = [r["Date"] for r in rows]
    monday = dates.index("2022-03-07")
    assert dates[monday + 1] == "2022-03-08"          # consecutive trading days
    from_close, to_close = float(rows[monday]["Price"]), float(rows[monday + 1]["Price"])
    assert (from_close, to_close) == (129.02, 133.18)

    prices = pd.read_csv(SHARED_DATA / "brent-daily.csv")
    bars = pd.DataFrame({"instrument_id": "brent", "interval": "1d",
                         "ts": pd.to_datetime(prices["Date"], utc=True), "close": prices["Price"]})
    moves = moves_after(pd.DataFrame({"id": [42], "published": [published]}), bars)
    assert moves["move_brent_1d"].iat[0] == (to_close - from_close) / from_close * 100.0
    assert moves["move_brent_1h"].iat[0] == 0.0
    assert moves_for_one(published, bars)[1] == {
        "instrument_id": "brent", "horizon": "1d", "interval": "1d",
        "from_ts": ts("2022-03-07"), "from_close": 129.02, "to_ts": ts("2022-03-08"), "to_close": 133.18,
        "pct": (133.18 - 129.02) / 129.02 * 100.0}


def reference_move(published: pd.Timestamp, series: dict[str, list[tuple[pd.Timestamp, float]]],
                   span: timedelta) -> float:
    """The rule written out one headline at a time (no numpy), for comparison."""
    later = published + span

    def price(bars, moment):
        if not bars or not bars[0][0] <= moment <= bars[-1][0]:
            return None
        return [close for t, close in bars if t <= moment][-1]

    hourly, daily = series.get("1h", []), series.get("1d", [])
    covered = hourly and hourly[0][0] <= published and later <= hourly[-1][0]
    chosen = hourly if covered or not daily else daily
    start, end = price(chosen, published), price(chosen, later)
    if start is None or end is None or start <= 0:
        return NAN
    return (end - start) / start * 100.0


def test_matches_a_one_at_a_time_reference_on_random_data():
    rng = np.random.default_rng(7)
    rows = []
    for day in pd.date_range("2022-03-01", periods=40, freq="D", tz="UTC"):
        if day.day_of_week < 5 and rng.random() > 0.1:
            rows.append(("x", "1d", day, float(rng.integers(50, 150))))
    for hour in pd.date_range("2022-03-10", periods=24 * 12, freq="h", tz="UTC"):
        if rng.random() > 0.3:
            rows.append(("x", "1h", hour, float(rng.integers(50, 150))))
    bars = pd.DataFrame(rows, columns=["instrument_id", "interval", "ts", "close"])
    offsets = rng.integers(-3 * 86400, 45 * 86400, 400)
    published = pd.Timestamp("2022-03-01", tz="UTC") + pd.to_timedelta(offsets, unit="s")
    headlines = pd.DataFrame({"id": range(400), "published": published})
    moves = moves_after(headlines, bars)
    series = {name: [(t, c) for _inst, interval, t, c in rows if interval == name] for name in ("1h", "1d")}
    for label, span in {"1h": timedelta(hours=1), "1d": timedelta(days=1)}.items():
        expected = [reference_move(p, series, span) for p in published]
        assert_same(moves[f"move_x_{label}"], expected)
        assert moves[f"move_x_{label}"].notna().sum() > 100
