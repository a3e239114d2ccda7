"""The search box's syntax, parsed (pure): words are ANDed (`Syria talks`), `OR` between words or
phrases gives alternatives (`Lavrov OR Kerry`), double quotes make a phrase (`"oil output"`), a
trailing `*` a prefix (`sanction*`). Matching is case-insensitive; anything else is taken
literally, never as search-engine syntax. The store renders it per dialect (ingest.store.fts);
the largest moves match it in titles."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'"([^"]*)"?(\*?)|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word or phrase; `prefix` when it ended in '*'."""

    text: str
    prefix: bool = False


def parse_search(query: str | None) -> list[list[Term]]:
    """Parse a search box query into AND-ed groups of OR-ed terms; [] means no filter."""
    if not query:
        return []
    groups: list[list[Term]] = []
    pending_or = False
    for match in _TOKEN.finditer(query):
        phrase, phrase_star, word = match.groups()
        if word is not None and word == "OR":
            pending_or = bool(groups)
            continue
        if word is not None:
            prefix = word.endswith("*")
            text = word.rstrip("*")
        else:
            text, prefix = phrase or "", bool(phrase_star)
        words = re.findall(r"\w+", text)
        if not words:
            continue
        term = Term(" ".join(words), prefix)
        if pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    return groups
