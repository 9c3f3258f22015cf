"""Reading label value sets from files: the mappings/labels CSV format
(categories.csv and one <CATEGORY>.csv per category, see its README) and FHIR
ValueSet JSON. Every problem is a LoadError naming the file and line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import NamedTuple

from loaders.base import text_lines
from server.errors import InvalidArgument, LoadError
from server.systems import ICD10CM, SNOMED, canonical_system, normalize_code

CATEGORY_HEADER = ["category", "display", "parents", "confidentiality", "version", "description"]
RULE_HEADER = ["system", "match", "code", "display", "exclude", "source", "note"]
MATCHES = ("code", "prefix", "range", "descendants")
MATCH_SYSTEMS = {"prefix": ICD10CM, "range": ICD10CM, "descendants": SNOMED}
CONFIDENTIALITY_CODES = ("U", "L", "M", "N", "R", "V")
FHIR_FILTER_OPS = ("is-a",)


class CategoryRow(NamedTuple):
    category: str
    display: str
    parents: tuple[str, ...]
    confidentiality: str
    version: str
    description: str


class RuleRow(NamedTuple):
    system: str
    match: str
    code: str
    display: str = ""
    exclude: bool = False
    source: str = ""
    note: str = ""


def _csv_rows(path: Path, header: list[str]):
    """(line, row dict) of a CSV whose header must be exactly `header`."""
    lines = list(text_lines(path))
    reader = csv.reader(io.StringIO("\n".join(text for _, text in lines) + "\n"))
    found = next(reader, None)
    if found != header:
        raise LoadError(path, 1, f"header must be {','.join(header)}")
    for number, values in enumerate(reader, 2):
        if not any(values):
            continue
        if len(values) != len(header):
            raise LoadError(path, number, f"expected {len(header)} columns, found {len(values)}")
        yield number, dict(zip(header, (v.strip() for v in values)))


def read_categories(path: Path) -> list[CategoryRow]:
    out = []
    for number, r in _csv_rows(path, CATEGORY_HEADER):
        if r["confidentiality"] not in CONFIDENTIALITY_CODES:
            raise LoadError(path, number, f"confidentiality {r['confidentiality']!r} is not a v3-Confidentiality code")
        parents = tuple(p for p in r["parents"].split("|") if p)
        out.append(CategoryRow(r["category"], r["display"], parents, r["confidentiality"], r["version"],
                               r["description"]))
    return out


def check_rule(path, line: int, system: str, match: str, code: str) -> tuple[str, str]:
    """(canonical system, normalized code) of a rule, or a LoadError saying what is wrong."""
    try:
        system = canonical_system(system, known={system} if "://" in system or system.startswith("urn:") else ())
        if match == "range":
            low, _, high = code.upper().partition("-")
            if len(low) != 3 or len(high) != 3 or low > high:
                raise LoadError(path, line, f"range {code!r} must be AAA-BBB with two 3-character categories")
            return system, f"{low}-{high}"
        return system, normalize_code(system, code)
    except InvalidArgument as exc:
        raise LoadError(path, line, exc.message) from exc


def _rule(path, line: int, system: str, match: str, code: str, **rest) -> RuleRow:
    if match not in MATCHES:
        raise LoadError(path, line, f"match {match!r} must be one of {', '.join(MATCHES)}")
    system, code = check_rule(path, line, system, match, code)
    if match in MATCH_SYSTEMS and system != MATCH_SYSTEMS[match]:
        raise LoadError(path, line, f"match {match} applies to {MATCH_SYSTEMS[match]} only")
    return RuleRow(system, match, code, **rest)


def read_rules_csv(path: Path) -> list[RuleRow]:
    out = []
    for number, r in _csv_rows(path, RULE_HEADER):
        if r["exclude"] not in ("true", "false"):
            raise LoadError(path, number, "exclude must be true or false")
        out.append(_rule(path, number, r["system"], r["match"], r["code"], display=r["display"],
                         exclude=r["exclude"] == "true", source=r["source"], note=r["note"]))
    if not out:
        raise LoadError(path, None, "no rules")
    return out


def read_fhir_valueset(path: Path) -> tuple[dict, list[RuleRow]]:
    """(the ValueSet resource, its rules): listed concepts are code rules, an is-a
    filter is a descendants (SNOMED CT) or prefix (ICD-10-CM) rule, compose.exclude
    gives exclusion rows; without compose, expansion.contains is used."""
    try:
        resource = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(path, getattr(exc, "lineno", None), f"malformed JSON: {exc}") from exc
    if not isinstance(resource, dict) or resource.get("resourceType") != "ValueSet":
        raise LoadError(path, None, "not a FHIR ValueSet")
    compose = resource.get("compose") or {}
    rows: list[RuleRow] = []
    for key, exclude in (("include", False), ("exclude", True)):
        for part in compose.get(key) or []:
            rows += _compose_part(path, part, exclude)
    if not compose:
        rows = [_rule(path, None, c.get("system", ""), "code", c.get("code", ""), display=c.get("display", ""))
                for c in (resource.get("expansion") or {}).get("contains") or []]
    if not rows:
        raise LoadError(path, None, "the ValueSet lists no concepts (compose.include or expansion.contains)")
    return resource, rows


def _compose_part(path, part: dict, exclude: bool) -> list[RuleRow]:
    if part.get("valueSet"):
        raise LoadError(path, None, "compose valueSet references are not supported for label value sets")
    system = part.get("system", "")
    rows = [_rule(path, None, system, "code", c.get("code", ""), display=c.get("display", ""), exclude=exclude)
            for c in part.get("concept") or []]
    for flt in part.get("filter") or []:
        if flt.get("op") not in FHIR_FILTER_OPS or flt.get("property") != "concept":
            raise LoadError(path, None, f"filter {flt.get('property')} {flt.get('op')} is not supported; "
                            "use concept is-a or list the concepts")
        canonical, _ = check_rule(path, None, system, "code", flt.get("value", ""))
        match = "descendants" if canonical == SNOMED else "prefix"
        rows.append(_rule(path, None, system, match, flt.get("value", ""), exclude=exclude))
    return rows
