"""Each story's score on its first copy (ingest.store.story_scores): kept up to date as copies
arrive, tags change and copies are deleted — each time equal to scoring the whole store afresh
(the independent computation) — and the stories of a window ranked by it (Store.ranked_stories)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
from sqlalchemy import select

from ingest.config_sections import Topic
from ingest.headline_tags.stored_tags import headline_tagger
from ingest.records import Headline, HeadlineFilter
from ingest.store import schema
from ingest.store.deletion import DeleteFilter
from ingest.store.story_scores import score_all
from tests.conftest import utc
from tests.dense_news import own_words

START = utc(2026, 7, 1)
STRIKE = "Airstrike hits Kyiv power plant overnight"
QUAKE = "Magnitude 7.1 earthquake strikes Venezuela"


def headline(source: str, guid: str, title: str, hours: float) -> Headline:
    return Headline(source=source, guid=guid, title=title, published=START + timedelta(hours=hours),
                    fetched=START + timedelta(days=5))


def scores(store) -> dict[tuple[str, str], tuple]:
    """(source, guid) -> (kind, sources, importance) as stored."""
    table = schema.headlines
    with store.reading() as conn:
        rows = conn.execute(select(table.c.source, table.c.guid, table.c.story_kind, table.c.story_sources,
                                   table.c.importance)).all()
    return {(r.source, r.guid): (r.story_kind, r.story_sources, r.importance) for r in rows}


def rescored(store) -> dict[tuple[str, str], tuple]:
    """The scores after scoring every story afresh (rolled back: the store is left as it was)."""
    with store.engine.connect() as conn:
        score_all(conn)
        table = schema.headlines
        rows = conn.execute(select(table.c.source, table.c.guid, table.c.story_kind, table.c.story_sources,
                                   table.c.importance)).all()
        conn.rollback()
    return {(r.source, r.guid): (r.story_kind, r.story_sources, r.importance) for r in rows}


def test_a_storys_score_follows_its_copies_as_they_arrive(store):
    tag = headline_tagger(())
    store.write_headlines([headline("BBC", "1", STRIKE, 0), headline("DW", "2", QUAKE, 1)], tag=tag)
    assert scores(store) == {("BBC", "1"): ("act", 1, 4), ("DW", "2"): ("none", 1, 0)}
    store.write_headlines([headline("CNA", "3", STRIKE, 2), headline("SCMP", "4", STRIKE, 3)], tag=tag)
    assert scores(store) == {("BBC", "1"): ("act", 3, 6), ("DW", "2"): ("none", 1, 0),
                             ("CNA", "3"): (None, None, None), ("SCMP", "4"): (None, None, None)}
    store.write_headlines([headline("BBC", "5", STRIKE, 4)], tag=tag)   # a second copy from the same source
    assert scores(store)[("BBC", "1")] == ("act", 3, 6)
    assert scores(store) == rescored(store)
    frame = store.headlines().set_index("guid")
    assert frame.loc["1", ["story_kind", "story_sources", "importance"]].tolist() == ["act", 3.0, 6.0]
    assert pd.isna(frame.loc["3", "importance"])    # a copy carries no score of its own


def test_deleting_copies_or_the_first_copy_scores_the_story_again(store):
    tag = headline_tagger(())
    store.write_headlines([headline("BBC", "1", STRIKE, 0), headline("CNA", "2", STRIKE, 1),
                           headline("SCMP", "3", STRIKE, 2)], tag=tag)
    store.delete_rows("headlines", DeleteFilter(sources=("SCMP",)))
    assert scores(store) == {("BBC", "1"): ("act", 2, 5), ("CNA", "2"): (None, None, None)}
    store.delete_rows("headlines", DeleteFilter(sources=("BBC",)))
    assert scores(store) == {("CNA", "2"): ("act", 1, 4)}   # the next copy leads the story now
    assert scores(store) == rescored(store)


def test_retagging_with_a_topic_adds_its_point(store):
    store.write_headlines([headline("BBC", "1", STRIKE, 0), headline("DW", "2", QUAKE, 1)], tag=headline_tagger(()))
    store.retag(headline_tagger([Topic(name="Ukraine", terms=["Kyiv"])]))
    assert scores(store) == {("BBC", "1"): ("act", 1, 5), ("DW", "2"): ("none", 1, 0)}
    assert scores(store) == rescored(store)


def test_a_changed_title_of_a_copy_changes_its_storys_kind(store):
    tag = headline_tagger(())
    store.write_headlines([headline("BBC", "1", "Kyiv power plant overnight outage", 0),
                           headline("CNA", "2", "Kyiv power plant overnight outage", 1)], tag=tag)
    assert scores(store)[("BBC", "1")] == ("none", 2, 1)
    store.write_headlines([headline("CNA", "2", "Kyiv power plant overnight outage after airstrike", 1)], tag=tag)
    assert scores(store)[("BBC", "1")] == ("act", 2, 5)
    assert scores(store) == rescored(store)


def test_ranked_stories_most_important_first_then_earliest(store):
    tag = headline_tagger(())
    store.write_headlines([
        headline("DW", "q", QUAKE, 0),                                    # 0 points
        headline("BBC", "s1", STRIKE, 5), headline("CNA", "s2", STRIKE, 6),   # act, 2 sources: 5
        headline("AP", "t", "Russia threatens retaliation over new sanctions", 1),   # threat: 2
        headline("AP", "a", "Missile strike kills five in Kharkiv", 3),            # act: 4
        headline("DW", "z", "Football: Spain beat Italy in the final", 2),          # 0 points, later than q
    ], tag=tag)
    ranked = store.ranked_stories(HeadlineFilter(start=START, end=START + timedelta(days=1)), 10)
    assert ranked["guid"].tolist() == ["s1", "a", "t", "q", "z"]
    assert ranked["importance"].tolist() == [5.0, 4.0, 2.0, 0.0, 0.0]
    stories = store.headlines(HeadlineFilter(stories_only=True))   # the same order, worked out in pandas
    expected = stories.sort_values(["importance", "published", "id"], ascending=[False, True, True])
    assert ranked["id"].tolist() == expected["id"].tolist()
    assert store.ranked_stories(HeadlineFilter(start=START, end=START + timedelta(days=1)), 2)["guid"].tolist() == \
        ["s1", "a"]
    # read in one sorted query when the caller knows they are few: the same order
    assert store.ranked_stories(HeadlineFilter(), 10, few=True)["id"].tolist() == ranked["id"].tolist()
    assert store.ranked_stories(HeadlineFilter(query="Kharkiv"), 10)["guid"].tolist() == ["a"]
    assert store.ranked_stories(HeadlineFilter(start=START + timedelta(hours=2), end=START + timedelta(hours=4)),
                                10)["guid"].tolist() == ["a", "z"]
    assert store.ranked_stories(HeadlineFilter(query="nothing-like-this"), 10).empty


def test_a_level_with_more_stories_than_wanted_is_read_evenly_over_the_window(store):
    """Eight stories of one level, one a day: four wanted from four parts of the eight days are the
    first of each part (days 0, 2, 4, 6), not the first four days; the levels above come whole."""
    tag = headline_tagger(())
    later = START + timedelta(days=30)   # fetched after all of them (a time after its fetch is not trusted)
    store.write_headlines([replace(headline("DW", f"q{day}", own_words(day), 24 * day + 1), fetched=later)
                           for day in range(8)] + [headline("AP", "a", "Missile strike kills five in Kharkiv", 30)],
                          tag=tag)
    window = HeadlineFilter(start=START, end=START + timedelta(days=8) - timedelta(seconds=1))
    spread = store.ranked_stories(window, 5, slices=4)
    assert spread["guid"].tolist() == ["a", "q0", "q2", "q4", "q6"]
    assert store.ranked_stories(window, 5)["guid"].tolist() == ["a", "q0", "q1", "q2", "q3"]   # one part: earliest
    unbounded = store.ranked_stories(HeadlineFilter(), 5, slices=4)   # no bounds: the level's first to last story
    assert unbounded["guid"].tolist() == ["a", "q0", "q2", "q4", "q6"]
