"""The page: header with the ticker strip, filter bar, then two tabs — Chart (chart, detail panel,
headlines table, downloads) and Analysis (dashboard.analysis_view). Built from the config only
(no data): callbacks fill it in."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.analysis_view.layout import page_tabs
from dashboard.state import RANGE_PRESETS, ViewState
from ingest.config import Config

POLL_SECONDS = 10
PAGE_SIZE = 50


def _labelled(label: str, component, width: int | str = "auto") -> dbc.Col:
    return dbc.Col([html.Label(label, htmlFor=component.id), component], width=width, className="mb-1")


def header() -> html.Div:
    """Brand, ticker strip, failing-source badges, time of the last refresh."""
    return html.Div([
        html.Span("newsmarks", className="nm-brand"),
        html.Div(id=ids.TICKER_STRIP, className="nm-ticker"),
        html.Div(id=ids.SOURCE_BADGES, className="nm-badges"),
        html.Div(id=ids.LAST_REFRESH, className="nm-last-refresh"),
    ], className="nm-header")


def filter_bar(config: Config, default: ViewState) -> html.Div:
    """Instruments, search, topics, sources, sentiment, range, time zone, axis, marks grouping and
    the extra series shown (risk index, page snapshots)."""
    instruments = [{"label": i.label, "value": i.id} for i in config.instruments]
    topics = [{"label": t.name, "value": t.name} for t in config.topics]
    return html.Div(dbc.Row([
        _labelled("Instruments", dcc.Dropdown(id=ids.INSTRUMENTS, options=instruments, multi=True,
                                              value=list(default.instruments)), width=3),
        _labelled("Search headlines", dcc.Input(
            id=ids.SEARCH, type="search", debounce=True, value=default.query, className="form-control",
            placeholder='Syria, Lavrov OR Kerry, "oil output", sanction*'), width=2),
        _labelled("Topics", dcc.Dropdown(id=ids.TOPICS, options=topics, multi=True, value=[]), width=2),
        _labelled("Sources", dcc.Dropdown(id=ids.SOURCES, options=[], multi=True, value=[]), width=2),
        _labelled("Sentiment", dcc.Dropdown(
            id=ids.SENTIMENT, multi=True, value=list(default.sentiment),
            options=[{"label": s, "value": s} for s in ("negative", "neutral", "positive")]), width=1),
        _labelled("Range", dcc.RadioItems(
            id=ids.RANGE_PRESET, options=[*RANGE_PRESETS, "custom"], value=default.range, inline=True,
            inputClassName="me-1", labelClassName="me-2")),
        _labelled("Dates", dcc.DatePickerRange(id=ids.DATE_RANGE, display_format="YYYY-MM-DD",
                                               clearable=True)),
        _labelled("Time zone", dcc.Dropdown(
            id=ids.TIMEZONE, clearable=False, value=default.tz,
            options=[{"label": "UTC", "value": "UTC"}, {"label": "Moscow", "value": "Europe/Moscow"},
                     {"label": "Browser", "value": "browser"}]), width=1),
        _labelled("Axis", dcc.RadioItems(
            id=ids.AXIS_MODE, value=default.axis, inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "own axes", "value": "separate"}, {"label": "% change", "value": "pct"}])),
        _labelled("Marks by", dcc.RadioItems(
            id=ids.MARKS_BY, value=default.marks_by, inline=True, inputClassName="me-1",
            labelClassName="me-2", options=[{"label": "source", "value": "source"},
                                            {"label": "topic", "value": "topic"}])),
        _labelled("Show", dcc.Checklist(
            id=ids.OVERLAYS, value=list(default.overlays), inline=True, inputClassName="me-1",
            labelClassName="me-2", options=[{"label": "risk index", "value": "risk"},
                                            {"label": "page snapshots", "value": "snapshots"}])),
    ], className="g-2 align-items-end"), className="nm-filters")


def headlines_table(extra_columns: list[dict] | None = None) -> dag.AgGrid:
    """The headlines table: server-side paged and sorted (infinite row model), with
    `extra_columns` (the moves of the shown instruments)."""
    columns = [
        {"field": "time", "headerName": "Time", "sortable": True, "width": 170, "colId": "published"},
        {"field": "source", "headerName": "Source", "sortable": True, "width": 160},
        {"field": "title", "headerName": "Title", "sortable": True, "flex": 3,
         "cellRenderer": "SafeLink", "tooltipField": "title", "minWidth": 320},
        {"field": "topics", "headerName": "Topics", "sortable": False, "width": 160},
        *(extra_columns or []),
    ]
    return dag.AgGrid(
        id=ids.TABLE, rowModelType="infinite", columnDefs=columns, getRowId="params.data.id",
        defaultColDef={"resizable": True, "sortable": False},
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                         "maxBlocksInCache": 10, "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                                  "enableClickSelection": True},
                         "tooltipShowDelay": 400},
        style={"height": "460px"})


def layout(config: Config, default: ViewState) -> html.Div:
    """The whole page."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE),
        dcc.Store(id=ids.BROWSER_TZ),
        dcc.Store(id=ids.DATA_VERSION),
        dcc.Store(id=ids.SELECTED_HEADLINE),
        dcc.Store(id=ids.WINDOW),
        dcc.Interval(id=ids.POLL, interval=POLL_SECONDS * 1000),
        dcc.Download(id=ids.DOWNLOAD),
        header(),
        filter_bar(config, default),
        html.Div([
            html.Div(id=ids.EMPTY_STATE),
            page_tabs([
                html.Div([
                    html.Div(id=ids.CHART_NOTE, className="nm-note"),
                    dcc.Graph(id=ids.CHART, config={"displaylogo": False, "scrollZoom": True},
                              style={"height": "620px"}),
                ], className="nm-card mb-3"),
                html.Div([
                    html.Div([
                        html.Span(id=ids.TABLE_COUNT, className="nm-note me-3"),
                        html.Span([
                            html.Button("Prices CSV", id=ids.DOWNLOAD_PRICES_BUTTON,
                                        className="btn btn-sm btn-outline-secondary"),
                            html.Button("Headlines CSV", id=ids.DOWNLOAD_HEADLINES_BUTTON,
                                        className="btn btn-sm btn-outline-secondary"),
                            html.Button("Headlines with moves CSV", id=ids.DOWNLOAD_JOINED_BUTTON,
                                        className="btn btn-sm btn-outline-secondary"),
                        ], className="nm-downloads"),
                    ], className="d-flex align-items-center mb-2"),
                    html.Div(headlines_table(), id=ids.TABLE_CONTAINER),
                ], className="nm-card"),
            ]),
        ], className="nm-main"),
        dbc.Offcanvas(id=ids.DETAIL_PANEL, title="Headline", placement="end", is_open=False,
                      children=html.Div(id=ids.DETAIL_BODY), style={"width": "440px"}),
    ])
