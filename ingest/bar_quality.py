"""Bar quality flags (pure). Suspicious bars are kept and flagged, never dropped; bad ones are
kept out of every return (see `bad_mask`). Yahoo's RUB series, for one, has closes of 0.7162 and
5.0 among values near 70.

Flags (comma-joined in a bar's `flag`):
- `jump` (bad): the close differs from the median close of the bars around it (a centred window
  of 5) by more than JUMP_FACTOR either way, or is not positive;
- `range` (bad): the close lies outside the bar's own high-low range by more than RANGE_BAD of
  the nearer bound — far beyond rounding or a timing mismatch between the close and the range;
- `ohlc` (a warning, not bad): the open or the close lies outside high-low by less than that.
  Yahoo's RUB=X has 404 closes outside their range, half of them by less than 0.16 %: a close a
  hair outside the day's range is a feed inconsistency, not a wrong price.

A user's verdict (`review`: 'bad' or 'good', see `newsmarks flag-bar`) overrides the flags.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

JUMP_FACTOR = 1.5
NEIGHBOURS = 5
RANGE_BAD = 0.05
TOLERANCE = 1e-9
BAD_FLAGS = frozenset({"jump", "range"})
REVIEWS = ("bad", "good")


def flag_bars(bars: pd.DataFrame, jump_factor: float = JUMP_FACTOR) -> pd.Series:
    """Per bar, a comma-joined flag string or None (see the module docstring). `bars` must be
    sorted by time; columns open, high, low, close."""
    if jump_factor <= 1:
        raise ValueError(f"jump_factor must be above 1, got {jump_factor}")
    close = bars["close"].astype("float64")
    high = bars["high"].astype("float64")
    low = bars["low"].astype("float64")
    flags = pd.Series([None] * len(bars), index=bars.index, dtype=object)
    if bars.empty:
        return flags
    slack = TOLERANCE * np.maximum(high.abs().fillna(0), 1.0)
    ranged = high.notna() & low.notna()
    outside = pd.Series(False, index=bars.index)
    for column in ("open", "close"):
        value = bars[column].astype("float64")
        outside |= (value > high + slack) | (value < low - slack)
    outside &= ranged
    far = ranged & ((close > high * (1 + RANGE_BAD)) | (close < low * (1 - RANGE_BAD)))
    median = close.rolling(NEIGHBOURS, center=True, min_periods=1).median()
    ratio = close / median
    jump = (close <= 0) | (ratio > jump_factor) | (ratio < 1 / jump_factor)
    for mask, name in ((outside & ~far, "ohlc"), (far, "range"), (jump.fillna(False), "jump")):
        for index in bars.index[mask.to_numpy(dtype=bool)]:
            flags[index] = name if flags[index] is None else f"{flags[index]},{name}"
    return flags


def is_bad(flag: str | None, review: str | None = None) -> bool:
    """Whether a bar is kept out of returns: its user's verdict, else a bad flag."""
    if review in REVIEWS:
        return review == "bad"
    if review is not None:
        raise ValueError(f"unknown review {review!r} (known: {', '.join(REVIEWS)})")
    return bool(flag) and not BAD_FLAGS.isdisjoint(str(flag).split(","))


def bad_mask(flags: pd.Series, reviews: pd.Series | None = None) -> np.ndarray:
    """`is_bad` of each bar, as a boolean array (vectorised: a chart reads thousands of bars,
    nearly all without a flag or a review)."""
    flagged = flags.notna().to_numpy(dtype=bool)
    bad = np.zeros(len(flags), dtype=bool)
    if flagged.any():
        bad[flagged] = [not BAD_FLAGS.isdisjoint(str(f).split(",")) for f in flags[flagged].tolist()]
    if reviews is not None:
        reviewed = reviews.notna().to_numpy(dtype=bool)
        if reviewed.any():
            given = reviews[reviewed].astype(str).to_numpy()
            unknown = set(given.tolist()) - set(REVIEWS)
            if unknown:
                raise ValueError(f"unknown review {sorted(unknown)[0]!r} (known: {', '.join(REVIEWS)})")
            bad[reviewed] = given == "bad"
    return bad


def flags_text(flag: str | None, review: str | None) -> str:
    """The `flags` cell of a bar (exports, hovers): its flags, then `review:bad` / `review:good`;
    empty for a clean bar."""
    parts = [p for p in (flag or "").split(",") if p]
    if review:
        parts.append(f"review:{review}")
    return ",".join(parts)


def parse_flags(text: str | None) -> tuple[str | None, str | None]:
    """(flag, review) from a `flags` cell (the inverse of flags_text); ValueError naming an
    unknown token."""
    flags, review = [], None
    for token in (t.strip() for t in (text or "").replace(";", ",").split(",")):
        if not token:
            continue
        if token.startswith("review:"):
            review = token.split(":", 1)[1]
            if review not in REVIEWS:
                raise ValueError(f"unknown review {review!r} in flags {text!r} (known: review:bad, review:good)")
        elif token in ("jump", "range", "ohlc"):
            flags.append(token)
        else:
            raise ValueError(f"unknown flag {token!r} in flags {text!r} (known: jump, range, ohlc, review:bad, "
                             "review:good)")
    return (",".join(flags) or None), review
