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
1. geopolitical-risk kind of the first copy's `gpr` categories (ingest.headline_tags.gpr, Caldara–Iacoviello):
   an act (categories 6–8: beginning or escalation of war, terror acts) above a threat (1–5) above
   none;
2. search terms and topics matched: the number of distinct `terms` the title and summary match
   plus the number of the given `topics` the story carries. Terms are written as in the search
   box (ingest.search_query.parse_search: words, `prefix*`, `"phrases"`; `OR` is ignored, every term
   counts on its own) and matched like topic terms at ingest (ingest.headline_tags.tagging: case-insensitive
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

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pandas as pd

from dashboard.analysis.alignment import NAT
from dashboard.analysis.move_windows import checked_window, in_windows, top_moves
from dashboard.analysis.story_coverage import carriers, source_coverage, story_rows
from dashboard.analysis.story_relevance import parsed_terms, risk_levels, term_matches
from dashboard.analysis.time_columns import epoch_ns, ns_times
from ingest.headline_tags.gpr import Lexicon

TAU_PER_WINDOW = 4            # τ of the closeness = the window / 4: 6 h for a day, 1.5 h for six hours
RISK_KINDS = ("", "threat", "act")   # by level: none 0, threat 1, act 2
RANKING_RULE = ("Stories ranked by: geopolitical-risk kind (an act of war or terror, then a threat, then none); "
                "then search terms and topics matched; then how many sources had carried the story by the close; "
                "then closeness to the close, exp(−Δt/τ) with τ a quarter of the window (6 h before a daily close). "
                "Copies of one story from several feeds are one row.")
RESULT_COLUMNS = ("rank", "ts", "prev_close", "close", "log_return", "pct", "window_start", "window_end",
                  "headline_rank", "headline_id", "published", "source", "title", "topics", "gpr", "risk",
                  "matches", "n_matches", "coverage", "sources", "hours_before", "closeness", "reason")
COPY_COLUMNS = ("story_id", "source", "published")
_HEADLINE_COLUMNS = ("id", "published", "source", "title", "topics")
_HOUR_NS = 3600 * 10**9


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
    optionally bad (see bar_moves.bar_moves). headlines: columns id, published (tz-aware), source,
    title, topics (';'-joined), optionally summary, day_precision, gpr (';'-joined GPR category
    ids) and story_id (the story's first copy; missing or NA: the row is its own story) — copies
    of one story in it are one row. copies: more copies of the stories (Store.story_copies:
    columns story_id, source, published, optionally day_precision), counted in the coverage only.
    window: how far before the moment a move's close became known to look (default
    move_windows.DEFAULT_WINDOW); terms: search-box terms; topics: topic names; lexicon: the GPR
    lexicon that says which categories are acts and threats (default: ingest.headline_tags.gpr.load_lexicon()).

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
    span = checked_window(n, interval, window)
    if isinstance(terms, str) or isinstance(topics, str):
        raise ValueError("terms and topics must be lists of strings, not one string")
    missing = [c for c in _HEADLINE_COLUMNS if c not in headlines.columns]
    if missing:
        raise ValueError(f"headlines frame lacks column(s) {', '.join(missing)}")
    _check_copies(copies)
    parsed = parsed_terms(terms)
    top, starts, ends = top_moves(bars, interval, n, span)

    stories = story_rows(headlines)
    picked, move_of_row = in_windows(stories["moment"].to_numpy(), starts, ends)
    found = stories.iloc[picked].reset_index(drop=True)
    moment = found["moment"].to_numpy(dtype=np.int64)
    end_of_row = ends[move_of_row]
    level, categories = risk_levels(found["gpr"].tolist() if "gpr" in found.columns else [""] * len(found),
                                    lexicon)
    n_matches, matches = term_matches(found, parsed, topics)
    keys = found["key"].to_numpy(dtype=object)
    coverage, sources = source_coverage(keys, end_of_row, carriers(headlines, copies, keys))
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
        "window_start": ns_times(starts[move_index]),
        "window_end": ns_times(ends[move_index]),
        "headline_rank": whole(headline_rank),      # rows of a move are consecutive in `order`
        "headline_id": pd.array(found["id"].tolist() + pad,
                                dtype="Int64" if pd.api.types.is_integer_dtype(headlines["id"]) else None),
        "published": ns_times(np.concatenate([shown, np.full(len(empty), NAT)])),
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

