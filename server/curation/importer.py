"""Import mappings into a map set's draft from SSSOM TSV, FHIR ConceptMap (R4
or R5 JSON) or CSV (the crosswalk-csv columns plus status, reviewer, note,
frequency). The loaders parse; this module adds what curation keeps beyond
them (per-entry status, reviewer, note) and merges the rows into the draft by
(source, target): new ones are added, changed ones updated, each change an
audit event. Content that fails to parse changes nothing."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from loaders import crosswalk_csv, fhir_conceptmap, sssom
from loaders.base import system_uri
from server.curation import entries, versions
from server.curation.entries import SELECT, from_row
from server.curation.export import FORMATS, R4_TARGET_PROPERTY
from server.errors import InvalidArgument, LoadError
from server.store.store import Store
from server.store.writer import MapRow
from server.systems import normalize_code

SOURCE = "request content"
STATUSES = ("accepted", "auto", "unreviewed", "rejected")
# extra column -> what curation keeps it as
SSSOM_EXTRA = {"reviewer_id": "reviewer", "comment": "note"}
CSV_EXTRA = {"status": "status", "reviewer": "reviewer", "note": "note", "frequency": "frequency"}


def parse(fmt: str, content: str) -> list[MapRow]:
    if fmt not in FORMATS:
        raise InvalidArgument("UNSUPPORTED_FORMAT", f"import format {fmt!r} is not one of {', '.join(FORMATS)}",
                              format=fmt)
    if not content.strip():
        raise InvalidArgument("CONTENT_REQUIRED", "content is empty")
    try:
        if fmt == "sssom":
            rows = _tabular(content, "import.sssom.tsv", sssom.read, "\t", SSSOM_EXTRA, metadata_prefix="#")
        elif fmt == "csv":
            rows = _tabular(content, "import.csv", crosswalk_csv.read, ",", CSV_EXTRA)
        else:
            rows = _conceptmap(content)
    except LoadError as exc:
        raise LoadError(SOURCE, exc.line, exc.detail) from None
    if not rows:
        raise LoadError(SOURCE, None, "no mappings found")
    return rows


def _tabular(content: str, name: str, read, delimiter: str, extra_columns: dict,
             metadata_prefix: str = "") -> list[MapRow]:
    """Rows from a file loader, with the extra columns of each row's line as provenance."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(content, encoding="utf-8")
        rows = [r for r in read(path) if isinstance(r, MapRow)]
    lines = content.splitlines()
    skipped = next((i for i, line in enumerate(lines) if not metadata_prefix or not line.startswith(metadata_prefix)),
                   len(lines))  # the SSSOM metadata block
    body = lines[skipped:]
    reader = csv.DictReader(io.StringIO("\n".join(body)), delimiter=delimiter,
                            quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    by_line = {reader.line_num + skipped: {extra_columns[k]: v for k, v in row.items() if k in extra_columns and v}
               for row in reader}
    return [_with_extra(r, by_line.get(json.loads(r.provenance or "{}").get("line"), {})) for r in rows]


def _conceptmap(content: str) -> list[MapRow]:
    try:
        resource = json.loads(content)
    except json.JSONDecodeError as exc:
        raise LoadError(SOURCE, exc.lineno, f"not JSON: {exc.msg}") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "ConceptMap":
        raise LoadError(SOURCE, None, "not a FHIR ConceptMap resource")
    per_target = {}
    for group in resource.get("group") or []:
        source, target = (system_uri(str(group.get(k) or "").split("|")[0]) for k in ("source", "target"))
        for element in group.get("element") or []:
            for t in element.get("target") or []:
                if source and target and element.get("code") and t.get("code"):
                    key = (normalize_code(source, element["code"]), normalize_code(target, t["code"]))
                    per_target[key] = {**_properties(t), **({"note": t["comment"]} if t.get("comment") else {})}
    rows = [r for r in fhir_conceptmap.rows(resource, SOURCE) if isinstance(r, MapRow)]
    return [_with_extra(r, per_target.get((r.source_code, r.target_code), {})) for r in rows]


def _properties(target: dict) -> dict:
    """R5 target.property, or the R4 cross-version extension carrying it."""
    props = {p.get("code"): _value(p) for p in target.get("property") or []}
    for ext in target.get("extension") or []:
        if ext.get("url") == R4_TARGET_PROPERTY:
            parts = {e.get("url"): _value(e) for e in ext.get("extension") or []}
            props[parts.get("code")] = parts.get("value")
    return {k: v for k, v in props.items() if k in ("status", "confidence") and v is not None}


def _value(item: dict):
    return next((v for k, v in item.items() if k.startswith("value")), None)


def _with_extra(row: MapRow, extra: dict) -> MapRow:
    status = extra.pop("status", row.status)
    if status not in STATUSES:
        raise LoadError(SOURCE, None, f"{row.source_code}: status {status!r} is not one of {', '.join(STATUSES)}")
    confidence = float(extra.pop("confidence", row.confidence))
    try:
        extra["frequency"] = int(extra.get("frequency") or 0)
    except ValueError:
        raise LoadError(SOURCE, None, f"{row.source_code}: frequency {extra['frequency']!r} is not a whole "
                        "number") from None
    return row._replace(status=status, confidence=confidence, provenance=json.dumps(extra, sort_keys=True))


def import_rows(store: Store, map_set: str, rows: list[MapRow], actor: str) -> int:
    """Merge rows into the draft; returns how many entries were added or changed.
    A row's provenance JSON may carry reviewer, note, frequency, candidates and
    auto_threshold."""
    name = versions.valid_name(map_set)
    changed = 0
    with store.transaction():
        set_id = versions.ensure_draft(store, name, rows[0].source_system, rows[0].target_system, actor)
        existing = {(e.source_system, e.source_code, e.target_system, e.target_code): e
                    for e in map(from_row, store.query(f"{SELECT} WHERE e.map_set_id = ?", (set_id,)))}
        for r in rows:
            key = (r.source_system, r.source_code, r.target_system, r.target_code)
            extra = json.loads(r.provenance)
            values = {"source_display": r.source_display, "target_display": r.target_display,
                      "relationship": r.relationship, "confidence": r.confidence, "status": r.status,
                      "reviewer": extra.get("reviewer", ""), "note": extra.get("note", ""),
                      "frequency": int(extra.get("frequency") or 0)}
            old = existing.get(key)
            if old is not None and all(getattr(old, k) == v for k, v in values.items()):
                continue
            carried = {k: extra[k] for k in ("candidates", "auto_threshold") if k in extra}  # e.g. a recode queue
            provenance = json.dumps({**(old.provenance if old else {}), **carried, "method": "import"},
                                    sort_keys=True)
            identity = {} if old else {"map_set_id": set_id, "source_system": r.source_system,
                                       "source_code": r.source_code, "target_system": r.target_system,
                                       "target_code": r.target_code, "author": r.author or actor}
            existing[key] = entries.write(store, old, {**identity, **values, "provenance": provenance},
                                          actor, "import")
            changed += 1
        versions.refresh_count(store, set_id)
    return changed
