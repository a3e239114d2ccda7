"""The Dash app factory: `create_app()` builds the app from a config; nothing touches the store
until the first request, so importing this module (or `app.py`) has no side effects."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import html

from dashboard.app_layout import layout
from dashboard.context import DashboardContext
from dashboard.state import ViewState
from dashboard.table.layout import headlines_table
from ingest.config import Config, load_config
from ingest.store import Store

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(config: Config | None = None, store: Store | None = None) -> dash.Dash:
    """The Dash app for a config (default: `load_config()`); `store` to share an open store."""
    from dashboard.analysis_view import callbacks as analysis
    from dashboard.chart import callbacks as chart
    from dashboard.downloads import callbacks as downloads
    from dashboard.filters import callbacks as filters
    from dashboard.header import callbacks as header
    from dashboard.table import callbacks as table

    config = config or load_config()
    ctx = DashboardContext(config, store)
    app = dash.Dash("dashboard", title="newsmarks", assets_folder=str(ASSETS), update_title=None,
                    serve_locally=True, suppress_callback_exceptions=False)
    # the shell reads no store: the URL's sync, the page's first callback, shows the instruments
    # with data (ctx.default_instruments) when the link names none
    default = ViewState(instruments=tuple(ctx.strip_instruments))
    app.layout = lambda: layout(config, default)
    # the ids callbacks may name: the page, and the table the table's callbacks build into it
    app.validation_layout = html.Div([layout(config, default), headlines_table()])
    for module in (filters, chart, header, table, downloads, analysis):
        module.register(app, ctx)
    app.server.config["NEWSMARKS_CONTEXT"] = ctx
    return app


__all__ = ["create_app"]
