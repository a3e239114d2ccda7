"""The tags stored with every headline: its topics (tagging.py), its geopolitical-risk categories
(kind 'gpr', from the headline rules of gpr_headlines.py; the paper's article rules, gpr.py, are
not stored) and its sentiment label (sentiment.py). Its own module so that the taggers it
combines import none of each other."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ingest.headline_tags.gpr_headlines import HeadlineGprTagger
from ingest.headline_tags.sentiment import sentiment_tags
from ingest.headline_tags.tagging import TopicTagger
from ingest.records import Headline


def headline_tagger(topics: Iterable) -> Callable[[Headline], list[tuple[str, str]]]:
    """One function giving every stored tag of a headline: (kind, value) pairs for its topics, its
    geopolitical-risk categories and its sentiment."""
    topic_tagger, gpr_tagger = TopicTagger(topics), HeadlineGprTagger()

    def tag(headline: Headline) -> list[tuple[str, str]]:
        return [*topic_tagger(headline), *gpr_tagger(headline), *sentiment_tags(headline)]

    return tag
