"""The checks of `event_study`'s frames and settings (ValueError naming what is wrong), apart from
the study itself so that it reads as the steps it takes."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.choices import OVERLAPS
from dashboard.analysis.event_models import check_model
from dashboard.analysis.moves import INTERVAL_LENGTH


def _check_bars(bars: pd.DataFrame, interval: str, name: str) -> None:
    missing = [c for c in ("ts", "known", "close") if c not in bars.columns]
    if missing:
        raise ValueError(f"{name} frame lacks column(s) {', '.join(missing)}")
    for column in ("instrument_id", "interval"):
        if column in bars.columns and bars[column].nunique(dropna=False) > 1:
            raise ValueError(f"{name} must hold one instrument and one interval; got several values of {column}")
    if "interval" in bars.columns and len(bars) and bars["interval"].iloc[0] != interval:
        raise ValueError(f"{name} are of interval {bars['interval'].iloc[0]!r}, not {interval!r}")


def check_inputs(headlines: pd.DataFrame, bars: pd.DataFrame, interval: str) -> None:
    """The headlines' and bars' columns and the interval."""
    missing = [c for c in ("id", "published", "title") if c not in headlines.columns]
    if missing:
        raise ValueError(f"headlines frame lacks column(s) {', '.join(missing)}")
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    _check_bars(bars, interval, "bars")


def check_settings(model: str, estimation: int, overlap: str, spacing: int, benchmark, bars: pd.DataFrame,
                    interval: str) -> None:
    """The model, the overlap rule and the benchmark (the market model's only)."""
    check_model(model, estimation)
    if overlap not in OVERLAPS:
        raise ValueError(f"unknown overlap {overlap!r} (known: {', '.join(OVERLAPS)})")
    if overlap == "merge" and spacing:
        raise ValueError("spacing applies to overlap='spacing' only (overlap='merge' merges events within 2W bars)")
    if model == "market":
        if benchmark is None:
            raise ValueError("the market model needs the bars of a benchmark instrument")
        _check_bars(benchmark, interval, "benchmark bars")
        ours, theirs = (set(f["instrument_id"].dropna()) if "instrument_id" in f.columns else set()
                        for f in (bars, benchmark))
        if ours and ours == theirs:
            raise ValueError(f"the benchmark must be another instrument than {next(iter(ours))}")
    elif benchmark is not None:
        raise ValueError(f"a benchmark is used by the market model only, not by {model!r}")
