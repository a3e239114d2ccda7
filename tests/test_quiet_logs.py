"""Quiet logs: a refresh through the real yfinance code, against the loopback Yahoo, prints its
lines and nothing else — none of yfinance's deprecation warnings (pandas' about what yfinance
calls) and none of its logger's noise about a failing symbol — on every run. With -v they show."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.servers.yahoo import FakeYahoo

pytestmark = pytest.mark.integration   # a loopback server and a subprocess


def refresh(tmp_path: Path, yahoo: FakeYahoo, *options: str) -> subprocess.CompletedProcess:
    """`python -m ingest refresh` in its own process (the wall clock is its clock: so is the fake's)."""
    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
                      '[refresh]\nbackfill_since = "2022-01-01"\nhourly_days = 0\n'
                      '[http]\nretries = 0\nbackoff = 0.01\n'
                      f'[sources.yahoo]\nurl = "{yahoo.url}"\n'
                      '[[instruments]]\nid = "brent"\nlabel = "Brent"\nsource = "yahoo"\nticker = "BZ=F"\n'
                      '[[instruments]]\nid = "usd_rub_mkt"\nlabel = "USD/RUB"\nsource = "yahoo"\nticker = "RUB=X"\n',
                      encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMARKS_") and k != "PYTHONWARNINGS"}
    return subprocess.run([sys.executable, "-m", "ingest", "--config", str(config), *options, "refresh"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_refresh_through_yfinance_prints_nothing_but_its_lines(tmp_path):
    with FakeYahoo(now=datetime.now(UTC)) as yahoo:
        yahoo.fail("RUB=X", "error", times=100)   # an unknown symbol, as Yahoo answers it
        first = refresh(tmp_path, yahoo)
        second = refresh(tmp_path, yahoo)
        verbose = refresh(tmp_path, yahoo, "-v")
    assert first.stderr == second.stderr == ""
    lines = first.stdout.splitlines()
    assert lines[0] == "yahoo:brent:1d                   ok            217 new, 0 updated, 0 unchanged"
    assert lines[1].startswith("yahoo:usd_rub_mkt:1d             error         Yahoo RUB=X 1d ")
    assert lines[2] == "refresh: 2 sources, 1 failed, 217 new rows"
    assert second.stdout.splitlines()[2] == "refresh: 2 sources, 1 failed, 0 new rows"
    assert "Pandas4Warning: The inplace keyword in DataFrame.sort_index is deprecated" in verbose.stderr
