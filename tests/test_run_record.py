"""The one way runs are recorded (ingest.runners.run_record.recorded_run): every way out of the block
leaves a closed run with what happened, and no failure escapes it."""

from __future__ import annotations

import logging

import pytest

from ingest.records import FetchResult, Headline
from ingest.runners.run_record import recorded_run
from ingest.sources.base import PermanentError
from ingest.store import WriteCounts
from tests.conftest import utc

NOW = utc(2026, 9, 1, 12)


def runs(store) -> list[tuple]:
    return [(r["job"], r["source"], r["source_group"], r["status"], r["new_rows"], r["error"])
            for r in store.runs().sort_values("id").to_dict("records")]


def test_a_block_that_commits_closes_its_run(store):
    headline = Headline(source="bbc", guid="g1", title="Talks stall", published=NOW, fetched=NOW)
    with recorded_run(store, "refresh", "bbc", NOW, "feeds") as run:
        counts = run.commit(FetchResult(headlines=[headline], problems=["one item had no date"]))
    assert run.error is None and run.closed and counts == WriteCounts(new=1)
    assert runs(store) == [("refresh", "bbc", "feeds", "partial", 1, "one item had no date")]


def test_a_source_error_is_recorded_not_raised(store):
    with recorded_run(store, "refresh", "yahoo:brent:1d", NOW, "prices") as run:
        raise PermanentError("HTTP 404 from https://example.test/x")
    assert run.error == "HTTP 404 from https://example.test/x"
    assert runs(store) == [("refresh", "yahoo:brent:1d", "prices", "error", 0, "HTTP 404 from https://example.test/x")]


def test_an_unexpected_failure_is_recorded_with_its_type_and_logged(store, caplog):
    with caplog.at_level(logging.ERROR, logger="ingest.runners.run_record"):
        with recorded_run(store, "snapshot", "page:a.html", NOW, "pages", what="a.html") as run:
            raise ValueError("bad cell")
    assert run.error == "unexpected ValueError: bad cell"
    assert runs(store) == [("snapshot", "page:a.html", "pages", "error", 0, "unexpected ValueError: bad cell")]
    assert [r.getMessage() for r in caplog.records] == ["a.html failed unexpectedly"]
    assert caplog.records[0].exc_info is not None     # with its traceback


def test_a_block_with_its_own_status(store):
    with recorded_run(store, "backfill-news", "gdelt", NOW, "gdelt") as run:
        run.finish("interrupted", utc(2026, 9, 1, 13), WriteCounts(new=3), "interrupted after 2 slices")
    assert run.error is None
    assert runs(store) == [("backfill-news", "gdelt", "gdelt", "interrupted", 3, "interrupted after 2 slices")]
    assert store.runs()["finished"].iloc[0] == utc(2026, 9, 1, 13)


def test_a_block_that_closes_nothing_is_an_error(store):
    with recorded_run(store, "refresh", "cbr:usd", NOW, "prices") as run:
        pass
    assert run.error == "the run ended without storing or closing anything"
    assert runs(store)[0][3:] == ("error", 0, "the run ended without storing or closing anything")


def test_a_failure_after_the_run_was_closed_keeps_its_record(store):
    with recorded_run(store, "refresh", "bbc", NOW, "feeds") as run:
        run.commit(FetchResult())
        raise PermanentError("late")
    assert run.error == "late"
    assert runs(store) == [("refresh", "bbc", "feeds", "ok", 0, None)]


def test_ctrl_c_is_not_swallowed(store):
    with pytest.raises(KeyboardInterrupt):
        with recorded_run(store, "refresh", "bbc", NOW, "feeds"):
            raise KeyboardInterrupt
    assert runs(store)[0][3] == "running"   # the next run of its group marks it interrupted


def test_result_status_and_the_names_as_stored():
    from ingest.records import INTERVALS, FeedState, Interval, RunStatus, result_status

    assert result_status(FetchResult()) == "ok" and result_status(FetchResult(problems=["x"])) == "partial"
    assert result_status(FetchResult(feed_state=FeedState(304, not_modified=True), problems=["x"])) == "not_modified"
    assert INTERVALS == ("1d", "1h") and Interval.HOURLY == "1h" and f"{Interval.DAILY}" == "1d"
    assert [s.value for s in RunStatus] == ["running", "ok", "partial", "not_modified", "error", "skipped",
                                            "interrupted", "rate-limited"]
