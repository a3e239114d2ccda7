"""A story's importance (ingest.stories.importance): the rule point by point, on hand-made cases
whose answers are worked out from the rule's text, and the explanation the hover shows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ingest.headline_tags.gpr_headline_lexicon import load_headline_lexicon
from ingest.headline_tags.gpr_headlines import kind_of_categories
from ingest.stories.importance import IMPORTANCE_RULE, explain, importance, outlet, score_story

THREATS, ACTS = ("war_threats", "peace_threats"), ("war_begins", "terror_acts")
LEXICON = SimpleNamespace(threats=THREATS, acts=ACTS)   # the two components' category ids, as a lexicon gives them


@pytest.mark.parametrize(("kind", "topics", "sources", "expected"), [
    ("none", 0, 1, 0),      # nothing but one source
    ("threat", 0, 1, 2),
    ("act", 0, 1, 4),
    ("both", 0, 1, 4),      # acts and threats: an act
    ("none", 1, 1, 1),
    ("none", 3, 1, 1),      # a topic is one point however many match
    ("none", 0, 2, 1),
    ("none", 0, 4, 3),
    ("none", 0, 9, 3),      # coverage stops at three points
    ("threat", 2, 4, 6),
    ("act", 1, 14, 8),      # the most a story scores
])
def test_importance_adds_the_rules_points(kind, topics, sources, expected):
    assert importance(kind, topics, sources) == expected


def test_the_rules_order_acts_over_threats_over_none():
    assert importance("act", 0, 1) > importance("none", 0, 8)     # a lone act over a widely carried nothing
    assert importance("threat", 0, 4) > importance("act", 0, 1)    # ... but a threat four feeds carry over it
    assert "4 for a geopolitical act" in IMPORTANCE_RULE and "up to 3" in IMPORTANCE_RULE


def test_bad_inputs_are_refused_with_what_was_wrong():
    with pytest.raises(ValueError, match="kind must be one of"):
        importance("acts", 0, 1)
    with pytest.raises(ValueError, match="sources=0"):
        importance("none", 0, 0)


def test_a_storys_kind_is_its_copies_categories_together():
    assert kind_of_categories([], LEXICON) == "none"
    assert kind_of_categories(["war_threats"], LEXICON) == "threat"
    assert kind_of_categories(["war_threats", "war_begins"], LEXICON) == "both"
    assert kind_of_categories(["terror_acts", "terror_acts"], LEXICON) == "act"
    assert kind_of_categories(["unknown"], LEXICON) == "none"


def test_score_story_counts_each_source_and_topic_once():
    score = score_story(["war_threats"], ["Energy", "Energy"], ["a", "b", "a", "c"], LEXICON)
    assert (score.kind, score.sources, score.topics, score.importance) == ("threat", 3, 1, 2 + 1 + 2)


def test_a_watched_page_counts_as_its_outlet_in_a_storys_coverage():
    assert [outlet(s) for s in ("page:TASS", "TASS", "page:", "Reuters", "pages:X")] == \
        ["TASS", "TASS", "", "Reuters", "pages:X"]
    # TASS's feed and TASS's home page list one story: one source, not two
    one = score_story([], [], ["TASS", "page:TASS", "TASS"], LEXICON)
    assert (one.sources, one.importance) == (1, 0)
    two = score_story([], [], ["TASS", "page:TASS", "Reuters"], LEXICON)
    assert (two.sources, two.importance) == (2, 1)


def test_the_shipped_lexicon_splits_the_papers_eight_categories_five_and_three():
    lexicon = load_headline_lexicon()
    assert len(lexicon.threats) == 5 and len(lexicon.acts) == 3


@pytest.mark.parametrize(("kind", "sources", "score", "text"), [
    ("act", 3, 7, "importance 7 = act 4 + topic 1 + 2 more sources 2"),
    ("threat", 1, 2, "importance 2 = threat 2"),
    ("none", 2, 1, "importance 1 = 1 more source 1"),
    ("none", 1, 0, "importance 0 = 0 (no risk kind, no topic, one source)"),
    ("none", 9, 4, "importance 4 = topic 1 + 8 more sources 3"),
])
def test_explain_says_where_each_point_comes_from(kind, sources, score, text):
    assert explain(kind, sources, score) == text
