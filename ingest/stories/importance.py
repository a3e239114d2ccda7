"""How important a story is, from what the store knows of it (pure): its geopolitical-risk kind,
whether it matches a configured topic, and how many distinct sources carried it. The rule is
written once here, stated in docs/data.md (data model) and explained point by point in the hover
of each mark on the chart (`explain`):

    importance = 4 for a geopolitical act (2 for a threat only, 0 for neither)
               + 1 when it matches a topic
               + 1 for each source beyond the first, up to 3

so a single-source act (4) outranks a story of no risk kind carried by eight feeds (3), and a
threat carried by four sources (2 + 3 = 5) outranks a lone act. The kind is the one of all its
copies' categories together (Caldara and Iacoviello's threats 1–5 and acts 6–8, as tagged by
ingest.headline_tags.gpr_headlines): a story one feed calls "talks" and another "strike" is an act.

The coverage counts every copy stored so far, later ones included: the importance of an old story
is what is known of it now, not at the moment it broke. A move that followed is never part of it:
the importance says what was known of the story, never what the market did after."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.headline_tags.gpr import PaperCategories
from ingest.headline_tags.gpr_headlines import kind_of_categories

__all__ = ["IMPORTANCE_RULE", "KIND_NAMES", "KIND_ORDER", "MAX_IMPORTANCE", "RISK_POINTS", "StoryScore", "explain",
           "importance", "outlet", "score_story"]

RISK_POINTS = {"act": 4, "both": 4, "threat": 2, "none": 0}
TOPIC_POINTS = 1
MAX_COVERAGE_POINTS = 3
MAX_IMPORTANCE = max(RISK_POINTS.values()) + TOPIC_POINTS + MAX_COVERAGE_POINTS   # 8
KIND_ORDER = ("act", "both", "threat", "none")   # the kinds from most to least important
KIND_NAMES = {"act": "geopolitical act", "both": "act and threat", "threat": "geopolitical threat",
              "none": "no risk kind"}
IMPORTANCE_RULE = ("importance = 4 for a geopolitical act (2 for a threat only) + 1 when it matches a topic"
                   " + 1 for each source beyond the first, up to 3")


@dataclass(frozen=True)
class StoryScore:
    """What a story's mark says of it: its risk kind ('act', 'threat', 'both' or 'none'), how many
    distinct sources carried it, how many topics it matches, and its importance."""

    kind: str
    sources: int
    topics: int
    importance: int


def importance(kind: str, topics: int, sources: int) -> int:
    """The importance of a story of risk `kind` matching `topics` topics, carried by `sources`
    distinct sources (IMPORTANCE_RULE)."""
    if kind not in RISK_POINTS:
        raise ValueError(f"kind must be one of {tuple(RISK_POINTS)}, got {kind!r}")
    if topics < 0 or sources < 1:
        raise ValueError(f"a story has at least one source and no negative topic count, got "
                         f"sources={sources}, topics={topics}")
    return RISK_POINTS[kind] + (TOPIC_POINTS if topics else 0) + min(sources - 1, MAX_COVERAGE_POINTS)


PAGE_PREFIX = "page:"   # the source of a watched page's headlines (ingest.sources.page_watch)


def outlet(source: str) -> str:
    """The outlet a source stands for in a story's coverage: a watched page `page:TASS` is TASS,
    so TASS's home page and TASS's feed listing one story count as one source, not two."""
    return source[len(PAGE_PREFIX):] if source.startswith(PAGE_PREFIX) else source


def score_story(categories: Iterable[str], topics: Iterable[str], sources: Iterable[str],
                lexicon: PaperCategories) -> StoryScore:
    """The score of one story from its copies' GPR categories (their kind together, by the headline
    tagger's own rule: gpr_headlines.kind_of_categories), topics and sources (repeats count once,
    and a watched page counts as its outlet: `outlet`)."""
    kind = kind_of_categories(list(categories), lexicon)
    count, matched = len({outlet(s) for s in sources}), len(set(topics))
    return StoryScore(kind, count, matched, importance(kind, matched, count))


def explain(kind: str, sources: int, score: int) -> str:
    """A story's importance in words, point by point, e.g. 'importance 7 = act 4 + topic 1 +
    2 more sources 2' (the topic points are what the score holds beyond the other two)."""
    risk, coverage = RISK_POINTS[kind], min(sources - 1, MAX_COVERAGE_POINTS)
    parts = [f"{'threat' if kind == 'threat' else 'act'} {risk}"] if risk else []
    if score - risk - coverage > 0:
        parts.append(f"topic {score - risk - coverage}")
    if coverage:
        parts.append(f"{sources - 1} more source{'s' if sources > 2 else ''} {coverage}")
    return f"importance {score} = " + (" + ".join(parts) if parts else "0 (no risk kind, no topic, one source)")
