"""Map set versions for curation: the one working draft per name and the
immutable published versions."""

from __future__ import annotations

import re

from server.errors import InvalidArgument, NotFound
from server.store.store import Store, utc_now
from server.validation import bounded

DRAFT = "draft"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def valid_name(name: str) -> str:
    text = bounded("map_set", name, 128, required=True)
    if not _NAME.match(text):
        raise InvalidArgument("INVALID_MAP_SET_NAME", f"map set name {text!r} may only hold letters, digits, "
                              "'.', '_' and '-'", map_set=text)
    return text


def published(store: Store, name: str) -> list:
    """Published versions, oldest first."""
    return store.query("SELECT * FROM map_sets WHERE name = ? AND published_at IS NOT NULL "
                       "ORDER BY published_at, id", (name,))


def draft(store: Store, name: str):
    return store.one("SELECT * FROM map_sets WHERE name = ? AND version = ? AND published_at IS NULL",
                     (name, DRAFT))


def find(store: Store, name: str, version: str = ""):
    """A version row: "" is the active (else latest) published one, "draft" the draft."""
    name = valid_name(name)
    version = bounded("version", version, 128)
    if version == DRAFT:
        row = draft(store, name)
    elif version:
        row = store.one("SELECT * FROM map_sets WHERE name = ? AND version = ?", (name, version))
    else:
        row = store.one("SELECT * FROM map_sets WHERE name = ? AND published_at IS NOT NULL "
                        "ORDER BY active DESC, published_at DESC, id DESC", (name,))
    if row is not None:
        return row
    if store.one("SELECT 1 FROM map_sets WHERE name = ?", (name,)) is None:
        raise NotFound("MAP_SET_NOT_FOUND", f"map set {name} does not exist", map_set=name)
    what = version or "published version"
    raise NotFound("VERSION_NOT_FOUND", f"map set {name} has no {what}", map_set=name, version=version)


def ensure_draft(store: Store, name: str, source_system: str, target_system: str, actor: str) -> int:
    """The draft's id; a new draft starts as a copy of the active published version.
    Call inside a transaction."""
    row = draft(store, name)
    if row is not None:
        return row["id"]
    base = store.one("SELECT * FROM map_sets WHERE name = ? AND active = 1", (name,))
    now = utc_now()
    set_id = store.conn.execute(
        "INSERT INTO map_sets (name, version, url, title, kind, source_system, target_system, source, checksum, "
        "loaded_at, active, published_at) VALUES (?, ?, ?, ?, 'proposed', ?, ?, 'curation', '', ?, 0, NULL)",
        (name, DRAFT, base["url"] if base else "", base["title"] if base else "",
         base["source_system"] if base and base["source_system"] else source_system,
         base["target_system"] if base and base["target_system"] else target_system, now)).lastrowid
    if base is not None:
        store.conn.execute(
            "INSERT INTO map_entries (map_set_id, source_system, source_code, source_display, target_system, "
            "target_code, target_display, relationship, confidence, status, author, reviewer, note, frequency, "
            "created_at, updated_at, revision, provenance) SELECT ?, source_system, source_code, source_display, "
            "target_system, target_code, target_display, relationship, confidence, status, author, reviewer, note, "
            "frequency, ?, ?, 1, provenance FROM map_entries WHERE map_set_id = ? ORDER BY id",
            (set_id, now, now, base["id"]))
        refresh_count(store, set_id)
    store.audit(actor, "draft.create", "map_set", f"{name}|{DRAFT}",
                after={"from_version": base["version"] if base else None})
    return set_id


def refresh_count(store: Store, set_id: int) -> None:
    store.conn.execute("UPDATE map_sets SET entry_count = (SELECT count(*) FROM map_entries WHERE map_set_id = ?) "
                       "WHERE id = ?", (set_id, set_id))


def next_version(store: Store, name: str) -> str:
    numbers = [int(r["version"]) for r in published(store, name) if r["version"].isdigit()]
    return str(max(numbers, default=0) + 1)
