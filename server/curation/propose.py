"""Propose: candidate targets for every entry of a local code table, written
into the map set's draft. Confident proposals become `auto`, the rest
`unreviewed`; entries a curator already accepted or rejected are kept."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from loaders.base import system_uri
from server.curation import entries, versions
from server.curation.entries import SELECT, Candidate, from_row
from server.errors import InvalidArgument
from server.match.result import AUTO, SystemMatches
from server.match.service import auto_threshold as matcher_threshold
from server.relationships import EQUIVALENT
from server.store.store import Store
from server.systems import canonical_system
from server.validation import bounded

MAX_ENTRIES = 100_000
MAX_CANDIDATES = 5
MATCH_BATCH = 1000
HUMAN_DECISIONS = ("accepted", "rejected")


@dataclass
class SourceEntry:
    code: str
    display: str
    synonyms: list[str] = field(default_factory=list)
    frequency: int = 0


@dataclass
class Proposal:
    source: SourceEntry
    candidates: list[Candidate]
    auto: bool


@dataclass
class ProposeSummary:
    map_set: str
    proposed: int = 0
    auto: int = 0
    unreviewed: int = 0
    kept: int = 0  # already accepted or rejected by a curator


def source_system_uri(text: str) -> str:
    """A canonical system, or any URI naming a local code system."""
    uri = system_uri(bounded("source_system", text, 512, required=True))
    if uri is None:
        raise InvalidArgument("SYSTEM_NOT_A_URI", f"source_system {text!r} is not a URI or a known alias",
                              system=text)
    return uri


def check_entries(sources: Iterable[SourceEntry]) -> list[SourceEntry]:
    out, seen = [], set()
    for e in sources:
        code = bounded("entries.code", e.code, 128, required=True)
        display = bounded("entries.display", e.display, required=True)
        if code in seen:
            raise InvalidArgument("DUPLICATE_SOURCE_CODE", f"source code {code} appears more than once", code=code)
        if e.frequency < 0:
            raise InvalidArgument("INVALID_FREQUENCY", f"frequency of {code} is negative", code=code)
        seen.add(code)
        synonyms = [s for s in (bounded("entries.synonyms", s) for s in e.synonyms) if s]
        out.append(SourceEntry(code, display, synonyms, e.frequency))
    if not out:
        raise InvalidArgument("ENTRIES_REQUIRED", "no source entries to propose mappings for")
    if len(out) > MAX_ENTRIES:
        raise InvalidArgument("TOO_MANY_ENTRIES", f"at most {MAX_ENTRIES} entries per call",
                              limit=MAX_ENTRIES, size=len(out))
    return out


def match_all(engine, sources: list[SourceEntry], target_system: str, threshold: float) -> list[Proposal]:
    """The engine's text matcher on every display and synonym, in batches."""
    texts = [t for e in sources for t in (e.display, *e.synonyms)]
    results = []
    for start in range(0, len(texts), MATCH_BATCH):
        results += engine.match_texts(texts[start:start + MATCH_BATCH], (target_system,), MAX_CANDIDATES, threshold)
    proposals, at = [], 0
    for e in sources:
        found = [r.for_system(target_system) for r in results[at:at + 1 + len(e.synonyms)]]
        proposals.append(combine(e, [f for f in found if f is not None]))
        at += 1 + len(e.synonyms)
    return proposals


def combine(entry: SourceEntry, matches: list[SystemMatches]) -> Proposal:
    """One proposal from the matches of an entry's texts: each target's best
    evidence; auto when the top target is one the matcher would answer alone."""
    best: dict[tuple[str, str], Candidate] = {}
    auto_targets = set()
    for m in matches:
        if m.decision == AUTO and m.candidates:
            auto_targets.add((m.candidates[0].system, m.candidates[0].code))
        for c in m.candidates:
            key = (c.system, c.code)
            if key not in best or c.confidence > best[key].confidence:
                best[key] = Candidate(c.system, c.code, c.display, c.confidence, c.evidence,
                                      c.relationship or EQUIVALENT)
    ranked = sorted(best.values(), key=lambda c: (-c.confidence, c.code))[:MAX_CANDIDATES]
    return Proposal(entry, ranked, bool(ranked) and (ranked[0].system, ranked[0].code) in auto_targets)


def write_proposals(store: Store, map_set: str, source_system: str, target_system: str,
                    proposals: list[Proposal], actor: str, auto_threshold: float) -> ProposeSummary:
    """Upsert the draft entries (one per source code and target system) and their audit events."""
    summary = ProposeSummary(map_set)
    with store.transaction():
        set_id = versions.ensure_draft(store, map_set, source_system, target_system, actor)
        existing = {r["source_code"]: from_row(r) for r in store.query(
            f"{SELECT} WHERE e.map_set_id = ? AND e.source_system = ? AND e.target_system = ?",
            (set_id, source_system, target_system))}
        for p in proposals:
            old = existing.get(p.source.code)
            if old is not None and old.status in HUMAN_DECISIONS:
                summary.kept += 1
                continue
            top = p.candidates[0] if p.candidates else Candidate(target_system, "", "", 0.0)
            provenance = {"method": "text-match", "candidates": [c.__dict__ for c in p.candidates],
                          "synonyms": p.source.synonyms, "auto_threshold": auto_threshold}
            entries.write(store, old, {
                "map_set_id": set_id, "source_system": source_system, "source_code": p.source.code,
                "source_display": p.source.display,
                "target_system": target_system, "target_code": top.code, "target_display": top.display,
                "relationship": top.relationship, "confidence": top.confidence,
                "status": "auto" if p.auto else "unreviewed", "frequency": p.source.frequency, "author": actor,
                "provenance": json.dumps(provenance, sort_keys=True)}, actor, "propose")
            summary.proposed += 1
            summary.auto += p.auto
            summary.unreviewed += not p.auto
        versions.refresh_count(store, set_id)
    return summary


def propose(engine, map_set: str, source_system: str, sources: Iterable[SourceEntry], target_system: str,
            auto_threshold: float, actor: str) -> ProposeSummary:
    """Match every entry (no lock held), then write all proposals in one transaction."""
    name = versions.valid_name(map_set)
    source_system = source_system_uri(source_system)
    target_system = canonical_system(bounded("target_system", target_system, 512, required=True))
    threshold = matcher_threshold(auto_threshold or None)
    proposals = match_all(engine, check_entries(sources), target_system, threshold)
    with engine.writer() as store:
        return write_proposals(store, name, source_system, target_system, proposals, actor, threshold)
