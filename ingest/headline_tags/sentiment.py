"""Headline sentiment with VADER (vaderSentiment ships its lexicon; works offline).

`sentiment_of(text)` gives a label and VADER's compound score in [-1, 1], labelled with the
thresholds VADER's authors recommend: compound >= 0.05 positive, <= -0.05 negative, else
neutral. One analyzer is created on first use (it reads the lexicon file), never at import."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from ingest.records import Headline

TAG_KIND = "sentiment"
LABELS = ("negative", "neutral", "positive")
THRESHOLD = 0.05

Label = Literal["negative", "neutral", "positive"]


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    return SentimentIntensityAnalyzer()


def label_of(compound: float) -> Label:
    """The label of a compound score, with VADER's standard ±0.05 thresholds."""
    if compound >= THRESHOLD:
        return "positive"
    if compound <= -THRESHOLD:
        return "negative"
    return "neutral"


def sentiment_of(text: str) -> tuple[Label, float]:
    """(label, compound) of `text`; the compound is VADER's, rounded by it to 4 decimals."""
    compound = float(_analyzer().polarity_scores(text or "")["compound"])
    return label_of(compound), compound


def sentiment_tags(headline: Headline) -> list[tuple[str, str]]:
    """The ('sentiment', label) tag of a headline, scored on its title: the one text every feed
    has (summaries are missing or long HTML in many), and the short kind VADER was tuned on."""
    return [(TAG_KIND, sentiment_of(headline.title)[0])]
