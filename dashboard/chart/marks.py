"""Where headline marks sit on the chart, and how they are grouped into traces (pure DataFrame code)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import bad_bars, headline_moments, known_bars
from dashboard.analysis.time_columns import utc_ns
from ingest.stories.importance import KIND_NAMES, KIND_ORDER

__all__ = [
    "AXIS_MODES", "MARKS_BY", "NO_SOURCE", "NO_TOPIC", "OTHER", "MAX_GROUPS",
    "mark_anchor", "percent_from_first", "place_marks", "group_positions", "group_marks",
]

AXIS_MODES = ("separate", "pct")
MARKS_BY = ("risk", "topic", "source")
NO_TOPIC = "(no topic)"
NO_SOURCE = "(no source)"
OTHER = "other"
MAX_GROUPS = 12


def percent_from_first(values: pd.Series) -> pd.Series:
    """% change from the first non-missing value: ``(v / first - 1) * 100``.

    All NaN when there is no non-missing value or the first one is 0 (a % change from 0 means nothing).
    The price lines in "pct" mode and the marks placed on them use this same transform.
    """
    valid = values.dropna()
    if valid.empty or valid.iloc[0] == 0:
        return pd.Series(np.nan, index=values.index, dtype="float64")
    return (values.astype("float64") / float(valid.iloc[0]) - 1.0) * 100.0


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} lacks column(s) {missing} (has {list(frame.columns)})")


def place_marks(
    headlines: pd.DataFrame, bars: pd.DataFrame, anchor: str | None, axis_mode: str = "separate"
) -> pd.DataFrame:
    """Give each headline a ``y``: the anchor instrument's price known at the headline's time.

    The value is the close of the anchor's last bar whose close was known (``known``) at or before
    the headline's aligned time — ``published``, or the end of its UTC day for a headline dated to
    the day only (dashboard.analysis.alignment.headline_moments), the time the detail panel and every
    analysis align it at (dashboard.analysis.alignment.known_bars and KnownBars.last_known; bars with a missing
    close or known time, and bad bars, are skipped; of bars with the same stamp the last one
    counts). Headlines before the first close was known get the first close; after the last,
    the last. In ``axis_mode="pct"`` the value is the anchor's % change from its first bar in
    ``bars`` (:func:`percent_from_first`), like the lines. With no anchor, or no bars of the
    anchor, every ``y`` is 0.0 (the marks then lie along zero of the first axis).

    Returns a copy of ``headlines`` sorted by published (UTC, ns), rows with no published time dropped,
    index reset, plus columns ``y`` (float) and ``anchor`` (the anchor id, or None when y is the 0 fallback).
    Pass the full (not downsampled) bars so marks sit on the real close.
    """
    if axis_mode not in AXIS_MODES:
        raise ValueError(f"axis_mode must be one of {AXIS_MODES}, got {axis_mode!r}")
    _require(headlines, ("published",), "headlines")
    marks = headlines.copy()
    marks["published"] = utc_ns(marks["published"], "headlines.published")
    marks = marks[marks["published"].notna()].sort_values("published", kind="stable").reset_index(drop=True)
    if marks.empty:   # no headline to place (a chart with too many to mark): no bars to read either
        marks["y"] = np.zeros(0)
        marks["anchor"] = None
        return marks

    line = None
    if anchor is not None and not bars.empty:
        _require(bars, ("instrument_id", "ts", "known", "close"), "bars")
        own = bars[bars["instrument_id"] == anchor]
        own = own[~bad_bars(own)].sort_values("ts", kind="stable")   # a bad tick is not a price anyone knew
        if axis_mode == "pct":   # from the first bar, as the line is drawn
            own = own.assign(close=percent_from_first(own["close"].astype("float64")).to_numpy())
        line = known_bars(own, "bars")
    if line is None or not len(line):
        marks["y"] = 0.0
        marks["anchor"] = None
        return marks

    last = line.last_known(headline_moments(marks))   # a headline dated to the day only: at its day's end
    marks["y"] = line.close[np.maximum(last, 0)]   # before the first close was known: the first one
    marks["anchor"] = anchor
    return marks


def _split_topics(value: object) -> list[str]:
    """';'-joined topic names -> unique names in order; none -> [NO_TOPIC]."""
    names = [] if not isinstance(value, str) else [t.strip() for t in value.split(";")]
    names = list(dict.fromkeys(t for t in names if t))
    return names or [NO_TOPIC]


def group_positions(marks: pd.DataFrame, by: str, max_groups: int = MAX_GROUPS) -> list[tuple[str, np.ndarray]]:
    """Which rows of ``marks`` (positions) each chart trace holds, largest group first.

    ``by="risk"``: one group per risk kind of the story (ingest.stories.importance.KIND_NAMES; no
    score: "no risk kind"), from acts to none, whatever their size.
    ``by="source"``: one group per source (missing source -> "(no source)"). ``by="topic"``: a headline
    with several topics is in each of its topics' groups; one without topics is in "(no topic)".
    Groups are sorted by size descending, then name. When there are more than ``max_groups``, the
    largest ``max_groups - 1`` are kept and the rest merged into "other" (last, each headline once, in
    time order), so at most ``max_groups`` groups come back. Positions within a group ascend.
    """
    if by not in MARKS_BY:
        raise ValueError(f"marks_by must be one of {MARKS_BY}, got {by!r}")
    if max_groups < 2:
        raise ValueError(f"max_groups must be at least 2, got {max_groups}")
    if marks.empty:
        return []
    groups: dict[str, list[int]] = {}
    if by == "risk":
        _require(marks, ("story_kind",), "marks")
        for position, value in enumerate(marks["story_kind"].to_numpy(dtype=object).tolist()):
            groups.setdefault(value if value in KIND_NAMES else "none", []).append(position)
        return [(KIND_NAMES[kind], np.asarray(groups[kind], dtype=np.intp)) for kind in KIND_ORDER if kind in groups]
    # loops over numpy object arrays: a pandas groupby makes a frame per group (docs/performance.md)
    if by == "source":
        _require(marks, ("source",), "marks")
        for position, value in enumerate(marks["source"].to_numpy(dtype=object).tolist()):
            name = NO_SOURCE if value is None or pd.isna(value) or value == "" else str(value)
            groups.setdefault(name, []).append(position)
    else:
        _require(marks, ("topics",), "marks")
        for position, value in enumerate(marks["topics"].to_numpy(dtype=object).tolist()):
            for name in _split_topics(value):
                groups.setdefault(name, []).append(position)

    ranking = sorted(groups, key=lambda name: (-len(groups[name]), name))
    if len(ranking) <= max_groups:
        return [(name, np.asarray(groups[name], dtype=np.intp)) for name in ranking]
    head = [name for name in ranking if name != OTHER][: max_groups - 1]
    kept = set(head)
    rest = [position for name in ranking if name not in kept for position in groups[name]]
    rest = np.asarray(list(dict.fromkeys(rest)), dtype=np.intp)   # each headline once (its first group's turn)
    if "published" in marks.columns:
        rest = rest[np.argsort(utc_ns(marks["published"], "marks.published").to_numpy()[rest], kind="stable")]
    return [(name, np.asarray(groups[name], dtype=np.intp)) for name in head] + [(OTHER, rest)]


def group_marks(marks: pd.DataFrame, by: str, max_groups: int = MAX_GROUPS) -> list[tuple[str, pd.DataFrame]]:
    """The marks of each group of group_positions() (same order, rules and errors), as frames
    with the marks' columns, index reset."""
    return [(name, marks.iloc[rows].reset_index(drop=True)) for name, rows in group_positions(marks, by, max_groups)]


def mark_anchor(instruments: tuple[str, ...], bars: pd.DataFrame) -> str | None:
    """The instrument the headline marks sit on: the first shown one with prices in the window
    (a first instrument without any would leave every mark at zero), else the first shown."""
    priced = set(bars["instrument_id"].unique()) if not bars.empty else set()
    return next((i for i in instruments if i in priced), instruments[0] if instruments else None)
