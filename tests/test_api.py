"""The analyses as a library (dashboard.analysis): no Dash or plotly on import, the README's
example run on real data and checked against `newsmarks study`, and the results' summary() and
to_frame() against the fields they are made of."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.analysis import (
    AnalysisError,
    HeadlineFilter,
    Settings,
    analysis_inputs,
    event_study_of,
    intensity_of,
    largest_moves_of,
    open_store,
    read_headlines,
    read_prices,
)
from dashboard.analysis.event_report import summary_lines
from dashboard.analysis.inputs import load_inputs, run_event_study, run_intensity, run_largest_moves
from dashboard.analysis.intensity_report import intensity_lines
from dashboard.commands import newsmarks_cli
from ingest.config import Config, StoreConfig
from tests.conftest import utc

REPO = Path(__file__).resolve().parents[1]
UI_MODULES = ("dash", "plotly", "dash_ag_grid", "dash_bootstrap_components", "flask")
VIEW = HeadlineFilter(start=utc(2022, 1, 1), end=utc(2022, 12, 31, 23, 59, 59), query="oil")


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- python-example -->\n```python\n(.*?)```\n<!-- /python-example -->", text, re.S)
    if found is None:
        raise AssertionError("README.md has no python example between <!-- python-example --> markers")
    return found.group(1)


def test_importing_the_analyses_loads_no_ui():
    code = ("import sys\nimport dashboard.analysis, dashboard.analysis.largest_moves, dashboard.analysis.moves\n"
            f"print(sorted(m for m in {UI_MODULES!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


@pytest.fixture(scope="module")
def filled(tmp_path_factory, shared_data):
    """A config (file and object) whose SQLite store holds EIA Brent and the BBC Business headlines."""
    folder = tmp_path_factory.mktemp("api")
    url = f"sqlite:///{folder / 'store.db'}"
    config_file = folder / "newsmarks.toml"
    config_file.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")

    def run(*args: str):
        result = CliRunner().invoke(newsmarks_cli(), ["--config", str(config_file), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    run("import-prices", str(shared_data / "brent-daily.csv"), "--instrument", "brent")
    run("import-headlines", str(shared_data / "bbc-business-rss-2022-2024.csv"))
    return config_file, Config(store=StoreConfig(url=url)), run


def test_the_readme_example_prints_what_the_cli_prints(filled, shared_data):
    config_file, config, run = filled
    env = {**os.environ, "NEWSMARKS_CONFIG": str(config_file)}
    out = subprocess.run([sys.executable, "-c", readme_example()], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True)
    cli = run("study", "--query", "oil", "--instrument", "brent", "--window", "5", "--start", "2022-01-01",
              "--end", "2022-12-31")
    *summary, last = out.stdout.splitlines()
    assert summary == cli.stdout.splitlines()
    with closing(open_store(config=config)) as store:
        bars = store.bars(["brent"], "1d", VIEW.start, VIEW.end)
        headlines = store.headlines(VIEW)
        result = event_study_of(store, VIEW, Settings(instrument="brent", window=5))
    eia = pd.read_csv(shared_data / "brent-daily.csv")
    assert len(bars) == int(eia["Date"].str.startswith("2022-").sum()) == 252 and len(headlines) > 0
    assert last == f"{len(bars)} bars, {len(headlines)} headlines; CAAR at +5: {result.mean_path[-1]:.6f}"


def test_readers_and_analyses_are_the_tab_s(filled):
    _, config, _ = filled
    with closing(open_store(config.store.url)) as store:
        assert read_prices(store, "brent", "1d", VIEW.start, VIEW.end).equals(
            store.bars(["brent"], "1d", VIEW.start, VIEW.end))
        assert read_headlines(store, VIEW, limit=7).equals(store.headlines(VIEW, limit=7))
        settings = Settings(instrument="brent", window=5, lag=3, n=4)
        inputs = load_inputs(store, VIEW, settings, "Brent")
        study = event_study_of(store, VIEW, settings, "Brent")
        expected = run_event_study(inputs)[0]
        assert study.summary("x") == "\n".join(summary_lines(expected, "x"))
        assert study.events.equals(expected.events) and study.tests.equals(expected.tests)
        frame = study.to_frame()
        assert list(frame.columns) == ["k", "caar", "band_low", "band_high", "placebo_band_low", "placebo_band_high"]
        assert frame["k"].tolist() == list(range(-5, 6))
        for column, values in (("caar", expected.mean_path), ("band_low", expected.band_low),
                               ("band_high", expected.band_high), ("placebo_band_low", expected.placebo_band_low),
                               ("placebo_band_high", expected.placebo_band_high)):
            np.testing.assert_array_equal(frame[column].to_numpy(), values)
        intensity = intensity_of(store, VIEW, settings)
        reference = run_intensity(inputs)[0]
        assert intensity.summary("y") == "\n".join(intensity_lines(reference, "y"))
        assert intensity.to_frame().equals(reference.lags[["lag", "pairs", "r", "band", "family_band"]])
        assert intensity.to_frame()["lag"].tolist() == [-3, -2, -1, 0, 1, 2, 3]
        moves = largest_moves_of(store, VIEW, settings)
        assert len(moves) == 4 and moves.equals(run_largest_moves(inputs)[0])
        assert analysis_inputs(store, VIEW, settings).label == "brent"


def test_an_analysis_that_cannot_run_says_why(filled):
    _, config, _ = filled
    with closing(open_store(config=config)) as store:
        with pytest.raises(AnalysisError, match=r"^no instrument: give Settings\(instrument=...\)$"):
            event_study_of(store, VIEW, Settings(instrument=None))
        with pytest.raises(AnalysisError, match="^Event study: no daily bars of usd_rub in the store around this view"):
            event_study_of(store, VIEW, Settings(instrument="usd_rub"))
        with pytest.raises(AnalysisError, match="^Event study: the market model needs a benchmark"):
            event_study_of(store, VIEW, Settings(instrument="brent", model="market"))
        assert isinstance(AnalysisError("x"), ValueError)


def test_a_result_without_events_still_has_a_summary(filled):
    _, config, _ = filled
    with closing(open_store(config=config)) as store:
        result = event_study_of(store, HeadlineFilter(start=VIEW.start, end=VIEW.end, query="zzzqqq"),
                                Settings(instrument="brent"))
    assert result.n_events == 0
    assert result.summary().splitlines()[0] == ("event study: the headlines, 1d bars, window ±10, overlapping events "
                                                "merged into episodes")
    assert result.to_frame()["k"].tolist() == list(range(-10, 11))
    assert pd.isna(result.to_frame()["caar"]).all()
