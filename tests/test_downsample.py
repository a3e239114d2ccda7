"""Min/max downsampling: exact kept rows, extremes survive, per-instrument, speed."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from dashboard.chart.downsample import downsample_bars, minmax_downsample


def series(values, start="2022-01-01", freq="h", instrument="brent") -> pd.DataFrame:
    values = np.asarray(values, dtype="float64")
    ts = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.DataFrame({"instrument_id": instrument, "ts": ts, "close": values, "volume": np.arange(len(values))})


def test_exact_rows_kept_on_small_frame():
    # 16 rows, max_points=8 -> 2 buckets of 8 rows; each keeps first, last, min, max (in time order).
    values = [5, 3, 9, 4, 7, 1, 8, 6, 2, 2, 10, 0, 5, 5, 5, 3]
    out = minmax_downsample(series(values), max_points=8)
    assert out.index.tolist() == [0, 2, 5, 7, 8, 10, 11, 15]
    assert out["close"].tolist() == [5.0, 9.0, 1.0, 6.0, 2.0, 10.0, 0.0, 3.0]
    assert out["volume"].tolist() == [0, 2, 5, 7, 8, 10, 11, 15]   # whole rows are kept


def test_ties_keep_first_occurrence_and_no_duplicates():
    values = [1, 1, 1, 1, 7, 0, 7, 2]
    # max_points=7 -> 7 // 4 = 1 bucket: first 0, max 7 at 4 (not 6), min 0 at 5, last 7
    out = minmax_downsample(series(values), max_points=7)
    assert out.index.tolist() == [0, 4, 5, 7]
    # 9 rows, max_points=8 -> buckets 0-3 (all equal: row 0 is first, min and max; last 3) and 4-8
    out = minmax_downsample(series(values + [1]), max_points=8)
    assert out.index.tolist() == [0, 3, 4, 5, 8]
    assert out["ts"].is_monotonic_increasing and not out.index.has_duplicates


def test_spike_in_10000_points_survives_with_exact_value():
    rng = np.random.default_rng(7)
    values = 80 + np.cumsum(rng.normal(0, 0.1, 10_000))
    values[5_003] = 999.25
    values[7_777] = -12.5
    frame = series(values)
    out = minmax_downsample(frame, max_points=2000)
    assert len(out) <= 2000
    assert out.loc[5_003, "close"] == 999.25
    assert out.loc[7_777, "close"] == -12.5
    assert out["close"].max() == 999.25 and out["close"].min() == -12.5
    assert out.iloc[0]["ts"] == frame.iloc[0]["ts"] and out.iloc[0]["close"] == values[0]
    assert out.iloc[-1]["ts"] == frame.iloc[-1]["ts"] and out.iloc[-1]["close"] == values[-1]
    assert out["ts"].is_monotonic_increasing and out["ts"].is_unique


def test_nan_is_never_a_min_or_max():
    values = [np.nan, 4, np.nan, 2, 9, np.nan, 3, np.nan]
    out = minmax_downsample(series(values), max_points=4)   # one bucket
    assert out.index.tolist() == [0, 3, 4, 7]


def test_short_input_is_returned_unchanged():
    frame = series([3, 1, 2])
    assert minmax_downsample(frame, max_points=2000) is frame
    exact = series(np.arange(2000))
    assert minmax_downsample(exact, max_points=2000) is exact


def test_unsorted_input_is_sorted_first():
    frame = series([5, 3, 9, 4, 7, 1, 8, 6, 2, 2, 10, 0, 5, 5, 5, 3]).iloc[::-1]
    out = minmax_downsample(frame, max_points=8)
    assert out.index.tolist() == [0, 2, 5, 7, 8, 10, 11, 15]


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="max_points must be at least 4"):
        minmax_downsample(series([1, 2, 3]), max_points=3)
    with pytest.raises(KeyError, match="'price'"):
        minmax_downsample(series([1, 2, 3]), y="price")


def test_downsample_bars_handles_instruments_separately():
    rng = np.random.default_rng(3)
    brent = rng.normal(100, 1, 5_000)
    brent[2_500] = 150.0
    usd = rng.normal(90, 0.5, 3_000)
    usd[10] = 10.0
    short = [1.0, 2.0, 3.0]
    bars = pd.concat([series(brent, instrument="brent"), series(short, instrument="eur"),
                      series(usd, instrument="usd")], ignore_index=True)
    out = downsample_bars(bars, max_points=400)

    assert out["instrument_id"].unique().tolist() == ["brent", "eur", "usd"]
    assert out.index.tolist() == list(range(len(out)))
    by = {name: part for name, part in out.groupby("instrument_id")}
    assert len(by["brent"]) <= 400 and len(by["usd"]) <= 400
    assert by["brent"]["close"].max() == 150.0 and by["usd"]["close"].min() == 10.0
    assert by["eur"]["close"].tolist() == short
    for name, part in by.items():
        assert part["ts"].is_monotonic_increasing, name
    assert list(out.columns) == list(bars.columns)


def test_downsample_bars_of_nothing_is_empty():
    empty = series([]).iloc[0:0]
    assert downsample_bars(empty).empty


def test_speed_20k_rows_under_10_ms():
    values = 80 + np.cumsum(np.random.default_rng(1).normal(0, 0.1, 20_000))
    frame = series(values)
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        out = minmax_downsample(frame, max_points=2000)
        timings.append(time.perf_counter() - started)
    big = series(np.random.default_rng(2).normal(0, 1, 100_000), freq="min")
    started = time.perf_counter()
    minmax_downsample(big, max_points=2000)
    big_ms = (time.perf_counter() - started) * 1000
    print(f"minmax_downsample: 20k rows best {min(timings) * 1000:.2f} ms; 100k rows {big_ms:.2f} ms")
    assert len(out) <= 2000
    assert min(timings) < 0.010
