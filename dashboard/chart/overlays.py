"""Extra series on the main chart (pure, DataFrames -> trace dicts for price_figure): the
geopolitical-risk index on the lower panel, the ticker values news pages showed ("as shown
on the page") as their own marks beside each instrument's line, and the flagged bars — bad ticks
kept out of every return and out of the lines — as crosses on them."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dashboard.analysis.page_vs_official import describe
from dashboard.analysis.time_columns import format_times
from dashboard.chart.figures import instrument_axes, layout_key, price_axis_layout, price_axis_name
from dashboard.chart.plotly_text import hover_text
from dashboard.chart.trace_dicts import trace
from dashboard.chart.wall_clock import TIME_FORMAT, display_times
from dashboard.header.ticker import format_change
from ingest.bar_quality import flags_text
from ingest.headline_tags.risk_index import MIN_BUCKET_HEADLINES, MIN_SOURCE_HEADLINES, base_period

__all__ = ["RISK_AXIS", "band_polygon", "flagged_traces", "overlay_parts", "risk_traces", "snapshot_traces"]

RISK_AXIS = "y20"          # the lower panel's right-hand axis (price axes are y, y3, y4, ...)
RISK_SERIES = (            # column, name, line style, shown at first
    ("index_any", "geopolitical risk", {"color": "#b2182b", "width": 1.8}, True),
    ("index_threats", "risk: threats", {"color": "#ef8a62", "width": 1.2, "dash": "dash"}, "legendonly"),
    ("index_acts", "risk: acts", {"color": "#67001f", "width": 1.2, "dash": "dot"}, "legendonly"),
)
RISK_BAND_COLOR = "rgba(178, 24, 43, 0.15)"
RISK_HOVER = ("%{x|%Y-%m-%d}<br><b>%{y:.0f}</b> (95% band %{customdata[0]:.0f}–%{customdata[1]:.0f})"
              "<br>raw share %{customdata[2]:.1f}% of %{customdata[3]:,} headlines; index from %{customdata[4]:,}"
              " headlines of %{customdata[5]} sources<br>%{customdata[6]}<extra>%{fullData.name}</extra>")
SNAPSHOT_COLOR = "#111111"
SNAPSHOT_HOVER = ("%{customdata[0]}<br>%{customdata[1]}<br><b>%{customdata[2]}</b> %{customdata[3]}"
                  "<br>%{customdata[4]}<br>%{customdata[5]}<extra>as shown on the page</extra>")
FLAGGED_COLOR = "#d62728"
FLAGGED_HOVER = ("%{customdata[0]}<br>close %{customdata[1]} — flagged %{customdata[2]}<br>kept out of every "
                 "return; drawn at the last good close<extra>flagged bar</extra>")


def risk_traces(risk: pd.DataFrame, tz: str) -> tuple[list, dict]:
    """(traces, layout) of the risk index (ingest.headline_tags.risk_index.bucket_risk_index: bucket, headlines,
    counted, sources, share_*, index_* with _low/_high) on the lower panel's right axis: a line per
    component (gaps where a bucket has too few headlines), the 95% band around the main one; the
    axis title says the base (100 = the view's mean counted bucket). No traces for an empty index."""
    if risk is None or risk.empty:
        return [], {}
    x = display_times(risk["bucket"], tz, "risk.bucket").to_numpy()
    period = base_period(risk)
    base = (f"100 = mean of {period[0]:%Y-%m-%d} … {period[1]:%Y-%m-%d} (UTC); tagged over expected at each "
            f"source's own mean share" if period else "")
    band_x, band_y = band_polygon(x, risk["index_any_low"], risk["index_any_high"])
    traces = [trace("scatter", x=band_x, y=band_y, mode="lines", line={"width": 0}, fill="toself",
                    fillcolor=RISK_BAND_COLOR, hoverinfo="skip", showlegend=False, legendgroup="index_any",
                    meta={"kind": "risk_band", "series": "index_any"}, xaxis="x2", yaxis=RISK_AXIS)]
    for column, name, line, visible in RISK_SERIES:
        data = np.empty((len(risk), 7), dtype=object)
        data[:, 0] = risk[f"{column}_low"].to_numpy(dtype="float64")
        data[:, 1] = risk[f"{column}_high"].to_numpy(dtype="float64")
        data[:, 2] = risk[column.replace("index_", "share_")].to_numpy(dtype="float64") * 100.0
        data[:, 3] = risk["headlines"].to_numpy(dtype="int64")
        data[:, 4] = risk["counted"].to_numpy(dtype="int64")
        data[:, 5] = risk["sources"].to_numpy(dtype="int64")
        data[:, 6] = base
        traces.append(trace(
            "scatter", x=x, y=_gaps(risk[column]), mode="lines", name=name, line=line,
            visible=visible, legendgroup=column, customdata=data, hovertemplate=RISK_HOVER,
            meta={"kind": "risk", "series": column}, xaxis="x2", yaxis=RISK_AXIS))
    title = ("GPR index (view mean = 100)" if period else
             f"GPR index: no day/week with {MIN_BUCKET_HEADLINES} headlines from sources with "
             f"≥{MIN_SOURCE_HEADLINES} each")
    layout = {"yaxis20": {"title": {"text": title}, "overlaying": "y2", "side": "right", "anchor": "x2",
                          "rangemode": "tozero", "showgrid": False, "zeroline": False, "automargin": True}}
    return traces, layout


def band_polygon(x, low: pd.Series, high: pd.Series) -> tuple[list, list]:
    """(x, y) of a band as closed polygons, one per run of points where both bounds exist (along
    the upper bound, back along the lower one), separated by None: filled with fill='toself', it
    leaves the gaps empty."""
    lows, highs = low.to_numpy(dtype="float64"), high.to_numpy(dtype="float64")
    xs, ys = [], []
    run: list[int] = []
    for i in [*range(len(lows)), None]:
        if i is not None and not (np.isnan(lows[i]) or np.isnan(highs[i])):
            run.append(i)
            continue
        if run:
            if xs:
                xs.append(None)
                ys.append(None)
            xs += [x[j] for j in run] + [x[j] for j in reversed(run)]
            ys += [float(highs[j]) for j in run] + [float(lows[j]) for j in reversed(run)]
            run = []
    return xs, ys


def _gaps(values: pd.Series) -> list[float | None]:
    """Values as a list, NaN as None: a gap in the line (sent as null, as plotly would send it)."""
    return [None if np.isnan(v) else float(v) for v in values.to_numpy(dtype="float64").tolist()]


def _snapshot_customdata(part: pd.DataFrame, tz: str, label: str = "") -> np.ndarray:
    """Rows of [escaped source, time in tz, value, change text, how the time/mark are known,
    the official value it equals (dashboard.analysis.page_vs_official, when `part` carries its
    columns; else '')]."""
    data = np.empty((len(part), 6), dtype=object)
    data[:, 0] = [hover_text(v) for v in part["source"]]
    data[:, 1] = format_times(part["captured_at"], ZoneInfo(tz), TIME_FORMAT, "snapshots.captured_at")
    data[:, 2] = [f"{hover_text(m)} {v:,.2f}" for m, v in zip(part["mark"], part["value"], strict=True)]
    directions = part["direction"] if "direction" in part.columns else [None] * len(part)
    data[:, 3] = [_change_text(c, p, d) for c, p, d in zip(part["change"], part["change_pct"], directions,
                                                           strict=True)]
    data[:, 4] = [_provenance(f, i) for f, i in zip(part["captured_from"], part["mark_inferred"], strict=True)]
    data[:, 5] = [hover_text(describe(row, label, ZoneInfo(tz))) for row in part.itertuples()] \
        if "match" in part.columns else ""
    return data


def _change_text(change: float, change_pct: float, direction) -> str:
    if pd.notna(change):
        return format_change(change, pct=False)
    if pd.notna(change_pct):
        return format_change(change_pct, pct=True)
    if pd.notna(direction):
        return "↑" if direction > 0 else "↓"
    return ""


def _provenance(captured_from: str, mark_inferred: bool) -> str:
    when = {"given": "time given on import", "file": "time of the saved file (inferred)",
            "fetch": "time the page was fetched",
            "page": "date the page shows (inferred)"}.get(str(captured_from),
                                                                                 str(captured_from))
    return when + ("; mark inferred from its position" if mark_inferred else "")


def snapshot_traces(snapshots: pd.DataFrame, bars: pd.DataFrame, axes: Mapping[str, str],
                    labels: Mapping[str, str], axis_mode: str, tz: str) -> list:
    """One marker trace per instrument with snapshots, on that instrument's axis (`axes`:
    instrument id -> y-axis name); in "pct" mode the value as % change from the instrument's first
    bar in `bars`, like its line. Instruments not drawn are left out."""
    if snapshots is None or snapshots.empty:
        return []
    traces = []
    for instrument, axis in axes.items():
        part = snapshots[snapshots["instrument_id"] == instrument]
        if part.empty:
            continue
        y = part["value"].to_numpy(dtype="float64")
        if axis_mode == "pct":
            closes = bars.loc[bars["instrument_id"] == instrument, "close"].dropna()
            if closes.empty or closes.iloc[0] == 0:
                continue
            y = (y / float(closes.iloc[0]) - 1.0) * 100.0
        label = labels.get(instrument, instrument)
        traces.append(trace(
            "scatter", x=display_times(part["captured_at"], tz, "snapshots.captured_at").to_numpy(), y=y,
            mode="markers",
            name=hover_text(f"{label}: as shown on the page"),
            meta={"kind": "snapshots", "instrument": instrument},
            marker={"symbol": "diamond-wide", "size": 11, "color": "white",
                    "line": {"width": 2, "color": SNAPSHOT_COLOR}},
            customdata=_snapshot_customdata(part, tz, label), hovertemplate=SNAPSHOT_HOVER, xaxis="x", yaxis=axis))
    return traces


def flagged_traces(flagged: pd.DataFrame, bars: pd.DataFrame, axes: Mapping[str, str],
                   labels: Mapping[str, str], axis_mode: str, tz: str) -> list:
    """One cross trace per instrument with bad bars (`flagged`: instrument_id, ts, close, flag,
    review), on that instrument's axis, at the last good close at or before each (so a tick of
    0.7 among prices near 70 does not squash the line; the hover gives its close and flags); in
    "pct" mode as % change from the instrument's first good bar in `bars`, like its line."""
    if flagged is None or flagged.empty:
        return []
    traces = []
    for instrument, axis in axes.items():
        part = flagged[flagged["instrument_id"] == instrument].sort_values("ts", kind="stable")
        good = bars[bars["instrument_id"] == instrument].sort_values("ts", kind="stable")
        good = good[good["close"].notna()]
        if part.empty or good.empty:
            continue
        placed = pd.merge_asof(part[["ts"]].assign(ts=part["ts"].dt.as_unit("ns")),
                               good[["ts", "close"]].assign(ts=good["ts"].dt.as_unit("ns")), on="ts",
                               direction="backward")
        y = placed["close"].fillna(float(good["close"].iloc[0])).to_numpy(dtype="float64")
        if axis_mode == "pct":
            first = float(good["close"].iloc[0])
            if first == 0:
                continue
            y = (y / first - 1.0) * 100.0
        data = np.empty((len(part), 3), dtype=object)
        data[:, 0] = format_times(part["ts"], ZoneInfo(tz), TIME_FORMAT, "flagged.ts")
        data[:, 1] = [f"{v:,.4f}" for v in part["close"].astype("float64")]
        reviews = part["review"] if "review" in part.columns else [None] * len(part)
        data[:, 2] = [hover_text(flags_text(f if isinstance(f, str) else None, r if isinstance(r, str) else None))
                      for f, r in zip(part["flag"], reviews, strict=True)]
        label = labels.get(instrument, instrument)
        traces.append(trace(
            "scatter", x=display_times(part["ts"], tz, "flagged.ts").to_numpy(), y=y, mode="markers",
            name=hover_text(f"{label}: flagged bars"), meta={"kind": "flagged", "instrument": instrument},
            marker={"symbol": "x-thin", "size": 12, "color": FLAGGED_COLOR,
                    "line": {"width": 2, "color": FLAGGED_COLOR}},
            customdata=data, hovertemplate=FLAGGED_HOVER, xaxis="x", yaxis=axis))
    return traces


def overlay_parts(*, bars: pd.DataFrame, labels: Mapping[str, str], axis_mode: str, tz: str,
                  risk: pd.DataFrame | None = None, snapshots: pd.DataFrame | None = None,
                  flagged: pd.DataFrame | None = None) -> tuple[list, dict]:
    """(traces, layout) to pass to dashboard.chart.figures.price_figure as extra_traces / extra_layout:
    the page snapshots and the flagged bars on their instruments' axes (as price_figure lays them
    out: `bars` are the bars of the lines, without the flagged ones) and the risk index on the
    lower panel."""
    axes = instrument_axes(bars, labels, axis_mode)
    own_axes, own_layout = snapshot_only_axes(snapshots, axes, labels, axis_mode)
    traces = snapshot_traces(snapshots, bars, axes | own_axes, labels, axis_mode, tz)
    traces += flagged_traces(flagged, bars, axes, labels, axis_mode, tz)
    extra, layout = risk_traces(risk, tz)
    return traces + extra, {**own_layout, **layout}


def snapshot_only_axes(snapshots: pd.DataFrame | None, axes: Mapping[str, str], labels: Mapping[str, str],
                       axis_mode: str) -> tuple[dict[str, str], dict]:
    """Axes for shown instruments (in `labels`) that have page snapshots but no line (the official
    series is absent in the window): the page's values are still drawn, each on an axis of its own
    after the lines' (dashboard.chart.figures.price_axis_name) — in "separate" mode only: a % change
    needs the line's first close. Returns (instrument -> axis, their layout)."""
    if snapshots is None or snapshots.empty or axis_mode != "separate":
        return {}, {}
    present = set(snapshots["instrument_id"].dropna())
    found, layout = {}, {}
    for instrument in labels:
        if instrument in axes or instrument not in present:
            continue
        position = len(axes) + len(found)
        axis = price_axis_name(position, axis_mode)
        found[instrument] = axis
        layout[layout_key(axis)] = price_axis_layout(position, labels[instrument], SNAPSHOT_COLOR)
    return found, layout
