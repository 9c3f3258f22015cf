"""FHIR CodeSystem -> concepts, designations and is-a rows.

The nested `concept` tree and the `parent`/`subsumedBy`/`child` properties
become is-a rows; `display` is the preferred designation, `designation[]` the
others; `definition` and every other property go into the concept's properties.
A concept whose `status` is retired/deprecated/inactive, or with `inactive` or
`deprecated` true, is inactive."""

from __future__ import annotations

import json
from typing import Iterator

from loaders.base import Concept, Designation, IsA, Skipped
from server.errors import LoadError

PARENT_PROPERTIES = ("parent", "subsumedBy")
INACTIVE_STATUS = ("retired", "deprecated", "inactive")
DESIGNATION_USES = {"900000000000013009": "synonym", "900000000000003001": "fully-specified-name"}


def unloadable(resource: dict) -> str:
    """Why a CodeSystem registers nothing ('' when it loads)."""
    if resource.get("supplements"):
        return "CodeSystem supplement (not supported)"
    if resource.get("content") == "not-present":
        return "CodeSystem with content not-present (no concepts to load)"
    return ""


def rows(resource: dict, origin: str) -> Iterator:
    seen: set[str] = set()
    stack = [(c, None) for c in reversed(_list(resource, "concept", origin))]
    while stack:
        concept, parent = stack.pop()
        code = concept.get("code") if isinstance(concept, dict) else None
        if not isinstance(code, str) or not code.strip():
            raise LoadError(origin, None, f"concept without a code (under {parent or 'the root'})")
        if parent:
            yield IsA(code, parent)
        if code in seen:
            yield Skipped(0, "code repeated in the CodeSystem")
            continue
        seen.add(code)
        yield from _concept(concept, code, origin)
        stack.extend((child, code) for child in reversed(_list(concept, "concept", origin)))


def _concept(concept: dict, code: str, origin: str) -> Iterator:
    display = concept.get("display") or ""
    properties: dict = {}
    active = True
    for prop in _list(concept, "property", origin):
        name, value = prop.get("code", ""), _value(prop)
        if name in PARENT_PROPERTIES:
            yield IsA(code, str(value))
        elif name == "child":
            yield IsA(str(value), code)
        else:
            properties.setdefault(name, []).append(value)
        if (name == "status" and value in INACTIVE_STATUS) or (name in ("inactive", "deprecated") and value is True):
            active = False
    if concept.get("definition"):
        properties["definition"] = [concept["definition"]]
    flat = {k: v[0] if len(v) == 1 else v for k, v in properties.items()}
    yield Concept(code, display, active=active, billable=False,
                  properties=json.dumps(flat, sort_keys=True) if flat else None)
    if display:
        yield Designation(code, display, "preferred")
    for d in _list(concept, "designation", origin):
        if d.get("value"):
            use = (d.get("use") or {}).get("code", "")
            yield Designation(code, d["value"], DESIGNATION_USES.get(use, use or "designation"),
                              d.get("language") or "en")


def _value(prop: dict):
    for key, value in prop.items():
        if key.startswith("value"):
            return value.get("code", "") if key == "valueCoding" else value
    return None


def _list(parent: dict, key: str, origin: str) -> list:
    value = parent.get(key) or []
    if not isinstance(value, list):
        raise LoadError(origin, None, f"`{key}` of {parent.get('code') or parent.get('url')} is not a list")
    return value
