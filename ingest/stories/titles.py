"""A headline's content words, the unit two titles are compared by (pure): the title folded to
lower case without accents, split into words, function words dropped, and each word stemmed with
the Snowball stemmer (English, or Russian for a Cyrillic word), so "strikes", "striking" and
"strike" count as one word and a rephrased title still shares its words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Function words and the reporting verbs every outlet uses; they say nothing about which story
# a title tells. Short on purpose: a content word wrongly dropped costs recall everywhere.
STOP_WORDS = frozenset("""
a an the of to in on for and or at by with from as is are was were be been being it its this that
these those after over into about amid against before during under up out off than then there
their they he she his her we our you your i me my not no but if so do does did has have had will
would can could may might must shall should says say said tells told new news live latest update
updates watch video photos what why how who when where which
и в во не на с со что как а к по из за от у о об для до же ли бы это против после при над под между через без
""".split())


@lru_cache(maxsize=2)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A word's Snowball stem (Russian for a Cyrillic word, else English); cached, as headlines
    repeat a small vocabulary and the stemmer is pure Python."""
    return _stemmer("russian" if _CYRILLIC.search(word) else "english").stemWord(word)


@lru_cache(maxsize=100_000)
def content_words(title: str) -> frozenset[str]:
    """The stemmed content words of a title (an empty set for a title of function words only);
    cached, as every write compares its new headlines with the same days of stored titles."""
    folded = title.casefold()
    if not folded.isascii():
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    words = [w for w in _WORD.findall(folded)
             if len(w) > 1 and w not in STOP_WORDS and not w.isdigit()]
    return frozenset(stem(w) for w in words)
