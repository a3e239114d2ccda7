"""Topic tagging (pure): each configured topic is a list of terms — a word, a `prefix*`, or a
phrase of several words — matched case-insensitively as whole words in title and summary."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.sources.base import Headline


def term_pattern(term: str) -> str:
    """The regex for one term: words in order separated by any non-word run; '*' = prefix."""
    prefix = term.rstrip().endswith("*")
    words = re.findall(r"\w+", term)
    if not words:
        raise ValueError(f"topic term {term!r} has no words")
    body = r"\W+".join(re.escape(w) for w in words)
    tail = r"\w*" if prefix else r"(?!\w)"
    return r"(?<!\w)" + body + tail


class TopicTagger:
    """Callable giving the ('topic', name) tags of a headline."""

    def __init__(self, topics: Iterable):
        self._patterns = [
            (topic.name, re.compile("|".join(term_pattern(t) for t in topic.terms), re.IGNORECASE))
            for topic in topics
        ]

    def topics_of(self, text: str) -> list[str]:
        """Names of the topics whose terms occur in `text`, in configuration order."""
        return [name for name, pattern in self._patterns if pattern.search(text)]

    def __call__(self, headline: Headline) -> list[tuple[str, str]]:
        text = f"{headline.title}\n{headline.summary}"
        return [("topic", name) for name in self.topics_of(text)]
