"""The resolution steps, in order; for each target system the first step that
finds anything answers, and each later step lowers confidence:

1. direct maps: accepted curated entries, else official maps, else auto /
   unreviewed entries (server.translate.index.TIER_FACTOR);
2. chains of two maps through a third system (local -> SNOMED CT -> ICD-10-CM);
3. hierarchy: a non-billable ICD-10-CM code offers its billable codes as
   narrower candidates; a code without a map takes its nearest mapped
   ancestor's maps as broader; SDOH category and range rules (server.translate.sdoh);
4. when no step found anything for any target (and no map set was named):
   the concept's own display through the text matcher, when the engine has
   one (method "text-match", the matcher's calibrated confidence)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.errors import NotFound
from server.relationships import BROADER, EQUIVALENT, NARROWER, RELATED
from server.store.store import Store
from server.systems import ICD10CM, LOINC, SDOHCC, SNOMED
from server.translate import sdoh
from server.translate.hierarchy import ancestor_levels, billable_descendants
from server.translate.index import Edge, MapIndex, answers
from server.translate.model import Coding, Match, Provenance

CHAIN_FACTOR = 0.9
HIERARCHY_FACTOR = 0.8
MAX_CANDIDATES = 50
TEXT_CANDIDATES = 3
TEXT_TARGETS = (ICD10CM, SNOMED, SDOHCC)
_STATUS_RANK = {"accepted": 0, "auto": 1, "unreviewed": 2}


@dataclass
class Request:
    """One normalized translation request over one index version."""

    index: MapIndex
    store: Store
    source: Coding
    question: str = ""  # LOINC question an answer code was sent with
    reverse: bool = False
    map_set: str = ""
    cs: object = None  # the source's loaded code system row
    billable: bool | None = None  # None when the code is not in a loaded code system
    _levels: list | None = field(default=None, repr=False)

    def edges(self, system: str, code: str) -> list[Edge]:
        edges = self.index.edges(system, code, self.reverse)
        if self.map_set:
            edges = [e for e in edges if e.provenance.map_set == self.map_set]
        return edges

    def source_edges(self) -> list[Edge]:
        edges = self.edges(self.source.system, self.source.code)
        if self.question and not self.reverse:
            edges = [e for e in edges if e.question in ("", self.question)]
        return edges

    def levels(self) -> list[list[str]]:
        if self._levels is None:
            self._levels = ancestor_levels(self.store, self.cs["id"], self.source.code,
                                           self.index.parents(self.store, self.cs["id"])) if self.cs else []
        return self._levels


def ambiguous_questions(req: Request, edges: list[Edge]) -> list[str]:
    """The questions a LOINC answer sent alone could belong to, when its maps differ between them."""
    if req.source.system != LOINC or req.question or req.reverse:
        return []
    meanings: dict[str, set] = {}
    for e in edges:
        if e.question:
            meanings.setdefault(e.question, set()).add((e.end.system, e.end.code, e.relationship))
    return sorted(meanings) if len({frozenset(m) for m in meanings.values()}) > 1 else []


def compose(first: str, second: str) -> str:
    """The relationship across two steps (a is R1 to b, b is R2 to c: a is ? to c)."""
    if first == EQUIVALENT:
        return second
    if second == EQUIVALENT or (first == second and first in (NARROWER, BROADER)):
        return first
    return RELATED


def best_tier(edges: list[Edge], target: str) -> list[Edge]:
    found = [e for e in edges if e.end.system == target]
    top = min((e.tier for e in found), default=None)
    best: dict[str, Edge] = {}
    for e in found:
        if e.tier == top and (e.end.code not in best or e.confidence > best[e.end.code].confidence):
            best[e.end.code] = e
    return list(best.values())


def direct(edges: list[Edge], target: str) -> list[Match]:
    return [Match(e.end, e.relationship, e.confidence, e.provenance) for e in best_tier(edges, target)]


def chain(req: Request, edges: list[Edge], target: str) -> list[Match]:
    best: dict[str, Match] = {}
    for first in answers(edges):
        if first.end.system in (target, req.source.system):
            continue
        for second in answers(req.edges(first.end.system, first.end.code)):
            if second.end.system != target:
                continue
            confidence = round(first.confidence * second.confidence * CHAIN_FACTOR, 4)
            if second.end.code in best and best[second.end.code].confidence >= confidence:
                continue
            best[second.end.code] = Match(second.end, compose(first.relationship, second.relationship), confidence,
                                          _chained(first, second))
    return list(best.values())


def _chained(first: Edge, second: Edge) -> Provenance:
    a, b = first.provenance, second.provenance
    joined = (lambda x, y: x if x == y else f"{x} > {y}")
    return Provenance("chain", joined(a.map_set, b.map_set), joined(a.map_set_version, b.map_set_version),
                      max(a.status, b.status, key=lambda s: _STATUS_RANK.get(s, 3)), (first.end,),
                      "; ".join(filter(None, (a.advice, b.advice))), joined(a.author, b.author), b.justification)


def hierarchy(req: Request, target: str) -> list[Match]:
    src = req.source
    if req.cs is None or req.reverse:
        return []
    if target == src.system:
        return narrower_candidates(req) if src.system == ICD10CM and req.billable is False else []
    sdoh_target = (src.system, target) == (ICD10CM, SDOHCC)
    rules = sdoh.category_edges(req.index, req.store) if sdoh_target else {}

    def ruled(code: str) -> list[Edge]:
        return [e for e in rules.get(code, []) if not req.map_set or e.provenance.map_set == req.map_set]

    if ruled(src.code):
        return [Match(e.end, e.relationship, e.confidence, e.provenance) for e in ruled(src.code)]
    levels = req.levels() if sdoh_target or (src.system, target) in req.index.pairs else []
    for depth, level in enumerate(levels, 1):
        found: dict[str, Match] = {}
        for code in level:
            edges = best_tier(answers(req.edges(src.system, code)), target) or ruled(code)
            if not edges:
                continue
            row = req.store.concept(req.cs["id"], code)
            ancestor = Coding(src.system, code, row["display"] if row else "", req.cs["version"])
            for e in edges:
                confidence = round(e.confidence * HIERARCHY_FACTOR ** depth, 4)
                if e.end.code not in found or found[e.end.code].confidence < confidence:
                    prov = e.provenance._replace(method="hierarchy", path=(ancestor, *e.provenance.path))
                    found[e.end.code] = Match(e.end, compose(NARROWER, e.relationship), confidence, prov)
        if found:
            return list(found.values())
    return sdoh.range_rule(src.code, src.display, {c for level in levels for c in level}) if sdoh_target else []


def narrower_candidates(req: Request) -> list[Match]:
    """A non-billable ICD-10-CM code: its billable codes, nearest first."""
    codes, more = billable_descendants(req.store, req.cs["id"], req.source.code, MAX_CANDIDATES)
    if not codes:
        return []
    advice = (f"{req.source.code} is not billable; {len(codes)}{' (more left off)' if more else ''} "
              "billable codes under it")
    prov = Provenance("hierarchy", advice=advice)
    confidence = round(HIERARCHY_FACTOR / len(codes), 4)
    return [Match(Coding(ICD10CM, code, display, req.cs["version"]), BROADER, confidence, prov)
            for code, display in codes]


def text_match(req: Request, targets: list[str], match_text) -> list[Match]:
    """The source's display through the text matcher, for the target systems it holds.
    Not for LOINC answers: "Yes" or "Never true" mean nothing without their question."""
    if req.reverse or not req.source.display or (req.source.system == LOINC and req.source.code.startswith("LA")):
        return []
    # SDOH categories come only from curated maps and rules: a display that merely resembles a
    # social-need wording ("depression" ~ "stress") must not become an SDOH finding.
    wanted = [t for t in targets or TEXT_TARGETS if t not in (req.source.system, SDOHCC)]
    try:
        results = [match_text(req.source.display, wanted, TEXT_CANDIDATES)] if wanted else []
    except NotFound:  # the matcher lacks one of them: ask for each alone
        results = []
        for target in wanted:
            try:
                results.append(match_text(req.source.display, [target], TEXT_CANDIDATES))
            except NotFound:
                continue
    found = []
    for system in (s for result in results for s in result.results):
        if system.decision == "no_match":
            continue
        for c in system.candidates:
            prov = Provenance("text-match", advice=c.evidence,
                              justification=f"the source display matched {c.matched_term!r}")
            found.append(Match(Coding(c.system, c.code, c.display, c.version), c.relationship or RELATED,
                               round(c.confidence, 4), prov))
    return found
