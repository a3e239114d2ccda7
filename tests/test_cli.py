"""The CLI in-process (click's runner), on real data from ../shared/data."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.commands import newsmarks_cli
from ingest.store import Store
from tests.conftest import utc


@pytest.fixture
def run(tmp_path, monkeypatch, store_url):
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n[[feeds]]\nname = "local"\n'
                      f'url = "{tmp_path / "missing.xml"}"\n', encoding="utf-8")
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(newsmarks_cli(), ["--config", str(config), *args], catch_exceptions=False)

    invoke.store_url = store_url
    return invoke


@pytest.mark.parametrize("command", ["refresh", "backfill", "backfill-news", "schedule", "status", "import-prices",
                                     "import-headlines", "snapshot", "export", "retag", "migrate-store", "serve",
                                     "study", "intensity", "flag-bar", "delete", "tag"])
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(newsmarks_cli(), [command, "--help"])
    assert result.exit_code == 0
    assert "  Example:\n    newsmarks " in result.output


def test_python_m_ingest_has_the_ingest_commands_only():
    result = subprocess.run([sys.executable, "-m", "ingest", "--help"], capture_output=True, text=True, check=True)
    assert "refresh" in result.stdout and "migrate-store" in result.stdout and "serve" not in result.stdout
    full = subprocess.run([sys.executable, "-m", "dashboard", "--help"], capture_output=True, text=True, check=True)
    assert "serve" in full.stdout and "study" in full.stdout and "refresh" in full.stdout


def test_import_prices_then_again_adds_nothing(run, shared_data):
    path = str(shared_data / "brent-daily.csv")
    first = run("import-prices", path, "--instrument", "brent")
    assert first.exit_code == 0
    assert first.output == f"{path}: 9958 new, 0 updated, 0 unchanged bars for brent 1d; closes known by 19:30 " \
        "Europe/London\n"
    second = run("import-prices", path, "--instrument", "brent")
    assert second.output == f"{path}: 0 new, 0 updated, 9958 unchanged bars for brent 1d; closes known by 19:30 " \
        "Europe/London\n"


def test_bad_rows_store_nothing_and_name_the_line(run, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Date,Price\n2022-03-01,100.5\n2022-03-02,abc\n", encoding="utf-8")
    result = run("import-prices", str(path), "--instrument", "brent")
    assert result.exit_code == 1
    assert result.output == "Error: bad.csv line 3: close 'abc' is not a number\n"
    assert Store.open(run.store_url).counts()["price_bars"] == 0
    skipped = run("import-prices", str(path), "--instrument", "brent", "--skip-bad")
    assert skipped.exit_code == 0
    assert skipped.stderr == "skipped line 3: close 'abc' is not a number\n"
    assert skipped.stdout == (f"{path}: 1 new, 0 updated, 0 unchanged bars for brent 1d; closes known by 19:30 "
                              "Europe/London; 1 rows skipped\n")


def test_unknown_instrument(run, shared_data):
    result = run("import-prices", str(shared_data / "wti-daily.csv"), "--instrument", "wti")
    assert result.exit_code == 1
    assert result.output == ("Error: unknown instrument 'wti' (configured: usd_rub, eur_rub, brent, "
                             "usd_rub_mkt, eur_rub_mkt)\n")


def test_semicolon_decimal_comma_file_imports_as_it_is(run, shared_data):
    path = str(shared_data / "yahoo" / "USDRUB=X_1d_semicolon-decimalcomma_2016-2026.csv")
    result = run("import-prices", path, "--instrument", "usd_rub_mkt")
    assert result.output == (f"{path}: 2602 new, 0 updated, 0 unchanged bars for usd_rub_mkt 1d; closes known by "
                             "24:00 Europe/London\n")
    exported = run("export", "prices", "--instrument", "usd_rub_mkt", "--start", "2026-01-16")
    assert exported.output == (
        "timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags\n"
        "2026-01-16T00:00:00Z,usd_rub_mkt,1d,2026-01-17T00:00:00Z,78.24578094482422,78.2552490234375,"
        "77.72673034667969,78.2450942993164,0,\n"
        "2026-01-19T00:00:00Z,usd_rub_mkt,1d,2026-01-20T00:00:00Z,77.9000015258789,78.28500366210938,"
        "77.4000015258789,77.63500213623047,0,\n")


def test_export_import_round_trip(run, shared_data, tmp_path):
    run("import-prices", str(shared_data / "yahoo" / "RUB=X_1d_yfinance-history_2003-2024.csv"),
        "--instrument", "usd_rub_mkt")
    run("import-headlines", str(shared_data / "bbc-business-rss-2022-2024.csv"))
    prices, heads = tmp_path / "p.csv", tmp_path / "h.csv"
    assert run("export", "prices", "-o", str(prices)).stderr == f"5348 rows written to {prices}\n"
    assert run("export", "headlines", "-o", str(heads)).stderr == f"1996 rows written to {heads}\n"
    original = Store.open(run.store_url)
    copy = Store.open(f"sqlite:///{tmp_path / 'copy.db'}")
    from ingest.csvio import read_headlines_csv, read_prices_csv

    bars = read_prices_csv(prices, instrument="usd_rub_mkt", interval="1d").bars
    copy.write_bars("usd_rub_mkt", "1d", "import", bars, utc(2026, 1, 1))
    copy.write_headlines(read_headlines_csv(heads, fetched=utc(2026, 1, 1)).headlines)
    columns = ["instrument_id", "interval", "ts", "known", "open", "high", "low", "close", "volume", "flag", "review"]
    assert copy.bars()[columns].equals(original.bars()[columns])
    head_columns = ["source", "guid", "title", "summary", "link", "published", "time_inferred"]
    assert copy.headlines()[head_columns].equals(original.headlines()[head_columns])
    # and importing the export into the store it came from adds nothing
    again = run("import-headlines", str(heads))
    assert again.output == f"{heads}: 0 new, 0 updated, 1996 unchanged headlines\n"


def test_import_headlines_tags_topics(run, shared_data):
    path = shared_data / "bbc-business-rss-2022-2024.csv"
    result = run("import-headlines", str(path))
    # the file has no source column: the command says under which name they went and how to give one
    # (2,656 rows, 1,996 headlines: BBC retitled stories under one guid)
    assert result.output == (f"{path}: 1996 new, 0 updated, 0 unchanged headlines\n"
                             "2656 rows had no source: stored as 'import:bbc-business-rss-2022-2024.csv'; "
                             f"name it with --source, e.g. newsmarks import-headlines {path} --source 'BBC Business'\n")
    store = Store.open(run.store_url)
    # BBC retitled this story four times under one guid: the last title, the first time
    tagged = store.headlines(query='"oil and gas prices soar"', start=utc(2022, 3, 7), end=utc(2022, 3, 8))
    assert tagged[["title", "published", "topics"]].values.tolist() == [
        ["Ukraine conflict: Petrol at fresh record as oil and gas prices soar",
         pd.Timestamp("2022-03-07 08:15:53", tz="UTC"), "Energy;Ukraine"]]


def test_import_headlines_under_the_name_users_know(run, shared_data):
    path = shared_data / "bbc-business-rss-2022-2024.csv"
    result = run("import-headlines", str(path), "--source", "BBC Business")
    assert result.output == f"{path}: 1996 new, 0 updated, 0 unchanged headlines\n"
    assert Store.open(run.store_url).headline_sources() == ["BBC Business"]


def test_bad_config_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[refresh]\nprices = 'often'\n", encoding="utf-8")
    result = CliRunner().invoke(newsmarks_cli(), ["--config", str(bad), "status"])
    assert result.exit_code == 1
    assert result.output == (f"Error: config error in {bad}: refresh.prices: expected a duration like "
                             "'15m', '1h' or '3d', got 'often'\n")


def test_unopenable_store_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[store]\nurl = "sqlite:////proc/nope/x.db"\n', encoding="utf-8")
    result = CliRunner().invoke(newsmarks_cli(), ["--config", str(bad), "retag"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot open the store sqlite:////proc/nope/x.db: ")
    assert "Traceback" not in result.output


def test_headlines_carry_topics_risk_categories_and_sentiment_and_retag_recomputes_them(run, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("published_utc,source,title\n"
                    "2022-02-24T03:00:00Z,wire,Russia launches invasion of Ukraine as war begins\n"
                    "2022-03-01T10:00:00Z,wire,Markets calm as talks resume\n", encoding="utf-8")
    assert run("import-headlines", str(path)).exit_code == 0
    store = Store.open(run.store_url)
    tags = store.headlines()[["title", "topics", "gpr", "sentiment"]].values.tolist()
    assert tags == [
        ["Russia launches invasion of Ukraine as war begins", "Ukraine", "beginning_of_war", "negative"],
        ["Markets calm as talks resume", "Talks", "", "positive"],
    ]
    config = tmp_path / "c2.toml"
    config.write_text(f'[store]\nurl = "{run.store_url}"\n[[topics]]\nname = "Markets"\nterms = ["market*"]\n',
                      encoding="utf-8")
    result = CliRunner().invoke(newsmarks_cli(), ["--config", str(config), "retag"], catch_exceptions=False)
    assert result.output == "retagged 2 headlines\n"
    assert store.headlines()["topics"].tolist() == ["", "Markets"]
    assert store.headlines()["gpr"].tolist() == ["beginning_of_war", ""]


def test_study_prints_the_statistics_and_writes_events(run, shared_data, tmp_path):
    from dashboard.analysis.event_study import event_study

    run("import-prices", str(shared_data / "brent-daily.csv"), "--instrument", "brent")
    run("import-headlines", str(shared_data / "bbc-business-rss-2022-2024.csv"))
    out = tmp_path / "events.csv"
    store = Store.open(run.store_url)
    headlines, bars = store.headlines(query="oil", stories_only=True), store.bars(["brent"], "1d")
    # without a model and with the spacing rule: the study as it was
    result = run("study", "--query", "oil", "--instrument", "brent", "--window", "5", "--model", "raw",
                 "--spacing", "0", "-o", str(out))
    assert result.exit_code == 0, result.output
    expected = event_study(headlines, bars, "1d", window=5, placebo_draws=200)
    lines = result.stdout.splitlines()
    assert lines[0] == "event study: query 'oil' on brent, 1d bars, window ±5, spacing 0"
    assert lines[1] == (f"headlines: {expected.n_headlines} (0 before the data); events: {expected.n_events} (left "
                        "out: 0 at the data's edges, 0 with a flagged bar in their window, 0 for spacing)")
    assert lines[2] == (f"mean move at +1 bar:  {expected.move_1:.6f} (log return)  t = {expected.t_1:.3f}  "
                        f"p = {expected.p_1:.4f}")
    assert lines[5].endswith(f"p = {expected.placebo_p:.4f} for the mean absolute move at +5")
    assert lines[6] == "model: none (raw log returns, no estimation window)"
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == ("event_time_utc,bar_time_utc,bar_known_utc,first_headline,first_headline_id,n_headlines,"
                       "events_in_episode,est_alpha,est_beta,est_sd,k-5,k-4,k-3,k-2,k-1,k+0,k+1,k+2,k+3,k+4,k+5,"
                       "car-5,car-4,car-3,car-2,car-1,car+0,car+1,car+2,car+3,car+4,car+5,"
                       "ar-4,ar-3,ar-2,ar-1,ar+0,ar+1,ar+2,ar+3,ar+4,ar+5")
    assert len(rows) == expected.n_events + 1
    assert result.stderr == f"{expected.n_events} events written to {out}\n"
    # by default: the constant-mean model over 120 bars, overlapping events merged into episodes
    result = run("study", "--query", "oil", "--instrument", "brent", "--window", "5")
    expected = event_study(headlines, bars, "1d", window=5, placebo_draws=200, model="mean", overlap="merge")
    lines = result.stdout.splitlines()
    assert lines[0] == "event study: query 'oil' on brent, 1d bars, window ±5, overlapping events merged into episodes"
    assert lines[1].startswith(f"headlines: {expected.n_headlines} (0 before the data); events: {expected.n_events} "
                               f"(left out: 0 at the data's edges, ")
    assert lines[1].endswith(f", {expected.n_merged} merged into episodes)") and expected.n_merged > 0
    assert lines[2] == (f"CAAR at +1 bar:  {expected.move_1:.6f} (log return)  t = {expected.t_1:.3f}  "
                        f"p = {expected.p_1:.4f}")
    bmp, p = expected.test("bmp", 5)
    assert any(line.startswith("  BMP t [t(N-1)]: ") and f"h = 5: {bmp:.3f}  p = {p:.4f}" in line for line in lines)


def test_study_with_no_bars_says_so(run):
    Store.open(run.store_url).close()   # an empty store
    result = run("study", "--query", "oil", "--instrument", "usd_rub")
    assert result.exit_code == 1
    assert result.output == ("Error: no 1d bars of usd_rub in the store (run newsmarks refresh, or "
                             "import-prices)\n")


def test_study_model_options_say_what_is_wrong(run):
    shown = CliRunner().invoke(newsmarks_cli(), ["study", "--help"]).output
    assert "--model [raw|mean|market]" in shown and "--benchmark" in shown and "--estimation" in shown
    for args, error in ((["--model", "market"], "Error: --model market needs --benchmark ID (another instrument)\n"),
                        (["--benchmark", "usd_rub"], "Error: --benchmark is for --model market\n"),
                        (["--estimation", "5"], "'--estimation': 5 is not in the range 10<=x<=2000")):
        result = run("study", "--query", "oil", *args)
        assert result.exit_code in (1, 2) and error in result.output
    unknown = run("study", "--model", "market", "--benchmark", "gold")
    assert unknown.exit_code == 1 and "gold" in unknown.output


def test_intensity_has_the_trading_calendar_options():
    shown = CliRunner().invoke(newsmarks_cli(), ["intensity", "--help"]).output
    assert "--closed [next|exclude]" in shown and "[default: next]" in shown and "--prewhiten" in shown
    wrong = CliRunner().invoke(newsmarks_cli(), ["intensity", "--closed", "weekend"])
    assert wrong.exit_code == 2 and "'weekend' is not one of 'next', 'exclude'" in wrong.output


def test_version():
    from importlib.metadata import version

    result = CliRunner().invoke(newsmarks_cli(), ["--version"])
    assert result.exit_code == 0 and result.output == f"newsmarks {version('newsmarks')}\n"
    assert version("newsmarks") == "0.1.0"
