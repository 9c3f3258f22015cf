"""Writes a loader's rows into the store in one transaction, in batches."""

from __future__ import annotations

import collections
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, NamedTuple

from loaders.base import Concept, Designation, IsA, Skipped, SourceInfo
from server.errors import FailedPrecondition, NotFound
from server.store import map_entries
from server.store.store import Store, utc_now

BATCH = 10_000


@dataclass
class LoadSummary:
    kind: str
    url: str
    version: str
    status: str = "loaded"  # loaded | unchanged | dry-run
    active: bool = False
    counts: collections.Counter = field(default_factory=collections.Counter)
    skipped: collections.Counter = field(default_factory=collections.Counter)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "url": self.url, "version": self.version, "status": self.status,
                "active": self.active, "counts": dict(self.counts), "skipped": dict(self.skipped)}


def load_code_system(store: Store, info: SourceInfo, rows: Iterable, *, activate: bool = False,
                     dry_run: bool = False, progress: Callable[[int], None] | None = None) -> LoadSummary:
    summary = LoadSummary("code_system", info.url, info.version)
    existing = store.code_system(info.url, info.version)
    if existing is not None:
        if existing["checksum"] != info.checksum:
            raise FailedPrecondition(
                "VERSION_EXISTS", f"{info.url} version {info.version} is already loaded from a different "
                f"file; load it under another --version", url=info.url, version=info.version)
        summary.status = "unchanged"
        if activate and not dry_run and not existing["active"]:
            with store.transaction() as conn:
                _activate(conn, info.url, existing["id"])
        summary.active = bool(activate or existing["active"])
        summary.counts["concepts"] = existing["concept_count"]
        return summary
    if dry_run:
        summary.status = "dry-run"
        for row in rows:
            _count(summary, row)
        return summary
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO code_systems (url, version, name, title, format, source, checksum, loaded_at, active) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (info.url, info.version, info.name, info.title, info.format, info.source, info.checksum, utc_now()))
        cs_id = cur.lastrowid
        batches: dict[type, list] = {Concept: [], Designation: [], IsA: []}
        for row in rows:
            _count(summary, row)
            if isinstance(row, Skipped):
                continue
            batch = batches[type(row)]
            batch.append(row)
            if len(batch) >= BATCH:
                _flush(conn, cs_id, type(row), batch)
                if progress:
                    progress(len(batch))
                batch.clear()
        for kind, batch in batches.items():
            _flush(conn, cs_id, kind, batch)
            if progress:
                progress(len(batch))
        conn.execute("UPDATE code_systems SET concept_count = ? WHERE id = ?", (summary.counts["concepts"], cs_id))
        first = conn.execute("SELECT count(*) FROM code_systems WHERE url = ? AND active = 1",
                             (info.url,)).fetchone()[0] == 0
        if activate or first:
            _activate(conn, info.url, cs_id)
            summary.active = True
        store.audit("loader", "load", "code_system", f"{info.url}|{info.version}",
                    after={"checksum": info.checksum, "counts": dict(summary.counts)})
    if not store.conn.in_transaction:  # inside one_transaction() it runs once, at the end
        store.conn.execute("ANALYZE")  # fresh planner statistics for the new rows
    return summary


@contextmanager
def one_transaction(store: Store) -> Iterator[Store]:
    """Several resources (a FHIR package, an RF2 release) as one load: every writer
    call inside joins this transaction, so a failure anywhere leaves the store as before."""
    before = store.conn.total_changes
    with store.transaction():
        yield store
    if store.conn.total_changes != before:
        store.conn.execute("ANALYZE")


def activate_code_system(store: Store, url: str, version: str) -> None:
    row = store.code_system(url, version)
    if row is None:
        raise NotFound("VERSION_NOT_FOUND", f"{url} version {version} is not loaded", url=url, version=version)
    with store.transaction() as conn:
        _activate(conn, url, row["id"])


def _activate(conn, url: str, cs_id: int) -> None:
    conn.execute("UPDATE code_systems SET active = (id = ?) WHERE url = ?", (cs_id, url))


def _count(summary: LoadSummary, row) -> None:
    if isinstance(row, Skipped):
        summary.skipped[row.reason] += 1
    elif isinstance(row, Concept):
        summary.counts["concepts"] += 1
    elif isinstance(row, Designation):
        summary.counts["designations"] += 1
    elif isinstance(row, IsA):
        summary.counts["relationships"] += 1


def _flush(conn, cs_id: int, kind: type, batch: list) -> None:
    if not batch:
        return
    if kind is Concept:
        conn.executemany("INSERT INTO concepts (cs_id, code, display, active, billable, properties) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         [(cs_id, r.code, r.display, int(r.active), int(r.billable), r.properties) for r in batch])
    elif kind is Designation:
        conn.executemany("INSERT INTO designations (cs_id, code, value, use, language) VALUES (?, ?, ?, ?, ?)",
                         [(cs_id, *r) for r in batch])
        conn.executemany("INSERT INTO search_terms (term, cs_id, code, use) VALUES (?, ?, ?, ?)",
                         [(r.value, cs_id, r.code, r.use) for r in batch])
    elif kind is IsA:
        conn.executemany("INSERT OR IGNORE INTO hierarchy (cs_id, child, parent) VALUES (?, ?, ?)",
                         [(cs_id, r.child, r.parent) for r in batch])


@dataclass
class SetInfo:
    """A value set or map set as a loader reads it."""

    name: str
    version: str
    url: str
    title: str
    source: str
    checksum: str
    kind: str = "curated"  # map sets: curated | official | proposed
    source_system: str = ""
    target_system: str = ""
    compose: str | None = None  # value sets: the FHIR compose JSON


class MapRow(NamedTuple):
    source_system: str
    source_code: str
    source_display: str
    target_system: str
    target_code: str
    target_display: str
    relationship: str
    confidence: float
    status: str = "accepted"
    author: str = ""
    provenance: str | None = None  # JSON: justification, advice, rule, source file line ...


MAP_ROW_COLUMNS = ("map_set_id", *MapRow._fields, "created_at", "updated_at")


class Member(NamedTuple):
    system: str
    code: str
    display: str = ""
    version: str = ""


def load_map_set(store: Store, info: SetInfo, rows: Iterable, *, activate: bool = False, dry_run: bool = False,
                 progress: Callable[[int], None] | None = None) -> LoadSummary:
    """A map set version from a file: loaded once (checksum), immutable, published on load."""
    return _load_set(store, "map_set", info, rows, activate, dry_run, progress)


def load_value_set(store: Store, info: SetInfo, rows: Iterable, *, activate: bool = False, dry_run: bool = False,
                   progress: Callable[[int], None] | None = None) -> LoadSummary:
    return _load_set(store, "value_set", info, rows, activate, dry_run, progress)


def _load_set(store, kind, info, rows, activate, dry_run, progress) -> LoadSummary:
    table, key = ("map_sets", "name") if kind == "map_set" else ("value_sets", "url")
    ident = info.name if kind == "map_set" else info.url
    summary = LoadSummary(kind, ident, info.version)
    existing = store.one(f"SELECT * FROM {table} WHERE {key} = ? AND version = ?", (ident, info.version))
    if existing is not None:
        if existing["checksum"] != info.checksum:
            raise FailedPrecondition("VERSION_EXISTS", f"{kind.replace('_', ' ')} {ident} version {info.version} is "
                                     "already loaded from a different file; load it under another --version",
                                     name=ident, version=info.version)
        summary.status = "unchanged"
        if activate and not dry_run:
            with store.transaction() as conn:
                conn.execute(f"UPDATE {table} SET active = (id = ?) WHERE {key} = ?", (existing["id"], ident))
        summary.active = bool(activate or existing["active"])
        return summary
    counter = "maps" if kind == "map_set" else "members"
    if dry_run:
        summary.status = "dry-run"
        for row in rows:
            if isinstance(row, Skipped):
                summary.skipped[row.reason] += 1
            else:
                summary.counts[counter] += 1
        return summary
    now = utc_now()
    with store.transaction() as conn:
        if kind == "map_set":
            set_id = conn.execute(
                "INSERT INTO map_sets (name, version, url, title, kind, source_system, target_system, source, "
                "checksum, loaded_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (info.name, info.version, info.url, info.title, info.kind, info.source_system, info.target_system,
                 info.source, info.checksum, now, now)).lastrowid
        else:
            set_id = conn.execute(
                "INSERT INTO value_sets (url, version, name, title, source, checksum, loaded_at, compose) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (info.url, info.version, info.name, info.title, info.source, info.checksum, now,
                 info.compose)).lastrowid
        batch: list = []
        for row in rows:
            if isinstance(row, Skipped):
                summary.skipped[row.reason] += 1
                continue
            summary.counts[counter] += 1
            batch.append(row)
            if len(batch) >= BATCH:
                _flush_set(conn, kind, set_id, batch, now)
                if progress:
                    progress(len(batch))
                batch.clear()
        _flush_set(conn, kind, set_id, batch, now)
        if progress:
            progress(len(batch))
        count_column = "entry_count" if kind == "map_set" else "member_count"
        conn.execute(f"UPDATE {table} SET {count_column} = ? WHERE id = ?", (summary.counts[counter], set_id))
        first = conn.execute(f"SELECT count(*) FROM {table} WHERE {key} = ? AND active = 1", (ident,)).fetchone()[0] == 0
        if activate or first:
            conn.execute(f"UPDATE {table} SET active = (id = ?) WHERE {key} = ?", (set_id, ident))
            summary.active = True
        store.audit("loader", "load", kind, f"{ident}|{info.version}",
                    after={"checksum": info.checksum, "counts": dict(summary.counts)})
    return summary


def _flush_set(conn, kind: str, set_id: int, batch: list, now: str) -> None:
    if not batch:
        return
    if kind == "map_set":
        conn.executemany(map_entries.insert_sql(MAP_ROW_COLUMNS), [(set_id, *r, now, now) for r in batch])
    else:
        conn.executemany("INSERT OR IGNORE INTO value_set_members (vs_id, system, version, code, display) "
                         "VALUES (?, ?, ?, ?, ?)", [(set_id, r.system, r.version, r.code, r.display) for r in batch])
