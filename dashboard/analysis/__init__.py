"""Measurements of what the news does to prices — pure functions over DataFrames and arrays, and
the API for scripts (dashboard.analysis.api): open a store, read prices and headlines through one
filter type, run the event study, intensity and largest moves as the Analysis tab and the CLI do.
Importing this package loads neither Dash nor plotly."""

from dashboard.analysis.api import (
    AnalysisError,
    analysis_inputs,
    event_study_of,
    intensity_of,
    largest_moves_of,
    open_store,
    read_headlines,
    read_prices,
)
from dashboard.analysis.event_study import EventStudyResult
from dashboard.analysis.intensity import IntensityResult
from dashboard.analysis.settings import Settings
from ingest.headline_tags.risk_index import daily_risk_index
from ingest.store import HeadlineFilter, Store

__all__ = ["AnalysisError", "EventStudyResult", "HeadlineFilter", "IntensityResult", "Settings", "Store",
           "analysis_inputs", "daily_risk_index", "event_study_of", "intensity_of", "largest_moves_of", "open_store",
           "read_headlines", "read_prices"]
