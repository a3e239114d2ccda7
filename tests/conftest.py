"""Shared fixtures: real data location, a temporary store, a config factory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

# yfinance installs its own warnings filter at import; import it first so pytest's filters win.
import yfinance  # noqa: F401

from ingest.config import Config
from ingest.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder (../shared/data); tests that need it fail loudly if it is missing."""
    if not SHARED_DATA.is_dir():
        raise RuntimeError(f"real test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(store_url: str):
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def make_config(tmp_path: Path, store_url: str):
    """Build a Config from a dict, with a temporary store and fast retries unless overridden."""

    def build(**sections) -> Config:
        data = {"store": {"url": store_url},
                "http": {"retries": 2, "backoff": 0.01, "backoff_max": 0.05, "connect_timeout": 2,
                         "read_timeout": 2},
                "instruments": [], "feeds": []}
        data.update(sections)
        return Config.model_validate(data)

    return build


def utc(*args: int) -> datetime:
    """datetime(*args) in UTC."""
    return datetime(*args, tzinfo=UTC)


def close_bars(ts, close) -> pd.DataFrame:
    """A bar frame (ingest.sources.base.BAR_COLUMNS) with only times and closes: no OHLV, no flag."""
    frame = pd.DataFrame({"ts": ts, "close": close})
    for column in ("open", "high", "low", "volume"):
        frame[column] = float("nan")
    frame["flag"] = None
    return frame
