"""The one rule for headline times (pure): future times settle on the fetch time; dates alone are
told apart from times by the text a source wrote."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ingest.headline_times import (
    FUTURE_SLACK,
    day_start,
    in_the_future,
    settle_time,
    without_day,
    written_date,
)
from ingest.records import Headline
from tests.conftest import utc

FETCHED = utc(2026, 8, 1, 12)


def headline(published, day_precision=False, time_inferred=False) -> Headline:
    return Headline(source="s", guid="g", title="t", published=published, fetched=FETCHED,
                    day_precision=day_precision, time_inferred=time_inferred)


@pytest.mark.parametrize("text, day", [
    ("2008-06-08", date(2008, 6, 8)),
    (" 2008-06-08 ", date(2008, 6, 8)),
    ("20080608", date(2008, 6, 8)),
    ("2026-07-26Z", date(2026, 7, 26)),
    ("2026-07-26 +03:00", date(2026, 7, 26)),
    ("Sun, 08 Jun 2008", date(2008, 6, 8)),
    ("8 June 2008", date(2008, 6, 8)),
    ("Sun, 08 Jun 2008 GMT", date(2008, 6, 8)),
    ("2008-06-08T00:00:00Z", None),      # a time (midnight, to the second), not a date alone
    ("2008-06-08T00:00", None),
    ("Sun, 08 Jun 2008 00:00:00 GMT", None),
    ("2008-02-30", None),                # no such day
    ("Sun, 08 Juin 2008", None),         # month names in English only
    ("2026-07", None),
    ("2008-0608", None),
    ("yesterday", None),
    ("", None),
    (None, None),
])
def test_written_date(text, day):
    assert written_date(text) == day
    assert (written_date(text) is not None) is (day is not None)   # how the feeds and CSV imports tell a date alone


@pytest.mark.parametrize("text, expected", [("2026", True), ("2026-07", True), (" 2026-07 ", True),
                                            ("2026-07-26", False), ("202607", False), ("", False), (None, False)])
def test_without_day(text, expected):
    assert without_day(text) is expected


def test_day_start_is_midnight_utc():
    assert day_start(date(2008, 6, 8)) == utc(2008, 6, 8)


def test_future_times_settle_on_the_fetch_time():
    assert FUTURE_SLACK == timedelta(minutes=10)
    inside = headline(FETCHED + FUTURE_SLACK)
    assert not in_the_future(inside) and settle_time(inside) is inside
    ahead = headline(utc(2099, 1, 1), day_precision=True)
    assert in_the_future(ahead)
    assert settle_time(ahead) == headline(FETCHED, day_precision=False, time_inferred=True)
    # a date alone of the day after the fetch lies ahead too
    assert settle_time(headline(utc(2026, 8, 2), day_precision=True)) == headline(FETCHED, time_inferred=True)
