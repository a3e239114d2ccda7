"""Geopolitical-risk tagging of headlines (pure): the eight Caldara–Iacoviello categories (the
paper's numbers, names and threats/acts split, as in ingest.headline_tags.gpr) found by rules written for short
titles rather than whole articles.

The rules are data (ingest/lexicons/gpr_headlines.toml, read at call time by
ingest.headline_tags.gpr_headline_lexicon; its header explains them): word sets ("groups"), phrases whose words
count for nothing ("masks": "gang war", "conflict of interest"), words that drop a text
("vetoes": films, sport, anniversaries), and per category a list of rules, each holding when all
its groups occur, an optional pair of them occurs within N words, and none of its `unless` groups
occurs. The title is one text and each sentence
of the summary another; a headline's categories are the union of theirs.

ingest.headline_tags.gpr's `GprTagger` (the paper's query verbatim) stays available to check the paper's rules;
the stored 'gpr' tags come from `HeadlineGprTagger`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.headline_tags.gpr import TAG_KIND, PaperCategories
from ingest.headline_tags.gpr_headline_lexicon import HeadlineLexicon, Rule, load_headline_lexicon
from ingest.records import Headline

KINDS = ("threat", "act", "both", "none")
_WORD = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"(?<=\w)['’](?:s|S)\b")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_BLANK = "\x00"              # a masked word: matches no term

Span = tuple[int, int]       # first and last word index of a match


def headline_words(text: str) -> list[str]:
    """The words of a text with their case kept: a possessive 's dropped ("Iran's" -> "Iran"),
    other apostrophes joined ("don't" -> "dont"), punctuation splitting words ("U.S." -> "U", "S")."""
    return _WORD.findall(_APOSTROPHE.sub("", _POSSESSIVE.sub("", text)))


def text_units(title: str, summary: str | None = None) -> list[str]:
    """The texts the rules read one by one: the title, then each sentence of the summary."""
    units = [title or ""]
    if summary and summary.strip():
        units.extend(part for part in _SENTENCE_END.split(summary.strip()) if part.strip())
    return units


class _Matcher:
    """Spans of a list of terms in a list of words: single words by set look-up, prefixes by one
    `startswith`, phrases by a search of the joined words (only when their first word occurs)."""

    def __init__(self, terms: Sequence[str], fold: bool):
        self.words: set[str] = set()
        prefixes: list[str] = []
        self.phrases: list[tuple[str, re.Pattern]] = []
        for term in terms:
            parts = _WORD.findall(term.casefold() if fold else term)
            prefix = term.rstrip().endswith("*")
            if len(parts) == 1:
                (prefixes.append(parts[0]) if prefix else self.words.add(parts[0]))
            else:
                tail = r"\w*" if prefix else r"(?= |$)"
                self.phrases.append((parts[0], re.compile(r"(?:^| )" + re.escape(" ".join(parts)) + tail)))
        self.prefixes = tuple(prefixes)

    def matches_word(self, token: str) -> bool:
        return token in self.words or (bool(self.prefixes) and token.startswith(self.prefixes))

    def spans(self, tokens: list[str], present: set[str], joined: str) -> list[Span]:
        found = [(i, i) for i, token in enumerate(tokens) if self.matches_word(token)]
        for first, pattern in self.phrases:
            if first not in present:
                continue
            for match in pattern.finditer(joined):
                start = match.start() + (joined[match.start()] == " ")
                index = joined.count(" ", 0, start)
                found.append((index, index + len(match.group().split()) - 1))
        return found


class HeadlineGprTagger:
    """Callable giving the ('gpr', category) tags of a headline from the headline rules; also
    `categories_of(title, summary)` and `kind_of(title, summary)` (threat, act, both, none)."""

    def __init__(self, lexicon: HeadlineLexicon | None = None):
        self.lexicon = lexicon if lexicon is not None else load_headline_lexicon()
        lex = self.lexicon
        self._masks = _Matcher(lex.masks, fold=True)
        self._vetoes = _Matcher(lex.vetoes, fold=True)
        used = {g for c in lex.categories for r in c.rules for g in (*r.all, *(r.near or ()), *r.unless)}
        self._groups = {name: _Matcher(lex.groups[name], fold=True) for name in sorted(used)}
        self._cased = {name: _Matcher(lex.cased[name], fold=False) for name in sorted(used) if lex.cased[name]}

    # one text ---------------------------------------------------------------------------------

    def _unit_categories(self, text: str) -> list[str]:
        original = headline_words(text)
        if not original:
            return []
        tokens = [t.casefold() for t in original]
        joined = " ".join(tokens)
        present = set(tokens)
        for first, last in self._masks.spans(tokens, present, joined):
            for i in range(first, last + 1):
                tokens[i] = original[i] = _BLANK
        joined, present = " ".join(tokens), set(tokens)
        if self._vetoes.spans(tokens, present, joined):
            return []
        spans = {name: matcher.spans(tokens, present, joined) for name, matcher in self._groups.items()}
        shouting = not any(ch.islower() for ch in text)     # "US" in an all-capitals title may be "us"
        if not shouting and self._cased:
            cased_joined, cased_present = " ".join(original), set(original)
            for name, matcher in self._cased.items():
                spans[name] = spans[name] + matcher.spans(original, cased_present, cased_joined)
        words = {name: [(s, " ".join(tokens[s[0]:s[1] + 1])) for s in found] for name, found in spans.items()}
        found: list[str] = []
        fallback: list[str] = []
        for category in self.lexicon.categories:
            for rule in category.rules:
                if _holds(rule, words):
                    (fallback if rule.fallback else found).append(category.id)
                    break
        return found or fallback     # each category once, in the lexicon's (the paper's) order

    # a headline -------------------------------------------------------------------------------

    def categories_of(self, title: str, summary: str | None = None) -> list[str]:
        """Ids of the categories of a headline (title, and each sentence of its summary), in the
        paper's order."""
        if not isinstance(title, str):
            raise TypeError(f"title must be a string, got {type(title).__name__}")
        found: set[str] = set()
        for unit in text_units(title, summary):
            found.update(self._unit_categories(unit))
        return [c.id for c in self.lexicon.categories if c.id in found]

    def kind_of(self, title: str, summary: str | None = None) -> str:
        """'threat' (categories 1–5 only), 'act' (6–8 only), 'both' or 'none'."""
        return kind_of_categories(self.categories_of(title, summary), self.lexicon)

    def __call__(self, headline: Headline) -> list[tuple[str, str]]:
        return [(TAG_KIND, name) for name in self.categories_of(headline.title, headline.summary)]


def kind_of_categories(categories: Sequence[str], lexicon: PaperCategories) -> str:
    """'threat', 'act', 'both' or 'none' for a list of category ids (a headline's, or all a story's
    copies' together: ingest.stories.importance)."""
    threat = bool(set(categories) & set(lexicon.threats))
    act = bool(set(categories) & set(lexicon.acts))
    return "both" if threat and act else "threat" if threat else "act" if act else "none"


def _holds(rule: Rule, words: dict[str, list[tuple[Span, str]]]) -> bool:
    """Whether the rule holds given each group's matches (span, matched words)."""
    if any(words[name] for name in rule.unless):
        return False
    needed = list(rule.all)
    if any(not words[name] for name in needed):
        return False
    if rule.near is None:
        return _assign(needed, words, [])
    first, second = rule.near
    for a in words[first]:
        for b in words[second]:
            if _overlap(a[0], b[0]) or (rule.ordered and b[0][0] < a[0][1]):
                continue
            gap = b[0][0] - a[0][1] - 1 if b[0][0] > a[0][1] else a[0][0] - b[0][1] - 1
            if gap <= rule.within and _assign(needed, words, [(first, *a), (second, *b)]):
                return True
    return False


def _overlap(a: Span, b: Span) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _assign(needed: list[str], words: dict[str, list[tuple[Span, str]]], taken: list[tuple[str, Span, str]]) -> bool:
    """Whether each needed group can get a match of its own: no two matches share a word, and a
    group needed twice gets two different words."""
    if not needed:
        return True
    name, rest = needed[0], needed[1:]
    for span, text in words[name]:
        if any(_overlap(span, other) for _, other, _ in taken):
            continue
        if any(group == name and other == text for group, _, other in taken):
            continue
        if _assign(rest, words, [*taken, (name, span, text)]):
            return True
    return False
