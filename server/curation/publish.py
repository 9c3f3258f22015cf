"""Publish: freeze the draft's accepted and auto entries as a new immutable,
active version, with the diff against the previous published version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from server.curation import entries, versions
from server.curation.entries import Entry
from server.errors import FailedPrecondition, NotFound
from server.store.store import Store, utc_now
from server.validation import bounded

# What a published version holds (and what translation answers from).
PUBLISHED_STATUSES = ("accepted", "auto")

Key = tuple[str, str, str]  # source system, source code, target system


@dataclass
class Diff:
    from_version: str
    to_version: str
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[Entry] = field(default_factory=list)  # the new state

    def counts(self) -> dict:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}


def mappings(store: Store, set_row) -> dict[Key, list[Entry]]:
    """A version's mappings by source and target system (rejected, unreviewed and empty targets left out)."""
    out: dict[Key, list[Entry]] = {}
    if set_row is None:
        return out
    for e in entries.of_set(store, set_row["id"], f"AND e.status IN ({','.join('?' * len(PUBLISHED_STATUSES))}) "
                            "AND e.target_code != ''", PUBLISHED_STATUSES):
        out.setdefault((e.source_system, e.source_code, e.target_system), []).append(e)
    return out


def compare(old: dict[Key, list[Entry]], new: dict[Key, list[Entry]], from_version: str, to_version: str) -> Diff:
    def targets(group: list[Entry]) -> list[tuple[str, str]]:
        return sorted((e.target_code, e.relationship) for e in group)

    diff = Diff(from_version, to_version)
    for key in sorted(new.keys() | old.keys()):
        if key not in old:
            diff.added += new[key]
        elif key not in new:
            diff.removed += old[key]
        elif targets(old[key]) != targets(new[key]):
            diff.changed += new[key]
    return diff


def diff(store: Store, map_set: str, from_version: str = "", to_version: str = "") -> Diff:
    """Changes from one version to another ("draft" allowed). An empty `to` is the
    active published version; an empty `from` the published version before `to`."""
    new = versions.find(store, map_set, to_version)
    if from_version:
        old = versions.find(store, map_set, from_version)
    else:
        earlier = [r for r in versions.published(store, new["name"]) if r["id"] != new["id"]
                   and (new["published_at"] is None or (r["published_at"], r["id"]) < (new["published_at"], new["id"]))]
        old = earlier[-1] if earlier else None
    return compare(mappings(store, old), mappings(store, new), old["version"] if old else "", new["version"])


def publish(store: Store, map_set: str, actor: str, version: str = "") -> Diff:
    name = versions.valid_name(map_set)
    version = bounded("version", version, 128)
    if version == versions.DRAFT:
        raise FailedPrecondition("VERSION_RESERVED", f"version name {version!r} is reserved for the working draft",
                                 version=version)
    with store.transaction():
        draft = versions.draft(store, name)
        if draft is None:
            versions.find(store, name)
            raise NotFound("DRAFT_NOT_FOUND", f"map set {name} has no draft to publish; propose or import first",
                           map_set=name)
        version = version or versions.next_version(store, name)
        if store.one("SELECT 1 FROM map_sets WHERE name = ? AND version = ?", (name, version)):
            raise FailedPrecondition("VERSION_EXISTS", f"map set {name} version {version} already exists",
                                     map_set=name, version=version)
        previous = store.one("SELECT * FROM map_sets WHERE name = ? AND active = 1", (name,))
        new = mappings(store, draft)
        if not new:
            raise FailedPrecondition("NOTHING_TO_PUBLISH", f"the draft of {name} has no accepted or auto entries",
                                     map_set=name)
        checksum = _checksum(new)
        if previous is not None and previous["checksum"] == checksum:
            raise FailedPrecondition("NO_CHANGES", f"the draft of {name} equals published version "
                                     f"{previous['version']}", map_set=name, version=previous["version"])
        now = utc_now()
        set_id = store.conn.execute(
            "INSERT INTO map_sets (name, version, url, title, kind, source_system, target_system, source, checksum, "
            "loaded_at, active, published_at) VALUES (?, ?, ?, ?, 'curated', ?, ?, 'curation', ?, ?, 0, ?)",
            (name, version, draft["url"], draft["title"], draft["source_system"], draft["target_system"],
             checksum, now, now)).lastrowid
        ids = [e.id for group in new.values() for e in group]
        store.conn.execute(
            "INSERT INTO map_entries (map_set_id, source_system, source_code, source_display, target_system, "
            "target_code, target_display, relationship, confidence, status, author, reviewer, note, frequency, "
            "created_at, updated_at, revision, provenance) SELECT ?, source_system, source_code, source_display, "
            "target_system, target_code, target_display, relationship, confidence, status, author, reviewer, note, "
            "frequency, created_at, updated_at, 1, json_set(coalesce(provenance, '{}'), '$.draft_entry', id) "
            f"FROM map_entries WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (set_id, json.dumps(ids)))
        versions.refresh_count(store, set_id)
        store.conn.execute("UPDATE map_sets SET active = (id = ?) WHERE name = ?", (set_id, name))
        published = store.one("SELECT * FROM map_sets WHERE id = ?", (set_id,))
        result = compare(mappings(store, previous), mappings(store, published),
                         previous["version"] if previous else "", version)
        store.audit(actor, "publish", "map_set", f"{name}|{version}",
                    {"version": previous["version"]} if previous else None,
                    {"version": version, "entries": len(ids), **result.counts()})
    return result


def _checksum(content: dict[Key, list[Entry]]) -> str:
    rows = sorted((e.source_system, e.source_code, e.target_system, e.target_code, e.relationship, e.confidence,
                   e.status) for group in content.values() for e in group)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()
