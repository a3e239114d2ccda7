"""The paper's tagger (ingest.headline_tags.gpr: the Caldara–Iacoviello query of Table 1, verbatim) on real
titles. The headline rules that the stored tags come from are tested in test_gpr_headlines.py,
the index in test_risk_index.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ingest.headline_tags.gpr import GprTagger, load_lexicon, parse_lexicon
from ingest.headline_tags.lexicon_files import LexiconError
from ingest.records import Headline
from tests.conftest import utc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LEXICON = Path(__file__).resolve().parents[1] / "ingest" / "lexicons" / "gpr.toml"


@pytest.fixture(scope="module")
def real_titles() -> set[str]:
    """Every title of the three headline files: the titles below must be among them."""
    world = pd.read_csv(DATA / "world-headlines-rss-2026-05-to-08.csv", usecols=["title"])["title"]
    reddit = pd.read_csv(DATA / "reddit-worldnews-2008-2016.csv", usecols=["News"])["News"]
    bbc = pd.read_csv(DATA / "bbc-business-rss-2022-2024.csv", usecols=["title"])["title"]
    return set(pd.concat([world, reddit, bbc]).dropna().astype(str))


@pytest.fixture(scope="module")
def tagger() -> GprTagger:
    return GprTagger()


# Real titles (world-headlines 2026, reddit r/worldnews 2008-2016, BBC business 2022-2024) and
# the exact categories they get.
CATEGORISED = [
    # 1. war threats: war word N/2 threat word
    ("Fears of renewed conflict in Ethiopia", ["war_threats"]),
    ("Poland warns of war 'in 10 years' as EU leaders scramble to contain panic", ["war_threats"]),
    ("Ukraine war: World Bank warns of 'human catastrophe' food crisis", ["war_threats"]),
    # 2. peace threats: peace word N/2 peace-disruption word ("rejects … truce": two words between)
    ("Hezbollah rejects Israel-Lebanon truce as Trump scrambles to end Iran war", ["peace_threats"]),
    ("Iran threatens to suspend peace talks after ‘violation of ceasefire’ in Lebanon", ["peace_threats"]),
    ("Donald Trump A Threat To Peace And Prosperity, German Vice Chancellor Says", ["peace_threats"]),
    # 3. military buildups: military word AND buildup word, anywhere
    ("Cuba Rejects U.S. Blockade and Military Threat at BRICS Meeting", ["military_buildups"]),
    ("64 public figures, 7 Nobel laureates, call for arms embargo on Israel", ["military_buildups"]),
    # 4. nuclear threats: nuclear bigram AND threat word
    ("Russia Threatens to Deploy Nuclear Weapons in Crimea", ["nuclear_threats"]),
    ("North Korea warns of ‘disaster’ if G7 tries to strip its nuclear weapons", ["nuclear_threats"]),
    ("North Korea bets big on navy with first destroyer; Kim issues 'brink of nuclear war' warning",
     ["war_threats", "nuclear_threats"]),
    # 5. terror threats: terrorism word N/2 threat word
    ("Munich police warn of terror threat - Ask people to avoid crowds", ["terror_threats"]),
    ("Labor warns One Nation terror laws would not survive High Court", ["terror_threats"]),
    ("Mass protests erupt in Manipur hill districts over 8-day hostage crisis", ["terror_threats"]),
    # 6. beginning of war: war word N/2 war-begin word
    ("North Waziristan tribes declare war against US!", ["beginning_of_war"]),
    ("CENTCOM announces 14 American servicemen killed since start of war with Iran", ["beginning_of_war"]),
    ("Brazilian army declares war on Zika, mobilizes troops", ["military_buildups", "beginning_of_war"]),
    # 7. escalation of war: actor word N/2 fight word
    ("Sudan army drone strike kills 35 at Darfur court, rights group says", ["escalation_of_war"]),
    ("BP pauses all Red Sea shipments after rebel attacks", ["escalation_of_war"]),
    # 8. terror acts: terrorism word N/2 terrorism-act word
    ("Driver plows into Jerusalem crowd in suspected terror attack", ["terror_acts"]),
    ("Kulgam terror attack: Kharge claims labourers were asked to 'identify' before being shot", ["terror_acts"]),
    ("US embassy warns of terrorist attacks in Gaziantep, Turkey.", ["terror_threats", "terror_acts"]),
]


@pytest.mark.parametrize(("title", "expected"), CATEGORISED)
def test_each_category_on_real_titles(tagger, real_titles, title, expected):
    assert title in real_titles
    assert tagger.categories_of(title) == expected


def test_every_category_is_covered_by_two_real_titles():
    counts = pd.Series([c for _, cats in CATEGORISED for c in cats]).value_counts()
    assert sorted(counts.index) == sorted(c.id for c in load_lexicon().categories)
    assert counts.min() >= 2


EXCLUDED = [
    # the same title with the excluded word replaced by "x" falls in these categories
    ("A fake terror attack has panicked guests of several Hollywood stars at the Cannes film festival | The "
     "publicity stunt, by a French Internet company aimed at the super rich, saw a speedboat full of men in "
     "helmets and military style uniforms attempt to storm the dock of the Hotel du Cap.", "film", ["terror_acts"]),
    ("North Korea threatens war over Seth Rogen movie.", "movie", ["war_threats"]),
    ("Nagasaki marks 81st atomic bomb anniversary as Mayor says nuclear deterrence only increases risk",
     "anniversary", ["nuclear_threats"]),
    ("Price war fears grip China’s EV market after woeful July sales figures", "Price", ["war_threats"]),
    ("Taiwan launches annual war games as pressure from China grows", "games", ["beginning_of_war"]),
]


@pytest.mark.parametrize(("title", "excluded", "without"), EXCLUDED)
def test_excluded_words_drop_every_category(tagger, real_titles, title, excluded, without):
    assert title in real_titles
    assert tagger.categories_of(title) == []
    assert tagger.categories_of(title.replace(excluded, "x")) == without


def test_word_war_alone_is_not_a_price_war(tagger):
    assert tagger.categories_of("price war fears") == []
    assert tagger.categories_of("price of war fears") == ["war_threats"]


def test_proximity_window_inside_and_outside(tagger, real_titles):
    # at most two words between the two: "rejects Israel-Lebanon truce" is inside
    assert tagger.categories_of("war a b threat") == ["war_threats"]
    assert tagger.categories_of("threat a b war") == ["war_threats"]
    assert tagger.categories_of("war a b c threat") == []
    # real titles with both words further apart: "Warn Turkey of Big War" has three words between
    for title in ("Kurds Warn Turkey of Big War With Russia If Troops Enter Syria",
                  "Renewed fighting in Tigray raises risk of a wider regional war",
                  "Iran war day 100: US, Iran trade attacks again, raising tensions"):
        assert title in real_titles
        assert tagger.categories_of(title) == []


def test_wider_window_from_an_edited_lexicon(tmp_path):
    text = LEXICON.read_text(encoding="utf-8").replace(
        'label = "War threats"\ncomponent = "threats"\nrule = "near"\nwithin = 2',
        'label = "War threats"\ncomponent = "threats"\nrule = "near"\nwithin = 3')
    path = tmp_path / "gpr.toml"
    path.write_text(text, encoding="utf-8")
    wide = GprTagger(load_lexicon(path))
    assert wide.lexicon.fingerprint != load_lexicon().fingerprint
    assert wide.categories_of("Kurds Warn Turkey of Big War With Russia If Troops Enter Syria") == ["war_threats"]
    assert wide.categories_of("Renewed fighting in Tigray raises risk of a wider regional war") == []


def test_phrases_count_as_their_words_in_the_window(tagger):
    # "broke out" is a phrase of the war-begin set; "build-up" one of the buildup set
    assert tagger.categories_of("Civil war broke out in 2011") == ["beginning_of_war"]
    assert tagger.categories_of("War in the north of the country broke out") == []
    assert tagger.categories_of("Troop build-up on the border") == ["military_buildups"]
    assert tagger.categories_of("Fears of an H-bomb test") == ["nuclear_threats"]


def test_a_word_in_both_sets_needs_a_partner_other_than_itself():
    lexicon = load_lexicon()
    both = replace(lexicon, groups={**lexicon.groups, "threat": (*lexicon.groups["threat"], "war")})
    tagger = GprTagger(both)
    assert tagger.categories_of("war") == []
    assert tagger.categories_of("war war") == ["war_threats"]


def test_possessive_is_one_word(tagger):
    assert tagger.categories_of("Iran's war threat") == ["war_threats"]
    assert tagger.categories_of("War threat to Iran's allies' navy") == ["war_threats"]


def test_threats_and_acts_split(tagger):
    lexicon = tagger.lexicon
    assert lexicon.threats == ("war_threats", "peace_threats", "military_buildups", "nuclear_threats",
                               "terror_threats")
    assert lexicon.acts == ("beginning_of_war", "escalation_of_war", "terror_acts")
    assert tagger.components_of("US embassy warns of terrorist attacks in Gaziantep, Turkey.") == ["threats", "acts"]
    assert tagger.components_of("Driver plows into Jerusalem crowd in suspected terror attack") == ["acts"]
    assert tagger.components_of("Fears of renewed conflict in Ethiopia") == ["threats"]
    assert tagger.components_of("Ukraine conflict: Oil price soars to highest level since 2008") == []


def test_headline_tags_use_title_and_summary(tagger):
    # real BBC business item: the category comes from its summary only
    item = Headline(source="bbc", guid="1", published=utc(2022, 3, 4), fetched=utc(2022, 3, 4),
                    title="Energy saving to return to prevent winter blackouts",
                    summary="National Grid says that the Russia-Ukraine war poses a risk to future energy supplies.")
    assert tagger(item) == [("gpr", "war_threats")]
    assert tagger(replace(item, summary="")) == []


def test_shipped_lexicon_structure_and_source():
    lexicon = load_lexicon()
    assert lexicon == load_lexicon(LEXICON)
    assert lexicon.fingerprint == load_lexicon(LEXICON).fingerprint
    assert len(lexicon.fingerprint) == 16
    assert [(c.number, c.id, c.label, c.rule, c.within, c.groups) for c in lexicon.categories] == [
        (1, "war_threats", "War threats", "near", 2, ("war", "threat")),
        (2, "peace_threats", "Peace threats", "near", 2, ("peace", "peace_disruption")),
        (3, "military_buildups", "Military buildups", "and", None, ("military", "buildup")),
        (4, "nuclear_threats", "Nuclear threats", "and", None, ("nuclear", "threat")),
        (5, "terror_threats", "Terror threats", "near", 2, ("terrorism", "threat")),
        (6, "beginning_of_war", "Beginning of war", "near", 2, ("war", "war_begin")),
        (7, "escalation_of_war", "Escalation of war", "near", 2, ("actors", "actor_fight")),
        (8, "terror_acts", "Terror acts", "near", 2, ("terrorism", "terrorism_act")),
    ]
    assert lexicon.source["citation"] == ('Caldara, D. and Iacoviello, M. (2022) "Measuring Geopolitical Risk", '
                                          "American Economic Review 112(4): 1194–1225")
    assert lexicon.source["doi"] == "10.1257/aer.20191823"
    # the word lists the issue quotes from Table 1 are there, in order, before any variant
    assert lexicon.groups["war"][:9] == ("war", "conflict", "hostilities", "revolution*", "insurrection",
                                         "uprising", "revolt", "coup", "geopolitical")
    assert lexicon.groups["threat"][:18] == (
        "threat*", "warn*", "fear*", "risk*", "concern*", "danger*", "doubt*", "crisis", "troubl*", "disput*",
        "tension*", "imminen*", "inevitable", "footing", "menace*", "brink", "scare", "peril*")
    assert lexicon.groups["buildup"][:8] == ("buildup*", "build-up*", "sanction*", "blockad*", "embargo",
                                             "quarantine", "ultimatum", "mobiliz*")
    assert {"movie*", "film*", "anniversar*", "price war", "sport"} <= set(lexicon.exclusions)


# --- a malformed lexicon -------------------------------------------------------------------------

def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = LEXICON.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "gpr.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ('rule = "near"\nwithin = 2\ngroups = ["war", "threat"]', 'rule = "nearby"\nwithin = 2\ngroups = ["war", "threat"]',
     "categories.war_threats.rule: Input should be 'near' or 'and' (got 'nearby')"),
    ('groups = ["war", "threat"]', 'groups = ["war", "threats"]',
     "categories.war_threats.groups: unknown group 'threats'"),
    ('rule = "near"\nwithin = 2\ngroups = ["war", "threat"]', 'rule = "near"\ngroups = ["war", "threat"]',
     "categories.war_threats: rule 'near' needs `within`"),
    ('number = 3\n', 'number = 3\nweight = 2\n', "categories.military_buildups.weight: unknown key"),
    ('number = 2\n', 'number = 1\n', "categories.peace_threats.number: 1 is also the number of 'war_threats'"),
    ('terms = ["war", "conflict",', 'terms = ["*", "conflict",', "groups.war.terms[0]: term '*' has no words"),
    ('[categories.terror_acts]', '[categories."terror acts"]',
     "categories.terror acts: a category id (its tag) must be lower-case letters, digits and _"),
    ('[source]\n', '[origin]\n', "source: Field required (and 1 more)"),
    ('paper_name = "Exclusion words"\n', '', "exclusions.paper_name: Field required"),
    ('within = 2\ngroups = ["terrorism", "threat"]', 'within = -1\ngroups = ["terrorism", "threat"]',
     "categories.terror_threats.within: Input should be greater than or equal to 0 (got -1)"),
])
def test_malformed_lexicon_names_the_bad_key(tmp_path, old, new, message):
    path = _broken(tmp_path, old, new)
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    assert str(caught.value).startswith(f"GPR lexicon error in {path}: {message}")


def test_lexicon_that_is_not_toml_or_missing(tmp_path):
    with pytest.raises(LexiconError, match=r"^GPR lexicon error in <string>: not valid TOML"):
        parse_lexicon("[source\n")
    with pytest.raises(LexiconError, match=r"^cannot read GPR lexicon .*missing\.toml"):
        load_lexicon(tmp_path / "missing.toml")
