"""Coder's conventions of a condition's type and time, read from what the entry says:
- a kind the entry names (systolic, recurrent) is no code of the other kind, an age past the newborn
  period no newborn's code, a child's age no adult's;
- paranoid schizophrenia (F20.0) is a type the entry names, not one read from persecutory beliefs; a
  numbered type the entry names is that type ("Type 1 diabetes, poorly controlled" is no E11.65);
- a myocardial infarction is acute (I21) for four weeks, then old (I25.2);
- a disorder said to be in remission is no history code, and an event said to be history is its
  history concept;
- a withdrawal whose signs are listed, and none of its complications, is uncomplicated."""

from __future__ import annotations

import re

import numpy as np

from server.match.implied import ADULT_AGE, undenied
from server.match.normalize import word_set
from server.match.rerank import CLASH_PENALTY, entry_codes, to_twin
from server.systems import ICD10CM


_PARANOID = re.compile(r"\bparan(?:oi|io)d\b", re.IGNORECASE)


def paranoid_type(scores: np.ndarray, batch, sub) -> np.ndarray:
    """Paranoid schizophrenia (F20.0) is a type the entry names: "AH & persecutory beliefs", "+AH/paranoia"
    leave schizophrenia unspecified (F20.9)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if _PARANOID.search(q.text):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        if "F20.0" in codes and "F20.9" in codes and int(np.argmax(out[lo:hi])) == codes.index("F20.0"):
            to_twin(out, lo + codes.index("F20.0"), lo + codes.index("F20.9"))
    return out


_FOOT_ULCER = re.compile(r"^L97\.[45]")  # a non-pressure chronic ulcer of the heel, midfoot or another part of the foot
_DIABETIC_FOOT_ULCER = re.compile(r"^E(08|09|10|11|13)\.621$")


def diabetic_foot_ulcer(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A diabetic's foot ulcer is coded first as the diabetes with it (E11.621; the L97.4- / L97.5- ulcer is
    an additional code): a first foot ulcer code gives its score to the entry's E1x.621 candidate."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n in range(len(batch.queries)):
        lo, hi, codes = entry_codes(batch, sub, n)
        if not codes:
            continue
        i = int(np.argmax(out[lo:hi]))
        diabetic = [j for j, code in enumerate(codes) if _DIABETIC_FOOT_ULCER.match(code)]
        if _FOOT_ULCER.match(codes[i]) and diabetic:
            to_twin(out, lo + i, lo + max(diabetic, key=lambda j: out[lo + j]))
    return out


_TYPE = re.compile(r"\btype (1|2|i|ii|one|two)\b")
_TYPE_NUMBER = {"1": "1", "i": "1", "one": "1", "2": "2", "ii": "2", "two": "2"}


def numbered_type(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A code of another numbered type than the one the entry names scores CLASH_PENALTY."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        said = {_TYPE_NUMBER[m[1]] for v in q.variants for m in _TYPE.finditer(v.text)}
        if len(said) != 1:
            continue
        for i in range(int(batch.cand_start[n]), int(batch.cand_start[n + 1])):
            types = {_TYPE_NUMBER[m[1]] for m in _TYPE.finditer(sub.displays[batch.cand_concept[i]].lower())}
            if types and not types & said:
                out[i] *= CLASH_PENALTY
    return out


# kinds a title says one of: an entry that names one is no code of the other ("acute on chronic systolic HF" is no
# I50.33 diastolic, nor I50.43 combined; "MDD, recurrent" no F32 "single episode")
_KINDS = tuple((frozenset(a.split()), frozenset(b.split()))
               for a, b in (("systolic", "diastolic"), ("recurrent", "single episode")))


def said_kind(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A code whose title says the other kind than the one the entry names gives its place to its twin of
    the named kind (the same title, the kind's words exchanged) and scores CLASH_PENALTY."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        said = frozenset().union(*(word_set(v.text) for v in q.variants))
        named = [(kind, not_kind) for one, other in _KINDS for kind, not_kind in ((one, other), (other, one))
                 if kind <= said and not not_kind <= said]
        if not named:
            continue
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        titles = [sub.display_words[c] for c in batch.cand_concept[lo:hi].tolist()]
        for kind, not_kind in named:
            for i, title in enumerate(titles):
                if not_kind <= title:
                    twin = (title - not_kind) | kind
                    if twin in titles:
                        to_twin(out, lo + i, lo + titles.index(twin))
                    out[lo + i] *= CLASH_PENALTY
    return out


# an age the entry states: "18 mo", "2 yo", "3-year-old" (not "x 18 mo", a duration)
_AGE = re.compile(r"(?<!\bx )(?<!\bfor )(?<!\bsince )(?<!\bover )(?<!\bpast )(?<!\blast )\b(\d{1,2})\s*"
                  r"(yo|y/o|yrs? old|years? old|-year-old|y|mo|mos|months? old|-month-old)\b")
NEWBORN_DAYS, ADULT_DAYS = 28, ADULT_AGE * 365
# (the title's word, whether an age in days is outside it): a newborn's code for an older child, an adult's
# for a child
_AGE_WORDS = ((frozenset({"newborn"}), lambda days: days > NEWBORN_DAYS),
              (frozenset({"adult"}), lambda days: days < ADULT_DAYS))


def stated_age(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A code "... in newborn" for an entry that states an age past the newborn period, or an adult's for a
    child's age, gives its place to its twin of no age (the same title less the word) and scores
    CLASH_PENALTY ("FTT - 18 mo" is R62.51 "Failure to thrive (child)", not P92.6 nor R62.7)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        m = _AGE.search(q.text)
        if not m:
            continue
        days = int(m[1]) * (30 if m[2].startswith(("mo", "-mo")) else 365)
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        titles = [sub.display_words[c] for c in batch.cand_concept[lo:hi].tolist()]
        for word, outside in _AGE_WORDS:
            if not outside(days):
                continue
            for i, title in enumerate(titles):
                if word <= title:
                    other = [j for j, t in enumerate(titles) if not word <= t and title - word <= t]
                    if other:
                        to_twin(out, lo + i, lo + max(other, key=lambda j: out[lo + j]))
                    out[lo + i] *= CLASH_PENALTY
    return out


OLD_INFARCTION = "I25.2"
_AGO = re.compile(r"\b(\d{1,2})\s*(d|days?|wks?|weeks?)\s+ago\b|\b(yesterday|last week|this week)\b", re.IGNORECASE)
ACUTE_DAYS = 28  # an infarction is acute (I21) for four weeks from its onset


def _within_four_weeks(text: str) -> bool:
    m = _AGO.search(text)
    return bool(m) and (m[3] is not None or int(m[1]) * (1 if m[2].startswith("d") else 7) <= ACUTE_DAYS)


def old_infarction(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A myocardial infarction the entry says is history ("h/o NSTEMI 2022") is I25.2 "Old myocardial
    infarction": an acute one (I21, I22) gives it its score and scores CLASH_PENALTY; within four weeks
    of it ("s/p NSTEMI 3 wks ago") the acute code takes I25.2's place."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not q.assertion.historical:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        acute = [lo + i for i, code in enumerate(codes) if code.startswith(("I21", "I22"))]
        if _within_four_weeks(q.text):  # "s/p NSTEMI 3 wks ago": still I21 (guideline I.C.9.e.1)
            if acute and OLD_INFARCTION in codes:
                to_twin(out, lo + codes.index(OLD_INFARCTION), max(acute, key=lambda r: out[r]))
            continue
        for i, code in enumerate(codes):
            if code.startswith(("I21", "I22")):
                if OLD_INFARCTION in codes:
                    to_twin(out, lo + i, lo + codes.index(OLD_INFARCTION))
                out[lo + i] *= CLASH_PENALTY
    return out


_HISTORY_CODE = re.compile(r"^(h/o|history of|personal history of)\b", re.IGNORECASE)


def history_over_event(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An event the entry says is history ("H/O suicide attempt by OD (2017)") is its history concept:
    a first SNOMED CT event ("Drug overdose - suicide (event)") gives its score to a "History of ..."."""
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not q.assertion.historical:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        i = int(np.argmax(out[lo:hi])) if codes else 0
        if not codes or not sub.displays[batch.cand_concept[lo + i]].endswith("(event)"):
            continue
        rows = [lo + j for j in range(hi - lo) if _HISTORY_CODE.search(sub.displays[batch.cand_concept[lo + j]])]
        if rows:
            to_twin(out, lo + i, max(rows, key=lambda r: out[r]))
    return out


def remission_over_history(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A disorder the entry says is now in remission ("hx schizophrenia, now in full remission") is coded
    in remission, not as history: a first history code (SNOMED CT "H/O: ...", ICD-10-CM Z86-Z87) gives its
    score to a candidate in remission."""
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not q.assertion.historical or "remission" not in q.text.lower():  # typed: "sober 20 yrs" is history
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        i = int(np.argmax(out[lo:hi]))
        display = sub.displays[batch.cand_concept[lo + i]]
        if not (_HISTORY_CODE.search(display) or codes[i].startswith(("Z86", "Z87"))):
            continue
        rows = [lo + j for j in range(hi - lo) if "remission" in sub.displays[batch.cand_concept[lo + j]].lower()]
        if rows:
            to_twin(out, lo + i, max(rows, key=lambda r: out[r]))
    return out


WITHDRAWAL_UNSPECIFIED = re.compile(r"^F1\d\.[129]39$")
_SIGNS = re.compile(r"\b(tremor|tremors|tremulous|shaky|shakes|sweats|sweating|diaphore\w*|tachy\w*|hr \d+|"
                    r"anxiety|anxious|ciwa|cows|nausea|vomiting|restless\w*|yawning|piloerection|goosebumps|"
                    r"myalgias?|cramps|diarrhea|insomnia|irritab\w*)\b")
_COMPLICATION = re.compile(r"\b(delirium|dts|seizures?|hallucinat\w*|perceptual)\b")
_PAST_COMPLICATION = re.compile(r"\b(?:hx|h/o|history of|prior|previous|past)\s+(?:of\s+)?(?:\w+\s+)?"
                                r"(?:delirium|dts|seizures?|hallucinat\w*|perceptual)\b")
_WITH_DELIRIUM = re.compile(r"^F1\d\.[129]31$")


def withdrawal_signs(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A withdrawal whose signs the entry lists and none of its complications ("Benzo withdrawal - tremor,
    anxiety, tachy") is uncomplicated: F13.239 "..., unspecified" gives its score to F13.230; with
    nothing said of it ("Alcohol dep w/ withdrawal") it stays unspecified. A delirium the entry has only
    as history ("withdrawal, hx DTs, CIWA 16, tremor") is no F10.231 either, nor one of a disorder now in
    remission ("Hx DTs 2019; AUD severe now in sustained remission": F10.21)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        lo, hi, codes = entry_codes(batch, sub, n)
        if not codes:
            continue
        i = int(np.argmax(out[lo:hi]))
        plain = codes[i][:-1] + "0"
        remitted = codes[i][:5] + "1"
        if _WITH_DELIRIUM.match(codes[i]) and plain in codes and _only_past(q):  # "w/d, hx DTs. CIWA 16"
            to_twin(out, lo + i, lo + codes.index(plain))
        elif _WITH_DELIRIUM.match(codes[i]) and remitted in codes and _past_in_remission(q):
            to_twin(out, lo + i, lo + codes.index(remitted))  # "Hx DTs 2019; AUD now in sustained remission"
        elif (WITHDRAWAL_UNSPECIFIED.match(codes[i]) and plain in codes and signs_said(q)
                and not any(undenied(_COMPLICATION, v.text) for v in q.variants)):
            to_twin(out, lo + i, lo + codes.index(plain))
    return out


_REMISSION = re.compile(r"\bremission\b")


def _past_in_remission(q) -> bool:
    """The entry (as typed) has its complications only as history and its disorder in remission."""
    typed = q.variants[0].text
    return undenied(_REMISSION, typed) and _complications_past([typed])


def signs_said(q) -> bool:
    """The entry lists withdrawal signs."""
    return any(_SIGNS.search(v.text) for v in q.variants)


def _only_past(q) -> bool:
    """The entry lists withdrawal signs, and its complications only as history."""
    return signs_said(q) and _complications_past([v.text for v in q.variants])


def _complications_past(texts: list[str]) -> bool:
    """The texts name a complication as history ("hx DTs") and none otherwise."""
    return (any(_PAST_COMPLICATION.search(t) for t in texts)
            and not any(undenied(_COMPLICATION, _PAST_COMPLICATION.sub(" ", t)) for t in texts))
