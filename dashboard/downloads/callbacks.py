"""The three CSV downloads: prices of the visible window, the filtered headlines, and the
headlines with the moves after them."""

from __future__ import annotations

from dash import Dash, Input, Output, State, callback_context, dcc, no_update

from dashboard import ids
from dashboard.analysis.moves import moves_after
from dashboard.context import DashboardContext
from dashboard.downloads.csv_files import download_name, headlines_csv, joined_csv, prices_csv
from dashboard.state import display_zone
from dashboard.window import ChartWindow

EXPORT_LIMIT = 200_000


def download(ctx: DashboardContext, kind: str, state_data: dict | None, window: dict | None,
             browser_tz: str | None) -> dict:
    """dcc.Download data (bytes, base64) for 'prices', 'headlines' or 'joined'."""
    state = ctx.view_state(state_data)
    zone = display_zone(state, browser_tz)
    start, end = ChartWindow.from_dict(window).span
    interval = (window or {}).get("interval", "1d")
    if kind == "prices":
        bars = ctx.store.bars(list(state.instruments), interval, start, end)
        labels = {i: ctx.labels[i] for i in state.instruments if i in ctx.labels}
        content = prices_csv(bars, labels, zone)
    else:
        flt = state.headline_filter(start, end)
        frame = ctx.store.headlines(flt, limit=EXPORT_LIMIT)
        if kind == "headlines":
            content = headlines_csv(frame, zone)
        else:
            moves = moves_after(frame[["id", "published", "day_precision"]],
                                ctx.bars_around(list(state.instruments), frame["published"]), reasons=True)
            content = joined_csv(frame, moves, zone)
    return dcc.send_bytes(content, download_name(kind, start, end))


BUTTONS = {ids.DOWNLOAD_PRICES_BUTTON: "prices", ids.DOWNLOAD_HEADLINES_BUTTON: "headlines",
           ids.DOWNLOAD_JOINED_BUTTON: "joined"}


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the download buttons."""

    @app.callback(Output(ids.DOWNLOAD, "data"), *[Input(b, "n_clicks") for b in BUTTONS],
                  State(ids.STATE, "data"), State(ids.WINDOW, "data"), State(ids.BROWSER_TZ, "data"),
                  prevent_initial_call=True)
    def _download(*args):
        state_data, window, browser_tz = args[-3:]
        kind = BUTTONS.get(callback_context.triggered_id)
        if kind is None:
            return no_update
        with ctx.consistent_read() as view:
            return download(view, kind, state_data, window, browser_tz)
