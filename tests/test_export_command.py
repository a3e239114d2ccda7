"""`newsmarks export`: the same bytes to standard output as to `-o`, `--excel` for Excel, and an
unknown `--instrument` named instead of an empty file."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ingest.records import Headline
from ingest.store import Store
from tests.conftest import utc

FETCHED = utc(2026, 1, 1)
HEADLINES = [
    Headline(source="ТАСС", guid="t1", title="Курс доллара превысил 100 рублей", published=utc(2023, 8, 14, 9, 30),
             fetched=FETCHED, summary="Впервые с марта 2022 года.\r\nЦБ: «без угрозы»", link="https://tass.ru/1"),
    Headline(source="BBC", guid="b1", title="=Oil, \"Brent\" and the rouble", published=utc(2023, 8, 14, 10),
             fetched=FETCHED),
]
EXPECTED = ("published_utc,source,title,link,summary,time_inferred,topics,guid,text_truncated\n"
            "2023-08-14T09:30:00Z,ТАСС,Курс доллара превысил 100 рублей,https://tass.ru/1,"
            "\"Впервые с марта 2022 года.\r\nЦБ: «без угрозы»\",false,,t1,false\n"
            "2023-08-14T10:00:00Z,BBC,\"'=Oil, \"\"Brent\"\" and the rouble\",,,false,Energy;Rouble,b1,false\n")


@pytest.fixture
def filled(cli_run):
    from ingest.config import Config
    from ingest.headline_tags.stored_tags import headline_tagger

    store = Store.open(cli_run.store_url)
    store.write_headlines(HEADLINES, tag=headline_tagger(Config.model_validate({}).topics))
    store.write_bars("brent", "1d", "import", pd.DataFrame({
        "ts": [pd.Timestamp("2023-08-14", tz="UTC")], "known": [pd.Timestamp("2023-08-14 18:30", tz="UTC")],
        "open": [86.0], "high": [87.0], "low": [85.5], "close": [86.2], "volume": [0.0], "flag": [None]}), FETCHED)
    store.close()
    return cli_run


def test_standard_output_gets_the_bytes_a_file_gets(filled, tmp_path):
    """Cyrillic cells, a CR LF inside a quoted cell, `\\n` at the ends of the records: the same bytes
    through `> f` as through `-o f`, and `--excel` puts a UTF-8 byte-order mark before them."""
    out = tmp_path / "h.csv"
    written = filled("export", "headlines", "-o", str(out))
    assert written.exit_code == 0 and written.stderr == f"2 rows written to {out}\n"
    assert out.read_bytes() == EXPECTED.encode("utf-8")
    printed = filled("export", "headlines")
    assert printed.exit_code == 0 and printed.stdout_bytes == out.read_bytes()
    excel = tmp_path / "excel.csv"
    filled("export", "headlines", "--excel", "-o", str(excel))
    assert excel.read_bytes() == codecs.BOM_UTF8 + EXPECTED.encode("utf-8")
    assert filled("export", "headlines", "--excel").stdout_bytes == excel.read_bytes()


def test_shell_redirect_writes_the_same_bytes_whatever_the_terminal_encoding(filled, tmp_path):
    """`newsmarks export headlines > f` in a shell whose encoding is not UTF-8
    (cp1251, as a Russian Windows console has it): the bytes are UTF-8 all the same."""
    redirected, direct = tmp_path / "redirected.csv", tmp_path / "direct.csv"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSMARKS_")}, "PYTHONIOENCODING": "cp1251"}
    command = [sys.executable, "-m", "ingest", "--config", str(filled.config), "export", "headlines"]
    with redirected.open("wb") as stdout:
        done = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, env=env, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    subprocess.run([*command, "-o", str(direct)], capture_output=True, env=env, check=True)
    assert redirected.read_bytes() == direct.read_bytes() == EXPECTED.encode("utf-8")


def test_an_unknown_instrument_is_named_with_the_known_ones(filled, tmp_path):
    out = tmp_path / "p.csv"
    result = filled("export", "prices", "--instrument", "brnet", "-o", str(out))
    assert result.exit_code == 1
    assert result.output == ("Error: unknown instrument 'brnet' (known: usd_rub, eur_rub, brent, usd_rub_mkt, "
                             "eur_rub_mkt)\n")
    assert not out.exists()
    both = filled("export", "snapshots", "--instrument", "brent", "--instrument", "wti", "--instrument", "gold")
    assert both.output == ("Error: unknown instruments 'wti', 'gold' (known: usd_rub, eur_rub, brent, usd_rub_mkt, "
                           "eur_rub_mkt)\n")
    headlines = filled("export", "headlines", "--instrument", "brent")
    assert (headlines.exit_code, headlines.output) == (
        1, "Error: --instrument is for prices and snapshots; headlines have no instrument\n")
    known = filled("export", "prices", "--instrument", "brent")
    assert known.exit_code == 0
    assert known.stdout == ("timestamp_utc,instrument,interval,known_utc,open,high,low,close,volume,flags\n"
                            "2023-08-14T00:00:00Z,brent,1d,2023-08-14T18:30:00Z,86,87,85.5,86.2,0,\n")


def test_an_instrument_only_the_store_knows_is_known(filled, tmp_path):
    """An instrument since removed from the config keeps its bars, and can be exported."""
    config = tmp_path / "only-brent.toml"
    config.write_text(f'feeds = []\npages = []\n[store]\nurl = "{filled.store_url}"\n[[instruments]]\nid = "gold"\n'
                      'label = "Gold"\nsource = "yahoo"\nticker = "GC=F"\n', encoding="utf-8")
    from click.testing import CliRunner

    from dashboard.commands import newsmarks_cli

    result = CliRunner().invoke(newsmarks_cli(), ["--config", str(config), "export", "prices", "--instrument", "wti"])
    assert result.output == "Error: unknown instrument 'wti' (known: gold, brent)\n"
    kept = CliRunner().invoke(newsmarks_cli(), ["--config", str(config), "export", "prices", "--instrument", "brent"])
    assert kept.exit_code == 0 and kept.stdout.count("\n") == 2
    assert Path(filled.config).exists()
