"""The coder's rules for a pregnancy (ICD-10-CM chapter 15 and Z3-):
- an entry that states a trimester is coded in the pregnancy chapter;
- a supervision code says whether the pregnancy is the first by the gravida the entry states:
  "G1, routine prenatal visit, 10 wks" is Z34.01 "... normal first pregnancy, first trimester",
  "G3P2" Z34.8- "... other normal pregnancy"; an elderly or young primigravida is O09.51- / O09.61-,
  a multigravida O09.52- / O09.62-."""

from __future__ import annotations

import re

import numpy as np

from server.match.implied import WEEK_WORDS
from server.match.normalize import word_set
from server.match.rerank import CLASH_PENALTY, entry_codes, to_twins
from server.systems import ICD10CM

CHAPTER = ("O", "Z3")
WEEKS_OF_GESTATION = "Z3A"
_GESTATIONAL_AGE = WEEK_WORDS | frozenset("gestation gestational pregnancy pregnant at of first second third "
                                          "trimester ga iup".split())
OUTSIDE_CHAPTER = CLASH_PENALTY  # as much as a code that has what the entry is without
_TRIMESTER = re.compile(r"\b(first|second|third|unspecified|1st|2nd|3rd) trimester\b")
_ORDINAL = {"1st": "first", "2nd": "second", "3rd": "third"}

_GRAVIDA = re.compile(r"\bg(\d{1,2})(?:p\d{1,4})?\b|\b(primigravida|primip|nulliparous|(?:first|1st) pregnancy)\b|"
                      r"\b(multigravida|multip|multiparous)\b")
# per family of supervision codes: (the first pregnancy's prefix, a later one's)
_BY_GRAVIDA = {"Z34.0": ("Z34.0", "Z34.8"), "Z34.8": ("Z34.0", "Z34.8"), "Z34.9": ("Z34.0", "Z34.8"),
               "O09.51": ("O09.51", "O09.52"), "O09.52": ("O09.51", "O09.52"),
               "O09.61": ("O09.61", "O09.62"), "O09.62": ("O09.61", "O09.62")}


# a high-risk supervision code of no stated risk gives its place to the age the entry states ("AMA G1"
# reads "elderly": O09.51-)
_HIGH_RISK = ("O09.9", "O09.89")
_AGED = {"O09.51": frozenset({"elderly"}), "O09.61": frozenset({"young"})}


def gravida(text: str) -> int | None:
    """The pregnancy's number the entry states (2 for any later one), None when it states none."""
    match = _GRAVIDA.search(text)
    if not match:
        return None
    if match.group(1):
        return min(int(match.group(1)), 2) or None
    return 1 if match.group(2) else 2


def chapter(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An entry that states a trimester is coded in the pregnancy chapter (O, Z3-): any other code
    scores OUTSIDE_CHAPTER ("GEST HTN 3RD TRI" is not I10), and so does one of another trimester
    than the one it states ("first visit at 30 wks" is no O09.31 "..., first trimester")."""
    if sub.system != ICD10CM:
        return scores
    stated = np.array([any("trimester" in word_set(v.text) for v in q.variants) for q in batch.queries])
    if not stated.any():
        return scores
    codes = [sub.codes[c] for c in batch.cand_concept.tolist()]
    outside = np.array([not code.startswith(CHAPTER) for code in codes])
    # Z3A "weeks of gestation" is an additional code: the main one when the entry says no more
    weeks = np.array([code.startswith(WEEKS_OF_GESTATION) for code in codes])
    more = np.array([any(w not in _GESTATIONAL_AGE and not any(ch.isdigit() for ch in w)
                         for w in word_set(q.variants[0].text)) for q in batch.queries])
    aside = outside | (weeks & more[batch.cand_query])
    for n in np.flatnonzero(stated).tolist():
        said = {_ORDINAL.get(m[1], m[1]) for v in batch.queries[n].variants for m in _TRIMESTER.finditer(v.text)}
        if len(said) != 1:
            continue
        for i in range(int(batch.cand_start[n]), int(batch.cand_start[n + 1])):
            aside[i] |= bool({m[1] for m in _TRIMESTER.finditer(sub.displays[batch.cand_concept[i]].lower())} - said)
    return np.where(stated[batch.cand_query] & aside, scores * OUTSIDE_CHAPTER, scores)


def by_gravida(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A supervision code of the other gravida than the entry states gives its score to its twin of
    the stated one (Z34.91 -> Z34.01 for a G1) and takes the twin's when that is lower."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        number = next((g for g in (gravida(v.text) for v in q.variants) if g), None)
        if number is None:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        said = frozenset().union(*(word_set(v.text) for v in q.variants))
        age = next((k for k, words in _AGED.items() if words & said), None)

        def twin_of(code: str) -> str | None:
            family = next((f for f in _BY_GRAVIDA if code.startswith(f)), None) if code[0] in "OZ" else None
            trimester = code[len(family):] if family else code[-1]
            if age and code.startswith(_HIGH_RISK):  # O09.91 "high risk, unspecified"
                family = age
            return _BY_GRAVIDA[family][number - 1] + trimester if family else None
        to_twins(out, lo, codes, twin_of)
    return out
