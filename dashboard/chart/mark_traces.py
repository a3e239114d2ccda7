"""The story marks on the main chart: one marker trace per group of single marks (sized by
importance), one per group of cluster badges (dashboard.chart.clusters: the count on a badge
coloured by the group most of its stories belong to, sized by its most important story's
importance), hover texts made once for all marks, and the ring on the selected headline."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from plotly.colors import qualitative

from dashboard.analysis.alignment import day_only
from dashboard.analysis.time_columns import epoch_ns, format_times
from dashboard.chart.marks import NO_SOURCE, NO_TOPIC, OTHER, group_positions
from dashboard.chart.plotly_text import hover_text
from dashboard.chart.trace_dicts import trace
from dashboard.chart.wall_clock import TIME_FORMAT, display_times, zone
from ingest.stories.importance import KIND_NAMES, explain

MARK_COLORS = qualitative.Safe[:-1]        # its last colour is the grey kept for "other"
OTHER_COLOR = qualitative.Safe[-1]
RISK_COLORS = {KIND_NAMES["act"]: "#c0392b", KIND_NAMES["both"]: "#7b241c", KIND_NAMES["threat"]: "#e67e22",
               KIND_NAMES["none"]: "#7f8c8d"}
HIGHLIGHT_COLOR = "#d62728"
HIGHLIGHT_NAME = "selected headline"
MARK_HOVER = ("%{customdata[3]}<br>%{customdata[2]}<br><b>%{customdata[1]}</b><br>%{customdata[4]}"
              "<extra></extra>")
CLUSTER_HOVER = "%{customdata[3]}<extra></extra>"
CLUSTER_KIND = "cluster"     # customdata[0] of a badge (a single mark's is its headline id)
BADGE_AXIS = "y21"           # the badges' lane: an invisible axis over the price panel, range 0..1
BADGE_LANE = 0.05            # where on it: along the bottom of the price panel, clear of the lines
BADGE_AXIS_LAYOUT = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}


def mark_size(importance: np.ndarray) -> np.ndarray:
    """A single mark's diameter in px: 8, and 2 more per point of importance (no score: 8)."""
    return 8 + 2 * np.nan_to_num(importance.astype("float64"), nan=0.0)


def badge_size(importance: np.ndarray) -> np.ndarray:
    """A badge's diameter in px: 18 (room for its count), and 1.5 more per point of its most
    important story's importance (at most 30)."""
    return 18 + 1.5 * importance.astype("float64")


def _score_line(row_kind: object, sources: object, importance: object) -> str:
    if not isinstance(row_kind, str) or pd.isna(importance):
        return ""
    count = int(sources)
    return (f"{KIND_NAMES[row_kind]} · {count} source{'s' if count != 1 else ''} · "
            f"{explain(row_kind, count, int(importance))}")


def _mark_customdata(part: pd.DataFrame) -> np.ndarray:
    """Rows of [headline id, escaped title, escaped source, time string, score line] from the
    columns _hover_columns made."""
    data = np.empty((len(part), 5), dtype=object)
    data[:, 0] = part["id"].to_numpy(dtype="int64").tolist()
    data[:, 1] = part["_hover_title"].to_numpy(dtype=object)
    data[:, 2] = part["_hover_source"].to_numpy(dtype=object)
    data[:, 3] = part["_hover_time"].to_numpy(dtype=object)
    data[:, 4] = part["_hover_score"].to_numpy(dtype=object)
    return data


def _hover_columns(marks: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The marks' columns a chart needs, plus their hover texts, made once for all marks (a
    headline of several topics is in several groups; a source is escaped once)."""
    # loops over numpy object arrays: stepping through a pandas string column is slower
    titles, source_values = (marks[c].to_numpy(dtype=object) for c in ("title", "source"))
    sources = {value: hover_text(value) for value in set(source_values.tolist())}
    kept = [c for c in ("id", "title", "source", "published", "y", "topics", "story_kind", "importance")
            if c in marks.columns]
    times = format_times(marks["published"], zone(tz), TIME_FORMAT, "marks.published")
    whole_day = day_only(marks)
    if whole_day.any():   # a date alone: no hour to show
        days = format_times(marks["published"], zone("UTC"), "%Y-%m-%d", "marks.published")
        times = [f"{day} (date only)" if whole else shown for shown, day, whole in
                 zip(times, days, whole_day.tolist(), strict=True)]
    return marks[kept].assign(
        _hover_title=[hover_text(v) for v in titles],
        _hover_source=[sources[v] if v in sources else hover_text(v) for v in source_values],  # NaN != NaN
        _hover_time=times,
        _hover_score=[_score_line(*values) for values in zip(
            *(marks[c] if c in marks.columns else [None] * len(marks)
              for c in ("story_kind", "story_sources", "importance")), strict=True)])


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
    sizes = mark_size(hover["importance"].to_numpy() if "importance" in hover.columns else np.zeros(len(hover)))
    for position, (group, rows) in enumerate(group_positions(hover, marks_by)):
        color = group_color(group, position, marks_by)
        mark_trace = trace(
            "scatter", x=times[rows], y=values[rows], mode="markers", name=hover_text(group),
            meta={"kind": "marks", "group": group}, legendgroup=group,
            marker={"size": sizes[rows], "color": color, "opacity": 0.9, "line": {"width": 1, "color": "white"}},
            customdata=customdata[rows], hovertemplate=MARK_HOVER, xaxis="x", yaxis=axis)
        traces.append(mark_trace)
    return traces


def group_color(group: str, position: int, marks_by: str) -> str:
    """A group's colour: fixed per risk kind; else the palette by the group's rank, grey for "other"."""
    if marks_by == "risk":
        return RISK_COLORS.get(group, OTHER_COLOR)
    return OTHER_COLOR if group == OTHER else MARK_COLORS[position % len(MARK_COLORS)]


def cluster_traces(clusters: pd.DataFrame, stories: pd.DataFrame, marks_by: str, tz: str,
                   single_groups: list[str]) -> list:
    """One badge trace per group of clusters (`clusters` from plan_marks with badge_groups' group
    and mix), in a lane along the bottom of the price panel (BADGE_AXIS at BADGE_LANE: the lines
    and the single marks on them stay clear): a badge's group and colour are those most of its
    stories belong to (no group: "no risk kind", "(no topic)", "(no source)"); its hover gives
    the mix of groups and its most important stories (in `stories`, by id: title, kind, sources).
    `single_groups` are the single marks' groups in their order, so a group keeps its colour."""
    if clusters.empty:
        return []
    heads = clusters["heads"].tolist()
    info = _head_info(stories, {h for row in heads for h in row}, marks_by)
    firsts = format_times(clusters["bucket"], zone(tz), TIME_FORMAT, "clusters.bucket")
    lasts = format_times(clusters["bucket"] + pd.to_timedelta(clusters["seconds"], unit="s"), zone(tz),
                         TIME_FORMAT, "clusters.bucket")
    groups, hovers = [], []
    for row_heads, count, group, mix, first, last in zip(heads, clusters["count"].tolist(),
                                                         clusters["group"].tolist(), clusters["mix"].tolist(),
                                                         firsts, lasts, strict=True):
        groups.append(group_name(group, marks_by))
        lines = [f"<b>{count:,} stor{'y' if count == 1 else 'ies'}</b> · {first} – {last}", mix_line(mix, marks_by)]
        lines += [f"• {info[h][0]} <i>({info[h][1]}, {info[h][2]} source{'s' if info[h][2] != 1 else ''})</i>"
                  for h in row_heads if h in info]
        if count > len(row_heads) and row_heads:
            lines.append(f"… and {count - len(row_heads):,} more")
        lines.append("click to list them")
        hovers.append("<br>".join(lines))
    times = display_times(clusters["x"], tz, "clusters.x").to_numpy()
    values, sizes = np.full(len(clusters), BADGE_LANE), badge_size(clusters["importance"].to_numpy())
    customdata = np.empty((len(clusters), 4), dtype=object)
    customdata[:, 0] = CLUSTER_KIND
    customdata[:, 1] = (epoch_ns(clusters["bucket"], "clusters.bucket") // 10**9).tolist()
    customdata[:, 2] = clusters["seconds"].astype("int64").tolist()
    customdata[:, 3] = hovers
    labels = np.array([_count_label(int(c)) for c in clusters["count"]], dtype=object)
    order = single_groups + sorted(set(groups) - set(single_groups))
    group_array = np.array(groups, dtype=object)
    traces = []
    for group in order:
        rows = np.flatnonzero(group_array == group)
        if not len(rows):
            continue
        traces.append(trace(
            "scatter", x=times[rows], y=values[rows], mode="markers+text", name=f"{hover_text(group)} (clusters)",
            meta={"kind": "clusters", "group": group}, legendgroup=group, showlegend=False,
            text=labels[rows], textposition="middle center", textfont={"color": "white", "size": 10},
            marker={"size": sizes[rows], "color": group_color(group, order.index(group), marks_by),
                    "opacity": 0.85, "line": {"width": 1, "color": "white"}},
            customdata=customdata[rows], hovertemplate=CLUSTER_HOVER, xaxis="x", yaxis=BADGE_AXIS))
    return traces


def group_name(group: str, marks_by: str) -> str:
    """A badge group's name as the legend says it: a risk kind's name, a topic, a source."""
    if marks_by == "risk":
        return KIND_NAMES.get(group, KIND_NAMES["none"])
    return group if group else (NO_TOPIC if marks_by == "topic" else NO_SOURCE)


MIX_SHOWN = 3    # groups named in a badge's hover, the largest


def mix_line(mix: list[tuple[str, int]], marks_by: str) -> str:
    """A badge's mix of groups for its hover: 'mostly geopolitical act: 12 geopolitical act · 3
    geopolitical threat' (the MIX_SHOWN largest), or that none of its stories has one."""
    if not mix:
        return {"risk": "no story of a geopolitical risk kind", "topic": "no story matches a topic",
                "source": "no source"}[marks_by]
    parts = [f"{count:,} {hover_text(group_name(group, marks_by))}" for group, count in mix[:MIX_SHOWN]]
    if len(mix) > MIX_SHOWN:
        parts.append(f"{len(mix) - MIX_SHOWN} more")
    return f"mostly {hover_text(group_name(mix[0][0], marks_by))}: {' · '.join(parts)}"


def _head_info(stories: pd.DataFrame, wanted: set[int], marks_by: str) -> dict[int, tuple[str, str, int, str]]:
    """{story id: (escaped title, kind name, sources, group)} for the stories `wanted`."""
    if not wanted or stories.empty:
        return {}
    rows = stories[stories["id"].isin(list(wanted))]
    columns = {c: (rows[c].to_numpy(dtype=object).tolist() if c in rows.columns else [None] * len(rows))
               for c in ("id", "title", "story_kind", "story_sources", "topics", "source")}
    info = {}
    for story, title, kind_value, sources, topics, source in zip(*columns.values(), strict=True):
        kind = KIND_NAMES.get(kind_value, KIND_NAMES["none"])
        if marks_by == "risk":
            group = kind
        elif marks_by == "topic":
            group = next((t for t in str(topics or "").split(";") if t), NO_TOPIC)
        else:
            group = source if isinstance(source, str) and source else NO_SOURCE
        count = int(sources) if sources is not None and not pd.isna(sources) else 1
        info[int(story)] = (hover_text(title), kind, count, group)
    return info


def _count_label(count: int) -> str:
    """A badge's count: '7', '940', '1.2k', '15k'."""
    if count < 1000:
        return str(count)
    return f"{count / 1000:.1f}k" if count < 10_000 else f"{count // 1000}k"


def highlight_trace(marks: pd.DataFrame, highlight_id: int | None, tz: str, axis: str) -> dict:
    """A large ring on the selected headline, found by id in `marks` (placed marks: id, published,
    y); always one trace, empty when nothing is selected or it is not found — the chart's first, so
    that selecting a story patches just it (dashboard.chart.selection)."""
    found = marks[marks["id"] == highlight_id].head(1) if highlight_id is not None and not marks.empty \
        and "id" in marks.columns else marks.iloc[0:0]
    return ring_trace(display_times(found["published"], tz, "marks.published").tolist() if len(found) else [],
                      found["y"].astype("float64").tolist() if len(found) else [],
                      int(highlight_id) if len(found) else None, axis)


def ring_trace(x: list, y: list, highlight_id: int | None, axis: str) -> dict:
    """The selected headline's ring at (x, y) (display times; empty lists: no ring)."""
    return trace(
        "scatter", x=x, y=y, mode="markers", name=HIGHLIGHT_NAME,
        meta={"kind": "highlight", "id": highlight_id}, showlegend=False, hoverinfo="skip",
        marker={"symbol": "circle-open", "size": 22, "color": HIGHLIGHT_COLOR,
                "line": {"width": 3, "color": HIGHLIGHT_COLOR}},
        xaxis="x", yaxis=axis)
