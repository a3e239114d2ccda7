"""The event study's market model through its two faces — `newsmarks study --model market
--benchmark ID` and the Analysis tab — on one store: the same view gives the same figures; the
benchmark's bars are read over the same padded span; a market model without a benchmark, or with
the instrument itself, is a message."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.event_study import event_study
from dashboard.analysis.inputs import padding
from dashboard.analysis.settings import Settings
from dashboard.analysis_view.callbacks import analysis_download, analysis_view, benchmark_choice
from dashboard.context import DashboardContext
from dashboard.filters.callbacks import sync
from ingest.config import Config
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline
from ingest.store import Store
from tests.conftest import close_bars, utc

FETCHED = utc(2026, 9, 1)
VIEW = "?instruments=usd_rub_mkt,brent&q=sanctions&range=custom&start=2022-06-01&end=2022-12-31"
WINDOW = {"start": "2022-06-01T00:00:00+00:00", "end": "2022-12-31T23:59:59+00:00", "interval": "1d"}
MARKET = {"instrument": "usd_rub_mkt", "interval": "1d", "window": 3, "model": "market", "benchmark": "brent",
          "estimation": 60, "overlap": "merge"}
DAYS = pd.bdate_range("2021-06-01", "2023-01-31", tz="UTC")


@pytest.fixture(scope="module")
def ctx(module_store_url) -> DashboardContext:
    """Brent and the rouble on business days (the rouble 0.6 of Brent's log returns plus noise),
    and a sanctions headline every eleven business days of June to December 2022."""
    config = Config.model_validate({"store": {"url": module_store_url}, "feeds": [], "pages": []})
    store = Store.open(config.store.url)
    store.sync_config(config)
    rng = np.random.default_rng(3)
    brent = rng.normal(0.0, 0.02, len(DAYS))
    rouble = 0.6 * brent + rng.normal(0.0, 0.01, len(DAYS))
    store.write_bars("brent", "1d", "import", close_bars(DAYS, 80.0 * np.exp(np.cumsum(brent))), FETCHED)
    store.write_bars("usd_rub_mkt", "1d", "import", close_bars(DAYS, 60.0 * np.exp(np.cumsum(rouble))), FETCHED)
    days = [d for d in DAYS if pd.Timestamp("2022-06-01", tz="UTC") <= d <= pd.Timestamp("2022-12-31", tz="UTC")]
    store.write_headlines([Headline(source="hand", guid=f"s{i}", title=f"New sanctions {i}",
                                    published=(day + pd.Timedelta(hours=12)).to_pydatetime(), fetched=FETCHED)
                           for i, day in enumerate(days[::11])], tag=headline_tagger(config.topics))
    return DashboardContext(config, store)


def csv_rows(sent: dict) -> list[list[str]]:
    return list(csv.reader(io.StringIO(base64.b64decode(sent["content"]).decode("utf-8")[1:])))


def test_padding_reads_the_estimation_window_before_the_view():
    raw, mean = Settings("brent", model="raw", window=10), Settings("brent", model="mean", window=10, estimation=120)
    assert padding(raw) == (timedelta(days=30), timedelta(days=30))
    assert padding(mean) == (timedelta(days=30 + 1.5 * 121), timedelta(days=30))
    assert padding(Settings("brent", interval="1h", window=5, estimation=100)) == (
        timedelta(hours=10 + 1.5 * 101, days=10), timedelta(hours=10, days=10))


def test_the_market_model_on_the_command_line_gives_the_tabs_figures(ctx, tmp_path):
    from click.testing import CliRunner

    from dashboard.commands import newsmarks_cli

    data = sync(None, VIEW, {}, ctx.instrument_ids, ctx.default_instruments)[0]
    tab = {row[0]: row[1] for row in csv_rows(analysis_download(ctx, "stats", data, WINDOW, MARKET))[1:]}
    config = tmp_path / "c.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "{ctx.config.store.url}"\n', encoding="utf-8")
    printed = CliRunner().invoke(newsmarks_cli(), [
        "--config", str(config), "study", "--instrument", "usd_rub_mkt", "--query", "sanctions", "--window", "3",
        "--model", "market", "--benchmark", "brent", "--estimation", "60", "--start", "2022-06-01", "--end",
        "2022-12-31"], catch_exceptions=False).stdout.splitlines()
    assert printed[6] == ("model: market model on brent: OLS over each event's 60 one-bar log returns ending 4 bars "
                          "before the event bar, the benchmark's price on each bar its last close known by then "
                          "(MacKinlay 1997)")
    assert printed[2] == (f"CAAR at +1 bar:  {float(tab['CAAR at +1 bar, %']) / 100:.6f} (log return)  "
                          f"t = {float(tab['t at +1']):.3f}  p = {float(tab['p at +1']):.4f}")
    for name in ("Patell Z", "BMP t", "Corrado rank", "generalised sign Z", "calendar-time HAC t"):
        line = next(text for text in printed if text.startswith(f"  {name} ["))
        assert f"h = 3: {float(tab[f'{name} at +3']):.3f}  p = {float(tab[f'{name} p at +3']):.4f}" in line
    # the figures are the pure study's on the bars read around the view, the benchmark's alike
    before, after = padding(Settings("usd_rub_mkt", window=3, estimation=60, model="market"))
    first, last = utc(2022, 6, 1) - before, utc(2022, 12, 31, 23, 59, 59) + after
    result = event_study(ctx.store.headlines(query="sanctions", start=utc(2022, 6, 1), end=last, stories_only=True),
                         ctx.store.bars(["usd_rub_mkt"], "1d", first, last), "1d", 3, 0, 200, 0, model="market",
                         estimation=60, overlap="merge", benchmark=ctx.store.bars(["brent"], "1d", first, last),
                         benchmark_label="brent", period=(utc(2022, 6, 1), utc(2022, 12, 31, 23, 59, 59)))
    assert result.n_events == int(tab["Events used (episodes)"]) == 14 and result.n_merged == 0
    assert float(tab["BMP t at +3"]) == result.test("bmp", 3)[0]
    assert np.allclose(result.events["est_beta"], 0.6, atol=0.2)     # the simulated slope (se 0.065), per event


def test_a_market_model_needs_another_instrument_as_benchmark(ctx):
    data = sync(None, VIEW, {}, ctx.instrument_ids, ctx.default_instruments)[0]
    for benchmark in (None, "usd_rub_mkt"):
        message = analysis_view(ctx, data, WINDOW, {**MARKET, "benchmark": benchmark})[0]
        assert message[1].children == "Event study: the market model needs a benchmark, another instrument: choose one."
    message = analysis_view(ctx, data, WINDOW, {**MARKET, "benchmark": "usd_rub"})[0]
    assert message[1].children == "Event study: no daily bars of the benchmark usd_rub in the store around this view."
    options, value = benchmark_choice(ctx, "usd_rub_mkt", "brent")
    assert "usd_rub_mkt" not in [o["value"] for o in options] and "brent" in [o["value"] for o in options]
    assert value == "brent" and benchmark_choice(ctx, "brent", "brent")[1] is None
