from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ingest.config import Config, ConfigError, load_config
from ingest.config_sections import parse_duration

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_equals_builtin_defaults():
    assert load_config(REPO / "newsmarks.toml", env={}) == Config()


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config.store.url == "sqlite:///data/newsmarks.db"
    assert [i.id for i in config.instruments] == ["usd_rub", "eur_rub", "brent", "usd_rub_mkt", "eur_rub_mkt"]
    assert [(i.mark, i.source, i.ticker, i.change) for i in config.instruments[:3]] == [
        ("$", "cbr", "R01235", "abs"), ("€", "cbr", "R01239", "abs"), ("BR", "yahoo", "BZ=F", "pct")]
    assert config.refresh.prices_every == timedelta(minutes=15)
    assert config.refresh.backfill_since == date(2015, 1, 1)


def test_env_overrides(tmp_path):
    path = write(tmp_path, '[store]\nurl = "sqlite:///x.db"\n')
    config = load_config(None, env={"NEWSMARKS_CONFIG": str(path), "NEWSMARKS_DB": "sqlite:///y.db",
                                    "NEWSMARKS_YAHOO_URL": "http://127.0.0.1:9/",
                                    "NEWSMARKS_CBR_URL": "http://127.0.0.1:8/scripts"})
    assert config.store.url == "sqlite:///y.db"
    assert config.sources.yahoo.url == "http://127.0.0.1:9"
    assert config.sources.cbr.url == "http://127.0.0.1:8/scripts"


@pytest.mark.parametrize("text, message", [
    ("[store]\nurll = 'x'\n", "config error in {p}: store.urll: unknown key"),
    ("[refresh]\nprices = 'often'\n",
     "config error in {p}: refresh.prices: expected a duration like '15m', '1h' or '3d', got 'often'"),
    ("[[instruments]]\nid='x'\nlabel='X'\nsource='yahooo'\nticker='X'\n",
     "config error in {p}: instruments[0].source: unknown price source 'yahooo' (known: cbr, yahoo)"),
    ("[[instruments]]\nid='x'\nlabel='X'\nsource='cbr'\nticker='X'\nchange='percent'\n",
     "config error in {p}: instruments[0].change: Input should be 'abs' or 'pct' (got 'percent')"),
    ("[[feeds]]\nname='a'\nurl='ftp://example.org/rss'\n",
     "config error in {p}: feeds[0].url: expected an http(s) URL, got 'ftp://example.org/rss'"),
    ("[sources.yahoo]\nurl='localhost:8000'\n",
     "config error in {p}: sources.yahoo.url: expected an http(s) URL, got 'localhost:8000'"),
    ("[http]\nretries = 'three'\n",
     "config error in {p}: http.retries: Input should be a valid integer, unable to parse string as an "
     "integer (got 'three')"),
    ("[[feeds]]\nname='a'\nurl='x.xml'\n[[feeds]]\nname='a'\nurl='y.xml'\n",
     "config error in {p}: feeds[1].name: duplicate 'a'"),
    ("[[instruments]]\nid='x'\nlabel='X'\n",
     "config error in {p}: instruments[0].source: Field required (and 1 more)"),
    ("[store\n", "config error in {p}: not valid TOML: Expected ']' at the end of a table declaration "
                 "(at line 1, column 7)"),
    # topic terms the tagger can match no word with: one line at load, not a traceback later
    ("[[topics]]\nname='Odd'\nterms=['oil', '(((']\n",
     "config error in {p}: topics[0].terms[1]: topic term '(((' has no letters or digits, so it can match no word"),
    ("[[topics]]\nname='Star'\nterms=['*']\n",
     "config error in {p}: topics[0].terms[0]: topic term '*' has no letters or digits, so it can match no word"),
    ("[[topics]]\nname='Dots'\nterms=['...', '--']\n",
     "config error in {p}: topics[0].terms[0]: topic term '...' has no letters or digits, so it can match no "
     "word (and 1 more)"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == message.format(p=path)
    assert "\n" not in str(info.value)


def test_topic_terms_with_words_load():
    config = Config.model_validate({"topics": [{"name": "Ok", "terms": ["oil*", "price cap", "ЦБ", "R&D", "G7"]}]})
    assert config.topics[0].terms == ["oil*", "price cap", "ЦБ", "R&D", "G7"]


def test_missing_file():
    with pytest.raises(ConfigError, match="config file not found: /nonexistent/c.toml"):
        load_config("/nonexistent/c.toml", env={})


def test_unknown_instrument_lists_known():
    with pytest.raises(ConfigError, match=r"unknown instrument 'wti' \(configured: usd_rub, eur_rub, brent, "
                                          r"usd_rub_mkt, eur_rub_mkt\)"):
        Config().instrument("wti")


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("1h", 3600), ("1.5d", 129600)])
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_parse_duration_rejects_zero():
    with pytest.raises(ValueError, match="positive"):
        parse_duration("0m")


def test_default_instruments_close_rules():
    """The close rule each default instrument follows (docs/data.md, "Data model"): the Bank of Russia's
    rates known at 17:00 Moscow the day before their date, BZ=F at the ICE Brent settlement, and
    Yahoo's rouble pairs at the end of the London day."""
    from ingest.close_rules import instrument_rule

    config = Config()
    rules = {i.id: instrument_rule(i.source, i.ticker, i.close_time, config.sources.cbr.published).text
             for i in config.instruments}
    assert rules == {"usd_rub": "cbr 17:00 Europe/Moscow", "eur_rub": "cbr 17:00 Europe/Moscow",
                     "brent": "19:30 Europe/London", "usd_rub_mkt": "24:00 Europe/London",
                     "eur_rub_mkt": "24:00 Europe/London"}
    custom = Config.model_validate(
        {"instruments": [{"id": "brent", "label": "Brent spot (EIA)", "source": "yahoo", "ticker": "BZ=F",
                          "close_time": " 16:30  Europe/London"}]})
    assert custom.instruments[0].close_time == "16:30 Europe/London"
