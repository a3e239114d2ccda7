"""Screenshot of the dashboard's default view, for the README (a script, not a test).

    python tests/benchmarks/screenshot.py docs/screenshot.png [--width 1400] [--height 1000] [--url-path /]
                                          [--store PATH]

Builds a throw-away store from the real data in ../shared/data (Brent EIA spot daily as `brent`,
Yahoo USD/RUB as `usd_rub_mkt`, the world-news headlines of 2026-05..08 and BBC Business
2022-2024, the hand-made headlines of the browser tests), serves the app on a free loopback port
from a thread, and has headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM;
tests/browser/ensure-chromium installs it) take the picture. --virtual-time-budget lets plotly.js
draw before the shot. --store PATH keeps the store there and reuses it when it exists (the README's
two pictures, the default view and a zoomed day, from one build).

    python tests/benchmarks/screenshot.py docs/screenshot.png --store /tmp/shots.db
    python tests/benchmarks/screenshot.py docs/screenshot-day.png --store /tmp/shots.db \
        --url-path '/?instruments=brent,usd_rub_mkt&range=custom&start=2026-06-13&end=2026-06-13'
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from werkzeug.serving import make_server  # noqa: E402

from dashboard import create_app  # noqa: E402
from ingest.headline_tags.stored_tags import headline_tagger  # noqa: E402
from ingest.store import Store  # noqa: E402
from tests.browser.fixture_store import (  # noqa: E402
    BBC_BUSINESS_CSV,
    WORLD_HEADLINES_CSV,
    build_store,
    store_config,
)

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--hide-scrollbars"]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def screenshot(url: str, output: Path, width: int, height: int, budget_ms: int, chromium: str) -> None:
    """Have headless Chromium save a `width`x`height` PNG of `url` to `output`."""
    with tempfile.TemporaryDirectory(prefix="newsmarks-chromium-") as profile:
        command = [chromium, *CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                   f"--virtual-time-budget={budget_ms}", f"--screenshot={output}", url]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 or not output.is_file():
        raise SystemExit(f"chromium failed (exit {result.returncode}):\n{result.stderr[-2000:]}")


def shots_store(path: Path):
    """The store of real data the pictures are made from, at `path` (built when it does not exist)."""
    url = f"sqlite:///{path}"
    if path.exists():
        return store_config(url)
    started = time.monotonic()
    config = build_store(url, [(WORLD_HEADLINES_CSV, None), (BBC_BUSINESS_CSV, "BBC Business")])
    store = Store.open(url)   # every tag, as a refresh stores them (the browser fixture tags topics only)
    store.retag(headline_tagger(config.topics))
    store.close()
    print(f"store built in {time.monotonic() - started:.1f} s")
    return config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="PNG file to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--url-path", default="/", help="path and query of the view, e.g. '/?range=1M'")
    parser.add_argument("--budget", type=int, default=15000, help="Chromium's virtual time budget in ms")
    parser.add_argument("--store", type=Path, help="SQLite file to build once and reuse")
    args = parser.parse_args(argv)
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        raise SystemExit(f"{chromium} not found: run tests/browser/ensure-chromium")

    with tempfile.TemporaryDirectory(prefix="newsmarks-screenshot-") as folder:
        config = shots_store(args.store or Path(folder) / "store.db")
        app = create_app(config)
        port = free_port()
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            screenshot(f"http://127.0.0.1:{port}{args.url_path}", args.output, args.width, args.height,
                       args.budget, chromium)
            print(f"{args.output} written in {time.monotonic() - started:.1f} s")
        finally:
            server.shutdown()
            thread.join(timeout=5)


if __name__ == "__main__":
    main()
