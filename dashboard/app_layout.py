"""The page, assembled from the features: header, filter bar, then two tabs — Chart (chart, detail
panel, headlines card) and Analysis (dashboard.analysis_view). Built from the config only (no
data): each feature's callbacks fill in its part."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.analysis_view.layout import page_tabs
from dashboard.chart.layout import chart_card, drawn_window
from dashboard.downloads.layout import download
from dashboard.filters.layout import filter_bar
from dashboard.header.layout import header, live_updates
from dashboard.state import ViewState
from dashboard.table.layout import headlines_card
from ingest.config import Config


def layout(config: Config, default: ViewState) -> html.Div:
    """The whole page."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE),
        dcc.Store(id=ids.BROWSER_TZ),
        dcc.Store(id=ids.SELECTED_HEADLINE),
        dcc.Store(id=ids.LINKED_STORY),
        drawn_window(),
        *live_updates(),
        download(),
        header(),
        filter_bar(config, default),
        html.Div([
            html.Div(id=ids.EMPTY_STATE),
            page_tabs([chart_card(), headlines_card()]),
        ], className="nm-main"),
        # no backdrop: the chart and the table stay usable beside it (another mark or row updates it)
        dbc.Offcanvas(id=ids.DETAIL_PANEL, title="Headline", placement="end", is_open=False, backdrop=False,
                      scrollable=True, children=html.Div(id=ids.DETAIL_BODY), style={"width": "440px"}),
    ])
