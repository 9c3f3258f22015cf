"""Where an entry names its diagnosis: its first clause ("Psychosis NOS - disorganized, ..."), an
assessment's last sentence ("... CT head neg. Concussion - rest."), or the disorder before its cause
("Depression due to job loss"). That code is coded first, not one read from the findings, a symptom the
diagnosis explains or a factor coded after it."""

from __future__ import annotations

import re

import numpy as np

from server.match import features
from server.match.normalize import word_set
from server.match.rerank import entry_codes, to_twin
from server.match.said import said_words
from server.systems import ICD10CM, SNOMED

# words of a code's title too common to tell it apart ("Other manic episodes" says no more than "episode")
WEAK_HEAD = frozenset("use disorder disorders disease syndrome condition problem problems symptoms episode".split())


HEAD_NAMED_BELOW = 0.6  # a first code scoring this much or more was read from the whole entry


def head_named(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An entry whose first clause is a term of its own ("Psychosis NOS - disorganized speech, ...",
    "Strep throat - rapid strep +, ...") is that term's code when its first code was read from the
    other clauses alone: of another category (not a later clause's refinement), scoring under
    HEAD_NAMED_BELOW, saying none of the entry's words but the head's, the entry carrying no assertion;
    or, however sure, a symptom the named diagnosis explains or a factor coded after it. The named code
    then takes the first code's score."""
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if q.clauses < 2 or not q.head:
            continue
        named = {int(sub.term_concept[t]) for t in sub.exact.get(q.head, ())}
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        rows = [i for i in range(lo, hi) if int(batch.cand_concept[i]) in named]
        if not rows:
            continue
        j = max(rows, key=lambda i: out[i])
        i = lo + int(np.argmax(out[lo:hi]))
        first, named = int(batch.cand_concept[i]), int(batch.cand_concept[j])
        factor = _factor_of(sub, first, named)  # listed after the disorder, however sure
        if (i != j and sub.codes[first][:3] != sub.codes[named][:3] and (out[i] < HEAD_NAMED_BELOW or factor)
                and not q.assertion.flags()
                and (factor or _symptom_of(sub, first, named) or not (
                    said_words(q) & word_set(sub.displays[first]) - word_set(q.head) - features.GENERIC - WEAK_HEAD))):
            to_twin(out, i, j)
    return out


def _symptom_of(sub, first: int, named: int) -> bool:
    """A first code that is an ICD-10-CM symptom (R) next to a stated diagnosis: integral to it, not coded
    ("UTI - dysuria, frequency, ...")."""
    return sub.system == ICD10CM and sub.codes[first].startswith("R") and _diagnosis(sub, named)


def _factor_of(sub, first: int, named: int) -> bool:
    """A first code that is a social or historical factor (Z55-Z65, Z86, Z87, Z91) next to a stated diagnosis
    that is no Z or R code: coded after it ("PTSD - hx childhood physical abuse, ..." is F43.10, then Z62.810)."""
    code = sub.codes[first]
    return (sub.system == ICD10CM and (code[:3] in _FACTORS or "Z55" <= code[:3] <= "Z65")
            and sub.codes[named][0] not in "RZ")


_FACTORS = frozenset({"Z86", "Z87", "Z91"})


def _diagnosis(sub, concept: int) -> bool:
    """A code a stated diagnosis may take: no ICD-10-CM symptom (R), a SNOMED CT disorder."""
    if sub.system == ICD10CM:
        return not sub.codes[concept].startswith("R")
    return sub.system == SNOMED and sub.displays[concept].endswith("(disorder)")


CLAUSE_NAMED_BELOW = 0.8  # under it, a first code was read from the findings, not the stated diagnosis


def clause_named(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An assessment line that ends by naming its diagnosis ("... never meeting full MDE or hypomania
    criteria. Cyclothymia.", "... lead 8 mcg/dL. Pica - lead abatement referral") is that diagnosis
    when its first code, of another category, scores under CLAUSE_NAMED_BELOW: the last later clause
    that is a term of its own, of a diagnosis, takes the first code's score."""
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not q.later:
            continue
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        row = {int(batch.cand_concept[i]): i for i in range(lo, hi)}
        for clause in reversed(q.later):
            rows = [row[c] for c in {int(sub.term_concept[t]) for t in sub.exact.get(clause, ())}
                    if c in row and _diagnosis(sub, c)]
            if rows:
                break
        else:
            continue
        j = max(rows, key=lambda r: out[r])
        i = lo + int(np.argmax(out[lo:hi]))
        first, named = int(batch.cand_concept[i]), int(batch.cand_concept[j])
        if (i != j and out[i] < CLAUSE_NAMED_BELOW and sub.codes[first][:3] != sub.codes[named][:3]
                and _title_head(sub, first) != _title_head(sub, named)):  # "MDD, recurrent, ...": F33, no F32.9
            to_twin(out, i, j)
    return out


def _title_head(sub, concept: int) -> str:
    return sub.displays[concept].split(",")[0].lower()


def disorder_before_cause(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A disorder the entry names before its cause ("Depression due to job loss", "PTSD related to
    childhood sexual abuse") is coded first, not the cause's factor code (Z56.2, Z62.810), nor the injury
    that caused a mental disorder ("post-concussive syndrome from blast TBI" is F07.81), nor a plain use of
    the drug that caused it ("constipation d/t methadone" is no F11.20): such a first code gives its score
    to the disorder's code."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not q.cause_of or q.assertion.historical or q.assertion.family:
            continue
        named = {int(sub.term_concept[t]) for t in sub.exact.get(q.cause_of, ())}
        lo, hi, codes = entry_codes(batch, sub, n)
        i = int(np.argmax(out[lo:hi]))
        rows = [lo + j for j in range(hi - lo) if int(batch.cand_concept[lo + j]) in named
                and not codes[j].startswith(("R", "Z"))]
        plain_use = (codes[i].startswith("F1") and _PLAIN_USE.search(sub.displays[batch.cand_concept[lo + i]])
                     and not q.head.startswith(f"{q.cause_of} from "))  # "nicotine dependence from vaping"
        injury = codes[i].startswith(("S", "T", "R")) and any(codes[r - lo].startswith("F") for r in rows)
        if (codes[i].startswith("Z") or plain_use or injury) and rows:
            to_twin(out, lo + i, max(rows, key=lambda r: out[r]))
    return out


_PLAIN_USE = re.compile(r"(uncomplicated|in remission)$")
