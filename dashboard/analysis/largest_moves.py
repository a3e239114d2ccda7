"""Largest moves, explained (pure): the N largest absolute moves of one instrument's bars, each with
the headlines of the window before it, ranked by how many search terms and topics they match —
"what happened here?".

A move is the log return from one bar's close to the next bar's close: ln(close / previous close),
stamped with the bar whose close ends it (`ts`); there is none across a bad bar (ingest.bar_quality:
when either bar is bad). The move became public when that bar's close became known (`known`,
dashboard.alignment: a Bank of Russia rate dated D at 17:00 Moscow time on D - 1, a Brent close at
the 19:30 London settlement); its window is the span before that moment, [known − window, known):
a headline published at the very moment the close became known came too late for it (as in
dashboard.moves, such a headline starts from that close). A headline dated to the day only is
placed at the end of its day. The default window is 6 hours for hourly bars and 1 day for daily
bars: the day before the close became known.

Score of a headline: the number of distinct `terms` it matches plus the number of the given
`topics` it carries. Terms are written as in the search box (ingest.store.fts.parse_search: words,
`prefix*`, `"phrases"`; `OR` is ignored, every term counts on its own) and matched like topic
terms at ingest (ingest.tagging: case-insensitive whole words in title and summary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from dashboard.alignment import headline_moments, known_bars
from dashboard.moves import INTERVAL_LENGTH
from dashboard.times import epoch_ns
from ingest.store.fts import parse_search
from ingest.tagging import TopicTagger

DEFAULT_WINDOW: Mapping[str, timedelta] = MappingProxyType(
    {"1h": timedelta(hours=6), "1d": timedelta(days=1)})
MOVE_COLUMNS = ("ts", "known", "prev_close", "close", "log_return")
RESULT_COLUMNS = ("rank", "ts", "prev_close", "close", "log_return", "pct", "window_start", "window_end",
                  "headline_id", "published", "source", "title", "topics", "score", "matches")
_HEADLINE_COLUMNS = ("id", "published", "source", "title", "topics")
_NAT = np.iinfo(np.int64).min


def _ns_times(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(values, unit="ns", utc=True))


def bar_moves(bars: pd.DataFrame, interval: str) -> pd.DataFrame:
    """One instrument's bars of one interval as moves: columns ts, known (when the close became
    known), prev_close, close, log_return (ln(close / prev_close); NaN for the first bar, where
    either close is not positive and where either bar is bad). Times as datetime64[ns, UTC].

    bars: columns ts and known (tz-aware), close, optionally bad, in any order; rows without a
    time, a known time or a close are skipped, of bars with the same stamp the last one counts.
    Optional columns interval and instrument_id must hold one value (the given interval, one
    instrument). ValueError otherwise."""
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    missing = [c for c in ("ts", "known", "close") if c not in bars.columns]
    if missing:
        raise ValueError(f"bars frame lacks column(s) {', '.join(missing)}")
    if "interval" in bars.columns and len(bars) and not (bars["interval"] == interval).all():
        others = sorted({str(v) for v in bars["interval"].unique()} - {interval})
        raise ValueError(f"bars must all have interval {interval!r}, found {', '.join(others)}")
    if "instrument_id" in bars.columns and bars["instrument_id"].nunique(dropna=False) > 1:
        found = ", ".join(sorted(str(v) for v in bars["instrument_id"].unique()))
        raise ValueError(f"bars must be of one instrument, found {found}")
    series = known_bars(bars, "bars")
    close = series.close
    prev = np.concatenate([[np.nan], close])[:len(close)]
    index = np.arange(len(close))
    clean = series.clean(index - 1, index)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_return = np.log(close / prev)
    log_return = np.where((prev > 0) & (close > 0) & clean, log_return, np.nan)
    return pd.DataFrame({"ts": _ns_times(series.ts), "known": _ns_times(series.known), "prev_close": prev,
                         "close": close, "log_return": log_return})


@dataclass(frozen=True)
class _Term:
    """One search term as a topic of one term, for TopicTagger (name = how it is shown)."""

    name: str
    terms: tuple[str, ...]


def _parsed_terms(terms: Iterable[str]) -> dict[str, str]:
    """Distinct search terms: how each is shown → the term as ingest.tagging compiles it."""
    seen: dict[tuple[str, bool], tuple[str, str]] = {}
    for item in terms:
        if not isinstance(item, str):
            raise ValueError(f"search terms must be strings, got {item!r}")
        for group in parse_search(item):
            for term in group:
                star = "*" if term.prefix else ""
                shown = (f'"{term.text}"' if " " in term.text else term.text) + star
                seen.setdefault((term.text.casefold(), term.prefix), (shown, term.text + star))
    return dict(seen.values())


def search_terms(terms: Iterable[str]) -> list[str]:
    """The distinct search terms in `terms` (each item parsed as a search box query), as shown in
    `matches`: `word`, `prefix*`, `"a phrase"` (first spelling kept; case-insensitive)."""
    return list(_parsed_terms(terms))


def _scores(frame: pd.DataFrame, terms: Mapping[str, str], topics: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Score and matched terms/topics (';'-joined, terms first, in the given order) of each row."""
    tagger = TopicTagger([_Term(shown, (term,)) for shown, term in terms.items()]) if terms else None
    wanted = list(dict.fromkeys(topics))
    titles = frame["title"].fillna("").astype(str).tolist()
    summaries = (frame["summary"].fillna("").astype(str).tolist() if "summary" in frame.columns
                 else [""] * len(frame))
    carried = frame["topics"].fillna("").astype(str).tolist()
    scores = np.zeros(len(frame), dtype=np.int64)
    matches: list[str] = []
    for i, (title, summary, tags) in enumerate(zip(titles, summaries, carried, strict=True)):
        hit = tagger.topics_of(f"{title}\n{summary}") if tagger else []
        own = set(tags.split(";"))
        hit += [topic for topic in wanted if topic in own]
        scores[i] = len(hit)
        matches.append(";".join(hit))
    return scores, matches


def largest_moves(bars: pd.DataFrame, headlines: pd.DataFrame, interval: str, n: int = 10,
                  window: timedelta | None = None, terms: Sequence[str] = (),
                  topics: Sequence[str] = ()) -> pd.DataFrame:
    """The `n` largest absolute moves of `bars`, each with the headlines of the window before it.

    bars: one instrument's bars of `interval` ('1h'/'1d'): columns ts, known (tz-aware), close,
    optionally bad (see `bar_moves`). headlines: columns id, published (tz-aware), source, title,
    topics (';'-joined), optionally summary and day_precision. window: how far before the moment
    a move's close became known to look (default DEFAULT_WINDOW).
    terms: search-box terms; topics: topic names (see the module docstring for the score).

    Returns one row per (move, headline in its window), columns RESULT_COLUMNS: rank (1 = largest
    |log_return|; ties: earlier bar first), ts (the bar whose close ends the move), prev_close,
    close, log_return, pct ((close − prev_close) / prev_close × 100), window_start, window_end (when
    the bar's close became known), headline_id, published, source, title, topics, score (Int64) and matches
    (the matched terms, then topics, ';'-joined). Rows by rank, then score descending, then newest
    first (then id descending). A move with no headline in its window has one row with empty
    headline fields (NA)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    span = DEFAULT_WINDOW.get(interval) if window is None else window
    if not isinstance(span, timedelta) or span <= timedelta(0):
        raise ValueError(f"window must be a positive timedelta, got {window!r}")
    if isinstance(terms, str) or isinstance(topics, str):
        raise ValueError("terms and topics must be lists of strings, not one string")
    missing = [c for c in _HEADLINE_COLUMNS if c not in headlines.columns]
    if missing:
        raise ValueError(f"headlines frame lacks column(s) {', '.join(missing)}")
    moves = bar_moves(bars, interval)
    moves = moves[moves["log_return"].notna()]
    top = moves.iloc[np.argsort(-moves["log_return"].abs().to_numpy(), kind="stable")[:n]]
    ends = top["known"].to_numpy(dtype="datetime64[ns]").view("i8")
    starts = ends - pd.Timedelta(span).as_unit("ns").value

    published = headline_moments(headlines, "headlines")     # aligned: a date alone at the end of its day
    shown = epoch_ns(headlines["published"], "headlines.published")
    known = np.flatnonzero(published != _NAT)
    known = known[np.argsort(published[known], kind="stable")]
    lo = np.searchsorted(published[known], starts, side="left")
    hi = np.searchsorted(published[known], ends, side="left")
    counts = hi - lo
    picked = known[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)] or [np.empty(0, int)])]
    move_of_row = np.repeat(np.arange(len(top)), counts)

    found = headlines.iloc[picked].reset_index(drop=True)
    score, matches = _scores(found, _parsed_terms(terms), topics)
    pub = published[picked]
    ids = found["id"].to_numpy()
    newest_id = -ids.astype(np.int64) if np.issubdtype(ids.dtype, np.integer) else np.zeros(len(ids))
    order = np.lexsort((newest_id, -pub, -score, move_of_row))
    # Moves without headlines get one row each with empty headline fields; then all rows by rank.
    empty = np.flatnonzero(counts == 0)
    move_index = np.concatenate([move_of_row[order], empty])
    pad = [pd.NA] * len(empty)
    found = found.iloc[order]
    pct = ((top["close"] - top["prev_close"]) / top["prev_close"] * 100.0).to_numpy()
    result = pd.DataFrame({
        "rank": move_index + 1,
        "ts": top["ts"].iloc[move_index].reset_index(drop=True),
        "prev_close": top["prev_close"].to_numpy()[move_index],
        "close": top["close"].to_numpy()[move_index],
        "log_return": top["log_return"].to_numpy()[move_index],
        "pct": pct[move_index],
        "window_start": _ns_times(starts[move_index]),
        "window_end": _ns_times(ends[move_index]),
        "headline_id": pd.array(found["id"].tolist() + pad,
                                dtype="Int64" if pd.api.types.is_integer_dtype(headlines["id"]) else None),
        "published": _ns_times(np.concatenate([shown[picked][order], np.full(len(empty), _NAT)])),
        "source": pd.array(found["source"].tolist() + pad, dtype="str"),
        "title": pd.array(found["title"].tolist() + pad, dtype="str"),
        "topics": pd.array(found["topics"].tolist() + pad, dtype="str"),
        "score": pd.array(score[order].tolist() + pad, dtype="Int64"),
        "matches": pd.array([matches[i] for i in order] + pad, dtype="str"),
    })
    return result.iloc[np.argsort(move_index, kind="stable")].reset_index(drop=True)[list(RESULT_COLUMNS)]
