"""The content a job answers from: a fingerprint of the content version (what
makes two runs comparable and a checkpoint resumable), and immutable published
snapshots of the database for executors on other machines: a consistent copy
(SQLite backup API) named by the sha256 of its bytes, `snapshot-<sha>.db`."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path

from server.load import MAPPINGS_DIR
from server.store.store import Store


def content_fingerprint(store: Store) -> str:
    """Changes when anything that answers does: the database's code systems, value
    sets and map sets (by checksum) and curation drafts (entry count, last change),
    and the curated files shipped in mappings/ (aliases, label sets, matcher model)."""
    parts = [[tuple(r) for r in store.query(f"SELECT {key}, version, checksum, active FROM {table} ORDER BY 1, 2")]
             for table, key in (("code_systems", "url"), ("value_sets", "url"), ("map_sets", "name"))]
    drafts = store.one("SELECT count(*), max(e.updated_at), sum(e.revision) FROM map_entries e "
                       "JOIN map_sets s ON s.id = e.map_set_id WHERE s.published_at IS NULL")
    shipped = [(str(p.relative_to(MAPPINGS_DIR)), file_sha256(p)) for p in sorted(MAPPINGS_DIR.rglob("*"))
               if p.is_file()]
    return hashlib.sha256(json.dumps([parts, list(drafts), shipped], default=str).encode()).hexdigest()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish(db_path: str, folder: str | Path) -> Path:
    """A read-only, self-contained copy of the database in `folder` (reused when the
    same bytes were published before)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".snapshot-", suffix=".db")
    os.close(fd)
    try:
        source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        target = sqlite3.connect(tmp)
        with target:
            source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one file: readers need no -wal/-shm beside it
        target.close()
        source.close()
        final = folder / f"snapshot-{file_sha256(tmp)[:16]}.db"
        if final.exists():
            os.unlink(tmp)
        else:
            os.chmod(tmp, 0o444)
            os.replace(tmp, final)
        return final
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
