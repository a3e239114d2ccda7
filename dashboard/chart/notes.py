"""The line above the chart and the count of headlines (pure text; the table shows the same
count)."""

from __future__ import annotations


def chart_note(total: int, aggregated: bool, interval: str, zone: str, day_only: int = 0) -> str:
    """The line above the chart."""
    bars = "hourly" if interval == "1h" else "daily"
    counted = headline_count_text(total)
    days = (f" {day_only:,} of them dated to the day only: not counted by hour." if day_only else "")
    if aggregated:
        return (f"{counted} in view: too many to mark one by one — the panel below counts them; "
                f"zoom in to see them.{days} {bars.capitalize()} bars, times in {zone}.")
    return f"{counted} in view.{days} {bars.capitalize()} bars, times in {zone}."


def headline_count_text(total: int) -> str:
    """'1 headline', '1,234 headlines'."""
    return f"{total:,} headline" + ("" if total == 1 else "s")
