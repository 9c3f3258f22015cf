"""FHIR ConceptMap (R4 `equivalence` or R5 `relationship`) -> map-set rows.

Confidence comes from a target extension or R5 target property named
`confidence` (a decimal in [0, 1]); otherwise from the relationship:
equivalent 1.0, broader/narrower 0.9, related-to 0.7, not-related-to 1.0.
Entry status follows the ConceptMap's: active -> accepted, retired ->
rejected, anything else -> unreviewed. `comment`, `dependsOn`, `product`, the
original equivalence and the group go into each entry's provenance; elements
with `noMap` or targets without a code are counted as skips."""

from __future__ import annotations

import json
from typing import Iterator

from loaders.base import Skipped, system_uri
from server import relationships
from server.errors import LoadError
from server.store.writer import MapRow
from server.systems import normalize_code

DEFAULT_CONFIDENCE = {relationships.EQUIVALENT: 1.0, relationships.NARROWER: 0.9, relationships.BROADER: 0.9,
                      relationships.RELATED: 0.7, relationships.NOT_RELATED: 1.0}
STATUS = {"active": "accepted", "retired": "rejected"}


def systems(resource: dict) -> tuple[str, str]:
    """(source system, target system) when every group agrees, else ''."""
    pairs = {(_system(g.get("source")), _system(g.get("target"))) for g in resource.get("group") or []}
    sources, targets = {s for s, _ in pairs}, {t for _, t in pairs}
    return (sources.pop() if len(sources) == 1 else ""), (targets.pop() if len(targets) == 1 else "")


def rows(resource: dict, origin: str) -> Iterator:
    status = STATUS.get(resource.get("status", ""), "unreviewed")
    author = resource.get("publisher", "")
    for number, group in enumerate(resource.get("group") or []):
        source, target = _system(group.get("source")), _system(group.get("target"))
        for element in group.get("element") or []:
            targets = element.get("target") or []
            if element.get("noMap") or not targets:
                yield Skipped(0, "element without a target (noMap)")
                continue
            if not source or not target:
                yield Skipped(0, "group without a source or target system")
                continue
            for t in targets:
                if not t.get("code"):
                    yield Skipped(0, "target without a code (unmatched)")
                    continue
                rel = _relationship(t, origin, element.get("code"))
                provenance = {"group": number, "element": element.get("code"),
                              **{k: t[k] for k in ("equivalence", "comment", "dependsOn", "product") if t.get(k)}}
                if resource.get("url"):
                    provenance["concept_map"] = resource["url"]
                yield MapRow(source, normalize_code(source, element.get("code", "")), element.get("display", ""),
                             target, normalize_code(target, t["code"]), t.get("display", ""), rel,
                             _confidence(t, rel, origin), status, author, json.dumps(provenance, sort_keys=True))


def _relationship(target: dict, origin: str, code) -> str:
    name = target.get("relationship") or target.get("equivalence") or ""
    rel = relationships.relationship(name)
    if rel is None:
        raise LoadError(origin, None, f"element {code}: unknown relationship/equivalence {name!r}")
    return rel


def _confidence(target: dict, rel: str, origin: str) -> float:
    carried = [e.get("valueDecimal") for e in target.get("extension") or []
               if str(e.get("url", "")).rsplit("/", 1)[-1].lower().endswith("confidence")]
    carried += [p.get("valueDecimal") for p in target.get("property") or [] if p.get("code") == "confidence"]
    if not carried or carried[0] is None:
        return DEFAULT_CONFIDENCE[rel]
    value = float(carried[0])
    if not 0.0 <= value <= 1.0:
        raise LoadError(origin, None, f"target {target.get('code')}: confidence {value} is outside [0, 1]")
    return value


def _system(canonical) -> str:
    if not canonical:
        return ""
    url = str(canonical).split("|")[0]
    return system_uri(url) or url
