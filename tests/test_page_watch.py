"""Watched news pages (`[[pages]]`): fetched by the real `refresh` job through the shared HTTP
client from a loopback server that serves the real saved pages (../shared/data/pages), a
hand-made home page with many linked headlines, and variants whose strip changes between
fetches; stored rows, run records and `status` asserted exactly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ingest.config import ConfigError, load_config
from ingest.pages import parse_page
from ingest.runners.jobs import run_job
from ingest.runners.scheduler import page_intervals
from ingest.runners.status import status_lines, strip_line
from ingest.sources.page_watch import watched_result
from tests.conftest import utc

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
HOME = "home-page-strip-headlines.html"
TEXT_PAGE = "news-page-header-tickers.txt"
TASS_RU = "tass-ru-homepage-20180318-ticker-excerpt.html"
LAVROV = "Lavrov: Russia and USA will not take part in talks of Syrian government and opposition"
INSTRUMENTS = [
    {"id": "usd_rub", "label": "USD/RUB", "mark": "$", "source": "cbr", "ticker": "R01235"},
    {"id": "eur_rub", "label": "EUR/RUB", "mark": "€", "source": "cbr", "ticker": "R01239"},
    {"id": "brent", "label": "Brent", "mark": "BR", "source": "yahoo", "ticker": "BZ=F", "change": "pct"},
]
T0 = utc(2026, 12, 3, 9)
T1 = T0 + timedelta(minutes=15)
T2 = T1 + timedelta(minutes=15)
SNAPSHOT_FIELDS = ["source", "mark", "instrument_id", "value", "change", "change_pct", "captured_at",
                   "captured_from", "direction"]


def home_page(usd: str = "87.70 -0.69") -> bytes:
    return (FIXTURES / HOME).read_bytes().replace(b"$ 87.70 -0.69", f"$ {usd}".encode())


def snapshot_rows(store, source: str) -> list[tuple]:
    frame = store.snapshots()
    frame = frame[frame["source"] == source]
    return [tuple(None if isinstance(v, float) and v != v else v for v in row)
            for row in frame[SNAPSHOT_FIELDS].astype(object).itertuples(index=False)]


def headline_rows(store, source: str) -> list[tuple]:
    from ingest.records import HeadlineFilter

    frame = store.headlines(HeadlineFilter(sources=(source,)))
    return sorted((r.title, r.link, r.guid, r.published, bool(r.time_inferred))
                  for r in frame.itertuples())


def runs_of(store, source: str) -> list[tuple]:
    frame = store.runs(limit=20, source=source)
    return [(r.job, r.source_group, r.status, int(r.new_rows), r.error) for r in frame.itertuples()][::-1]


@pytest.fixture
def config(make_config, web):
    web.add(HOME, home_page(), content_type="text/html; charset=utf-8", etag=None, last_modified=None)
    return make_config(instruments=INSTRUMENTS, pages=[{"name": "TASS", "url": web.url_for(HOME)}])


# -- parsing (pure) -----------------------------------------------------------------------------

def test_a_home_page_gives_every_linked_headline_once():
    page = parse_page(home_page(), "https://tass.com/", "text/html", base="https://tass.com/")
    assert [(item.title, item.link) for item in page.links] == [
        (LAVROV, "https://tass.com/world/1001"),
        ("Oil prices rise after OPEC+ agrees to extend output cuts", "https://tass.com/economy/1002"),
        ('Kremlin says "no plans" for new talks on grain deal', "https://tass.com/politics/1003")]
    assert [(i.mark, i.value_text, i.change, i.change_pct) for i in page.items] == [
        ("$", "87.70", -0.69, None), ("€", "95.44", -0.89, None), ("BR", "90.06", None, 0.64)]


def test_the_real_saved_pages_as_watched_pages(shared_data):
    text = parse_page((shared_data / "pages" / TEXT_PAGE).read_bytes(), "https://tass.com/x")
    result = watched_result(text, "page:TASS", T0, {"$": "usd_rub", "€": "eur_rub", "BR": "brent"}, (),
                            fallback_link="https://tass.com/x")
    assert [(s.mark, s.value, s.change, s.change_pct, s.captured_at, s.captured_from, s.instrument_id)
            for s in result.snapshots] == [
        ("$", 87.70, -0.69, None, T0, "fetch", "usd_rub"), ("€", 95.44, -0.89, None, T0, "fetch", "eur_rub"),
        ("BR", 90.06, None, 0.64, T0, "fetch", "brent")]
    [headline] = result.headlines   # a text page links nowhere: its own headline, guid its title's hash
    assert (headline.title, headline.link, headline.guid, headline.published, headline.time_inferred) == (
        LAVROV, "https://tass.com/x", "sha1:10ba97d5570cfbb2731a8336e702b05acf6dfc24", T0, True)
    tass = parse_page((shared_data / "pages" / TASS_RU).read_bytes(), "https://tass.ru/", base="https://tass.ru/")
    ru = watched_result(tass, "page:ТАСС", T0, {"$": "usd_rub", "€": "eur_rub"}, ())
    assert [(s.mark, s.value, s.direction) for s in ru.snapshots] == [("$", 57.49, 1), ("€", 70.81, 1)]
    assert ru.headlines == [] and ru.notes == []   # the strip's own link is no headline


def test_an_unchanged_strip_is_noted_not_stored():
    page = parse_page(home_page(), "https://tass.com/", "text/html", base="https://tass.com/")
    first = watched_result(page, "page:TASS", T0, {}, ())
    again = watched_result(page, "page:TASS", T1, {}, tuple(first.snapshots))
    assert again.snapshots == [] and again.notes == ["strip unchanged since 2026-12-03 09:00:00 UTC"]
    assert len(again.headlines) == 3
    moved = parse_page(home_page("87.95 +0.25"), "https://tass.com/", "text/html", base="https://tass.com/")
    changed = watched_result(moved, "page:TASS", T1, {}, tuple(first.snapshots))
    assert [(s.mark, s.value, s.change) for s in changed.snapshots][0] == ("$", 87.95, 0.25)
    assert changed.notes == []


# -- the real refresh against a loopback server ------------------------------------------------

def test_refresh_stores_the_strip_once_until_it_changes(config, store, web):
    first = run_job(store, config, groups=("pages",), now=lambda: T0)
    assert [o.line() for o in first.outcomes] == [
        "page:TASS                        ok            6 new, 0 updated, 0 unchanged"]
    stored = [("page:TASS", "$", "usd_rub", 87.70, -0.69, None, pd.Timestamp(T0), "fetch", -1),
              ("page:TASS", "BR", "brent", 90.06, None, 0.64, pd.Timestamp(T0), "fetch", 1),
              ("page:TASS", "€", "eur_rub", 95.44, -0.89, None, pd.Timestamp(T0), "fetch", -1)]
    assert snapshot_rows(store, "page:TASS") == stored
    base = web.url_for(HOME).split("/feeds/")[0]
    assert headline_rows(store, "page:TASS") == sorted([
        (LAVROV, f"{base}/world/1001", f"{base}/world/1001", pd.Timestamp(T0), True),
        ("Oil prices rise after OPEC+ agrees to extend output cuts", "https://tass.com/economy/1002",
         "https://tass.com/economy/1002", pd.Timestamp(T0), True),
        ('Kremlin says "no plans" for new talks on grain deal', f"{base}/politics/1003", f"{base}/politics/1003",
         pd.Timestamp(T0), True)])

    second = run_job(store, config, groups=("pages",), now=lambda: T1)
    assert [o.line() for o in second.outcomes] == [
        "page:TASS                        ok            0 new, 0 updated, 3 unchanged; "
        "strip unchanged since 2026-12-03 09:00:00 UTC"]
    assert snapshot_rows(store, "page:TASS") == stored   # stored once
    assert len(headline_rows(store, "page:TASS")) == 3   # and each headline once, at its first fetch

    web.add(HOME, home_page("88.10 +0.40"), content_type="text/html", etag=None, last_modified=None)
    third = run_job(store, config, groups=("pages",), now=lambda: T2)
    assert [(o.status, o.counts.new, o.error) for o in third.outcomes] == [("ok", 3, None)]
    assert snapshot_rows(store, "page:TASS")[-3:] == [
        ("page:TASS", "$", "usd_rub", 88.10, 0.40, None, pd.Timestamp(T2), "fetch", 1),
        ("page:TASS", "BR", "brent", 90.06, None, 0.64, pd.Timestamp(T2), "fetch", 1),
        ("page:TASS", "€", "eur_rub", 95.44, -0.89, None, pd.Timestamp(T2), "fetch", -1)]
    assert runs_of(store, "page:TASS") == [
        ("refresh", "pages", "ok", 6, None),
        ("refresh", "pages", "ok", 0, "strip unchanged since 2026-12-03 09:00:00 UTC"),
        ("refresh", "pages", "ok", 3, None)]


def test_conditional_get_and_a_failing_page(make_config, store, web, shared_data):
    web.add(TEXT_PAGE, (shared_data / "pages" / TEXT_PAGE).read_bytes(), content_type="text/plain; charset=utf-8")
    config = make_config(instruments=INSTRUMENTS, pages=[
        {"name": "gone", "url": web.url_for("missing.html")},
        {"name": "text", "url": web.url_for(TEXT_PAGE), "every": "5m"}])
    first = run_job(store, config, groups=("pages",), now=lambda: T0)
    assert [(o.key, o.status, o.counts.new) for o in first.outcomes] == [
        ("page:gone", "error", 0), ("page:text", "ok", 4)]
    assert first.outcomes[0].error.startswith("page gone: HTTP 404")
    second = run_job(store, config, groups=("pages",), now=lambda: T1)
    assert [(o.key, o.status) for o in second.outcomes] == [("page:gone", "error"), ("page:text", "not_modified")]
    asked = web.requests_for(TEXT_PAGE)[-1].headers
    assert asked.get("if-none-match") and asked.get("if-modified-since")
    assert status_lines(store, config)[-3:] == [
        "page strips (the last stored; a strip is stored again only when it changed):",
        "page:gone                        none stored",
        "page:text                        2026-12-03 09:00 UTC (fetch)  $ 87.70 -0.69, € 95.44 -0.89, BR 90.06 +0.64%"]
    table = status_lines(store, config)[:-4]   # the sources' table, above the strips
    rows = {line.split()[0]: line.split() for line in table if line.startswith("page:")}
    assert rows["page:text"][1:8] == ["2026-12-03", "09:15", "not_modified", "0", "2026-12-03", "09:00", "1"]
    assert rows["page:gone"][1:4] == ["2026-12-03", "09:15", "error"]


def test_refresh_command_with_only_pages(config, tmp_path, web):
    from ingest.cli import cli

    path = tmp_path / "c.toml"
    path.write_text(f'instruments = []\nfeeds = []\n[store]\nurl = "{config.store.url}"\n'
                    f'[[pages]]\nname = "TASS"\nurl = "{web.url_for(HOME)}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "refresh", "--only", "pages"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "page:TASS                        ok            6 new, 0 updated, 0 unchanged",
        "refresh: 1 sources, 0 failed, 6 new rows"]


# -- config and schedule ------------------------------------------------------------------------

def test_pages_config_and_their_schedule(make_config, tmp_path):
    assert [(p.name, p.url, p.every) for p in load_config(env={}).pages] == [("TASS", "https://tass.com/", None)]
    config = make_config(refresh={"pages": "10m"}, pages=[
        {"name": "a", "url": "https://a.example/"}, {"name": "b", "url": "https://b.example/", "every": "1h"},
        {"name": "c", "url": "https://c.example/"}])
    assert page_intervals(config) == {timedelta(minutes=10): ("page:a", "page:c"), timedelta(hours=1): ("page:b",)}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[pages]]\nname = "x"\nurl = "file:///etc/passwd"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pages\[0\]\.url: expected an http\(s\) URL, got 'file:///etc/passwd'"):
        load_config(bad, env={})


def test_strip_line_formats():
    assert strip_line("page:x", []) == "page:x                           none stored"


def test_a_pages_refresh_leaves_a_running_snapshot_command_alone(config, store):
    snapshot_run = store.start_run("snapshot", "page:saved.txt", T0, "pages")
    stale = store.start_run("refresh", "page:TASS", T0, "pages")   # a refresh that died
    run_job(store, config, groups=("pages",), now=lambda: T1)
    status = dict(zip(store.runs(limit=10)["id"], store.runs(limit=10)["status"], strict=True))
    assert (status[snapshot_run], status[stale]) == ("running", "interrupted")


def test_schedule_has_a_job_per_page_interval(make_config, store):
    import threading

    from ingest.runners.scheduler import make_scheduler

    config = make_config(refresh={"pages": "10m"}, pages=[
        {"name": "a", "url": "https://a.example/"}, {"name": "b", "url": "https://b.example/", "every": "1h"}])
    scheduler = make_scheduler(store, config, blocking=False, stop=threading.Event(), run_now=False)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["refresh-feeds", "refresh-pages-3600s", "refresh-pages-600s", "refresh-prices"]
    assert jobs["refresh-pages-600s"].trigger.interval.total_seconds() == 600
    assert jobs["refresh-pages-600s"].args[-1] == ("page:a",) and jobs["refresh-pages-3600s"].args[-1] == ("page:b",)
    assert jobs["refresh-pages-600s"].max_instances == 1


def test_a_page_without_its_strip_is_a_problem_not_a_silence(make_config, store, web):
    body = (FIXTURES / HOME).read_bytes()
    body = body[:body.index(b'<ul class="ticker">')] + body[body.index(b"</ul>") + 5:]
    web.add(HOME, body, content_type="text/html", etag=None, last_modified=None)
    config = make_config(instruments=INSTRUMENTS, pages=[{"name": "TASS", "url": web.url_for(HOME)}])
    report = run_job(store, config, groups=("pages",), now=lambda: T0)
    assert [o.line() for o in report.outcomes] == [
        "page:TASS                        partial       3 new, 0 updated, 0 unchanged; "
        "no ticker strip found on the page"]
    assert store.last_strip("page:TASS") == []


def test_the_saved_tass_ru_header_through_refresh(make_config, store, web, shared_data):
    web.add(TASS_RU, (shared_data / "pages" / TASS_RU).read_bytes(), content_type="text/html; charset=UTF-8")
    config = make_config(instruments=INSTRUMENTS, pages=[{"name": "ТАСС", "url": web.url_for(TASS_RU)}])
    report = run_job(store, config, groups=("pages",), now=lambda: T0)
    assert [o.line() for o in report.outcomes] == [
        "page:ТАСС                        ok            2 new, 0 updated, 0 unchanged"]
    assert snapshot_rows(store, "page:ТАСС") == [
        ("page:ТАСС", "$", "usd_rub", 57.49, None, None, pd.Timestamp(T0), "fetch", 1),
        ("page:ТАСС", "€", "eur_rub", 70.81, None, None, pd.Timestamp(T0), "fetch", 1)]
    assert headline_rows(store, "page:ТАСС") == []   # a home page's site title is no headline
    assert strip_line("page:ТАСС", store.last_strip("page:ТАСС")) == (
        "page:ТАСС                        2026-12-03 09:00 UTC (fetch)  $ 57.49 ↑, € 70.81 ↑")
