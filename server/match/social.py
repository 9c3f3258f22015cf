"""Gravity SDOH categories a reading tells apart that the terms alone do not: a lack of a device
or a connection is digital access, whatever it keeps the person from ("No smartphone or internet at
home, can't do video f/u" is digital-access, not digital-literacy, which is a lack of skills); a
person living in a car or outside is unsheltered, whatever brought it about ("Living in car w/ 2 kids
since eviction" is Z59.02, not Z59.811 "housing instability, housed"); an older person's benefits taken, or
a report to adult protective services, is elder abuse."""

from __future__ import annotations

import re

import numpy as np

from server.match.rerank import CLASH_PENALTY, entry_codes, to_top, to_twin
from server.systems import ICD10CM, SDOHCC

ACCESS, LITERACY = "digital-access", "digital-literacy"
FINANCIAL = "financial-insecurity"
_NO_DEVICE = re.compile(r"\b(no|without|lacks?|lost|cut off)\b(?: \S+){0,2}? (internet|smartphone|phone|device|"
                        r"computer|laptop|wifi|wi-fi|data plan|data)\b")
_SKILLS = re.compile(r"\b(know how|knows how|skills?|comfortable|navigate|literacy|trouble using|help using|"
                     r"unable to use|can't use|cannot use|doesn't use)\b")


def digital(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying a device or a connection is lacking and nothing of skills, digital literacy
    gives its score to digital access and scores CLASH_PENALTY; for one saying skills are lacking and
    no device, the other way ("not comfortable using the portal" is digital literacy)."""
    if sub.system != SDOHCC or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        text = q.variants[0].text
        device, skills = bool(_NO_DEVICE.search(text)), bool(_SKILLS.search(text))
        if device == skills:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        if LITERACY in codes and ACCESS in codes:
            i, j = lo + codes.index(LITERACY), lo + codes.index(ACCESS)
            i, j = (i, j) if device else (j, i)
            out[j] = max(out[i], out[j])
            out[i] *= CLASH_PENALTY
    return out


HEALTH_LITERACY = "personal-health-literacy"
_NOT_UNDERSTOOD = re.compile(r"\bteach[- ]?back\b|\b(?:can't|cannot|unable to|doesn't|does not|didn't|trouble|"
                             r"difficulty|struggles to) (?:read|understand|follow|explain)\w*(?: \S+){0,4}? "
                             r"(?:instructions?|labels?|directions|dosing|doses|medications?|meds|insulin|inhalers?|"
                             r"discharge|care plan)\b")
_DEVICE = re.compile(r"\b(portal|computer|app|apps|internet|online|smartphone|email|video|telehealth|zoom)\b")


def _over(scores: np.ndarray, batch, sub, said: re.Pattern, unless: re.Pattern | None, category: str,
          others: tuple[str, ...], best: bool = False) -> np.ndarray:
    """For an entry whose text `said` matches and `unless` (if any) does not, each of `others` gives its
    score to `category` and scores CLASH_PENALTY; with `best`, `category` takes the entry's best score too."""
    if sub.system != SDOHCC or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        text = q.variants[0].text
        if not said.search(text) or unless and unless.search(text):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        if category not in codes:
            continue
        j = lo + codes.index(category)
        if best:
            to_top(out, lo, hi, j)
        for i in (lo + codes.index(other) for other in others if other in codes):
            to_twin(out, i, j)
            out[i] *= CLASH_PENALTY
    return out


def health_literacy(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying a person cannot read or follow their care's instructions (a failed teach-back),
    and nothing of a device, personal health literacy takes the entry's best score and another literacy or
    education category's ("can't read discharge instructions" is no educational attainment)."""
    return _over(scores, batch, sub, _NOT_UNDERSTOOD, _DEVICE, HEALTH_LITERACY, (LITERACY, "educational-attainment"),
                 best=True)

COST_BURDEN = "medical-cost-burden"
_CARE_COST = re.compile(r"\b(copays?|co-pays?|deductibles?|ration\w*|(?:can't|cannot|unable to|couldn't) afford|"
                        r"too expensive|costs?)\b(?: \S+){0,5}? (insulin|inhalers?|meds|medications?|medicines?|"
                        r"prescriptions?|rx|refills?|pills|doses|treatment|therapy|visits?|care)\b|"
                        r"\b(insulin|inhalers?|meds|medications?|prescriptions?|refills?)\b(?: \S+){0,5}? "
                        r"(copays?|co-pays?|costs?|ration\w*|afford)\b")
_UNINSURED = re.compile(r"\b(uninsured|no (?:health )?insurance|without insurance|lost (?:his |her |their )?"
                        r"(?:insurance|coverage|medicaid)|lapsed|not covered|coverage ended|no coverage)\b")


def cost_burden(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying the cost of care or medicine is a burden ("rationing insulin d/t $98 copay even
    w/ insurance"), and not that insurance is lacking, medical cost burden takes the entry's best score and
    an insurance, food or financial category's."""
    return _over(scores, batch, sub, _CARE_COST, _UNINSURED, COST_BURDEN,
                 ("health-insurance-coverage-status", "food-insecurity", FINANCIAL), best=True)

INSTABILITY = "housing-instability"
_LOSING_HOUSING = re.compile(r"\b(?:has to|have to|must|needs? to|told to|asked to) (?:leave|move|be out)\b|"
                             r"\bwants? (?:him|her|them|us) out\b|\blease (?:was )?(?:terminated|ending|ends|ended)\b")
_WITHOUT_HOUSING = re.compile(r"\b(shelter|car|van|street|streets|outside|outdoors|tent|unsheltered|homeless|camp\w*)\b")


def losing_housing(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying the person is about to lose where they stay ("doubled up w/ sister, has to leave by
    end of month"), and not that they are without housing now, housing instability takes the entry's best
    score: whatever else it says (a parole, a job) is what led to it."""
    return _over(scores, batch, sub, _LOSING_HOUSING, _WITHOUT_HOUSING, INSTABILITY, (), best=True)

UTILITY = "utility-insecurity"
_UTILITIES = r"(electric\w*|power|gas|water|utility|utilities|heat|heating|light)"
_UTILITY_DEBT = re.compile(rf"\b{_UTILITIES}\b(?: \S+){{0,4}}? (disconnect\w*|shut ?off|cut off|past due|overdue|"
                           rf"arrears|notice)\b|\b(owes?|owing|behind on|can't pay|cannot pay|unable to pay)\b"
                           rf"(?: \S+){{0,4}}? {_UTILITIES}\b")
_HOUSING_COST = re.compile(r"\b(rent|mortgage|eviction|evicted)\b")


def utility_debt(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying a utility bill is owed or service is to be cut off ("owes $1,100 to electric co,
    disconnection Friday"), and nothing of rent, utility insecurity takes the entry's best score and a
    financial category's."""
    return _over(scores, batch, sub, _UTILITY_DEBT, _HOUSING_COST, UTILITY, (FINANCIAL, "material-hardship"),
                 best=True)

_NEEDS = r"(rent|food|groceries|utilities|bills|medicines?|meds)"  # goods (diapers, clothes): material hardship
_SEVERAL_UNAFFORDABLE = re.compile(rf"\b(?:can't|cannot|unable to|couldn't|not enough to|hard to|struggles? to) "
                                   rf"(?:afford|cover|pay)(?: for)?(?: both)? (?:\S+ )??{_NEEDS}(?:\s|,|and|or|&)+"
                                   rf"(?:\S+ )?{_NEEDS}\b")


def several_needs(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying several necessities are beyond the person's means ("can't cover both rent and
    groceries", "UNABLE TO AFFORD RENT,FOOD,UTILITIES"), financial insecurity takes the entry's best score
    and that of each one need's category."""
    return _over(scores, batch, sub, _SEVERAL_UNAFFORDABLE, None, FINANCIAL,
                 ("food-insecurity", "housing-instability", UTILITY, COST_BURDEN, "material-hardship"), best=True)

UNSHELTERED = "Z59.02"
_UNSHELTERED = re.compile(r"\b(living|lives|live|sleeping|sleeps|staying|stays) (in (a |her |his |their |the )?"
                          r"(car|van|truck|vehicle|tent)|outside|outdoors|on the streets?|under (a |the )?"
                          r"(overpass|bridge|freeway|highway))\b|\bunsheltered\b|\b(no|declines?|refuses?) "
                          r"shelter\b")


def unsheltered(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry saying the person lives in a car, a tent, outside or with no shelter, another Z59 housing
    code gives its score to Z59.02 "Unsheltered homelessness" and scores CLASH_PENALTY."""
    if sub.system != ICD10CM or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not _UNSHELTERED.search(q.variants[0].text):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        if UNSHELTERED not in codes:
            continue
        for i, code in enumerate(codes):
            if code.startswith(("Z59.0", "Z59.1", "Z59.8")) and code != UNSHELTERED:
                to_twin(out, lo + i, lo + codes.index(UNSHELTERED))
                out[lo + i] *= CLASH_PENALTY
    return out


ELDER_ABUSE = "elder-abuse"
_ELDER_ABUSE = re.compile(r"\b(adult protective services|aps)\b|\b(cash\w*|tak\w*|steal\w*|stole|withdraw\w*|"
                          r"withhold\w*|spend\w*|keep\w*) (?:\S+ ){0,3}?"
                          r"(social security|ss|pension|pensions|benefits)\b")


def elder_abuse(scores: np.ndarray, batch, sub) -> np.ndarray:
    """For an entry naming adult protective services or an older person's benefits taken ("son cashing her
    SS checks"), elder abuse takes the first category's score when it is not first already."""
    if sub.system != SDOHCC or not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not any(_ELDER_ABUSE.search(v.text) for v in q.variants):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        if ELDER_ABUSE in codes:
            to_twin(out, lo + int(np.argmax(out[lo:hi])), lo + codes.index(ELDER_ABUSE))
    return out
