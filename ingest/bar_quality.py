"""Bar quality flags (pure). Suspicious bars are kept and flagged, never dropped: the reader
decides. Yahoo's RUB series, for one, has closes of 0.7162 and 5.0 among values near 70."""

from __future__ import annotations

import numpy as np
import pandas as pd

JUMP_FACTOR = 1.5
NEIGHBOURS = 5
TOLERANCE = 1e-9


def flag_bars(bars: pd.DataFrame, jump_factor: float = JUMP_FACTOR) -> pd.Series:
    """Per bar, a comma-joined flag string or None:
    'ohlc' when open or close lies outside high-low; 'jump' when the close differs from the
    median close of the bars around it (a centred window of 5) by more than `jump_factor` times
    either way, or is not positive. `bars` must be sorted by time."""
    if jump_factor <= 1:
        raise ValueError(f"jump_factor must be above 1, got {jump_factor}")
    close = bars["close"].astype("float64")
    high = bars["high"].astype("float64")
    low = bars["low"].astype("float64")
    flags = pd.Series([None] * len(bars), index=bars.index, dtype=object)
    if bars.empty:
        return flags
    slack = TOLERANCE * np.maximum(high.abs().fillna(0), 1.0)
    outside = pd.Series(False, index=bars.index)
    for column in ("open", "close"):
        value = bars[column].astype("float64")
        outside |= (value > high + slack) | (value < low - slack)
    outside &= high.notna() & low.notna()
    median = close.rolling(NEIGHBOURS, center=True, min_periods=1).median()
    ratio = close / median
    jump = (close <= 0) | (ratio > jump_factor) | (ratio < 1 / jump_factor)
    for mask, name in ((outside, "ohlc"), (jump.fillna(False), "jump")):
        for index in bars.index[mask.to_numpy(dtype=bool)]:
            flags[index] = name if flags[index] is None else f"{flags[index]},{name}"
    return flags
