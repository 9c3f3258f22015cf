"""The coder's rule of the most specific code the entry supports. Billable
ICD-10-CM codes of one category pair up when a sibling says only qualifiers more
than an unspecified code (H61.20 "Impacted cerumen, unspecified ear" and H61.21
"..., right ear"). When an entry states all of a sibling's extra qualifiers and
the unspecified code outranks the sibling among its candidates, the two change
places: "Left hip fracture" reaches S72.002A even though the alias "hip fracture"
belongs to S72.009A.

And the coder's default: a code that says "with X" (or "in remission", "with
unspecified complications") is never taken over the sibling that says "without X"
("uncomplicated", "not intractable") when the entry is silent on X: "Scalp
laceration" is S01.01XA "without foreign body", not S01.02XA; and the other way, a
code that has what the entry names is taken over its default ("Stimulant withdrawal
in ... use disorder" is F15.23, not F15.20 "..., uncomplicated")."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from server.match import conventions, disorders, features, injury, mental, poisoning, pregnancy, social
from server.match.abbreviations import SUBSTANCES
from server.match.content import ALIAS
from server.match.implied import SEVERITIES, undenied
from server.match.named import WEAK_HEAD, clause_named, disorder_before_cause, head_named
from server.match.normalize import word_set
from server.match.rerank import CLASH_PENALTY, entry_codes, to_twin, to_twins
from server.match.said import NEGATIONS, TESTING, absent, denied, said_in, said_words, tested
from server.systems import ICD10CM, SNOMED

UNSAID = frozenset({"unspecified", "uncomplicated", "nos"})  # words of the unspecified code's title
ASSUMED = frozenset({"unilateral", "primary"})  # what a coder assumes; entries rarely say it
DEFAULT_WORDS = frozenset({"without", "uncomplicated", "not"})  # all a default sibling may say more
# (what a coder assumes when the entry is silent, what it is assumed over): "primary" osteoarthritis,
# a "female" breast, an "unspecified" ligament rather than an "other" one
PREFERRED = tuple((frozenset({a}), frozenset({b})) for a, b in (("primary", "secondary"), ("female", "male"),
                                                                  ("unspecified", "other")))
OTHER = frozenset({"other"})  # every "Other ..." title says it: not the entry's word
SIDES = frozenset({"left", "right", "bilateral"})
_COVERAGE = features.NAMES.index("idf_q_cov")
NEGATIVE_FINDING = ("no ", "not ", "denies ", "negative for ", "absence of ")
NEGATIVE_FINDING_PENALTY = 0.1  # it says the opposite of the entry
DENIED_ONLY = CLASH_PENALTY
TESTED_ONLY = 0.01  # a disease the entry names only as something to test for
_NEGATION = re.compile(r"\b(without|not|non|no|wo|w/o|denies|deny|denying)\b")  # what _denied starts at
BIPOLAR_TWO = "F31.81"
NOT_BIPOLAR_TWO = 0.1  # ICD-10-CM codes every bipolar II disorder so, whatever its episode
_BIPOLAR_TWO = re.compile(r"\bbipolar (2|ii|type ?(2|ii))\b|\bbipolar type2\b")
_BIPOLAR = re.compile(r"\b(bipolar|manic[- ]depressive)\b")
NOT_BIPOLAR = 0.25  # F32 / F33 exclude bipolar disorder (Excludes1): its depressive episode is an F31 code
# A coder never assumes remission (nor severity, but titles name stages by it, "N18.4 ..., stage 4
# (severe)", and DSM-5 aliases its codes, "opioid use disorder, mild" is F11.10)
REMISSION = frozenset({"remission"})
UNSTATED_REMISSION = CLASH_PENALTY
# A history of a substance use disorder is coded as the disorder in remission (the ICD-10-CM index:
# history, personal, dependence - see dependence, by drug, in remission); of tobacco use, Z87.891.
_TOBACCO = frozenset("nicotine tobacco tob cig cigarette smoker smoke smoking smkr vape vaping".split())
TOBACCO_USE = "Z72.0"
_TOBACCO_DISORDER = re.compile(
    r"\b(tobacco|nicotine|cigarette|cigarettes) (use disorder|dependence|addiction)\b"
    r"|\b(smoker|smokes|smoking)\b.*\b(ppd|packs? per day|packs? a day|cigarettes|cigs|pack-years?)\b"
    r"|\b(tobacco|nicotine|chews?|chewing|snuff|dip|smokeless|vapes?|vaping|smoker|smokes|smoking)\b.*"
    r"\b(dependent|dependence|addicted|craves|craving|cravings)\b"
    r"|\b(tobacco|chews?|chewing|snuff|dips?|smokeless|smoker|smokes|smoking|cigs|cigarettes)\b.*"  # treated
    r"\b(nicotine (lozenges?|patch|patches|gum)|nrt|varenicline|chantix|cans?/day|cans? a day)\b")
# "does not meet dependence criteria", "not nicotine dependent": a tobacco use (Z72.0), no F17 code
_NOT_DEPENDENT = re.compile(r"\b(not|no|never|denies|without)(?: (?:meet|meets|met|criteria|for|of|the|a|an|any|full|"
                            r"physically|physiologically|currently|nicotine|tobacco|cigarette|dsm-5))* "
                            r"(dependent|dependence|addicted|addiction|use disorder)\b|\bnon-?(depend\w*|addicted)\b")
NICOTINE_DEPENDENCE = "F17"
# a smoker of cannabis, crack or meth, as the entry names it, is no tobacco user
_SMOKED = frozenset({"F12", "F14", "F15"})
_TOBACCO_NAMED = frozenset("tobacco nicotine cig cigs cigarette cigarettes cigar cigars ppd packs pack-years vape "
                           "vapes vaping juul chew chews chewing snuff dip smokeless".split())
TOBACCO_CODES = (TOBACCO_USE, NICOTINE_DEPENDENCE, "Z87.891")
_TOBACCO_WORDS = _TOBACCO | _TOBACCO_NAMED | frozenset({"smokes", "smokers"})
# I69 is the sequela of a cerebrovascular disease the entry names ("right hemiparesis" alone is G81.91)
_CEREBROVASCULAR = re.compile(r"\b(stroke|strokes|cva|infarct|infarction|cerebrovascular|hemorrhage|haemorrhage|"
                              r"sah|ich|bleed|aneurysm|occlusion|thrombosis|embolism)\b")
NO_CEREBROVASCULAR = 0.25
# F01-F03: a dementia's severity as stated (mild A, moderate B, severe C), else "unspecified severity";
# one due to a disease named elsewhere is F02, not F03 ("dementia in Alzheimer's disease w/ agitation": F02.811)
_DEMENTIA_SEVERITY = {"mild": "A", "moderate": "B", "severe": "C"}
_UNSPECIFIED_SEVERITY = {"F01": "5", "F02": "8", "F03": "9"}
_UNDERLYING = re.compile(r"\b(alzheimer\w*|alz|parkinson\w*|lewy|huntington\w*|pick|picks|frontotemporal|hiv|"
                         r"in other diseases?|classified elsewhere)\b")
_DISTURBANCE = re.compile(r"\b(%s)\b" % "|".join(words for _, words in mental.DISTURBANCES))  # as mental reads
_VASCULAR = re.compile(r"\b(vascular|vasc|multi-?infarct|infarcts?|strokes?|cva|cvas|cerebrovascular|small vessel|"
                       r"arteriosclerotic|binswanger\w*|vad)\b")
_DRUG_TITLE = re.compile(r"\bdrug[- ]induced|\bdue to (drugs|medicaments)\b")  # E03.2, I95.2, K59.03
# F10-F16, F18 by the words that name their substance: an entry naming one is no use of another
_SUBSTANCE_FAMILY = {w: f for f, ws in (
    ("F10", "alcohol alcoholic alcoholism etoh drinking drinks beer beers wine liquor vodka aud"),
    ("F11", "opioid opioids opiate opiates heroin fentanyl oxycodone methadone buprenorphine suboxone oud morphine "
            "hydrocodone percocet"),
    ("F12", "cannabis cannabinoid marijuana thc weed mj dabs edibles"),
    ("F13", "sedative sedatives hypnotic hypnotics anxiolytic anxiolytics benzodiazepine benzodiazepines benzo "
            "benzos xanax alprazolam clonazepam klonopin lorazepam ativan diazepam valium"),
    ("F14", "cocaine crack"),
    ("F15", "stimulant stimulants methamphetamine meth amphetamine amphetamines adderall"),
    ("F16", "hallucinogen hallucinogens lsd psilocybin pcp"),
    ("F18", "inhalant inhalants huffing huffs")) for w in ws.split()}
OTHER_SUBSTANCE = 0.25
_TREATMENT_NAME = re.compile(r"\bmedications? for opioid use disorder\b")
_FAMILIES = frozenset(_SUBSTANCE_FAMILY.values())
_CIGARETTES = re.compile(r"\b(cigarettes?|cigs|ppd|packs? per day|packs? a day|pack-years?|pk-yrs?)\b")
STEM = 4  # an entry word sharing this many first letters with X mentions X ("bleed", "remitted")
WHOLE_WORDS = frozenset("forearm forehead forefoot forefinger induction".split())  # no "foreign" body, no
# "opioid-induced" disorder in a buprenorphine induction: only themselves


def _categories(codes: list[str], billable) -> list[list[int]]:
    """Billable codes by ICD-10-CM category (first three characters)."""
    by_category: dict[str, list[int]] = {}
    for c, (code, is_billable) in enumerate(zip(codes, billable)):
        if is_billable:
            by_category.setdefault(code[:3], []).append(c)
    return list(by_category.values())


def qualifier_pairs(codes: list[str], billable, display_words: list[frozenset],
                    absent: list[frozenset] | None = None) -> list[tuple[int, int, frozenset]]:
    """(unspecified code, sibling, the sibling's display words the other lacks) for billable
    codes of one category where those words are qualifiers (ASSUMED ones aside). With `absent`
    (per code, what its display says it is without), a sibling may also say "without X", the
    default a coder takes when the entry is silent on X (F32.9 -> F32.2 "severe without
    psychotic features")."""
    pairs = []
    for members in _categories(codes, billable):
        for u in members:
            if not display_words[u] & UNSAID:
                continue
            for s in members:
                more = display_words[s] - display_words[u]
                if s == u or not more or not display_words[u] - display_words[s] <= UNSAID:
                    continue
                said = more - absent[s] - {"without"} if absent is not None else more
                if "without" in said or not said:
                    continue
                if len(features.qualifiers(" ".join(said))) >= len(said - ASSUMED):
                    pairs.append((u, s, more))
    return pairs


def siblings(codes: list[str], billable, display_words: list[frozenset],
             absent: list[frozenset]) -> dict[int, list[tuple[int, frozenset, frozenset]]]:
    """Per unspecified code: (sibling, the qualifiers an entry must state to name it, the words
    it must not mention)."""
    out: dict[int, list[tuple[int, frozenset, frozenset]]] = {}
    for u, s, more in qualifier_pairs(codes, billable, display_words, absent):
        need = features.qualifiers(" ".join(more - absent[s])) - ASSUMED - {"without"}
        if need:
            out.setdefault(u, []).append((s, need, more & absent[s]))
    return out


def defaults(codes: list[str], billable, display_words: list[frozenset],
             displays: list[str]) -> dict[int, list[tuple[int, frozenset]]]:
    """Per billable code: (its default sibling, the words X an entry must not mention for the
    sibling to be taken): the sibling says only "without X", "not X" or "uncomplicated" more
    (K21.01 "... with bleeding" -> K21.00 "... without bleeding", F13.11 "... in remission"
    -> F13.10 "..., uncomplicated"), or what a coder assumes in place of the alternative (PREFERRED:
    M19.211 "Secondary ..., right shoulder" -> M19.011 "Primary ...", C50.922 "... male breast" -> C50.912
    "... female breast")."""
    out: dict[int, list[tuple[int, frozenset]]] = {}
    for members in _categories(codes, billable):
        for assumed, over in PREFERRED:
            preferred = [b for b in members if assumed <= display_words[b]]
            for a in (a for a in members if preferred and over <= display_words[a]):
                for b in preferred:
                    if display_words[a] - display_words[b] == over and display_words[b] - display_words[a] == assumed:
                        out.setdefault(a, []).append((b, over))
        if not any(display_words[b] & DEFAULT_WORDS for b in members):
            continue
        no = {c: absent(displays[c]) for c in members}  # uncached: titles would crowd out entries
        other = {c: displays[c].lower().startswith("other ") for c in members}  # "Other ulcerative colitis"
        for b in members:
            if not display_words[b] & DEFAULT_WORDS:
                continue
            for a in members:
                more, lost = display_words[b] - display_words[a], display_words[a] - display_words[b] - UNSAID
                if a == b or not more or not more <= DEFAULT_WORDS or not no[a] <= no[b] \
                        or other[b] > other[a]:
                    continue
                x = no[b] - no[a]
                if "uncomplicated" in more:  # in place of what a has ("in remission", "with withdrawal")
                    x |= lost
                elif lost or not x <= display_words[a]:
                    continue
                if x:  # "unspecified" -> "uncomplicated" is not one: the index takes F10.239 "with withdrawal"
                    out.setdefault(a, []).append((b, frozenset(x)))
    return out


def _mentions(entry: frozenset, x: frozenset) -> bool:
    return any(w[:STEM] == e[:STEM] for w in x for e in entry - NEGATIONS - WHOLE_WORDS if len(e) >= STEM) \
        or bool(entry & x)


def _within(entry: frozenset, display: frozenset) -> bool:
    """Every word of the entry begins a display word ("sed/hyp" in "sedative, hypnotic")."""
    return all(any(d.startswith(e[:STEM]) for d in display) for e in entry if len(e) > 1)


def entry_words(query) -> tuple[frozenset, frozenset]:
    """(the coder's qualifiers an entry states, its content words), over all its readings."""
    return _entry_words(tuple(v.text for v in query.variants))


@lru_cache(maxsize=8192)
def _entry_words(readings: tuple[str, ...]) -> tuple[frozenset, frozenset]:
    return (frozenset().union(*(features.qualifiers(r) for r in readings)),
            frozenset().union(*(word_set(r) for r in readings)))


def prefer_specific(scores: np.ndarray, batch, sub, x: np.ndarray,
                    best_term: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores with each stated sibling in its unspecified code's place - the most specific
    sibling when several are stated - and each default sibling in the place of the code that has
    what the entry is silent on, per candidate the row whose support the calibrator reads: a
    promoted code is supported as well as the displaced code's best term supports it)."""
    support = np.arange(len(scores))
    scores = _negative_finding(_only_denied(scores, batch, sub, best_term), batch, sub, best_term)
    scores = _denied_qualifier(scores, batch, sub)
    scores = pregnancy.planned(pregnancy.chapter(scores, batch, sub), batch, sub)
    scores = disorders.over_symptom(poisoning.by_intent(scores, batch, sub), batch, sub)
    scores = disorders.feared_object(disorders.induced_kind(scores, batch, sub), batch, sub)
    scores = disorders.induced_psychosis_with(scores, batch, sub)
    scores = social.digital(disorders.not_the_patients_use(scores, batch, sub), batch, sub)
    scores = social.health_literacy(social.elder_abuse(scores, batch, sub), batch, sub)
    scores = social.losing_housing(social.cost_burden(scores, batch, sub), batch, sub)
    scores = social.several_needs(social.utility_debt(scores, batch, sub), batch, sub)
    scores = conventions.remission_over_history(social.unsheltered(scores, batch, sub), batch, sub)
    scores = conventions.history_over_event(scores, batch, sub)
    pairs = sub.specific_siblings
    if not (pairs or sub.default_siblings) or not len(scores):
        return scores, support
    out = scores.copy()
    concepts = batch.cand_concept.tolist()
    for n, query in enumerate(batch.queries if pairs else ()):
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        hits = [(i, pairs[c]) for i, c in enumerate(concepts[lo:hi], lo) if c in pairs]
        if not hits:
            continue
        stated, said = entry_words(query)
        if not stated:
            continue
        row = {c: i for i, c in enumerate(concepts[lo:hi], lo)}
        for i, options in hits:
            named = [(len(need), out[row[s]], row[s]) for s, need, unsaid in options
                     if s in row and need <= stated and unsaid.isdisjoint(said)]
            if named:
                j = max(named)[2]
                if out[j] < out[i]:
                    _swap(out, support, i, j)
    out = conventions.numbered_type(conventions.paranoid_type(out, batch, sub), batch, sub)
    out = conventions.diabetic_foot_ulcer(out, batch, sub)
    out = conventions.stated_age(conventions.said_kind(out, batch, sub), batch, sub)
    out = _mood_episode(_bipolar_two(_not_unipolar(out, batch, sub), batch, sub), batch, sub)
    out = _hypertensive(out, batch, sub)
    out = conventions.old_infarction(_stroke_sequela(_tobacco_use_disorder(out, batch, sub), batch, sub), batch, sub)
    out = _other_substance(_dementia(pregnancy.by_gravida(out, batch, sub), batch, sub), batch, sub)
    out = clause_named(head_named(_stated_level(out, batch, sub), batch, sub), batch, sub)
    out = disorder_before_cause(out, batch, sub)
    out = injury.open_bite(injury.traumatic_fracture(injury.external_cause(out, batch, sub), batch, sub), batch, sub)
    out = injury.fracture_over_symptom(out, batch, sub)
    out = injury.wound_site(injury.suspected_maltreatment(out, batch, sub), batch, sub)
    out = _unstated_remission(out, batch, sub, best_term)
    _said_sibling(out, support, batch, sub, best_term)
    out, support = _prefer_default(out, support, batch, sub, x[:, _COVERAGE], best_term)
    _drug_caused(out, support, batch, sub)
    _unstated_qualifier(out, support, batch, sub)
    return conventions.withdrawal_signs(pregnancy.puerperium(out, batch, sub, support), batch, sub), support


def _unstated_qualifier(scores: np.ndarray, support: np.ndarray, batch, sub) -> None:
    """A first code that is a stated sibling of an unspecified code ("..., chronic") gives its place to
    that code when the entry states none of the qualifiers it needs and is none of its terms: a coder
    does not assume them ("PTSD, combat-related" is F43.10, though a table's "PTSD COMBAT CHRONIC"
    maps to F43.12). Nor a side: "thigh abscess" is L02.419 "... of limb, unspecified", not L02.416
    "... of left lower limb"."""
    for n, query in enumerate(batch.queries):
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        if hi - lo < 2:
            continue
        i = lo + int(np.argmax(scores[lo:hi]))
        concept = int(batch.cand_concept[i])
        unspecified, need = sub.unspecified_of.get(concept, (None, None))
        stated = entry_words(query)[0] if unspecified is not None else frozenset()
        if need is not None and need & SIDES and not stated & SIDES:  # "thigh abscess": L02.419, of no side
            stated = stated - need
        if (unspecified is None or need & stated or "remission" in need  # _unstated_remission's
                or any(int(sub.term_concept[t]) == concept for t in batch.exact[n])):  # the entry is its term
            continue
        rows = np.flatnonzero(batch.cand_concept[lo:hi] == unspecified)
        if len(rows):
            _swap(scores, support, i, lo + int(rows[0]))


def _said_sibling(scores: np.ndarray, support: np.ndarray, batch, sub, best_term: np.ndarray) -> None:
    """An entry's first code that is an unspecified one gives its place to a sibling (the code but
    its last character) whose curated alias the entry says word for word ("HOMELESS, LIVING IN CAR" is Z59.02
    "Unsheltered homelessness", through "living in car", not Z59.00 "Homelessness unspecified")."""
    if sub.system != ICD10CM or not len(scores):
        return
    concepts = batch.cand_concept.tolist()
    for n, query in enumerate(batch.queries):
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        if hi - lo < 2:
            continue
        i = lo + int(np.argmax(scores[lo:hi]))
        code = sub.codes[concepts[i]]
        if not sub.displays[concepts[i]].lower().endswith("unspecified"):
            continue
        said = entry_words(query)[1]
        first = sub.term_words[int(best_term[i])]
        for j in sorted(range(lo, hi), key=lambda k: -scores[k]):
            words = sub.term_words[int(best_term[j])]
            sibling = sub.codes[concepts[j]]
            if (j != i and len(sibling) == len(code) and sibling[:-1] == code[:-1]
                    and sub.term_kind[int(best_term[j])] == ALIAS
                    and len(words) > 1 and words <= said and not words <= first):
                _swap(scores, support, i, j)
                break


def _unstated_remission(scores: np.ndarray, batch, sub, best_term: np.ndarray) -> np.ndarray:
    """A code reached through a term saying "in remission" when the entry does not mention it
    scores a quarter ("bipolar I, most recent episode depressed, moderate" is not F31.75 "..., in
    partial remission, most recent episode depressed"); an alias that says it otherwise ("sober,
    in recovery") is the curators' word and stands."""
    says = sub.mask(_says_remission, "terms")[best_term]
    if not says.any():
        return scores
    entries = [entry_words(q)[1] for q in batch.queries]
    silent = np.array([not (_mentions(words, REMISSION) or _history_of_use(q, words))
                       for q, words in zip(batch.queries, entries)])
    return np.where(says & silent[batch.cand_query], scores * UNSTATED_REMISSION, scores)


def _says_remission(term: str) -> bool:
    return not REMISSION.isdisjoint(word_set(term))


def _history_of_use(query, words: frozenset) -> bool:
    """A historical entry (its content words) about a substance other than tobacco: it says "in
    remission"."""
    return query.assertion.historical and not SUBSTANCES.isdisjoint(words) and _TOBACCO.isdisjoint(words)


def _denial(q) -> tuple[frozenset, frozenset]:
    """(the words the entry denies and nowhere says, the words it says); nothing when it denies nothing."""
    return _denial_in(q.text, tuple(v.text for v in q.variants))


@lru_cache(maxsize=8192)
def _denial_in(text: str, readings: tuple[str, ...]) -> tuple[frozenset, frozenset]:
    if not any(_NEGATION.search(r) for r in readings) and not tested(text):
        return frozenset(), frozenset()
    said = said_in(text, readings)
    return (frozenset().union(*(denied(r) for r in readings)) | tested(text)) - said, said


def _only_denied(scores: np.ndarray, batch, sub, best_term: np.ndarray) -> np.ndarray:
    """A code whose best term meets the entry only in words the entry denies scores DENIED_ONLY
    ("paranoid schizophrenia, AH persist, no SI/HI" is no R45.850 "Homicidal ideations"); a term
    that denies them too agrees ("no car"). So does one whose display's head the entry denies ("panic
    disorder w/o agoraphobia" is no F40.01 "Agoraphobia with panic disorder", "cellulitis, no
    abscess" no L02.414 "Cutaneous abscess of left upper limb"). One met only in what the entry wants
    tested scores TESTED_ONLY ("..., wants HIV/HCV testing" is no B20), unless its term is of a test."""
    if not len(scores):
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        no, said = _denial(q)
        if not no:
            continue
        tests = tested(q.text) - said
        no_stems = _stems(no)
        for i in range(int(batch.cand_start[n]), int(batch.cand_start[n + 1])):
            t = int(best_term[i])
            met = (sub.term_words[t] - denied(sub.terms[t])) & (no | said)
            display = sub.displays[batch.cand_concept[i]]
            if met and met <= tests:
                if not (sub.term_words[t] | word_set(display)) & TESTING:
                    out[i] *= TESTED_ONLY
            elif met and met <= no or _stems(_head_words(display)) & no_stems:  # "no agoraphobic avoidance"
                out[i] *= DENIED_ONLY
    return out


_PLAIN = frozenset({"uncomplicated", "unspecified"})
_ENDING = re.compile(r"(ic|ia|al|s)$")


def _stems(words: frozenset) -> frozenset:
    """The words less an adjective's or a noun's ending: "agoraphobic" denies "agoraphobia"."""
    return frozenset(_ENDING.sub("", w) for w in words)


@lru_cache(maxsize=65536)
def _affirmed(display: str) -> frozenset:
    return word_set(display) - absent(display)


_WITHOUT = frozenset({"without", "mention"})  # G20.A1 "..., without mention of fluctuations"


def _denied_qualifier(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A first code whose qualifier the entry denies gives its score to its plain sibling ("... CIWA 14.
    no hx w/d seizures or DTs" is F10.230 "... with withdrawal, uncomplicated", not F10.231 "... with
    withdrawal delirium"; "no w/d or delirium": F10.220, not F10.221); an unspecified one, to its sibling
    "without" what the entry denies ("agoraphobia, denies panic attacks" is F40.02)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        no = _denial(q)[0]
        lo, hi, codes = entry_codes(batch, sub, n)
        if not no or not codes:
            continue
        i = int(np.argmax(out[lo:hi]))
        if len(codes[i]) < 6:  # a sibling shares all but the last character of a subcategory
            continue
        mine = _affirmed(sub.displays[batch.cand_concept[lo + i]])
        plain = []
        for j, code in enumerate(codes):
            theirs = _affirmed(sub.displays[batch.cand_concept[lo + j]])
            if j == i or code[:-1] != codes[i][:-1]:
                continue
            if (((mine - theirs - _PLAIN) & no or "unspecified" in mine) and theirs - mine <= _WITHOUT
                    and absent(sub.displays[batch.cand_concept[lo + j]]) & no):  # "agoraphobia; denies panic"
                plain.append((2, lo + j))
            elif (mine - theirs - _PLAIN) & no and _PLAIN >= theirs - mine and theirs - mine:
                plain.append((int("uncomplicated" in theirs), lo + j))  # "uncomplicated" before "unspecified"
        if plain:
            to_twin(out, lo + i, max(plain)[1])
    return out


_HEAD_END = re.compile(r",| of | with | without | due to | to | for | at | from | on | in | and | or ")


@lru_cache(maxsize=65536)
def _head_words(display: str) -> frozenset:
    """The words of what a code is, before its first "of", "with", comma...: "cutaneous abscess" of
    "Cutaneous abscess of left upper limb", "agoraphobia" of "Agoraphobia with panic disorder"."""
    return word_set(_HEAD_END.split(display.lower(), 1)[0]) - features.GENERIC - WEAK_HEAD


def _negative_finding(scores: np.ndarray, batch, sub, best_term: np.ndarray) -> np.ndarray:
    """A SNOMED CT concept reached through a term that is itself a negative finding ("No suicidal
    thoughts") scores a tenth for an entry that is not negated ("Passive suicidal thoughts, no
    plan"). (In ICD-10-CM and the SDOH categories a "no ..." term names a need: "no heat".)"""
    if sub.system != SNOMED or not len(scores):
        return scores
    negative = sub.mask(NEGATIVE_FINDING, "terms")[best_term]
    if not negative.any():
        return scores
    asserted = np.array([not q.assertion.negated for q in batch.queries])
    return np.where(negative & asserted[batch.cand_query], scores * NEGATIVE_FINDING_PENALTY, scores)


def _drug_caused(scores: np.ndarray, support: np.ndarray, batch, sub) -> None:
    """An entry read as caused by a medicine (poisoning.drug_caused): its first code gives its place to
    a code of the same category whose title says so ("hypothyroidism 2/2 lithium": E03.2, not E03.9)."""
    if sub.system != ICD10CM:
        return
    for n, q in enumerate(batch.queries):
        if not any(poisoning.DRUG_CAUSED in v.evidence for v in q.variants):
            continue
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        i = lo + int(np.argmax(scores[lo:hi]))
        category, concept = sub.codes[batch.cand_concept[i]][:3], batch.cand_concept[i]
        caused = [j for j in range(lo, hi) if sub.codes[batch.cand_concept[j]][:3] == category
                  and _DRUG_TITLE.search(sub.displays[batch.cand_concept[j]].lower())]
        if caused and not _DRUG_TITLE.search(sub.displays[concept].lower()):
            _swap(scores, support, i, max(caused, key=lambda k: scores[k]))


def _not_unipolar(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An entry whose first clause says bipolar (not denied) is no F32 / F33 depression nor F30 single
    manic episode: those score NOT_BIPOLAR ("bipolar II, stable, last depressive episode 2022" is no F32.9,
    "bipolar disorder in partial remission, last episode manic" no F30.3)."""
    if sub.system != ICD10CM:
        return scores
    bipolar = np.array([undenied(_BIPOLAR, q.head) for q in batch.queries])
    if not bipolar.any():
        return scores
    unipolar = sub.mask(("F30", "F32", "F33"))[batch.cand_concept]
    return np.where(bipolar[batch.cand_query] & unipolar, scores * NOT_BIPOLAR, scores)


def _bipolar_two(scores: np.ndarray, batch, sub) -> np.ndarray:
    """Bipolar II disorder is F31.81 whatever its episode: F31.81 takes the best F31 code's score
    ("bipolar II, currently depressed" is no F31.3-) and any other F31 code scores a tenth."""
    if sub.system != ICD10CM:
        return scores
    said = np.array([any(_BIPOLAR_TWO.search(v.text) for v in q.variants) for q in batch.queries])
    if not said.any():
        return scores
    family = said[batch.cand_query] & sub.mask("F31")[batch.cand_concept]
    two = family & (batch.cand_concept == sub.code_index.get(BIPOLAR_TWO, -1))
    out = scores.copy()
    for i in np.flatnonzero(two).tolist():
        q = batch.cand_query[i]
        out[i] = max(out[i], scores[family & (batch.cand_query == q)].max())
    return np.where(family & ~two, out * NOT_BIPOLAR_TWO, out)


_EPISODE = re.compile(r"\b(?:episode|ep|epis|currently) "
                      r"(manic|mania|depressed|depression|depressive|mixed|hypomanic)\b")
_EPISODE_KIND = {"mania": "manic", "depression": "depressed", "depressive": "depressed"}
_DISPLAY_EPISODE = re.compile(r"current episode (manic|depressed|mixed|hypomanic)")
_EITHER_SEVERITY = {"F31.30": {"mild": "F31.31", "moderate": "F31.32"}}  # "mild or moderate severity, unspecified"


def _mood_episode(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A mood disorder code (F31-F33) of another current episode or severity than the entry states
    scores CLASH_PENALTY ("current episode depressed, moderate severity, no psychotic features" is no
    F31.12 "... manic ..., moderate" nor F31.4 "... depressed, severe, without psychotic features");
    F31.30 "depressed, mild or moderate severity, unspecified" gives its score to the one it names."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        kinds = {_EPISODE_KIND.get(m[1], m[1]) for v in q.variants for m in _EPISODE.finditer(v.text)}
        said = said_words(q)
        severity = SEVERITIES & said
        if len(kinds) != 1 and len(severity) != 1:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        fits = {}  # row -> True when the code says what the entry states, False when it says otherwise
        for i, code in enumerate(codes):
            if not code.startswith(("F31", "F32", "F33")):
                continue
            display = sub.displays[batch.cand_concept[lo + i]].lower()
            episode = _DISPLAY_EPISODE.search(display)
            stated = SEVERITIES & word_set(display)
            fits[lo + i] = not (len(kinds) == 1 and episode and episode[1] not in kinds
                                or len(severity) == 1 and stated and not stated & severity)
        for i in [r for r, fit in fits.items() if not fit]:
            twins = [r for r, fit in fits.items() if fit and codes[r - lo][:3] == codes[i - lo][:3]]
            if twins:  # the code of the stated episode and severity takes its place
                to_twin(out, i, max(twins, key=lambda r: out[r]))
            out[i] *= CLASH_PENALTY
        to_twins(out, lo, codes, lambda code: _either_severity(code, said))
    return out


def _either_severity(code: str, said: frozenset) -> str | None:
    """F31.30's twin of the one severity the entry says, if it says one."""
    named = [twin for word, twin in _EITHER_SEVERITY.get(code, {}).items() if word in said]
    return named[0] if len(named) == 1 else None


def _tobacco_use_disorder(scores: np.ndarray, batch, sub) -> np.ndarray:
    """Z72.0 "Tobacco use" is no use disorder: for an entry saying tobacco use disorder, nicotine
    dependence or addiction, a smoker of so many cigarettes, or a user on nicotine replacement ("chews
    tobacco daily x30 yrs, ... start nicotine lozenge"), it scores a quarter (the index:
    disorder, tobacco use - dependence, nicotine; smoker - dependence, drug, nicotine). The other way,
    an F17 nicotine dependence scores a quarter for a use the entry says is no dependence ("social
    smoker, does not meet dependence criteria"), and any tobacco code for a smoker of cannabis, crack
    or meth that names no tobacco ("cannabinoid hyperemesis, daily heavy smoker")."""
    if sub.system != ICD10CM or TOBACCO_USE not in sub.code_index:
        return scores
    words = [frozenset(" ".join(v.text for v in q.variants).split()) for q in batch.queries]
    no_dependence = np.array([any(_NOT_DEPENDENT.search(v.text) for v in q.variants)
                              and not _TOBACCO_WORDS.isdisjoint(w) for q, w in zip(batch.queries, words)])
    said = np.array([any(_TOBACCO_DISORDER.search(v.text) for v in q.variants)
                     for q in batch.queries]) & ~no_dependence
    smoked = np.array([_TOBACCO_NAMED.isdisjoint(w) and any(_SUBSTANCE_FAMILY.get(x) in _SMOKED for x in w)
                       for w in words])
    if not (said.any() or no_dependence.any() or smoked.any()):
        return scores
    use = batch.cand_concept == sub.code_index[TOBACCO_USE]
    dependence = sub.mask(NICOTINE_DEPENDENCE)[batch.cand_concept]
    tobacco = sub.mask(TOBACCO_CODES)[batch.cand_concept]
    rows = batch.cand_query
    clash = (said[rows] & use) | (no_dependence[rows] & dependence) | (smoked[rows] & tobacco)
    out = scores.copy()
    for i in np.flatnonzero(said[rows] & use):  # its place to the best nicotine dependence code
        n = int(rows[i])
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        nicotine = [r for r in range(lo, hi) if dependence[r]]
        if nicotine:
            to_twin(out, int(i), max(nicotine, key=lambda r: out[r]))
    return _cigarettes(np.where(clash, out * CLASH_PENALTY, out), batch, sub)


def _stroke_sequela(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An I69 code (sequela of a cerebrovascular disease) scores NO_CEREBROVASCULAR for an entry
    naming none."""
    if sub.system != ICD10CM:
        return scores
    sequela = sub.mask("I69")[batch.cand_concept]
    if not sequela.any():
        return scores
    named = np.array([any(_CEREBROVASCULAR.search(v.text) for v in q.variants) for q in batch.queries])
    return np.where(sequela & ~named[batch.cand_query], scores * NO_CEREBROVASCULAR, scores)


_HYPERTENSION = re.compile(r"\b(htn|hypertension|hypertensive)\b")
_KIDNEY = re.compile(r"\b(ckd|chronic kidney disease|esrd|end stage renal disease)\b")
_HEART_FAILURE = re.compile(r"\b(chf|heart failure|hfref|hfpef|cardiomyopathy)\b")
_END_STAGE = re.compile(r"\b(esrd|end stage renal disease|end-stage|stage 5|ckd 5|ckd5|hemodialysis|dialysis|hd)\b")
_EARLY_STAGE = re.compile(r"\b(?:stage|ckd|ckd stage) ?(?:1|2|3|3a|3b|4|i|ii|iii|iiia|iiib|iv)\b")
# (what the entry names besides hypertension, the codes it replaces, the combination's category)
_WITH_HYPERTENSION = ((_KIDNEY, ("I10", "N18"), "I12"), (_HEART_FAILURE, ("I10", "I50"), "I11.0"))


def _hypertensive(scores: np.ndarray, batch, sub) -> np.ndarray:
    """Hypertension with chronic kidney disease is I12-, with heart failure I11.0: the link is presumed
    (guideline I.C.9.a), so I10 and the N18 / I50 code give their score to the combination code
    ("Hypertensive CKD stage 3b" is I12.9 first, "HTN, CHF" I11.0); both at once (I13) are left alone."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not any(_HYPERTENSION.search(v.text) for v in q.variants):
            continue
        named = [(parts, combo) for pattern, parts, combo in _WITH_HYPERTENSION
                 if any(pattern.search(v.text) for v in q.variants)]
        if len(named) != 1:
            continue
        parts, combo = named[0]
        lo, hi, codes = entry_codes(batch, sub, n)
        combos = [lo + i for i, code in enumerate(codes) if code.startswith(combo)]
        staged = _ckd_stage(q) if combo == "I12" else None  # "ESRD on HD" I12.0, "CKD stage 3b" I12.9
        if staged in codes:
            combos = [lo + codes.index(staged)]
        if not combos:
            continue
        j = max(combos, key=lambda r: out[r])
        for i, code in enumerate(codes):
            if code.startswith(parts) or staged in codes and code.startswith("I12"):
                to_twin(out, lo + i, j)
    return out


def _ckd_stage(q) -> str | None:
    """I12.0 for an end-stage kidney disease, I12.9 for a stage 1 to 4 the entry states, else None."""
    if any(_END_STAGE.search(v.text) for v in q.variants):
        return "I12.0"
    return "I12.9" if any(_EARLY_STAGE.search(v.text) for v in q.variants) else None


def _other_substance(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A use of another substance than the one the entry names (F10-F16, F18) scores OTHER_SUBSTANCE,
    and its twin of the named substance takes its score ("alprazolam withdrawal, uncomplicated; sedative
    dependence" is F13.230, not F10.230)."""
    if sub.system != ICD10CM:
        return scores
    family = sub.mask(_of_families)[batch.cand_concept]
    if not family.any():
        return scores
    named = [_named_families(q.reading) for q in batch.queries]
    out = scores.copy()
    for i in np.flatnonzero(family).tolist():
        code, n = sub.codes[batch.cand_concept[i]], int(batch.cand_query[i])
        if len(named[n]) != 1 or code[:3] in named[n]:
            continue
        out[i] *= OTHER_SUBSTANCE
        lo, hi, codes = entry_codes(batch, sub, n)
        twin = next(iter(named[n])) + code[3:]
        if twin in codes:
            j = lo + codes.index(twin)
            out[j] = max(out[j], scores[i])
    return out


def _of_families(code: str) -> bool:
    return code[:3] in _FAMILIES


_DEPENDENCE = frozenset("dependence dependent addiction addicted".split())
# "doesnt meet criteria for a use d/o", "no DSM-5 AUD criteria", "no use d/o dx'd": a use, not a disorder
_NO_USE_DISORDER = re.compile(r"\b(?:no|not|doesn'?t|does not|don'?t|do not|did not|didn'?t|never|denies)\b"
                              r"(?: [\w/'-]+){0,4}? (?:use d/o|use disorder|[acos]ud|sud|criteria for)\b",
                              re.IGNORECASE)
_USE_DISORDER = frozenset({"use", "disorder"})  # denied: "benzo intoxication, no use d/o" is F13.920


def _stated_level(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A use the entry calls a dependence ("OUD severe": dependence) or an abuse, or says is no
    dependence, of the one substance it names: a code of another level of that use gives its score to
    its twin of the stated level ("opioid-induced depressive d/o; OUD severe" is F11.24, not F11.94)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        said = said_words(q)
        no = frozenset().union(*(denied(v.text) for v in q.variants))
        level = ("9" if _NO_USE_DISORDER.search(q.text) else "2" if _DEPENDENCE & said else "1" if "abuse" in said
                 else "9" if _DEPENDENCE & no or _USE_DISORDER <= no else None)  # "... (NO DEP DX)": F11.93
        named = _named_families(q.reading) if level and not ("abuse" in said and _DEPENDENCE & said) else ()
        if len(named) != 1:
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        to_twins(out, lo, codes, lambda code: code[:4] + level + code[5:]
                 if code[:3] in named and len(code) > 4 and code[4] in "129" else None)
    return out


def _named_families(reading: str) -> set[str]:
    """The F10-F16, F18 families whose substance the reading names, not as denied ("no opioids") nor in
    a treatment's name ("declines MOUD": medications for opioid use disorder)."""
    ws = _TREATMENT_NAME.sub(" ", reading).split()
    return {_SUBSTANCE_FAMILY[w] for i, w in enumerate(ws)
            if w in _SUBSTANCE_FAMILY and NEGATIONS.isdisjoint(ws[max(i - 2, 0):i])}


def _dementia(scores: np.ndarray, batch, sub) -> np.ndarray:
    """An F01-F03 dementia code gives its score to its twin of the severity the entry states (or of
    unspecified severity), in F02 when the entry names the disease it is due to, in F01 only when it says
    vascular ("Major NCD w/ paranoid delusions" is F03.92)."""
    if sub.system != ICD10CM:
        return scores
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        lo, hi, codes = entry_codes(batch, sub, n)
        if not any(c[:3] in _UNSPECIFIED_SEVERITY for c in codes):
            continue
        said = said_words(q)
        severity = next((letter for word, letter in _DEMENTIA_SEVERITY.items() if word in said), None)
        underlying = any(_UNDERLYING.search(v.text) for v in q.variants)
        vascular = any(_VASCULAR.search(v.text) for v in q.variants)

        def twin_of(code: str) -> str | None:
            if code[:3] not in _UNSPECIFIED_SEVERITY or len(code) < 6:
                return None
            family = ("F02" if underlying and code[:3] == "F03" else "F03" if code[:3] == "F01" and not vascular
                      or code[:3] == "F02" and not underlying else code[:3])
            return f"{family}.{severity or _UNSPECIFIED_SEVERITY[family]}{code[5:]}"
        to_twins(out, lo, codes, twin_of)
        kinds = {m for v in q.variants for m in _DISTURBANCE.findall(v.text)}
        for k, code in enumerate(codes if kinds else ()):  # "w/ delusions": no F03.90 "without ...", no F03.94
            display = sub.displays[batch.cand_concept[lo + k]]
            if code[:3] in _UNSPECIFIED_SEVERITY and ("without behavioral" in display
                                                      or not kinds & set(_DISTURBANCE.findall(display.lower()))):
                out[lo + k] *= CLASH_PENALTY
    return out


def _cigarettes(scores: np.ndarray, batch, sub) -> np.ndarray:
    """A nicotine dependence of cigarettes is F17.21-: an entry naming them ("1 ppd", "cigarettes")
    gives an F17.20- code's score to its F17.21- twin (the index: dependence, nicotine, cigarettes)."""
    out = scores.copy()
    for n, q in enumerate(batch.queries):
        if not any(_CIGARETTES.search(v.text) for v in q.variants):
            continue
        lo, hi, codes = entry_codes(batch, sub, n)
        to_twins(out, lo, codes, lambda code: "F17.21" + code[-1] if code.startswith("F17.20") else None)
    return out


def _prefer_default(scores: np.ndarray, support: np.ndarray, batch, sub, coverage: np.ndarray,
                    best_term: np.ndarray):
    """A default sibling (see defaults) takes the place of the code that outranks it when the entry
    does not mention what that code has, and either says nothing the sibling's display does not, or
    that code's best term covers no more of it ("sober, in recovery": an alias of F10.21 "..., in
    remission") or says what the entry does not ("... use disorder, moderate, in early remission").
    The other way, a code that has what the entry names takes its default's place ("Stimulant
    withdrawal in ... use disorder" is F15.23, not F15.20 "..., uncomplicated"), or one that names
    more of it ("... induced psychosis, paranoid delusions" is F15.250, not F15.288 "... other
    stimulant-induced disorder")."""
    pairs, named = sub.default_siblings, sub.complicated_siblings
    concepts = batch.cand_concept.tolist()
    for n, query in enumerate(batch.queries):
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        hits = [(i, pairs[c]) for i, c in enumerate(concepts[lo:hi], lo) if c in pairs]
        if not hits:
            continue
        readings = [word_set(v.text) for v in query.variants]
        said = said_words(query)
        if _history_of_use(query, frozenset().union(*readings)):  # "hx alcohol dependence": F10.21, not F10.20
            said |= REMISSION
        row = {c: i for i, c in enumerate(concepts[lo:hi], lo)}
        for i, options in sorted(hits, key=lambda h: -scores[h[0]]):  # a chain ends at the last default
            taken = [(scores[row[b]], row[b]) for b, x in options if b in row and scores[row[b]] < scores[i]
                     and not _mentions(said, x) and _default_fits(b, row[b], x, i, readings, sub, coverage, best_term)]
            if taken:
                _swap(scores, support, i, max(taken)[1])
        for i in sorted((i for i, c in enumerate(concepts[lo:hi], lo) if c in named), key=lambda i: -scores[i]):
            having = [(scores[row[a]], row[a], x) for a, x in named[concepts[i]] if a in row
                      and scores[row[a]] < scores[i] and all(_mentions(said, frozenset({w})) for w in x)]
            if having:  # the best, or one naming more of what the entry says
                _, j, x = max(having, key=lambda h: h[:2])
                j = max([(len(y), score, k) for score, k, y in having if y > x], default=(0, 0, j))[2]
                _swap(scores, support, i, j)
        _uncomplicated(scores, support, concepts, lo, hi, said, sub)
    return scores, support


def _uncomplicated(scores, support, concepts: list[int], lo: int, hi: int, said: frozenset, sub) -> None:
    """A first code "..., unspecified" gives its place to its "..., uncomplicated" sibling when the
    entry says uncomplicated ("sedative use disorder, severe, in withdrawal, no seizures" reads so:
    F13.230, not F13.239)."""
    if "uncomplicated" not in said or hi - lo < 2:
        return
    i = lo + int(np.argmax(scores[lo:hi]))
    code = sub.codes[concepts[i]]
    plain = sub.code_index.get(code[:-1] + "0") if code.endswith("9") else None
    if plain is not None and sub.displays[plain].lower().endswith("uncomplicated") and plain in concepts[lo:hi]:
        _swap(scores, support, i, lo + concepts[lo:hi].index(plain))


def _default_fits(b: int, at: int, x: frozenset, i: int, readings, sub, coverage: np.ndarray,
                  best_term: np.ndarray) -> bool:
    """Default b (its row `at`) fits the entry as well as candidate row i that has x more: it covers
    as much of it, or the entry says nothing b's display does not, or i's best term says x (but an
    "Other ..." code is the default's only when the entry says nothing more: "atypical chest pain"
    is R07.89)."""
    within = any(_within(w, sub.display_words[b]) for w in readings)
    if x == OTHER:
        return within
    return coverage[at] >= coverage[i] - 1e-6 or within or _mentions(sub.term_words[best_term[i]], x)


def _swap(scores: np.ndarray, support: np.ndarray, i: int, j: int) -> None:
    """j takes i's score and support (its margin over the rest too), i takes j's score."""
    scores[i], scores[j] = scores[j], scores[i]
    support[j] = support[i]
