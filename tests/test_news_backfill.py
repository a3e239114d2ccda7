"""`backfill_news` and `newsmarks backfill-news` end to end against the loopback GDELT fake: real
HTTP, the real parser and store; time goes through an injected clock and sleep, so GDELT's 5 s
spacing and the backoffs are asserted exactly without waiting for them."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.config import load_config
from ingest.runners.news_backfill import BackfillProgress, ProgressBar, backfill_news
from ingest.sources.gdelt_slices import Slice
from ingest.sources.http import HttpClient
from ingest.store import Store, WriteCounts
from tests.conftest import utc
from tests.servers.gdelt import FakeGdelt, article, artlist_body

QUERY = "sanctions"
D1, D2, D3, D4 = utc(2023, 6, 1), utc(2023, 6, 2), utc(2023, 6, 3), utc(2023, 6, 4)
NOW = utc(2024, 1, 1)


def articles_on(day: datetime, n: int, per_slot: int = 1, at: timedelta | None = None) -> list[dict]:
    """`n` articles of `day` on GDELT's 15-minute stamps (`per_slot` per stamp), or all at `at`."""
    made = []
    for i in range(n):
        seen = day + (at if at is not None else timedelta(minutes=15 * (i // per_slot)))
        host = f"news{i % 3}.example.com"
        made.append(article(f"https://www.{host}/{day:%Y%m%d}/{i}", f"Sanctions story {i} of {day:%d %b}", seen))
    return made


def keys(articles: list[dict]) -> set[tuple[str, str]]:
    return {(f"gdelt:{a['domain']}", a["url"]) for a in articles}


class FakeTime:
    """A clock that moves only when slept on (or by `advance`); `interrupt_on` makes that sleep
    call raise KeyboardInterrupt (Ctrl-C while waiting between requests)."""

    def __init__(self, interrupt_on: int | None = None):
        self.now = 0.0
        self.sleeps: list[float] = []
        self.interrupt_on = interrupt_on

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) == self.interrupt_on:
            raise KeyboardInterrupt
        self.now += seconds


@pytest.fixture
def gdelt():
    with FakeGdelt() as fake:
        yield fake


@pytest.fixture
def config_for(make_config, gdelt):
    """A config pointing at the fake, with GDELT's real spacing (5 s) and real backoff settings."""

    def build(**gdelt_settings):
        return make_config(sources={"gdelt": {"url": gdelt.url, **gdelt_settings}},
                           http={"retries": 3, "backoff": 2.0, "backoff_max": 60.0, "connect_timeout": 2,
                                 "read_timeout": 2})

    return build


def run(store, config, since=D1, until=D3, time=None, **kwargs):
    time = time or FakeTime()
    report = backfill_news(store, config, QUERY, since, until, sleep=time.sleep, clock=time.clock,
                           now=lambda: NOW, **kwargs)
    return report, time


def stored(store) -> set[tuple[str, str]]:
    frame = store.headlines()
    pairs = list(zip(frame["source"], frame["guid"], strict=True))
    assert len(pairs) == len(set(pairs))
    return set(pairs)


def run_rows(store) -> list[tuple]:
    frame = store.runs(source="gdelt").sort_values("id")
    return [(r.job, r.source_group, r.status, r.new_rows, r.unchanged_rows, r.error)
            for r in frame.itertuples()]


def test_full_slice_is_split_and_every_article_stored_once(store, gdelt, config_for):
    day1, day2 = articles_on(D1, 300, per_slot=4), articles_on(D2, 10)
    gdelt.add(day1 + day2)
    config = config_for()
    steps: list[BackfillProgress] = []
    report, time = run(store, config, progress=steps.append)
    assert gdelt.windows == [(D1, D2 - timedelta(seconds=1)),
                             (D1, D1 + timedelta(hours=12) - timedelta(seconds=1)),
                             (D1 + timedelta(hours=12), D2 - timedelta(seconds=1)),
                             (D2, D3 - timedelta(seconds=1))]
    assert gdelt.requests[0].query == {"query": "sanctions", "mode": "artlist", "format": "json",
                                       "maxrecords": "250", "sort": "datedesc",
                                       "startdatetime": "20230601000000", "enddatetime": "20230601235959"}
    assert {r.headers["user-agent"] for r in gdelt.requests} == {config.http.user_agent}
    assert time.sleeps == [5.0, 5.0, 5.0]
    assert (report.status, report.counts, report.slices_stored, report.requests, report.problems) == (
        "ok", WriteCounts(new=310), 3, 4, [])
    assert stored(store) == keys(day1 + day2)
    assert store.count_headlines() == 310
    assert len(store.headlines(topics=["Sanctions"])) == 310
    assert store.done_backfill_slices("gdelt", QUERY) == [
        (D1, D1 + timedelta(hours=12)), (D1 + timedelta(hours=12), D2), (D2, D3)]
    assert run_rows(store) == [("backfill-news", "news", "ok", 310, 0, None)]
    assert [(s.covered, s.slice, s.counts.new, s.articles) for s in steps] == [
        (timedelta(0), None, 0, 0),
        (timedelta(hours=12), Slice(D1, D1 + timedelta(hours=12)), 192, 192),
        (timedelta(hours=24), Slice(D1 + timedelta(hours=12), D2), 108, 108),
        (timedelta(hours=48), Slice(D2, D3), 10, 10)]
    assert {s.total for s in steps} == {timedelta(hours=48)}


def test_a_slice_still_full_at_the_smallest_length_keeps_250_and_says_so(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 260, at=timedelta(hours=10, minutes=15)))
    report, _ = run(store, config_for(), until=D2)
    problem = ("slice 2023-06-01 10:07:30..2023-06-01 10:30 UTC still truncated at 250 articles "
               "(its halves would be shorter than 15 min)")
    assert (report.status, report.counts.new, report.problems) == ("partial", 250, [problem])
    assert report.requests == len(gdelt.windows) == 13  # the day, then both halves of 6 splits
    assert store.count_headlines() == 250
    assert run_rows(store) == [("backfill-news", "news", "partial", 250, 0, problem)]
    cuts = [timedelta(hours=h) for h in (0, 6, 9, 9.75, 10.125, 10.5, 12, 24)]
    assert store.done_backfill_slices("gdelt", QUERY) == [(D1 + a, D1 + b) for a, b
                                                          in zip(cuts, cuts[1:], strict=False)]


def test_429_is_waited_out_honouring_retry_after(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 3) + articles_on(D2, 2))
    gdelt.rate_limit_next(1, retry_after="7")
    report, time = run(store, config_for())
    assert [r.status for r in gdelt.requests] == [429, 200, 200]
    assert time.sleeps == [7.0, 5.0]
    assert (report.status, report.counts.new, report.requests) == ("ok", 5, 3)


def test_rate_limit_text_with_http_200_backs_off_exponentially(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 3))
    gdelt.slow_down_next(2)
    report, time = run(store, config_for(), until=D2)
    assert [r.status for r in gdelt.requests] == [200, 200, 200]
    assert time.sleeps == [5.0, 10.0]
    assert (report.status, report.counts.new, report.requests) == ("ok", 3, 3)


def test_persistent_rate_limit_is_an_error_naming_the_slice_and_keeps_earlier_slices(store, gdelt, config_for):
    day1 = articles_on(D1, 4)
    gdelt.add(day1 + articles_on(D2, 2))
    gdelt.pass_next(1)
    gdelt.rate_limit_next(4)
    report, time = run(store, config_for())
    error = ("GDELT 'sanctions' 2023-06-02 00:00..2023-06-03 00:00 UTC: HTTP 429 Too Many Requests; "
             "gave up after 4 attempts; 1 slices stored before it, rerun to continue")
    assert (report.status, report.error, report.counts.new) == ("error", error, 4)
    assert time.sleeps == [5.0, 5.0, 10.0, 20.0]
    assert stored(store) == keys(day1)
    assert store.done_backfill_slices("gdelt", QUERY) == [(D1, D2)]
    assert run_rows(store) == [("backfill-news", "news", "error", 4, 0, error)]


def test_empty_slice_is_done_with_nothing(store, gdelt, config_for):
    day2 = articles_on(D2, 2)
    gdelt.add(day2)
    report, _ = run(store, config_for())
    assert (report.status, report.counts, report.slices_stored) == ("ok", WriteCounts(new=2), 2)
    assert store.done_backfill_slices("gdelt", QUERY) == [(D1, D2), (D2, D3)]
    assert stored(store) == keys(day2)


def test_malformed_json_is_an_error_and_a_rerun_continues(store, gdelt, config_for):
    day1, day2 = articles_on(D1, 4), articles_on(D2, 3)
    gdelt.add(day1 + day2)
    gdelt.pass_next(1)
    gdelt.malformed_next(1)
    report, _ = run(store, config_for())
    error = ("GDELT 'sanctions' 2023-06-02 00:00..2023-06-03 00:00 UTC: malformed JSON: Unterminated string "
             "starting at: line 1 column 215 (char 214); 1 slices stored before it, rerun to continue")
    assert (report.status, report.error, report.requests) == ("error", error, 2)
    assert stored(store) == keys(day1)
    assert run_rows(store) == [("backfill-news", "news", "error", 4, 0, error)]
    gdelt.reset()
    again, _ = run(store, config_for())
    assert gdelt.windows == [(D2, D3 - timedelta(seconds=1))]
    assert (again.status, again.counts.new, again.already_done) == ("ok", 3, timedelta(hours=24))
    assert stored(store) == keys(day1 + day2)


def test_interrupted_run_keeps_its_slices_and_a_rerun_fetches_only_the_rest(store, gdelt, config_for):
    day1, day2, day3 = articles_on(D1, 300, per_slot=4), articles_on(D2, 10), articles_on(D3, 5)
    gdelt.add(day1 + day2 + day3)
    report, time = run(store, config_for(), until=D4, time=FakeTime(interrupt_on=2))
    assert gdelt.windows == [(D1, D2 - timedelta(seconds=1)),
                             (D1, D1 + timedelta(hours=12) - timedelta(seconds=1))]
    error = "interrupted after 1 slices (12 h of 72 h); rerun to continue"
    assert (report.status, report.error, report.counts.new) == ("interrupted", error, 192)
    assert run_rows(store) == [("backfill-news", "news", "interrupted", 192, 0, error)]
    gdelt.reset()
    again, _ = run(store, config_for(), until=D4)
    assert gdelt.windows == [(D1 + timedelta(hours=12), D2 - timedelta(seconds=1)),
                             (D2, D3 - timedelta(seconds=1)), (D3, D4 - timedelta(seconds=1))]
    assert (again.status, again.counts, again.already_done) == ("ok", WriteCounts(new=123), timedelta(hours=12))
    assert stored(store) == keys(day1 + day2 + day3)
    assert [row[2] for row in run_rows(store)] == ["interrupted", "ok"]


def test_unreachable_gdelt_fails_at_once(store, make_config):
    config = make_config(sources={"gdelt": {"url": "http://127.0.0.1:9/api/v2/doc/doc"}},
                         http={"retries": 3, "connect_timeout": 2, "read_timeout": 2})
    report, time = run(store, config)
    assert (report.status, report.requests, time.sleeps) == ("error", 1, [])
    assert report.error.startswith("GDELT 'sanctions' 2023-06-01 00:00..2023-06-02 00:00 UTC: cannot connect (")
    assert report.error.endswith("); 0 slices stored before it, rerun to continue")
    assert [row[2] for row in run_rows(store)] == ["error"]


def test_until_none_stops_an_hour_before_now(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 2))
    report = backfill_news(store, config_for(min_interval=0), QUERY, D1, None, now=lambda: D2 + timedelta(hours=3))
    assert (report.range, report.notes, report.status) == (Slice(D1, D2 + timedelta(hours=2)), [], "ok")
    assert gdelt.windows == [(D1, D2 - timedelta(seconds=1)), (D2, D2 + timedelta(hours=2) - timedelta(seconds=1))]


def test_a_finished_range_needs_no_request(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 2))
    run(store, config_for())
    gdelt.reset()
    again, time = run(store, config_for())
    assert (gdelt.requests, time.sleeps) == ([], [])
    assert (again.status, again.requests, again.already_done) == ("ok", 0, timedelta(hours=48))


def test_progress_bar_covers_the_hours_to_do(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 300, per_slot=4))
    out = io.StringIO()
    bar = ProgressBar(out)
    run(store, config_for(), progress=bar)
    bar.close()
    assert (bar.bar.n, bar.bar.total) == (48.0, 48.0)
    # the last redraw: all 48 hours done, nothing left (the time it took is the wall clock's)
    assert re.search(r"\rbackfill-news: 100%\|##########\| 48\.0/48\.0 h \[\d\d:\d\d<00:00\]$",
                     out.getvalue().rstrip())


class TimedClient(HttpClient):
    """Notes the injected clock at each request; each request takes 1.5 s of that clock."""

    def __init__(self, settings, time: FakeTime):
        super().__init__(settings)
        self.time, self.started = time, []

    def get(self, url, **kwargs):
        self.started.append(self.time.now)
        self.time.now += 1.5
        return super().get(url, **kwargs)


def test_requests_are_spaced_by_min_interval(store, gdelt, config_for):
    gdelt.add(articles_on(D1, 2) + articles_on(D2, 2) + articles_on(D3, 2))
    gdelt.pass_next(1)
    gdelt.rate_limit_next(1)
    config = config_for(min_interval=5.0)
    time = FakeTime()
    client = TimedClient(config.http.model_copy(update={"retries": 0}), time)
    report, _ = run(store, config, until=D4, time=time, client=client)
    assert report.status == "ok"
    assert client.started == [0.0, 6.5, 13.0, 19.5]
    assert all(b - a >= 5.0 for a, b in zip(client.started, client.started[1:], strict=False))


def test_another_backfill_holding_the_lock_skips(store, gdelt, config_for):
    with store.refresh_lock(0, ("news",)):
        report, _ = run(store, config_for())
    assert (report.status, report.requests, gdelt.requests) == ("skipped", 0, [])
    assert report.error.startswith("another refresh of news is running on ")
    assert run_rows(store) == []


def test_env_url_keeps_the_other_gdelt_settings(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[sources.gdelt]\nmin_interval = 0.5\nslice_hours = 6\n", encoding="utf-8")
    config = load_config(path, env={"NEWSMARKS_GDELT_URL": "http://127.0.0.1:9/api/v2/doc/doc"})
    gdelt = config.sources.gdelt
    assert (gdelt.url, gdelt.min_interval, gdelt.slice_hours, gdelt.max_records) == (
        "http://127.0.0.1:9/api/v2/doc/doc", 0.5, 6.0, 250)


@pytest.fixture
def cli_run(tmp_path, monkeypatch, gdelt, store_url):
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n[sources.gdelt]\nmin_interval = 0\n'
                      "[[feeds]]\nname = 'local'\nurl = 'missing.xml'\n", encoding="utf-8")
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    monkeypatch.setenv("NEWSMARKS_GDELT_URL", gdelt.url)

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    invoke.store_url = store_url
    return invoke


def test_cli_backfills_and_status_shows_the_run(cli_run, gdelt):
    gdelt.add(articles_on(D1, 4) + articles_on(D2, 3))
    result = cli_run("backfill-news", "--query", "sanctions", "--since", "2023-06-01", "--until", "2023-06-02")
    assert result.exit_code == 0
    assert result.stdout == ("backfill-news 'sanctions' 2023-06-01 00:00..2023-06-03 00:00 UTC: 2 slices stored "
                             "in 2 requests; 7 new, 0 updated, 0 unchanged headlines\n")
    again = cli_run("backfill-news", "--query", "sanctions", "--since", "2023-06-01", "--until", "2023-06-02")
    assert again.stdout == ("backfill-news 'sanctions' 2023-06-01 00:00..2023-06-03 00:00 UTC: 0 slices stored "
                            "in 0 requests (48 h already done); 0 new, 0 updated, 0 unchanged headlines\n")
    status = cli_run("status").stdout.splitlines()
    [line] = [x for x in status if x.startswith("gdelt")]
    assert line.startswith("gdelt (on demand)") and line.split()[5:7] == ["ok", "0"]  # result, new
    assert line.split()[-1] == "7"   # the gdelt:<domain> headlines it stored
    store = Store.open(cli_run.store_url)
    assert store.count_headlines() == 7


def test_cli_error_exits_1_naming_the_slice(cli_run, gdelt):
    gdelt.add(articles_on(D1, 4))
    gdelt.serve_next(b"The specified phrase is too short.\n", content_type="text/html; charset=utf-8")
    result = cli_run("backfill-news", "--query", "sanctions", "--since", "2023-06-01", "--until", "2023-06-01")
    assert result.exit_code == 1
    assert result.stderr == ("Error: GDELT 'sanctions' 2023-06-01 00:00..2023-06-02 00:00 UTC: GDELT answered "
                             "with text, not JSON: \"The specified phrase is too short.\"; 0 slices stored "
                             "before it, rerun to continue\n")


def test_cli_rejects_an_empty_range_and_has_help_with_an_example(cli_run):
    result = cli_run("backfill-news", "--query", "oil", "--since", "2023-06-05", "--until", "2023-06-01")
    assert result.exit_code == 1
    assert result.stderr == ("Error: nothing to backfill: since 2023-06-05 00:00 is not before until "
                             "2023-06-02 00:00 UTC\n")
    help_text = CliRunner().invoke(cli, ["backfill-news", "--help"]).output
    assert "  Example:\n    newsmarks backfill-news --query" in help_text


def test_articles_dated_after_their_fetch_are_stored_at_it_and_counted(store, gdelt, config_for):
    ahead = article("https://www.news0.example.com/ahead", "Sanctions story from the future", utc(2099, 1, 1))
    now = article("https://www.news0.example.com/now", "Sanctions story of the day", D1 + timedelta(hours=3))
    gdelt.serve_next(artlist_body([ahead, now]))
    report, _ = run(store, config_for(), until=D2)
    assert (report.status, report.counts.new, report.future) == ("ok", 2, 1)
    assert report.notes == ["1 article dated more than 10 minutes after it was fetched: stored at the fetch time, "
                            "marked inferred"]
    stored = store.headlines(sort="title")
    assert stored[["title", "published", "time_inferred"]].values.tolist() == [
        ["Sanctions story from the future", pd.Timestamp(NOW), True],
        ["Sanctions story of the day", pd.Timestamp(D1 + timedelta(hours=3)), False]]
