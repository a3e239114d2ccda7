"""newsmarks' analyses for scripts: open a store, read prices and headlines as DataFrames through
one filter type (ingest.store.HeadlineFilter), and run the analyses the Analysis tab and the CLI
run, on the same inputs (dashboard.analysis.inputs), so a script, the tab and `newsmarks study`
give the same figures for the same view. Nothing here imports Dash or plotly.

    from datetime import UTC, datetime
    from dashboard.analysis import HeadlineFilter, Settings, event_study_of, open_store

    store = open_store()     # the config's store (newsmarks.toml or $NEWSMARKS_CONFIG), or a URL
    view = HeadlineFilter(start=datetime(2026, 5, 12, tzinfo=UTC), end=datetime(2026, 8, 18, tzinfo=UTC),
                          query="Hormuz")
    print(event_study_of(store, view, Settings(instrument="brent", window=3)).summary())
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from dashboard.analysis.event_study import EventStudyResult
from dashboard.analysis.inputs import (
    AnalysisInputs,
    load_inputs,
    run_event_study,
    run_intensity,
    run_largest_moves,
)
from dashboard.analysis.intensity import IntensityResult
from dashboard.analysis.settings import Settings
from ingest.config import Config, load_config
from ingest.store import HeadlineFilter, Store


class AnalysisError(ValueError):
    """An analysis that cannot be run on this view; the message says why (too few bars, no
    benchmark, non-positive prices…)."""


def open_store(url: str | None = None, *, config: Config | None = None) -> Store:
    """The store at `url` (a SQLAlchemy URL: sqlite:///path.db, postgresql+psycopg://…), else the
    store of `config`, else of `load_config()` (newsmarks.toml, or $NEWSMARKS_CONFIG). Close it
    with `store.close()` when done."""
    if url is None:
        url = (config or load_config()).store.url
    return Store.open(url)


def read_prices(store: Store, instrument: str, interval: str = "1d", start: datetime | None = None,
                end: datetime | None = None) -> pd.DataFrame:
    """One instrument's bars (UTC `ts`; `known`: when the close became known; open/high/low/close;
    `flag` and `bad`: a bad tick, kept out of every return), oldest first, from `start` to `end`
    (inclusive; None: unbounded)."""
    return store.bars([instrument], interval, start, end)


def read_headlines(store: Store, headline_filter: HeadlineFilter, *, limit: int | None = None) -> pd.DataFrame:
    """The headlines matching `headline_filter` (time range, search query, sources, topics,
    sentiments, first copy of each story only), oldest first; at most `limit`."""
    return store.headlines(headline_filter, limit=limit)


def analysis_inputs(store: Store, headline_filter: HeadlineFilter, settings: Settings,
                    label: str | None = None) -> AnalysisInputs:
    """The frames one analysis of the view reads (the filter's headlines in its window, bars
    around it), as the Analysis tab and the CLI read them; `label` names the instrument in
    messages (default: its id)."""
    if not settings.instrument:
        raise AnalysisError("no instrument: give Settings(instrument=...)")
    return load_inputs(store, headline_filter, settings, label or settings.instrument)


def _result(pair: tuple):
    result, message = pair
    if result is None:
        raise AnalysisError(message)
    return result


def event_study_of(store: Store, headline_filter: HeadlineFilter, settings: Settings,
                   label: str | None = None) -> EventStudyResult:
    """The event study of the filter's headlines on `settings.instrument` (model, window,
    overlap rule, seeded placebo as `settings` says); AnalysisError when it cannot be run. A
    result with no events says why in `summary()`."""
    return _result(run_event_study(analysis_inputs(store, headline_filter, settings, label)))


def intensity_of(store: Store, headline_filter: HeadlineFilter, settings: Settings,
                 label: str | None = None) -> IntensityResult:
    """News intensity against volatility on the trading calendar; AnalysisError when it cannot
    be run."""
    return _result(run_intensity(analysis_inputs(store, headline_filter, settings, label)))


def largest_moves_of(store: Store, headline_filter: HeadlineFilter, settings: Settings,
                     label: str | None = None) -> pd.DataFrame:
    """The `settings.n` largest moves in the window with the ranked stories before each;
    AnalysisError when there is none."""
    return _result(run_largest_moves(analysis_inputs(store, headline_filter, settings, label)))
