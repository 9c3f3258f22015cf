"""Training entries for the re-ranker, generated from the terminologies and the
curated content only (never from the development sets): ICD-10-CM titles and
inclusion terms, category titles (-> their default code), curated aliases, map
labels, public SNOMED CT descriptions and SDOH category wording, each rewritten
the way problem lists and legacy tables write them - abbreviations from
mappings/abbreviations.tsv, dropped "unspecified"/"NOS" and what a coder assumes
("unilateral", "primary", "initial encounter"), reordered clauses,
typos, truncations, capitals, assertion cues, clauses that do not change the
code (bench/context_clauses.py) - and often matched with the
source term itself taken out of the index so that unseen wording is learned;
plus terms of unspecified ICD-10-CM codes with a sibling's qualifier added
("earwax buildup, right ear" -> H61.21), so that an alias speaks for its family.
Held-out inclusion terms (bench/data/icd10cm_inclusion_heldout.jsonl) are
never used."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from bench import context_clauses
from server import systems
from server.match import abbreviations, content, features, specific
from server.match.index import MatchIndex, term_text
from server.match.normalize import word_set

GIBBERISH = 900
SIBLINGS = 12000  # entries naming an unspecified code's term plus a sibling's qualifier
CROSS_SDOH = 0.35  # share of other entries also asked for an SDOH category
CONTEXT = 0.2  # share of entries in full wording given a clause that does not change the code
DROP = re.compile(r",? ?\b(unspecified|not elsewhere classified|nos|uncomplicated|not otherwise specified)\b|"
                  r"\([^)]*\)|\[[^]]*\]", re.I)
# What a coder assumes when the text is silent, so clinicians leave it out ("OA right knee" for
# "Unilateral primary osteoarthritis, right knee").
DEFAULTS = re.compile(r"\b(unilateral|primary (?=osteoarthritis)|of native (coronary )?arter(y|ies)( of)?|"
                      r"not intractable|without status migrainosus|uncomplicated|initial encounter|"
                      r"single episode)\b,? ?", re.I)
UNSPECIFIED = re.compile(r",? \bunspecified\b", re.I)
NEGATED = ["denies", "no", "negative for", "no hx of"]
UNCERTAIN = ["r/o", "possible", "?", "suspected", "rule out"]
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
# How often an entry is matched with its source term taken out of the index (unseen wording).
MASK = {content.ALIAS: 0.6, content.INCLUSION: 0.7}


@dataclass
class Example:
    text: str
    system: str
    gold: set[str]
    mask: set[int] = field(default_factory=set)  # term ids held out of the index for this example


def _reverse_abbreviations() -> list[tuple[str, str, float]]:
    """(expansion, abbreviation, weight) - a later sense of an ambiguous abbreviation is
    written less often, as the list's order says - longest expansion first, cue rows left out."""
    pairs = [(s.expansion, abbr, 1.0 if rank == 0 else 0.2) for abbr, senses in abbreviations.load().items()
             for rank, s in enumerate(senses) if not s.cue and len(s.expansion) > len(abbr) and "," not in s.expansion]
    return sorted(pairs, key=lambda p: -len(p[0]))


def _typo(word: str, rnd: random.Random) -> str:
    i = rnd.randrange(1, len(word) - 1)
    op = rnd.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 1:
        return word[:i] + word[i + 1:]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rnd.choice(KEYBOARD) + word[i + 1:]


class Rewriter:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.pairs = _reverse_abbreviations()

    def __call__(self, text: str, terse: bool = False) -> str:
        rnd = self.rnd
        out = text
        if rnd.random() < 0.7:
            out = DROP.sub("", out) if rnd.random() < 0.8 else UNSPECIFIED.sub(" NOS", out)
        if rnd.random() < 0.5:
            out = DEFAULTS.sub("", out).strip(" ,")
        if rnd.random() < 0.3 and ", " in out:
            parts = out.split(", ")
            rnd.shuffle(parts)
            out = " ".join(parts) if rnd.random() < 0.5 else ", ".join(parts)
        low = " " + out.lower() + " "
        p_abbr = 0.8 if terse else rnd.choice((0.0, 0.3, 0.6))
        for expansion, abbr, weight in self.pairs:
            if f" {expansion} " in low and rnd.random() < p_abbr * weight:
                low = low.replace(f" {expansion} ", f" {abbr} ", 1)
        words = low.split()
        if len(words) > 2 and rnd.random() < 0.2:  # a word left out, never a qualifier or "other":
            i = rnd.randrange(len(words))  # those name another code
            if words[i] != "other" and not features.qualifiers(words[i]):
                del words[i]
        for i, w in enumerate(words):
            if len(w) >= 5 and w.isalpha():
                if rnd.random() < 0.08:
                    words[i] = _typo(w, rnd)
                elif terse and rnd.random() < 0.15:
                    words[i] = w[:rnd.randint(4, max(4, len(w) - 2))]
        out = " ".join(words)
        if terse or rnd.random() < 0.2:
            out = out.upper()
        return out or text


def _heldout(path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    return {(json.loads(line)["gold"][0], term_text(json.loads(line)["text"])) for line in open(path)}


def sdoh_categories(store) -> dict[tuple[str, str], set[str]]:
    """(system, code) -> the Gravity SDOH categories it maps to in accepted curated maps."""
    out: dict[tuple[str, str], set[str]] = {}
    for r in store.query("SELECT source_system, source_code, target_code FROM map_entries "
                         "WHERE target_system = ? AND status = 'accepted'", (systems.SDOHCC,)):
        out.setdefault((r["source_system"], r["source_code"]), set()).add(r["target_code"])
    return out


def examples(index: MatchIndex, heldout_path, sdoh: dict, n_icd: int = 36000, seed: int = 7) -> list[Example]:
    """Training entries; an entry made from an ICD-10-CM or SNOMED CT term is often also
    asked for its SDOH category, which is right only where a curated map says so."""
    rnd = random.Random(seed)
    rewrite = Rewriter(seed)
    heldout = _heldout(heldout_path)
    out: list[Example] = []
    for system, sub in index.systems.items():
        by_text: dict[str, set[str]] = {}
        for t, c in zip(sub.terms, sub.term_concept.tolist()):
            by_text.setdefault(t, set()).add(sub.codes[c])
        sources = []
        for term, (text, c, kind) in enumerate(zip(sub.terms, sub.term_concept.tolist(), sub.term_kind.tolist())):
            code = sub.codes[c]
            if (code, text) in heldout:
                continue
            weight = _weight(system, code, kind)
            if weight > 0:
                sources.append((weight, term, text, c, kind))
        budget = n_icd if system == systems.ICD10CM else min(n_icd // 3, 9 * len(sources))
        weights = [s[0] for s in sources]
        for weight, term, text, c, kind in rnd.choices(sources, weights=weights, k=budget):
            terse = rnd.random() < 0.35
            query = _assert(rewrite(text, terse), sub, c, text, rnd)
            if not terse and rnd.random() < CONTEXT:
                query = context_clauses.add(query, rnd)
            mask = set()
            if len(sub.concept_terms[c]) > 1 and rnd.random() < MASK.get(kind, 0.4):
                mask = {int(t) for t in sub.concept_terms[c] if sub.terms[t] == text}
            out.append(Example(query, system, by_text[text], mask))
            if system != systems.SDOHCC and systems.SDOHCC in index.systems and rnd.random() < CROSS_SDOH:
                out.append(Example(query, systems.SDOHCC, sdoh.get((system, sub.codes[c]), set())))
    if systems.ICD10CM in index.systems:
        out.extend(sibling_examples(index.systems[systems.ICD10CM], heldout, rewrite, rnd))
    for _ in range(GIBBERISH):
        out.append(Example(gibberish(rnd), rnd.choice(list(index.systems)), set()))
    rnd.shuffle(out)
    return out


def qualifier_pairs(sub) -> list[tuple[int, int, str]]:
    """(unspecified code, sibling, what the sibling says more) for billable ICD-10-CM codes of one
    category where the sibling differs only by qualifiers: (H61.20, H61.21, "right ear")."""
    pairs = []
    for u, s, more in specific.qualifier_pairs(sub.codes, sub.billable, sub.display_words):
        clauses = [p for p in sub.displays[s].lower().split(", ") if word_set(p) & more]
        said = clauses[0] if len(clauses) == 1 and len(clauses[0].split()) <= 3 else " ".join(
            sorted(more - specific.ASSUMED) or more)
        pairs.append((u, s, said))
    return pairs


def sibling_examples(sub, heldout, rewrite, rnd: random.Random) -> list[Example]:
    """A term of an unspecified code with a sibling's qualifier added names the sibling
    ("earwax buildup, right ear" -> H61.21): what lets an alias speak for its family."""
    pairs = qualifier_pairs(sub)
    out = []
    for u, s, said in rnd.choices(pairs, weights=[_weight(systems.ICD10CM, sub.codes[s], 0) for _, s, _ in pairs],
                                  k=SIBLINGS if pairs else 0):
        terms = [int(t) for t in sub.concept_terms[u] if (sub.codes[u], sub.terms[t]) not in heldout]
        if not terms:
            continue
        text = DROP.sub("", sub.terms[rnd.choice(terms)]).strip(" ,")
        query = f"{text}, {said}" if rnd.random() < 0.5 else f"{said} {text}"
        out.append(Example(rewrite(query, rnd.random() < 0.35), systems.ICD10CM, {sub.codes[s]}))
    return out


def gibberish(rnd: random.Random) -> str:
    """Keyboard noise: an entry no code is right for."""
    return " ".join("".join(rnd.choice(KEYBOARD) for _ in range(rnd.randint(3, 8))) for _ in range(rnd.randint(1, 3)))


def _weight(system: str, code: str, kind: int) -> float:
    if system != systems.ICD10CM:
        return 1.0
    if kind in (content.ALIAS, content.MAP_LABEL):
        return 6.0
    chapter = code[0]
    return {"F": 4.0, "Z": 3.0, "S": 0.1, "T": 0.3, "V": 0.02, "W": 0.02, "X": 0.05, "Y": 0.02, "O": 0.4, "P": 0.3,
            "Q": 0.3}.get(chapter, 1.2)


def _assert(query: str, sub, concept: int, source: str, rnd: random.Random) -> str:
    """Assertion cues as problem lists write them; family/history codes get theirs."""
    display = sub.displays[concept].lower()
    for prefix, cues in (("family history of ", ("FH", "fam hx", "family history of")),
                         ("personal history of ", ("hx", "h/o", "hx of", "history of"))):
        if display.startswith(prefix) and source.startswith(prefix.strip()) and rnd.random() < 0.8:
            rest = query[len(prefix):] if query.lower().startswith(prefix) else query
            return f"{rnd.choice(cues)} {rest}"
    roll = rnd.random()
    if roll < 0.04:
        return f"{rnd.choice(NEGATED)} {query}"
    if roll < 0.08:
        return f"{rnd.choice(UNCERTAIN)} {query}"
    return query
