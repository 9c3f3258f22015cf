"""Writes a loader's rows into the store in one transaction, in batches."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Callable, Iterable

from loaders.base import Concept, Designation, IsA, Skipped, SourceInfo
from server.errors import FailedPrecondition, NotFound
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
    store.conn.execute("ANALYZE")  # fresh planner statistics for the new rows
    return summary


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
