"""Export a map set version's mappings (accepted and auto entries with a
target) as SSSOM TSV, FHIR ConceptMap R4 or R5 JSON, or CSV.

Confidence and curation status travel as ConceptMap properties: natively in R5
(ConceptMap.property + target.property), and in R4 through the R5
cross-version extensions for those two elements."""

from __future__ import annotations

import csv
import io
import json
import re
from itertools import groupby

from server import relationships, systems
from server.curation import versions
from server.curation.entries import Entry
from server.curation.publish import mappings
from server.errors import InvalidArgument
from server.store.store import Store

FORMATS = ("sssom", "conceptmap-r4", "conceptmap-r5", "csv")
BASE_URL = "http://termbridge.example.org/fhir/ConceptMap/"
PROPERTY_URI = "http://termbridge.example.org/fhir/ConceptMap-property/"
R4_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ConceptMap.property"
R4_TARGET_PROPERTY = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ConceptMap.group.element.target.property"
PROPERTIES = [("confidence", "decimal", "Probability that the mapping is right"),
              ("status", "code", "Curation status: accepted (reviewed by a curator) or auto (machine proposal)")]
# the crosswalk-csv loader's columns, then what curation keeps beyond them
CSV_COLUMNS = ("source_system", "source_code", "source_display", "target_system", "target_code", "target_display",
               "relationship", "confidence", "author", "justification", "status", "reviewer", "note", "frequency")
MANUAL, LEXICAL = "semapv:ManualMappingCuration", "semapv:LexicalMatching"
_PREFIXES = {v: k for k, v in (("ICD10CM", systems.ICD10CM), ("SCTID", systems.SNOMED), ("LOINC", systems.LOINC),
                                ("RXNORM", systems.RXNORM), ("SDOHCC", systems.SDOHCC), ("CPT", systems.CPT),
                                ("HCPCS", systems.HCPCS))}


def export(store: Store, map_set: str, version: str, fmt: str) -> tuple[str, str, str]:
    """(content, content type, file name)."""
    if fmt not in FORMATS:
        raise InvalidArgument("UNSUPPORTED_FORMAT", f"export format {fmt!r} is not one of {', '.join(FORMATS)}",
                              format=fmt)
    row = versions.find(store, map_set, version)
    rows = sorted((e for group in mappings(store, row).values() for e in group),
                  key=lambda e: (e.source_system, e.target_system, e.source_code, e.target_code))
    stem = f"{row['name']}-{row['version']}"
    if fmt == "sssom":
        return sssom(row, rows), "text/tab-separated-values", f"{stem}.sssom.tsv"
    if fmt == "csv":
        return csv_text(rows), "text/csv", f"{stem}.csv"
    release = fmt.rsplit("-", 1)[1]
    return (json.dumps(conceptmap(row, rows, release), indent=2, ensure_ascii=False) + "\n",
            "application/fhir+json", f"{stem}.conceptmap-{release}.json")


def set_url(row) -> str:
    return row["url"] or BASE_URL + row["name"]


def sssom(row, rows: list[Entry]) -> str:
    prefixes: dict[str, str] = {}

    def curie(system: str, code: str) -> str:
        prefix = _PREFIXES.get(system) or _local_prefix(system, prefixes)
        prefixes[prefix] = system
        return f"{prefix}:{code}"

    lines = []
    for e in rows:
        lines.append([curie(e.source_system, e.source_code), e.source_display, relationships.TO_SKOS[e.relationship],
                      curie(e.target_system, e.target_code), e.target_display,
                      _justification(e), f"{e.confidence:.4g}", e.author, e.reviewer,
                      e.updated_at[:10], e.source_system, e.target_system, e.note])
    header = [f"#mapping_set_id: {set_url(row)}", f"#mapping_set_version: {row['version']}",
              f"#mapping_set_title: {row['title'] or row['name']}",
              "#license: https://w3id.org/sssom/license/unspecified",
              f"#mapping_date: {(row['published_at'] or row['loaded_at'])[:10]}", "#curie_map:"]
    header += [f"#  {p}: {s}/" for p, s in sorted(prefixes.items())]
    columns = ["subject_id", "subject_label", "predicate_id", "object_id", "object_label", "mapping_justification",
               "confidence", "author_id", "reviewer_id", "mapping_date", "subject_source", "object_source", "comment"]
    body = ["\t".join(_cell(c) for c in line) for line in [columns, *lines]]
    return "\n".join(header + body) + "\n"


def _local_prefix(system: str, taken: dict[str, str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]", "", system.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]).upper() or "LOCAL"
    base = base if base[0].isalpha() else "L" + base
    prefix, n = base, 1
    while taken.get(prefix, system) != system:
        n += 1
        prefix = f"{base}{n}"
    return prefix


def _justification(e: Entry) -> str:
    return MANUAL if e.status == "accepted" else LEXICAL


def _cell(text: str) -> str:
    return " ".join(str(text).split())


def csv_text(rows: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in rows:
        writer.writerow([e.source_system, e.source_code, e.source_display, e.target_system, e.target_code,
                         e.target_display, e.relationship, f"{e.confidence:.4g}", e.author, _justification(e),
                         e.status, e.reviewer, e.note, e.frequency])
    return out.getvalue()


def conceptmap(row, rows: list[Entry], release: str) -> dict:
    name = re.sub(r"[^A-Za-z0-9_]", "_", row["name"])
    resource = {"resourceType": "ConceptMap", "id": re.sub(r"[^A-Za-z0-9.-]", "-", row["name"])[:64],
                "url": set_url(row), "version": row["version"], "name": name[:1].upper() + name[1:],
                "title": row["title"] or row["name"], "status": "active" if row["published_at"] else "draft",
                "date": row["published_at"] or row["loaded_at"]}
    declared = [{"code": c, "uri": PROPERTY_URI + c, "description": d, "type": t} for c, t, d in PROPERTIES]
    if release == "r5":
        resource["property"] = declared
    else:
        resource["extension"] = [{"url": R4_PROPERTY, "extension": [{"url": k, f"value{_fhir_type(k)}": v}
                                                                   for k, v in p.items()]} for p in declared]
    resource["group"] = []
    for (source, target), group in groupby(rows, key=lambda e: (e.source_system, e.target_system)):
        elements = []
        for (code, display), items in groupby(group, key=lambda e: (e.source_code, e.source_display)):
            element = {"code": code, "display": display} if display else {"code": code}
            element["target"] = [_target(e, release) for e in items]
            elements.append(element)
        resource["group"].append({"source": source, "target": target, "element": elements})
    return resource


def _fhir_type(key: str) -> str:
    return {"code": "Code", "type": "Code", "uri": "Uri"}.get(key, "String")


def _target(e: Entry, release: str) -> dict:
    target = {"code": e.target_code}
    if e.target_display:
        target["display"] = e.target_display
    values = [("confidence", "valueDecimal", round(e.confidence, 4)), ("status", "valueCode", e.status)]
    if release == "r5":
        target["relationship"] = e.relationship
        target["property"] = [{"code": c, kind: v} for c, kind, v in values]
    else:
        target["equivalence"] = relationships.TO_R4_EQUIVALENCE[e.relationship]
        target["extension"] = [{"url": R4_TARGET_PROPERTY, "extension": [{"url": "code", "valueCode": c},
                                                                         {"url": "value", kind: v}]}
                               for c, kind, v in values]
    if e.note:
        target["comment"] = e.note
    return target
