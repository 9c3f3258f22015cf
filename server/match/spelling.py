"""Spelling tolerance for words the index has never seen: a truncated word is
completed ("resid" -> "residual", as legacy tables cut them), a misspelled one
is replaced by the closest known word (rapidfuzz, "anxeity" -> "anxiety")."""

from __future__ import annotations

import bisect
from collections import Counter
from functools import lru_cache

from rapidfuzz import fuzz, process

from server.match.normalize import stem

CUTOFF = 85
MIN_LENGTH = 4


class Speller:
    def __init__(self, counts: Counter, known: frozenset[str]) -> None:
        self.words = sorted(w for w in counts if w.isalpha() and len(w) >= MIN_LENGTH)
        self.by_length: dict[int, list[str]] = {}
        for w in self.words:
            self.by_length.setdefault(len(w), []).append(w)
        self.counts = counts
        self.known = known
        self.correct = lru_cache(maxsize=16384)(self._correct)

    def unknown(self, word: str) -> bool:
        return word.isalpha() and len(word) >= MIN_LENGTH and word not in self.known and stem(word) not in self.known

    def _correct(self, word: str) -> tuple[str, str] | None:
        """(replacement, "completion" or "spelling") for an unknown word, else None."""
        if not self.unknown(word):
            return None
        at = bisect.bisect_left(self.words, word)
        completions = []
        while at < len(self.words) and self.words[at].startswith(word):
            completions.append(self.words[at])
            at += 1
        if completions:
            return max(completions, key=lambda w: (self.counts[w], -len(w))), "completion"
        near = process.extract(word, [w for n in range(len(word) - 2, len(word) + 3) for w in self.by_length.get(n, ())],
                               scorer=fuzz.ratio, score_cutoff=CUTOFF, limit=5)
        if not near:
            return None
        best = max(near, key=lambda m: (m[1], self.counts[m[0]]))
        return best[0], "spelling"
