"""The coder's rules for a pregnancy (ICD-10-CM chapter 15 and Z3-):
- an entry that states a trimester is coded in the pregnancy chapter;
- a supervision code says whether the pregnancy is the first by the gravida the entry states:
  "G1, routine prenatal visit, 10 wks" is Z34.01 "... normal first pregnancy, first trimester",
  "G3P2" Z34.8- "... other normal pregnancy"; an elderly or young primigravida is O09.51- / O09.61-,
  a multigravida O09.52- / O09.62-, when the entry states the age ("AMA", "38yo"): else Z34.-;
- a pregnancy to come is none ("planning pregnancy, preconception counseling": no O code);
- a condition within six weeks of delivery is one of the puerperium ("Anemia, PP" is O90.81)."""

from __future__ import annotations

import re

import numpy as np

from server.match.implied import WEEK_WORDS, gestational_weeks, none_now, trimester
from server.match.normalize import word_set
from server.match.rerank import CLASH_PENALTY, entry_codes, to_twin, to_twins
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
_OF_AGE = ("O09.51", "O09.52", "O09.61", "O09.62")  # elderly or young: only of a stated age
_AGE = re.compile(r"\b(\d{2})\s*(?:yo|y/o|yrs? old|years? old|-year-old|y)\b|\bage (\d{2})\b")
ELDERLY_FROM, YOUNG_UNDER = 35, 16


def _stated_age(text: str) -> str | None:
    """The supervision family an age the entry states in years calls for: O09.51 (35 or more), O09.61
    (under 16), Z34.0 (neither); None when it states none."""
    m = _AGE.search(text)
    if not m:
        return None
    years = int(m[1] or m[2])
    return "O09.51" if years >= ELDERLY_FROM else "O09.61" if years < YOUNG_UNDER else "Z34.0"


def gravida(text: str) -> int | None:
    """The pregnancy's number the entry states (2 for any later one), None when it states none."""
    match = _GRAVIDA.search(text)
    if not match:
        return None
    if match.group(1):
        return min(int(match.group(1)), 2) or None
    return 1 if match.group(2) else 2


_PLANNED = re.compile(r"\b(planning|plans|plan|trying|wants|hoping|hopes)\b(?: \S+){0,3}? "
                      r"(pregnancy|pregnant|conceive)\b|\bpre-?conception\b")
NOT_PREGNANT = 0.05  # below CLASH_PENALTY: no code of the chapter stays ahead of the condition itself


def planned(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An entry that speaks of a pregnancy to come ("planning pregnancy -- preconception counseling"),
    or of none now (none_now), is of no pregnancy: a code of the chapter scores NOT_PREGNANT."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        to_come = any(_PLANNED.search(v.text) for v in q.variants) and not any(
            "trimester" in word_set(v.text) for v in q.variants)
        if to_come or any(none_now(v.text) for v in q.variants):
            lo, hi, codes = entry_codes(batch, sub, n)
            for i, code in enumerate(codes):
                if code.startswith(("O", "Z33", "Z34", "Z3A")):
                    out[lo + i] *= NOT_PREGNANT
    return out


# a condition of another chapter complicating a pregnancy: (first code, last code, its O99 subcategory)
_COMPLICATING = (("D50", "D64", "O99.01"), ("D65", "D89", "O99.11"), ("E00", "E07", "O99.28"),
                 ("E15", "E89", "O99.28"), ("F01", "F09", "O99.34"), ("F10", "F10", "O99.31"),
                 ("F11", "F16", "O99.32"), ("F17", "F17", "O99.33"), ("F18", "F19", "O99.32"),
                 ("F20", "F99", "O99.34"), ("G00", "G99", "O99.35"), ("I00", "I09", "O99.41"),
                 ("I20", "I99", "O99.41"), ("J00", "J99", "O99.51"), ("K00", "K95", "O99.61"),
                 ("L00", "L99", "O99.71"), ("I10", "I10", "O10.01"))  # and a pre-existing hypertension, O10.01-
# an abuse of a pregnant patient, confirmed or suspected (T74.-, T76.-): O9A.3- physical, O9A.4- sexual, O9A.5-
# psychological ("20 wks, FOB pushed her into a wall": O9A.312)
_ABUSE = tuple((f"{c}.{kind}", f"{c}.{kind}", f"O9A.{kind + 2}1") for c in ("T74", "T76") for kind in (1, 2, 3))
_TRIMESTER_DIGIT = {"first": "1", "second": "2", "third": "3"}
PUERPERIUM = "puerperium"
_SIXTH_CHARACTER = frozenset("O99.28 O99.31 O99.32 O99.33 O99.34 O99.35".split())  # O99.345; else O99.03, O99.53
COMPLICATING_SEEDS = 3  # the best candidates whose pregnancy-chapter twin is a candidate too


def stated_trimester(query) -> str | None:
    """The one trimester an entry's readings state ("first", "second", "third"), else None."""
    said = {_ORDINAL.get(m[1], m[1]) for v in query.variants for m in _TRIMESTER.finditer(v.text)} - {"unspecified"}
    return next(iter(said)) if len(said) == 1 and not any(none_now(v.text) for v in query.variants) else None


def complicating(code: str, trimester_said: str) -> str | None:
    """The O99 code (O9A for an abuse, O10.01- for a pre-existing hypertension) of a condition of another
    chapter complicating a pregnancy in the trimester said
    ("Iron deficiency anemia at 28 wks": D50.9 -> O99.013 "Anemia complicating pregnancy, third trimester"),
    or the puerperium ("PP anxiety": O99.345; O99.03 "Anemia complicating the puerperium")."""
    for first, last, sub_category in _ABUSE + _COMPLICATING:
        if first <= code[:len(first)] <= last:
            if trimester_said == PUERPERIUM:
                return sub_category + "5" if sub_category in _SIXTH_CHARACTER else sub_category[:-1] + "3"
            return sub_category + _TRIMESTER_DIGIT[trimester_said]
    return None


def in_puerperium(query) -> bool:
    return any(_in_puerperium(v.text) for v in query.variants)


def _to_complicating(scores: np.ndarray, batch, sub, n: int, outside: np.ndarray, said: str) -> np.ndarray:
    """A first code of another chapter gives its place to the best O99 code of the entry's best other
    chapters' codes ("Iron deficiency anemia at 28 wks": O99.013)."""
    lo, hi, codes = entry_codes(batch, sub, n)
    first = lo + int(np.argmax(scores[lo:hi]))
    if not outside[first]:
        return scores
    best = sorted(range(lo, hi), key=lambda r: -scores[r])[:COMPLICATING_SEEDS]
    twins = {complicating(codes[r - lo], said) for r in best if outside[r]}
    rows = [r for r in range(lo, hi) if codes[r - lo] in twins]
    if not rows:
        return scores
    out = scores.copy()
    to_twin(out, first, max(rows, key=lambda r: out[r]))
    return out


def chapter(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An entry that states a trimester is coded in the pregnancy chapter (O, Z3-): any other code
    scores OUTSIDE_CHAPTER ("GEST HTN 3RD TRI" is not I10), and so does one of another trimester
    than the one it states ("first visit at 30 wks" is no O09.31 "..., first trimester"), the weeks'
    when it says several."""
    if sub.system != ICD10CM:
        return scores
    stated = np.array([any("trimester" in word_set(v.text) for v in q.variants)
                       and not any(none_now(v.text) for v in q.variants) for q in batch.queries])
    if not stated.any():
        return scores
    outside = ~sub.mask(CHAPTER)[batch.cand_concept]
    # Z3A "weeks of gestation" is an additional code: the main one when the entry says no more
    weeks = sub.mask(WEEKS_OF_GESTATION)[batch.cand_concept]
    more = np.array([any(w not in _GESTATIONAL_AGE and not any(ch.isdigit() for ch in w)
                         for w in word_set(q.variants[0].text)) for q in batch.queries])
    aside = outside | (weeks & more[batch.cand_query])
    for n in np.flatnonzero(stated).tolist():
        said = {_ORDINAL.get(m[1], m[1]) for v in batch.queries[n].variants for m in _TRIMESTER.finditer(v.text)}
        weeks = gestational_weeks(batch.queries[n].variants[0].text.split()) if len(said) > 1 else None
        if weeks is not None and trimester(weeks) in said:  # "31 wks, ... since 2nd tri": the third
            said = {trimester(weeks)}
        if len(said) != 1:
            continue
        for i in range(int(batch.cand_start[n]), int(batch.cand_start[n + 1])):
            aside[i] |= bool({m[1] for m in _TRIMESTER.finditer(sub.displays[batch.cand_concept[i]].lower())} - said)
        if next(iter(said)) in _TRIMESTER_DIGIT:
            scores = _to_complicating(scores, batch, sub, n, outside, next(iter(said)))
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
        age = next((k for k, words in _AGED.items() if words & said), None) or _stated_age(q.text.lower())

        def twin_of(code: str) -> str | None:
            family = next((f for f in _BY_GRAVIDA if code.startswith(f)), None) if code[0] in "OZ" else None
            trimester = code[len(family):] if family else code[-1]
            if age and code.startswith(_HIGH_RISK):  # O09.91 "high risk, unspecified"
                family = age
            elif family in _OF_AGE and (age or "Z34.0")[:5] != family[:5]:  # "primigravida 12 wks": Z34.01
                family = age or "Z34.0"
            return _BY_GRAVIDA[family][number - 1] + trimester if family else None
        to_twins(out, lo, codes, twin_of)
    return out


_POSTPARTUM = re.compile(r"\b(postpartum|post partum|puerperium|puerperal|after delivery|since delivery)\b")
_NUMBER_WORDS = {w: n for n, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split(), 1)}
_SINCE_BIRTH = re.compile(rf"\b(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s*"
                          r"(d|days?|wks?|weeks?|mo|mos|months?|yrs?|years?)\b"
                          r"(?: \w+)?? (?:postpartum|post partum|after)"
                          r"|\bday (\d{1,2}) postpartum\b|\bpostpartum day (\d{1,2})\b")
_BABY_AGE = re.compile(r"\b(?:baby|infant|newborn|son|daughter)(?: is)?(?: now)? "
                       rf"(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s*(d|days?|wks?|weeks?|mo|mos|months?)\b")
_POSTPARTUM_FOR = re.compile(rf"\b(?:postpartum|post partum|pp) (\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s*"
                             r"(d|days?|wks?|weeks?|mo|mos|months?)\b")  # "Postpartum (4 mo)"
PUERPERIUM_DAYS = 42  # the puerperium: six weeks from delivery
_PUERPERIUM_WORDS = frozenset("puerperium complicating the of in other associated with".split())


def _in_puerperium(text: str) -> bool:
    """The entry says the patient delivered, at most six weeks ago ("now 10 days PP"; not "5 mo PP")."""
    if not _POSTPARTUM.search(text):
        return False
    for since in (_BABY_AGE.search(text), _POSTPARTUM_FOR.search(text)):  # "postpartum onset, baby now 5 mo"
        if since and _days(since[1], since[2]) > PUERPERIUM_DAYS:
            return False
    m = _SINCE_BIRTH.search(text)
    if not m:
        return True
    if m[1] is None:
        return int(m[3] or m[4]) <= PUERPERIUM_DAYS
    return _days(m[1], m[2]) <= PUERPERIUM_DAYS


def _days(count: str, unit: str) -> int:
    return (_NUMBER_WORDS.get(count) or int(count)) * {"d": 1, "w": 7, "m": 30, "y": 365}[unit[0]]


def puerperium(scores: np.ndarray, batch, sub, support: np.ndarray | None = None) -> np.ndarray:
    """A condition of the puerperium is coded there: a first code of pregnancy or of no stated time
    gives its score to its sibling "... complicating the puerperium" (O13.3 -> O13.5 "now 10 days PP"),
    a code outside the chapter to a puerperium code of the same condition (D64.9 -> O90.81 "Anemia, PP")."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not in_puerperium(q):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        said = frozenset().union(*(word_set(v.text) for v in q.variants))
        i = int(np.argmax(out[lo:hi]))
        displays = [sub.displays[c].lower() for c in batch.cand_concept[lo:hi].tolist()]
        if "puerperium" in displays[i] or codes[i].startswith("F53"):
            continue
        ours = [j for j, d in enumerate(displays) if "puerperium" in d and codes[j].startswith("O") and (
            codes[j][:-1] == codes[i][:-1] if codes[i].startswith("O")
            else word_set(d) - _PUERPERIUM_WORDS <= said or codes[j] == complicating(codes[i], PUERPERIUM))]
        if ours:
            j = lo + max(ours, key=lambda r: out[lo + r])
            to_twin(out, lo + i, j)
            if support is not None:  # supported as the code it displaced ("PP anxiety": as F41.9)
                support[j] = support[lo + i]
    return out
