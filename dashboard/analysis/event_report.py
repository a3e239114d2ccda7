"""An event study in words and numbers (pure): what `newsmarks study` prints and writes, and the
statistics rows the Analysis tab shows and downloads — one list (`stat_rows`), so the command
line and the tab give the same figures. Moves and CARs are log returns, as the study computes
them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dashboard.analysis.event_calendar_test import hac_lags
from dashboard.analysis.event_tests import NEEDS_ESTIMATION, REFERENCE, TEST_WORDS, TESTS
from ingest.csvio.csv_safety import format_number, iso_utc, neutralise_cell, write_csv

if TYPE_CHECKING:   # event_study imports this module for EventStudyResult.summary
    from dashboard.analysis.event_study import EventStudyResult


def _num(value: float, digits: int = 6) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _moved(result: EventStudyResult) -> str:
    """What is averaged: raw moves (no model) or CARs."""
    return "move" if result.model == "raw" else "CAR"


def left_out_words(result: EventStudyResult) -> str:
    """The events left out (and merged), with why: '3 at the data's edges, 0 with a flagged bar in
    their window, …, 0 for spacing' (or '…, 54 merged into episodes')."""
    skipped = result.n_skipped
    words = [f"{result.n_dropped_edges} at the data's edges",
             f"{result.n_dropped_flagged} with a flagged bar in their window"]
    if result.model == "market":
        words.append(f"{skipped.get('benchmark', 0)} without a benchmark return in their window")
    if result.model != "raw":
        missing = "a flagged bar or no benchmark return" if result.model == "market" else "a flagged bar"
        words += [f"{skipped.get('history', 0)} without {result.estimation} bars of history",
                  f"{skipped.get('history_flagged', 0)} with {missing} in their estimation window",
                  f"{skipped.get('flat', 0)} with no variation in their estimation window"]
    words.append(f"{result.n_merged} merged into episodes" if result.overlap == "merge"
                 else f"{result.n_dropped_spacing} for spacing")
    return ", ".join(words)


def model_words(result: EventStudyResult) -> str:
    """The normal-return model in words."""
    if result.model == "raw":
        return "none (raw log returns, no estimation window)"
    span = f"{result.estimation} one-bar log returns ending {result.window + 1} bars before the event bar"
    if result.model == "mean":
        return f"constant mean of each event's {span} (MacKinlay 1997)"
    return (f"market model on {result.benchmark}: OLS over each event's {span}, the benchmark's price on each bar "
            "its last close known by then (MacKinlay 1997)")


def overlap_words(result: EventStudyResult) -> str:
    if result.overlap == "merge":
        return (f"events less than {2 * result.window + 1} bars after an episode's first event merged into it: "
                f"{result.n_merged} merged, {result.n_events} episodes; {result.n_overlap_bars} bars lay in two or "
                "more windows before merging")
    return (f"spacing {result.spacing} ({result.n_dropped_spacing} events dropped); {result.n_overlap_bars_used} "
            "bars lie in two or more of the used events' windows")


def tests_used(result: EventStudyResult) -> list[str]:
    """The tests computed for the result's model, in order."""
    return [name for name in TESTS if not (result.model == "raw" and name in NEEDS_ESTIMATION)]


def placebo_words(result: EventStudyResult) -> str:
    """How the placebo was drawn; how crowded the period is (events on most of its bars leave the
    shifted calendars little room to differ from the real one)."""
    return (f"{result.placebo_draws} shifts of the event calendar within the period's {result.placebo_pool} "
            f"usable bars, {result.n_events} of them event bars")


def description(result: EventStudyResult) -> str:
    """One sentence: model, overlap rule, tests and placebo used."""
    tests = ", ".join(TEST_WORDS[name] for name in tests_used(result))
    return (f"Event study: model {model_words(result)}; overlap: {overlap_words(result)}; tests: {tests}; "
            f"placebo: {placebo_words(result)}.")


def _test_row(result: EventStudyResult, name: str, horizon: int):
    tests = result.tests
    return tests[(tests["test"] == name) & (tests["horizon"] == horizon)].iloc[0]


def stat_rows(result: EventStudyResult) -> list[tuple[str, int | float]]:
    """The event study's statistics as (statistic, value): counts as ints, the rest floats (NaN
    where undefined); moves and CARs as log return × 100 (%)."""
    w, moved = result.window, _moved(result)
    mean = "Mean move" if result.model == "raw" else "CAAR"
    rows: list[tuple[str, int | float]] = [
        ("Headlines", result.n_headlines),
        ("Headlines before the first bar", result.n_headlines_before_data),
        ("Events used" + (" (episodes)" if result.overlap == "merge" else ""), result.n_events),
        (f"Events left out: fewer than {w} bars on a side", result.n_dropped_edges),
        ("Events left out: a flagged bar in the window", result.n_dropped_flagged),
    ]
    skipped = result.n_skipped
    if result.model == "market":
        rows.append(("Events left out: no benchmark return in the window", skipped.get("benchmark", 0)))
    if result.model != "raw":
        rows += [(f"Events left out: fewer than {result.estimation} bars of history", skipped.get("history", 0)),
                 ("Events left out: a flagged bar" + (" or no benchmark return" if result.model == "market" else "")
                  + " in the estimation window", skipped.get("history_flagged", 0)),
                 ("Events left out: no variation in the estimation window", skipped.get("flat", 0)),
                 ("Estimation window, bars", result.estimation)]
    if result.overlap == "merge":
        rows += [("Events merged into episodes", result.n_merged),
                 ("Bars in two or more event windows before merging", result.n_overlap_bars)]
    else:
        rows += [(f"Events left out: spacing {result.spacing}", result.n_dropped_spacing),
                 ("Bars in two or more event windows", result.n_overlap_bars_used)]
    rows += [
        (f"{mean} at +1 bar, %", result.move_1 * 100), ("t at +1", result.t_1), ("p at +1", result.p_1),
        (f"{mean} at +{w} bars, %", result.move_w * 100), (f"t at +{w}", result.t_w), (f"p at +{w}", result.p_w),
    ]
    for name in tests_used(result):
        if name == "t":
            continue
        for horizon in sorted({1, w}):
            row = _test_row(result, name, horizon)
            rows += [(f"{TEST_WORDS[name]} at +{horizon}", float(row["statistic"])),
                     (f"{TEST_WORDS[name]} p at +{horizon}", float(row["p"]))]
            if name == "kp":
                rows.append((f"Kolari-Pynnönen r at +{horizon}", float(row["detail"])))
            if name == "calendar":
                rows += [(f"Calendar-time abnormal return per bar in bars +1..+{horizon}, %",
                          float(row["detail"]) * 100),
                         (f"Calendar-time bars at +{horizon} (HAC lags {hac_lags(int(row['n']))})", int(row["n"]))]
    rows += [
        ("SD of one-bar moves, %", result.sd_1 * 100),
        (f"Share of events with |{moved} at +1| > 2 SD", result.share_beyond_2sd),
        (f"Mean |{moved} at +{w}|, %", result.mean_abs_w * 100),
        ("Placebo draws (calendar shifts)", result.placebo_draws),
        ("Placebo pool, bars", result.placebo_pool),
        (f"Placebo p of the mean |{moved} at +{w}|", result.placebo_p),
        (f"Placebo p of the {mean.lower() if result.model == 'raw' else mean} at +{w} (two-sided)",
         result.placebo_p_caar),
    ]
    return rows


def summary_lines(result: EventStudyResult, label: str) -> list[str]:
    """What `newsmarks study` prints: the settings, N and what was left out and why, the mean move
    (raw) or CAAR at +1 and +W with the cross-sectional t and p, the share of large moves, the
    placebo's p-values, the model, the overlap, then each test's statistic and p at +1 and +W."""
    w, moved = result.window, _moved(result)
    mean = "mean move" if result.model == "raw" else "CAAR"
    rule = f"spacing {result.spacing}" if result.overlap == "spacing" else "overlapping events merged into episodes"
    lines = [
        f"event study: {label}, {result.interval} bars, window ±{w}, {rule}",
        f"headlines: {result.n_headlines} ({result.n_headlines_before_data} before the data); "
        f"events: {result.n_events} (left out: {left_out_words(result)})",
        f"{mean} at +1 bar:  {_num(result.move_1)} (log return)  t = {_num(result.t_1, 3)}  p = {_num(result.p_1, 4)}",
        f"{mean} at +{w} bars: {_num(result.move_w)} (log return)  t = {_num(result.t_w, 3)}  "
        f"p = {_num(result.p_w, 4)}",
        f"events moving more than 2 sd of ordinary one-bar moves: {_num(result.share_beyond_2sd * 100, 1)}%",
        f"placebo ({placebo_words(result)}): p = {_num(result.placebo_p_caar, 4)} for the {mean} at +{w} "
        f"(two-sided); p = {_num(result.placebo_p, 4)} for the mean absolute {moved} at +{w}",
        f"model: {model_words(result)}",
        f"overlap: {overlap_words(result)}",
        f"tests of the {mean} over bars +1..+h (statistic, p; reference distribution):",
    ]
    for name in tests_used(result):
        cells = []
        for horizon in sorted({1, w}):
            row = _test_row(result, name, horizon)
            extra = ""
            if name == "kp":
                extra = f" (r = {_num(float(row['detail']), 4)})"
            elif name == "calendar":
                extra = f" ({int(row['n'])} bars, {hac_lags(int(row['n']))} lags)"
            cells.append(f"h = {horizon}: {_num(float(row['statistic']), 3)}  p = {_num(float(row['p']), 4)}{extra}")
        lines.append(f"  {TEST_WORDS[name]} [{REFERENCE[name]}]: " + ";  ".join(cells))
    return lines


def events_csv(result: EventStudyResult) -> str:
    """One row per event: event time, bar time, when the bar's close became known, first
    headline, its id, how many headlines and events (an episode's), the model's estimates
    (intercept, slope, residual sd; empty for raw), then the cumulative log-return move at each k,
    the CAR at each k and the AR of each bar (UTC times; text cells formula-neutralised)."""
    events = result.events
    numbers = ["est_alpha", "est_beta", "est_sd",
               *[c for c in events.columns if c[:1] == "k" or c.startswith(("car", "ar"))]]
    header = ["event_time_utc", "bar_time_utc", "bar_known_utc", "first_headline", "first_headline_id",
              "n_headlines", "events_in_episode", *numbers]
    rows = zip(iso_utc(events["event_time"]), iso_utc(events["bar_time"]), iso_utc(events["bar_known"]),
               [neutralise_cell(str(t)) for t in events["first_headline_title"]],
               [str(int(i)) for i in events["first_headline_id"]],
               [str(int(n)) for n in events["n_headlines"]],
               [str(int(n)) for n in events["events_in_episode"]],
               *[[format_number(v) for v in events[c]] for c in numbers], strict=True)
    return write_csv(header, rows)
