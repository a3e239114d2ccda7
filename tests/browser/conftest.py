"""Browser tests: dash[testing]'s `dash_duo` drives headless Chromium (Debian's chromium and
chromium-driver; `tests/browser/ensure-chromium` installs them) against the real app, served from
a thread on a loopback port, over a store filled from ../shared/data.

They run with the plain `python -m pytest -q`, no command-line flags: `pytest_setup_options`
gives Chrome `--headless` (without it Chrome cannot start on a machine without a display, and
dash.testing adds it only for its own `--headless` flag) and the flags for a machine without
network; `pytest_configure` turns that flag on as well, so dash.testing's own headless set-up
(allowing downloads through the DevTools protocol) applies too. They never skip: without
Chromium they fail and say how to install it.
"""

from __future__ import annotations

import os
import shutil
import socket
from datetime import date
from pathlib import Path

import pytest
from selenium.webdriver.chrome.options import Options

from dashboard import create_app
from tests.browser.fixture_store import BBC_BUSINESS_CSV, SHARED_DATA, build_store

CHROME_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-quic", "--window-size=1400,1000",
)
CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH") or "/usr/bin/chromium"
INSTALL_HINT = "run tests/browser/ensure-chromium (installs Debian's chromium and chromium-driver with apt-get)"
HEADLINES_FROM, HEADLINES_TO = date(2022, 2, 1), date(2022, 4, 30)


def pytest_configure(config: pytest.Config) -> None:
    """Turn on dash.testing's --headless (normally a command-line flag) for every run, and quiet
    selenium's urllib3 deprecation warnings."""
    if hasattr(config.option, "headless"):
        config.option.headless = True
    # selenium 4.2 (the newest dash[testing] allows) calls a urllib3 1.26 method deprecated in
    # urllib3 2: hundreds of identical warnings per run, nothing to act on.
    config.addinivalue_line("filterwarnings",
                            r"ignore:HTTPResponse.getheader\(\) is deprecated:DeprecationWarning:selenium")


def pytest_setup_options() -> Options:
    """dash.testing's hook: the Chrome options of every `dash_duo` browser."""
    options = Options()
    for argument in CHROME_ARGS:
        options.add_argument(argument)
    return options


def missing_browser() -> list[str]:
    """What of Chromium and its driver is missing on this machine (empty when both are there)."""
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"Chromium ({CHROMIUM})")
    if not shutil.which("chromedriver"):
        missing.append("chromedriver (on PATH)")
    return missing


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed() -> None:
    """Fail (never skip) every browser test when Chromium or chromedriver is missing."""
    missing = missing_browser()
    if missing:
        pytest.fail(f"browser tests need {' and '.join(missing)}: {INSTALL_HINT}", pytrace=False)


@pytest.fixture(scope="session")
def browser_config(tmp_path_factory: pytest.TempPathFactory):
    """The default config over a store of Brent, USD/RUB market, BBC Business headlines of
    February to April 2022 and the hand-made ones."""
    if not SHARED_DATA.is_dir():
        raise RuntimeError(f"real test data not found at {SHARED_DATA}")
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-store') / 'store.db'}"
    return build_store(url, [(BBC_BUSINESS_CSV, "BBC Business")], HEADLINES_FROM, HEADLINES_TO)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def open_app(dash_duo, browser_config):
    """Start the app and open `path` (e.g. '/?range=1M'); returns dash_duo."""

    def start(path: str = "/"):
        # dash.testing sets a 2 s implicit wait, which every look-up of an element that is not
        # (yet) there would pay; the tests wait explicitly instead (tests/browser/page.py).
        dash_duo.driver.implicitly_wait(0)
        dash_duo.start_server(create_app(browser_config), navigate=False, port=free_port())
        dash_duo.wait_for_page(dash_duo.server.url + path)  # waits for Dash's entry point
        return dash_duo

    return start
