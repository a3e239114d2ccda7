"""Geopolitical-risk tagging (pure): the eight categories of the Caldara–Iacoviello GPR index
(AER 2022, Table 1), the paper's query verbatim — the "paper" tagger, kept so that its rules stay
checkable (tests/benchmarks/bench_gpr_tagger.py). Written for whole articles, it tags about 0.5 %
of headlines; the stored 'gpr' tags come from the headline rules of ingest.headline_tags.gpr_headlines, which
share this module's categories and components, and the lexicon files' reading and errors
(ingest.headline_tags.lexicon_files).

The lexicon is data (ingest/lexicons/gpr.toml, read at call time). Each category pairs two word
sets: either a word of one within N words of a word of the other ("near"), or both anywhere in
the text ("and"). A headline mentioning an excluded word (film, anniversary, "price war"…) gets
no category. Terms have the syntax of the configured topics and are matched with the same
helpers (`ingest.headline_tags.tagging.words_of`, `compile_topic`)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.headline_tags.lexicon_files import LexiconError, lexicon_error, lexicon_text, validated_lexicon
from ingest.headline_tags.tagging import compile_topic, words_of
from ingest.records import Headline

TAG_KIND = "gpr"
COMPONENTS = ("threats", "acts")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_KIND = "GPR lexicon"


# --- the lexicon file ---------------------------------------------------------------------------

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Source(_Model):
    citation: str = Field(min_length=1)
    doi: str = Field(min_length=1)
    table: str = Field(min_length=1)
    url: str = Field(min_length=1)


class _Group(_Model):
    paper_name: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1)
    variants: list[str] = []


class _Category(_Model):
    number: int = Field(ge=1)
    label: str = Field(min_length=1)
    component: Literal["threats", "acts"]
    rule: Literal["near", "and"]
    within: int | None = Field(default=None, ge=0)
    groups: tuple[str, str]

    @model_validator(mode="after")
    def _within_goes_with_near(self) -> _Category:
        if self.rule == "near" and self.within is None:
            raise ValueError("rule 'near' needs `within` (the most words allowed between the two)")
        if self.rule == "and" and self.within is not None:
            raise ValueError("`within` only applies to rule 'near'")
        return self


class _LexiconFile(_Model):
    source: _Source
    groups: dict[str, _Group] = Field(min_length=1)
    exclusions: _Group
    categories: dict[str, _Category] = Field(min_length=1)


@dataclass(frozen=True)
class Category:
    """One GPR category: `id` is the tag value (e.g. 'war_threats')."""
    id: str
    number: int
    label: str
    component: str            # 'threats' or 'acts'
    rule: str                 # 'near' or 'and'
    within: int | None        # for 'near': the most words allowed between the two
    groups: tuple[str, str]


class PaperCategories:
    """What both lexicons (the paper's article rules, the headline rules) say of their categories,
    the paper's eight in its order: which are threats, which acts, and their names."""

    categories: tuple

    @property
    def threats(self) -> tuple[str, ...]:
        """Ids of the threat categories (1–5 in the paper)."""
        return tuple(c.id for c in self.categories if c.component == "threats")

    @property
    def acts(self) -> tuple[str, ...]:
        """Ids of the act categories (6–8 in the paper)."""
        return tuple(c.id for c in self.categories if c.component == "acts")

    def labels(self) -> dict[str, str]:
        """Category id -> the paper's name of the category."""
        return {c.id: c.label for c in self.categories}


@dataclass(frozen=True)
class Lexicon(PaperCategories):
    """The parsed lexicon: word sets (paper terms plus listed variants), exclusions and categories
    in the paper's order."""
    source: dict[str, str]
    groups: dict[str, tuple[str, ...]]
    exclusions: tuple[str, ...]
    categories: tuple[Category, ...]

    @property
    def fingerprint(self) -> str:
        """A short hash of everything that decides the tags (not the source notes): store it
        with the tags, and retag when it changes."""
        content = repr((sorted(self.groups.items()), self.exclusions, self.categories))
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def parse_lexicon(text: str, origin: str = "<string>") -> Lexicon:
    """Parse and check a lexicon TOML text; LexiconError (naming the key) if it is malformed."""
    parsed = validated_lexicon(_LexiconFile, text, _KIND, origin)

    def fail(where: str, message: str) -> LexiconError:
        return lexicon_error(_KIND, origin, where, message)

    def terms_of(where: str, group: _Group) -> tuple[str, ...]:
        for key in ("terms", "variants"):
            for index, term in enumerate(getattr(group, key)):
                if not words_of(term):
                    raise fail(f"{where}.{key}[{index}]", f"term {term!r} has no words")
        return tuple(dict.fromkeys([*group.terms, *group.variants]))

    groups = {name: terms_of(f"groups.{name}", group) for name, group in parsed.groups.items()}
    exclusions = terms_of("exclusions", parsed.exclusions)
    numbers: dict[int, str] = {}
    categories = []
    for name, cat in parsed.categories.items():
        if not _CATEGORY_ID.match(name):
            raise fail(f"categories.{name}", "a category id (its tag) must be lower-case letters, digits and _")
        for group in cat.groups:
            if group not in parsed.groups:
                raise fail(f"categories.{name}.groups", f"unknown group {group!r} "
                                                        f"(defined: {', '.join(parsed.groups)})")
        if cat.number in numbers:
            raise fail(f"categories.{name}.number", f"{cat.number} is also the number of {numbers[cat.number]!r}")
        numbers[cat.number] = name
        categories.append(Category(name, cat.number, cat.label, cat.component, cat.rule, cat.within, cat.groups))
    categories.sort(key=lambda c: c.number)
    return Lexicon(source=parsed.source.model_dump(), groups=groups, exclusions=exclusions,
                   categories=tuple(categories))


def load_lexicon(path: str | os.PathLike | None = None) -> Lexicon:
    """Load the lexicon at `path`, else the one shipped in the package (lexicons/gpr.toml)."""
    text, origin = lexicon_text("gpr.toml", path, _KIND)
    return parse_lexicon(text, origin)


# --- tagging ------------------------------------------------------------------------------------

def gpr_words(text: str) -> list[str]:
    """The words the GPR rules count: `words_of`, with a word's apostrophe kept inside it
    ("Iran's" is one word, as a news archive counts it, not "iran" + "s")."""
    return words_of(_APOSTROPHE.sub("", text))


Span = tuple[int, int]   # first and last word index of a match


class GprTagger:
    """Callable giving the ('gpr', category) tags of a headline (title and summary). Remembers
    which word sets each word matches, so most words cost one dictionary look-up."""

    _CACHE_LIMIT = 200_000

    def __init__(self, lexicon: Lexicon | None = None):
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        names = list(self.lexicon.groups)
        self._groups = [compile_topic(name, self.lexicon.groups[name]) for name in names]
        self._groups.append(compile_topic("exclusions", self.lexicon.exclusions))
        self._excluded = len(self._groups) - 1
        index = {name: i for i, name in enumerate(names)}
        self._rules = [(c.id, c.rule, c.within, index[c.groups[0]], index[c.groups[1]])
                       for c in self.lexicon.categories]
        terms = [*(self.lexicon.groups[name] for name in names), self.lexicon.exclusions]
        # a phrase can only occur if its first word does: search a set's phrases only then
        self._phrased = [(i, frozenset(words_of(t)[0] for t in group_terms if len(words_of(t)) > 1))
                         for i, group_terms in enumerate(terms) if self._groups[i].phrases]
        self._by_word: dict[str, tuple[int, ...]] = {}

    def _groups_of_word(self, token: str) -> tuple[int, ...]:
        found = self._by_word.get(token)
        if found is None:
            if len(self._by_word) > self._CACHE_LIMIT:
                self._by_word.clear()
            found = tuple(i for i, g in enumerate(self._groups) if g.matches_word(token))
            self._by_word[token] = found
        return found

    def _spans(self, tokens: list[str]) -> dict[int, list[Span]]:
        spans: dict[int, list[Span]] = {}
        for position, token in enumerate(tokens):
            for group in self._groups_of_word(token):
                spans.setdefault(group, []).append((position, position))
        present = set(tokens)
        joined = None
        for group, firsts in self._phrased:
            if present.isdisjoint(firsts):
                continue
            joined = " ".join(tokens) if joined is None else joined
            for pattern in self._groups[group].phrases:
                for match in pattern.finditer(joined):
                    start = match.start() + (joined[match.start()] == " ")
                    first = joined.count(" ", 0, start)
                    spans.setdefault(group, []).append((first, first + len(match.group().split()) - 1))
        return spans

    def categories_of(self, text: str) -> list[str]:
        """Ids of the GPR categories `text` falls in, in the paper's order ([] if it mentions an
        excluded word)."""
        spans = self._spans(gpr_words(text))
        if self._excluded in spans:
            return []
        found = []
        for name, rule, within, first, second in self._rules:
            a, b = spans.get(first), spans.get(second)
            if a and b and (rule == "and" or _near(a, b, within)):
                found.append(name)
        return found

    def components_of(self, text: str) -> list[str]:
        """'threats' and/or 'acts': the components of the index `text` counts towards."""
        hits = set(self.categories_of(text))
        return [c for c, ids in (("threats", self.lexicon.threats), ("acts", self.lexicon.acts))
                if hits.intersection(ids)]

    def __call__(self, headline: Headline) -> list[tuple[str, str]]:
        text = f"{headline.title}\n{headline.summary or ''}"
        return [(TAG_KIND, name) for name in self.categories_of(text)]


def _near(first: Iterable[Span], second: Iterable[Span], within: int) -> bool:
    """Whether some match of `first` and some other, non-overlapping match of `second` have at
    most `within` words between them, in either order."""
    second = list(second)
    for a0, a1 in first:
        for b0, b1 in second:
            if b0 > a1:
                gap = b0 - a1 - 1
            elif a0 > b1:
                gap = a0 - b1 - 1
            else:
                continue   # the same words: a word needs a partner other than itself
            if gap <= within:
                return True
    return False
