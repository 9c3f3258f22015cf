"""A disorder the entry names is coded over its own signs and over a problem of lifestyle (guideline
I.B.5: signs and symptoms routinely associated with a disease are not coded as well):
- "Psychosis NOS, new-onset auditory hallucinations" is F29, not R44.0; a dementia's hallucinations
  are the dementia's ("Dementia w/ Lewy bodies -- visual hallucinations" is G31.83, not R44.1), and
  PTSD's nightmares PTSD's ("PTSD from combat, nightmares most nights" is F43.10, not F51.5);
- "MDD recurrent severe, +passive SI" is F33.2, not R45.851 (the ideation adds to it);
- "Gambling disorder, $40k in debt from sports betting" is F63.0, not Z72.6 "Gambling and betting".
And a substance use that is not the patient's disorder is no F10-F19 code: a relative's drinking at
home is Z63.72 "Alcoholism and drug addiction in family", a counseling for a use Z71.41 / Z71.51."""

from __future__ import annotations

import re

import numpy as np

from server.match import mental
from server.match.implied import RELATIVE_USE, newborn_exposed, undenied, withdrawing
from server.match.query import OTHER_SENSE
from server.match.rerank import CLASH_PENALTY, entry_codes, to_top, to_twin, to_twins
from server.systems import ICD10CM

SYMPTOM = CLASH_PENALTY
_PSYCHOTIC = re.compile(r"\b(psychosis|psychotic|schizophrenia|schizoaffective|schizophreniform|delusional disorder)\b")
_MOOD_OR_PSYCHOTIC = re.compile(r"\b(depression|depressive|mdd|bipolar|psychosis|psychotic|schizophrenia|"
                                r"schizoaffective|post-traumatic|ptsd|borderline)\b")
_NONORGANIC = re.compile(r"\b(nonorganic|non-organic|psychogenic)\b")
_TRAUMA = re.compile(r"\b(ptsd|post-traumatic|posttraumatic|acute stress)\b")
_IDEATION = re.compile(r"\b(suicidal|suicide|homicidal|ideation|ideations|si|hi)\b")
_GAMBLING_DISORDER = re.compile(r"\b(gambling|betting) (disorder|addiction|d/o)\b|"
                                r"\b(pathological|compulsive|problem|addictive) gambl\w*\b")
_PSYCHOSIS = re.compile(r"\b(psychosis|psychotic disorder)\b")  # no more said of it: F29
_PSYCHOTIC_KIND = re.compile(r"\b(schizo\w*|induced|due to)\b")  # a psychosis said to be of a kind is no F29
_HALLUCINATIONS = ("R44.0", "R44.1", "R44.2", "R44.3")
_DEMENTIA = re.compile(r"\b(dementia|lewy|alzheimer'?s?|neurocognitive)\b")  # "DLB -- visual halucinations": G31.83
# (code prefixes, what names the disorder, in the first clause or anywhere, what the first clause must not
# say, the disorder's code when the entry says no more of it)
_RULES = ((_HALLUCINATIONS, _PSYCHOSIS, True, _PSYCHOTIC_KIND, "F29"),
          (_HALLUCINATIONS, _PSYCHOTIC, True, None, None),
          (_HALLUCINATIONS, _DEMENTIA, True, None, None),
          (("R45.85",), _MOOD_OR_PSYCHOTIC, True, _IDEATION, None),
          (("F51.5",), _TRAUMA, True, None, None),  # "Chronic PTSD ...; nightmares" is F43.12, not F51.5
          (("N39.44", "R32"), _NONORGANIC, False, None, "F98.0"),  # N39.44 excludes nonorganic enuresis
          (("Z72.6",), _GAMBLING_DISORDER, False, None, "F63.0"))


def over_symptom(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A sign or lifestyle code of a disorder the entry names gives its score to the disorder's code
    when that is a candidate, and scores SYMPTOM."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    out = scores.copy()
    for prefixes, named, in_head, unless, disorder in _RULES:
        rows = sub.mask(prefixes)[batch.cand_concept]
        if not rows.any():
            continue
        said = np.array([(undenied(named, q.head) if in_head else any(undenied(named, v.text) for v in q.variants))
                         and not (unless and unless.search(q.head)) for q in batch.queries])
        for i in np.flatnonzero(rows & said[batch.cand_query]).tolist():
            n = int(batch.cand_query[i])
            lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
            j = next((k for k in range(lo, hi) if sub.codes[batch.cand_concept[k]] == disorder), None)
            if j is not None:
                to_twin(out, i, j)
            out[i] *= SYMPTOM
    return out


_CURRENT = re.compile(r"\b(active|actively|at home|in home|in the home|currently|nights|every night|daily|"
                      r"witness\w*|now)\b")
_COUNSELING = re.compile(r"\b(counseling|counselling|counsel|couns)\b")
USE_CODES = tuple(f"F1{k}" for k in range(10))
IN_FAMILY, FAMILY_HISTORY = "Z63.72", ("Z81.1", "Z81.3", "Z81.4")
COUNSELING = ("Z71.4", "Z71.5")
WITHDRAWING = "P96.1"
NEWBORN_CODES = ("P04", WITHDRAWING)  # a newborn affected by its mother's use, or withdrawing
# the P04 code of a mother's use: "infant w/ prenatal meth exposure" is P04.16, not F15.- or O99.32-
_MATERNAL_USE = {"F10": "P04.3", "F11": "P04.14", "F12": "P04.81", "F13": "P04.17", "F14": "P04.41",
                 "F15": "P04.16", "F16": "P04.42", "F17": "P04.2", "F18": "P04.49", "F19": "P04.49",
                 "O99.31": "P04.3", "O99.32": "P04.49", "O99.33": "P04.2"}
MOTHERS_USE = USE_CODES + ("O99.31", "O99.32", "O99.33")


_MOTHER_USED = [(re.compile(r"\b(meth|methamphetamine|amphetamines?|crystal)\b"), "P04.16"),
                (re.compile(r"\b(cannabis|marijuana|mj|thc|weed)\b"), "P04.81"),
                (re.compile(r"\b(alcohol|etoh|drank|drinking)\b"), "P04.3"),
                (re.compile(r"\b(opioids?|opiates?|heroin|fentanyl|methadone|buprenorphine|oxycodone)\b"), "P04.14"),
                (re.compile(r"\b(cocaine|crack)\b"), "P04.41"),
                (re.compile(r"\b(tobacco|cigarettes?|cigs|ppd|nicotine)\b"), "P04.2"),
                (re.compile(r"\b(benzodiazepines?|benzos?)\b"), "P04.1A")]


def mother_used(text: str) -> list[str]:
    """The P04 codes of the substances a newborn's entry names."""
    return [code for pattern, code in _MOTHER_USED if pattern.search(text)]


def newborn_twin(code: str) -> str | None:
    """The "Newborn affected by maternal use of ..." code of a use or pregnancy-use code."""
    return _MATERNAL_USE.get(code[:6]) or _MATERNAL_USE.get(code[:3])


def not_the_patients_use(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An F10-F19 code for a relative's use or a counseling for one gives its score to Z63.72 or the
    counseling code when that is a candidate (a newborn's mother's: to P04.- or P96.1), and scores
    SYMPTOM; so does a family history code (Z81.-) for a relative's use now ("Mom w/ active AUD, kids
    witness her intoxicated")."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        text = q.variants[0].text
        newborn = newborn_exposed(text)
        relative = bool(RELATIVE_USE.search(text)) or newborn
        counseling = not relative and bool(_COUNSELING.search(text))
        if not (relative or counseling):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        now = relative and bool(_CURRENT.search(text))
        use = [lo + k for k, c in enumerate(codes) if c.startswith(MOTHERS_USE if newborn else USE_CODES)
               or (now and c.startswith(FAMILY_HISTORY))]
        target = [lo + k for k, c in enumerate(codes)
                  if (c.startswith(NEWBORN_CODES) if newborn else c == IN_FAMILY if relative
                      else c.startswith(COUNSELING))]
        if counseling and not (use and target):
            continue
        withdraws = newborn and withdrawing(text)
        if withdraws:  # "newborn w/ NOWS, mom on buprenorphine": P96.1, not P04.14
            target = [k for k in target if codes[k - lo] == WITHDRAWING] or target
        used = mother_used(text) if newborn and not withdraws else []
        named = [k for k in target if codes[k - lo] in used]
        if named:  # "infant w/ prenatal meth exposure": P04.16 whatever the use codes' substance
            j = max(named, key=lambda k: out[k])
            to_top(out, lo, hi, j)
            out[[k for k in range(lo, hi) if k != j and (k in use or codes[k - lo][0] == "O")]] *= SYMPTOM
            continue  # the mother's pregnancy codes are not the newborn's
        if not use:
            continue
        best = max(use, key=lambda k: out[k])
        if target:
            j = max(target, key=lambda k: out[k])
            out[j] = max(out[j], out[best])
        out[use] *= SYMPTOM
    return out


_UNSPECIFIED_PSYCHOSIS = re.compile(r"^F1\d\.[129]59$")  # "... induced psychotic disorder, unspecified"
_PSYCHOSIS_WITH = (("with hallucinations", "1"), ("with delusions", "0"))  # F1x.x51, F1x.x50


def induced_psychosis_with(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An induced psychotic disorder the entry reads "with hallucinations" ("cannabis-induced psychosis,
    hearing voices") or "with delusions" is F1x.x51 / F1x.x50: the unspecified F1x.x59 gives its score to it."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        said = {digit for words, digit in _PSYCHOSIS_WITH if any(words in v.text for v in q.variants)}
        if len(said) != 1:
            continue
        digit = said.pop()
        lo, hi, codes = entry_codes(batch, sub, n)
        to_twins(out, lo, codes, lambda c: c[:-1] + digit if _UNSPECIFIED_PSYCHOSIS.match(c) else None)
    return out


_OTHER_PHOBIAS = ("F40.298", "F40.248", "F40.228", "F40.8", "F40.9")  # "other specified", "unspecified"


def feared_object(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A phobia of an object F40.2- names ("specific phobia, heights": F40.241 "Acrophobia") takes the score of
    an "other" or unspecified phobia code, which scores the lower."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        title = next((t for v in q.variants if (t := mental.feared(v.text))), None)
        if not title:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        named = [lo + k for k in range(hi - lo) if sub.displays[int(batch.cand_concept[lo + k])].lower() == title]
        other = [lo + k for k, c in enumerate(codes) if c in _OTHER_PHOBIAS]
        if named and other:
            to_twin(out, max(other, key=lambda k: out[k]), named[0])
    return out


# what an induced disorder is (F1x.x4 mood, F1x.x5- psychotic, F1x.x80 anxiety, F1x.x82 sleep)
_INDUCED_KINDS = {"psychotic": re.compile(r"\b(psychosis|psychotic)\b"),
                  "mood": re.compile(r"\b(depression|depressive|depressed|mood|bipolar|mania|manic)\b"),
                  "anxiety": re.compile(r"\b(anxiety|panic)\b"), "sleep": re.compile(r"\b(insomnia|sleep)\b")}
_INDUCED = re.compile(r"\binduced\b")


def _induced_kinds(text: str) -> set[str]:
    """The kinds the entry names right after "induced" ("alcohol-induced anxiety d/o per psych eval"), else
    anywhere."""
    after = " ".join(" ".join(text[m.end():].split()[:2]) for m in _INDUCED.finditer(text))
    right_after = {kind for kind, said in _INDUCED_KINDS.items() if said.search(after)}
    return right_after or {kind for kind, said in _INDUCED_KINDS.items() if undenied(said, text)}


def induced_kind(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An entry that names one kind of induced disorder ("ALCOHOL IND PSYCHOSIS W/ MILD USE D/O") is no
    code of an induced disorder of another kind (F10.14 "... alcohol-induced mood disorder"), nor of an
    "other" or unspecified one when a code of its kind is a candidate: such a code scores SYMPTOM."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not any(_INDUCED.search(v.text) for v in q.variants):
            continue
        stated = set().union(*(_induced_kinds(v.text) for v in q.variants if v.kind != OTHER_SENSE))
        if len(stated) != 1:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        kinds = [_code_kinds(code, sub.displays[int(batch.cand_concept[lo + k])]) for k, code in enumerate(codes)]
        named = any(k and k & stated for k in kinds)
        for k, code_kinds in enumerate(kinds):
            if code_kinds is not None and (code_kinds and not code_kinds & stated or not code_kinds and named):
                out[lo + k] *= SYMPTOM  # another kind, or "other" / "unspecified" when the kind's code is there
    return out


def _code_kinds(code: str, display: str) -> set[str] | None:
    """The kinds of an F1x induced disorder code's title ("other stimulant-induced disorder": none); None for
    other codes."""
    display = display.lower()
    if not (code.startswith("F1") and "induced" in display):
        return None
    return {kind for kind, said in _INDUCED_KINDS.items() if said.search(display.split("induced", 1)[1])}
