"""The Analysis tab's figures as plain ``go.Figure`` (pure): the event-study path with its bands,
the lagged correlations, and the daily geopolitical-risk index. Moves are log returns shown ×100
(log %); every trace carries ``meta={'kind': ...}`` so tests and the page can find it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.event_study import EventStudyResult
from dashboard.analysis.intensity import IntensityResult
from dashboard.figures import display_times, empty_figure, hover_text

NEWS_TITLE = {"count": "headlines", "risk": "the risk share of headlines"}
__all__ = ["event_study_figure", "lag_figure", "risk_figure", "message_figure", "percent"]

HEIGHT = 380
PATH_COLOR = "#1f77b4"
BAND_FILL = "rgba(31, 119, 180, 0.25)"
PLACEBO_FILL = "rgba(127, 127, 127, 0.18)"
BAR_COLOR = "#4c78a8"
BAND_LINE = "#d62728"
RISK_COLORS = {"share_any": "#14213d", "share_threats": "#e07a1f", "share_acts": "#b5179e"}
RISK_NAMES = {"share_any": "any category", "share_threats": "threats (1–5)", "share_acts": "acts (6–8)"}
_MARGIN = {"l": 60, "r": 20, "t": 60, "b": 50}


def message_figure(message: str) -> go.Figure:
    """A blank figure of this tab's height with `message` centred (shown as text)."""
    return empty_figure(message).update_layout(height=HEIGHT)


def percent(values) -> list[float | None]:
    """Values ×100 as a list, NaN as None (a gap)."""
    array = np.asarray(values, dtype=np.float64) * 100.0
    return [None if np.isnan(v) else float(v) for v in array.tolist()]


def _band(k: list[int], low, high, name: str, fill: str, kind: str) -> go.Scatter | None:
    """A filled band as one closed polygon: along the upper edge, back along the lower one."""
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    if np.isnan(low).all() or np.isnan(high).all():
        return None
    return go.Scatter(x=k + k[::-1], y=percent(high) + percent(low)[::-1], fill="toself", fillcolor=fill,
                      line={"width": 0}, mode="lines", name=name, hoverinfo="skip", meta={"kind": kind})


def event_study_figure(result: EventStudyResult, tz: str, title: str | None = None) -> go.Figure:
    """Mean cumulative log-return path (×100, %) by k = bars from the event, with its 95 % band
    (filled) and the placebo's 2.5–97.5 % band (lighter, behind it). The subtitle gives the
    events' count and the span of their times in zone `tz`. An empty figure with a message when
    there are no events."""
    if result.n_events == 0:
        return message_figure("No events in this view")
    k = [int(v) for v in result.k]
    traces = [
        _band(k, result.placebo_band_low, result.placebo_band_high,
              f"placebo 95% band ({result.placebo_draws} draws)", PLACEBO_FILL, "placebo_band"),
        _band(k, result.band_low, result.band_high, "95% band of the mean", BAND_FILL, "band"),
        go.Scatter(x=k, y=percent(result.mean_path), mode="lines+markers", name="mean path",
                   line={"color": PATH_COLOR, "width": 2}, meta={"kind": "mean"},
                   hovertemplate="k = %{x}<br>%{y:.3f} %<extra></extra>"),
    ]
    times = display_times(result.events["event_time"], tz)
    span = f"{times.min():%Y-%m-%d %H:%M} to {times.max():%Y-%m-%d %H:%M} ({tz})"
    heading = hover_text(title) + "<br>" if title else ""
    figure = go.Figure([t for t in traces if t is not None])
    figure.update_layout(
        title={"text": f"{heading}<sup>{result.n_events:,} events, {span}</sup>", "font": {"size": 14}},
        height=HEIGHT, margin=_MARGIN, template="plotly_white", hovermode="x",
        legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": f"bars from the event ({result.interval})"}, "zeroline": True},
        yaxis={"title": {"text": "cumulative log return, %"}, "zeroline": True})
    figure.add_vline(x=0, line={"color": "#888", "dash": "dot", "width": 1})
    return figure


def lag_figure(intensity: IntensityResult, title: str | None = None) -> go.Figure:
    """Bars of r (headlines_t against |return|_{t+lag}) by lag, with the ±1.96/√n band as two
    dashed lines. An empty figure with a message when no bucket pairs up."""
    if intensity.n == 0:
        return message_figure("No buckets with a return in this view")
    lags = [int(v) for v in intensity.lags["lag"]]
    r = [None if np.isnan(v) else float(v) for v in intensity.lags["r"].to_numpy(dtype=np.float64)]
    edges = [lags[0] - 0.5, lags[-1] + 0.5]
    traces = [go.Bar(x=lags, y=r, name="r", marker={"color": BAR_COLOR}, meta={"kind": "r"},
                     customdata=intensity.lags["pairs"].tolist(),
                     hovertemplate="lag %{x}: r = %{y:.3f} (%{customdata} pairs)<extra></extra>")]
    if np.isfinite(intensity.band):
        for sign, kind in ((1, "band_high"), (-1, "band_low")):
            traces.append(go.Scatter(x=edges, y=[sign * float(intensity.band)] * 2, mode="lines",
                                     name="±1.96/√n", showlegend=sign == 1, meta={"kind": kind},
                                     line={"color": BAND_LINE, "dash": "dash", "width": 1}, hoverinfo="skip"))
    heading = hover_text(title) + "<br>" if title else ""
    figure = go.Figure(traces)
    figure.update_layout(
        title={"text": f"{heading}<sup>r of {NEWS_TITLE[intensity.news]} per {intensity.bucket} with |return| "
                       f"lag buckets later; "
                       f"n = {intensity.n:,}</sup>", "font": {"size": 14}},
        height=HEIGHT, margin=_MARGIN, template="plotly_white", bargap=0.3,
        legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": "lag (buckets; > 0: news first)"}, "dtick": 1 if len(lags) <= 21 else None},
        yaxis={"title": {"text": "r"}, "zeroline": True})
    return figure


def risk_figure(index: pd.DataFrame) -> go.Figure:
    """The daily geopolitical-risk index (ingest.risk_index.daily_risk_index): per UTC day, the share of
    headlines (%) with any category, a threat and an act. x: the days as YYYY-MM-DD."""
    if index.empty:
        return message_figure("No headlines in this view")
    days = index["day"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d").tolist()
    counts = index["headlines"].tolist()
    traces = [go.Scatter(x=days, y=percent(index[column]), mode="lines+markers" if len(days) <= 62 else "lines",
                         name=RISK_NAMES[column], line={"color": RISK_COLORS[column], "width": 1.5},
                         customdata=counts, meta={"kind": column},
                         hovertemplate="%{x}: %{y:.1f} % of %{customdata} headlines<extra></extra>")
              for column in RISK_COLORS]
    figure = go.Figure(traces)
    figure.update_layout(
        title={"text": "Geopolitical risk: share of the day's headlines (UTC days)", "font": {"size": 14}},
        height=HEIGHT, margin=_MARGIN, template="plotly_white", hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date"}, yaxis={"title": {"text": "% of headlines"}, "rangemode": "tozero"})
    return figure
