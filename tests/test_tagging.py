from __future__ import annotations

import pytest

from ingest.config import Config, Topic
from ingest.sources.base import Headline
from ingest.tagging import TopicTagger, compile_topic
from tests.conftest import utc


def tagger(*topics):
    return TopicTagger([Topic(name=n, terms=t) for n, t in topics])


def test_words_prefixes_and_phrases():
    tag = tagger(("Syria", ["Syria*"]), ("OPEC", ["oil output"]), ("Talks", ["talks"]))
    assert tag.topics_of("Syrian ceasefire talks") == ["Syria", "Talks"]
    assert tag.topics_of("OPEC lifts oil  output") == ["OPEC"]
    assert tag.topics_of("oil-output quotas") == ["OPEC"]
    assert tag.topics_of("stalks of wheat, outputs of oil") == []


def test_default_topics_on_the_news_page_headline():
    tag = TopicTagger(Config().topics)
    item = Headline(source="page", guid="1", fetched=utc(2016, 1, 20), published=utc(2016, 1, 20),
                    title="Lavrov: Russia and USA will not take part in talks of Syrian government and opposition")
    assert tag(item) == [("topic", "Syria"), ("topic", "Talks")]
    assert tag.topics_of("Рубль укрепился; ruble gains as Brent rises") == ["Energy", "Rouble"]


def test_term_without_words_is_refused():
    with pytest.raises(ValueError, match="topic term '\\*' has no words"):
        compile_topic("x", ["*"])
