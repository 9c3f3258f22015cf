"""The embedded SQLite store (sqlite-utils over one file, WAL mode).

Readers never block the single writer; a load runs in one transaction, so a
failed load leaves the previous content serving."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from server.errors import FailedPrecondition
from server.store.migrations import LATEST, migrate

DEFAULT_DB = "termbridge.db"


def default_db_path() -> str:
    return os.environ.get("TERMBRIDGE_DB", DEFAULT_DB)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: str | os.PathLike, readonly: bool = False) -> None:
        self.path = str(path)
        if readonly:
            if not Path(self.path).exists():
                raise FailedPrecondition("DATABASE_MISSING", f"database {self.path} does not exist; run "
                                         "`termbridge init` first", path=self.path)
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.row_factory = sqlite3.Row
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        if not readonly:
            migrate(conn)
        elif self.schema_version() != LATEST:
            raise FailedPrecondition("SCHEMA_OUTDATED", f"database {self.path} has schema version "
                                     f"{self.schema_version()}, expected {LATEST}; run `termbridge init`",
                                     path=self.path, found=self.schema_version(), expected=LATEST)

    def close(self) -> None:
        self.conn.close()

    def schema_version(self) -> int:
        if not self.db["schema_migrations"].exists():
            return 0
        return self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; everything inside commits or nothing does.
        Inside an outer transaction it is a savepoint, and the outer one decides."""
        if self.conn.in_transaction:
            self.conn.execute("SAVEPOINT nested")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO nested")
                self.conn.execute("RELEASE nested")
                raise
            self.conn.execute("RELEASE nested")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    # --- code systems -----------------------------------------------------

    def code_systems(self, include_inactive: bool = True) -> list[sqlite3.Row]:
        where = "" if include_inactive else "WHERE active = 1"
        return self.query(f"SELECT * FROM code_systems {where} ORDER BY url, loaded_at")

    def code_system(self, url: str, version: str = "") -> sqlite3.Row | None:
        if version:
            return self.one("SELECT * FROM code_systems WHERE url = ? AND version = ?", (url, version))
        return self.one("SELECT * FROM code_systems WHERE url = ? AND active = 1", (url,))

    def active_code_system_ids(self) -> dict[int, str]:
        return {r["id"]: r["url"] for r in self.query("SELECT id, url FROM code_systems WHERE active = 1")}

    def concept(self, cs_id: int, code: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM concepts WHERE cs_id = ? AND code = ?", (cs_id, code))

    def designations(self, cs_id: int, code: str) -> list[sqlite3.Row]:
        return self.query("SELECT value, use, language FROM designations WHERE cs_id = ? AND code = ? "
                          "ORDER BY rowid", (cs_id, code))

    def parents(self, cs_id: int, code: str) -> list[sqlite3.Row]:
        return self.query("SELECT code, display FROM concepts WHERE cs_id = ? AND code IN "
                          "(SELECT parent FROM hierarchy WHERE cs_id = ? AND child = ?) ORDER BY code",
                          (cs_id, cs_id, code))

    def children(self, cs_id: int, code: str) -> list[sqlite3.Row]:
        return self.query("SELECT code, display FROM concepts WHERE cs_id = ? AND code IN "
                          "(SELECT child FROM hierarchy WHERE cs_id = ? AND parent = ?) ORDER BY code",
                          (cs_id, cs_id, code))

    def audit(self, actor: str, action: str, entity: str, entity_id: object,
              before: object = None, after: object = None) -> None:
        self.conn.execute(
            "INSERT INTO audit_events (at, actor, action, entity, entity_id, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (utc_now(), actor, action, entity, str(entity_id),
             None if before is None else json.dumps(before, sort_keys=True),
             None if after is None else json.dumps(after, sort_keys=True)))


class StorePool:
    """One read-only connection per server thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        Store(path, readonly=True).close()  # fail fast on a missing or old database

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.path, readonly=True)
        return store
