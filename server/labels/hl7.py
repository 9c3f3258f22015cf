"""The HL7 security-label vocabulary shipped in mappings/labels/hl7/ (THO 7.0.1):
displays of the codes termbridge emits, and which ActCode codes are sensitivity
categories."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from server.labels.model import Code

ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
BASIS_EXTENSION = "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-basis"
CODES_FILE = Path(__file__).resolve().parents[2] / "mappings" / "labels" / "hl7" / "security_label_codes.csv"
CONFIDENTIALITY_ORDER = ("U", "L", "M", "N", "R", "V")


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict, dict]:
    """((system, code) -> display, code -> the value sets (roots) it is in)."""
    displays, roots = {}, {}
    with open(CODES_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["status"] != "active" or row["code"].startswith("_"):
                continue
            displays[(row["system"], row["code"])] = row["display"]
            roots.setdefault(row["code"], set()).add(row["valueset_root"])
    return displays, roots


def act(code: str) -> Code:
    return Code(ACTCODE, code, _vocabulary()[0].get((ACTCODE, code), ""))


def confidentiality(code: str) -> Code:
    return Code(CONFIDENTIALITY, code, _vocabulary()[0].get((CONFIDENTIALITY, code), ""))


def is_sensitivity(code: str) -> bool:
    return "_InformationSensitivityPolicy" in _vocabulary()[1].get(code, ())


def is_refrain_or_obligation(code: str) -> bool:
    """Privacy-revealing handling codes, which the DS4P IG keeps out of a Bundle's high-water mark."""
    return bool({"RefrainPolicy", "ObligationPolicy"} & _vocabulary()[1].get(code, set()))


def rank(confidentiality_code: str) -> int:
    return CONFIDENTIALITY_ORDER.index(confidentiality_code)
