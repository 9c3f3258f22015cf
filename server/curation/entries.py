"""A map entry as curation sees it: the row, its candidates and its etag."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from server.errors import InvalidArgument, NotFound
from server.relationships import EQUIVALENT
from server.store import map_entries
from server.store.store import Store, utc_now

STATUSES = ("unreviewed", "auto", "accepted", "rejected")
SELECT = ("SELECT e.*, s.name AS map_set, s.version AS version, s.published_at AS published_at "
          "FROM map_entries e JOIN map_sets s ON s.id = e.map_set_id")


def etag(entry_id: int, revision: int) -> str:
    """Changes on every write of the entry (its revision goes up)."""
    return hashlib.sha256(f"{entry_id}:{revision}".encode()).hexdigest()[:16]


@dataclass
class Candidate:
    system: str
    code: str
    display: str
    confidence: float
    evidence: str = ""
    relationship: str = EQUIVALENT


@dataclass
class Entry:
    id: int
    map_set: str
    version: str
    published: bool
    source_system: str
    source_code: str
    source_display: str
    target_system: str
    target_code: str
    target_display: str
    relationship: str
    confidence: float
    status: str
    author: str
    reviewer: str
    note: str
    frequency: int
    created_at: str
    updated_at: str
    revision: int
    provenance: dict = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return etag(self.id, self.revision)

    @property
    def candidates(self) -> list[Candidate]:
        return [Candidate(**c) for c in self.provenance.get("candidates", [])]

    def state(self) -> dict:
        """What an audit event records as before/after."""
        return {"target": [self.target_system, self.target_code, self.target_display],
                "relationship": self.relationship, "confidence": self.confidence, "status": self.status,
                "reviewer": self.reviewer, "note": self.note, "revision": self.revision}

    def as_json(self) -> dict:
        """One review-queue line (`curate queue --json`)."""
        return {"id": str(self.id), "map_set": self.map_set, "version": self.version,
                "source": {"system": self.source_system, "code": self.source_code, "display": self.source_display},
                "target": {"system": self.target_system, "code": self.target_code, "display": self.target_display},
                "relationship": self.relationship, "confidence": self.confidence, "status": self.status,
                "candidates": [c.__dict__ for c in self.candidates], "frequency": self.frequency,
                "author": self.author, "reviewer": self.reviewer, "note": self.note, "etag": self.etag,
                "updated_at": self.updated_at}


def from_row(row) -> Entry:
    return Entry(row["id"], row["map_set"], row["version"], row["published_at"] is not None,
                 row["source_system"], row["source_code"], row["source_display"], row["target_system"],
                 row["target_code"], row["target_display"], row["relationship"], row["confidence"], row["status"],
                 row["author"], row["reviewer"], row["note"], row["frequency"], row["created_at"],
                 row["updated_at"], row["revision"], json.loads(row["provenance"] or "{}"))


def parse_id(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise InvalidArgument("INVALID_ENTRY_ID", f"entry id {text!r} is not a positive integer", id=text)
    return value


def get(store: Store, entry_id: str | int) -> Entry:
    value = parse_id(entry_id)
    row = store.one(f"{SELECT} WHERE e.id = ?", (value,))
    if row is None:
        raise NotFound("ENTRY_NOT_FOUND", f"map entry {value} does not exist", id=value)
    return from_row(row)


def of_set(store: Store, set_id: int, where: str = "", params: tuple = ()) -> list[Entry]:
    return [from_row(r) for r in store.query(f"{SELECT} WHERE e.map_set_id = ? {where} ORDER BY e.id",
                                             (set_id, *params))]


def write(store: Store, old: Entry | None, columns: dict, actor: str, action: str) -> Entry:
    """Insert an entry (old is None; columns name its map_set_id) or update it with
    `columns` and a new revision, and audit the change with before and after.
    Call inside a transaction."""
    now = utc_now()
    if old is None:
        cols = {"created_at": now, "updated_at": now, **columns}
        entry_id = store.conn.execute(map_entries.insert_sql(cols), tuple(cols.values())).lastrowid
    else:
        entry_id, cols = old.id, {**columns, "updated_at": now}
        store.conn.execute(f"UPDATE map_entries SET {', '.join(f'{c} = ?' for c in cols)}, revision = revision + 1 "
                           "WHERE id = ?", (*cols.values(), entry_id))
    after = get(store, entry_id)
    store.audit(actor, action, "map_entry", entry_id, old.state() if old else None, after.state())
    return after
