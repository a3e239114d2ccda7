"""An event study as text lines and as an events CSV (pure): what `newsmarks study` prints and
writes. Moves are log returns, as the study computes them."""

from __future__ import annotations

import math

from dashboard.analysis.event_study import EventStudyResult
from ingest.csv_safety import format_number, iso_utc, neutralise_cell, write_csv


def _num(value: float, digits: int = 6) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def summary_lines(result: EventStudyResult, label: str) -> list[str]:
    """The statistics: N, the mean log-return move at +1 and +W bars with t and p, the share of
    large moves, and the placebo's p-value."""
    w = result.window
    return [
        f"event study: {label}, {result.interval} bars, window ±{w}, spacing {result.spacing}",
        f"headlines: {result.n_headlines} ({result.n_headlines_before_data} before the data); "
        f"events: {result.n_events} (left out: {result.n_dropped_edges} at the data's edges, "
        f"{result.n_dropped_flagged} with a flagged bar in their window, {result.n_dropped_spacing} for spacing)",
        f"mean move at +1 bar:  {_num(result.move_1)} (log return)  t = {_num(result.t_1, 3)}  "
        f"p = {_num(result.p_1, 4)}",
        f"mean move at +{w} bars: {_num(result.move_w)} (log return)  t = {_num(result.t_w, 3)}  "
        f"p = {_num(result.p_w, 4)}",
        f"events moving more than 2 sd of ordinary one-bar moves: {_num(result.share_beyond_2sd * 100, 1)}%",
        f"placebo ({result.placebo_draws} draws of random times, same weekday/hour mix): "
        f"p = {_num(result.placebo_p, 4)} for the mean absolute move at +{w}",
    ]


def events_csv(result: EventStudyResult) -> str:
    """One row per event: event time, bar time, when the bar's close became known, first
    headline, its id, how many headlines, and
    the cumulative log-return move at each k (UTC times; text cells formula-neutralised)."""
    events = result.events
    move_columns = [c for c in events.columns if c.startswith("k")]
    header = ["event_time_utc", "bar_time_utc", "bar_known_utc", "first_headline", "first_headline_id",
              "n_headlines", *move_columns]
    rows = zip(iso_utc(events["event_time"]), iso_utc(events["bar_time"]), iso_utc(events["bar_known"]),
               [neutralise_cell(str(t)) for t in events["first_headline_title"]],
               [str(int(i)) for i in events["first_headline_id"]],
               [str(int(n)) for n in events["n_headlines"]],
               *[[format_number(v) for v in events[c]] for c in move_columns], strict=True)
    return write_csv(header, rows)
