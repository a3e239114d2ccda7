"""Stories with hindsight (dashboard.analysis.story_hindsight): the score worked out by hand, the
daily sigma against numpy and pandas, and the Analysis tab's table against an independent
computation on the store of ../shared/data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.story_hindsight import HINDSIGHT_RULE, daily_sigma, hindsight_scores


def stories(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["id", "published", "importance"])
    frame["published"] = pd.to_datetime(frame["published"], utc=True)
    return frame


def test_the_move_adds_a_point_per_whole_standard_deviation_up_to_three():
    frame = stories([(1, "2026-08-01 09:00", 4), (2, "2026-08-01 10:00", 6), (3, "2026-08-02 09:00", 2),
                     (4, "2026-08-03 09:00", 8), (5, "2026-08-04 09:00", 1)])
    moves = pd.Series([-2.5, 0.4, 9.0, np.nan, 1.0])   # sigma 1.0 %: 2, 0, 3 (capped), none, 1 points
    scores = hindsight_scores(frame, moves, 1.0)
    # 1 and 2 tie at 6: the more important (2) first; 4 had no move and is left out
    assert scores[["id", "importance", "move", "sigmas", "hindsight"]].to_dict("list") == {
        "id": [2, 1, 3, 5], "importance": [6.0, 4.0, 2.0, 1.0], "move": [0.4, -2.5, 9.0, 1.0],
        "sigmas": [0.4, 2.5, 9.0, 1.0], "hindsight": [6, 6, 5, 2]}
    assert "importance + 1 for each whole standard deviation" in HINDSIGHT_RULE


def test_without_a_scale_or_moves_nothing_is_scored():
    frame = stories([(1, "2026-08-01 09:00", 4)])
    assert hindsight_scores(frame, pd.Series([3.0]), float("nan")).empty
    assert hindsight_scores(frame, pd.Series([3.0]), 0.0).empty
    assert hindsight_scores(frame, pd.Series([np.nan]), 1.0).empty
    with pytest.raises(ValueError, match="2 moves for 1 stories"):
        hindsight_scores(frame, pd.Series([1.0, 2.0]), 1.0)
    with pytest.raises(KeyError, match="importance"):
        hindsight_scores(frame.drop(columns=["importance"]), pd.Series([1.0]), 1.0)


def test_daily_sigma_against_numpy_and_pandas():
    closes = pd.Series([100.0, 101.0, 99.0, np.nan, 102.0, 102.5])
    kept = closes.dropna().to_numpy()
    by_numpy = np.std(np.diff(kept) / kept[:-1] * 100, ddof=1)
    by_pandas = closes.dropna().pct_change().dropna().mul(100).std()
    assert daily_sigma(closes) == pytest.approx(by_numpy, rel=1e-12) == pytest.approx(by_pandas, rel=1e-12)
    assert np.isnan(daily_sigma(pd.Series([100.0, 101.0])))
    with pytest.raises(ValueError, match="positive closes"):
        daily_sigma(pd.Series([100.0, 0.0, 101.0]))
