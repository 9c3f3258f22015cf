"""Canonical code-system URIs, the aliases and OIDs that name them, and code
normalization per system."""

from __future__ import annotations

import re

from server.errors import InvalidArgument

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"

_ALIASES = {
    "icd10cm": ICD10CM, "icd-10-cm": ICD10CM, "icd10": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "snomed": SNOMED, "snomedct": SNOMED, "snomed-ct": SNOMED, "sct": SNOMED,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "loinc": LOINC, "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "rxnorm": RXNORM, "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "cpt": CPT, "urn:oid:2.16.840.1.113883.6.12": CPT,
    "hcpcs": HCPCS, "http://www.cms.gov/medicare/coding/medhcpcsgeninfo": HCPCS,
    "http://www.cms.gov/medicare/coding/hcpcsreleasecodesets": HCPCS,
    "sdoh": SDOHCC, "sdohcc": SDOHCC, "gravity": SDOHCC,
}

CANONICAL = frozenset(_ALIASES.values())
MAX_SYSTEM_LENGTH = 512
MAX_CODE_LENGTH = 128
_ICD = re.compile(r"^([A-Z][0-9A-Z][0-9A-Z])\.?([0-9A-Z]{0,4})$")


def canonical_system(system: str, known: set[str] | frozenset[str] = frozenset()) -> str:
    """The canonical URI for a system name, alias or OID.

    Anything else must be among `known` (the URIs loaded or mapped to);
    otherwise it is an unknown system.
    """
    text = (system or "").strip()
    if not text:
        raise InvalidArgument("SYSTEM_REQUIRED", "system is required")
    if len(text) > MAX_SYSTEM_LENGTH:
        raise InvalidArgument("FIELD_TOO_LONG", f"system is longer than {MAX_SYSTEM_LENGTH} characters",
                              field="system", limit=MAX_SYSTEM_LENGTH)
    alias = _ALIASES.get(text.lower().rstrip("/"))
    if alias:
        return alias
    for candidate in (text, text.rstrip("/")):
        if candidate in known or candidate in CANONICAL:
            return candidate
    raise InvalidArgument("UNKNOWN_SYSTEM", f"unknown code system {text!r}", system=text)


def normalize_code(system: str, code: str) -> str:
    """A code as the system writes it (ICD-10-CM dotted and upper case)."""
    text = (code or "").strip()
    if not text:
        raise InvalidArgument("CODE_REQUIRED", "code is required")
    if len(text) > MAX_CODE_LENGTH:
        raise InvalidArgument("FIELD_TOO_LONG", f"code is longer than {MAX_CODE_LENGTH} characters",
                              field="code", limit=MAX_CODE_LENGTH)
    if system == ICD10CM:
        m = _ICD.match(text.upper())
        if m:
            head, tail = m.groups()
            return f"{head}.{tail}" if tail else head
    return text
