"""Stories: one news event told by several feeds in their own words is one story (ingest.stories:
content words, the pair rule, the grouping; ingest.store.story_links: linking as headlines are
written, and again for a whole store)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from rapidfuzz import fuzz

from ingest.records import Headline, HeadlineFilter
from ingest.store import schema
from ingest.store.headline_writes import normalise_title
from ingest.store.story_links import RULE_KEY, STORY_RULE, resolve_roots, rule_text
from ingest.stories.grouping import StoryRow, link_stories
from ingest.stories.matching import StoryRule, incidence, pair_scores, pairs_sharing, same_story, words_key
from ingest.stories.titles import content_words
from tests.conftest import utc

HOUR, DAY = 3600, 86400
RULE = StoryRule(window_seconds=2 * DAY, min_shared=2, min_score=70.0)


def words(title: str) -> frozenset[str]:
    return content_words(normalise_title(title))


def row(i: int, hours: float, title: str, story: int | None = None) -> StoryRow:
    return StoryRow(i, int(hours * HOUR), normalise_title(title), story)


# -- content words and the pair rule ------------------------------------------------------------

def test_content_words_are_stemmed_and_leave_out_function_words():
    assert words("Israel strikes Iran's nuclear sites, says the army") == {
        "israel", "strike", "iran", "nuclear", "site", "armi"}
    assert words("Striking: the strike") == {"strike"}
    assert words("Санкции против России: переговоры") == {"санкц", "росс", "переговор"}
    assert words("Live: what we know") == {"know"} and words("The latest: what is new") == frozenset()


def test_the_pair_rule_on_hand_made_titles():
    same = [("Magnitude 7.1 earthquake strikes Venezuela", "Strong 7.1 earthquake hits Caracas, Venezuela"),
            ("Starmer announces resignation as prime minister", "UK prime minister Keir Starmer resigns"),
            ("Trump imposes 50% tariffs on Canadian goods", "Trump slaps 50% tariffs on most Canadian goods")]
    other = [("Spain beat Saudi Arabia 4-0", "Saudi Arabia oil output rises"),
             ("Earthquake in Venezuela", "Earthquake in Indonesia"),           # one shared word
             ("Oil prices jump after strikes on Iran", "Israel strikes Iran nuclear sites overnight")]
    assert [same_story(words(a), words(b), RULE) for a, b in same] == [True, True, True]
    assert [same_story(words(a), words(b), RULE) for a, b in other] == [False, False, False]


def test_a_rule_outside_its_ranges_is_refused():
    for bad in (dict(window_seconds=0), dict(min_shared=0), dict(min_score=101)):
        with pytest.raises(ValueError, match="a story rule needs"):
            StoryRule(**bad)


def test_shared_words_and_scores_against_a_direct_computation():
    """The sparse product's pairs and rapidfuzz's batch scores, against a loop over every pair."""
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(30)]
    left = [frozenset(rng.sample(vocabulary, rng.randint(0, 7))) for _ in range(40)]
    right = [frozenset(rng.sample(vocabulary, rng.randint(0, 7))) for _ in range(50)]
    vocabulary: dict[str, int] = {}
    a, b = incidence(left, vocabulary), incidence(right, vocabulary)
    a.resize((a.shape[0], len(vocabulary)))
    b.resize((b.shape[0], len(vocabulary)))
    i, j, shared = pairs_sharing(a, b, 2)
    found = {(a, b): s for a, b, s in zip(i.tolist(), j.tolist(), shared.tolist(), strict=True)}
    expected = {(a, b): len(left[a] & right[b]) for a, b in itertools.product(range(40), range(50))
                if len(left[a] & right[b]) >= 2}
    assert found == expected and len(expected) > 50
    keys_left, keys_right = [words_key(w) for w in left], [words_key(w) for w in right]
    assert pair_scores(keys_left, keys_right, i, j).tolist() == [
        fuzz.token_set_ratio(keys_left[a], keys_right[b]) for a, b in zip(i.tolist(), j.tolist(), strict=True)]
    assert pair_scores(keys_left, keys_right, np.array([], dtype=int), np.array([], dtype=int)).tolist() == []


# -- grouping -----------------------------------------------------------------------------------

QUAKE = ["Magnitude 7.1 earthquake strikes Venezuela",
         "Strong 7.1 earthquake hits Caracas, Venezuela",
         "Venezuela earthquake: buildings collapse in Caracas",
         "Buildings collapse in Caracas as earthquake hits"]


def test_a_story_told_in_other_words_is_one_story_and_others_stay_apart():
    rows = [row(1, 0, QUAKE[0]), row(2, 1, "Spain beat Saudi Arabia 4-0 at the World Cup"),
            row(3, 2, QUAKE[1]), row(4, 3, QUAKE[2]), row(5, 4, "Saudi Arabia lose 4-0 to Spain at World Cup"),
            row(6, 5, "Oil prices rise")]
    assert link_stories(rows, rows, RULE) == {3: 1, 4: 1, 5: 2}


def test_a_chain_joins_the_story_of_its_first_copy_while_close_to_it():
    """4 matches 3 but not 1 (one word in common), and joins 3's story, which is 1's. Spread over
    50 hours, 4 starts a story of its own: a story never outlasts the window from its first copy."""
    rows = [row(1, 0, QUAKE[0]), row(2, 2, QUAKE[1]), row(3, 4, QUAKE[2]), row(4, 6, QUAKE[3])]
    assert same_story(words(QUAKE[3]), words(QUAKE[2]), RULE) and not same_story(words(QUAKE[3]),
                                                                                  words(QUAKE[0]), RULE)
    assert link_stories(rows, rows, RULE) == {2: 1, 3: 1, 4: 1}
    late = [row(1, 0, QUAKE[0]), row(2, 30, QUAKE[1]), row(3, 47, QUAKE[2]), row(4, 50, QUAKE[3])]
    assert link_stories(late, late, RULE) == {2: 1, 3: 1}   # 4 matches 3, but 1 is 50 h before it


def test_the_same_title_is_one_story_even_when_short_and_stored_stories_are_kept():
    rows = [row(1, 0, "Breaking"), row(2, 1, "BREAKING!"), row(3, 60, "Breaking")]
    assert link_stories(rows, rows, RULE) == {2: 1}      # 3 is 60 h later: a story of its own
    stored = [row(7, 0, QUAKE[0]), row(8, 1, QUAKE[1], story=7)]
    new = [row(9, 3, QUAKE[2])]
    assert link_stories(new, stored + new, RULE) == {9: 7}   # the story of its matches: 7's


def test_a_headline_joins_the_story_most_of_its_matches_belong_to():
    a = ["Trump says US and Iran close to peace deal", "Trump says US, Iran could sign peace deal soon"]
    b = ["Iran peace deal to be signed Sunday, Trump says"]
    rows = [row(1, 0, a[0]), row(2, 1, b[0]), row(3, 2, a[1])]
    links = link_stories(rows, rows, RULE)
    assert links == {2: 1, 3: 1}


def test_links_resolve_to_the_first_copy():
    assert resolve_roots({5: 3, 3: 1, 9: 5, 4: 2}) == {5: 1, 3: 1, 9: 1, 4: 2}


# -- in the store -------------------------------------------------------------------------------

def headline(source: str, guid: str, title: str, hours: float) -> Headline:
    return Headline(source=source, guid=guid, title=title, published=utc(2026, 7, 1) + HOUR_DELTA * hours,
                    fetched=utc(2026, 7, 5))


HOUR_DELTA = utc(2026, 7, 1, 1) - utc(2026, 7, 1)


def stories(store) -> dict[str, str | None]:
    frame = store.headlines()
    titles = dict(zip(frame["id"], frame["title"], strict=True))
    return {t: (titles[s] if s != i else None)
            for i, t, s in zip(frame["id"], frame["title"], frame["story_id"], strict=True)}


def test_the_store_links_stories_as_headlines_arrive(store):
    store.write_headlines([headline("BBC", "1", QUAKE[0], 0), headline("DW", "2", "Oil prices rise", 1)])
    store.write_headlines([headline("CNA", "3", QUAKE[1], 2)])
    store.write_headlines([headline("SCMP", "4", QUAKE[2], 3), headline("CNA", "5", QUAKE[3], 80)])
    assert stories(store) == {QUAKE[0]: None, "Oil prices rise": None, QUAKE[1]: QUAKE[0], QUAKE[2]: QUAKE[0],
                              QUAKE[3]: None}
    assert store.count_headlines(HeadlineFilter(stories_only=True)) == 3


def test_relinking_a_store_linked_by_another_rule(store):
    store.write_headlines([headline("BBC", "1", QUAKE[0], 0), headline("CNA", "2", QUAKE[1], 2),
                           headline("DW", "3", "Oil prices rise", 3)])
    assert store.relink_stories() is None            # a new store: linked by today's rule
    with store.writing() as conn:                     # as a store from before similar titles were one story
        conn.execute(schema.headlines.update().values(story_id=None))
        conn.execute(schema.meta.update().where(schema.meta.c.key == RULE_KEY).values(value="exact titles"))
    version = store.data_version()
    assert store.relink_stories() == 1
    assert stories(store) == {QUAKE[0]: None, QUAKE[1]: QUAKE[0], "Oil prices rise": None}
    assert store.data_version() > version and store.count_headlines(HeadlineFilter(stories_only=True)) == 2
    with store.reading() as conn:
        assert conn.execute(schema.meta.select().where(schema.meta.c.key == RULE_KEY)).one().value == \
            rule_text(STORY_RULE)
    assert store.relink_stories() is None and store.relink_stories(force=True) == 0


def test_the_relink_command(cli_run, store_url):
    result = cli_run("relink-stories")
    assert result.exit_code == 0, result.output
    assert result.output == "linked the stories again: 0 headlines changed story\n"


def test_a_refresh_relinks_a_store_linked_by_another_rule_once(store, make_config):
    from ingest.runners.jobs import run_job

    store.write_headlines([headline("BBC", "1", QUAKE[0], 0), headline("CNA", "2", QUAKE[1], 2)])
    with store.writing() as conn:
        conn.execute(schema.headlines.update().values(story_id=None))
        conn.execute(schema.meta.delete().where(schema.meta.c.key == RULE_KEY))   # a store from before
    config = make_config()
    run_job(store, config, units=[])
    assert stories(store) == {QUAKE[0]: None, QUAKE[1]: QUAKE[0]}
    assert store.relink_stories() is None


def test_a_story_s_copies_in_other_words_are_found_with_their_sources(store):
    """Store.story_copies (the coverage the largest moves and the Analysis tab show) finds a story's
    copies by their link, whatever their titles: three feeds, three wordings, one story."""
    store.write_headlines([headline("BBC", "1", QUAKE[0], 0), headline("CNA", "2", QUAKE[1], 2),
                           headline("SCMP", "3", QUAKE[2], 3), headline("DW", "4", "Oil prices rise", 1)])
    ids = dict(zip(store.headlines()["title"], store.headlines()["id"], strict=True))
    copies = store.story_copies([ids[QUAKE[2]], ids["Oil prices rise"]])
    assert [(int(s), int(i), src) for s, i, src in zip(copies["story_id"], copies["id"], copies["source"],
                                                         strict=True)] == [
        (ids[QUAKE[0]], ids[QUAKE[0]], "BBC"), (ids[QUAKE[0]], ids[QUAKE[1]], "CNA"),
        (ids[QUAKE[0]], ids[QUAKE[2]], "SCMP"), (ids["Oil prices rise"], ids["Oil prices rise"], "DW")]
