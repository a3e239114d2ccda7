"""What the callbacks need, opened lazily: no database is touched until the first request, so
importing the app (or `gunicorn app:server`) has no side effects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pandas as pd

from dashboard.state import DEFAULT_RANGE, RANGE_PRESETS, ViewState
from ingest.config import Config
from ingest.store import Store

MOVE_LOOKAHEAD = timedelta(days=7)  # the longest horizon plus a weekend and holidays


class DashboardContext:
    """The config and a lazily opened store, shared by one app's callbacks."""

    def __init__(self, config: Config, store: Store | None = None):
        self.config = config
        self._store = store
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        """The store (opened, and created or migrated, on first use)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = Store.open(self.config.store.url)
        return self._store

    @contextmanager
    def consistent_read(self) -> Iterator[DashboardContext]:
        """This context with every store read inside the block in one read transaction (one
        connection, one consistent state of the store: what a callback draws agrees with itself)."""
        with self.store.consistent_read() as store:
            yield DashboardContext(self.config, store)

    @property
    def instrument_ids(self) -> list[str]:
        return [i.id for i in self.config.instruments]

    @property
    def strip_instruments(self) -> list[str]:
        """The ticker strip's instruments (those with a mark; else the first three): what the page
        shell shows before its first callback has read the store."""
        return [i.id for i in self.config.instruments if i.mark] or self.instrument_ids[:3]

    @property
    def default_instruments(self) -> list[str]:
        """Shown when a link names none: the instruments with daily bars in the default window
        (DEFAULT_RANGE up to the store's newest data), the ticker strip's first; in a store with
        none, the strip's (the chart then says that they have no data, and what to do)."""
        marked = self.strip_instruments
        latest = self.store.latest_data_time()
        if latest is None:
            return marked
        start = latest - RANGE_PRESETS[DEFAULT_RANGE]
        ordered = marked + [i for i in self.instrument_ids if i not in marked]
        with_data = [i for i in ordered if self.store.has_bars([i], "1d", start, latest)]
        return with_data or marked

    @property
    def labels(self) -> dict[str, str]:
        return {i.id: i.label for i in self.config.instruments}

    def view_state(self, state_data: dict | None) -> ViewState:
        """The view the STATE store holds (ViewState.from_dict against this config's instruments):
        the one way every callback reads the filters (the default instruments read only when needed)."""
        return ViewState.from_dict(state_data, self.instrument_ids, lambda: self.default_instruments)

    def bars_around(self, instruments: list[str], times: pd.Series) -> pd.DataFrame:
        """Bars of both intervals from a week before the first time to MOVE_LOOKAHEAD after the last:
        what the moves after those times need."""
        if times.empty or not instruments:
            return self.store.bars([], None)
        start, end = times.min() - timedelta(days=7), times.max() + MOVE_LOOKAHEAD
        return self.store.bars(instruments, None, start.to_pydatetime(), end.to_pydatetime())
