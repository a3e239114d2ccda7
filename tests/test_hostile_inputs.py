"""Issue 16, "What hostile inputs still get through", row by row through the real entry points:
feeds served from loopback through the real refresh, CSV files through the CLI in-process, GDELT
through the backfill against its loopback fake, a saved page through `newsmarks snapshot`, a
store written around newsmarks through `retag` — and what is stored, exactly. (The migration of
stored text is in tests/test_migrations.py; the pure rules in tests/test_clean.py,
tests/test_headline_text.py, tests/test_csvio.py, tests/test_config.py.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from dashboard.commands import newsmarks_cli
from ingest.csvio import headlines_to_csv
from ingest.headline_text import SUMMARY_CAP, TITLE_CAP
from ingest.runners.jobs import run_job
from ingest.runners.news_backfill import backfill_news
from ingest.store import Store
from tests.conftest import utc
from tests.servers.gdelt import FakeGdelt, article

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = utc(2024, 3, 6)
RSS = "application/rss+xml"   # no charset: the feed's own declaration (or none) is all there is


def rows(store: Store) -> list[tuple]:
    """(guid, title, summary, text_truncated) of every stored headline, by guid."""
    frame = store.headlines().sort_values("guid")
    return [(r.guid, r.title, r.summary, bool(r.text_truncated)) for r in frame.itertuples()]


def feed_runs(store: Store, key: str) -> list[tuple]:
    return [(r.status, r.new_rows, r.error) for r in store.runs(source=key).itertuples()]


# -- markup surviving as plain text ------------------------------------------------------------------

def test_feed_markup_is_stored_as_plain_text(store, make_config, web):
    web.add("hostile-text.xml", (FIXTURES / "feeds" / "hostile-text.xml").read_bytes())
    config = make_config(feeds=[{"name": "Hostile", "url": web.url_for("hostile-text.xml")}])
    report = run_job(store, config, groups=("feeds",), now=lambda: NOW)
    assert [(o.key, o.status, o.counts.new, o.error) for o in report.outcomes] == [("feed:Hostile", "ok", 3, None)]
    assert rows(store) == [
        ("bidi", "Sanctions widen again today", "", False),
        ("escaped-img", "Oil jumps 5%", "Brent & WTI rose", False),
        ("raw-text-elements", "Rouble slides", "Talks stall.", False),
    ]


def test_csv_import_makes_titles_plain_text(cli_run):
    path = FIXTURES / "csv" / "headlines_hostile.csv"
    result = cli_run("import-headlines", str(path))
    assert result.exit_code == 0
    assert result.stderr == "skipped line 5: title has no text once its markup is removed\n"
    store = Store.open(cli_run.store_url)
    try:
        assert [(title, summary, cut) for _, title, summary, cut in
                sorted(rows(store), key=lambda r: r[1])] == [
            ("Oil jumps 5%", "Brent & WTI rose", False),
            ("Rouble slides", "Talks stall", False),
            ("Sanctions widen again", "", False),
        ]
    finally:
        store.close()


def test_gdelt_titles_are_plain_text_and_capped(store, make_config):
    long_title = "Sanctions " * 60   # 600 characters
    with FakeGdelt([article("https://news.example.com/a", "&lt;img src=x onerror=alert(1)&gt;Oil jumps",
                            utc(2023, 6, 1, 9)),
                    article("https://news.example.com/b", "<xmp><img src=x onerror=alert(2)></xmp>Rouble\u202e slides",
                            utc(2023, 6, 1, 10)),
                    article("https://news.example.com/c", long_title, utc(2023, 6, 1, 11))]) as gdelt:
        config = make_config(sources={"gdelt": {"url": gdelt.url, "min_interval": 0}})
        report = backfill_news(store, config, "oil", utc(2023, 6, 1), utc(2023, 6, 2), sleep=lambda s: None,
                               now=lambda: NOW)
    assert (report.status, report.counts.new) == ("ok", 3)
    assert rows(store) == [
        ("https://news.example.com/a", "Oil jumps", "", False),
        ("https://news.example.com/b", "Rouble slides", "", False),
        ("https://news.example.com/c", " ".join(["Sanctions"] * 50) + "…", "", True),
    ]


def test_saved_page_headline_is_plain_text(cli_run):
    path = FIXTURES / "pages" / "hostile-headline.html"
    result = cli_run("snapshot", str(path))
    assert result.exit_code == 0
    store = Store.open(cli_run.store_url)
    try:
        [(guid, title, summary, cut)] = rows(store)
        assert (title, summary, cut) == (
            "Oil jumps as talks stall",
            "Brent rose five per cent after the talks in Geneva ended without an agreement.", False)
        assert store.headlines()["source"].tolist() == ["page:hostile-headline.html"]
    finally:
        store.close()


def test_retag_cleans_text_written_around_the_store(cli_run):
    store = Store.open(cli_run.store_url)
    stamp = int(utc(2024, 3, 5).timestamp())
    with store.engine.begin() as conn:   # a bulk load beside newsmarks: no cleaning, no cap
        for guid, title, summary in (("a", "<xmp><img src=x onerror=alert(1)></xmp>Oil jumps", "Brent\u202e up"),
                                     ("b", "Rouble " * 100, "")):
            conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, "
                              "time_inferred, day_precision, text_truncated, title_norm) VALUES ('bulk', :g, :t, "
                              ":s, :p, :p, false, false, false, :n)"),
                         {"g": guid, "t": title, "s": summary, "p": stamp, "n": title.lower()})
    store.close()
    result = cli_run("retag")
    assert result.output == ("retagged 2 headlines; text cleaned in 2 of them (markup, entities, control "
                             "characters, length)\n")
    store = Store.open(cli_run.store_url)
    try:
        assert rows(store) == [("a", "Oil jumps", "Brent up", False),
                               ("b", " ".join(["Rouble"] * 71) + "…", "", True)]
    finally:
        store.close()


# -- no length bound -----------------------------------------------------------------------------------

def test_a_15_mb_title_is_stored_capped_and_flagged(store, make_config, web):
    title = "Oil " * (15 * 1024 * 1024 // 4)
    summary = "<p>Brent rose again</p>" * 1000
    body = ("<rss version='2.0'><channel><title>Huge</title>"
            f"<item><title>{title}</title><description>{summary}</description><guid>huge</guid>"
            "<pubDate>Tue, 05 Mar 2024 08:00:00 GMT</pubDate></item>"
            "<item><title>Short</title><guid>short</guid><pubDate>Tue, 05 Mar 2024 09:00:00 GMT</pubDate></item>"
            "</channel></rss>").encode()
    assert len(body) > 15_000_000
    web.add("huge.xml", body, content_type=RSS)
    config = make_config(feeds=[{"name": "Huge", "url": web.url_for("huge.xml")}])
    report = run_job(store, config, groups=("feeds",), now=lambda: NOW)
    assert [(o.status, o.counts.new) for o in report.outcomes] == [("ok", 2)]
    [huge, short] = rows(store)
    # cut at the last space before the cap: the title's falls on it, the summary's 3 characters before
    assert huge == ("huge", " ".join(["Oil"] * 125) + "…", ("Brent rose again " * 294).strip() + "…", True)
    assert (len(huge[1]), len(huge[2])) == (TITLE_CAP, SUMMARY_CAP - 2)
    assert short == ("short", "Short", "", False)
    # what the table and the downloads read is as small: the export of both rows
    assert len(headlines_to_csv(store.headlines()).encode()) < 6_000


def test_the_cap_holds_for_a_title_refetched_after_it_grew(store, make_config, web):
    """A headline seen again with a longer text: the flag follows the latest text."""
    item = "<item><title>{}</title><guid>g</guid><pubDate>Tue, 05 Mar 2024 08:00:00 GMT</pubDate></item>"
    web.add("grow.xml", f"<rss version='2.0'><channel>{item.format('Oil up')}</channel></rss>".encode(),
            content_type=RSS)
    config = make_config(feeds=[{"name": "Grow", "url": web.url_for("grow.xml")}])
    run_job(store, config, groups=("feeds",), now=lambda: NOW)
    web.add("grow.xml", f"<rss version='2.0'><channel>{item.format('Oil up ' * 100)}</channel></rss>".encode(),
            content_type=RSS)
    report = run_job(store, config, groups=("feeds",), now=lambda: NOW + timedelta(hours=1))
    assert [(o.counts.updated, o.counts.new) for o in report.outcomes] == [(1, 0)]
    assert rows(store) == [("g", ("Oil up " * 71).strip() + "…", "", True)]


# -- undeclared encodings --------------------------------------------------------------------------------

RUSSIAN_TITLES = ["Банк России сохранил ключевую ставку на уровне 16 процентов",
                  "Курс доллара опустился ниже 90 рублей впервые с августа",
                  "Нефть марки Brent подорожала после решения ОПЕК+ о сокращении добычи"]


@pytest.mark.parametrize("name, content_type, assumed", [
    ("undeclared-cp1251.xml", RSS, "no character encoding declared and not UTF-8: read as windows-1251 (detected)"),
    ("undeclared-koi8r.xml", RSS, "no character encoding declared and not UTF-8: read as KOI8-R (detected)"),
    ("undeclared-cp1251.xml", "text/xml; charset=utf-8",
     "declared encoding 'utf-8' does not fit the bytes: read as windows-1251 (detected)"),
])
def test_a_feed_in_an_undeclared_encoding_is_read_and_the_run_says_how(store, make_config, web, name, content_type,
                                                                          assumed):
    web.add(name, (FIXTURES / "feeds" / name).read_bytes(), content_type=content_type)
    config = make_config(feeds=[{"name": "Ru", "url": web.url_for(name)}])
    report = run_job(store, config, groups=("feeds",), now=lambda: NOW)
    [outcome] = report.outcomes
    assert (outcome.status, outcome.counts.new, outcome.error) == ("partial", 3, assumed)
    assert outcome.line() == f"{'feed:Ru':<32} partial       3 new, 0 updated, 0 unchanged; {assumed}"
    assert feed_runs(store, "feed:Ru") == [("partial", 3, assumed)]
    assert [title for _, title, _, _ in rows(store)] == RUSSIAN_TITLES


def test_status_shows_the_assumed_encoding(cli_run, web):
    web.add("ru.xml", (FIXTURES / "feeds" / "undeclared-koi8r.xml").read_bytes(), content_type=RSS)
    cli_run.config.write_text(f'[store]\nurl = "{cli_run.store_url}"\n[[feeds]]\nname = "Ru"\n'
                              f'url = "{web.url_for("ru.xml")}"\n', encoding="utf-8")
    assert cli_run("refresh", "--only", "feeds").exit_code == 0
    [line] = [x for x in cli_run("status").stdout.splitlines() if x.startswith("feed:Ru")]
    assert "partial" in line and line.endswith("no character encoding declared and not UTF-8: read as KOI8-R "
                                               "(detected)")


# -- impossible prices, unterminated quotes ---------------------------------------------------------------

def test_impossible_prices_are_refused_with_their_line(cli_run):
    path = FIXTURES / "csv" / "prices_impossible.csv"
    result = cli_run("import-prices", str(path), "--instrument", "brent")
    assert result.exit_code == 1
    assert result.output == ("Error: prices_impossible.csv line 3: close '-5' is negative: a price must be positive "
                             "(and 4 more bad rows)\n")
    store = Store.open(cli_run.store_url)
    assert store.counts()["price_bars"] == 0
    store.close()
    skipped = cli_run("import-prices", str(path), "--instrument", "brent", "--skip-bad")
    assert skipped.exit_code == 0
    assert skipped.stderr == (
        "skipped line 3: close '-5' is negative: a price must be positive\n"
        "skipped line 4: close '0' is zero: a price must be positive\n"
        "skipped line 5: close '1e308' is above 1e12, the largest price accepted\n"
        "skipped line 6: close '1e-320' is below 1e-9, the smallest price accepted\n"
        "skipped line 7: volume '-3' is negative\n")
    store = Store.open(cli_run.store_url)
    try:
        assert store.bars(["brent"])["close"].tolist() == [10.5, 11.5]
    finally:
        store.close()


@pytest.mark.parametrize("command, name, line", [
    (("import-prices", "--instrument", "brent"), "prices_unterminated_quote.csv", 3),
    (("import-headlines",), "headlines_unterminated_quote.csv", 3),
])
def test_an_unterminated_quoted_field_is_refused_and_nothing_is_lost(cli_run, command, name, line):
    good = FIXTURES / "csv" / ("prices_duplicate.csv" if command[0] == "import-prices" else "headlines_mixed.csv")
    cli_run(command[0], str(good), *command[1:], "--skip-bad")
    store = Store.open(cli_run.store_url)
    before = store.counts()
    store.close()
    for skip in ((), ("--skip-bad",)):   # not a bad row that can be skipped: the file cannot be split
        result = cli_run(command[0], str(FIXTURES / "csv" / name), *command[1:], *skip)
        assert result.exit_code == 1
        assert result.output == f"Error: {name} line {line}: unterminated quoted field\n"
    store = Store.open(cli_run.store_url)
    try:
        assert store.counts() == before and before["price_bars"] + before["headlines"] > 0
    finally:
        store.close()


# -- topic terms without word characters ----------------------------------------------------------------

@pytest.mark.parametrize("command", [("refresh",), ("retag",), ("import-headlines", "headlines_mixed.csv")])
@pytest.mark.parametrize("term", ["(((", "*"])
def test_a_topic_term_without_words_is_one_config_error_at_load(tmp_path, monkeypatch, command, term):
    config = tmp_path / "topics.toml"
    config.write_text(f'feeds = []\npages = []\ninstruments = []\n[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n'
                      f'[[topics]]\nname = "Odd"\nterms = ["oil", "{term}"]\n', encoding="utf-8")
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    args = [str(FIXTURES / "csv" / a) if a.endswith(".csv") else a for a in command]
    result = CliRunner().invoke(newsmarks_cli(), ["--config", str(config), *args])
    assert result.exit_code == 1   # a ClickException: no traceback
    assert result.output == (f"Error: config error in {config}: topics[0].terms[1]: topic term '{term}' has no "
                             "letters or digits, so it can match no word\n")
