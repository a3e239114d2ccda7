"""The Analysis tab's controls (pure): instrument, interval, event window W, spacing S, largest
lag L and number of largest moves N, validated from the values the page sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

INTERVALS = ("1d", "1h")
INTERVAL_WORDS = {"1d": "daily", "1h": "hourly"}
NEWS_MEASURES = ("count", "risk")   # headlines per bucket, or their geopolitical-risk share
DEFAULTS = {"window": 10, "spacing": 0, "lag": 10, "n": 10}
LIMITS = {"window": (1, 60), "spacing": (0, 1000), "lag": (0, 60), "n": (1, 50)}
PLACEBO_DRAWS = 200
SEED = 0


@dataclass(frozen=True)
class Controls:
    """What one analysis of a view runs with — the Analysis tab's controls, and the options of
    `newsmarks study` / `newsmarks intensity`: instrument, interval ('1d'/'1h'), event window W,
    spacing S, largest lag L, how many largest moves N, the news side of the correlation ('count'
    of headlines or their geopolitical-risk share 'risk'), and the placebo's draws and seed."""

    instrument: str | None
    interval: str = "1d"
    window: int = DEFAULTS["window"]
    spacing: int = DEFAULTS["spacing"]
    lag: int = DEFAULTS["lag"]
    n: int = DEFAULTS["n"]
    news: str = "count"
    placebo_draws: int = PLACEBO_DRAWS   # seeded: the same view gives the same placebo band and p
    seed: int = SEED


def _bounded(value, name: str) -> int:
    low, high = LIMITS[name]
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return DEFAULTS[name]
    return min(max(number, low), high)


def controls_from(options: Mapping | None) -> Controls:
    """Controls from the tab's values ({'instrument', 'interval', 'window', 'spacing', 'lag', 'n',
    'news'}):
    numbers clamped to LIMITS, anything missing or unreadable at its default."""
    options = options or {}
    interval = options.get("interval")
    instrument = options.get("instrument")
    news = options.get("news")
    return Controls(instrument=instrument if isinstance(instrument, str) and instrument else None,
                    interval=interval if interval in INTERVALS else "1d",
                    news=news if news in NEWS_MEASURES else "count",
                    **{name: _bounded(options.get(name), name) for name in DEFAULTS})
