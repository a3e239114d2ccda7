"""The per-event frame `event_study` returns (`EventStudyResult.events`): one row per used event,
its bar and headlines, the model's estimates, then its moves, CARs and ARs by k."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import KnownBars
from dashboard.analysis.event_models import Estimates


def move_columns(window: int, prefix: str = "k", first: int | None = None) -> list[str]:
    """Names of per-event columns by k: `k-W` … `k-1`, `k+0`, `k+1` … `k+W` (prefix `car`: the
    CARs; `ar` from k = -W + 1: the ARs)."""
    start = -window if first is None else first
    return [f"{prefix}{k:+d}" for k in range(start, window + 1)]


def events_frame(headlines: pd.DataFrame, series: KnownBars, bar: np.ndarray, first: np.ndarray,
                 size: np.ndarray, members: np.ndarray, model: str, est: Estimates, paths: np.ndarray,
                 car: np.ndarray, ar: np.ndarray, window: int) -> pd.DataFrame:
    """The `events` frame (columns as `event_study` lists them) of the events on bars `bar`:
    `first` their earliest headline's row in `headlines`, `size` their headlines, `members` the
    events merged into each; `paths`, `car`, `ar` their raw moves, CARs and ARs."""
    n = len(bar)
    published = headlines["published"].reset_index(drop=True)
    return pd.concat([
        pd.DataFrame({
            "event_time": published.iloc[first].dt.tz_convert("UTC").reset_index(drop=True),
            "bar_time": _ns_times(series.ts[bar]),
            "bar_known": _ns_times(series.known[bar]),
            "bar_close": series.close[bar],
            "first_headline_id": headlines["id"].to_numpy()[first],
            "first_headline_title": headlines["title"].to_numpy()[first],
            "n_headlines": size.astype(np.int64),
            "events_in_episode": members,
            "est_alpha": est.alpha, "est_beta": est.beta if model == "market" else np.full(n, np.nan),
            "est_sd": est.sd,
        }),
        pd.DataFrame(paths, columns=move_columns(window), copy=False),
        pd.DataFrame(car, columns=move_columns(window, "car"), copy=False),
        pd.DataFrame(ar, columns=move_columns(window, "ar", -window + 1), copy=False),
    ], axis=1)


def _ns_times(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(values, dtype=np.int64), unit="ns", utc=True))
