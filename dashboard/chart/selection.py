"""The ring on the selected headline: where it sits (the anchor's price known at the headline's
time, as its mark would sit), and the Dash `Patch` that moves just that trace — the chart's first
(dashboard.chart.figures) — instead of drawing the whole chart again when a story is selected."""

from __future__ import annotations

import pandas as pd
from dash import Patch

from dashboard.analysis.alignment import bad_bars
from dashboard.chart.data import BAR_PADDING
from dashboard.chart.figures import instrument_axes
from dashboard.chart.marks import mark_anchor, place_marks
from dashboard.chart.wall_clock import display_times
from dashboard.context import DashboardContext
from dashboard.state import ViewState, display_zone
from dashboard.window import ChartWindow

RING = 0     # the ring's index among the chart's traces


def selected_marks(ctx: DashboardContext, headline_id: int | None, bars: pd.DataFrame, anchor: str | None,
                   axis_mode: str) -> pd.DataFrame | None:
    """The selected headline placed like a mark on the anchor's line (`bars`: the chart's good
    bars); None when nothing is selected or it is no longer stored."""
    if headline_id is None:
        return None
    row = ctx.store.headlines(ids=[int(headline_id)])
    if row.empty:
        return None
    return place_marks(row[["id", "published", "day_precision"]], bars, anchor, axis_mode)


def ring_patch(ctx: DashboardContext, headline_id: int | None, state_data: dict | None, window: dict | None,
               browser_tz: str | None) -> Patch:
    """The patch moving the ring to `headline_id` (or clearing it) on the chart drawn for `window`."""
    state: ViewState = ctx.view_state(state_data)
    drawn = ChartWindow.from_dict(window)
    start, end = drawn.span
    interval = drawn.interval or "1d"
    padded = start - BAR_PADDING.get(interval, BAR_PADDING["1d"]) if start is not None else None
    bars = ctx.store.closes(list(state.instruments), interval, padded, end)
    good = bars[~bad_bars(bars)] if not bars.empty else bars
    anchor = mark_anchor(state.instruments, good)
    placed = selected_marks(ctx, headline_id, good, anchor, state.axis)
    labels = {i: ctx.labels[i] for i in state.instruments if i in ctx.labels}
    axis = instrument_axes(good, labels, state.axis).get(anchor, "y") if placed is not None else "y"
    patch = Patch()
    if placed is None or placed.empty:
        patch["data"][RING]["x"], patch["data"][RING]["y"] = [], []
        patch["data"][RING]["meta"] = {"kind": "highlight", "id": None}
        return patch
    zone = display_zone(state, browser_tz)
    patch["data"][RING]["x"] = [t.isoformat() for t in display_times(placed["published"], zone,
                                                                      "selected.published")]
    patch["data"][RING]["y"] = placed["y"].astype("float64").tolist()
    patch["data"][RING]["yaxis"] = axis
    patch["data"][RING]["meta"] = {"kind": "highlight", "id": int(headline_id)}
    return patch
