"""The headlines table (server-side paging and sorting), the detail panel, and the highlight
that links a table row or a clicked mark to the chart."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
from dash import ALL, Dash, Input, Output, State, callback_context, no_update

from dashboard import ids
from dashboard.analysis.moves import move_column, moves_after, moves_for_one, why_column
from dashboard.chart.mark_traces import CLUSTER_KIND
from dashboard.chart.notes import headline_count_text
from dashboard.context import DashboardContext
from dashboard.state import display_zone
from dashboard.table.detail import cluster_body, detail_body
from dashboard.table.layout import headlines_table
from dashboard.window import ChartWindow
from ingest.clean import safe_link
from ingest.close_rules import DEFAULT_RULE, parse_rule

SORT_COLUMNS = {"published": "published", "time": "published", "source": "source", "title": "title"}
HORIZONS = ("1h", "1d")


def move_columns(instruments: list[str], labels: dict[str, str]) -> list[dict]:
    """One compact column per shown instrument: its moves after the headline over 1h and 1d in one
    cell ("+0.12% / −0.40%", a side blank when that move is unknown); the hover says why a move is
    missing ("no hourly data", "no close within 1d", ...)."""
    return [{"field": compact_column(i), "headerName": f"{labels.get(i, i)} {' / '.join(HORIZONS)}",
             "width": 150, "cellClass": "nm-moves", "tooltipField": compact_why_column(i)} for i in instruments]


def compact_column(instrument: str) -> str:
    return f"moves_{instrument}"


def compact_why_column(instrument: str) -> str:
    return f"moves_why_{instrument}"


def compact_moves(row: dict, instrument: str) -> tuple[str, str | None]:
    """(the cell: each horizon's move in %, blank when unknown, joined by ' / '; the hover: why the
    missing ones are missing, None when none is) from a row's move_/why_ fields."""
    shown, why = [], []
    for horizon in HORIZONS:
        value = row.get(move_column(instrument, horizon))
        shown.append("" if value is None else f"{value:+.2f}%".replace("-", "\u2212"))
        reason = row.get(why_column(instrument, horizon))
        if value is None and reason:
            why.append(f"{horizon}: {reason}")
    cell = " / ".join(shown)
    return ("" if not any(shown) else cell.strip()), ("; ".join(why) or None)


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
    rows = []
    for record, move in zip(frame.to_dict("records"), moves.to_dict("records"), strict=True):
        row = {"id": int(record["id"]), "time": record["published"].tz_convert(zone).strftime("%Y-%m-%d %H:%M"),
               "source": record["source"], "title": record["title"], "topics": record["topics"],
               "link": safe_link(record["link"]) if isinstance(record["link"], str) else None,
               # its story's distinct sources, kept on the first copy (ingest.store.story_scores)
               "coverage": int(record["story_sources"]) if pd.notna(record["story_sources"]) else 1}
        for key, value in move.items():
            if key.startswith("move_"):
                row[key] = None if pd.isna(value) else round(float(value), 4)
            elif key.startswith("why_") and isinstance(value, str):
                row[key] = value
        for instrument in instruments:
            row[compact_column(instrument)], row[compact_why_column(instrument)] = compact_moves(row, instrument)
        rows.append(row)
    return {"rowData": rows, "rowCount": ctx.store.count_headlines(flt)}


def selected_row(ctx: DashboardContext, rows: list[dict], state_data: dict | None, browser_tz: str | None) -> tuple:
    """(selected story, detail panel open, its contents) for a row chosen in the table: the row's
    story, and its detail with the whole title (a cell shows two lines of it)."""
    story = int(rows[0]["id"])
    return story, True, detail_view(ctx, story, state_data, browser_tz)


def linked_story(ctx: DashboardContext, story: int | None, state_data: dict | None,
                 browser_tz: str | None) -> tuple:
    """(detail panel open, its contents) for a story a link names (`#story=123`, opened or typed:
    dashboard.filters.callbacks.sync_fragment): its detail, as a click on its mark opens it."""
    if story is None:
        return no_update, no_update
    return True, detail_view(ctx, int(story), state_data, browser_tz)


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


CLUSTER_LIST = 50     # stories a clicked cluster lists


def clicked_cluster(click: dict | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The UTC span of a clicked cluster badge (dashboard.chart.mark_traces: customdata
    ["cluster", start in epoch seconds, seconds, ...]), None for anything else."""
    for point in (click or {}).get("points", []):
        data = point.get("customdata")
        if isinstance(data, list) and len(data) >= 3 and data[0] == CLUSTER_KIND:
            try:
                start, seconds = int(data[1]), int(data[2])
            except (TypeError, ValueError):
                return None
            if seconds <= 0:
                return None
            first = pd.Timestamp(start, unit="s", tz="UTC")
            return first, first + pd.Timedelta(seconds=seconds - 1)
    return None


def cluster_view(ctx: DashboardContext, span: tuple[pd.Timestamp, pd.Timestamp], state_data: dict | None,
                 window: dict | None, browser_tz: str | None) -> list:
    """The side panel for a clicked cluster: the view's stories in its time (and in the chart's
    window), most important first."""
    state = ctx.view_state(state_data)
    low, high = span
    view_start, view_end = ChartWindow.from_dict(window).span
    if view_start is not None:
        low = max(low, pd.Timestamp(view_start))
    if view_end is not None:
        high = min(high, pd.Timestamp(view_end))
    flt = state.headline_filter(low.to_pydatetime(), high.to_pydatetime())
    stories = ctx.store.ranked_stories(flt, CLUSTER_LIST)
    return cluster_body(stories, ctx.store.count_headlines(flt), low, high, display_zone(state, browser_tz),
                        lambda headline_id: {"type": ids.CLUSTER_STORY, "index": headline_id})


def clicked_headline(click: dict | None) -> int | None:
    """The headline id of a clicked mark (None for a click on a price line or the counts)."""
    for point in (click or {}).get("points", []):
        data = point.get("customdata")
        if isinstance(data, list) and data and isinstance(data[0], int | float):
            return int(data[0])
    return None


def table_built_for(window: dict | None, state_data: dict | None, version: int | None) -> dict:
    """What a table is built for (the TABLE_BUILT store): the chart's window, the view and the
    newest data version its rows were read at."""
    drawn = ChartWindow.from_dict(window).version
    newest = max((v for v in (drawn, version) if v is not None), default=None)
    return {"window": window, "state": state_data, "version": newest}


def table_remount(triggers: Collection[str], window: dict | None, state_data: dict | None, version: int | None,
                  built: dict | None) -> bool:
    """Whether the table is built (again), its first page read, given the ids of the inputs that
    fired (`callback_context.triggered_prop_ids`' values; none: the page's first call) and what the
    table on the page was built for (`table_built_for`; None: no table yet). Once the chart has
    drawn a window (the page starts without a table, so a first load reads the rows once, not
    once for the page, once for the window and once for the first data version); again for a
    window or view it was not built for (a chart answering plotly's first-draw relayout sends
    the same window again: no new table); for new data only when the data version is newer than
    the one its rows were read at (the window's). A window and a data version arriving together
    (one batch of a slow page) are both taken into account."""
    if window is None:
        return False
    if not built:
        return True
    if ids.WINDOW in triggers or ids.DATA_VERSION not in triggers:
        if (built.get("window"), built.get("state")) != (window, state_data):
            return True
    read_at = built.get("version")
    return version is not None and (not isinstance(read_at, int) or version > read_at)


def register(app: Dash, ctx: DashboardContext) -> None:
    """Wire the table, the detail panel and the highlight."""

    # new data remounts the table (its rows are read again) even when the chart, whose window the
    # data missed, is not redrawn: the moves after each headline read bars beyond the window
    @app.callback(Output(ids.TABLE_CONTAINER, "children"), Output(ids.TABLE_COUNT, "children"),
                  Output(ids.TABLE_BUILT, "data"),
                  Input(ids.WINDOW, "data"), Input(ids.DATA_VERSION, "data"), State(ids.STATE, "data"),
                  State(ids.TABLE_BUILT, "data"))
    def _remount(window, version, state_data, built):
        fired = set(callback_context.triggered_prop_ids.values())
        if not table_remount(fired, window, state_data, version, built):
            return no_update, no_update, no_update
        state = ctx.view_state(state_data)
        total = ChartWindow.from_dict(window).headlines
        if total is None:
            start, end = ChartWindow.from_dict(window).span
            total = ctx.store.count_headlines(state.headline_filter(start, end))
        return (headlines_table(move_columns(list(state.instruments), ctx.labels)), headline_count_text(total),
                table_built_for(window, state_data, version))

    # not on the grid's mounting (no request yet: the grid asks for its first block itself)
    @app.callback(Output(ids.TABLE, "getRowsResponse"), Input(ids.TABLE, "getRowsRequest"),
                  State(ids.STATE, "data"), State(ids.WINDOW, "data"), State(ids.BROWSER_TZ, "data"),
                  prevent_initial_call=True)
    def _rows(request, state_data, window, browser_tz):
        with ctx.consistent_read() as view:
            return table_rows(view, request, state_data, window, browser_tz)

    @app.callback(Output(ids.DETAIL_PANEL, "is_open"), Output(ids.DETAIL_BODY, "children"),
                  Output(ids.SELECTED_HEADLINE, "data"),
                  Input(ids.CHART, "clickData"), State(ids.STATE, "data"), State(ids.BROWSER_TZ, "data"),
                  State(ids.WINDOW, "data"), prevent_initial_call=True)
    def _detail(click, state_data, browser_tz, window):
        cluster = clicked_cluster(click)
        if cluster is not None:
            with ctx.consistent_read() as view:
                return True, cluster_view(view, cluster, state_data, window, browser_tz), no_update
        headline_id = clicked_headline(click)
        if headline_id is None:
            return no_update, no_update, no_update
        with ctx.consistent_read() as view:
            return True, detail_view(view, headline_id, state_data, browser_tz), headline_id

    @app.callback(Output(ids.DETAIL_PANEL, "is_open", allow_duplicate=True),
                  Output(ids.DETAIL_BODY, "children", allow_duplicate=True),
                  Input(ids.LINKED_STORY, "data"), State(ids.STATE, "data"), State(ids.BROWSER_TZ, "data"),
                  prevent_initial_call=True)
    def _linked_story(story, state_data, browser_tz):
        with ctx.consistent_read() as view:
            return linked_story(view, story, state_data, browser_tz)

    @app.callback(Output(ids.DETAIL_BODY, "children", allow_duplicate=True),
                  Output(ids.SELECTED_HEADLINE, "data", allow_duplicate=True),
                  Input({"type": ids.CLUSTER_STORY, "index": ALL}, "n_clicks"),
                  State(ids.STATE, "data"), State(ids.BROWSER_TZ, "data"), prevent_initial_call=True)
    def _cluster_story(clicks, state_data, browser_tz):
        chosen = callback_context.triggered_id
        if not isinstance(chosen, dict) or not any(clicks or ()):   # the list drawn, nothing clicked yet
            return no_update, no_update
        with ctx.consistent_read() as view:
            return detail_view(view, int(chosen["index"]), state_data, browser_tz), int(chosen["index"])

    # a row chosen in the table: the story ringed on the chart and its detail — the whole title,
    # its summary and the moves after it — in the side panel
    @app.callback(Output(ids.SELECTED_HEADLINE, "data", allow_duplicate=True),
                  Output(ids.DETAIL_PANEL, "is_open", allow_duplicate=True),
                  Output(ids.DETAIL_BODY, "children", allow_duplicate=True),
                  Input(ids.TABLE, "selectedRows"), State(ids.STATE, "data"), State(ids.BROWSER_TZ, "data"),
                  prevent_initial_call=True)
    def _select(rows, state_data, browser_tz):
        if not rows or callback_context.triggered_id != ids.TABLE:
            return no_update, no_update, no_update
        with ctx.consistent_read() as view:
            return selected_row(view, rows, state_data, browser_tz)
