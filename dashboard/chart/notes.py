"""The line above the chart, the count of headlines (the table shows the same count) and what the
chart says of a shown instrument without prices in the window (pure)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd


def chart_note(total: int, singles: int, clustered: int, interval: str, zone: str, day_only: int = 0,
               mode: str = "top") -> str:
    """The line above the chart: the stories in view, how many are marked singly and how many
    the badges hold (or that marks are off), the day-only ones, the bars and the time zone."""
    bars = "hourly" if interval == "1h" else "daily"
    counted = headline_count_text(total)
    days = (f" {day_only:,} of them dated to the day only: not counted by hour." if day_only else "")
    if mode == "none" or not total:
        marked = " Marks off." if mode == "none" and total else ""
    else:
        parts = [f"{singles:,} marked one by one"]
        if clustered:
            parts.append(f"{clustered:,} in clusters (click one to list them)")
        marked = " " + (", ".join(parts)).capitalize() + "."
    return f"{counted} in view.{marked}{days} {bars.capitalize()} bars, times in {zone}."


def headline_count_text(total: int) -> str:
    """'1 headline', '1,234 headlines'."""
    return f"{total:,} headline" + ("" if total == 1 else "s")


def no_data_note(label: str, interval: str = "1d") -> str:
    """What the chart says of a shown instrument without prices in the window: at hourly bars, that
    it has none of those (a zoom shows hourly bars where the store has any)."""
    if interval == "1h":
        return f"{label}: no hourly data in this window"
    return f"{label}: no data in this window — run `newsmarks refresh` or import a CSV"


def instruments_without_data(instruments: tuple[str, ...], bars: pd.DataFrame, start: datetime | None,
                             end: datetime | None) -> list[str]:
    """The shown instruments, in their order, with no bar inside [start, end] (None: open ends);
    `bars` (instrument_id, ts) may reach outside the window (the padding a line needs)."""
    inside = bars
    if start is not None:
        inside = inside[inside["ts"] >= pd.Timestamp(start)]
    if end is not None:
        inside = inside[inside["ts"] <= pd.Timestamp(end)]
    priced = set(inside["instrument_id"].unique()) if not inside.empty else set()
    return [i for i in instruments if i not in priced]


def no_data_annotation(notes: list[str]) -> dict:
    """The notes as one annotation at the top left of the price panel (plain text, one a line)."""
    return {"text": "<br>".join(notes), "xref": "paper", "yref": "paper", "x": 0.0, "y": 1.0,
            "xanchor": "left", "yanchor": "top", "showarrow": False, "align": "left",
            "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 12, "color": "#6c757d"},
            "name": "no-data"}
