"""Review: accept, reject or replace the target of one draft entry. The write
checks the etag the curator read (a stale one is ABORTED, nothing is lost) and
records an audit event with before and after in the same transaction."""

from __future__ import annotations

import json

from server import relationships, terminology
from server.curation import entries
from server.curation.entries import Entry
from server.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound
from server.store.store import Store
from server.systems import canonical_system, normalize_code
from server.validation import bounded

ACTIONS = ("accept", "reject", "replace")


def review(store: Store, entry_id: str | int, etag: str, action: str, actor: str, note: str = "",
           target_code: str = "", relationship: str = "", target_display: str = "", target_system: str = "") -> Entry:
    if action not in ACTIONS:
        raise InvalidArgument("INVALID_ACTION", "action must be accept, reject or replace", action=action)
    note = bounded("note", note)
    etag = bounded("etag", etag, 64, required=True)
    with store.transaction():
        entry = entries.get(store, entry_id)
        if entry.published:
            raise FailedPrecondition("VERSION_PUBLISHED", f"entry {entry.id} belongs to published version "
                                     f"{entry.version} of {entry.map_set}, which is immutable; review the draft",
                                     id=entry.id, map_set=entry.map_set, version=entry.version)
        if etag != entry.etag:
            raise Aborted("ETAG_MISMATCH", f"entry {entry.id} changed since it was read (etag {etag}, now "
                          f"{entry.etag}); read it again and retry", id=entry.id, etag=etag, current_etag=entry.etag)
        code, display, rel = entry.target_code, entry.target_display, entry.relationship
        if action == "replace":
            if target_system and canonical_system(target_system, {target_system}) != entry.target_system:
                raise InvalidArgument("TARGET_SYSTEM_MISMATCH", f"entry {entry.id} maps to {entry.target_system}; "
                                      f"a replacement target must be in that system", id=entry.id,
                                      system=target_system, expected=entry.target_system)
            code, display = _target(store, entry.target_system, target_code, target_display)
            rel = _relationship(relationship, required=True)
        elif action == "accept":
            if not code:
                raise FailedPrecondition("NO_TARGET", f"entry {entry.id} has no proposed target; replace it with "
                                         "a target instead", id=entry.id)
            rel = _relationship(relationship) or rel
        status = "rejected" if action == "reject" else "accepted"
        confidence = 1.0 if status == "accepted" else entry.confidence
        provenance = dict(entry.provenance, proposed_confidence=entry.provenance.get(
            "proposed_confidence", entry.confidence))
        after = entries.write(store, entry, {
            "target_code": code, "target_display": display, "relationship": rel, "confidence": confidence,
            "status": status, "reviewer": actor, "note": note,
            "provenance": json.dumps(provenance, sort_keys=True)}, actor, f"review.{action}")
    return after


def _target(store: Store, system: str, code: str, display: str) -> tuple[str, str]:
    """(code, display) of a replacement target, checked against the system when it is loaded."""
    code = bounded("target.code", code, 128, required=True)
    if store.code_system(canonical_system(system, {system})) is None:
        return normalize_code(system, code), bounded("target.display", display)
    try:
        view = terminology.lookup(store, system, code)
    except NotFound as exc:
        raise InvalidArgument("TARGET_NOT_FOUND", exc.message, system=system, code=code) from None
    return view.code, view.display


def _relationship(name: str, required: bool = False) -> str:
    if not name:
        if required:
            raise InvalidArgument("RELATIONSHIP_REQUIRED", "a replacement target needs a relationship")
        return ""
    value = relationships.relationship(name)
    if value is None:
        raise InvalidArgument("INVALID_RELATIONSHIP", f"unknown relationship {name!r}; use one of "
                              f"{', '.join(relationships.ALL)}", relationship=name)
    return value
