"""How a story's content ranks it among the stories before a move (largest_moves' ranking keys 1
and 2): its geopolitical-risk kind, and the search terms and topics it matches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingest.headline_tags.gpr import Lexicon, load_lexicon
from ingest.headline_tags.risk_index import check_known, split_tags
from ingest.headline_tags.tagging import TopicTagger
from ingest.search_query import parse_search


@dataclass(frozen=True)
class _Term:
    """One search term as a topic of one term, for TopicTagger (name = how it is shown)."""

    name: str
    terms: tuple[str, ...]


def parsed_terms(terms: Iterable[str]) -> dict[str, str]:
    """Distinct search terms: how each is shown → the term as ingest.headline_tags.tagging compiles it."""
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
    return list(parsed_terms(terms))


def term_matches(frame: pd.DataFrame, terms: Mapping[str, str], topics: Sequence[str]) -> tuple[np.ndarray, list[str]]:
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
    """Per row of ';'-joined GPR categories (ingest.headline_tags.gpr ids; '' or missing for none): the risk
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
