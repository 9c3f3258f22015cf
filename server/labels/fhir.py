"""LabelFhirResource: every CodeableConcept / Coding in the clinically meaningful
elements of a FHIR R4 resource (or of each resource in a Bundle) is labeled; the
resource gets `meta.security` as the DS4P IG says (exactly one confidentiality
code, sensitivity, policy and handling codes, the sec-label-basis extension on
the labels a policy brought); a Bundle gets the high-water mark of its entries,
without the privacy-revealing refrain and obligation codes. Nothing else in the
JSON changes. Contained resources are labeled with their container."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.errors import InvalidArgument
from server.labels import fhir_json, hl7
from server.labels.labeler import LabelIndex, check_context
from server.labels.model import PROVENANCE, Code, Context, Element, Evidence, Labels
from server.labels.rules import policies_for

# resource type -> dotted paths of its CodeableConcept / Coding elements
ELEMENTS: dict[str, tuple[str, ...]] = {
    "Condition": ("code", "evidence.code"),
    "Observation": ("code", "valueCodeableConcept", "component.code", "component.valueCodeableConcept"),
    "Procedure": ("code", "reasonCode"),
    "MedicationRequest": ("medicationCodeableConcept", "reasonCode"),
    "MedicationStatement": ("medicationCodeableConcept", "reasonCode"),
    "MedicationAdministration": ("medicationCodeableConcept", "reasonCode"),
    "MedicationDispense": ("medicationCodeableConcept",),
    "Medication": ("code",),
    "Encounter": ("type", "reasonCode"),
    "DiagnosticReport": ("code", "conclusionCode"),
    "ServiceRequest": ("code", "reasonCode"),
    "DocumentReference": ("type",),
    "CarePlan": ("activity.detail.code", "activity.detail.reasonCode"),
    "Goal": ("description",),
    "AllergyIntolerance": ("code",),
    "Immunization": ("vaccineCode",),
    "Claim": ("diagnosis.diagnosisCodeableConcept", "procedure.procedureCodeableConcept", "item.productOrService"),
    "ExplanationOfBenefit": ("diagnosis.diagnosisCodeableConcept", "procedure.procedureCodeableConcept",
                             "item.productOrService"),
}


@dataclass
class FhirLabels:
    resource_json: str
    high_water_mark: Labels
    elements: list[tuple[str, Labels]] = field(default_factory=list)


def label_fhir(index: LabelIndex, resource_json: str, context: Context) -> FhirLabels:
    check_context(context)
    resource = fhir_json.loads(resource_json)
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise InvalidArgument("NOT_A_RESOURCE", "resource_json is not a FHIR resource (no resourceType)")
    elements: list[tuple[str, Labels]] = []
    top = _label(index, resource, context, elements, "")
    return FhirLabels(fhir_json.dumps(resource), top, elements)


def _label(index: LabelIndex, resource: dict, context: Context, elements: list, where: str) -> Labels:
    """Label one resource (a Bundle: its entries first) and write its meta.security."""
    ref = f"{resource['resourceType']}/{resource['id']}" if resource.get("id") else where or resource["resourceType"]
    if resource["resourceType"] == "Bundle":
        parts = [_label(index, entry["resource"], context, elements, f"entry[{n}]")
                 for n, entry in enumerate(resource.get("entry") or [])
                 if isinstance(entry, dict) and isinstance((entry.get("resource") or {}).get("resourceType"), str)]
        return _write_security(resource, _high_water_mark(index, parts, resource, context), bundle=True)
    found = []
    for path, codings, text in _concepts(resource, ""):
        element = Element(f"{ref}:{path}", codings, "" if codings else text, resource["resourceType"])
        found.append(index.label(element, context))
        elements.append((element.id, found[-1]))
    return _write_security(resource, _high_water_mark(index, found, resource, context), bundle=False)


def _high_water_mark(index: LabelIndex, parts: list[Labels], resource: dict, context: Context) -> Labels:
    """Over the parts, the provenance context (which applies even to a resource with no coded
    element) and a confidentiality code the resource already carries (never lowered)."""
    return index.assembler.merge([*parts, index.assembler.assemble([], policies_for(context)),
                                  *_prior(resource)])


def _concepts(resource: dict, prefix: str):
    """(path, codings, text) of each coded element, contained resources included."""
    for spec in ELEMENTS.get(resource.get("resourceType"), ()):
        for path, value in _walk(resource, spec.split("."), prefix):
            codings = value.get("coding") if isinstance(value.get("coding"), list) else [value]
            usable = tuple((c["system"], c["code"]) for c in codings
                           if isinstance(c, dict) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
                           and c["system"].strip() and c["code"].strip())
            text = value.get("text") if isinstance(value.get("text"), str) else ""
            if usable or text.strip():
                yield path, usable, text
    for n, inner in enumerate(resource.get("contained") or []):
        if isinstance(inner, dict):
            yield from _concepts(inner, f"{prefix}contained[{n}].")


def _walk(node, parts: list[str], path: str):
    if not parts:
        if isinstance(node, dict):
            yield path, node
        return
    child = node.get(parts[0]) if isinstance(node, dict) else None
    here = f"{path}{'.' if path and not path.endswith('.') else ''}{parts[0]}"
    if isinstance(child, list):
        for n, item in enumerate(child):
            yield from _walk(item, parts[1:], f"{here}[{n}]")
    elif child is not None:
        yield from _walk(child, parts[1:], here)


def _prior(resource: dict) -> list[Labels]:
    codes = [c.get("code") for c in (resource.get("meta") or {}).get("security") or []
             if isinstance(c, dict) and c.get("system") == hl7.CONFIDENTIALITY
             and c.get("code") in hl7.CONFIDENTIALITY_ORDER]
    if not codes:
        return []
    top = hl7.confidentiality(max(codes, key=hl7.rank))
    evidence = Evidence(top, "resource meta.security", "", "", None, PROVENANCE)
    return [Labels(top, evidence=(evidence,))]


def _coding(code: Code, basis: Code | None) -> dict:
    out: dict = {}
    if basis is not None:
        out["extension"] = [{"url": hl7.BASIS_EXTENSION,
                             "valueCoding": {"system": basis.system, "code": basis.code, "display": basis.display}}]
    out.update(system=code.system, code=code.code, display=code.display)
    return out


def _write_security(resource: dict, labels: Labels, bundle: bool) -> Labels:
    handling = [c for c in labels.handling if not (bundle and hl7.is_refrain_or_obligation(c.code))]
    ours = [labels.confidentiality, *labels.sensitivity, *labels.policy, *handling]
    security = [_coding(c, labels.basis.get(c.code)) for c in ours]
    emitted = {(c.system, c.code) for c in ours}
    meta = resource.get("meta")
    if isinstance(meta, dict):
        kept = [c for c in meta.get("security") or [] if isinstance(c, dict)
                and c.get("system") != hl7.CONFIDENTIALITY and (c.get("system"), c.get("code")) not in emitted]
        meta["security"] = security + kept
        return labels
    anchor = "id" if "id" in resource else "resourceType"
    items = list(resource.items())
    resource.clear()
    for key, value in items:
        resource[key] = value
        if key == anchor:
            resource["meta"] = {"security": security}
    return labels
