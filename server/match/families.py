"""ICD-10-CM code families for candidate generation: a retrieved code's more
specific relatives (laterality, site, trimester, episode of care) are often not
retrieved themselves, because the words that tell them apart ("right", "knee",
"third trimester", "initial encounter") are too common to retrieve by. A code's
family is every offered code under its parent (M17.9 -> M17.*; S93.409A ->
S93.40*); each family member is scored by how much of the entry's word weight
its terms cover (IDF within the system), all pairs of a batch at once."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MAX_FAMILY = 48  # a family larger than this (S72.*: 156 codes) is not searched


def stem(code: str) -> str:
    """The code without its dot, 7th character and placeholder X's: S16.1XXA -> S161."""
    plain = code.replace(".", "")
    return (plain[:6] if len(plain) == 7 else plain).rstrip("X")


@dataclass
class Families:
    start: np.ndarray  # per concept: first row of its family in `members` (+ end), empty when none
    members: np.ndarray  # concept ids, family by family
    words: sp.csr_matrix  # concept x word: IDF of every word of any of its terms
    n_words: np.ndarray  # per concept: how many distinct words its terms have
    keys: np.ndarray  # concept * width + word of every stored value of `words`, ascending

    @classmethod
    def build(cls, codes: list[str], term_concept: np.ndarray, word: sp.csr_matrix) -> "Families":
        stems = [stem(c) for c in codes]
        order = sorted(range(len(codes)), key=lambda i: (stems[i], codes[i]))
        ordered = [stems[i] for i in order]
        groups: dict[str, list[int]] = {}
        sizes = []
        for s in stems:
            prefix = s[:-1] if len(s) > 3 else ""
            if prefix and prefix not in groups:
                lo, hi = bisect.bisect_left(ordered, prefix), bisect.bisect_left(ordered, prefix + "\x7f")
                groups[prefix] = order[lo:hi] if 1 < hi - lo <= MAX_FAMILY else []
            sizes.append(groups[prefix] if prefix else [])
        start = np.concatenate([[0], np.cumsum([len(g) for g in sizes])]).astype(np.int64)
        members = np.array([c for g in sizes for c in g], dtype=np.int64)
        owner = sp.csr_matrix((np.ones(len(term_concept), dtype=np.float32),
                               (term_concept, np.arange(len(term_concept)))), shape=(len(codes), word.shape[0]))
        present = word.copy()
        present.data[:] = 1
        words = (owner @ present).tocsr()
        df = np.bincount(present.indices, minlength=word.shape[1])
        idf = np.log((1 + word.shape[0]) / (1 + df)).astype(np.float32) + 1
        words.data = idf[words.indices]
        words.sort_indices()
        return cls(start, members, words, np.diff(words.indptr), _keys(words, np.int64(words.shape[1])))

    def coverage(self, entry: np.ndarray, concept: np.ndarray, seed: np.ndarray,
                 entry_words: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Per (entry, concept, seed) triple: the IDF weight of the entry's words that the concept's
        terms have, and of those the seed's terms lack; entry_words is entries x words with sorted
        indices (any stored value means present)."""
        if not len(entry) or not entry_words.nnz:
            return np.zeros(len(entry), dtype=np.float32), np.zeros(len(entry), dtype=np.float32)
        part = self.words[concept]
        lengths = np.diff(part.indptr)
        width = np.int64(self.words.shape[1])
        hit = _contains(entry_words, np.repeat(entry.astype(np.int64), lengths), part.indices, width)
        new = hit & ~_member(self.keys, np.repeat(seed.astype(np.int64), lengths) * width + part.indices)
        group = np.repeat(np.arange(len(entry)), lengths)
        weight = part.data.astype(np.float64)
        return (np.bincount(group, weights=weight * hit, minlength=len(entry)).astype(np.float32),
                np.bincount(group, weights=weight * new, minlength=len(entry)).astype(np.float32))


def _keys(matrix: sp.csr_matrix, width: np.int64) -> np.ndarray:
    """row * width + column of every stored value, ascending (indices must be sorted)."""
    return np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr)) * width + matrix.indices


def _member(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    if not len(keys):
        return np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return keys[at] == wanted


def _contains(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, width: np.int64) -> np.ndarray:
    return _member(_keys(matrix, width), rows * width + cols)
