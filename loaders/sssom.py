"""SSSOM TSV mapping sets (https://mapping-commons.github.io/sssom/): a
`#`-prefixed YAML metadata block with a curie_map, then a TSV table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from loaders.base import Skipped, file_checksum, text_lines
from server import systems
from server.errors import LoadError
from server.relationships import relationship
from server.store.writer import MapRow, SetInfo

FORMAT = "sssom"
KIND = "map_set"
REQUIRED = ("subject_id", "predicate_id", "object_id")
KNOWN_PREFIXES = {"SCTID": systems.SNOMED, "SNOMEDCT": systems.SNOMED, "SNOMED": systems.SNOMED,
                  "ICD10CM": systems.ICD10CM, "LOINC": systems.LOINC, "RXNORM": systems.RXNORM,
                  "SDOHCC": systems.SDOHCC, "CPT": systems.CPT, "HCPCS": systems.HCPCS}
NO_TERM = {"sssom:NoTermFound", "sssom:nomapping"}
MANUAL = "semapv:ManualMappingCuration"
# per-mapping slots kept in the entry's provenance, as written (multivalued ones stay `|`-separated)
KEPT = ("mapping_justification", "mapping_date", "see_also", "comment", "subject_category", "predicate_modifier",
        "author_label", "reviewer_id", "reviewer_label")


def detect(path: str | Path) -> bool:
    p = Path(path)
    if not p.is_file():
        return False
    if p.name.endswith(".sssom.tsv"):
        return True
    for _, line in text_lines(p):
        if not line.startswith("#"):
            return "subject_id" in line.split("\t") and "object_id" in line.split("\t")
    return False


def parse_metadata(path: str | Path) -> tuple[dict, int]:
    """The YAML header (the flat subset SSSOM uses) and the header row's line number."""
    meta: dict = {}
    key = None
    for number, line in text_lines(path):
        if not line.startswith("#"):
            return meta, number
        body = line[1:]
        if not body.strip():
            continue
        if body.startswith((" ", "\t")) and key:
            item = body.strip()
            if item.startswith("- "):
                meta[key] = (meta[key] if isinstance(meta[key], list) else []) + [item[2:].strip()]
            elif ":" in item:
                k, v = item.split(":", 1)
                meta[key] = (meta[key] if isinstance(meta[key], dict) else {}) | {k.strip(): v.strip()}
            continue
        if ":" not in body:
            raise LoadError(path, number, "metadata line is not `key: value`")
        key, value = (s.strip() for s in body.split(":", 1))
        meta[key] = value.strip("'\"")
    raise LoadError(path, None, "no table after the metadata block")


def read_metadata(path: str | Path, version: str = "") -> SetInfo:
    meta, _ = parse_metadata(path)
    set_id = meta.get("mapping_set_id", "")
    name = set_id.rstrip("/").rsplit("/", 1)[-1] if set_id else Path(path).name.split(".")[0]
    return SetInfo(name=name, version=version or meta.get("mapping_set_version") or "1",
                   url=meta.get("mapping_set_id", ""), title=meta.get("mapping_set_title", ""),
                   source=str(path), checksum=file_checksum(path), kind="curated")


def read(path: str | Path) -> Iterator:
    meta, header_line = parse_metadata(path)
    curies = meta.get("curie_map") if isinstance(meta.get("curie_map"), dict) else {}
    set_authors = meta.get("creator_id") if isinstance(meta.get("creator_id"), list) else []
    columns: list[str] = []
    for number, line in text_lines(path):
        if number < header_line or not line.strip():
            continue
        cells = line.split("\t")
        if number == header_line:
            columns = cells
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise LoadError(path, number, f"missing column(s) {', '.join(missing)}")
            continue
        if len(cells) != len(columns):
            raise LoadError(path, number, f"expected {len(columns)} columns, found {len(cells)}")
        row = dict(zip(columns, cells))
        if row["object_id"] in NO_TERM:
            yield Skipped(number, "no target (sssom:NoTermFound)")
            continue
        rel = relationship(row["predicate_id"])
        if rel is None:
            raise LoadError(path, number, f"unknown predicate {row['predicate_id']!r}")
        source_system, source_code = _expand(path, number, row["subject_id"], row.get("subject_source"), curies)
        target_system, target_code = _expand(path, number, row["object_id"], row.get("object_source"), curies)
        try:
            confidence = float(row.get("confidence") or 1.0)
        except ValueError:
            raise LoadError(path, number, f"confidence {row.get('confidence')!r} is not a number") from None
        if not 0.0 <= confidence <= 1.0:
            raise LoadError(path, number, f"confidence {confidence} is outside [0, 1]")
        justification = row.get("mapping_justification", "")
        provenance = {k: row[k] for k in KEPT if row.get(k)}
        provenance["line"] = number
        yield MapRow(source_system, source_code, row.get("subject_label", ""), target_system, target_code,
                     row.get("object_label", ""), rel, confidence,
                     "accepted" if justification == MANUAL else "auto",
                     row.get("author_id") or (set_authors[0] if set_authors else ""),
                     json.dumps(provenance, sort_keys=True))


def _expand(path, number: int, curie: str, source: str | None, curies: dict) -> tuple[str, str]:
    """CURIE -> (canonical system URI, code)."""
    if ":" not in curie:
        raise LoadError(path, number, f"{curie!r} is not a CURIE (PREFIX:code)")
    prefix, code = curie.split(":", 1)
    system = KNOWN_PREFIXES.get(prefix.upper())
    if system is None and source and "://" in source:
        system = source.rstrip("/")
    if system is None and prefix in curies:
        system = curies[prefix].rstrip("/")
    if system is None:
        raise LoadError(path, number, f"prefix {prefix!r} is not in the curie_map")
    return system, systems.normalize_code(system, code)
