"""Assertion context (ConText-style trigger lists): negated, historical,
uncertain and family. A trigger counts in the clauses up to and including the
first one that names something (so "hx of CVA, no residual deficits" is
historical, not negated); its words are taken out of the text that is matched."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from server.match.normalize import fold, tokens

NEGATED, HISTORICAL, UNCERTAIN, FAMILY = "negated", "historical", "uncertain", "family"

_PRE = {
    NEGATED: "no|not|denies|denied|deny|denying|negative for|neg for|neg|no evidence of|no signs of|no sign of|"
             "without evidence of|free of|absence of|never|never had|screened negative for|screened neg for|"
             "screen negative for|not currently|no longer|no known|no hx of|no history of|no h/o|no known hx of|"
             "no known history of|no personal history of|no prior",
    HISTORICAL: "hx|hx of|h/o|history of|hist of|personal history of|personal hx of|past history of|"
                "past medical history of|pmh|pmhx|phx|s/p|status post|remote|remote hx of|remote history of|"
                "past|prior|previous|former|formerly|hx of multiple",
    UNCERTAIN: "r/o|rule out|rule-out|possible|possibly|poss|probable|probably|prob|likely|suspected|suspect|"
               "suspicion of|suspicious for|susp|?|query|questionable|question of|concern for|concerning for|"
               "cannot rule out|can't rule out|ddx|presumed|presumptive|eval for|evaluate for|may have|might have",
    FAMILY: "fh|fhx|fh of|fam hx|fam hx of|family history|family history of|family hx|family hx of|fam h/o|"
            "family h/o|fmhx|family hist of",
}
_POST = {
    NEGATED: "ruled out|denied|negative|neg|absent|not present",
    HISTORICAL: "resolved|in the past|years ago|yrs ago|cured|svr|svr12|eradicated",
    UNCERTAIN: "?|suspected|questionable|possible|vs",
    FAMILY: "",
}
RELATIVES = frozenset("mother father mom dad brother sister sibling siblings parent parents grandmother grandfather "
                      "grandparent grandma grandpa aunt uncle cousin son daughter maternal paternal twin".split())
RELATION_VERBS = frozenset("with w/ w has had have dx diagnosed died passed deceased suffers suffered hx h/o history "
                           "used uses committed".split())
# "19yo mom w/ mild ID", "single dad with PTSD": the relative is the patient
_THE_PATIENT = re.compile(r"^(\d{1,2}(yo|y/o|y)|teen|teenage|young|single|new|first-time|pregnant|postpartum|"
                          r"expecting|adolescent|working)$")
# "no car", "not enough food": a missing resource is the problem itself, not a negation.
RESOURCES = frozenset(
    "transportation transport ride rides car vehicle heat heating hot water electricity power utilities utility "
    "phone internet wifi computer smartphone food groceries meals money income insurance coverage job work "
    "employment housing home house place shelter address bed support friends family visitors contact childcare "
    "daycare access medicaid medicare benefits ged diploma education stable permanent fixed safe running one "
    "enough means way health health-insurance teeth coat coats clothes clothing boots shoes diapers formula "
    "furniture crib stove refrigerator fridge glasses dentures prenatal antenatal laptop tablet device devices".split())
# what a resource may be before its name ("no winter coats", "no working phone", "no reliable car")
RESOURCE_KINDS = frozenset("winter warm working clean reliable regular baby kids own".split())
# One-word triggers that count anywhere in a clause; the others only open one ("past 12 months").
ANYWHERE = frozenset("denies denied deny denying hx h/o s/p fh fhx pmh r/o ? suspected possible probable susp poss "
                     "former".split())
_CLAUSE = re.compile(r"[,;:()\[\]]|\s-\s|\.\s")
# A later clause that says how the condition is treated or managed ("RA, on methotrexate",
# "HTN, well controlled on lisinopril") adds nothing to code: it is left out of the matched text.
CONTEXT_OPENERS = [tuple(t.split()) for t in (
    "on", "stable on", "well controlled on", "controlled on", "well controlled", "currently on", "maintained on",
    "managed with", "managed on", "treated with", "taking", "takes", "waiting for", "awaiting", "trying to",
    "followed by", "sees", "referred for", "referred to", "requesting", "started on", "restarted on", "switched to")]
_CONTEXT_FIRST = frozenset(o[0] for o in CONTEXT_OPENERS)
# A later clause that says something is current ("Td up to date", "vaccines UTD") is a status, not a condition.
_UP_TO_DATE = [("up", "to", "date"), ("utd",)]
# A later clause opening with "no"/"not" qualifies the condition ("panic disorder, no agoraphobia").
WITHOUT = frozenset({"no", "not"})
_NOT_SPECIFIED = frozenset({"specified", "stated", "documented", "characterized"})
_UNCLEAR = frozenset({"unclear", "unknown", "uncertain", "undetermined"})
_KINDS = frozenset({"type", "subtype", "kind", "episode", "severity", "site", "side"})


def _unspecified(kept: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """ "ligament not specified" reads "ligament unspecified", not "ligament without specified"; "bipolar
    d/o, type unclear" reads "bipolar disorder, type unspecified"."""
    out: list[tuple[str, bool]] = []
    for t, cap in kept:
        if t in _NOT_SPECIFIED and out and out[-1][0] == "not":
            out[-1] = ("unspecified", out[-1][1])
        elif t in _NOT_SPECIFIED and [w for w, _ in out[-2:]] == ["not", "further"]:  # "not further specified"
            out[-2:] = [("unspecified", out[-2][1])]
        elif t in _UNCLEAR and out and out[-1][0] in _KINDS:
            out.append(("unspecified", cap))
        else:
            out.append((t, cap))
    return out
MAX_TRIGGER = 5


def _table(spec: dict[str, str]) -> dict[tuple[str, ...], str]:
    return {tuple(tokens(t)): flag for flag, alts in spec.items() for t in alts.split("|") if t}


PRE, POST = _table(_PRE), _table(_POST)


@dataclass
class Assertion:
    negated: bool = False
    historical: bool = False
    uncertain: bool = False
    family: bool = False
    triggers: list[str] = field(default_factory=list)

    def flags(self) -> list[str]:
        return [f for f in (NEGATED, HISTORICAL, UNCERTAIN, FAMILY) if getattr(self, f)]


@dataclass
class Parsed:
    """The entry split into clauses of (token, typed in capitals), trigger words removed."""

    assertion: Assertion
    clauses: list[list[tuple[str, bool]]]

    def text(self, main_only: bool = False) -> str:
        clauses = self.clauses[:1] if main_only else self.clauses
        return " ".join(t for c in clauses for t, _ in c)


def _longest(table, toks: list[str], i: int) -> int:
    for n in range(min(MAX_TRIGGER, len(toks) - i), 0, -1):
        if tuple(toks[i:i + n]) in table:
            return n
    return 0


# "treated and cured", "SVR12 achieved"
_HOW = frozenset("treated and successfully fully completely now achieved".split())
_DATE = re.compile(r"^((19|20)\d\d|\d{1,2}/\d{2,4})$")


def _undated(toks: list[str]) -> int:
    """Where the clause ends before a date it closes with ("cured in 2020", "resolved 2019")."""
    end = len(toks)
    while end and _DATE.match(toks[end - 1]):
        end -= 1
    return end - 1 if end < len(toks) and end and toks[end - 1] in ("in", "since") else end


def _scan(toks: list[str]) -> tuple[list[tuple[str, str, int, int]], set[int]]:
    """Triggers as (flag, phrase, start, end) and the token positions they cover."""
    found, covered = [], set()
    i = 0
    while i < len(toks):
        n = _longest(PRE, toks, i)
        flag = PRE.get(tuple(toks[i:i + n])) if n and (i == 0 or n > 1 or toks[i] in ANYWHERE) else None
        if flag == NEGATED and n == 1 and _resource(toks, i + 1):
            flag = None  # "no transportation": the lack is the finding
        if flag == NEGATED and i > 0 and (toks[i] in WITHOUT or toks[i] == "without"):
            flag = None  # "ulcer ... without evidence of necrosis": what the condition is without
        if flag is None and toks[i] in RELATIVES:
            window = toks[i + 1:i + 4]
            verb = next((j for j, t in enumerate(window) if t in RELATION_VERBS), None)
            if verb is not None and (i == 0 or toks[i - 1] not in ("for", "with", "by", "of", "from")
                                     and not _THE_PATIENT.match(toks[i - 1])):
                flag, n = FAMILY, verb + 2
        if flag is None:
            n = _longest(POST, toks, i)
            flag = POST.get(tuple(toks[i:i + n])) if n and i + n == _undated(toks) and i > 0 else None
        if flag:
            found.append((flag, " ".join(toks[i:i + n]), i, i + n))
            covered.update(range(i, i + n))
            i += n
        else:
            i += 1
    return found, covered


def _resource(toks: list[str], at: int) -> bool:
    """A resource is named at `at`, or after a word saying what kind ("winter coats")."""
    return at < len(toks) and (toks[at] in RESOURCES or toks[at] in RESOURCE_KINDS and at + 1 < len(toks)
                               and toks[at + 1] in RESOURCES)


def _lack(kept: list[tuple[str, bool]], j: int) -> bool:
    """ "no heat", "not enough food": the lack of a resource is the finding itself."""
    return _resource([t for t, _ in kept], j + 1) or j + 1 < len(kept) and kept[j + 1][0] == "enough"


_NOT_A_CONDITION = re.compile(r"^(\d|a |an |the |about |over |x\d|years?|months?|weeks?|days?|yrs?|mos?|wks?|"
                               r"now|today|life|years)")
MAX_TREATED = 4
_WHAT_FOR = (("for",), ("in", "setting", "of"), ("in", "the", "setting", "of"))  # "on day 3 in setting of severe AUD"


def _treated_for(raw: list[str]) -> list[str]:
    """What a treatment clause says it treats ("on buprenorphine for OUD": OUD) or is in the setting of, a
    few words; [] for none or a time ("on bup for 2 yrs")."""
    at = next((i + len(w) for i in range(1, len(raw)) for w in _WHAT_FOR if tuple(raw[i:i + len(w)]) == w), None)
    if at is None:
        return []
    after = raw[at:]
    return after if 0 < len(after) <= MAX_TREATED and not _NOT_A_CONDITION.match(" ".join(after)) else []


# "doesn't meet GAD criteria", "does not meet criteria for dependence": the disorder is denied
_UNMET = re.compile(r"\b(?:does ?n[o']?t|did ?n[o']?t|never|not) (?:meet|meets|meeting|met)(?: full)?"
                    r"(?: (?:dsm(?:-5)?|dx|diagnostic))?(?: criteria(?: for)?)?\b", re.IGNORECASE)
_UNMET_CRITERIA = re.compile(r"\b(no(?: [\w/-]+){1,4}?) (?:dx |diagnostic )?criteria\b", re.IGNORECASE)


def unmet(text: str) -> str:
    """ "doesn't meet GAD criteria" as "no GAD"."""
    return _UNMET_CRITERIA.sub(r"\1", _UNMET.sub("no", text)) if _UNMET.search(text) else text


def detect(text: str) -> Parsed:
    text = unmet(text)
    assertion = Assertion()
    clauses: list[list[tuple[str, bool]]] = []
    named = False
    for part in _CLAUSE.split(fold(text)):
        raw = tokens(part.lower())
        capitals = [t.isupper() and len(t) > 1 for t in re.findall(r"[A-Za-z0-9]+(?:[/+'-][A-Za-z0-9]+)*/?|\?", part)]
        if not raw:
            continue
        if named and raw[0] in _CONTEXT_FIRST and any(tuple(raw[:len(o)]) == o for o in CONTEXT_OPENERS):
            treated = _treated_for(raw)  # "on buprenorphine for OUD": the condition stays
            if not treated:
                continue
            raw, capitals = treated, capitals[-len(treated):]
        if named and any(tuple(raw[-len(e):]) == e for e in _UP_TO_DATE):
            continue
        if named and POST.get(tuple(t for t in raw[:_undated(raw)] if t not in _HOW)) == HISTORICAL:
            assertion.historical = True  # "Hep C, treated and cured in 2020": the condition is history
            assertion.triggers.append(" ".join(raw))
            continue
        found, covered = _scan(raw) if not named else ([], set())
        kept = _unspecified([(t, capitals[j] if j < len(capitals) else False) for j, t in enumerate(raw)
                             if j not in covered])
        if not assertion.negated and any(t in WITHOUT for t, _ in kept):  # "panic d/o no agoraphobia": without
            kept = [("without", cap) if t in WITHOUT and (named or j) and not _lack(kept, j) else (t, cap)
                    for j, (t, cap) in enumerate(kept)]
        for flag, phrase, _, _ in found:
            setattr(assertion, flag, True)
            assertion.triggers.append(phrase)
        if kept:
            clauses.append(kept)
            named = True
    return Parsed(assertion, clauses)
