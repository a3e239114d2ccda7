"""The header (brand, ticker strip, failing-source badges, last refresh) and the poll that keeps
the page live. Built from nothing but ids: the header's callbacks fill it in."""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids

POLL_SECONDS = 10


def header() -> html.Div:
    """Brand, ticker strip, failing-source badges, time of the last refresh."""
    return html.Div([
        html.Span("newsmarks", className="nm-brand"),
        html.Div(id=ids.TICKER_STRIP, className="nm-ticker"),
        html.Div(id=ids.SOURCE_BADGES, className="nm-badges"),
        html.Div(id=ids.LAST_REFRESH, className="nm-last-refresh"),
    ], className="nm-header")


def live_updates() -> list:
    """The store's data version as last seen, and the interval that polls it."""
    return [dcc.Store(id=ids.DATA_VERSION), dcc.Interval(id=ids.POLL, interval=POLL_SECONDS * 1000)]
