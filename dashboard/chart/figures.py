"""The main chart as a plain ``go.Figure``: price lines, headline marks and the headline-count panel.

Pure functions of DataFrames: no Dash, no store. The marks' traces are dashboard.chart.mark_traces'.
Times come in as tz-aware UTC and are shown as wall-clock times of the chosen zone with the offset
dropped (dashboard.chart.wall_clock; plotly has no time-zone support); around a DST change an hour of
wall-clock times repeats or is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.analysis.time_columns import format_times
from dashboard.chart.mark_traces import (
    BADGE_AXIS,
    BADGE_AXIS_LAYOUT,
    anchor_axis,
    cluster_traces,
    highlight_trace,
    mark_traces,
)
from dashboard.chart.marks import AXIS_MODES, percent_from_first
from dashboard.chart.plotly_text import hover_text
from dashboard.chart.trace_dicts import trace
from dashboard.chart.wall_clock import display_times, zone

__all__ = ["price_figure", "price_figure_spec", "empty_figure", "price_axis_name", "counts_name"]

HEIGHT = 620
UIREVISION = "newsmarks-price"
LINE_COLORS = qualitative.Plotly
COUNTS_COLOR = "#9aa0a6"
INTERVAL_SECONDS = {"1d": 86_400, "1h": 3_600}
BUCKET_WORDS = {3_600: "hour", 86_400: "day", 604_800: "week"}
COUNTS_HOVER = "%{x|%Y-%m-%d %H:%M}<br>%{y} headlines<extra></extra>"


def price_axis_name(position: int, axis_mode: str) -> str:
    """The y-axis of the ``position``-th drawn instrument: "y", then "y3", "y4", ... ("y" for all in pct).

    make_subplots gives row 2 (the counts panel) "y2", so extra price axes start at "y3".
    """
    if axis_mode == "pct" or position == 0:
        return "y"
    return f"y{position + 2}"


def layout_key(axis: str) -> str:
    """The layout key of a y-axis name: "y" -> "yaxis", "y3" -> "yaxis3"."""
    return _layout_key(axis)


def _layout_key(axis: str) -> str:
    return "yaxis" if axis == "y" else f"yaxis{axis[1:]}"


# Traces are written as plain dicts and the figure is built without plotly's property validation
# (its private `_validate=False`): validating every array and property is slow, on every callback.
# tests/test_figures.py builds the same figures with validation on and compares their JSON, so a
# misspelt property or a plotly change still fails a test.
VALIDATE = False
SUBPLOTS = {"rows": 2, "cols": 1, "shared_xaxes": True, "row_heights": [0.78, 0.22], "vertical_spacing": 0.03}
PRICE_DOMAIN, COUNTS_DOMAIN = (0.2434, 1.0), (0.0, 0.2134)   # make_subplots(**SUBPLOTS)'s y domains
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}   # plotly's "none" template, written out


def build_figure(data: list, layout: dict) -> go.Figure:
    """The go.Figure of dict traces and a layout, validated only when VALIDATE says so."""
    return go.Figure(data=data, layout=layout, _validate=VALIDATE)


def _instrument_order(bars: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """Instruments that have bars: in ``labels`` order, then any unlabelled ones sorted."""
    if bars.empty:
        return []
    present = set(bars["instrument_id"].dropna().unique())
    return [i for i in labels if i in present] + sorted(present - set(labels))


def price_axis_layout(position: int, label: str, color: str) -> dict:
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
        at = line_times(own)
        order = at.argsort(kind="stable").to_numpy()
        own, at = own.iloc[order], at.iloc[order]
        values = own["close"].astype("float64")
        label = labels.get(instrument, instrument)
        color = LINE_COLORS[position % len(LINE_COLORS)]
        axis = price_axis_name(position, axis_mode)
        if axis_mode == "pct":
            values = percent_from_first(values)
            hover = "%{customdata}<br>%{y:+.2f}%<extra>%{fullData.name}</extra>"
        else:
            hover = "%{customdata}<br>%{y:,.4~f}<extra>%{fullData.name}</extra>"
            layout[_layout_key(axis)] = price_axis_layout(position, label, color)
        traces.append(trace(
            "scatter", x=display_times(at, tz, "bars.known").to_numpy(), y=values.to_numpy(),
            mode="lines", customdata=close_labels(own, tz),
            name=hover_text(label), meta={"kind": "price", "instrument": instrument},
            line={"color": color, "width": 1.6, "shape": "hv"}, hovertemplate=hover, xaxis="x", yaxis=axis))
        axes[instrument] = axis
    if axis_mode == "pct":
        layout["yaxis"] = {"title": {"text": "% change"}, "ticksuffix": "%", "zeroline": True, "automargin": True}
    return traces, axes, layout


def line_times(bars: pd.DataFrame) -> pd.Series:
    """Where a price line puts each close: when it became known (`known`), so the line is a step
    that changes when a new close was known — the price every mark sits on and every figure
    uses (docs/known-times.md); a close still provisional (no known time) at its bar's stamp."""
    if "known" not in bars.columns:
        return bars["ts"]
    return bars["known"].where(bars["known"].notna(), bars["ts"])


def close_labels(bars: pd.DataFrame, tz: str) -> list[str]:
    """Each close's hover line: 'close of 2026-06-15, known 2026-06-15 21:30' (a daily bar's
    trading day; an hourly bar's start, in `tz`), or '…, provisional' while not final."""
    daily = bool(len(bars)) and bool((pd.DatetimeIndex(bars["ts"]).as_unit("s").asi8 % 86400 == 0).all())
    stamps = (format_times(bars["ts"], zone("UTC"), "%Y-%m-%d", "bars.ts") if daily
              else format_times(bars["ts"], zone(tz), "%Y-%m-%d %H:%M", "bars.ts"))
    known = (format_times(bars["known"], zone(tz), "%Y-%m-%d %H:%M", "bars.known") if "known" in bars.columns
             else [None] * len(bars))
    return [f"close of {stamp}, known {when}" if when else f"close of {stamp}, provisional"
            for stamp, when in zip(stamps, known, strict=True)]


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
    selected: pd.DataFrame | None = None,
    clusters: pd.DataFrame | None = None,
    stories: pd.DataFrame | None = None,
    interval: str = "1d",
    bucket_seconds: int | None = None,
    extra_traces: Sequence[dict] = (),
    extra_layout: Mapping | None = None,
) -> dict:
    """The main chart as a plain figure dict ``{"data": [...], "layout": {...}}``: what the chart
    callback sends (Dash serialises it without building a ``go.Figure`` and copying it whole, which
    would cost time on every chart); tests check it against plotly's validation.

    Row 1: one line per instrument (``bars``: instrument_id, ts UTC, close), in ``labels`` order; in
    "separate" mode each has its own y-axis ("y", "y3", "y4", ... see :func:`price_axis_name`), in "pct"
    mode all share "y" as % change from their first bar. Headline marks (``marks`` from
    :func:`dashboard.chart.marks.place_marks`) as one marker trace per group (:func:`~.marks.group_positions`)
    on the anchor's axis; ``clusters`` (dashboard.chart.clusters.plan_marks' with a ``y``) as badge traces,
    their hover made from ``stories`` (the ranked stories, by id). The first trace is always the ring
    on the selected headline ``highlight_id``, found in ``selected`` (its placed row, for a story not
    marked singly) or ``marks`` — empty when there is none. Row 2
    ("x2"/"y2"): bars of ``counts`` (bucket UTC start, count), buckets of ``bucket_seconds`` (default: one
    bar ``interval``, "1d" or "1h"). Times are shown in ``tz``. Every trace has a ``meta`` dict whose
    "kind" is "price", "marks", "clusters", "highlight" or "counts". Zoom persistence follows ``layout.uirevision``
    (the constant UIREVISION; a caller may override it to reset the zoom). ``extra_traces`` (dicts, see
    :func:`trace`) are drawn last and ``extra_layout`` is merged into the layout (dashboard.chart.overlays).
    """
    if axis_mode not in AXIS_MODES:
        raise ValueError(f"axis_mode must be one of {AXIS_MODES}, got {axis_mode!r}")
    if interval not in INTERVAL_SECONDS:
        raise ValueError(f"interval must be one of {tuple(INTERVAL_SECONDS)}, got {interval!r}")
    if bucket_seconds is not None and bucket_seconds <= 0:
        raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds}")
    zone(tz)
    traces, axes, axis_layout = _price_traces(bars, labels, axis_mode, tz)
    axis = anchor_axis(marks if not marks.empty or selected is None else selected, axes)
    ring = highlight_trace(selected if selected is not None and not selected.empty else marks, highlight_id, tz, axis)
    if ring["meta"]["id"] is None and selected is not None and not selected.empty:
        ring = highlight_trace(marks, highlight_id, tz, axis)
    traces = [ring, *traces]
    single_groups: list[str] = []
    if not marks.empty:
        singles = mark_traces(marks, marks_by, tz, axis)
        single_groups = [t["meta"]["group"] for t in singles]
        traces += singles
    badges = clusters is not None and not clusters.empty
    if badges:
        traces += cluster_traces(clusters, stories if stories is not None else marks, marks_by, tz, single_groups)
    if not counts.empty:
        traces.append(_counts_trace(counts, bucket_seconds or INTERVAL_SECONDS[interval], tz))
    traces += list(extra_traces)

    # The two panels as make_subplots(**SUBPLOTS) lays them out (PRICE_DOMAIN, COUNTS_DOMAIN;
    # tests/test_figures.py checks them against make_subplots itself), written out: make_subplots
    # costs more than a chart may spend on it (bench_chart.py prints what it costs); the style is
    # the light one of plotly_white.
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
    if badges:   # their lane over the price panel
        layout[_layout_key(BADGE_AXIS)] = {**BADGE_AXIS_LAYOUT, "anchor": "x"}
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
