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

CHART = "nm-chart"
CHART_NOTE = "nm-chart-note"        # e.g. "1,234 headlines: zoom in to see them one by one"
EMPTY_STATE = "nm-empty-state"
DETAIL_PANEL = "nm-detail-panel"
DETAIL_BODY = "nm-detail-body"
SELECTED_HEADLINE = "nm-selected-headline"   # dcc.Store: id of the highlighted headline

TABLE = "nm-headlines-table"
TABLE_CONTAINER = "nm-headlines-table-container"   # re-rendered when the filters change
WINDOW = "nm-window"                # dcc.Store: the chart's visible window and interval
TABLE_COUNT = "nm-headlines-count"

DOWNLOAD_PRICES_BUTTON = "nm-download-prices-button"
DOWNLOAD_HEADLINES_BUTTON = "nm-download-headlines-button"
DOWNLOAD_JOINED_BUTTON = "nm-download-joined-button"
DOWNLOAD = "nm-download"
