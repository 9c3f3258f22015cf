"""Abbreviation and acronym expansion from the curated list
(mappings/abbreviations.tsv): whole tokens, longest match first, every sense
of an ambiguous abbreviation kept as an alternative query, most likely first."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from server.load import MAPPINGS_DIR

ABBREVIATIONS_FILE = MAPPINGS_DIR / "abbreviations.tsv"
MAX_SPAN = 3
MAX_ALTERNATES = 4
# Abbreviations that are also ordinary words: expanded only when typed in
# capitals or when the whole entry is terse (the list's own rule).
ORDINARY_WORDS = frozenset("as an ed id hi bed add bad mat sad sub pad wo ant lit cap did ms mo odd".split())
# Units of a dose, a result or a time: "sertraline 25 mg" is not myasthenia gravis, "3 mo ago" no
# morbid obesity.
UNITS = frozenset("mg mcg g ml cc mmol meq iu u units kg lb lbs mm cm mo mos wk wks yr yrs hr hrs mi".split())
_ORDINALS = frozenset({"1st", "2nd", "3rd"})
_NUMBER = re.compile(r"^\d+([.,/]\d+)?$")
# After a number, the only sense an ambiguous abbreviation has ("1 ppd" is a smoker's packs per day);
# after a result, a test's ("POS PPD" is a positive tuberculin skin test, not postpartum depression).
AFTER_NUMBER = {"ppd": "packs per day of cigarettes"}
AFTER_RESULT = {"ppd": "purified protein derivative"}
BEFORE_DAY = {"ppd": "postpartum day"}  # before a day's number: "PPD#3 s/p SVD" (a smoker's "1 ppd" is after one)
_RESULTS = frozenset("pos positive neg negative +ve -ve".split())
AFTER_WITH = {"halluc": "hallucinations"}  # "... W HALLUC" (not "HALLUC DEPEND")
PERSONS = frozenset({"pcp"})  # after a word that takes a person, no substance ("not characterized by PCP")
_PERSON_BEFORE = frozenset("by per from to my her his their new see sees saw with w/ call called f/u".split())
_PERSON_AFTER = frozenset("documented documents diagnosed dx'd notes noted says said started referred recommends "
                          "recommended prescribed prescribes ordered".split())
# Neighbours that make it no abbreviation to expand: "wet prep" is a slide, "Td up to date" a vaccine.
NOT_HERE = {"prep": (frozenset("wet koh bowel".split()), frozenset()),
            "td": (frozenset(), frozenset("up utd booster vaccine vaccinated given shot due".split()))}
AFTER_INDUCED = {"sle": "sleep", "psych": "psychotic"}  # "ALCOHOL-INDUCED SLE": a 40-character field's cut
AFTER_MOOD = {"mo": "moderate"}  # "MDD, RECURRENT, MO": a truncated MOD, not morbid obesity
_MOOD_WORDS = frozenset("recurrent recur rec episode epis epi single depressive depression depress depressed dep mixed "
                        "mdd anxiety anx bipolar manic severity".split())
# Next to a dose or an intake, a route: "KCl 40 mEq PO x2", "poor PO intake" (not a probation officer).
ROUTES = {"po": "by mouth"}
_NEAR_ROUTE = frozenset("poor tolerating tolerates tolerated intake fluids trial challenge bid tid qid qd qhs qam "
                        "prn daily nightly once twice".split())
_WITH = frozenset("w w/ with".split())
# A place of care read from its neighbours: "ED f/u", "per ED", "refused ED" (not erectile dysfunction).
PLACES = {"ed": "", "er": ""}
_BEFORE_PLACE = frozenset("per in to from the at via seen refused refuses declined declines recent multiple "
                          "frequent sent went presented brought".split())
_AFTER_PLACE = frozenset("f/u fu visit visits follow followup eval evaluation dc d/c discharge course presentation "
                         "w/u workup admission stay boarding return returns bounceback note hold".split())
# A denied slash list is denied item by item: "no CP/SOB/neuro sx" reads "without chest pain without
# shortness of breath without neuro symptoms".
DENIALS = frozenset("no without w/o wo denies denied neg negative not".split())
# Shorthand the coder reads as it is (ICD-10-CM itself writes NOS and NEC).
KEEP = frozenset({"nos", "nec"})
SUBSTANCES = frozenset(
    "alcohol etoh opioid opioids opiate opiates heroin cocaine coke coc cannabis marijuana mj thc nicotine tobacco "
    "tob cig cigs cigarette benzo benzos benz benzodiazepine sedative amphetamine amphet amph meth methamphetamine "
    "stimulant stim drug drugs substance polysubstance polysub fentanyl fent oxy oxycodone k2 pcp hallucinogen "
    "inhalant opi smoker smokes smoking smkr nicotine vape vaping".split())


@dataclass(frozen=True)
class Sense:
    expansion: str
    domain: str
    cue: bool  # an assertion cue (hx, r/o, fh ...): the assertion module handles it


@dataclass(frozen=True)
class Variant:
    """One way to read the entry: kind 0 as typed, 1 first senses, 2 another sense."""

    text: str
    kind: int
    evidence: tuple[str, ...] = ()


@lru_cache(maxsize=4)
def load(path: Path = ABBREVIATIONS_FILE) -> dict[str, tuple[Sense, ...]]:
    table: dict[str, list[Sense]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            abbr = row["abbreviation"].strip().lower()
            cue = row["domain"] == "shorthand" and "cue" in (row.get("note") or "")
            table.setdefault(abbr, []).append(Sense(row["expansion"].strip().lower(), row["domain"], cue))
    return {k: tuple(v) for k, v in table.items()}


def _senses(table, span: list[str], previous: str, allow_ordinary: bool,
            following: str = "", then: str = "") -> tuple[Sense, ...] | None:
    key = " ".join(span)
    if key in PLACES and (previous in _BEFORE_PLACE or following in _AFTER_PLACE):
        return (Sense(PLACES[key], "shorthand", False),)
    if key in BEFORE_DAY and re.fullmatch(r"\d{1,2}", following) and not _NUMBER.match(previous):
        if then == "mm":  # "PPD 12 mm": a skin test's induration
            return tuple(s for s in table.get(key, ()) if s.expansion == AFTER_RESULT[key]) or None
        if then not in UNITS:
            return (Sense(BEFORE_DAY[key], "shorthand", False),)
    if key in AFTER_INDUCED and previous.endswith("induced"):
        return (Sense(AFTER_INDUCED[key], "shorthand", False),)
    senses = table.get(key)
    if not senses or key in KEEP or any(s.cue for s in senses):
        return None
    if key in ORDINARY_WORDS and not allow_ordinary or key in UNITS and _NUMBER.match(previous):
        return None
    if key in PERSONS and (previous in _PERSON_BEFORE or following in _PERSON_AFTER):  # "f/u PCP", "per PCP",
        # "PCP documented AUD": a person, no condition
        return None
    if key in NOT_HERE and (previous in NOT_HERE[key][0] or following in NOT_HERE[key][1]):
        return None
    if previous in SUBSTANCES:  # "etoh dep" is dependence, not depression
        senses = tuple(sorted(senses, key=lambda s: s.domain != "sud"))
    if key in AFTER_NUMBER and _NUMBER.match(previous):
        senses = tuple(s for s in senses if s.expansion == AFTER_NUMBER[key]) or senses
    elif key in AFTER_RESULT and previous in _RESULTS:
        senses = tuple(s for s in senses if s.expansion == AFTER_RESULT[key]) or senses
    elif key in AFTER_WITH and previous in _WITH:
        senses = tuple(s for s in senses if s.expansion == AFTER_WITH[key]) or senses
    elif key in AFTER_MOOD and previous in _MOOD_WORDS:
        senses = tuple(s for s in senses if s.expansion == AFTER_MOOD[key]) or senses
    elif key in ROUTES and (previous in UNITS or _NUMBER.match(previous) or previous in _NEAR_ROUTE
                            or following in _NEAR_ROUTE or re.fullmatch(r"x\d+", following)):
        senses = tuple(s for s in senses if s.expansion == ROUTES[key]) or senses
    return senses


def _keep_slashed(parts: list[str], table) -> list[str]:
    """Parts of an a/b token, slashed abbreviations kept whole ("type 1/w/o coma": "w/o")."""
    out: list[str] = []
    for part in parts:
        if out and f"{out[-1]}/{part}" in table:
            out[-1] = f"{out[-1]}/{part}"
        else:
            out.append(part)
    return out


def _halves(part: str, table) -> list[str]:
    """ "DEP-IN REMISSION", "ALC-INDUCED", "Z-WCC", "OUD-2ND TRI", "W/OPIOID-IND" split; not "GAD-7"."""
    halves = part.split("-")
    if (len(halves) > 1 and part not in table and any(table.get(h) for h in halves)
            and all(h.isalpha() or h in _ORDINALS for h in halves)):
        return halves
    return [part]


def segment(toks: list[str], capitals: set[int], terse: bool, table=None, breaks: frozenset = frozenset()):
    """[(original tokens, senses or None)] by longest match, within a clause ("DEMENTIA UNSP; SEV": no
    "unsp sev"); a/b tokens split when whole is unknown."""
    table = table if table is not None else load()
    out: list[tuple[str, tuple[Sense, ...] | None]] = []
    i = 0
    while i < len(toks):
        previous = out[-1][0].rsplit(" ", 1)[-1] if out else ""
        for n in range(min(MAX_SPAN, len(toks) - i), 0, -1):
            if n > 1 and (" ".join(toks[i:i + n]) not in table or any(b in breaks for b in range(i + 1, i + n))):
                continue  # (no abbreviation of several tokens but the table's)
            following, then = (toks[i + n:i + n + 2] + ["", ""])[:2]
            senses = _senses(table, toks[i:i + n], previous, terse or i in capitals, following, then)
            if senses:
                out.append((" ".join(toks[i:i + n]), senses))
                i += n
                break
        else:
            token = toks[i]
            if token.endswith("'s") and len(token) > 6 and table.get(token[:-2]):  # "Korsakoff's", not "mom's"
                out.append((token, _senses(table, [token[:-2]], previous, terse or i in capitals,
                                           toks[i + 1] if i + 1 < len(toks) else "")))
                i += 1
                continue
            if "/" not in token and "-" not in token:  # no parts
                out.append((token, None))
                i += 1
                continue
            parts = [h for p in _keep_slashed(token.strip("/").split("/"), table) for h in _halves(p, table)]
            if len(parts) > 1 and any(table.get(p) for p in parts):
                for j, part in enumerate(parts):
                    if j:
                        out.append(("/", None))
                    per = j and part in UNITS  # "$943/mo", "2 weekends/mo": per month
                    out.append((part, None if per else _senses(table, [part], parts[j - 1] if j else previous, True)))
            else:
                out.append((token, None))
            i += 1
    return out


# The entry's own words pick the sense: "CUD severe - smokes crack daily" is a cocaine use disorder.
BY_CONTEXT = {"cud": (frozenset("crack cocaine coke powder freebase".split()), "cocaine use disorder"),
              "ied": (frozenset("blast blasts exploded shrapnel deployed deployment convoy roadside combat bka aka "
                                "amputation amputee wounded tbi".split()),
                      "improvised explosive device"),
              "bpd": (frozenset("preemie preemies premature prematurity preterm weeker weekers nicu o2 oxygen nc cpap "
                                "infant neonatal corrected".split()), "bronchopulmonary dysplasia"),
              "trich": (frozenset("vaginitis vaginal vulvovaginitis discharge metronidazole flagyl tinidazole wet prep "
                                  "naat sti std urethritis cervicitis partner".split()), "trichomoniasis"),
              "ct": (frozenset("fx fracture fractures fractured hematoma hemorrhage bleed contrast scan showed shows "
                               "imaging mass nodule nodules infarct lesion lesions opacity opacities lobe lobes "
                               "chest abd abdomen".split()), "computed tomography")}


def _by_context(segments, toks: list[str]):
    said = set(toks) | {p for t in toks for p in t.split("-")}  # "ex 27-weeker w/ BPD"
    return [(token, tuple(s for s in senses if s.expansion == BY_CONTEXT[token][1]) or senses)
            if senses and token in BY_CONTEXT and BY_CONTEXT[token][0] & said else (token, senses)
            for token, senses in segments]


def _by_domain(segments, toks: list[str]):
    """Senses of an ambiguous abbreviation that fit the entry's domain first ("smoker 1/2 ppd")."""
    domains = {senses[0].domain for _, senses in segments if senses and len(senses) == 1}
    if any(t in SUBSTANCES for t in toks):
        domains.add("sud")
    domains -= {"general", "shorthand"}
    if not domains:
        return segments
    return [(token, tuple(sorted(senses, key=lambda s: s.domain not in domains)) if senses else senses)
            for token, senses in segments]


def expand(toks: list[str], capitals: set[int] = frozenset(), terse: bool = False,
           breaks: frozenset = frozenset()) -> list[Variant]:
    """The entry as typed, with first senses, and with each other sense of an ambiguous abbreviation
    (`breaks`: where a clause begins, which no abbreviation of several tokens spans)."""
    segments = _by_context(_by_domain(segment(toks, set(capitals), terse, breaks=breaks), toks), toks)
    original = " ".join(toks)
    found = [(i, senses) for i, (_, senses) in enumerate(segments) if senses]
    if not found:
        return [Variant(original, 0)]

    def render(choice: dict[int, Sense]) -> Variant:
        words, evidence, denying = [], [], False
        for i, (token, senses) in enumerate(segments):
            if senses:
                sense = choice.get(i, senses[0])
                words.append(sense.expansion)
                evidence.append(f"abbreviation {token} -> {sense.expansion}")
            else:
                words.append("without" if token == "/" and denying else token)
            if token in DENIALS:
                denying = True
            elif token != "/" and segments[i + 1:i + 2] != [("/", None)]:
                denying = False
        return Variant(" ".join(words).replace(" / ", " "), 1 if not choice else 2, tuple(evidence))

    variants = [Variant(original, 0), render({})]
    for i, senses in found:
        for sense in senses[1:]:
            if len(variants) >= 2 + MAX_ALTERNATES:
                break
            variants.append(render({i: sense}))
    seen, unique = set(), []
    for v in variants:
        if v.text not in seen:
            seen.add(v.text)
            unique.append(v)
    return unique
