"""The tags stored with every headline: its topics (ingest.tagging), its geopolitical-risk
categories (kind 'gpr', from the headline rules of ingest.gpr_headlines; the paper's article
rules, ingest.gpr, are not stored) and its sentiment label (ingest.sentiment). Its own module so
that the taggers it combines import none of each other."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ingest.gpr_headlines import HeadlineGprTagger
from ingest.records import Headline
from ingest.sentiment import sentiment_tags
from ingest.tagging import TopicTagger


def headline_tagger(topics: Iterable) -> Callable[[Headline], list[tuple[str, str]]]:
    """One function giving every stored tag of a headline: (kind, value) pairs for its topics, its
    geopolitical-risk categories and its sentiment."""
    topic_tagger, gpr_tagger = TopicTagger(topics), HeadlineGprTagger()

    def tag(headline: Headline) -> list[tuple[str, str]]:
        return [*topic_tagger(headline), *gpr_tagger(headline), *sentiment_tags(headline)]

    return tag
