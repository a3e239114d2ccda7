"""The three download buttons (prices of the window, the filtered headlines, headlines with moves)
and the download component they share."""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids


def download_buttons() -> html.Span:
    """The buttons, small and outlined, in the headlines card."""
    button = "btn btn-sm btn-outline-secondary"
    return html.Span([
        html.Button("Prices CSV", id=ids.DOWNLOAD_PRICES_BUTTON, className=button),
        html.Button("Headlines CSV", id=ids.DOWNLOAD_HEADLINES_BUTTON, className=button),
        html.Button("Headlines with moves CSV", id=ids.DOWNLOAD_JOINED_BUTTON, className=button),
    ], className="nm-downloads")


def download() -> dcc.Download:
    """The one download component the buttons send their files through."""
    return dcc.Download(id=ids.DOWNLOAD)
