"""End to end on ../shared/data: the inputs of every figure are values that were known then —
Yahoo's bad RUB ticks stay out of the event study and the moves, a saved page without its own
time and a feed item dated in the future do not move the default view."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from dashboard.analysis.moves import moves_after
from dashboard.context import DashboardContext
from dashboard.header.callbacks import header_view
from dashboard.state import ViewState, time_window
from ingest.config import load_config
from ingest.records import Headline
from ingest.store import Store
from tests.conftest import utc

FIXTURES = Path(__file__).parent / "fixtures" / "csv"


@pytest.fixture
def run(cli_run):
    """`newsmarks ARGS…`, failing the test unless it exits 0."""
    def invoke(*args: str):
        result = cli_run(*args)
        assert result.exit_code == 0, result.output
        return result

    invoke.store_url, invoke.config = cli_run.store_url, cli_run.config
    return invoke

def test_rouble_headlines_on_yahoos_bad_ticks_move_nothing(run, shared_data):
    """Both Yahoo RUB files into one instrument, and a Rouble headline on three of its bad ticks
    (0.7162 on 2016-01-06, 110.67 on 2022-06-13, 5.0 on 2023-03-16): before, their next-bar moves
    averaged -2.23 log (-89 %); now each event's window holds a flagged bar and is left out, and
    their moves after are empty, saying why."""
    for name in ("RUB=X_1d_yfinance-history_2003-2024.csv", "USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv"):
        run("import-prices", str(shared_data / "yahoo" / name), "--instrument", "usd_rub_mkt")
    run("import-headlines", str(FIXTURES / "rouble-before-bad-ticks.csv"))
    # raw moves, events kept as they come (the event study's rules before models and episodes)
    result = run("study", "--topic", "Rouble", "--instrument", "usd_rub_mkt", "--window", "1", "--placebo-draws", "0",
                 "--model", "raw", "--spacing", "0")
    lines = result.stdout.splitlines()
    assert lines[1] == ("headlines: 4 (0 before the data); events: 1 (left out: 0 at the data's edges, "
                        "3 with a flagged bar in their window, 0 for spacing)")
    store = Store.open(run.store_url)
    try:
        bars = store.bars(["usd_rub_mkt"], "1d")
        assert len(bars) == 5634 and bars["ts"].is_unique          # one bar a trading day of both files
        assert bars.loc[bars["bad"], "ts"].dt.strftime("%Y-%m-%d").tolist() == [
            "2016-01-06", "2022-03-07", "2022-03-21", "2022-06-13", "2022-07-18", "2023-02-03", "2023-03-16"]
        # the one clean event, 2022-05-04 12:00 UTC: the last close known then is 05-03's (known at the
        # end of the London day, 23:00 UTC); the next bar is 05-04's
        day = bars.set_index(bars["ts"].dt.strftime("%Y-%m-%d"))["close"]
        expected = np.log(day["2022-05-04"] / day["2022-05-03"])
        assert lines[2] == f"mean move at +1 bar:  {expected:.6f} (log return)  t = n/a  p = n/a"
        headlines = store.headlines(topics=["Rouble"]).sort_values("published")
        moves = moves_after(headlines[["id", "published", "day_precision"]], bars, reasons=True)
        assert moves["why_usd_rub_mkt_1d"].tolist() == ["flagged bar", None, "flagged bar", "flagged bar"]
        assert moves["move_usd_rub_mkt_1d"].notna().tolist() == [False, True, False, False]
    finally:
        store.close()


def test_a_saved_page_without_its_time_and_a_future_item_leave_the_default_view(run, shared_data, tmp_path):
    run("import-prices", str(shared_data / "brent-daily.csv"), "--instrument", "brent")
    store = Store.open(run.store_url)
    try:
        # Brent's last close, 2026-08-18, settled at 19:30 London (18:30 UTC in summer time)
        latest = store.latest_data_time()
        assert latest == utc(2026, 8, 18, 18, 30)
        page = tmp_path / "news-page-header-tickers.txt"
        page.write_bytes((shared_data / "pages" / "news-page-header-tickers.txt").read_bytes())
        stamp = datetime.now(UTC).timestamp()
        os.utime(page, (stamp, stamp))      # saved today: the file date says nothing of the 2016 article
        result = run("snapshot", str(page))
        assert "(inferred)" in result.stdout
        now = datetime.now(UTC)
        store.write_headlines([Headline(source="feed", guid="2099", title="An item dated 2099",
                                        published=datetime(2099, 1, 1, tzinfo=UTC), fetched=now)])
        assert store.latest_data_time() == latest
        stored = store.headlines().sort_values("source")
        assert stored["time_inferred"].tolist() == [True, True]
        assert stored["published"].max() <= now
        view = ViewState(instruments=("brent",))
        assert time_window(view, store.latest_data_time()) == (latest - timedelta(days=92), latest)
        config = load_config(run.config)
        strip = header_view(DashboardContext(config, store), None, None)[0]
        assert [c.children for c in strip[0].children] == ["BR", "95.29", "+3.09%"]
    finally:
        store.close()
