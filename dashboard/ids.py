"""Component ids, as constants: every callback and test refers to these names."""

URL = "nm-url"
STATE = "nm-state"                  # dcc.Store: the validated view state (dict)
BROWSER_TZ = "nm-browser-tz"        # dcc.Store: the browser's IANA time zone
DATA_VERSION = "nm-data-version"    # dcc.Store: the store's data version last seen
POLL = "nm-poll"                    # dcc.Interval: cheap poll of the data version

TICKER_STRIP = "nm-ticker-strip"
SOURCE_BADGES = "nm-source-badges"
LAST_REFRESH = "nm-last-refresh"

INSTRUMENTS = "nm-instruments"
SEARCH = "nm-search"
TOPICS = "nm-topics"
SOURCES = "nm-sources"
RANGE_PRESET = "nm-range-preset"
DATE_RANGE = "nm-date-range"
TIMEZONE = "nm-timezone"
AXIS_MODE = "nm-axis-mode"
MARKS_BY = "nm-marks-by"
MARK_MODE = "nm-mark-mode"
MORE_FILTERS = "nm-more-filters"                   # the folded part of the filter bar (dbc.Collapse)
MORE_FILTERS_BUTTON = "nm-more-filters-button"
SENTIMENT = "nm-sentiment"
OVERLAYS = "nm-overlays"            # extra chart series: geopolitical-risk index, page snapshots

CHART = "nm-chart"
CHART_NOTE = "nm-chart-note"        # e.g. "1,234 headlines: zoom in to see them one by one"
EMPTY_STATE = "nm-empty-state"
DETAIL_PANEL = "nm-detail-panel"
DETAIL_BODY = "nm-detail-body"
CLUSTER_STORY = "nm-cluster-story"                 # pattern-matching type: a story listed for a clicked cluster
SELECTED_HEADLINE = "nm-selected-headline"   # dcc.Store: id of the highlighted headline
LINKED_STORY = "nm-linked-story"             # dcc.Store: a story named by the URL's fragment, its detail to open

TABLE = "nm-headlines-table"
TABLE_CONTAINER = "nm-headlines-table-container"   # re-rendered when the filters change
WINDOW = "nm-window"                # dcc.Store: the chart's visible window and interval
TABLE_COUNT = "nm-headlines-count"
TABLE_BUILT = "nm-headlines-table-built"   # dcc.Store: the window, view and data version the table was built for

DOWNLOAD_PRICES_BUTTON = "nm-download-prices-button"
DOWNLOAD_HEADLINES_BUTTON = "nm-download-headlines-button"
DOWNLOAD_JOINED_BUTTON = "nm-download-joined-button"
DOWNLOAD = "nm-download"

# The Analysis tab (dashboard.analysis_view): the tabs, its controls, outputs and downloads.
ANALYSIS_TABS = "nm-analysis-tabs"                  # dbc.Tabs: "Chart" and "Analysis"
ANALYSIS_TAB_CHART = "nm-analysis-tab-chart"        # tab_id of the Chart tab (chart card + table card)
ANALYSIS_TAB_ANALYSIS = "nm-analysis-tab-analysis"  # tab_id of the Analysis tab
ANALYSIS_INSTRUMENT = "nm-analysis-instrument"
ANALYSIS_INTERVAL = "nm-analysis-interval"
ANALYSIS_EVENT_WINDOW = "nm-analysis-event-window"  # W: bars on each side of an event
ANALYSIS_SPACING = "nm-analysis-spacing"            # S: minimum bars between events
ANALYSIS_LAG = "nm-analysis-lag"                    # L: largest lag of the cross-correlation
ANALYSIS_NEWS = "nm-analysis-news"                  # news side of the correlation: count or risk share
ANALYSIS_TOP_N = "nm-analysis-top-n"                # N: how many largest moves
ANALYSIS_MODEL = "nm-analysis-model"                # event study: normal-return model (raw, mean, market)
ANALYSIS_BENCHMARK = "nm-analysis-benchmark"        # event study: the market model's benchmark instrument
ANALYSIS_ESTIMATION = "nm-analysis-estimation"      # event study: estimation window L (bars)
ANALYSIS_OVERLAP = "nm-analysis-overlap"            # event study: overlapping events merged, or spacing S
ANALYSIS_CLOSED = "nm-analysis-closed"              # intensity: closed-market headlines, next period or left out
ANALYSIS_PREWHITEN = "nm-analysis-prewhiten"        # intensity: pre-whiten the lags (["prewhiten"] or [])
METHODS_BUTTON = "nm-methods-button"                # opens the methods page (docs/methods.md)
METHODS_PANEL = "nm-methods-panel"                  # dbc.Offcanvas holding it
METHODS_BODY = "nm-methods-body"
ANALYSIS_MESSAGE = "nm-analysis-message"
ANALYSIS_EVENT_CHART = "nm-analysis-event-chart"
ANALYSIS_STATS = "nm-analysis-stats"
ANALYSIS_LAG_CHART = "nm-analysis-lag-chart"
ANALYSIS_RISK_CHART = "nm-analysis-risk-chart"
ANALYSIS_MOVES = "nm-analysis-moves"
ANALYSIS_HINDSIGHT = "nm-analysis-hindsight"            # stories scored with the move that followed
ANALYSIS_PAGES = "nm-analysis-pages"                    # page values against the official series
ANALYSIS_SHOW_ON_CHART = "nm-analysis-show-on-chart"   # pattern-matching type of the "show on chart" links
ANALYSIS_DOWNLOAD_EVENTS_BUTTON = "nm-analysis-download-events-button"
ANALYSIS_DOWNLOAD_STATS_BUTTON = "nm-analysis-download-stats-button"
ANALYSIS_DOWNLOAD_LAGS_BUTTON = "nm-analysis-download-lags-button"
ANALYSIS_DOWNLOAD_MOVES_BUTTON = "nm-analysis-download-moves-button"
ANALYSIS_DOWNLOAD_RISK_BUTTON = "nm-analysis-download-risk-button"
ANALYSIS_DOWNLOAD_HINDSIGHT_BUTTON = "nm-analysis-download-hindsight-button"
ANALYSIS_DOWNLOAD_PAGES_BUTTON = "nm-analysis-download-pages-button"
ANALYSIS_DOWNLOAD = "nm-analysis-download"
