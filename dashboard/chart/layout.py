"""The chart card: the note above the chart and the chart itself (filled in by the chart's
callbacks), plus the window the chart last drew (a browser-side store)."""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids


def chart_card() -> html.Div:
    """The note ("1,234 headlines in view, …") over the main chart; scroll zooms."""
    return html.Div([
        html.Div(id=ids.CHART_NOTE, className="nm-note"),
        dcc.Graph(id=ids.CHART, config={"displaylogo": False, "scrollZoom": True}, style={"height": "620px"}),
    ], className="nm-card mb-3")


def drawn_window() -> dcc.Store:
    """The window the chart drew last (ChartWindow as JSON), read by the table and the downloads."""
    return dcc.Store(id=ids.WINDOW)
