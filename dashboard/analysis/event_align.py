"""The event study's events (pure, vectorised): headlines grouped into events on the bars known
at their times, the spacing rule and the merging of overlapping events into episodes, and the
bars in overlapping windows. See dashboard.analysis.event_study for the rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.analysis.alignment import NAT, KnownBars


def check_integer(window: int, name: str = "window", minimum: int = 1) -> int:
    """`window` as an int; ValueError naming it unless it is an integer >= `minimum`."""
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {window!r}")
    return int(window)


def keep_spaced(bar_index: np.ndarray, spacing: int) -> np.ndarray:
    """Which of the events on ascending, unique bar indexes are kept with minimum spacing S:
    going forward, an event less than S bars after the previous kept event is dropped (the
    first is kept). Vectorised by pointer doubling (O(n log n), no loop over events)."""
    spacing = check_integer(spacing, "spacing", 0)
    bar_index = np.asarray(bar_index, dtype=np.int64)
    n = len(bar_index)
    keep = np.zeros(n, dtype=bool)
    if n == 0 or spacing <= 1:
        keep[:] = True
        return keep
    # jump[j]: the first event at least S bars after event j (n = none); the kept events are
    # the chain 0, jump[0], jump[jump[0]], …, listed 2^m at a time by doubling the jump.
    jump = np.append(np.searchsorted(bar_index, bar_index + spacing, side="left"), n)
    chain = np.zeros(1, dtype=np.int64)
    while chain[-1] != n:
        chain = np.concatenate([chain, jump[chain]])
        jump = jump[jump]
    keep[chain[chain < n]] = True
    return keep


def merge_episodes(bar_index: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Episodes of events on ascending, unique bar indexes: an event less than 2W + 1 bars after
    the first event of the current episode (their windows overlap) joins it, else it starts the
    next one. Returns (which events start an episode, each event's episode number)."""
    first = keep_spaced(bar_index, 2 * check_integer(window) + 1)
    return first, np.cumsum(first) - 1


def overlapping_bars(bar_index: np.ndarray, window: int) -> int:
    """How many bars lie in the windows [i - W, i + W] of two or more of the events."""
    bar_index = np.asarray(bar_index, dtype=np.int64)
    if len(bar_index) < 2:
        return 0
    low = int(bar_index.min()) - window
    span = int(bar_index.max()) + window - low + 2
    cover = np.cumsum(np.bincount(bar_index - window - low, minlength=span)
                      - np.bincount(bar_index + window + 1 - low, minlength=span))
    return int((cover >= 2).sum())


@dataclass(frozen=True, eq=False)
class Grouped:
    """Headlines grouped by the bar known at their times (before any event is left out)."""

    bar: np.ndarray          # per event (ascending, unique)
    first: np.ndarray        # per event: position of its earliest headline
    size: np.ndarray         # per event: headlines
    before: int              # headlines before the first close was known


def group_headlines(moments: np.ndarray, bars: KnownBars) -> Grouped:
    """The events of headlines aligned at `moments`: one per bar some headline was aligned to."""
    times = np.asarray(moments, dtype=np.int64)
    if (times == NAT).any():
        raise ValueError("headline times has missing times")
    order = np.argsort(times, kind="stable")
    bar = bars.last_known(times[order])
    aligned = bar >= 0
    order, bar = order[aligned], bar[aligned]
    starts = np.flatnonzero(np.diff(bar, prepend=-1))      # bar is ascending: groups are runs
    return Grouped(bar[starts], order[starts], np.diff(np.append(starts, len(bar))), int((~aligned).sum()))
