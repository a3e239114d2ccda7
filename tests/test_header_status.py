"""The header's compact status: one badge for the failing sources (their errors on click) and a
last-refresh line that says whether it succeeded."""

from __future__ import annotations

from dashboard.header.parts import last_refresh, source_badges

RUNS = {
    "feed:BBC World": {"status": "ok", "finished": 1_780_000_000, "error": None},
    "feed:TASS": {"status": "error", "finished": 1_780_000_060, "error": "feed TASS: cannot connect (refused)"},
    "price:brent": {"status": "interrupted", "finished": None, "error": None},
    "price:usd_rub": {"status": "ok", "finished": 1_780_000_030, "error": None},
}


def test_one_badge_counts_the_failing_sources_and_lists_them_on_click():
    (badge,) = source_badges(RUNS)
    summary, listing = badge.children
    assert summary.children == "⚠ 2 of 4 sources failing" and "text-bg-warning" in summary.className
    assert [[part if isinstance(part, str) else part.children for part in item.children]
            for item in listing.children] == [["feed:TASS", ": ", "feed TASS: cannot connect (refused)"],
                                               ["price:brent", ": ", "interrupted"]]
    healthy = {k: {**v, "status": "ok"} for k, v in RUNS.items()}
    assert source_badges(healthy) == []


def test_the_last_refresh_says_whether_it_succeeded():
    assert last_refresh(RUNS, "UTC") == "Last refresh 2026-05-28 20:27 UTC: 2 of 4 sources failed"
    healthy = {k: {**v, "status": "ok"} for k, v in RUNS.items()}
    assert last_refresh(healthy, "Europe/Moscow") == "Last refresh 2026-05-28 23:27 Europe/Moscow: all 4 sources ok"
    assert last_refresh({"price:brent": RUNS["price:usd_rub"]}, "UTC") == "Last refresh 2026-05-28 20:27 UTC: ok"
    assert last_refresh({}, "UTC") == "Not refreshed yet"
    # a run still going is not counted as ok, nor as failed; a partial run is said as such
    going = {**RUNS, "feed:BBC World": {"status": "running", "finished": None, "error": None}}
    assert last_refresh(going, "UTC") == "Last refresh 2026-05-28 20:27 UTC: 2 of 4 sources failed, 1 still running"
    mixed = {**healthy, "feed:TASS": {**RUNS["feed:TASS"], "status": "partial"},
             "price:brent": {"status": "running", "finished": None, "error": None}}
    assert last_refresh(mixed, "UTC") == ("Last refresh 2026-05-28 20:27 UTC: 1 of 4 sources partly failed, "
                                          "1 still running")


def test_a_rate_limited_source_counts_as_failing_with_when_it_is_tried_again():
    limited = {**RUNS, "feed:BBC World": {"status": "rate-limited", "finished": 1_780_000_000,
                                          "error": "feed BBC World: not tried, feeds.bbci.co.uk is left alone until "
                                                   "2026-05-28 21:00 UTC (it answered HTTP 429 Too Many Requests, "
                                                   "once in a row)"}}
    (badge,) = source_badges(limited)
    summary, listing = badge.children
    assert summary.children == "⚠ 3 of 4 sources failing"
    assert "left alone until 2026-05-28 21:00 UTC" in listing.children[0].children[2]
    assert last_refresh(limited, "UTC") == "Last refresh 2026-05-28 20:27 UTC: 3 of 4 sources failed"
