"""Corrado's rank test and the generalised sign test (described in event_tests' docstring): the
column sums of the events' AR ranks and each event's share of positive ARs, in chunks of events."""

from __future__ import annotations

import math

import numpy as np

from dashboard.analysis.event_models import Estimates, Returns
from dashboard.analysis.event_p_values import NAN2, z_p

_CELLS = 2_000_000        # ranks: events x window entries per chunk
_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def _order_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys in the order of the float64 values (-0.0 as 0.0)."""
    bits = np.ascontiguousarray(values + 0.0).view(np.int64)
    return np.where(bits < 0, bits ^ _MAGNITUDE, bits)


def _tied_rank_sums(block: np.ndarray) -> np.ndarray:
    """Column sums of the rows' mid-ranks (1-based), exactly, by sorting each row."""
    order = np.argsort(block, axis=1, kind="stable")
    return _mid_rank_sums(np.take_along_axis(block, order, axis=1), order, block.shape[1])


def _mid_rank_sums(ordered: np.ndarray, column: np.ndarray, width: int) -> np.ndarray:
    """Column sums of mid-ranks, given each row's values in ascending order and their columns."""
    new = np.ones(ordered.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    position = np.broadcast_to(np.arange(1, width + 1, dtype=np.float64), ordered.shape).ravel()
    if new.all():
        return np.bincount(column.ravel(), weights=position, minlength=width)
    group = np.cumsum(new.ravel()) - 1
    first = position[new.ravel()]
    mid = first + (np.bincount(group) - 1) / 2.0
    return np.bincount(column.ravel(), weights=mid[group], minlength=width)


def _sorted_rank_sums(packed: np.ndarray, bits: int, width: int, ties: bool = True) -> np.ndarray:
    """Column sums of mid-ranks of rows of exact integer keys packed with their column in the
    lowest `bits` bits (sorted in place); `ties=False`: no key repeats within a row."""
    packed.sort(axis=1)
    where = packed & ((1 << bits) - 1)
    if not ties:
        position = np.broadcast_to(np.arange(1, width + 1, dtype=np.float64), where.shape).ravel()
        return np.bincount(where.ravel(), weights=position, minlength=width)
    return _mid_rank_sums(packed >> bits, where, width)


def rank_sums(block: np.ndarray) -> np.ndarray:
    """Column sums of each row's mid-ranks (1-based) of an [n, T] block of floats. The rows are
    sorted as integer keys with the column in the lowest bits (one fast sort); the floats'
    order-preserving bits lose their lowest bits to the column: rows where two truncated keys
    coincide are ranked exactly apart. Written by hand rather than scipy.stats.rankdata(block,
    axis=1), which is several times slower on blocks of the benchmark's size (docs/performance.md)."""
    rows, width = block.shape
    if rows == 0:
        return np.zeros(width)
    bits = max(1, (width - 1).bit_length())
    column = np.arange(width, dtype=np.int64)
    packed = ((_order_keys(block) >> bits) << bits) | column
    packed.sort(axis=1)
    value, where = packed >> bits, packed & ((1 << bits) - 1)
    near = (value[:, 1:] == value[:, :-1]).any(axis=1)
    if not near.any():
        return _mid_rank_sums(value, where, width)
    return _mid_rank_sums(value[~near], where[~near], width) + _tied_rank_sums(block[near])


def combined_offsets(window: int, length: int) -> np.ndarray:
    """The returns (relative to the event bar) ranked by Corrado's test: the estimation window's L,
    then the event window's 2W (k = -W + 1 .. +W)."""
    return np.concatenate([np.arange(-window - length, -window), np.arange(-window + 1, window + 1)])


def _rows(values: np.ndarray, first: np.ndarray, width: int) -> np.ndarray:
    """values[first[e] : first[e] + width] for each e, as a new [n, width] array."""
    return np.lib.stride_tricks.sliding_window_view(values, width)[first]


def ar_ranks_and_signs(ret: Returns, bars: np.ndarray, window: int, length: int, model: str,
                       est: Estimates) -> tuple[np.ndarray, np.ndarray]:
    """(column sums of the mid-ranks of each event's ARs over `combined_offsets`, per event the
    share of positive ARs in its estimation window), in chunks of events. Each event's returns
    i - W - L .. i + W are read as one row; the return into bar i - W, in neither window, is given
    the largest key, so it ranks last and leaves the others' ranks as they are, and is dropped.
    Under the mean model an event's ARs are its returns less one constant, so the returns' ranks
    among all bars stand in for them (integers: exact ties, a faster sort)."""
    span = length + 2 * window + 1
    sums, positive = np.zeros(span), np.empty(len(bars))
    first = bars - window - length
    bits = max(1, (span - 1).bit_length())
    if model == "mean":
        order = np.unique(ret.r, return_inverse=True)[1].reshape(-1)
        top = int(order.max(initial=0)) + 1                      # the gap's key: above every return's
        ties = bool((np.bincount(order[ret.valid], minlength=top) > 1).any())   # else no row can hold a tie
        kind = np.int32 if (top + 1) << bits < 2**31 else np.int64
        shifted = order.astype(kind) << bits
        column = np.arange(span, dtype=kind)
    step = max(1, _CELLS // span)
    for lo in range(0, len(bars), step):
        at = first[lo:lo + step]
        alpha = est.alpha[lo:lo + step, None]
        if model == "mean":
            positive[lo:lo + step] = np.count_nonzero(_rows(ret.r, at, length) > alpha, axis=1) / length
            packed = _rows(shifted, at, span)
            packed[:, length] = top << bits
            packed |= column
            sums += _sorted_rank_sums(packed, bits, span, ties)
            continue
        block = _rows(ret.r, at, span) - alpha - est.beta[lo:lo + step, None] * _rows(ret.m, at, span)
        positive[lo:lo + step] = np.count_nonzero(block[:, :length] > 0, axis=1) / length
        block[:, length] = np.inf
        sums += rank_sums(block)
    return np.delete(sums, length), positive


def corrado(rank_column_sums: np.ndarray, n: int, window: int, length: int, h: int) -> tuple[float, float]:
    """Corrado (1989) / Cowan (1992) from the column sums of the ranks (event_tests' docstring)."""
    width = len(rank_column_sums)
    if n < 1:
        return NAN2
    centred = rank_column_sums / (n * (width + 1)) - 0.5
    s_u = math.sqrt(float(np.mean(centred**2)))
    post = length + window - 1 + np.arange(1, h + 1)      # columns of k = +1 .. +h
    if s_u == 0:
        return NAN2
    z = float(centred[post].sum() / (math.sqrt(h) * s_u))
    return z, z_p(z)


def generalised_sign(car_h: np.ndarray, positive_share: np.ndarray) -> tuple[float, float]:
    n = len(car_h)
    if n < 1:
        return NAN2
    p = float(positive_share.mean())
    if not 0 < p < 1:
        return NAN2
    w = int((car_h > 0).sum())
    z = (w - n * p) / math.sqrt(n * p * (1 - p))
    return z, z_p(z)
