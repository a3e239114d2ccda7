"""The headlines table (server-side paging and sorting), the detail panel, and the highlight
that links a table row or a clicked mark to the chart."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, State, callback_context, no_update

from dashboard import ids
from dashboard.analysis.moves import move_column, moves_after, moves_for_one, why_column
from dashboard.chart.notes import headline_count_text
from dashboard.context import DashboardContext
from dashboard.state import display_zone
from dashboard.table.detail import detail_body
from dashboard.table.layout import headlines_table
from dashboard.window import ChartWindow
from ingest.clean import safe_link
from ingest.close_rules import DEFAULT_RULE, parse_rule

SORT_COLUMNS = {"published": "published", "time": "published", "source": "source", "title": "title"}
HORIZONS = ("1h", "1d")


MOVE_FORMAT = "params.value == null ? '' : d3.format('+.2f')(params.value)"


def move_columns(instruments: list[str], labels: dict[str, str]) -> list[dict]:
    """Column definitions for each shown instrument's moves after the headline; an empty cell
    says on hover why there is no move ("no hourly data", "no close within 1d", ...)."""
    return [{"field": move_column(i, h), "headerName": f"{labels.get(i, i)} {h} %", "width": 105,
             "type": "numericColumn", "valueFormatter": {"function": MOVE_FORMAT},
             "tooltipField": why_column(i, h)}
            for i in instruments for h in HORIZONS]


def story_coverage(copies: pd.DataFrame) -> dict[int, int]:
    """{story (its first copy's id): how many distinct sources carried it} from Store.story_copies."""
    if copies.empty:
        return {}
    return {int(k): int(v) for k, v in copies.groupby("story_id")["source"].nunique().items()}


def table_rows(ctx: DashboardContext, request: dict | None, state_data: dict | None, window: dict | None,
               browser_tz: str | None) -> dict:
    """One block of rows for the grid's infinite row model: {'rowData': [...], 'rowCount': n}."""
    request = request or {}
    state = ctx.view_state(state_data)
    zone = display_zone(state, browser_tz)
    start, end = ChartWindow.from_dict(window).span
    flt = state.headline_filter(start, end)
    first = max(0, int(request.get("startRow") or 0))
    last = max(first, int(request.get("endRow") or first + 50))
    sort_model = request.get("sortModel") or [{"colId": "published", "sort": "desc"}]
    sort = SORT_COLUMNS.get(sort_model[0].get("colId"), "published")
    frame = ctx.store.headlines(flt, limit=last - first, offset=first, sort=sort,
                                         descending=sort_model[0].get("sort") != "asc")
    instruments = list(state.instruments)
    moves = moves_after(frame[["id", "published", "day_precision"]], ctx.bars_around(instruments, frame["published"]),
                        reasons=True)
    coverage = story_coverage(ctx.store.story_copies(frame["id"].tolist()))
    rows = []
    for record, move in zip(frame.to_dict("records"), moves.to_dict("records"), strict=True):
        row = {"id": int(record["id"]), "time": record["published"].tz_convert(zone).strftime("%Y-%m-%d %H:%M"),
               "source": record["source"], "title": record["title"], "topics": record["topics"],
               "link": safe_link(record["link"]) if isinstance(record["link"], str) else None,
               "coverage": coverage.get(int(record["story_id"]), 1)}
        for key, value in move.items():
            if key.startswith("move_"):
                row[key] = None if pd.isna(value) else round(float(value), 4)
            elif key.startswith("why_") and isinstance(value, str):
                row[key] = value
        rows.append(row)
    return {"rowData": rows, "rowCount": ctx.store.count_headlines(flt)}


def detail_view(ctx: DashboardContext, headline_id: int, state_data: dict | None, browser_tz: str | None) -> list:
    """The detail panel's contents for one headline."""
    state = ctx.view_state(state_data)
    frame = ctx.store.headlines(ids=[headline_id])
    if frame.empty:
        return ["This headline is no longer in the store."]
    record = frame.iloc[0].to_dict()
    instruments = list(state.instruments)
    moves = moves_for_one(record["published"], ctx.bars_around(instruments, frame["published"]),
                          day_precision=bool(record.get("day_precision")))
    return detail_body(record, moves, ctx.labels, display_zone(state, browser_tz),
                       rules=instrument_rules(ctx, instruments))


def instrument_rules(ctx: DashboardContext, instruments: list[str]) -> dict[str, str]:
    """How each instrument's closes are known, in words (ingest.close_rules), for the panel."""
    stored = ctx.store.close_rules()
    out = {}
    for instrument in instruments:
        text = stored.get(instrument)
        rule = parse_rule(text) if text else DEFAULT_RULE
        out[instrument] = rule.describe() + "; hourly bars: one hour after they start"
    return out


def clicked_headline(click: dict | None) -> int | None:
    """The headline id of a clicked mark (None for a click on a price line or the counts)."""
    for point in (click or {}).get("points", []):
        data = point.get("customdata")
        if isinstance(data, list) and data and isinstance(data[0], int | float):
            return int(data[0])
    return None


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the table, the detail panel and the highlight."""

    # new data remounts the table (its rows are read again) even when the chart, whose window the
    # data missed, is not redrawn: the moves after each headline read bars beyond the window
    @app.callback(Output(ids.TABLE_CONTAINER, "children"), Output(ids.TABLE_COUNT, "children"),
                  Input(ids.WINDOW, "data"), Input(ids.DATA_VERSION, "data"), State(ids.STATE, "data"))
    def _remount(window, _version, state_data):
        state = ctx.view_state(state_data)
        total = ChartWindow.from_dict(window).headlines
        if total is None:
            start, end = ChartWindow.from_dict(window).span
            total = ctx.store.count_headlines(state.headline_filter(start, end))
        return headlines_table(move_columns(list(state.instruments), ctx.labels)), headline_count_text(total)

    @app.callback(Output(ids.TABLE, "getRowsResponse"), Input(ids.TABLE, "getRowsRequest"),
                  State(ids.STATE, "data"), State(ids.WINDOW, "data"), State(ids.BROWSER_TZ, "data"))
    def _rows(request, state_data, window, browser_tz):
        with ctx.consistent_read() as view:
            return table_rows(view, request, state_data, window, browser_tz)

    @app.callback(Output(ids.DETAIL_PANEL, "is_open"), Output(ids.DETAIL_BODY, "children"),
                  Output(ids.SELECTED_HEADLINE, "data"),
                  Input(ids.CHART, "clickData"), State(ids.STATE, "data"), State(ids.BROWSER_TZ, "data"),
                  prevent_initial_call=True)
    def _detail(click, state_data, browser_tz):
        headline_id = clicked_headline(click)
        if headline_id is None:
            return no_update, no_update, no_update
        with ctx.consistent_read() as view:
            return True, detail_view(view, headline_id, state_data, browser_tz), headline_id

    @app.callback(Output(ids.SELECTED_HEADLINE, "data", allow_duplicate=True),
                  Input(ids.TABLE, "selectedRows"), prevent_initial_call=True)
    def _select(rows):
        if not rows or callback_context.triggered_id != ids.TABLE:
            return no_update
        return int(rows[0]["id"])
