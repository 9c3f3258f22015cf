"""An entry turned into the readings that are searched: as typed, with the
assertion cues taken out and what a coder reads into it added (implied.py), with
abbreviations spelled out (every sense of an ambiguous one), spelling corrected,
and - for family or historical entries - its first clause as "family history of
..." / "personal history of ..."."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from server.match import abbreviations, encounter, features, mental, poisoning
from server.match.abbreviations import Variant
from server.match.assertion import Assertion, detect
from server.match.implied import (dsm_severity, implied, none_now, symptoms_not_type, without_trimester,
                                  wound_defaults)
from server.match.normalize import normalize, tokens

AS_TYPED, CORE, EXPANDED, OTHER_SENSE, SPELLING, ASSERTION = range(6)
TERSE_TOKENS = 2
SHORT_TOKENS = 6  # at most, an entry may have cut words
# A table's own code before its display: "4130 - Anx d/o of childhood", "EDU-02 Child underachieving"
# (not "PHQ-9 positive", "COVID-19 pneumonia", "250 mg ...")
_LOCAL_CODE = re.compile(r"^\s*(?:\d{3,6}(?:\.\d{1,2})?\s*[-:]|[A-Za-z]{2,5}-(?:0\d{1,3}|\d{3,4})\b\s*[-:]?"
                         r"|(?:BH|MH|OTP|SUD|AOD|IOP|PHP|PC)-)\s*(?=[A-Za-z])")  # or a program's tag: "BH-OCD"
# A note's label before its first clause: "Assessment: malingering.", "Medical clearance: UTI - ..."
_LABEL = re.compile(r"^\s*(?:assessment|impression|a/p|dx|diagnosis|medical clearance|booking|intake|problem)\s*:\s*"
                    r"(?=\S)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")
_CAUSE = re.compile(r" (?:related to|r/t|due to|d/t|secondary to|2/2|because of|after|following|from|caused by|"
                    r"(?:directly )?attribut(?:ed|able) (?:directly )?to) ")
# how a sentence stating the diagnosis opens: "Meets DSM-5-TR criteria for prolonged grief d/o", "Dx: ADHD"
_OPENER = re.compile(r"^(?:meets (?:full )?(?:dsm-?5(?:-tr)? )?criteria for|dx(?:'d)?(?: with| of)?:?|"
                     r"diagnosis(?: of)?:?|assessment:|impression:|a/p:|consistent with|c/w|diagnosed with)\s+",
                     re.IGNORECASE)
_LEAD_END = re.compile(r"\s+-+\s+|[,:]")
_HYPHENATED = re.compile(r"(?<![\w-])([A-Za-z]{3,})-([A-Za-z]{3,})(?![\w-])")


def _hyphens(text: str, speller) -> str:
    """A hyphenated word the index does not know, as one word when it knows that ("non-suicidal":
    nonsuicidal), else as its words when it knows them ("EPILEPTIC-UNCONTROLLED"); one with an
    abbreviation is split where abbreviations are read ("OTP-ACUTE HEP C")."""
    table = abbreviations.load()

    def read(m: re.Match) -> str:
        whole = m[0].lower()
        if speller.known_word(whole) or m[1].lower() in table or m[2].lower() in table:
            return m[0]
        if speller.known_word(m[1].lower() + m[2].lower()):
            return m[1] + m[2]
        return f"{m[1]} {m[2]}" if speller.known_word(m[1].lower()) and speller.known_word(m[2].lower()) else m[0]
    return _HYPHENATED.sub(read, text)


@dataclass
class Query:
    text: str
    assertion: Assertion
    reading: str  # the primary reading: cues out, abbreviations spelled out
    variants: list[Variant]
    unknown: int = 0  # words of the entry the index has never seen (typos, or words it lacks)
    head: str = ""  # the first clause, abbreviations spelled out ("opioid use disorder" of "OUD, on bup")
    clauses: int = 1
    later: tuple[str, ...] = ()  # later sentences' leads, likewise ("cyclothymia" of "... age 17. Cyclothymia.")
    cause_of: str = ""  # what the first clause says a cause is of ("depression" of "depression due to job loss")


def _spelling(reading: str, speller, short: bool) -> tuple[str, list[str]]:
    """The reading with unknown words corrected; a word is completed only in a short entry (legacy
    tables cut words; in a sentence "still" is no cut "stillbirth", "clinic" no "clinical")."""
    words, fixes = [], []
    for word in reading.split():
        fix = speller.correct(word)
        if fix and (short or fix[1] != "completion"):
            fixes.append(f"{fix[1]} {word} -> {fix[0]}")
            word = fix[0]
        words.append(word)
    return " ".join(words), fixes


def prepare(text: str, index) -> Query:
    entry = text
    text = _hyphens(_LABEL.sub("", _LOCAL_CODE.sub("", text)), index.speller)
    parsed = detect(text)
    typed = " ".join(symptoms_not_type(tokens(normalize(text))))
    # "NOS" is searched as typed only: a word every "X NOS" term shares would pull them all in
    clauses = [[(t, cap) for t, cap in c if t != "nos"] or c for c in parsed.clauses]
    core = [t for c in clauses for t, _ in c]
    core = implied(core)  # "at 35 weeks": third trimester; "L4-5": lumbar
    if none_now(" ".join(core)):  # a newborn's mother's or a lost pregnancy's trimester is no code's
        core = without_trimester(core)
    core += wound_defaults(core)
    capitals = {i for i, (_, cap) in enumerate(t for c in clauses for t in c) if cap}
    breaks = frozenset(b for b, c in zip(itertools.accumulate(len(c) for c in clauses[:-1]), clauses)
                       if c and len(c[-1][0]) > 1)  # "C. diff", "H. pylori": an initial, no clause's end
    terse = len(core) <= TERSE_TOKENS or text.isupper()
    readings = abbreviations.expand(core, capitals, terse, breaks)
    variants = [Variant(typed, AS_TYPED)]
    kinds = {0: CORE, 1: EXPANDED, 2: OTHER_SENSE}
    variants += [Variant(v.text, kinds[v.kind], v.evidence) for v in readings]
    primary = readings[1] if len(readings) > 1 else readings[0]
    if len(clauses) > 1:  # "FH CAD - father MI at 50": the cue applies to the first clause
        main = abbreviations.expand([t for t, _ in clauses[0]], capitals, terse)
        first = main[1] if len(main) > 1 else main[0]
    else:
        first = primary
    fixed, fixes = _spelling(primary.text, index.speller, terse or len(core) <= SHORT_TOKENS)
    read = primary.evidence + tuple(fixes)
    if fixes:  # read as spelled right: "celulitis L lower leg" is of the lower limb
        fixed = " ".join(implied(fixed.split()))
        variants.append(Variant(fixed, SPELLING, read))
    dsm = dsm_severity(fixed, terse)
    for reading, why in ((encounter.without_cues(fixed), "encounter -> 7th character"),
                         (dsm, "DSM-5 severity -> abuse or dependence"),
                         (poisoning.reading(fixed), "drug -> its class, overdose -> poisoning"),
                         (poisoning.drug_caused(fixed), poisoning.DRUG_CAUSED),
                         (poisoning.alcohol_caused(fixed), "caused by alcohol -> alcoholic"),
                         (mental.reading(dsm or fixed, entry), "psychiatric wording -> ICD-10-CM's")):
        if reading:
            variants.append(Variant(reading, EXPANDED, read + (why,)))
    for flag, prefixes in (("family", ("family history of", "fh")), ("historical", ("personal history of", "h/o"))):
        if getattr(parsed.assertion, flag):  # "h/o", "fh": SNOMED CT's "H/O: depression", "FH: Depression"
            variants += [Variant(f"{prefix} {first.text}", ASSERTION, first.evidence + (f"{flag} -> {prefix}",))
                         for prefix in prefixes]
    seen, unique = set(), []
    for v in variants:
        if v.text and v.text not in seen:
            seen.add(v.text)
            unique.append(v)
    unknown = sum(1 for w in primary.text.split() if index.speller.unknown(w))
    return Query(entry, parsed.assertion, fixed if fixes else primary.text, unique, unknown, first.text,
                 max(len(clauses), 1), _sentence_leads(text) if len(clauses) > 1 else (), _cause_of(first.text))


def _cause_of(head: str) -> str:
    """What the first clause says a cause is of ("depression" of "depression due to job loss"), or ""."""
    named = _CAUSE.split(head, 1)
    return named[0] if len(named) > 1 else ""


_CONCLUSION = re.compile(r"\s+-+\s+([^-,;:.]+)[,;:.]?\s*$")  # "..., no cataplexy - idiopathic hypersomnia"


def _lead(sentence: str) -> str:
    """A sentence up to a dash, comma or colon, and qualifiers that are all it says after a comma ("PTSD,
    acute.")."""
    lead, *rest = _LEAD_END.split(sentence, 1)
    more = tokens(normalize(rest[0])) if rest else []
    return f"{lead} {' '.join(more)}" if more and all(t in features.ALL_QUALIFIERS for t in more) else lead


def _sentence_leads(text: str) -> tuple[str, ...]:
    """What each sentence after the first opens with, up to a dash, comma or colon, and what a sentence
    ends with after findings and a dash, abbreviations spelled out: where an assessment line states its diagnosis
    ("... CT head neg. Concussion - rest.", "..., GI w/u negative - rumination")."""
    leads = []
    sentences = _SENTENCE.split(text)
    for n, sentence in enumerate(sentences):
        ending = _CONCLUSION.search(sentence)  # after findings: "Wandering - dementia" is no finding and its cause
        ending = ending if ending and "," in sentence[:ending.start()] else None
        parts = ([_lead(_OPENER.sub("", sentence))] if n else []) + ([ending[1]] if ending else [])
        for part in parts:
            toks = tokens(normalize(part))
            if not toks:
                continue
            main = abbreviations.expand(toks)
            leads.append((main[1] if len(main) > 1 else main[0]).text)
    return tuple(leads)
