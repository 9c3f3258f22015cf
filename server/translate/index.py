"""The active map entries held in memory, read both ways, rebuilt when the
content changes (a map set or code system is loaded, activated or retired)."""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, NamedTuple

from server.curation.effective import answering_rows
from server.relationships import BROADER, NARROWER, NOT_RELATED
from server.store.store import Store
from server.systems import LOINC
from server.translate.hierarchy import parent_map
from server.translate.model import Coding, Provenance

# accepted curated (or published curation) entries, official maps, then auto / unreviewed entries
TIER_FACTOR = (1.0, 0.9, 0.7)
TIER_METHOD = ("curated-map", "official-map", "curated-map")
INVERSE = {NARROWER: BROADER, BROADER: NARROWER}
MAX_PARENT_ROWS = 300_000  # ICD-10-CM has 98,483 is-a rows; a full SNOMED CT release stays in SQLite
_MISSING = object()
_QUESTION = re.compile(r"question=([0-9]+-[0-9])")


class Edge(NamedTuple):
    """One active map entry read in one direction, from a coding to `end`."""

    end: Coding
    relationship: str  # from the start coding to `end`
    confidence: float  # the entry's, times its tier's factor
    tier: int
    question: str  # the LOINC question the entry's answer code belongs to, if any
    provenance: Provenance


def tier(kind: str, status: str) -> int:
    if kind == "official":
        return 1
    return 0 if status == "accepted" else 2


def fingerprint(store: Store) -> tuple:
    """Changes whenever the answerable content does (active sets and systems are immutable)."""
    sets = store.one("SELECT group_concat(id || ':' || entry_count) FROM "
                     "(SELECT id, entry_count FROM map_sets WHERE active = 1 ORDER BY id)")[0]
    systems = store.one("SELECT group_concat(id) FROM (SELECT id FROM code_systems WHERE active = 1 ORDER BY id)")[0]
    curated = store.one("SELECT max(id) FROM audit_events")[0]  # every curation write is audited
    return sets or "", systems or "", curated


@contextmanager
def snapshot(store: Store):
    """Every read inside sees one committed state of the database."""
    store.conn.execute("BEGIN")
    try:
        yield store
    finally:
        store.conn.execute("COMMIT")


class MapIndex:
    def __init__(self, store: Store) -> None:
        with snapshot(store):
            self._build(store)

    def _build(self, store: Store) -> None:
        self.fingerprint = fingerprint(store)
        self.forward: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        self.reverse: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        self.displays: dict[tuple[str, str], str] = {}
        self.map_sets: set[str] = set()
        self.code_systems = {r["url"]: r for r in store.code_systems(include_inactive=False)}
        self.systems = set(self.code_systems)
        self.cache: dict = {}  # translations answered from this index
        self.derived: dict = {}  # see derive()
        self._lock = threading.RLock()  # a derived value may derive another
        shared: dict = {}
        for row in answering_rows(store):  # active sets, and curators' decisions in drafts since
            self._add(row, shared)
        self.forward.default_factory = self.reverse.default_factory = None
        # the systems maps lead to, forward and reverse; (source system, target system) pairs with maps
        self.targets = tuple(sorted({e.end.system for edges in side.values() for e in edges})
                             for side in (self.forward, self.reverse))
        self.pairs = {(system, e.end.system) for (system, _), edges in self.forward.items() for e in edges}

    def _add(self, row, shared: dict) -> None:
        extra = json.loads(row["provenance"] or "{}")
        level = tier(row["kind"], row["status"])
        found = _QUESTION.search(str(extra.get("question") or extra.get("comment") or ""))
        question = found.group(1) if found else ""
        advice = "; ".join(f"{k}: {extra[k]}" for k in ("rule", "map_rule", "advice", "map_advice") if extra.get(k))
        if question:
            advice = "; ".join(filter(None, [f"answer to LOINC question {question}", advice]))
        prov = Provenance(TIER_METHOD[level], row["name"], row["version"], row["status"], (), advice, row["author"],
                          extra.get("comment") or extra.get("mapping_justification") or "")
        prov = shared.setdefault(prov, prov)  # many entries share one provenance
        source = Coding(row["source_system"], row["source_code"], row["source_display"])
        target = Coding(row["target_system"], row["target_code"], row["target_display"])
        confidence = round(row["confidence"] * TIER_FACTOR[level], 4)
        relationship = row["relationship"]
        self.forward[source[:2]].append(Edge(target, relationship, confidence, level, question, prov))
        # read backwards, a LOINC answer keeps its question: "88124-3|LA19952-3", as requests send it
        back = source._replace(code=f"{question}|{source.code}") if question and source.system == LOINC else source
        self.reverse[target[:2]].append(
            Edge(back, INVERSE.get(relationship, relationship), confidence, level, question, prov))
        for coding in (source, target):
            if coding.display:
                self.displays.setdefault(coding[:2], coding.display)
        self.systems.update((source.system, target.system))
        self.map_sets.add(row["name"])

    def edges(self, system: str, code: str, reverse: bool = False) -> list[Edge]:
        return (self.reverse if reverse else self.forward).get((system, code), [])

    def derive(self, key, compute: Callable[[], object]):
        """A value computed from this index's content on first use (SDOH rules, hierarchies)."""
        value = self.derived.get(key, _MISSING)
        if value is _MISSING:
            with self._lock:
                value = self.derived.get(key, _MISSING)
                if value is _MISSING:
                    value = self.derived[key] = compute()
        return value

    def parents(self, store: Store, cs_id: int) -> dict | None:
        """A code system's child -> parents in memory, unless it is too big for that."""
        return self.derive(("parents", cs_id), lambda: parent_map(store, cs_id, MAX_PARENT_ROWS))


def answers(edges: list[Edge]) -> list[Edge]:
    """Edges that say what a code is (not-related-to entries say what it is not)."""
    return [e for e in edges if e.relationship != NOT_RELATED]
