"""The Analysis tab's figures as plain ``go.Figure`` (pure): the event-study path with its bands,
the lagged correlations, and the daily geopolitical-risk index. Moves are log returns shown ×100
(log %); every trace carries ``meta={'kind': ...}`` so tests and the page can find it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.event_study import EventStudyResult
from dashboard.analysis.intensity import IntensityResult
from dashboard.chart.figures import empty_figure
from dashboard.chart.overlays import band_polygon
from dashboard.chart.plotly_text import hover_text
from dashboard.chart.wall_clock import display_times
from ingest.headline_tags.risk_index import MIN_BUCKET_HEADLINES, MIN_SOURCE_HEADLINES, base_period

NEWS_TITLE = {"count": "headlines", "risk": "the risk share of headlines"}
__all__ = ["event_study_figure", "lag_figure", "risk_figure", "message_figure", "percent"]

HEIGHT = 380
PATH_COLOR = "#1f77b4"
BAND_FILL = "rgba(31, 119, 180, 0.25)"
PLACEBO_FILL = "rgba(127, 127, 127, 0.18)"
BAR_COLOR = "#4c78a8"
BAND_LINE = "#d62728"
RISK_COLORS = {"index_any": "#14213d", "index_threats": "#e07a1f", "index_acts": "#b5179e"}
RISK_NAMES = {"index_any": "any category", "index_threats": "threats (1–5)", "index_acts": "acts (6–8)"}
RISK_BAND_FILL = "rgba(20, 33, 61, 0.15)"
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
    """The CAAR path — the mean cumulative abnormal log return under the study's model; the mean
    raw move for model 'raw' — (×100, %) by k = bars from the event, with its 95 % band (filled)
    and the placebo's 2.5–97.5 % band (the event calendar shifted; lighter, behind it). The
    subtitle gives the events' (episodes') count, the span of their times in zone `tz` and the
    model. An empty figure with a message when there are no events."""
    if result.n_events == 0:
        return message_figure("No events in this view")
    k = [int(v) for v in result.k]
    raw = result.model == "raw"
    name = "mean path" if raw else "CAAR"
    traces = [
        _band(k, result.placebo_band_low, result.placebo_band_high,
              f"placebo 95% band ({result.placebo_draws} calendar shifts)", PLACEBO_FILL, "placebo_band"),
        _band(k, result.band_low, result.band_high, f"95% band of the {'mean' if raw else 'CAAR'}", BAND_FILL,
              "band"),
        go.Scatter(x=k, y=percent(result.mean_path), mode="lines+markers", name=name,
                   line={"color": PATH_COLOR, "width": 2}, meta={"kind": "mean"},
                   hovertemplate="k = %{x}<br>%{y:.3f} %<extra></extra>"),
    ]
    times = display_times(result.events["event_time"], tz)
    span = f"{times.min():%Y-%m-%d %H:%M} to {times.max():%Y-%m-%d %H:%M} ({tz})"
    heading = hover_text(title) + "<br>" if title else ""
    count = f"{result.n_events:,} {'episodes' if result.overlap == 'merge' else 'events'}"
    model = {"raw": "raw moves", "mean": "constant-mean model", "market": f"market model on {result.benchmark}"}
    figure = go.Figure([t for t in traces if t is not None])
    figure.update_layout(
        title={"text": f"{heading}<sup>{count}, {span}; {hover_text(model[result.model])}</sup>",
               "font": {"size": 14}},
        height=HEIGHT, margin=_MARGIN, template="plotly_white", hovermode="x",
        legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": f"bars from the event ({result.interval})"}, "zeroline": True},
        yaxis={"title": {"text": "cumulative log return, %" if raw else "cumulative abnormal log return, %"},
               "zeroline": True})
    figure.add_vline(x=0, line={"color": "#888", "dash": "dot", "width": 1})
    return figure


def _lag_band(lags: list[int], band: np.ndarray, sign: int, name: str, kind: str, dash: str,
              legend: bool) -> go.Scatter:
    """One edge of a per-lag band as a step line centred on each lag (a gap where it is NaN)."""
    return go.Scatter(x=lags, y=[None if np.isnan(v) else sign * float(v) for v in band], mode="lines",
                      line_shape="hvh", name=name, showlegend=legend, meta={"kind": kind},
                      line={"color": BAND_LINE, "dash": dash, "width": 1}, hoverinfo="skip")


def lag_figure(intensity: IntensityResult, title: str | None = None) -> go.Figure:
    """Bars of r (news_t against |return|_{t+lag}; of the AR residuals when pre-whitened) by lag,
    with each lag's bands from its own pairs n: the pointwise ±1.96/√n (dashed) and the Šidák
    family band ±z/√n over the lags tested (dotted) — a bar beyond the family band is unlikely
    for unrelated series even after looking at every lag. An empty figure with a message when no
    bucket pairs up."""
    if intensity.n == 0:
        return message_figure("No buckets with a return in this view")
    lags = [int(v) for v in intensity.lags["lag"]]
    r = [None if np.isnan(v) else float(v) for v in intensity.lags["r"].to_numpy(dtype=np.float64)]
    traces = [go.Bar(x=lags, y=r, name="r", marker={"color": BAR_COLOR}, meta={"kind": "r"},
                     customdata=np.column_stack([intensity.lags["pairs"], intensity.lags["band"],
                                                 intensity.lags["family_band"]]).tolist(),
                     hovertemplate="lag %{x}: r = %{y:.3f} (%{customdata[0]} pairs; band ±%{customdata[1]:.3f}, "
                                   "family ±%{customdata[2]:.3f})<extra></extra>")]
    point = intensity.lags["band"].to_numpy(dtype=np.float64)
    family = intensity.lags["family_band"].to_numpy(dtype=np.float64)
    if np.isfinite(point).any():
        z = f"{intensity.family_z:.2f}"
        for sign, suffix in ((1, "high"), (-1, "low")):
            traces.append(_lag_band(lags, point, sign, "pointwise ±1.96/√n", f"band_{suffix}", "dash", sign == 1))
            traces.append(_lag_band(lags, family, sign, f"family ±{z}/√n (Šidák, {intensity.lags_tested} lags)",
                                    f"family_{suffix}", "dot", sign == 1))
    heading = hover_text(title) + "<br>" if title else ""
    whitened = (f"; pre-whitened (AR {intensity.ar_orders[0]} / AR {intensity.ar_orders[1]})"
                if intensity.prewhitened and intensity.ar_orders else "")
    figure = go.Figure(traces)
    figure.update_layout(
        title={"text": f"{heading}<sup>r of {NEWS_TITLE[intensity.news]} per {intensity.bucket} with |return| "
                       f"lag buckets later; "
                       f"n = {intensity.n:,}{whitened}</sup>", "font": {"size": 14}},
        height=HEIGHT, margin=_MARGIN, template="plotly_white", bargap=0.3,
        legend={"orientation": "h", "y": -0.2},
        xaxis={"title": {"text": "lag (trading periods; > 0: news first)"}, "dtick": 1 if len(lags) <= 21 else None},
        yaxis={"title": {"text": "r"}, "zeroline": True})
    return figure


def risk_figure(index: pd.DataFrame) -> go.Figure:
    """The daily geopolitical-risk index (ingest.headline_tags.risk_index.daily_risk_index): per UTC day, the index
    of headlines with any category, a threat and an act (100 = the mean of the view's counted days;
    tagged over expected at each source's own mean share), the main line with its 95% band; days with
    too few headlines are gaps.
    x: the days as YYYY-MM-DD."""
    if index.empty:
        return message_figure("No headlines in this view")
    period = base_period(index)
    if period is None:
        return message_figure(f"No day in this view has {MIN_BUCKET_HEADLINES} headlines from sources with "
                              f"≥{MIN_SOURCE_HEADLINES} each: no risk index")
    days = index["day"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d").tolist()
    mode = "lines+markers" if len(days) <= 62 else "lines"
    band_x, band_y = band_polygon(days, index["index_any_low"], index["index_any_high"])
    traces = [go.Scatter(x=band_x, y=band_y, mode="lines", line={"width": 0}, fill="toself", fillcolor=RISK_BAND_FILL,
                         name="95% band (any)", hoverinfo="skip", meta={"kind": "index_any_band"})]
    for column in RISK_COLORS:
        data = np.column_stack([
            index["headlines"].to_numpy(np.int64), index["counted"].to_numpy(np.int64),
            index["sources"].to_numpy(np.int64),
            index[column.replace("index_", "share_")].to_numpy(np.float64) * 100.0,
            index[f"{column}_low"].to_numpy(np.float64), index[f"{column}_high"].to_numpy(np.float64)]).tolist()
        traces.append(go.Scatter(
            x=days, y=_finite(index[column]), mode=mode, name=RISK_NAMES[column],
            line={"color": RISK_COLORS[column], "width": 1.5}, customdata=data, meta={"kind": column},
            hovertemplate="%{x}: %{y:.0f} (95% band %{customdata[4]:.0f}–%{customdata[5]:.0f}); raw share "
                          "%{customdata[3]:.1f}% of %{customdata[0]:.0f} headlines, index from "
                          "%{customdata[1]:.0f} of %{customdata[2]:.0f} sources<extra></extra>"))
    missing = int(index["index_any"].isna().sum())
    left_out = f" ({missing:,} of {len(index):,} here)" if missing else ""
    figure = go.Figure(traces)
    figure.update_layout(
        title={"text": f"Geopolitical risk index (UTC days): 100 = mean of {period[0]:%Y-%m-%d} … "
                       f"{period[1]:%Y-%m-%d}<br><sup>tagged headlines over those expected at each source's own "
                       f"mean share (sources with ≥{MIN_SOURCE_HEADLINES} headlines); days with "
                       f"<{MIN_BUCKET_HEADLINES} such headlines left out{left_out}</sup>", "font": {"size": 14}},
        height=HEIGHT, margin=_MARGIN, template="plotly_white", hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date"}, yaxis={"title": {"text": "index (view mean = 100)"}, "rangemode": "tozero"})
    return figure


def _finite(values) -> list[float | None]:
    """Values as a list, NaN as None (a gap)."""
    array = np.asarray(values, dtype=np.float64)
    return [None if np.isnan(v) else float(v) for v in array.tolist()]
