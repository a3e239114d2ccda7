"""Live updates and the header: a cheap poll of the store's data version (one small query),
then the ticker strip, failing-source badges, last refresh and the source filter's options."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from dash import Dash, Input, Output, State, no_update

from dashboard import ids
from dashboard.context import DashboardContext
from dashboard.header.parts import last_refresh, source_badges, ticker_strip
from dashboard.header.ticker import ticker_items
from dashboard.state import display_zone

RECENT = timedelta(days=10)


def poll(ctx: DashboardContext, seen: int | None):
    """The store's data version when it changed since `seen`, else no_update."""
    version = ctx.store.data_version()
    return version if version != seen else no_update


def header_view(ctx: DashboardContext, state_data: dict | None, browser_tz: str | None) -> tuple:
    """(ticker strip, badges, last refresh text, source options)."""
    store = ctx.store
    state = ctx.view_state(state_data)
    zone = display_zone(state, browser_tz)
    now = pd.Timestamp.now(tz="UTC")
    latest = store.latest_data_time(now.to_pydatetime())
    recent = store.bars([i.id for i in ctx.config.instruments if i.mark],
                        start=latest - RECENT if latest else None)
    runs = store.latest_runs()
    options = [{"label": s, "value": s} for s in store.headline_sources()]
    return (ticker_strip(ticker_items(recent, ctx.config.instruments, now), zone), source_badges(runs),
            last_refresh(runs, zone), options)


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the poll and the header."""

    @app.callback(Output(ids.DATA_VERSION, "data"), Input(ids.POLL, "n_intervals"),
                  State(ids.DATA_VERSION, "data"))
    def _poll(_n, seen):
        return poll(ctx, seen)

    @app.callback(Output(ids.TICKER_STRIP, "children"), Output(ids.SOURCE_BADGES, "children"),
                  Output(ids.LAST_REFRESH, "children"), Output(ids.SOURCES, "options"),
                  Input(ids.DATA_VERSION, "data"), Input(ids.STATE, "data"), Input(ids.BROWSER_TZ, "data"))
    def _header(_version, state_data, browser_tz):
        with ctx.consistent_read() as view:
            return header_view(view, state_data, browser_tz)

    app.clientside_callback(
        "function(_) { return window.dash_clientside.newsmarks.browserTimeZone(); }",
        Output(ids.BROWSER_TZ, "data"), Input(ids.URL, "pathname"))
