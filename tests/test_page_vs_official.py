"""Page against official: the matching of page values to the official series, against values
worked out by hand on hand-made data."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from dashboard.analysis.page_vs_official import page_vs_official
from tests.conftest import utc


def closes() -> pd.DataFrame:
    # the Bank of Russia's rate dated D is known at 17:00 Moscow (14:00 UTC) on D - 1; the last
    # bar is provisional (known NaT) and is never matched
    return pd.DataFrame({
        "instrument_id": ["usd_rub", "usd_rub", "usd_rub"],
        "ts": pd.to_datetime([utc(2026, 12, 2), utc(2026, 12, 3), utc(2026, 12, 4)], utc=True),
        "known": pd.to_datetime([utc(2026, 12, 1, 14), utc(2026, 12, 2, 14), None], utc=True),
        "close": [87.7040, 88.1234, 90.0]})


def snapshots(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["captured_at", "source", "mark", "instrument_id", "value"])
    frame["captured_at"] = pd.to_datetime(frame["captured_at"], utc=True)
    return frame


def test_each_page_value_against_the_official_series_by_hand():
    snaps = snapshots([
        (utc(2026, 12, 1, 16, 30), "page:TASS", "$", "usd_rub", 87.70),   # the rate dated 12-02, 2 h 30 min after
        (utc(2026, 12, 2, 15), "page:TASS", "$", "usd_rub", 87.70),       # still that one, a newer known since 14:00
        (utc(2026, 12, 2, 15), "page:RBC", "$", "usd_rub", 88.12),        # the newer one, an hour after
        (utc(2026, 12, 2, 15), "page:X", "$", "usd_rub", 89.00),          # none of them
        (utc(2026, 11, 30, 10), "page:TASS", "$", "usd_rub", 87.70),      # before any was known
        (utc(2026, 12, 2, 15), "page:TASS", "€", None, 95.44),            # no instrument: left out
        (utc(2026, 12, 2, 15), "page:TASS", "BR", "brent", 90.06),        # no official series
        (utc(2026, 12, 4, 12), "page:TASS", "$", "usd_rub", 90.00)])      # equals only the provisional bar
    out = page_vs_official(snaps, closes())
    d2, d3 = pd.Timestamp(utc(2026, 12, 2)), pd.Timestamp(utc(2026, 12, 3))
    k2, k3 = pd.Timestamp(utc(2026, 12, 1, 14)), pd.Timestamp(utc(2026, 12, 2, 14))
    matched = [(r.source, r.match, r.official_ts, r.official_known, r.official_close, r.lag, r.difference,
                r.latest_ts, r.stale) for r in out.iloc[:3].itertuples()]
    assert matched == [
        ("page:TASS", "latest", d2, k2, 87.7040, timedelta(hours=2, minutes=30), -0.004, d2, False),
        ("page:TASS", "older", d2, k2, 87.7040, timedelta(hours=25), -0.004, d3, True),
        ("page:RBC", "latest", d3, k3, 88.1234, timedelta(hours=1), -0.0034, d3, False)]
    assert out["source"].tolist() == ["page:TASS", "page:TASS", "page:RBC", "page:X", "page:TASS", "page:TASS",
                                      "page:TASS"]
    # NaN never equals itself: compare those columns by isna
    assert out["official_close"].isna().tolist() == [False, False, False, True, True, True, True]
    assert out["difference"].isna().tolist() == [False, False, False, False, True, True, False]
    assert out["difference"].tolist()[:4] == [-0.004, -0.004, -0.0034, 0.8766]
    assert out["difference"].tolist()[6] == 1.8766
    assert out["match"].tolist() == ["latest", "older", "latest", "none", "no official", "no official", "none"]
    assert out["lag"].tolist()[:3] == [timedelta(hours=2, minutes=30), timedelta(hours=25), timedelta(hours=1)]
    assert out["lag"].isna().tolist()[3:] == [True] * 4
    assert out["official_ts"].tolist()[:3] == [d2, d2, d3]
    assert out["latest_ts"].tolist()[:4] == [d2, d3, d3, d3] and out["latest_ts"].isna().tolist()[4:6] == [True, True]
    assert out["latest_ts"].tolist()[6] == d3
    assert out["stale"].tolist() == [False, True, False, False, False, False, False]


def test_places_and_lookback():
    snaps = snapshots([(utc(2026, 12, 2, 15), "page:TASS", "$", "usd_rub", 87.7)])
    assert page_vs_official(snaps, closes(), places=3)["match"].tolist() == ["none"]   # 87.700 vs 87.704
    assert page_vs_official(snaps, closes(), lookback=1)["match"].tolist() == ["none"]  # only the newest looked at
    with pytest.raises(ValueError, match="places must be"):
        page_vs_official(snaps, closes(), lookback=0)
    assert page_vs_official(snaps.iloc[:0], closes()).columns.tolist()[:5] == [
        "captured_at", "source", "mark", "instrument_id", "value"]


def test_the_words_of_each_row():
    from dashboard.analysis.page_vs_official import describe, duration_text

    snaps = snapshots([
        (utc(2026, 12, 1, 16, 30), "page:TASS", "$", "usd_rub", 87.70),
        (utc(2026, 12, 2, 15), "page:TASS", "$", "usd_rub", 87.70),
        (utc(2026, 12, 2, 15), "page:X", "$", "usd_rub", 89.00),
        (utc(2026, 11, 30, 10), "page:TASS", "$", "usd_rub", 87.70)])
    rows = list(page_vs_official(snaps, closes()).itertuples())
    assert [describe(r, "USD/RUB (Bank of Russia)", "Europe/Moscow") for r in rows] == [
        "equals USD/RUB (Bank of Russia) dated 2026-12-02, known 2026-12-01 17:00; shown 2 h 30 min after it "
        "became known (-0.0040)",
        "equals USD/RUB (Bank of Russia) dated 2026-12-02, known 2026-12-01 17:00; shown 1 d 1 h after it became "
        "known (-0.0040); stale: the value dated 2026-12-03 was known since 2026-12-02 17:00",
        "equals no USD/RUB (Bank of Russia) value of the last 10 known; +0.8766 from the one dated 2026-12-03, "
        "known 2026-12-02 17:00",
        "no USD/RUB (Bank of Russia) value known by then"]
    assert [duration_text(timedelta(minutes=m)) for m in (45, 60, 150, 1440, 1500, -30)] == [
        "45 min", "1 h", "2 h 30 min", "1 d", "1 d 1 h", "-30 min"]
    assert duration_text(pd.NaT) == "-"
