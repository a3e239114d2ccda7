"""The main chart as a plain ``go.Figure``: price lines, headline marks and the headline-count panel.

Pure functions of DataFrames: no Dash, no store. Times come in as tz-aware UTC and are shown as wall-clock
times of the chosen zone with the offset dropped (plotly has no time-zone support); around a DST change
an hour of wall-clock times repeats or is skipped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.analysis.alignment import day_only
from dashboard.analysis.time_columns import format_times, require_aware
from dashboard.chart.marks import AXIS_MODES, OTHER, group_positions, percent_from_first

__all__ = ["price_figure", "price_figure_spec", "empty_figure", "display_times", "hover_text", "price_axis_name",
           "counts_name"]

HEIGHT = 620
UIREVISION = "newsmarks-price"
GL_THRESHOLD = 15_000
TIME_FORMAT = "%Y-%m-%d %H:%M %Z"
LINE_COLORS = qualitative.Plotly
MARK_COLORS = qualitative.Safe[:-1]        # its last colour is the grey kept for "other"
OTHER_COLOR = qualitative.Safe[-1]
HIGHLIGHT_COLOR = "#d62728"
COUNTS_COLOR = "#9aa0a6"
INTERVAL_SECONDS = {"1d": 86_400, "1h": 3_600}
BUCKET_WORDS = {3_600: "hour", 86_400: "day", 604_800: "week"}
HIGHLIGHT_NAME = "selected headline"
MARK_HOVER = "%{customdata[3]}<br>%{customdata[2]}<br><b>%{customdata[1]}</b><extra></extra>"
COUNTS_HOVER = "%{x|%Y-%m-%d %H:%M}<br>%{y} headlines<extra></extra>"


def hover_text(value: object) -> str:
    """Untrusted text made safe for plotly's pseudo-HTML (hover labels, legend names, annotations).

    ``<``, ``>``, ``&`` and quotes become entities that plotly.js decodes back to the characters, so a
    title like ``<script>`` or ``<a href="javascript:...">`` shows as text. Quotes use numeric entities:
    plotly.js does not decode ``&quot;``.
    """
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;")


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def display_times(values: pd.Series, tz: str, what: str = "times") -> pd.Series:
    """tz-aware UTC times -> naive wall-clock times in ``tz``, to the second (what the chart shows)."""
    _zone(tz)
    require_aware(values, what)
    # on an index, not through Series.dt: a third of the time, and a chart makes eight of these
    local = pd.DatetimeIndex(values).tz_convert(tz).tz_localize(None).as_unit("s")
    return pd.Series(local, index=values.index, name=values.name)


def price_axis_name(position: int, axis_mode: str) -> str:
    """The y-axis of the ``position``-th drawn instrument: "y", then "y3", "y4", ... ("y" for all in pct).

    make_subplots gives row 2 (the counts panel) "y2", so extra price axes start at "y3".
    """
    if axis_mode == "pct" or position == 0:
        return "y"
    return f"y{position + 2}"


def _layout_key(axis: str) -> str:
    return "yaxis" if axis == "y" else f"yaxis{axis[1:]}"


# Traces are written as plain dicts and the figure is built without plotly's property validation
# (its private `_validate=False`): validating every array and property cost 20–40 ms a callback.
# tests/test_figures.py builds the same figures with validation on and compares their JSON, so a
# misspelt property or a plotly change still fails a test.
VALIDATE = False
SUBPLOTS = {"rows": 2, "cols": 1, "shared_xaxes": True, "row_heights": [0.78, 0.22], "vertical_spacing": 0.03}
PRICE_DOMAIN, COUNTS_DOMAIN = (0.2434, 1.0), (0.0, 0.2134)   # make_subplots(**SUBPLOTS)'s y domains
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}   # plotly's "none" template, written out


def trace(kind: str, **properties) -> dict:
    """A trace as a plain dict (`kind`: scatter, scattergl, bar)."""
    return {"type": kind, **properties}


def build_figure(data: list, layout: dict) -> go.Figure:
    """The go.Figure of dict traces and a layout, validated only when VALIDATE says so."""
    return go.Figure(data=data, layout=layout, _validate=VALIDATE)


def _scatter(n_points: int) -> str:
    return "scattergl" if n_points > GL_THRESHOLD else "scatter"


def _instrument_order(bars: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """Instruments that have bars: in ``labels`` order, then any unlabelled ones sorted."""
    if bars.empty:
        return []
    present = set(bars["instrument_id"].dropna().unique())
    return [i for i in labels if i in present] + sorted(present - set(labels))


def _price_axis_layout(position: int, label: str, color: str) -> dict:
    """Layout of one instrument's own y-axis in "separate" mode (first left, then right/left alternating)."""
    axis: dict = {"title": {"text": hover_text(label), "font": {"color": color}},
                  "tickfont": {"color": color}, "automargin": True}
    if position == 0:
        return axis | {"side": "left"}
    side = "right" if position % 2 == 1 else "left"
    axis |= {"overlaying": "y", "side": side, "showgrid": False, "zeroline": False}
    if position == 1:
        return axis | {"anchor": "x"}
    return axis | {"anchor": "free", "autoshift": True, "position": 1.0 if side == "right" else 0.0}


def instrument_axes(bars: pd.DataFrame, labels: Mapping[str, str], axis_mode: str) -> dict[str, str]:
    """Instrument id -> the y-axis its line is drawn on by price_figure (for series added beside it)."""
    return {instrument: price_axis_name(position, axis_mode)
            for position, instrument in enumerate(_instrument_order(bars, labels))}


def _price_traces(bars: pd.DataFrame, labels: Mapping[str, str], axis_mode: str,
                  tz: str) -> tuple[list, dict[str, str], dict]:
    """One line per instrument; returns (traces, instrument id -> y-axis name, layout of the price axes)."""
    traces: list = []
    axes: dict[str, str] = {}
    layout: dict = {}
    for position, instrument in enumerate(_instrument_order(bars, labels)):
        own = bars[bars["instrument_id"] == instrument]
        values = own["close"].astype("float64")
        label = labels.get(instrument, instrument)
        color = LINE_COLORS[position % len(LINE_COLORS)]
        axis = price_axis_name(position, axis_mode)
        if axis_mode == "pct":
            values = percent_from_first(values)
            hover = "%{x|%Y-%m-%d %H:%M}<br>%{y:+.2f}%<extra>%{fullData.name}</extra>"
        else:
            hover = "%{x|%Y-%m-%d %H:%M}<br>%{y:,.4~f}<extra>%{fullData.name}</extra>"
            layout[_layout_key(axis)] = _price_axis_layout(position, label, color)
        traces.append(trace(
            _scatter(len(own)), x=display_times(own["ts"], tz, "bars.ts").to_numpy(), y=values.to_numpy(), mode="lines",
            name=hover_text(label), meta={"kind": "price", "instrument": instrument},
            line={"color": color, "width": 1.6}, hovertemplate=hover, xaxis="x", yaxis=axis))
        axes[instrument] = axis
    if axis_mode == "pct":
        layout["yaxis"] = {"title": {"text": "% change"}, "ticksuffix": "%", "zeroline": True, "automargin": True}
    return traces, axes, layout


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
    # loops over numpy object arrays: stepping through a pandas string column costs 2 µs a value
    titles, source_values = (marks[c].to_numpy(dtype=object) for c in ("title", "source"))
    sources = {value: hover_text(value) for value in set(source_values.tolist())}
    kept = [c for c in ("id", "title", "source", "published", "y", "topics") if c in marks.columns]
    times = format_times(marks["published"], _zone(tz), TIME_FORMAT, "marks.published")
    whole_day = day_only(marks)
    if whole_day.any():   # a date alone: no hour to show
        days = format_times(marks["published"], _zone("UTC"), "%Y-%m-%d", "marks.published")
        times = [f"{day} (date only)" if whole else shown for shown, day, whole in
                 zip(times, days, whole_day.tolist(), strict=True)]
    return marks[kept].assign(
        _hover_title=[hover_text(v) for v in titles],
        _hover_source=[sources[v] if v in sources else hover_text(v) for v in source_values],  # NaN != NaN
        _hover_time=times)


def _anchor_axis(marks: pd.DataFrame, axes: Mapping[str, str]) -> str:
    """The y-axis the marks belong on: their anchor instrument's, else the first one."""
    if "anchor" in marks.columns:
        anchors = marks["anchor"].dropna()
        if not anchors.empty:
            return axes.get(anchors.iloc[0], "y")
    return "y"


def _mark_traces(marks: pd.DataFrame, marks_by: str, tz: str, axis: str) -> list:
    """One marker trace per group of headlines (never one shape per headline)."""
    traces = []
    # every column once for all marks, then each group's rows taken by position
    hover = _hover_columns(marks, tz)
    times = display_times(hover["published"], tz, "marks.published").to_numpy()
    values, customdata = hover["y"].to_numpy(dtype="float64"), _mark_customdata(hover)
    for position, (group, rows) in enumerate(group_positions(hover, marks_by)):
        color = OTHER_COLOR if group == OTHER else MARK_COLORS[position % len(MARK_COLORS)]
        mark_trace = trace(
            _scatter(len(rows)), x=times[rows], y=values[rows], mode="markers", name=hover_text(group),
            meta={"kind": "marks", "group": group},
            marker={"size": 9, "color": color, "opacity": 0.9, "line": {"width": 1, "color": "white"}},
            customdata=customdata[rows], hovertemplate=MARK_HOVER, xaxis="x", yaxis=axis)
        traces.append(mark_trace)
    return traces


def _highlight_traces(marks: pd.DataFrame, highlight_id: int, tz: str, axis: str) -> list:
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


def counts_name(bucket_seconds: int) -> str:
    """The counts trace's name: "headlines per hour" / "per day" / "per week" / "per 6 hours" ..."""
    if bucket_seconds in BUCKET_WORDS:
        return f"headlines per {BUCKET_WORDS[bucket_seconds]}"
    for size, word in sorted(BUCKET_WORDS.items(), reverse=True):
        if bucket_seconds % size == 0:
            return f"headlines per {bucket_seconds // size} {word}s"
    return f"headlines per {bucket_seconds} seconds"


def _counts_trace(counts: pd.DataFrame, bucket_seconds: int, tz: str) -> dict:
    """One bar per bucket, drawn from the bucket's start over its whole width."""
    return trace(
        "bar", x=display_times(counts["bucket"], tz, "counts.bucket").to_numpy(),
        y=counts["count"].to_numpy(dtype="int64"), name=counts_name(bucket_seconds),
        meta={"kind": "counts", "bucket_seconds": bucket_seconds}, marker={"color": COUNTS_COLOR},
        width=bucket_seconds * 1000 * 0.9, offset=0,
        showlegend=False, hovertemplate=COUNTS_HOVER, xaxis="x2", yaxis="y2")


def price_figure(bars: pd.DataFrame, marks: pd.DataFrame, counts: pd.DataFrame, **options) -> go.Figure:
    """The main chart as a ``go.Figure`` (see :func:`price_figure_spec` for what it draws)."""
    spec = price_figure_spec(bars, marks, counts, **options)
    return build_figure(spec["data"], spec["layout"])


def price_figure_spec(
    bars: pd.DataFrame,
    marks: pd.DataFrame,
    counts: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    axis_mode: str = "separate",
    tz: str = "UTC",
    marks_by: str = "source",
    highlight_id: int | None = None,
    aggregated: bool = False,
    interval: str = "1d",
    bucket_seconds: int | None = None,
    extra_traces: Sequence[dict] = (),
    extra_layout: Mapping | None = None,
) -> dict:
    """The main chart as a plain figure dict ``{"data": [...], "layout": {...}}``: what the chart
    callback sends (Dash serialises it without building a ``go.Figure`` and copying it whole, ~8 ms
    a chart); tests check it against plotly's validation.

    Row 1: one line per instrument (``bars``: instrument_id, ts UTC, close), in ``labels`` order; in
    "separate" mode each has its own y-axis ("y", "y3", "y4", ... see :func:`price_axis_name`), in "pct"
    mode all share "y" as % change from their first bar. Headline marks (``marks`` from
    :func:`dashboard.chart.marks.place_marks`) as one marker trace per group (:func:`~.marks.group_positions`)
    on the anchor's axis, unless ``aggregated``; ``highlight_id`` adds a ring on that headline. Row 2
    ("x2"/"y2"): bars of ``counts`` (bucket UTC start, count), buckets of ``bucket_seconds`` (default: one
    bar ``interval``, "1d" or "1h"). Times are shown in ``tz``. Every trace has a ``meta`` dict whose
    "kind" is "price", "marks", "highlight" or "counts". Zoom persistence follows ``layout.uirevision``
    (the constant UIREVISION; a caller may override it to reset the zoom). ``extra_traces`` (dicts, see
    :func:`trace`) are drawn last and ``extra_layout`` is merged into the layout (dashboard.chart.overlays).
    """
    if axis_mode not in AXIS_MODES:
        raise ValueError(f"axis_mode must be one of {AXIS_MODES}, got {axis_mode!r}")
    if interval not in INTERVAL_SECONDS:
        raise ValueError(f"interval must be one of {tuple(INTERVAL_SECONDS)}, got {interval!r}")
    if bucket_seconds is not None and bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    _zone(tz)
    traces, axes, axis_layout = _price_traces(bars, labels, axis_mode, tz)
    axis = _anchor_axis(marks, axes)
    if not aggregated and not marks.empty:
        traces += _mark_traces(marks, marks_by, tz, axis)
    if highlight_id is not None:
        traces += _highlight_traces(marks, highlight_id, tz, axis)
    if not counts.empty:
        traces.append(_counts_trace(counts, bucket_seconds or INTERVAL_SECONDS[interval], tz))
    traces += list(extra_traces)

    # The two panels as make_subplots(**SUBPLOTS) lays them out (PRICE_DOMAIN, COUNTS_DOMAIN;
    # tests/test_figures.py checks them against make_subplots itself), written out: make_subplots
    # costs 20–27 ms a call here (bench_chart.py prints it), above the 5 ms a chart may spend on
    # it; the style is the light one of plotly_white.
    layout = {key: {**value, **_GRID} if key.startswith("yaxis") else value for key, value in axis_layout.items()}
    layout.setdefault("yaxis", {"automargin": True, **_GRID})
    layout["yaxis"] = {**layout["yaxis"], "anchor": "x", "domain": list(PRICE_DOMAIN)}
    layout["xaxis"] = {"type": "date", "anchor": "y", "domain": [0.0, 1.0], "matches": "x2",
                       "showticklabels": False, **_GRID}
    layout["xaxis2"] = {"type": "date", "anchor": "y2", "domain": [0.0, 1.0], "title": {"text": f"time ({tz})"},
                        "automargin": True,
                        **_GRID}
    layout["yaxis2"] = {"title": {"text": "headlines"}, "automargin": True, "rangemode": "tozero", "anchor": "x2",
                        "domain": list(COUNTS_DOMAIN), **_GRID}
    return {"data": traces, "layout": {
        **_STYLE, "height": HEIGHT, "uirevision": UIREVISION, "hovermode": "closest", "showlegend": True,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, **layout, **(extra_layout or {})}}


_STYLE = {"template": NO_TEMPLATE, "paper_bgcolor": "white", "plot_bgcolor": "white",
          "font": {"color": "#2a3f5f"}, "hoverlabel": {"align": "left"}}
_GRID = {"gridcolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "linecolor": "#EBF0F8"}


def empty_figure(message: str) -> go.Figure:
    """A blank chart (no axes) with ``message`` centred."""
    fig = go.Figure()
    fig.update_layout(
        **_STYLE, height=HEIGHT, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": hover_text(message), "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                      "showarrow": False, "font": {"size": 16, "color": "#5f6368"}}])
    return fig
