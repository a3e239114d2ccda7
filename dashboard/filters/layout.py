"""The filter bar: instruments, search, topics, sources, sentiment, range, time zone, axis, marks
grouping and the extra series shown. Built from the config only (no data); the filters' callback
keeps it, the URL and the view state in step."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.chart.clusters import TOP_N
from dashboard.state import RANGE_PRESETS, ViewState
from ingest.config import Config


def _labelled(label: str, component, width: int | str = "auto") -> dbc.Col:
    return dbc.Col([html.Label(label, htmlFor=component.id), component], width=width, className="mb-1")


def filter_bar(config: Config, default: ViewState) -> html.Div:
    """One line — instruments, search, range, time zone, marks and a "More filters" button —
    over the rest, folded away until asked for: dates, topics, sources, sentiment, axis mode, what
    colours the marks and the extra series shown (risk index, page snapshots). Folded filters are
    still set by a link (and the note above the chart says what is shown)."""
    instruments = [{"label": i.label, "value": i.id} for i in config.instruments]
    topics = [{"label": t.name, "value": t.name} for t in config.topics]
    main = dbc.Row([
        _labelled("Instruments", dcc.Dropdown(id=ids.INSTRUMENTS, options=instruments, multi=True,
                                              value=list(default.instruments)), width=2),
        _labelled("Search headlines", dcc.Input(
            id=ids.SEARCH, type="search", debounce=True, value=default.query, className="form-control",
            placeholder='Syria, Lavrov OR Kerry, "oil output", sanction*'), width=2),
        _labelled("Range", dcc.RadioItems(
            id=ids.RANGE_PRESET, options=[*RANGE_PRESETS, "custom"], value=default.range, inline=True,
            inputClassName="me-1", labelClassName="me-2")),
        _labelled("Time zone", dcc.Dropdown(
            id=ids.TIMEZONE, clearable=False, value=default.tz,
            options=[{"label": "UTC", "value": "UTC"}, {"label": "Moscow", "value": "Europe/Moscow"},
                     {"label": "Browser", "value": "browser"}]), width=1),
        _labelled("Marks", dcc.RadioItems(
            id=ids.MARK_MODE, value=default.mark_mode, inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": f"top {TOP_N}", "value": "top"}, {"label": "all", "value": "all"},
                     {"label": "none", "value": "none"}])),
        dbc.Col(dbc.Button("More filters", id=ids.MORE_FILTERS_BUTTON, color="secondary", outline=True, size="sm",
                           n_clicks=0), width="auto", className="mb-1"),
    ], className="g-2 align-items-end flex-nowrap")
    more = dbc.Row([
        _labelled("Dates", dcc.DatePickerRange(id=ids.DATE_RANGE, display_format="YYYY-MM-DD",
                                               clearable=True)),
        _labelled("Topics", dcc.Dropdown(id=ids.TOPICS, options=topics, multi=True, value=[]), width=2),
        _labelled("Sources", dcc.Dropdown(id=ids.SOURCES, options=[], multi=True, value=[]), width=2),
        _labelled("Sentiment", dcc.Dropdown(
            id=ids.SENTIMENT, multi=True, value=list(default.sentiment),
            options=[{"label": s, "value": s} for s in ("negative", "neutral", "positive")]), width=1),
        _labelled("Axis", dcc.RadioItems(
            id=ids.AXIS_MODE, value=default.axis, inline=True, inputClassName="me-1", labelClassName="me-2",
            options=[{"label": "own axes", "value": "separate"}, {"label": "% change", "value": "pct"}])),
        _labelled("Colour by", dcc.RadioItems(
            id=ids.MARKS_BY, value=default.marks_by, inline=True, inputClassName="me-1",
            labelClassName="me-2", options=[{"label": "risk kind", "value": "risk"},
                                            {"label": "topic", "value": "topic"},
                                            {"label": "source", "value": "source"}])),
        _labelled("Show", dcc.Checklist(
            id=ids.OVERLAYS, value=list(default.overlays), inline=True, inputClassName="me-1",
            labelClassName="me-2", options=[{"label": "risk index", "value": "risk"},
                                            {"label": "page snapshots", "value": "snapshots"}])),
    ], className="g-2 align-items-end mt-1")
    return html.Div([main, dbc.Collapse(more, id=ids.MORE_FILTERS, is_open=False)], className="nm-filters")
