"""Largest moves, explained (pure): the N largest absolute moves of one instrument's bars, each with
the stories of the window before it, ranked by relevance — "what happened here?".

A move is the log return from one bar's close to the next bar's close: ln(close / previous close),
stamped with the bar whose close ends it (`ts`); there is none across a bad bar (ingest.bar_quality:
when either bar is bad). The move became public when that bar's close became known (`known`,
dashboard.analysis.alignment: a Bank of Russia rate dated D at 17:00 Moscow time on D - 1, a Brent close at
the 19:30 London settlement); its window is the span before that moment, [known − window, known):
a headline published at the very moment the close became known came too late for it (as in
dashboard.analysis.moves, such a headline starts from that close). A headline dated to the day only is
placed at the end of its day. The default window is 6 hours for hourly bars and 1 day for daily
bars: the day before the close became known.

Stories. The same story from several feeds is stored once per feed and linked (`story_id`: its
first copy's id). A story is listed once per window, as its first copy (its title, time, tags),
placed at that copy's time. Its coverage is the number of distinct sources that had carried it by
the move's close (copies placed before the window's end: a copy that came later was not yet news),
counted over the copies in `headlines` and in `copies` (Store.story_copies: every source, whatever
the view's source filter); `sources` names them, in the order they carried it.

Ranking (RANKING_RULE), lexicographic — a row ranks above another by the first of these where they
differ:
1. geopolitical-risk kind of the first copy's `gpr` categories (ingest.gpr, Caldara–Iacoviello):
   an act (categories 6–8: beginning or escalation of war, terror acts) above a threat (1–5) above
   none;
2. search terms and topics matched: the number of distinct `terms` the title and summary match
   plus the number of the given `topics` the story carries. Terms are written as in the search
   box (ingest.search_query.parse_search: words, `prefix*`, `"phrases"`; `OR` is ignored, every term
   counts on its own) and matched like topic terms at ingest (ingest.tagging: case-insensitive
   whole words);
3. coverage: more distinct sources first;
4. closeness to the close: closeness = exp(−Δt / τ), Δt = window end − the story's time, τ = a
   quarter of the window (6 h for the day before a daily close, 1.5 h for hourly bars); a strictly
   decreasing function of Δt, so as the last key it puts the story nearest the close first;
then the larger id.

Why this rule. An act is something that happened in the window, a threat something said that might
happen: the likelier cause of a jump, and the kind of news newsmarks exists to measure. Matches
come next, not first: the view's search and topics already filter the headlines, so every one
answers them and their count mostly says how many of the words a title happens to use. Coverage
says how many newsrooms ran the story, whatever its words — but only verbatim copies are linked
(a rewritten report of the same event is another story), so it is a lower bound and comes after
the two content keys. Closeness only breaks ties: the whole window came before the close, and
nothing here could calibrate how many hours one more source is worth. A weighted sum would need
exactly such weights; with none to estimate them from (no move comes labelled with its cause),
a lexicographic order states every comparison plainly: the `reason` of each row names its risk
kind, coverage, matches and distance to the close, and the first of these that differs decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import headline_moments, known_bars
from dashboard.analysis.moves import INTERVAL_LENGTH
from dashboard.analysis.time_columns import epoch_ns
from ingest.gpr import Lexicon, load_lexicon
from ingest.risk_index import check_known, split_tags
from ingest.search_query import parse_search
from ingest.tagging import TopicTagger

DEFAULT_WINDOW: Mapping[str, timedelta] = MappingProxyType(
    {"1h": timedelta(hours=6), "1d": timedelta(days=1)})
TAU_PER_WINDOW = 4            # τ of the closeness = the window / 4: 6 h for a day, 1.5 h for six hours
RISK_KINDS = ("", "threat", "act")   # by level: none 0, threat 1, act 2
RANKING_RULE = ("Stories ranked by: geopolitical-risk kind (an act of war or terror, then a threat, then none); "
                "then search terms and topics matched; then how many sources had carried the story by the close; "
                "then closeness to the close, exp(−Δt/τ) with τ a quarter of the window (6 h before a daily close). "
                "Copies of one story from several feeds are one row.")
MOVE_COLUMNS = ("ts", "known", "prev_close", "close", "log_return")
RESULT_COLUMNS = ("rank", "ts", "prev_close", "close", "log_return", "pct", "window_start", "window_end",
                  "headline_rank", "headline_id", "published", "source", "title", "topics", "gpr", "risk",
                  "matches", "n_matches", "coverage", "sources", "hours_before", "closeness", "reason")
COPY_COLUMNS = ("story_id", "source", "published")
_HEADLINE_COLUMNS = ("id", "published", "source", "title", "topics")
_NAT = np.iinfo(np.int64).min
_HOUR_NS = 3600 * 10**9


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


def _matches(frame: pd.DataFrame, terms: Mapping[str, str], topics: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Number and list (';'-joined, terms first, in the given order) of the terms matched and
    the topics carried by each row."""
    tagger = TopicTagger([_Term(shown, (term,)) for shown, term in terms.items()]) if terms else None
    wanted = list(dict.fromkeys(topics))
    titles = frame["title"].fillna("").astype(str).tolist()
    summaries = (frame["summary"].fillna("").astype(str).tolist() if "summary" in frame.columns
                 else [""] * len(frame))
    carried = frame["topics"].fillna("").astype(str).tolist()
    counts = np.zeros(len(frame), dtype=np.int64)
    matches: list[str] = []
    for i, (title, summary, tags) in enumerate(zip(titles, summaries, carried, strict=True)):
        hit = tagger.topics_of(f"{title}\n{summary}") if tagger else []
        own = set(tags.split(";"))
        hit += [topic for topic in wanted if topic in own]
        counts[i] = len(hit)
        matches.append(";".join(hit))
    return counts, matches


def risk_levels(gpr: Sequence, lexicon: Lexicon | None = None) -> tuple[np.ndarray, list[str]]:
    """Per row of ';'-joined GPR categories (ingest.gpr ids; '' or missing for none): the risk
    level (2 an act category, 1 a threat category only, 0 none) and its categories' names as
    shown in `reason` (the act categories of an act, the threat categories of a threat, in the
    lexicon's order). ValueError naming an unknown category (tags from another lexicon: retag)."""
    tags = [split_tags(value) for value in gpr]
    levels = np.zeros(len(tags), dtype=np.int64)
    names = [""] * len(tags)
    if not any(tags):
        return levels, names
    lexicon = lexicon if lexicon is not None else load_lexicon()
    acts, threats, labels = set(lexicon.acts), set(lexicon.threats), lexicon.labels()
    check_known(set().union(*tags), lexicon, "gpr", "; run newsmarks retag")
    order = {c.id: c.number for c in lexicon.categories}
    for i, found in enumerate(tags):
        kind = acts if acts & found else threats if found else set()
        levels[i] = 2 if kind is acts else 1 if found else 0
        names[i] = ", ".join(labels[t] for t in sorted(found & kind, key=order.__getitem__))
    return levels, names


def _top_moves(bars: pd.DataFrame, interval: str, n: int, span: timedelta) -> tuple[pd.DataFrame, np.ndarray,
                                                                                    np.ndarray]:
    """(the n largest moves by |log return|, ties: earlier bar first; their window starts and
    ends, int64 ns)."""
    moves = bar_moves(bars, interval)
    moves = moves[moves["log_return"].notna()]
    top = moves.iloc[np.argsort(-moves["log_return"].abs().to_numpy(), kind="stable")[:n]]
    ends = top["known"].to_numpy(dtype="datetime64[ns]").view("i8")
    return top, ends - pd.Timedelta(span).as_unit("ns").value, ends


def _checked(n, interval: str, window: timedelta | None) -> timedelta:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if interval not in INTERVAL_LENGTH:
        raise ValueError(f"unknown interval {interval!r} (known: {', '.join(INTERVAL_LENGTH)})")
    span = DEFAULT_WINDOW.get(interval) if window is None else window
    if not isinstance(span, timedelta) or span <= timedelta(0):
        raise ValueError(f"window must be a positive timedelta, got {window!r}")
    return span


def _in_windows(moments: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row indexes of `moments` in each window [start, end), oldest first per window; the window
    of each), windows in the given order; unknown moments (NaT) are in none."""
    known = np.flatnonzero(moments != _NAT)
    known = known[np.argsort(moments[known], kind="stable")]
    lo = np.searchsorted(moments[known], starts, side="left")
    hi = np.searchsorted(moments[known], ends, side="left")
    picked = known[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)] or [np.empty(0, int)])]
    return picked, np.repeat(np.arange(len(starts)), hi - lo)


def window_headline_ids(bars: pd.DataFrame, headlines: pd.DataFrame, interval: str, n: int = 10,
                        window: timedelta | None = None) -> list:
    """The ids of the `headlines` placed in the windows of the `n` largest moves of `bars` (as
    `largest_moves` finds them): the headlines whose copies a store is asked for
    (Store.story_copies)."""
    span = _checked(n, interval, window)
    _top, starts, ends = _top_moves(bars, interval, n, span)
    picked, _move = _in_windows(headline_moments(headlines, "headlines"), starts, ends)
    return list(dict.fromkeys(headlines["id"].to_numpy()[picked].tolist()))


def _story_keys(frame: pd.DataFrame) -> np.ndarray:
    """Each row's story: its `story_id` where the frame has one, else its own id."""
    ids = frame["id"]
    keys = ids if "story_id" not in frame.columns else frame["story_id"].where(frame["story_id"].notna(), ids)
    if pd.api.types.is_integer_dtype(ids.dtype) and len(keys):
        return keys.to_numpy(dtype=np.int64)   # a story_id column with NA comes as floats
    return keys.to_numpy(dtype=object)


def _stories(headlines: pd.DataFrame) -> pd.DataFrame:
    """One row per story of `headlines`: its first copy (the row whose id is the story's, else
    its earliest row, then the first given), with columns key and moment (aligned, int64 ns)."""
    frame = headlines.reset_index(drop=True)
    frame = frame.assign(key=_story_keys(frame), moment=headline_moments(frame, "headlines"))
    frame = frame[frame["moment"] != _NAT]
    is_first = (frame["id"].to_numpy(dtype=object) == frame["key"].to_numpy(dtype=object))
    order = np.lexsort((np.arange(len(frame)), frame["moment"].to_numpy(), ~is_first))
    return frame.iloc[order].drop_duplicates("key").sort_index()


def _carriers(headlines: pd.DataFrame, copies: pd.DataFrame | None, keys: np.ndarray) -> pd.DataFrame:
    """Per story of `keys` and source, the first moment the source carried it (from the copies in
    `headlines` and in `copies`): columns key (the story, as an object), source, first (int64 ns)."""
    frames = [pd.DataFrame({"key": _story_keys(headlines).astype(object),
                            "source": headlines["source"].to_numpy(dtype=object),
                            "first": headline_moments(headlines, "headlines")})]
    if copies is not None and len(copies):
        frames.append(pd.DataFrame({"key": copies["story_id"].to_numpy(dtype=object),
                                    "source": copies["source"].to_numpy(dtype=object),
                                    "first": headline_moments(copies, "copies")}))
    every = pd.concat(frames, ignore_index=True)
    every = every[every["key"].isin(keys) & (every["first"] != _NAT) & every["source"].notna()]
    every = every.assign(source=every["source"].astype(str))
    return every.groupby(["key", "source"], as_index=False, sort=False)["first"].min()


def _coverage(keys: np.ndarray, ends: np.ndarray, carriers: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """For each (story, window end) pair: the number of distinct sources that had carried the
    story before the end, and their names (';'-joined, by when each first carried it, then name)."""
    codes, _ = pd.factorize(np.concatenate([keys.astype(object), carriers["key"].to_numpy(dtype=object)]))
    pairs = pd.DataFrame({"pair": np.arange(len(keys)), "code": codes[:len(keys)], "end": ends})
    joined = pairs.merge(carriers.assign(code=codes[len(keys):]), on="code", how="inner")
    joined = joined[joined["first"] < joined["end"]].sort_values(["pair", "first", "source"], kind="stable")
    pair, source = joined["pair"].to_numpy(), joined["source"].tolist()
    counts = np.bincount(pair, minlength=len(keys)).astype(np.int64)
    bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
    return counts, [";".join(source[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _hours(value: float) -> str:
    return f"{value:.1f} h before" if value < 100 else f"{value:,.0f} h before"


def _reason(level: int, categories: str, coverage: int, matches: str, hours: float) -> str:
    """What ranks a row, in the order of the keys: 'act (Escalation of war) · 3 sources ·
    oil, Energy · 2.5 h before'."""
    parts = [f"{RISK_KINDS[level]} ({categories})"] if level else []
    parts.append(f"{coverage} source" + ("" if coverage == 1 else "s"))
    if matches:
        parts.append(matches.replace(";", ", "))
    parts.append(_hours(hours))
    return " · ".join(parts)


def _check_copies(copies: pd.DataFrame | None) -> None:
    if copies is None:
        return
    missing = [c for c in COPY_COLUMNS if c not in copies.columns]
    if missing:
        raise ValueError(f"copies frame lacks column(s) {', '.join(missing)}")


def largest_moves(bars: pd.DataFrame, headlines: pd.DataFrame, interval: str, n: int = 10,
                  window: timedelta | None = None, terms: Sequence[str] = (),
                  topics: Sequence[str] = (), copies: pd.DataFrame | None = None,
                  lexicon: Lexicon | None = None) -> pd.DataFrame:
    """The `n` largest absolute moves of `bars`, each with the stories of the window before it,
    ranked (see the module docstring and RANKING_RULE).

    bars: one instrument's bars of `interval` ('1h'/'1d'): columns ts, known (tz-aware), close,
    optionally bad (see `bar_moves`). headlines: columns id, published (tz-aware), source, title,
    topics (';'-joined), optionally summary, day_precision, gpr (';'-joined GPR category ids) and
    story_id (the story's first copy; missing or NA: the row is its own story) — copies of one
    story in it are one row. copies: more copies of the stories (Store.story_copies: columns
    story_id, source, published, optionally day_precision), counted in the coverage only.
    window: how far before the moment a move's close became known to look (default
    DEFAULT_WINDOW); terms: search-box terms; topics: topic names; lexicon: the GPR lexicon that
    says which categories are acts and threats (default: ingest.gpr.load_lexicon()).

    Returns one row per (move, story in its window), columns RESULT_COLUMNS: rank (1 = largest
    |log_return|; ties: earlier bar first), ts (the bar whose close ends the move), prev_close,
    close, log_return, pct ((close − prev_close) / prev_close × 100), window_start, window_end
    (when the bar's close became known); then the story: headline_rank (1 = first by the
    ranking), headline_id, published (as dated), source, title, topics and gpr of its first copy;
    risk ('act', 'threat' or ''), matches (the matched terms, then topics, ';'-joined) and
    n_matches (Int64), coverage (Int64: distinct sources by the close) and sources (their names,
    ';'-joined, in the order they carried it), hours_before (Δt in hours), closeness
    (exp(−Δt/τ)), reason (the keys in words). Rows by rank, then headline_rank. A move with no
    headline in its window has one row with empty story fields (NA)."""
    span = _checked(n, interval, window)
    if isinstance(terms, str) or isinstance(topics, str):
        raise ValueError("terms and topics must be lists of strings, not one string")
    missing = [c for c in _HEADLINE_COLUMNS if c not in headlines.columns]
    if missing:
        raise ValueError(f"headlines frame lacks column(s) {', '.join(missing)}")
    _check_copies(copies)
    parsed = _parsed_terms(terms)
    top, starts, ends = _top_moves(bars, interval, n, span)

    stories = _stories(headlines)
    picked, move_of_row = _in_windows(stories["moment"].to_numpy(), starts, ends)
    found = stories.iloc[picked].reset_index(drop=True)
    moment = found["moment"].to_numpy(dtype=np.int64)
    end_of_row = ends[move_of_row]
    level, categories = risk_levels(found["gpr"].tolist() if "gpr" in found.columns else [""] * len(found),
                                    lexicon)
    n_matches, matches = _matches(found, parsed, topics)
    keys = found["key"].to_numpy(dtype=object)
    coverage, sources = _coverage(keys, end_of_row, _carriers(headlines, copies, keys))
    ids = found["id"].to_numpy()
    larger_id = -ids.astype(np.int64) if np.issubdtype(ids.dtype, np.integer) else np.zeros(len(ids))
    order = np.lexsort((larger_id, -moment, -coverage, -n_matches, -level, move_of_row))
    delta = (end_of_row - moment) / _HOUR_NS
    tau = pd.Timedelta(span).as_unit("ns").value / TAU_PER_WINDOW / _HOUR_NS
    closeness = np.exp(-delta / tau)
    reasons = [_reason(*row) for row in zip(level.tolist(), categories, coverage.tolist(), matches, delta.tolist(),
                                            strict=True)]
    counts = np.bincount(move_of_row, minlength=len(top))
    headline_rank = np.concatenate([np.arange(1, c + 1) for c in counts] or [np.empty(0, int)])

    # Moves without headlines get one row each with empty headline fields; then all rows by rank.
    empty = np.flatnonzero(counts == 0)
    move_index = np.concatenate([move_of_row[order], empty])
    pad = [pd.NA] * len(empty)
    found = found.iloc[order]
    gpr = found["gpr"].fillna("").astype(str).tolist() if "gpr" in found.columns else [""] * len(found)
    pct = ((top["close"] - top["prev_close"]) / top["prev_close"] * 100.0).to_numpy()
    shown = epoch_ns(found["published"], "headlines.published") if len(found) else np.empty(0, np.int64)

    def text(values) -> pd.api.extensions.ExtensionArray:
        return pd.array((values.tolist() if isinstance(values, pd.Series) else list(values)) + pad, dtype="str")

    def whole(values) -> pd.api.extensions.ExtensionArray:
        return pd.array([int(v) for v in values] + pad, dtype="Int64")

    result = pd.DataFrame({
        "rank": move_index + 1,
        "ts": top["ts"].iloc[move_index].reset_index(drop=True),
        "prev_close": top["prev_close"].to_numpy()[move_index],
        "close": top["close"].to_numpy()[move_index],
        "log_return": top["log_return"].to_numpy()[move_index],
        "pct": pct[move_index],
        "window_start": _ns_times(starts[move_index]),
        "window_end": _ns_times(ends[move_index]),
        "headline_rank": whole(headline_rank),      # rows of a move are consecutive in `order`
        "headline_id": pd.array(found["id"].tolist() + pad,
                                dtype="Int64" if pd.api.types.is_integer_dtype(headlines["id"]) else None),
        "published": _ns_times(np.concatenate([shown, np.full(len(empty), _NAT)])),
        "source": text(found["source"]),
        "title": text(found["title"]),
        "topics": text(found["topics"]),
        "gpr": text(gpr),
        "risk": text(RISK_KINDS[v] for v in level[order]),
        "matches": text(matches[i] for i in order),
        "n_matches": whole(n_matches[order]),
        "coverage": whole(coverage[order]),
        "sources": text(sources[i] for i in order),
        "hours_before": np.concatenate([delta[order], np.full(len(empty), np.nan)]),
        "closeness": np.concatenate([closeness[order], np.full(len(empty), np.nan)]),
        "reason": text(reasons[i] for i in order),
    })
    return result.iloc[np.argsort(move_index, kind="stable")].reset_index(drop=True)[list(RESULT_COLUMNS)]

