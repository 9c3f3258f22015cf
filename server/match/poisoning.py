"""Poisonings as a coder reads them (ICD-10-CM T36-T65):
- the drug named by its class as the codes name it ("sertraline overdose" is T43.22-
  "Poisoning by selective serotonin reuptake inhibitors"; mappings/drug_classes.tsv), an
  overdose, ingestion or toxicity being a poisoning: an extra reading;
- the intent the entry states (intentional self-harm, assault, undetermined; an adverse effect
  or underdosing); unstated, a poisoning is accidental (guideline I.C.19.e.5.b): a code of
  another intent scores a quarter, as does one of another class than the drug the entry names."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from server.load import MAPPINGS_DIR
from server.match.abbreviations import SUBSTANCES
from server.match.implied import undenied
from server.systems import ICD10CM

DRUG_CLASSES_FILE = MAPPINGS_DIR / "drug_classes.tsv"
_CUES = (r"overdose[ds]?|overdosing|ods?|o/d|ingestions?|ingested|swallowed|toxicity|poisoning|poisoned|"
         r"adverse (effect|reaction)|side effects?|underdos\w*")
POISONING = re.compile(rf"\b({_CUES})\b")
_CUE_WORDS = re.compile(rf"\b({_CUES})( (of|on|with|from|by|to))?\b")
_SELF_HARM = re.compile(r"\b(intentional\w*|(?<!unknown )(?<!unclear )intent(?! (unknown|unclear|undetermined))|"
                        r"self[- ]?(harm|inflicted|poisoning)|suicid\w*|deliberate\w*|on purpose|"
                        r"intending to die|(wanted|trying) to die)\b")
INTENTS = (  # (intent, what states it), the first stated wins
    ("adverse effect", re.compile(r"\b(adverse (effect|reaction|drug reaction)|side effects?)\b")),
    ("underdosing", re.compile(r"\b(underdos\w*|missed doses?|ran out of)\b")),
    ("accidental", re.compile(r"\b(accidental\w*|unintentional\w*)\b")),
    ("intentional self-harm", _SELF_HARM),
    ("assault", re.compile(r"\b(assault\w*|homicid\w*)\b")),
    ("undetermined", re.compile(r"\b(undetermined|(unknown|unclear) intent|intent (unknown|unclear))\b")),
)
INTENT_NAMES = [name for name, _ in INTENTS]
_PILLS = re.compile(r"\b(pills|tabs|tablets|capsules)\b")  # "took 20 sertraline tabs as a suicide attempt"
# an overdose told by its rescue: "found unresponsive after using fentanyl ...; Narcan x2"
_REVERSED = re.compile(r"\b(narcan|naloxone)\b")
_OVERDOSED = re.compile(r"\b(unresponsive|apneic|apnea|found down|respiratory depression|pinpoint|cyanotic|"
                        r"not breathing|agonal)\b")
_INTOXICATION = re.compile(r"\b(intoxication|intoxicated)\b")  # "opioid intoxication w/o OD, naloxone kit left"
KINDS = tuple((f"{name} of", said) for name, said in INTENTS[:2])  # not a poisoning
DEFAULT_INTENT = "accidental"
OTHER_INTENT = 0.25
NOT_A_POISONING = 0.01  # a poisoning code for an entry that names a use and no poisoning
_INTENT_DIGIT = {"accidental": "1", "intentional self-harm": "2", "assault": "3", "undetermined": "4",
                 "adverse effect": "5", "underdosing": "6"}  # a T36-T50 code's 6th character
_USE = re.compile(r"\b(use|abuse|misuse|dependence|dependent|addiction|withdrawal)\b")  # a use, not a poisoning
_T_CODE = re.compile(r"^T(3[6-9]|[45]\d|6[0-5])\.")


@lru_cache(maxsize=2)
def _table(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(drug -> class, drug -> substance) of the drug table, read once."""
    classes, substances = {}, {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            drug = row["drug"].strip().lower()
            classes[drug] = row["class"].strip().lower()
            if row.get("substance", "").strip():
                substances[drug] = row["substance"].replace(",", "").strip().lower()
    return classes, substances


def drug_classes(path: Path = DRUG_CLASSES_FILE) -> dict[str, str]:
    return _table(path)[0]


def drug_substances(path: Path = DRUG_CLASSES_FILE) -> dict[str, str]:
    """A drug by the substance its use disorder is coded as (F10-F19: fentanyl is "opioid")."""
    return _table(path)[1]


def reading(text: str) -> str:
    """The reading as a T-code title words it: "poisoning by" (or "adverse effect of",
    "underdosing of") the class of the drug it names, then the rest of it ("sertraline overdose,
    intentional" reads "poisoning by selective serotonin reuptake inhibitors intentional"); ""
    when it names no poisoning."""
    classes = drug_classes()
    named = list(dict.fromkeys(_classes_named(text)))
    if not named or not (undenied(POISONING, text) or _PILLS.search(text) and _SELF_HARM.search(text)
                         or undenied(_REVERSED, text) and _OVERDOSED.search(text) and not undenied(_INTOXICATION, text)):
        return ""
    kind = next((k for k, said in KINDS if said.search(text)), "poisoning by")
    rest = _CUE_WORDS.sub(" ", text)
    intent = next(((i, said) for i, said in INTENTS[2:] if said.search(rest)), None)
    if kind == "poisoning by":  # in the title's words: "..., intentional self-harm"
        named.append(intent[0] if intent else DEFAULT_INTENT)
        rest = intent[1].sub(" ", rest) if intent else rest
    return " ".join([kind, *named, *(w for w in rest.split() if w not in classes)])


_CAUSED_BY = re.compile(r"\b(induced|due to|d/t|2/2|from|secondary to|attributed to|associated|caused by|related)\b")
_ITS_TITLES = "drug induced due to drugs and medicaments"  # K59.03, G25.71 / I95.2 / E03.2 say it so
DRUG_CAUSED = "caused by a medicine -> drug induced"  # the reading's evidence
_MEDICINES = frozenset("antipsychotic antipsychotics antidepressant antidepressants ssri snri steroid steroids "
                       "chemotherapy medication medications med meds".split())


# "opioid rx", "chronic opioid therapy": a medicine, not a substance of abuse
_PRESCRIBED = frozenset("prescription prescriptions rx therapy treatment analgesic analgesics pain".split())
_TREATMENTS = frozenset("methadone buprenorphine suboxone".split())  # a medicine right after "due to"
_JUST_CAUSED = re.compile(r"\b(due to|d/t|2/2|secondary to|caused by)$")
_ALCOHOL_CAUSED = re.compile(r"^(.+?) (?:due to|d/t|from|secondary to|2/2|caused by|related to|r/t) "
                             r"(?:chronic |heavy )?(?:alcohol|etoh)(?: use| abuse| dependence)?(?: disorder)?$")


def alcohol_caused(text: str) -> str:
    """ "POLYNEUROPATHY D/T ETOH" in the words of its code, G62.1 "Alcoholic polyneuropathy"; "" for any other."""
    said = _ALCOHOL_CAUSED.match(text)
    return f"alcoholic {said.group(1)}" if said else ""


def drug_caused(text: str) -> str:
    """A condition a medicine named in the entry caused, in the words of the codes of such conditions
    ("lithium-induced hypothyroidism": E03.2 "... due to medicaments", "orthostatic hypotension from
    quetiapine": I95.2 "... due to drugs"); "" when the entry names no such medicine, or a poisoning
    (a T-code) or a substance of abuse (F10-F19)."""
    classes, substances = _table(DRUG_CLASSES_FILE)
    ws = text.replace("-", " ").split()
    medicines = [w for i, w in enumerate(ws) if w in classes and w not in substances or w in _MEDICINES
                 or (w in classes or w in SUBSTANCES) and ws[i + 1:i + 2] and ws[i + 1] in _PRESCRIBED
                 or w in _TREATMENTS and _JUST_CAUSED.search(" ".join(ws[:i]))]
    if not medicines or POISONING.search(text) or not _CAUSED_BY.search(text.replace("-", " ")):
        return ""
    return f"{text} {_ITS_TITLES}"


def stated_intent(texts: list[str]) -> str | None:
    text = " ".join(texts)
    return next((intent for intent, said in INTENTS if said.search(text)), None)


def code_intent(code: str, display: str) -> str | None:
    """The intent of a T36-T65 code, read from its title; None for any other code."""
    if not _T_CODE.match(code):
        return None
    title = display.lower()
    if title.startswith(("adverse effect", "underdosing")):
        return title.split(" of ", 1)[0]
    return next((intent for intent, _ in INTENTS[2:] if f", {intent}" in title), None)


def _classes_named(text: str):
    classes = drug_classes()
    return (classes[w] for w in text.split() if w in classes)


def named_classes(texts: list[str]) -> frozenset:
    return frozenset(c for t in texts for c in _classes_named(t))


def _intent_table(sub) -> np.ndarray:
    """Per concept of the index, 1 + the position of its intent in INTENTS (0: no poisoning code);
    built once per index."""
    table = sub.__dict__.get("_poisoning_intents")
    if table is None:
        table = np.array([INTENT_NAMES.index(i) + 1 if (i := code_intent(code, display)) else 0
                          for code, display in zip(sub.codes, sub.displays)], dtype=np.int8)
        sub._poisoning_intents = table
    return table


def by_intent(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A poisoning code of another intent than the entry's (accidental when it states none), or of
    another class than a drug the entry names, scores a quarter; its sibling of the entry's intent
    (T40.2X1A's T40.2X2A), or a code of the named drug's class and the entry's intent, takes its score
    when that is higher. For an entry that names a use and no
    poisoning, any scores NOT_A_POISONING ("SYNTH CANNABINOID (K2) ABUSE" is F12.10, not T40.721A)."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    intents = _intent_table(sub)[batch.cand_concept]
    if not intents.any():
        return scores
    texts = [[v.text for v in q.variants] for q in batch.queries]
    wanted = np.array([INTENT_NAMES.index(stated_intent(t) or DEFAULT_INTENT) + 1 for t in texts])
    other = (intents > 0) & (intents != wanted[batch.cand_query])
    of_class = np.zeros(len(scores), dtype=bool)  # of the right intent and the named drug's class
    for i in np.flatnonzero((intents > 0) & ~other).tolist():  # right intent: of the drug named?
        named = named_classes(texts[batch.cand_query[i]])
        display = sub.displays[batch.cand_concept[i]].lower()
        other[i] = bool(named) and not any(k in display for k in named)
        of_class[i] = bool(named) and not other[i]
    use = np.array([not any(POISONING.search(x) for x in t) and any(_USE.search(x) for x in t) for t in texts])
    out = np.where(other, scores * OTHER_INTENT, scores)
    for i in np.flatnonzero(other & (intents == wanted[batch.cand_query])).tolist():  # "OD sertraline - suicide
        q = int(batch.cand_query[i])  # attempt": T50.902A's score goes to T43.222A
        lo, hi = int(batch.cand_start[q]), int(batch.cand_start[q + 1])
        for j in np.flatnonzero(of_class[lo:hi]).tolist():
            out[lo + j] = max(out[lo + j], scores[i])
    for i in np.flatnonzero(other & (intents != wanted[batch.cand_query]) & ~use[batch.cand_query]).tolist():
        q = int(batch.cand_query[i])
        code = sub.codes[batch.cand_concept[i]]
        sibling = sub.code_index.get(code[:6] + _INTENT_DIGIT.get(INTENT_NAMES[wanted[q] - 1], "") + code[7:])
        lo, hi = int(batch.cand_start[q]), int(batch.cand_start[q + 1])
        for j in np.flatnonzero(batch.cand_concept[lo:hi] == sibling).tolist() if sibling is not None else ():
            out[lo + j] = max(out[lo + j], scores[i])
    return np.where((intents > 0) & use[batch.cand_query], out * NOT_A_POISONING, out)
