"""Stories with hindsight (pure): each story's importance (ingest.stories.importance, what was
known of it) plus the size of the move that followed it. For the Analysis tab only, and labelled
there as hindsight: the move was not known when the story broke, so the chart's marks never use it.

    hindsight = importance + 1 for each whole standard deviation of the instrument's daily
                returns in the view that its move over the next day spans, up to 3

The move is the instrument's % change from the close known when the story came out to the close
known a day later (dashboard.analysis.moves, the known-time rule of the detail panel and the
table); the standard deviation is that of its daily % returns (close to close) over the view's
good daily bars, ddof 1. A story without a move (no close became known in the day after it) has
no hindsight score and is left out."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["HINDSIGHT_RULE", "MAX_MOVE_POINTS", "daily_sigma", "hindsight_scores"]

MAX_MOVE_POINTS = 3
HINDSIGHT_RULE = ("hindsight = importance + 1 for each whole standard deviation of the instrument's daily returns "
                  "in the view that its move over the next day spans, up to 3")
COLUMNS = ["id", "published", "importance", "move", "sigmas", "hindsight"]


def daily_sigma(closes: pd.Series) -> float:
    """The standard deviation (ddof 1) of the daily % returns of `closes` (one per trading day, in
    time order; missing closes dropped). NaN with fewer than three closes (two returns)."""
    values = pd.to_numeric(closes, errors="coerce").dropna().to_numpy(dtype="float64")
    if len(values) < 3:
        return float("nan")
    if (values <= 0).any():
        raise ValueError("daily returns need positive closes")
    returns = (values[1:] / values[:-1] - 1.0) * 100.0
    return float(np.std(returns, ddof=1))


def hindsight_scores(stories: pd.DataFrame, moves: pd.Series, sigma: float) -> pd.DataFrame:
    """The stories' hindsight scores (HINDSIGHT_RULE), highest first (then the most important,
    then the earliest, then the lowest id); stories without a move are left out.

    stories: columns id, published, importance. moves: each story's % move over the next day, in
    the stories' order (NaN: none). sigma: the daily returns' standard deviation in % (daily_sigma);
    not positive or NaN gives no score to anyone. Returns columns id, published, importance, move,
    sigmas (|move| / sigma), hindsight (int)."""
    missing = [c for c in ("id", "published", "importance") if c not in stories.columns]
    if missing:
        raise KeyError(f"stories lacks column(s) {missing}")
    if len(moves) != len(stories):
        raise ValueError(f"{len(moves)} moves for {len(stories)} stories")
    if not np.isfinite(sigma) or sigma <= 0:
        return pd.DataFrame({c: [] for c in COLUMNS})
    move = pd.to_numeric(pd.Series(np.asarray(moves), index=stories.index), errors="coerce").astype("float64")
    sigmas = move.abs() / sigma
    points = np.minimum(np.floor(sigmas.to_numpy()), MAX_MOVE_POINTS)
    frame = pd.DataFrame({"id": stories["id"].to_numpy(), "published": stories["published"].to_numpy(),
                          "importance": stories["importance"].to_numpy(dtype="float64"), "move": move.to_numpy(),
                          "sigmas": sigmas.to_numpy()})
    frame["published"] = pd.to_datetime(frame["published"], utc=True)
    frame = frame[frame["move"].notna() & frame["importance"].notna()].copy()
    frame["hindsight"] = (frame["importance"] + points[frame.index.to_numpy()]).astype("int64")
    return frame.sort_values(["hindsight", "importance", "published", "id"], ascending=[False, False, True, True],
                             kind="stable").reset_index(drop=True)[COLUMNS]
