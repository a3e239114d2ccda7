"""The headline marks on the main chart: one marker trace per group of headlines, with hover texts
made once for all marks, and the ring on the selected headline."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from plotly.colors import qualitative

from dashboard.analysis.alignment import day_only
from dashboard.analysis.time_columns import format_times
from dashboard.chart.marks import OTHER, group_positions
from dashboard.chart.plotly_text import hover_text
from dashboard.chart.trace_dicts import scatter_kind, trace
from dashboard.chart.wall_clock import TIME_FORMAT, display_times, zone

MARK_COLORS = qualitative.Safe[:-1]        # its last colour is the grey kept for "other"
OTHER_COLOR = qualitative.Safe[-1]
HIGHLIGHT_COLOR = "#d62728"
HIGHLIGHT_NAME = "selected headline"
MARK_HOVER = "%{customdata[3]}<br>%{customdata[2]}<br><b>%{customdata[1]}</b><extra></extra>"


def _mark_customdata(part: pd.DataFrame) -> np.ndarray:
    """Rows of [headline id, escaped title, escaped source, time string] from the columns
    _hover_columns made."""
    data = np.empty((len(part), 4), dtype=object)
    data[:, 0] = part["id"].to_numpy(dtype="int64").tolist()
    data[:, 1] = part["_hover_title"].to_numpy(dtype=object)
    data[:, 2] = part["_hover_source"].to_numpy(dtype=object)
    data[:, 3] = part["_hover_time"].to_numpy(dtype=object)
    return data


def _hover_columns(marks: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The marks' columns a chart needs, plus their hover texts, made once for all marks (a
    headline of several topics is in several groups; a source is escaped once)."""
    # loops over numpy object arrays: stepping through a pandas string column is slower
    titles, source_values = (marks[c].to_numpy(dtype=object) for c in ("title", "source"))
    sources = {value: hover_text(value) for value in set(source_values.tolist())}
    kept = [c for c in ("id", "title", "source", "published", "y", "topics") if c in marks.columns]
    times = format_times(marks["published"], zone(tz), TIME_FORMAT, "marks.published")
    whole_day = day_only(marks)
    if whole_day.any():   # a date alone: no hour to show
        days = format_times(marks["published"], zone("UTC"), "%Y-%m-%d", "marks.published")
        times = [f"{day} (date only)" if whole else shown for shown, day, whole in
                 zip(times, days, whole_day.tolist(), strict=True)]
    return marks[kept].assign(
        _hover_title=[hover_text(v) for v in titles],
        _hover_source=[sources[v] if v in sources else hover_text(v) for v in source_values],  # NaN != NaN
        _hover_time=times)


def anchor_axis(marks: pd.DataFrame, axes: Mapping[str, str]) -> str:
    """The y-axis the marks belong on: their anchor instrument's, else the first one."""
    if "anchor" in marks.columns:
        anchors = marks["anchor"].dropna()
        if not anchors.empty:
            return axes.get(anchors.iloc[0], "y")
    return "y"


def mark_traces(marks: pd.DataFrame, marks_by: str, tz: str, axis: str) -> list:
    """One marker trace per group of headlines (never one shape per headline)."""
    traces = []
    # every column once for all marks, then each group's rows taken by position
    hover = _hover_columns(marks, tz)
    times = display_times(hover["published"], tz, "marks.published").to_numpy()
    values, customdata = hover["y"].to_numpy(dtype="float64"), _mark_customdata(hover)
    for position, (group, rows) in enumerate(group_positions(hover, marks_by)):
        color = OTHER_COLOR if group == OTHER else MARK_COLORS[position % len(MARK_COLORS)]
        mark_trace = trace(
            scatter_kind(len(rows)), x=times[rows], y=values[rows], mode="markers", name=hover_text(group),
            meta={"kind": "marks", "group": group},
            marker={"size": 9, "color": color, "opacity": 0.9, "line": {"width": 1, "color": "white"}},
            customdata=customdata[rows], hovertemplate=MARK_HOVER, xaxis="x", yaxis=axis)
        traces.append(mark_trace)
    return traces


def highlight_traces(marks: pd.DataFrame, highlight_id: int, tz: str, axis: str) -> list:
    """A large ring on the selected headline (drawn even when marks are aggregated); [] if not found."""
    if marks.empty or "id" not in marks.columns:
        return []
    row = marks[marks["id"] == highlight_id].head(1)
    if row.empty:
        return []
    return [trace(
        "scatter", x=display_times(row["published"], tz, "marks.published").to_numpy(),
        y=row["y"].to_numpy(dtype="float64"), mode="markers", name=HIGHLIGHT_NAME,
        meta={"kind": "highlight", "id": int(highlight_id)}, showlegend=False, hoverinfo="skip",
        marker={"symbol": "circle-open", "size": 22, "color": HIGHLIGHT_COLOR,
                "line": {"width": 3, "color": HIGHLIGHT_COLOR}},
        xaxis="x", yaxis=axis)]
