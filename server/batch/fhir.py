"""FHIR Bulk Data resources (Condition, Observation, MedicationRequest,
Procedure) re-coded in place: every CodeableConcept gains a coding in each
target system it lacks, taken from its first coding that maps there (or from
its text when no coding maps), marked userSelected=false with the
relationship and confidence as extensions. Original codings are never
touched. A LOINC answer is translated with its question (the Observation's or
component's code). The resource gets its decision as an extension and, with
labels, DS4P meta.security codings."""

from __future__ import annotations

from server.batch.resolve import Job, Resolution, Resolver, Unreadable, decide
from server.errors import TermbridgeError
from server.systems import LOINC, canonical_system

RESOURCE_TYPES = ("Condition", "Observation", "MedicationRequest", "Procedure")
EXTENSION = "http://termbridge.example.org/fhir/StructureDefinition/"
RELATIONSHIP_URL, CONFIDENCE_URL, DECISION_URL = (EXTENSION + n for n in ("recode-relationship",
                                                                          "recode-confidence", "recode-decision"))
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY_ORDER = ("U", "L", "M", "N", "R", "V")
TEXT_ONLY_PATHS = ("code", "valueCodeableConcept", "medicationCodeableConcept")  # CodeableConcepts by name
SKIP = ("meta", "extension", "modifierExtension", "contained", "text")


class ResourceError(Exception):
    """Why a resource is rejected."""


def recode_resource(resource, resolver: Resolver, job: Job, labeler=None) -> list[Resolution]:
    """Adds the codings to `resource` (in place); returns the elements it re-coded."""
    if not isinstance(resource, dict):
        raise ResourceError("not a JSON object")
    kind = resource.get("resourceType")
    if kind not in RESOURCE_TYPES:
        raise ResourceError(f"resource type {kind!r} is not one of {', '.join(RESOURCE_TYPES)}")
    elements = []
    for concept, question in _concepts(resource, ""):
        elements += _recode(concept, question, resolver, job)
    decision = decide(h for e in elements for h in e.hits.values())
    extensions = resource.get("extension")
    if extensions is not None and not isinstance(extensions, list):
        raise ResourceError("extension is not a list")
    resource["extension"] = [*(extensions or []), {"url": DECISION_URL, "valueCode": decision}]
    if job.labels and elements:
        _security(resource, *labeler.labels(elements))
    return elements


def _concepts(node, question: str):
    """(CodeableConcept, LOINC question of its answer) everywhere in the resource, in document order."""
    if isinstance(node, list):
        for item in node:
            yield from _concepts(item, question)
        return
    if not isinstance(node, dict):
        return
    asked = _loinc(node.get("code")) if "valueCodeableConcept" in node else ""
    for key, value in node.items():
        if key in SKIP or not isinstance(value, (dict, list)):
            continue
        if isinstance(value, dict) and (isinstance(value.get("coding"), list) or
                                        (key in TEXT_ONLY_PATHS and isinstance(value.get("text"), str))):
            yield value, asked if key == "valueCodeableConcept" else ""
        else:
            yield from _concepts(value, question)


def _loinc(concept) -> str:
    for coding in (concept or {}).get("coding") or []:
        if isinstance(coding, dict) and coding.get("system") == LOINC and coding.get("code"):
            return str(coding["code"])
    return ""


def _recode(concept: dict, question: str, resolver: Resolver, job: Job) -> list[Resolution]:
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    present, found = set(), []
    for c in codings:
        system, code = str(c.get("system") or ""), str(c.get("code") or "")
        if not (system and code):
            continue
        try:
            present.add(canonical_system(system))
        except TermbridgeError:
            present.add(system)
        if question and system == LOINC:
            code = f"{question}|{code}"
        try:
            found.append(resolver.code(system, code))
        except Unreadable:
            continue  # a system the engine does not know (status codes, local systems): left as it is
    if not any(e.hits for e in found) and isinstance(concept.get("text"), str) and concept["text"].strip():
        try:
            found.append(resolver.text(concept["text"]))
        except Unreadable:
            pass
    added = []
    for target in job.targets:
        hit = next((e.hits[target] for e in found if target in e.hits), None)
        if hit is not None and target not in present:
            added.append(_coding(hit))
    if added:
        concept["coding"] = list(concept.get("coding") or []) + added
    return found


def _coding(hit) -> dict:
    coding = {"extension": [{"url": RELATIONSHIP_URL, "valueCode": hit.relationship},
                            {"url": CONFIDENCE_URL, "valueDecimal": hit.confidence}],
              "system": hit.system}
    if hit.version:
        coding["version"] = hit.version
    coding["code"] = hit.code
    if hit.display:
        coding["display"] = hit.display
    coding["userSelected"] = False
    return coding


def _security(resource: dict, confidentiality: str, sensitivity) -> None:
    """DS4P: exactly one confidentiality code (the higher of the existing and ours), sensitivity codes added."""
    meta = resource.setdefault("meta", {})
    if not isinstance(meta, dict) or not isinstance(meta.setdefault("security", []), list):
        raise ResourceError("meta.security is not a list")
    labels = meta["security"]
    have = {(c.get("system"), c.get("code")) for c in labels if isinstance(c, dict)}
    current = [c for c in labels if isinstance(c, dict) and c.get("system") == CONFIDENTIALITY]
    rank = {c: i for i, c in enumerate(CONFIDENTIALITY_ORDER)}
    if confidentiality and all(rank.get(c.get("code"), -1) < rank.get(confidentiality, -1) for c in current):
        labels[:] = [c for c in labels if c not in current] + [{"system": CONFIDENTIALITY, "code": confidentiality}]
    labels += [{"system": ACTCODE, "code": s} for s in sensitivity if (ACTCODE, s) not in have]
