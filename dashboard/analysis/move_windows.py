"""The n largest moves of one instrument's bars and the window before each move's close: which
headlines fall in it (the span largest_moves' docstring describes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import NAT, headline_moments
from dashboard.analysis.bar_moves import bar_moves
from dashboard.analysis.moves import INTERVAL_LENGTH

DEFAULT_WINDOW: Mapping[str, timedelta] = MappingProxyType(
    {"1h": timedelta(hours=6), "1d": timedelta(days=1)})


def top_moves(bars: pd.DataFrame, interval: str, n: int, span: timedelta) -> tuple[pd.DataFrame, np.ndarray,
                                                                                  np.ndarray]:
    """(the n largest moves by |log return|, ties: earlier bar first; their window starts and
    ends, int64 ns)."""
    moves = bar_moves(bars, interval)
    moves = moves[moves["log_return"].notna()]
    top = moves.iloc[np.argsort(-moves["log_return"].abs().to_numpy(), kind="stable")[:n]]
    ends = top["known"].to_numpy(dtype="datetime64[ns]").view("i8")
    return top, ends - pd.Timedelta(span).as_unit("ns").value, ends


def checked_window(n, interval: str, window: timedelta | None) -> timedelta:
    """How far before a move's close to look (`window`, else DEFAULT_WINDOW), once n, the
    interval and the window are checked (ValueError)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    span = DEFAULT_WINDOW.get(interval) if window is None else window
    if not isinstance(span, timedelta) or span <= timedelta(0):
        raise ValueError(f"window must be a positive timedelta, got {window!r}")
    return span


def in_windows(moments: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row indexes of `moments` in each window [start, end), oldest first per window; the window
    of each), windows in the given order; unknown moments (NaT) are in none."""
    known = np.flatnonzero(moments != NAT)
    known = known[np.argsort(moments[known], kind="stable")]
    lo = np.searchsorted(moments[known], starts, side="left")
    hi = np.searchsorted(moments[known], ends, side="left")
    picked = known[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)] or [np.empty(0, int)])]
    return picked, np.repeat(np.arange(len(starts)), hi - lo)


def window_headline_ids(bars: pd.DataFrame, headlines: pd.DataFrame, interval: str, n: int = 10,
                        window: timedelta | None = None) -> list:
    """The ids of the `headlines` placed in the windows of the `n` largest moves of `bars` (as
    `largest_moves` finds them): the headlines whose copies a store is asked for
    (Store.story_copies)."""
    span = checked_window(n, interval, window)
    _top, starts, ends = top_moves(bars, interval, n, span)
    picked, _move = in_windows(headline_moments(headlines, "headlines"), starts, ends)
    return list(dict.fromkeys(headlines["id"].to_numpy()[picked].tolist()))
