"""Spelling tolerance for words the index has never seen: a truncated word is
completed ("resid" -> "residual", as legacy tables cut them), a misspelled one
is replaced by the closest known word (rapidfuzz, "anxeity" -> "anxiety"), a joined one
by the hyphenated word the index has ("preeclampsia" -> "pre-eclampsia").

Before rapidfuzz compares a word with every known word of about its length, the
letter counts rule out those that cannot reach the cutoff: fuzz.ratio is
100 * (1 - indel / (a + b)) and indel >= a + b - 2 * (letters in common)."""

from __future__ import annotations

import bisect
from collections import Counter
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from server.match.normalize import stem

CUTOFF = 85
MIN_LENGTH = 4
RARE = 1  # a misspelling is not corrected into a word the index has only this often ("fluctuant" is no "fluctuans")
SPREAD = 2  # known words compared with an unknown one: this much shorter or longer at most


def _letter_counts(words: list[str]) -> np.ndarray:
    """Per word, how often each of a-z occurs (any other character in one last column)."""
    letters = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) - 97
    letters[(letters < 0) | (letters > 25)] = 26
    owner = np.repeat(np.arange(len(words)), [len(w) for w in words])
    return np.bincount(owner * 27 + letters, minlength=len(words) * 27).reshape(len(words), 27)


def _other_forms(word: str) -> list[str]:
    """A verb's other forms of a third person's ("hears": hearing, heard): a word the index has that way
    is no misspelling ("hears voices" is not "ears voices")."""
    if not word.endswith("s") or len(word) <= MIN_LENGTH:
        return []
    bases = [word[:-1]] + ([word[:-2]] if word.endswith("es") else [])
    return [b + ending for b in bases for ending in ("ing", "ed", "d")]


class Speller:
    def __init__(self, counts: Counter, known: frozenset[str]) -> None:
        self.words = sorted(w for w in counts if w.isalpha() and len(w) >= MIN_LENGTH)
        self.by_length: dict[int, list[str]] = {}
        for w in self.words:
            self.by_length.setdefault(len(w), []).append(w)
        self.counts = counts
        self.known = known
        self.joined: dict[str, str] = {}  # "preeclampsia" -> "pre-eclampsia", the most frequent hyphenation
        for w in sorted((w for w in counts if "-" in w), key=lambda w: -counts[w]):
            if w.replace("-", "").isalpha():
                self.joined.setdefault(w.replace("-", ""), w)
        self.correct = lru_cache(maxsize=16384)(self._correct)
        self._windows: dict[int, tuple[list[str], np.ndarray, np.ndarray]] = {}

    def _window(self, length: int) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(known words of length +- SPREAD in the order compared, their letter counts - a row per
        letter -, lengths)."""
        found = self._windows.get(length)
        if found is None:
            words = [w for n in range(length - SPREAD, length + SPREAD + 1) for w in self.by_length.get(n, ())]
            found = self._windows[length] = (words, np.ascontiguousarray(_letter_counts(words).astype(np.int16).T),
                                             np.array([len(w) for w in words], dtype=np.int64))
        return found

    def _near(self, word: str) -> list[str]:
        """Known words that might be within CUTOFF of `word`, in the order compared."""
        words, letters, lengths = self._window(len(word))
        counts = Counter(c - 97 if 97 <= c <= 122 else 26 for c in map(ord, word))  # as _letter_counts
        has = sorted(counts)  # the letters it lacks are in common with none
        common = np.minimum(letters[has], np.array([counts[c] for c in has], dtype=np.int16)[:, None]).sum(
            axis=0, dtype=np.int32)
        total = lengths + len(word)
        # ratio >= CUTOFF needs indel <= (1 - CUTOFF/100) * total; indel >= total - 2 * common
        possible = (total - 2 * common) * 100 <= (100 - CUTOFF) * total + 1
        return [words[i] for i in np.flatnonzero(possible).tolist()]

    def known_word(self, word: str) -> bool:
        return word in self.known or stem(word) in self.known or any(f in self.known for f in _other_forms(word))

    def unknown(self, word: str) -> bool:
        return word.isalpha() and len(word) >= MIN_LENGTH and not self.known_word(word)

    def _correct(self, word: str) -> tuple[str, str] | None:
        """(replacement, "completion" or "spelling") for an unknown word, else None."""
        if not self.unknown(word):
            return None
        if word in self.joined:
            return self.joined[word], "spelling"
        at = bisect.bisect_left(self.words, word)
        completions = []
        while at < len(self.words) and self.words[at].startswith(word):
            completions.append(self.words[at])
            at += 1
        if completions:
            return max(completions, key=lambda w: (self.counts[w], -len(w))), "completion"
        near = [m for m in process.extract(word, self._near(word), scorer=fuzz.ratio, score_cutoff=CUTOFF, limit=5)
                if self.counts[m[0]] > RARE]
        if not near:
            return None
        best = max(near, key=lambda m: (m[1], self.counts[m[0]]))
        return best[0], "spelling"
