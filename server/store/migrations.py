"""Versioned schema migrations. Append new steps; never edit an applied one."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial schema", """
CREATE TABLE code_systems (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    checksum TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    concept_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (url, version)
);
CREATE TABLE concepts (
    cs_id INTEGER NOT NULL REFERENCES code_systems(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    display TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    billable INTEGER NOT NULL DEFAULT 0,
    properties TEXT,
    PRIMARY KEY (cs_id, code)
) WITHOUT ROWID;
CREATE TABLE designations (
    cs_id INTEGER NOT NULL REFERENCES code_systems(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    value TEXT NOT NULL,
    use TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'en'
);
CREATE INDEX designations_code ON designations (cs_id, code);
CREATE TABLE hierarchy (
    cs_id INTEGER NOT NULL REFERENCES code_systems(id) ON DELETE CASCADE,
    child TEXT NOT NULL,
    parent TEXT NOT NULL,
    PRIMARY KEY (cs_id, child, parent)
) WITHOUT ROWID;
CREATE INDEX hierarchy_parent ON hierarchy (cs_id, parent);
CREATE VIRTUAL TABLE search_terms USING fts5 (
    term, cs_id UNINDEXED, code UNINDEXED, use UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE value_sets (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    checksum TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    compose TEXT,
    member_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (url, version)
);
CREATE TABLE value_set_members (
    vs_id INTEGER NOT NULL REFERENCES value_sets(id) ON DELETE CASCADE,
    system TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    display TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (vs_id, system, code)
) WITHOUT ROWID;
CREATE INDEX value_set_members_code ON value_set_members (system, code);
CREATE TABLE map_sets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'curated',
    source_system TEXT NOT NULL DEFAULT '',
    target_system TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    checksum TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    published_at TEXT,
    entry_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version)
);
CREATE TABLE map_entries (
    id INTEGER PRIMARY KEY,
    map_set_id INTEGER NOT NULL REFERENCES map_sets(id) ON DELETE CASCADE,
    source_system TEXT NOT NULL,
    source_code TEXT NOT NULL,
    source_display TEXT NOT NULL DEFAULT '',
    target_system TEXT NOT NULL,
    target_code TEXT NOT NULL,
    target_display TEXT NOT NULL DEFAULT '',
    relationship TEXT NOT NULL,
    confidence REAL NOT NULL DEFAULT 1.0,
    status TEXT NOT NULL DEFAULT 'unreviewed',
    author TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    frequency INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    provenance TEXT
);
CREATE INDEX map_entries_source ON map_entries (source_system, source_code);
CREATE INDEX map_entries_target ON map_entries (target_system, target_code);
CREATE INDEX map_entries_set ON map_entries (map_set_id, status);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
"""),
    (2, "sensitivity label value sets", """
CREATE TABLE label_categories (
    category TEXT PRIMARY KEY,
    display TEXT NOT NULL,
    parents TEXT NOT NULL DEFAULT '',
    confidentiality TEXT NOT NULL,
    version TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE label_value_sets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    category TEXT NOT NULL,
    origin TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    checksum TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    rule_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version)
);
CREATE TABLE label_rules (
    vs_id INTEGER NOT NULL REFERENCES label_value_sets(id) ON DELETE CASCADE,
    system TEXT NOT NULL,
    match TEXT NOT NULL,
    code TEXT NOT NULL,
    display TEXT NOT NULL DEFAULT '',
    exclude INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX label_rules_set ON label_rules (vs_id);
CREATE TABLE label_exclusion_settings (
    rule_key TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('off', 'include')),
    actor TEXT NOT NULL,
    changed_at TEXT NOT NULL
) WITHOUT ROWID;
"""),
]

LATEST = MIGRATIONS[-1][0]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns what ran."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                 "(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    applied = []
    for version, description, sql in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN")
        try:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                         (version, description, datetime.now(timezone.utc).isoformat()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    out, buf = [], []
    for line in sql.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    return out
