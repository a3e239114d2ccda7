from __future__ import annotations

import pytest

from ingest.config import Config
from ingest.config_sections import Topic
from ingest.headline_tags.tagging import TopicTagger, compile_topic
from ingest.records import Headline
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


# -- `newsmarks retag`: text written around the store, and the retag queue ---------------------------

def test_retag_decodes_entities_written_around_the_store_and_empties_the_queue(store_url, tmp_path, monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy import text

    from ingest.cli import cli
    from ingest.store import Store

    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "{store_url}"\n\n[[topics]]\nname = "Delhi visit"\nterms = ["Putin\'s visit"]\n'
                      '\n[[topics]]\nname = "Cafes"\nterms = ["café"]\n', encoding="utf-8")
    monkeypatch.delenv("NEWSMARKS_DB", raising=False)
    store = Store.open(store_url)
    store.write_headlines([Headline(source="wire", guid="w1", title="Café prices up", published=utc(2026, 5, 1),
                                    fetched=utc(2026, 5, 1))])   # stored by newsmarks, without tags
    stamp = int(utc(2026, 5, 12, 8).timestamp())
    with store.engine.begin() as conn:   # a bulk load beside newsmarks, text escaped twice
        conn.execute(text("INSERT INTO headlines (source, guid, title, summary, published, fetched, time_inferred, "
                          "day_precision, title_norm) VALUES ('bulk', 'b1', :title, :summary, :t, :t, false, false, "
                          ":norm)"),
                     {"title": "Putin&amp;#039;s visit to Delhi", "summary": "Caf&eacute; owners &quot;worried&quot;",
                      "norm": "putin amp 039 s visit to delhi", "t": stamp})
        ids = [r[0] for r in conn.execute(text("SELECT id FROM headlines ORDER BY id"))]
        for headline_id in (*ids, 999):
            conn.execute(text("INSERT INTO retag_queue (headline_id) VALUES (:i)"), {"i": headline_id})
    store.index_missing()   # PostgreSQL: its search document (the refresh's repair does this)
    version = store.data_version()
    result = CliRunner().invoke(cli, ["--config", str(config), "retag"], catch_exceptions=False)
    assert result.output == ("retagged 2 headlines; text cleaned in 1 of them (markup, entities, control characters, "
                             "length)\n")
    stored = store.headlines(sort="title")
    assert stored[["title", "summary", "topics"]].values.tolist() == [
        ["Café prices up", "", "Cafes"],
        ["Putin's visit to Delhi", 'Café owners "worried"', "Cafes;Delhi visit"]]
    assert store.headlines(query="café")["title"].tolist() == ["Café prices up", "Putin's visit to Delhi"]
    assert store.headlines(query="amp OR 039 OR eacute OR quot").empty   # the escapes left the search index
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT title_norm FROM headlines WHERE guid = 'b1'")).scalar() == \
            "putin s visit to delhi"
        assert conn.execute(text("SELECT COUNT(*) FROM retag_queue")).scalar() == 0
    assert store.data_version() > version
    again = CliRunner().invoke(cli, ["--config", str(config), "retag"], catch_exceptions=False)
    assert again.output == "retagged 2 headlines\n"
    store.close()
