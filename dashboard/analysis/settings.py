"""The Analysis tab's controls (pure): instrument, interval, event window W, the event study's
model, benchmark, estimation window and overlap rule (episodes, or spacing S), largest lag L and
number of largest moves N, validated from the values the page sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.analysis.choices import CLOSED_RULES, INTERVALS, MODELS, NEWS_MEASURES, OVERLAPS

INTERVAL_WORDS = {"1d": "daily", "1h": "hourly"}
DEFAULTS = {"window": 10, "spacing": 0, "lag": 10, "n": 10, "estimation": 120}
LIMITS = {"window": (1, 60), "spacing": (0, 1000), "lag": (0, 60), "n": (1, 50), "estimation": (10, 2000)}
PLACEBO_DRAWS = 200
SEED = 0


@dataclass(frozen=True)
class Settings:
    """What one analysis of a view runs with — the Analysis tab's controls, and the options of
    `newsmarks study` / `newsmarks intensity`: instrument, interval ('1d'/'1h'), event window W,
    spacing S, largest lag L, how many largest moves N, the news side of the correlation ('count'
    of headlines or their geopolitical-risk share 'risk'), what intensity does with headlines that
    arrived while the market was closed (`closed`: 'next' trading period, the default, or
    'exclude'), whether its lags are pre-whitened, the placebo's draws and seed, and the event
    study's normal-return model ('raw', 'mean', 'market'), estimation window (bars), overlap rule
    ('merge': episodes; 'spacing': drop an event less than S bars after the previous one) and the
    market model's benchmark instrument."""

    instrument: str | None
    interval: str = "1d"
    window: int = DEFAULTS["window"]
    spacing: int = DEFAULTS["spacing"]
    lag: int = DEFAULTS["lag"]
    n: int = DEFAULTS["n"]
    news: str = "count"
    closed: str = "next"
    prewhiten: bool = False
    placebo_draws: int = PLACEBO_DRAWS   # seeded: the same view gives the same placebo band and p
    seed: int = SEED
    model: str = "mean"
    estimation: int = DEFAULTS["estimation"]
    overlap: str = "merge"
    benchmark: str | None = None


def _bounded(value, name: str) -> int:
    low, high = LIMITS[name]
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return DEFAULTS[name]
    return min(max(number, low), high)


def settings_from(options: Mapping | None) -> Settings:
    """Settings from the tab's values ({'instrument', 'interval', 'window', 'spacing', 'lag', 'n',
    'news', 'closed', 'prewhiten', 'model', 'benchmark', 'estimation', 'overlap'}; prewhiten: True,
    or a checklist's values holding 'prewhiten'): numbers clamped to LIMITS, anything missing or
    unreadable at its default."""
    options = options or {}
    interval = options.get("interval")
    instrument = options.get("instrument")
    news = options.get("news")
    closed = options.get("closed")
    prewhiten = options.get("prewhiten")
    return Settings(instrument=instrument if isinstance(instrument, str) and instrument else None,
                    interval=interval if interval in INTERVALS else "1d",
                    news=news if news in NEWS_MEASURES else "count",
                    closed=closed if closed in CLOSED_RULES else "next",
                    prewhiten=prewhiten is True or (isinstance(prewhiten, list | tuple) and "prewhiten" in prewhiten),
                    **_event_study_options(options),
                    **{name: _bounded(options.get(name), name) for name in DEFAULTS})


def _event_study_options(options: Mapping) -> dict:
    """The event study's model ('mean' unless one of MODELS), overlap rule ('merge' unless
    'spacing') and benchmark (an instrument id, or None)."""
    model, overlap, benchmark = options.get("model"), options.get("overlap"), options.get("benchmark")
    return {"model": model if model in MODELS else "mean", "overlap": overlap if overlap in OVERLAPS else "merge",
            "benchmark": benchmark if isinstance(benchmark, str) and benchmark else None}
