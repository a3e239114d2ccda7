"""Topic tagging (pure): each configured topic is a list of terms — a word, a `prefix*`, or a
phrase of several words — matched case-insensitively as whole words in title and summary.

Text is split into words once; single words are set look-ups, prefixes one `startswith` over
the words, phrases a search in the joined words — fast enough to tag at ingest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.records import Headline

_WORD = re.compile(r"\w+")


def words_of(text: str) -> list[str]:
    """The case-folded words of a text, in order."""
    return _WORD.findall(text.casefold())


@dataclass(frozen=True)
class _CompiledTopic:
    name: str
    words: frozenset[str]
    prefixes: tuple[str, ...]
    phrases: tuple[re.Pattern, ...]

    def matches_word(self, token: str) -> bool:
        return token in self.words or (bool(self.prefixes) and token.startswith(self.prefixes))


def compile_topic(name: str, terms: Iterable[str]) -> _CompiledTopic:
    """Split a topic's terms into words, prefixes and phrases; ValueError for a term without words."""
    words, prefixes, phrases = set(), [], []
    for term in terms:
        parts = words_of(term)
        if not parts:
            raise ValueError(f"topic term {term!r} has no words")
        prefix = term.rstrip().endswith("*")
        if len(parts) == 1:
            (prefixes.append(parts[0]) if prefix else words.add(parts[0]))
        else:
            tail = r"\w*" if prefix else r"(?= |$)"
            phrases.append(re.compile(r"(?:^| )" + re.escape(" ".join(parts)) + tail))
    return _CompiledTopic(name, frozenset(words), tuple(prefixes), tuple(phrases))


class TopicTagger:
    """Callable giving the ('topic', name) tags of a headline. Remembers which topics each word
    matches (words recur across headlines), so most words cost one dictionary look-up."""

    _CACHE_LIMIT = 200_000

    def __init__(self, topics: Iterable):
        self._topics = [compile_topic(topic.name, topic.terms) for topic in topics]
        self._phrased = [i for i, t in enumerate(self._topics) if t.phrases]
        self._by_word: dict[str, tuple[int, ...]] = {}

    def _topics_of_word(self, token: str) -> tuple[int, ...]:
        found = self._by_word.get(token)
        if found is None:
            if len(self._by_word) > self._CACHE_LIMIT:
                self._by_word.clear()
            found = tuple(i for i, t in enumerate(self._topics) if t.matches_word(token))
            self._by_word[token] = found
        return found

    def topics_of(self, text: str) -> list[str]:
        """Names of the topics whose terms occur in `text`, in configuration order."""
        tokens = words_of(text)
        hits: set[int] = set()
        for token in set(tokens):
            hits.update(self._topics_of_word(token))
        missing = [i for i in self._phrased if i not in hits]
        if missing:
            joined = " ".join(tokens)
            hits.update(i for i in missing if any(p.search(joined) for p in self._topics[i].phrases))
        return [self._topics[i].name for i in sorted(hits)]

    def __call__(self, headline: Headline) -> list[tuple[str, str]]:
        return [("topic", name) for name in self.topics_of(f"{headline.title}\n{headline.summary}")]
