"""The headline rules' lexicon (lexicons/gpr_headlines.toml) read and checked into a
`HeadlineLexicon` (groups, masks, vetoes, each category's rules) for ingest.headline_tags.gpr_headlines to match."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.headline_tags.gpr import PaperCategories, load_lexicon
from ingest.headline_tags.lexicon_files import LexiconError, lexicon_error, lexicon_text, validated_lexicon
from ingest.headline_tags.tagging import words_of

_GROUP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KIND = "GPR headline lexicon"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Source(_Model):
    description: str = Field(min_length=1)
    based_on: str = Field(min_length=1)


class _Terms(_Model):
    terms: list[str] = Field(min_length=1)


class _Group(_Model):
    terms: list[str] = []
    cased: list[str] = []
    include: list[str] = []


class _Rule(_Model):
    all: list[str] = []
    near: tuple[str, str] | None = None
    within: int | None = Field(default=None, ge=0)
    ordered: bool = False
    unless: list[str] = []
    fallback: bool = False

    @model_validator(mode="after")
    def _shape(self) -> _Rule:
        if not self.all and self.near is None:
            raise ValueError("a rule needs `all` or `near`")
        if (self.near is None) != (self.within is None):
            raise ValueError("`near` and `within` go together")
        if self.ordered and self.near is None:
            raise ValueError("`ordered` only applies to `near`")
        return self


class _Category(_Model):
    number: int = Field(ge=1)
    label: str = Field(min_length=1)
    component: str
    rules: list[_Rule] = Field(min_length=1)


class _LexiconFile(_Model):
    source: _Source
    masks: _Terms
    vetoes: _Terms
    groups: dict[str, _Group] = Field(min_length=1)
    categories: dict[str, _Category] = Field(min_length=1)


@dataclass(frozen=True)
class Rule:
    """One way into a category: every group of `all` (a group listed twice: two different words),
    the pair `near` at most `within` words apart (`ordered`: the first before the second), none of
    `unless`; a `fallback` rule holds only when no other category's rule does."""
    all: tuple[str, ...]
    near: tuple[str, str] | None
    within: int | None
    ordered: bool
    unless: tuple[str, ...]
    fallback: bool


@dataclass(frozen=True)
class Category:
    """One of the paper's eight categories with its headline rules; `id` is the tag value."""
    id: str
    number: int
    label: str
    component: str            # 'threats' or 'acts'
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class HeadlineLexicon(PaperCategories):
    """The parsed headline lexicon: groups (their own terms plus included groups'), case-sensitive
    terms, masks, vetoes and the categories in the paper's order."""
    source: dict[str, str]
    groups: dict[str, tuple[str, ...]]
    cased: dict[str, tuple[str, ...]]
    masks: tuple[str, ...]
    vetoes: tuple[str, ...]
    categories: tuple[Category, ...]

    @property
    def fingerprint(self) -> str:
        """A short hash of everything that decides the tags: retag when it changes."""
        content = repr((sorted(self.groups.items()), sorted(self.cased.items()), self.masks, self.vetoes,
                        self.categories))
        return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def parse_headline_lexicon(text: str, origin: str = "<string>") -> HeadlineLexicon:
    """Parse and check a headline lexicon TOML text; LexiconError (one line naming the key) if it
    is malformed. Its categories must be the paper's eight (ids, numbers, components of gpr.toml)."""
    parsed = validated_lexicon(_LexiconFile, text, _KIND, origin)

    def fail(where: str, message: str) -> LexiconError:
        return lexicon_error(_KIND, origin, where, message)

    def checked(where: str, terms: Sequence[str]) -> tuple[str, ...]:
        for index, term in enumerate(terms):
            if not words_of(term):
                raise fail(f"{where}[{index}]", f"term {term!r} has no words")
            if "*" in term.rstrip()[:-1]:
                raise fail(f"{where}[{index}]", f"term {term!r}: only its last word may end in * (a prefix)")
        return tuple(dict.fromkeys(terms))

    names = list(parsed.groups)
    for name, group in parsed.groups.items():
        if not _GROUP_NAME.match(name):
            raise fail(f"groups.{name}", "a group name must be lower-case letters, digits and _")
        if not (group.terms or group.cased or group.include):
            raise fail(f"groups.{name}", "a group needs `terms`, `cased` or `include`")
        for index, other in enumerate(group.include):
            if other not in parsed.groups:
                raise fail(f"groups.{name}.include[{index}]", f"unknown group {other!r}")

    def resolve(name: str, key: str, seen: tuple[str, ...]) -> tuple[str, ...]:
        if name in seen:
            raise fail(f"groups.{seen[0]}.include", f"includes itself through {' -> '.join((*seen, name))}")
        group = parsed.groups[name]
        own = checked(f"groups.{name}.{key}", getattr(group, key))
        for other in group.include:
            own += resolve(other, key, (*seen, name))
        return tuple(dict.fromkeys(own))

    groups = {name: resolve(name, "terms", ()) for name in names}
    cased = {name: resolve(name, "cased", ()) for name in names}

    paper = {c.id: c for c in load_lexicon().categories}
    categories = []
    for cat_id, cat in parsed.categories.items():
        where = f"categories.{cat_id}"
        expected = paper.get(cat_id)
        if expected is None:
            raise fail(where, f"not a category of the paper (known: {', '.join(paper)})")
        if (cat.number, cat.component) != (expected.number, expected.component):
            raise fail(where, f"the paper's category {cat_id} is number {expected.number}, "
                              f"component {expected.component!r}")
        rules = []
        for index, rule in enumerate(cat.rules):
            for key in ("all", "near", "unless"):
                for position, group in enumerate(getattr(rule, key) or ()):
                    if group not in parsed.groups:
                        raise fail(f"{where}.rules[{index}].{key}[{position}]", f"unknown group {group!r}")
            rules.append(Rule(tuple(rule.all), rule.near, rule.within, rule.ordered, tuple(rule.unless),
                              rule.fallback))
        categories.append(Category(cat_id, cat.number, cat.label, cat.component, tuple(rules)))
    missing = [c for c in paper if c not in parsed.categories]
    if missing:
        raise fail("categories", f"missing the paper's {', '.join(missing)}")
    categories.sort(key=lambda c: c.number)
    return HeadlineLexicon(source=parsed.source.model_dump(), groups=groups, cased=cased,
                           masks=checked("masks.terms", parsed.masks.terms),
                           vetoes=checked("vetoes.terms", parsed.vetoes.terms), categories=tuple(categories))


def load_headline_lexicon(path: str | os.PathLike | None = None) -> HeadlineLexicon:
    """Load the lexicon at `path`, else the one shipped in the package (lexicons/gpr_headlines.toml;
    parsed once per process: every store write scores stories with it, and parsing costs ~30 ms)."""
    if path is None:
        return _shipped_lexicon()
    text, origin = lexicon_text("gpr_headlines.toml", path, _KIND)
    return parse_headline_lexicon(text, origin)


@lru_cache(maxsize=1)
def _shipped_lexicon() -> HeadlineLexicon:
    text, origin = lexicon_text("gpr_headlines.toml", None, _KIND)
    return parse_headline_lexicon(text, origin)
