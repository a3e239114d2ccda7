"""The headlines card: the count, the download buttons and the table (server-side paged and sorted,
filled in by the table's callbacks)."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from dashboard import ids
from dashboard.downloads.layout import download_buttons

PAGE_SIZE = 50


def headlines_table(extra_columns: list[dict] | None = None) -> dag.AgGrid:
    """The headlines table: server-side paged and sorted (infinite row model), with
    `extra_columns` (the moves of the shown instruments)."""
    columns = [
        {"field": "time", "headerName": "Time", "sortable": True, "width": 170, "colId": "published"},
        {"field": "source", "headerName": "Source", "sortable": True, "width": 160},
        {"field": "title", "headerName": "Title", "sortable": True, "flex": 3, "wrapText": True,
         "cellRenderer": "SafeLink", "tooltipField": "title", "minWidth": 320, "cellClass": "nm-title"},
        {"field": "topics", "headerName": "Topics", "sortable": False, "width": 160},
        {"field": "coverage", "headerName": "Sources", "sortable": False, "width": 95, "type": "numericColumn",
         "headerTooltip": "How many feeds carried the story (the same news in their own words is one story)"},
        *(extra_columns or []),
    ]
    return dag.AgGrid(
        id=ids.TABLE, rowModelType="infinite", columnDefs=columns, getRowId="params.data.id",
        defaultColDef={"resizable": True, "sortable": False},
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                         "maxBlocksInCache": 10, "rowHeight": 48,   # titles wrap over two lines
                         "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "tooltipShowDelay": 400},
        style={"height": "460px"})


def headlines_card() -> html.Div:
    """The count of headlines in view, the download buttons, then the table."""
    return html.Div([
        html.Div([html.Span(id=ids.TABLE_COUNT, className="nm-note me-3"), download_buttons()],
                 className="d-flex align-items-center mb-2"),
        # the table is built once the chart has drawn its window (table.callbacks.table_remount)
        html.Div(id=ids.TABLE_CONTAINER), dcc.Store(id=ids.TABLE_BUILT),
    ], className="nm-card")
