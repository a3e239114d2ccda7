from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest

from dashboard.state import (
    ViewState,
    display_zone,
    parse_state,
    state_to_search,
    time_window,
    valid_timezone,
)
from tests.conftest import utc

KNOWN = ["usd_rub", "eur_rub", "brent", "usd_rub_mkt"]
DEFAULT = ["usd_rub", "eur_rub", "brent"]


def test_round_trip_through_the_url():
    state = ViewState(instruments=("brent", "usd_rub"), query='"oil output" OR Lavrov', topics=("Syria",),
                      sources=("BBC World", "TASS"), range="custom", start=date(2022, 3, 1),
                      end=date(2022, 3, 31), tz="Europe/Moscow", axis="pct", marks_by="topic")
    search = state_to_search(state)
    assert search == ("?instruments=brent,usd_rub&q=%22oil+output%22+OR+Lavrov&topics=Syria"
                      "&sources=BBC+World,TASS&range=custom&start=2022-03-01&end=2022-03-31"
                      "&tz=Europe/Moscow&axis=pct&marks=topic")
    assert parse_state(search, KNOWN, DEFAULT) == state


def test_empty_url_gives_defaults():
    assert parse_state("", KNOWN, DEFAULT) == ViewState(instruments=("usd_rub", "eur_rub", "brent"))


def test_malformed_url_falls_back_field_by_field():
    state = parse_state("?instruments=nope,brent&range=banana&tz=Mars/Phobos&axis=log&marks=color"
                        "&start=2022-13-01&end=x&q=" + "x" * 500, KNOWN, DEFAULT)
    assert state == ViewState(instruments=("brent",), query="x" * 200)
    assert parse_state("?range=custom&start=2022-03-31&end=2022-03-01", KNOWN, DEFAULT).range == "3M"
    assert parse_state("?%zz&&=", KNOWN, DEFAULT) == ViewState(instruments=tuple(DEFAULT))


@pytest.mark.parametrize("tz", ["A" * 300, "Europe/" + "A" * 300, "Europe", "Europe/", "../../etc/passwd",
                                "/etc/localtime", "UTC\x00", "Europe/Moscow ", "zone.tab", "tzdata.zi", "",
                                "Mars/Phobos"])
def test_an_unusable_time_zone_falls_back_to_utc(tz):
    """A name that is no zone (too long for a file name, a directory of the zone database, a
    path) is not one, whatever error the zone database would raise for it."""
    assert valid_timezone(tz) is False
    assert parse_state("?tz=" + quote(tz), KNOWN, DEFAULT) == ViewState(instruments=tuple(DEFAULT))
    assert display_zone(ViewState(tz="browser"), tz) == "UTC"


@pytest.mark.parametrize("start, end", [("0001-01-01", "2022-03-31"), ("1899-12-31", "2022-03-31"),
                                        ("2022-03-01", "2200-01-01"), ("2022-03-01", "9999-12-31"),
                                        ("0001-01-01", "9999-12-31")])
def test_a_custom_range_beyond_the_days_a_view_may_span_falls_back_to_the_default_range(start, end):
    assert parse_state(f"?range=custom&start={start}&end={end}", KNOWN, DEFAULT) == \
        ViewState(instruments=tuple(DEFAULT))
    assert parse_state("?range=custom&start=1900-01-01&end=2199-12-31", KNOWN, DEFAULT) == \
        ViewState(instruments=tuple(DEFAULT), range="custom", start=date(1900, 1, 1), end=date(2199, 12, 31))


def test_time_window():
    latest = utc(2022, 3, 31, 12)
    assert time_window(ViewState(range="1W"), latest) == (utc(2022, 3, 24, 12), latest)
    assert time_window(ViewState(range="All"), latest) == (None, None)
    custom = ViewState(range="custom", start=date(2022, 3, 1), end=date(2022, 3, 2))
    assert time_window(custom, None) == (utc(2022, 3, 1), utc(2022, 3, 2, 23, 59, 59))


@pytest.mark.parametrize("tz, browser, expected", [
    ("UTC", "Asia/Tokyo", "UTC"), ("browser", "Asia/Tokyo", "Asia/Tokyo"), ("browser", None, "UTC"),
    ("browser", "Not/AZone", "UTC"), ("Europe/Moscow", None, "Europe/Moscow")])
def test_display_zone(tz, browser, expected):
    assert display_zone(ViewState(tz=tz), browser) == expected


def test_state_survives_the_store_round_trip():
    state = ViewState(instruments=("brent",), query="sanction*", topics=("Syria",), marks_by="topic",
                      axis="pct", tz="Europe/Moscow", range="custom", start=date(2022, 3, 1), end=date(2022, 3, 2))
    assert ViewState.from_dict(state.to_dict(), KNOWN, DEFAULT) == state
    assert ViewState.from_dict(None, KNOWN, DEFAULT) == ViewState(instruments=tuple(DEFAULT))


def test_chart_window_round_trip_and_tolerant_reading():
    from datetime import UTC, datetime

    from dashboard.window import ChartWindow

    window = ChartWindow(datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 3, 8, tzinfo=UTC), "1h", True, 93, 4)
    assert window.to_dict() == {"start": "2022-03-01T00:00:00+00:00", "end": "2022-03-08T00:00:00+00:00",
                                "interval": "1h", "zoomed": True, "headlines": 93, "version": 4,
                                "follows_latest": False}
    assert ChartWindow.from_dict(window.to_dict()) == window
    assert ChartWindow.from_dict(None) == ChartWindow() and ChartWindow().span == (None, None)
    # drawn by an older newsmarks (no version), or tampered with in the browser
    old = ChartWindow.from_dict({"start": "2022-03-01T03:00:00+03:00", "end": "nonsense", "interval": "5m",
                                 "zoomed": 1, "headlines": "93"})
    assert old == ChartWindow(datetime(2022, 3, 1, tzinfo=UTC), None, "1d", True, None, None, False)
    # times no view may reach (year 1 east of UTC cannot even be converted to UTC)
    for far in ("0001-01-01T00:00:00+03:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"):
        assert ChartWindow.from_dict({"start": far, "end": "2022-03-08T00:00:00+00:00", "zoomed": True}) == \
            ChartWindow(None, datetime(2022, 3, 8, tzinfo=UTC), "1d", True)
