"""The coder's rules for injuries (ICD-10-CM chapter 19):
- an external cause (V00-Y99) only adds to the injury code: never first for an entry naming an
  injury or a body part, nor is a self-harm code or a social circumstance (Z55-Z65) for one naming
  a wound;
- a fracture not said to be pathological is traumatic, and one said to be (osteoporotic, stress)
  is not (guideline I.C.19.c);
- a maltreatment said to be suspected is T76- (T74- is confirmed), of the kind the entry states;
- a wound is of the site the entry names: a laceration or abrasion code of another site scores
  OTHER_SITE ("CORNEAL ABRASION LT INIT" is no S60.512A "Abrasion of left hand")."""

from __future__ import annotations

import re

import numpy as np

from server.match.implied import undenied
from server.match.normalize import word_set
from server.match.rerank import entry_codes, to_twin, to_twins
from server.systems import ICD10CM

EXTERNAL_CAUSE = ("V", "W", "X", "Y")
NOT_FIRST = 0.05  # a code that only adds to another
OTHER_KIND = 0.25  # a pathological fracture code for a traumatic fracture, or the reverse
OTHER_SITE = 0.01  # a wound code of a site the entry does not name
_INJURY = re.compile(r"\b(sprain|strain|fracture|fx|laceration|lac|bite|bitten|wounds?|puncture|contusion|bruise|burn|"
                     r"abrasion|injury|dislocation|concussion|hand|foot|ankle|knee|wrist|arm|leg|calf|thigh|finger|"
                     r"toe|neck|back|head|face|shoulder|hip|elbow|forearm|scalp|chest)\b")
SELF_HARM = ("R45.88", "Z91.5")
# nor is a social circumstance (Z55-Z65) for an entry naming a wound ("Dog bite R hand from neighbor's
# dog" is no Z59.2 "Discord with neighbors")
SOCIAL = ("Z55", "Z65")
_HURT = re.compile(r"\b(fracture|fx|laceration|lac|bite|bitten|wounds?|puncture|sprain|contusion|burn|abrasion)\b")
_WOUND = re.compile(r"\b(laceration|lacerations|lac|burn|burns|abrasion|abrasions|puncture)\b")
PATHOLOGICAL_FRACTURE = ("M80", "M84.3", "M84.4", "M84.5", "M84.6", "M84.7")  # M84.7-: atypical femoral
_FRACTURE = re.compile(r"\b(fracture|fractures|fx|fractured)\b")
_PATHOLOGICAL = re.compile(r"\b(stress|pathologic\w*|path|osteoporo\w*|fragility|insufficiency|fatigue|neoplastic|"
                           r"metastatic|malignant|due to disease)\b")


def external_cause(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An external cause or supplementary factor (V00-Y99 but Y90) is never a first code: it scores a
    twentieth ("Dog bite of right calf" is S81.851A, W54.0XXA only adds to it; "lead exposure" is
    Z77.011, not X58.XXXA); nor, for an entry naming an injury or a body part, is a social circumstance
    (Z55-Z65), nor a self-harm code (R45.88, Z91.5-) for one naming a wound ("Self-inflicted laceration
    of left forearm" is S51.812A)."""
    if sub.system != ICD10CM:
        return scores
    said = np.array([bool(_INJURY.search(q.variants[0].text)) for q in batch.queries])
    wound = np.array([any(_WOUND.search(v.text) for v in q.variants) for q in batch.queries]) & said
    hurt = np.array([bool(_HURT.search(q.variants[0].text)) for q in batch.queries])
    concepts = batch.cand_concept
    # a blood alcohol level (Y90) may be first but for an injury
    cause = sub.mask(EXTERNAL_CAUSE)[concepts] & (said[batch.cand_query] | ~sub.mask("Y90")[concepts])
    social = hurt[batch.cand_query] & sub.mask(_social)[concepts]
    harm = sub.mask(SELF_HARM)[concepts] & wound[batch.cand_query]
    injury = sub.mask("S")[concepts]
    out = scores.copy()
    for i in np.flatnonzero(harm).tolist():  # the best injury code takes its place
        n = int(batch.cand_query[i])
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        injuries = [k for k in range(lo, hi) if injury[k]]
        if injuries:
            to_twin(out, i, max(injuries, key=lambda k: out[k]))
    return np.where(cause | social | harm, out * NOT_FIRST, out)


def _social(code: str) -> bool:
    return SOCIAL[0] <= code[:3] <= SOCIAL[1]


_BITE = re.compile(r"\b(bite|bites|bitten)\b")
_OPEN_WOUNDS = frozenset(f"S{n}1" for n in range(10))  # S01, S11 ... S91
OPEN_BITE = "5"  # the open wound's kind (fifth character): laceration 1-2, puncture 3-4, open bite 5


def open_bite(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A bite that broke the skin is an open bite, however the wound is described: a laceration or
    puncture code gives its score to its open-bite twin ("Dog bite L hand (puncture wounds)" is
    S61.452D, not S61.432D)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not _BITE.search(q.variants[0].text):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        to_twins(out, lo, codes, lambda code: code[:5] + OPEN_BITE + code[6:]
                 if code[:3] in _OPEN_WOUNDS and len(code) > 6 and code[5] in "1234" else None)
    return out


def traumatic_fracture(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A fracture not said to be pathological (stress, osteoporotic, due to disease) is traumatic
    (guideline I.C.19.c): a pathological, stress or atypical fracture code (M80, M84.3-M84.7) scores a quarter
    ("FX L RADIUS DIST CLSD" is S52.502A, not M84.334A), and a traumatic one (S) does for a
    fracture said to be pathological ("Osteoporotic L1 compression fracture" is M80.08XA), after giving
    a first place to the best pathological code ("Stress fx R 2nd metatarsal" is M84.374A)."""
    if sub.system != ICD10CM:
        return scores
    fracture = np.array([bool(_FRACTURE.search(q.variants[0].text)) for q in batch.queries])
    if not fracture.any():
        return scores
    said = np.array([any(_PATHOLOGICAL.search(v.text) for v in q.variants) for q in batch.queries])
    pathological = sub.mask(PATHOLOGICAL_FRACTURE)[batch.cand_concept]
    traumatic = (sub.mask("S") & sub.mask(_says_fracture, "displays"))[batch.cand_concept]
    other = np.where(said[batch.cand_query], traumatic, pathological) & fracture[batch.cand_query]
    out = scores.copy()
    for n in np.flatnonzero(said & fracture).tolist():  # the best pathological code takes the first place
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        rows = [i for i in range(lo, hi) if pathological[i]]
        i = lo + int(np.argmax(out[lo:hi])) if hi > lo else None
        if rows and i is not None and traumatic[i]:
            to_twin(out, i, max(rows, key=lambda r: out[r]))
    return np.where(other, out * OTHER_KIND, out)


def _says_fracture(display: str) -> bool:
    return "fracture" in display.lower()


def fracture_over_symptom(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A symptom code (R) first where the entry states a fracture ("..., deformity + epistaxis, CT: nondisplaced
    nasal bone fx" is S02.2XXA, not R04.0) gives its place to the best fracture code: the fracture explains it."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not any(undenied(_FRACTURE, v.text) for v in q.variants[1:2]):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        i = lo + int(np.argmax(out[lo:hi])) if hi > lo else None
        rows = [lo + k for k, code in enumerate(codes) if code.startswith("S")
                and "fracture" in sub.displays[int(batch.cand_concept[lo + k])].lower()]
        if i is not None and rows and codes[i - lo].startswith("R"):
            to_twin(out, i, max(rows, key=lambda r: out[r]))
    return out


_MALTREATMENT_KIND = (("0", re.compile(r"\b(neglect|neglected|abandon\w*)\b")),
                      ("1", re.compile(r"\bphysical\w*\b")), ("2", re.compile(r"\bsexual\w*\b")),
                      ("3", re.compile(r"\b(psychological\w*|emotional\w*|verbal\w*)\b")))


def suspected_maltreatment(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A maltreatment code of another kind, age or certainty than the entry states gives its score to
    its twin that has them: T74- is confirmed and T76- suspected, a T7x.x- takes the one kind the entry
    states ("ELDER NEGLECT ... SUSP" is T76.01XA, not T74.11XA), and a child's (T7x.x2) or an adult's
    (T7x.x1) the age the reading has ("ELDER ABUSE SUSPECTED - PHYSICAL" is T76.11XA; "Suspected physical
    abuse ..., CPS report" T76.12XA)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        lo, hi, codes = entry_codes(batch, sub, n)
        if not any(code.startswith(("T74", "T76")) for code in codes):
            continue
        kinds = {k for k, pattern in _MALTREATMENT_KIND if any(pattern.search(v.text) for v in q.variants)}
        words = {w for v in q.variants for w in v.text.split()}
        ages = {age for age, word in (("1", "adult"), ("2", "child")) if word in words}
        suspected = q.assertion.uncertain

        def twin_of(code: str) -> str | None:
            if not code.startswith(("T74", "T76")) or len(code) < 7 or code[5] not in "12":
                return None
            kind = next(iter(kinds)) if len(kinds) == 1 else code[4]
            age = next(iter(ages)) if len(ages) == 1 else code[5]
            return ("T76" if suspected else code[:3]) + "." + kind + age + code[6:]
        to_twins(out, lo, codes, twin_of)
    return out


_SURFACE = re.compile(r"^(laceration|abrasion|contusion|puncture wound|open bite|blister|superficial|insect bite|"
                      r"other superficial|unspecified superficial)", re.IGNORECASE)
# the sites a superficial wound's title names, and what an entry's site word is a part of
_SITES = frozenset("hand foot head ear eye eyelid scalp finger thumb toe wrist ankle knee elbow shoulder hip thigh leg "
                   "arm forearm lip nose neck cornea cheek chin forehead back abdomen chest breast buttock".split())
_PART_OF = {"forehead": {"head"}, "chin": {"head"}, "temple": {"head"}, "cheek": {"head"}, "jaw": {"head"},
            "corneal": {"cornea", "eye"}, "cornea": {"eye"}, "palm": {"hand"}, "knuckle": {"hand", "finger"},
            "heel": {"foot"}, "sole": {"foot"}, "shin": {"leg"}, "calf": {"leg"}, "fingertip": {"finger"},
            "eyebrow": {"eyelid"}, "brow": {"eyelid"}}


def wound_site(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A superficial or open wound code naming only sites the entry does not (nor any they are part of)
    scores OTHER_SITE, for an entry that names a site."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        words = frozenset().union(*(word_set(v.text) for v in q.variants))
        named = {w for w in words if w in _SITES or w in _PART_OF}
        if not named:
            continue
        named |= set().union(*(_PART_OF.get(w, set()) for w in named))
        for i in range(int(batch.cand_start[n]), int(batch.cand_start[n + 1])):
            display = sub.displays[batch.cand_concept[i]]
            if sub.codes[batch.cand_concept[i]][0] == "S" and _SURFACE.match(display):
                sites = word_set(display) & _SITES
                if sites and not sites & named:
                    out[i] *= OTHER_SITE
    return out
