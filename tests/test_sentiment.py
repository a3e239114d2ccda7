from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ingest.headline_tags import sentiment
from ingest.headline_tags.sentiment import label_of, sentiment_of, sentiment_tags
from ingest.records import Headline
from tests.conftest import utc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Real titles and VADER's label and compound score for them (exact to 4 decimals).
SCORED = [
    ("bbc-business-rss-2022-2024.csv", "title", "The rise of Sweden's super rich", "positive", 0.8176),
    ("bbc-business-rss-2022-2024.csv", "title", "Energy saving to return to prevent winter blackouts",
     "positive", 0.2960),
    ("bbc-business-rss-2022-2024.csv", "title", "Ukraine conflict: Oil price soars to highest level since 2008",
     "negative", -0.3182),
    ("reddit-worldnews-2008-2016.csv", "News", "Driver plows into Jerusalem crowd in suspected terror attack",
     "negative", -0.8126),
    ("world-headlines-rss-2026-05-to-08.csv", "title", "Fears of renewed conflict in Ethiopia", "negative", -0.6249),
    # "threat" pulls down, "peace" and "prosperity" up: a compound inside ±0.05 is neutral
    ("reddit-worldnews-2008-2016.csv", "News",
     "Donald Trump A Threat To Peace And Prosperity, German Vice Chancellor Says", "neutral", 0.0258),
    ("reddit-worldnews-2008-2016.csv", "News", "64 public figures, 7 Nobel laureates, call for arms embargo on Israel",
     "neutral", 0.0),
]


@pytest.fixture(scope="module")
def titles_by_file() -> dict[str, set[str]]:
    files = {(name, column) for name, column, *_ in SCORED}
    return {name: set(pd.read_csv(DATA / name, usecols=[column])[column].dropna().astype(str))
            for name, column in files}


@pytest.mark.parametrize(("file", "column", "title", "label", "compound"), SCORED)
def test_sentiment_of_real_titles(titles_by_file, file, column, title, label, compound):
    assert title in titles_by_file[file]
    found_label, found_compound = sentiment_of(title)
    assert found_label == label
    assert round(found_compound, 4) == compound


def test_standard_thresholds():
    assert [label_of(x) for x in (0.05, 0.0499, 0.0, -0.0499, -0.05, -1.0, 1.0)] == [
        "positive", "neutral", "neutral", "neutral", "negative", "negative", "positive"]


def test_empty_text_is_neutral():
    assert sentiment_of("") == ("neutral", 0.0)


def test_headline_tag_is_scored_on_the_title():
    item = Headline(source="bbc", guid="1", published=utc(2022, 3, 7), fetched=utc(2022, 3, 7),
                    title="Ukraine conflict: Oil price soars to highest level since 2008",
                    summary="Consumers are feeling the impact of higher energy costs as fuel prices and household "
                            "bills jump.")
    assert sentiment_tags(item) == [("sentiment", "negative")]


def test_one_analyzer_created_lazily():
    sentiment._analyzer.cache_clear()
    assert sentiment._analyzer.cache_info().currsize == 0
    sentiment_of("calm")
    first = sentiment._analyzer()
    sentiment_of("war")
    assert sentiment._analyzer() is first
    assert sentiment._analyzer.cache_info().misses == 1
