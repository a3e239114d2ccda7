"""Shared fixtures: real data location, a temporary store on SQLite and on PostgreSQL, a config factory,
a loopback web server."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

# yfinance installs its own warnings filter at import; import it first so pytest's filters win.
import yfinance  # noqa: F401
from sqlalchemy.engine import make_url

from ingest.config import Config
from ingest.store import Store
from tests import offline as offline_guard
from tests.postgres import NOT_SET, PostgresDatabases, postgres_url_from_env
from tests.servers.feeds import FeedServer

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def offline():
    """No test reaches beyond loopback (tests/offline.py): an attempt fails, naming the host."""
    with offline_guard.guard_sockets():
        yield


@pytest.fixture(autouse=True)
def no_network_attempt(offline):
    """Fail the test if its code tried the network, even when the error was caught and handled."""
    offline_guard.attempts.clear()
    yield
    if offline_guard.attempts:
        tried = offline_guard.attempts[:]
        offline_guard.attempts.clear()
        pytest.fail("; ".join(tried))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder (../shared/data); tests that need it fail loudly if it is missing."""
    if not SHARED_DATA.is_dir():
        raise RuntimeError(f"real test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def web():
    """A loopback FeedServer with no documents (tests/servers/feeds.py): `add(name, body)` serves
    one at `url_for(name)`; unknown names answer 404; `fail_next`, `stall_next`... script it."""
    with FeedServer(directory=None) as server:
        yield server


STORE_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_databases():
    """The PostgreSQL test server's database factory (tests/postgres.py). Without
    NEWSMARKS_TEST_POSTGRES_URL the PostgreSQL tests are skipped — except on CI, where they fail:
    CI must start the server (.ci/run does)."""
    url = postgres_url_from_env()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail(NOT_SET, pytrace=False)
        pytest.skip(NOT_SET)
    databases = PostgresDatabases(url)
    yield databases
    databases.close()


def new_store_url(kind: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """A URL of a new, empty store of `kind`: a SQLite file in `folder`, or a fresh PostgreSQL
    database dropped when the requesting fixture ends."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'store.db'}"
    databases = request.getfixturevalue("postgres_databases")
    name = databases.create()
    request.addfinalizer(lambda: databases.drop(name))
    return databases.url(name)


@pytest.fixture(params=STORE_KINDS)
def store_kind(request) -> str:
    """Which database the test's store is on: every store test runs on SQLite and PostgreSQL."""
    return request.param


@pytest.fixture
def store_url(store_kind: str, tmp_path: Path, request) -> str:
    """A new, empty store's URL, on SQLite and on PostgreSQL."""
    return new_store_url(store_kind, tmp_path, request)


@pytest.fixture(scope="module", params=STORE_KINDS)
def module_store_url(request, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store URL shared by a module's tests (filled once by a module fixture), on SQLite and on
    PostgreSQL."""
    return new_store_url(request.param, tmp_path_factory.mktemp("store"), request)


def store_place(url: str) -> str:
    """Where a store lives as the refresh lock's messages say it: the SQLite file, or the
    PostgreSQL database and server."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(Path(parsed.database).resolve())
    return f"the PostgreSQL database {parsed.database} at {parsed.host}:{parsed.port}"


@pytest.fixture
def store(store_url: str):
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def cli_run(tmp_path: Path, monkeypatch, store_url: str):
    """`newsmarks ARGS…` run in-process (click's runner, exceptions raised), with a config whose
    store is the test's (no feeds); `.store_url` and `.config` say which."""
    from click.testing import CliRunner

    from dashboard.commands import newsmarks_cli

    config = tmp_path / "newsmarks-test.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "{store_url}"\n', encoding="utf-8")
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(newsmarks_cli(), ["--config", str(config), *args], catch_exceptions=False)

    invoke.store_url, invoke.config = store_url, config
    return invoke


@pytest.fixture
def make_config(tmp_path: Path, store_url: str):
    """Build a Config from a dict, with a temporary store and fast retries unless overridden."""

    def build(**sections) -> Config:
        data = {"store": {"url": store_url},
                "http": {"retries": 2, "backoff": 0.01, "backoff_max": 0.05, "connect_timeout": 2,
                         "read_timeout": 2},
                "instruments": [], "feeds": [], "pages": []}
        data.update(sections)
        return Config.model_validate(data)

    return build


def utc(*args: int) -> datetime:
    """datetime(*args) in UTC."""
    return datetime(*args, tzinfo=UTC)


def close_bars(ts, close, known=None) -> pd.DataFrame:
    """A bar frame (ingest.sources.base.BAR_COLUMNS) with only times and closes: no OHLV, no flag;
    `known` (when each close became known) defaults to one day after each stamp — the default
    close rule ("24:00 UTC", ingest.close_rules) of a daily bar stamped at its trading day."""
    frame = pd.DataFrame({"ts": ts, "close": close})
    frame["known"] = frame["ts"] + pd.Timedelta(days=1) if known is None else known
    for column in ("open", "high", "low", "volume"):
        frame[column] = float("nan")
    frame["flag"] = None
    return frame[["ts", "known", "open", "high", "low", "close", "volume", "flag"]]


# --- tiers -------------------------------------------------------------------------------------
# Every test gets one marker, by what it needs: `browser` (tests/browser/: Chromium), `integration`
# (a store on SQLite and PostgreSQL, a loopback server, a subprocess: the fixtures and modules
# below), `slow` (pure, but seconds each: Monte-Carlo checks of a test's size, whole real files;
# marked by hand), `unit` (the rest: pure functions on in-memory data, real data files read). The
# README's test command runs them all; `-m unit` is the quick loop while editing.

STORE_FIXTURES = {"store_url", "module_store_url", "store", "store_kind", "cli_run", "make_config", "web",
                  "postgres_databases"}
INTEGRATION_MODULES = {   # modules whose tests start servers or processes without those fixtures
    "test_architecture", "test_cbr", "test_feeds", "test_gdelt", "test_news_backfill", "test_refresh_e2e",
    "test_yahoo", "test_api", "test_cli",
}


@pytest.hookimpl(tryfirst=True)   # before -m deselects by these markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if any(item.get_closest_marker(name) for name in ("unit", "slow", "integration", "browser")):
            continue   # marked by hand (a subprocess in an otherwise pure module)
        if "browser" in path.parts:
            item.add_marker(pytest.mark.browser)
        elif STORE_FIXTURES & set(getattr(item, "fixturenames", ())) or path.stem in INTEGRATION_MODULES:
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)
