"""A simple crosswalk table (CSV, or TSV by extension) as a map set.

Columns: source_system, source_code, target_system, target_code, relationship,
confidence, author, justification (+ optional source_display, target_display).
Systems are canonical URIs, aliases (icd10cm, snomed, ...) or OIDs; the
relationship is an R5 code, a SKOS/SSSOM predicate or an R4 equivalence; an
empty confidence takes the relationship's default (see fhir_conceptmap). A row
with an author is `accepted`, one without is `unreviewed`. The map set is named
after the file (stem before the first dot); its version is --version, else the
first 12 hex digits of the file's sha256."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from loaders import delimited
from loaders.base import file_checksum, system_uri
from loaders.fhir_conceptmap import DEFAULT_CONFIDENCE
from server.errors import InvalidArgument, LoadError
from server.relationships import relationship
from server.store.writer import MapRow, SetInfo
from server.systems import normalize_code

FORMAT = "crosswalk-csv"
KIND = "map_set"
REQUIRED = ("source_system", "source_code", "target_system", "target_code", "relationship", "confidence",
            "author", "justification")


def detect(path: str | Path) -> bool:
    p = Path(path)
    return p.is_file() and p.suffix.lower() in (".csv", ".tsv") and \
        all(c in delimited.header(p, delimited.delimiter_for(p)) for c in REQUIRED)


def read_metadata(path: str | Path, version: str = "") -> SetInfo:
    checksum = file_checksum(path)
    return SetInfo(name=Path(path).name.split(".")[0], version=version or checksum[:12], url="",
                   title=Path(path).name, source=str(path), checksum=checksum, kind="curated")


def read(path: str | Path) -> Iterator:
    sep = delimited.delimiter_for(path)
    delimited.require(path, delimited.header(path, sep), REQUIRED)
    for line, row in delimited.rows(path, sep):
        source_system, source_code = _coded(path, line, row, "source")
        target_system, target_code = _coded(path, line, row, "target")
        rel = relationship(row["relationship"])
        if rel is None:
            raise LoadError(path, line, f"unknown relationship {row['relationship']!r}")
        yield MapRow(source_system, source_code, row.get("source_display", ""), target_system, target_code,
                     row.get("target_display", ""), rel, _confidence(path, line, row["confidence"], rel),
                     "accepted" if row["author"] else "unreviewed", row["author"],
                     json.dumps({"justification": row["justification"], "line": line}, sort_keys=True))


def _coded(path, line: int, row: dict, side: str) -> tuple[str, str]:
    system = system_uri(row[f"{side}_system"])
    if system is None:
        raise LoadError(path, line, f"{side}_system {row[f'{side}_system']!r} is not a URI or a known alias")
    try:
        return system, normalize_code(system, row[f"{side}_code"])
    except InvalidArgument as exc:
        raise LoadError(path, line, f"{side}_code: {exc.message}") from exc


def _confidence(path, line: int, text: str, rel: str) -> float:
    if not text:
        return DEFAULT_CONFIDENCE[rel]
    try:
        value = float(text)
    except ValueError:
        raise LoadError(path, line, f"confidence {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise LoadError(path, line, f"confidence {value} is outside [0, 1]")
    return value
