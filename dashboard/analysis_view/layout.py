"""The Analysis tab's layout (no data: the callbacks fill it in) and the Chart / Analysis tabs."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.analysis.settings import DEFAULTS, LIMITS

GRAPH_CONFIG = {"displaylogo": False}
DOWNLOAD_BUTTONS = {
    ids.ANALYSIS_DOWNLOAD_EVENTS_BUTTON: ("events", "Events CSV"),
    ids.ANALYSIS_DOWNLOAD_STATS_BUTTON: ("stats", "Statistics CSV"),
    ids.ANALYSIS_DOWNLOAD_LAGS_BUTTON: ("lags", "Lags CSV"),
    ids.ANALYSIS_DOWNLOAD_MOVES_BUTTON: ("moves", "Largest moves CSV"),
    ids.ANALYSIS_DOWNLOAD_RISK_BUTTON: ("risk", "Risk index CSV"),
    ids.ANALYSIS_DOWNLOAD_HINDSIGHT_BUTTON: ("hindsight", "Hindsight CSV"),
    ids.ANALYSIS_DOWNLOAD_PAGES_BUTTON: ("pages", "Page vs official CSV"),
}


def _labelled(label: str, component, width: int | str = "auto") -> dbc.Col:
    return dbc.Col([html.Label(label, htmlFor=component.id), component], width=width, className="mb-1")


def _number(component_id: str, name: str) -> dcc.Input:
    low, high = LIMITS[name]
    return dcc.Input(id=component_id, type="number", min=low, max=high, step=1, value=DEFAULTS[name],
                     debounce=True, className="form-control", style={"width": "6rem"})


def controls() -> html.Div:
    """Instrument (one of the view's), interval, W, the event study's model, benchmark, estimation
    window and overlap rule, S, L, the news side, intensity's closed-market headlines and
    pre-whitening, and N."""
    return html.Div(dbc.Row([
        _labelled("Instrument", dcc.Dropdown(id=ids.ANALYSIS_INSTRUMENT, options=[], clearable=False), width=3),
        _labelled("Bars", dcc.RadioItems(
            id=ids.ANALYSIS_INTERVAL, value="1d", inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "daily", "value": "1d"}, {"label": "hourly", "value": "1h"}])),
        _labelled("Event window W (bars)", _number(ids.ANALYSIS_EVENT_WINDOW, "window")),
        _labelled("Model", dcc.RadioItems(
            id=ids.ANALYSIS_MODEL, value="mean", inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "raw", "value": "raw"}, {"label": "constant mean", "value": "mean"},
                     {"label": "market", "value": "market"}])),
        _labelled("Benchmark", dcc.Dropdown(id=ids.ANALYSIS_BENCHMARK, options=[], placeholder="(market model)"),
                  width=2),
        _labelled("Estimation L (bars)", _number(ids.ANALYSIS_ESTIMATION, "estimation")),
        _labelled("Overlapping events", dcc.RadioItems(
            id=ids.ANALYSIS_OVERLAP, value="merge", inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "merge into episodes", "value": "merge"},
                     {"label": "spacing S", "value": "spacing"}])),
        _labelled("Spacing S (bars)", _number(ids.ANALYSIS_SPACING, "spacing")),
        _labelled("Largest lag L", _number(ids.ANALYSIS_LAG, "lag")),
        _labelled("News side", dcc.RadioItems(
            id=ids.ANALYSIS_NEWS, value="count", inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "headline count", "value": "count"}, {"label": "risk share", "value": "risk"}])),
        _labelled("Closed-market headlines", dcc.RadioItems(
            id=ids.ANALYSIS_CLOSED, value="next", inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "next trading period", "value": "next"}, {"label": "leave out", "value": "exclude"}])),
        _labelled("Lags", dcc.Checklist(
            id=ids.ANALYSIS_PREWHITEN, value=[], inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "pre-whiten (AR)", "value": "prewhiten"}])),
        _labelled("Largest moves N", _number(ids.ANALYSIS_TOP_N, "n")),
        dbc.Col(html.Span([html.Button(text, id=button, className="btn btn-sm btn-outline-secondary")
                           for button, (_, text) in DOWNLOAD_BUTTONS.items()], className="nm-downloads"),
                width="auto", className="mb-1 ms-auto"),
    ], className="g-2 align-items-end"), className="nm-card mb-3")


def _card(title: str, *children) -> html.Div:
    return html.Div([html.H6(title, className="mb-1"), *children], className="nm-card mb-3")


def analysis_tab() -> html.Div:
    """The Analysis tab's contents."""
    return html.Div([
        controls(),
        html.Div([html.Button("Methods: how each number is made", id=ids.METHODS_BUTTON,
                              className="btn btn-sm btn-link p-0 float-end")]),
        html.Div(id=ids.ANALYSIS_MESSAGE, className="nm-note mb-2"),
        dcc.Loading(html.Div([
            dbc.Row([
                dbc.Col(_card("Event study: cumulative abnormal return around the headlines",
                              dcc.Graph(id=ids.ANALYSIS_EVENT_CHART, config=GRAPH_CONFIG)), lg=7),
                dbc.Col(_card("Statistics", html.Div(id=ids.ANALYSIS_STATS)), lg=5),
            ], className="g-3"),
            dbc.Row([
                dbc.Col(_card("News intensity against volatility, by lag",
                              dcc.Graph(id=ids.ANALYSIS_LAG_CHART, config=GRAPH_CONFIG)), lg=6),
                dbc.Col(_card("Daily geopolitical-risk index",
                              dcc.Graph(id=ids.ANALYSIS_RISK_CHART, config=GRAPH_CONFIG)), lg=6),
            ], className="g-3"),
            _card("Largest moves and the headlines before them",
                  html.Div(id=ids.ANALYSIS_MOVES, style={"overflowX": "auto"})),
            _card("Stories with hindsight: importance plus the move that followed",
                  html.Div(id=ids.ANALYSIS_HINDSIGHT, style={"overflowX": "auto"})),
            _card("Page against official: which official value each page value equals, and how late",
                  html.Div(id=ids.ANALYSIS_PAGES, style={"overflowX": "auto"})),
        ]), type="default", delay_show=300, show_initially=False),
        dcc.Download(id=ids.ANALYSIS_DOWNLOAD),
        dbc.Offcanvas(dcc.Markdown(id=ids.METHODS_BODY, className="nm-methods"), id=ids.METHODS_PANEL,
                      title="Methods: how each number is made", placement="end", is_open=False,
                      style={"width": "min(48rem, 95vw)"}),
    ], className="pt-3")


def page_tabs(chart_children: list) -> dbc.Tabs:
    """The main area's tabs: "Chart" (`chart_children`, shown first) and "Analysis"."""
    return dbc.Tabs([
        dbc.Tab(html.Div(chart_children, className="pt-3"), label="Chart", tab_id=ids.ANALYSIS_TAB_CHART),
        dbc.Tab(analysis_tab(), label="Analysis", tab_id=ids.ANALYSIS_TAB_ANALYSIS),
    ], id=ids.ANALYSIS_TABS, active_tab=ids.ANALYSIS_TAB_CHART)
