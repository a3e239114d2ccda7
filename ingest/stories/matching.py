"""When two headlines tell the same story (pure): they were published within a window of each
other, share at least `min_shared` content words (ingest.stories.titles), and their content words
score at least `min_score` on rapidfuzz's token-set ratio, which is 100 when one title's words are
all in the other's and falls as the words they do not share grow. Candidates are found by one
sparse product of word-incidence matrices (scipy), so only pairs that share words are scored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse


@dataclass(frozen=True)
class StoryRule:
    """The rule two headlines of one story meet. `window_seconds`: how far apart in time;
    `min_shared`: content words in common; `min_score`: token-set ratio of their content words
    (0-100)."""

    window_seconds: int = 2 * 86400
    min_shared: int = 3
    min_score: float = 80.0

    def __post_init__(self):
        if self.window_seconds <= 0 or self.min_shared < 1 or not 0 <= self.min_score <= 100:
            raise ValueError(f"a story rule needs a positive window, min_shared >= 1 and a score in "
                             f"0..100, got {self}")


def words_key(words: frozenset[str]) -> str:
    """The content words as one string, sorted (what rapidfuzz compares)."""
    return " ".join(sorted(words))


def incidence(word_sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """A 0/1 matrix, one row per word set, one column per word of `vocabulary` (extended in place)."""
    indptr, indices = [0], []
    for words in word_sets:
        indices.extend(vocabulary.setdefault(w, len(vocabulary)) for w in words)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(word_sets), max(len(vocabulary), 1)))


def pairs_sharing(a: sparse.csr_matrix, b: sparse.csr_matrix,
                  min_shared: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, shared) of the rows of two incidence matrices over one vocabulary sharing at least
    `min_shared` words."""
    product = (a @ b.T).tocoo()
    keep = product.data >= min_shared
    return product.row[keep], product.col[keep], product.data[keep]


def pair_scores(left: Sequence[str], right: Sequence[str], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """rapidfuzz's token-set ratio of each pair (left[i], right[j]) of word keys (words_key), in
    one call (process.cpdist)."""
    if len(i) == 0:
        return np.zeros(0)
    return process.cpdist([left[a] for a in i.tolist()], [right[b] for b in j.tolist()],
                          scorer=fuzz.token_set_ratio, dtype=np.float64)


def same_story(a: frozenset[str], b: frozenset[str], rule: StoryRule) -> bool:
    """Whether two titles' content words meet the rule (times aside)."""
    return len(a & b) >= rule.min_shared and fuzz.token_set_ratio(words_key(a), words_key(b)) >= rule.min_score
