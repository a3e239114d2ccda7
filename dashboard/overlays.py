"""Extra series on the main chart (pure, DataFrames -> trace dicts for price_figure): the
geopolitical-risk index on the lower panel, and the ticker values news pages showed ("as shown
on the page") as their own marks beside each instrument's line."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dashboard.figures import TIME_FORMAT, display_times, hover_text, instrument_axes, trace
from dashboard.ticker import format_change
from dashboard.times import format_times

__all__ = ["RISK_AXIS", "overlay_parts", "risk_traces", "snapshot_traces"]

RISK_AXIS = "y20"          # the lower panel's right-hand axis (price axes are y, y3, y4, ...)
RISK_SERIES = (            # column, name, line style, shown at first
    ("share_any", "geopolitical risk", {"color": "#b2182b", "width": 1.8}, True),
    ("share_threats", "risk: threats", {"color": "#ef8a62", "width": 1.2, "dash": "dash"}, "legendonly"),
    ("share_acts", "risk: acts", {"color": "#67001f", "width": 1.2, "dash": "dot"}, "legendonly"),
)
RISK_HOVER = "%{x|%Y-%m-%d}<br>%{y:.1f}% of %{customdata} headlines<extra>%{fullData.name}</extra>"
SNAPSHOT_COLOR = "#111111"
SNAPSHOT_HOVER = ("%{customdata[0]}<br>%{customdata[1]}<br><b>%{customdata[2]}</b> %{customdata[3]}"
                  "<br>%{customdata[4]}<extra>as shown on the page</extra>")


def risk_traces(risk: pd.DataFrame, tz: str) -> tuple[list, dict]:
    """(traces, layout) of the risk index (ingest.risk_index.bucket_risk_index: bucket, headlines,
    share_*) as % lines on the lower panel's right axis; no traces for an empty index."""
    if risk is None or risk.empty:
        return [], {}
    x = display_times(risk["bucket"], tz, "risk.bucket").to_numpy()
    counts = risk["headlines"].to_numpy(dtype="int64")
    traces = [trace(
        "scatter", x=x, y=risk[column].to_numpy(dtype="float64") * 100.0, mode="lines", name=name, line=line,
        visible=visible, customdata=counts, hovertemplate=RISK_HOVER, meta={"kind": "risk", "series": column},
        xaxis="x2", yaxis=RISK_AXIS) for column, name, line, visible in RISK_SERIES]
    layout = {"yaxis20": {"title": {"text": "risk %"}, "overlaying": "y2", "side": "right", "anchor": "x2",
                          "rangemode": "tozero", "ticksuffix": "%", "showgrid": False, "zeroline": False,
                          "automargin": True}}
    return traces, layout


def _snapshot_customdata(part: pd.DataFrame, tz: str) -> np.ndarray:
    """Rows of [escaped source, time in tz, value, change text, how the time/mark are known]."""
    data = np.empty((len(part), 5), dtype=object)
    data[:, 0] = [hover_text(v) for v in part["source"]]
    data[:, 1] = format_times(part["captured_at"], ZoneInfo(tz), TIME_FORMAT, "snapshots.captured_at")
    data[:, 2] = [f"{hover_text(m)} {v:,.2f}" for m, v in zip(part["mark"], part["value"], strict=True)]
    directions = part["direction"] if "direction" in part.columns else [None] * len(part)
    data[:, 3] = [_change_text(c, p, d) for c, p, d in zip(part["change"], part["change_pct"], directions,
                                                           strict=True)]
    data[:, 4] = [_provenance(f, i) for f, i in zip(part["captured_from"], part["mark_inferred"], strict=True)]
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
    when = {"given": "time given on import", "file": "time of the saved file",
            "fetch": "time the page was fetched"}.get(str(captured_from), str(captured_from))
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
            customdata=_snapshot_customdata(part, tz), hovertemplate=SNAPSHOT_HOVER, xaxis="x", yaxis=axis))
    return traces


def overlay_parts(*, bars: pd.DataFrame, labels: Mapping[str, str], axis_mode: str, tz: str,
                  risk: pd.DataFrame | None = None, snapshots: pd.DataFrame | None = None) -> tuple[list, dict]:
    """(traces, layout) to pass to dashboard.figures.price_figure as extra_traces / extra_layout:
    the page snapshots on their instruments' axes (as price_figure lays them out) and the risk
    index on the lower panel."""
    traces = snapshot_traces(snapshots, bars, instrument_axes(bars, labels, axis_mode), labels, axis_mode, tz)
    extra, layout = risk_traces(risk, tz)
    return traces + extra, layout
