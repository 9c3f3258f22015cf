"""Store: migrations, atomic versioned loads, activation, append-only audit."""

import sqlite3

import pytest

from server import terminology
from server.errors import FailedPrecondition, LoadError, NotFound
from server.load import run_load
from server.store.migrations import LATEST, migrate
from server.store.store import Store

from conftest import FIXTURES

SAMPLE = FIXTURES / "icd10cm" / "icd10cm-tabular-sample.xml"


def snapshot(store):
    return {t: store.query(f"SELECT count(*) FROM {t}")[0][0]
            for t in ("code_systems", "concepts", "designations", "hierarchy", "search_terms")}


def test_migrations_are_recorded_and_idempotent(store):
    assert store.schema_version() == LATEST
    assert migrate(store.conn) == []


def test_load_then_reload_is_a_no_op(store):
    first = run_load(store, "icd10cm-xml", SAMPLE, version="sample")[0]
    assert first.status == "loaded" and first.active and first.counts["concepts"] > 1000
    before = snapshot(store)
    again = run_load(store, "icd10cm-xml", SAMPLE, version="sample")[0]
    assert again.status == "unchanged"
    assert snapshot(store) == before


def test_failed_load_leaves_store_exactly_as_before(store, tmp_path):
    run_load(store, "icd10cm-xml", SAMPLE, version="v1")
    before = snapshot(store)
    broken = tmp_path / "broken.xml"
    text = SAMPLE.read_text()
    broken.write_text(text[: len(text) * 3 // 4])  # chapters parse, then the file ends
    with pytest.raises(LoadError):
        run_load(store, "icd10cm-xml", broken, version="v2")
    assert snapshot(store) == before
    assert terminology.lookup(store, "icd10cm", "F32.A").display == "Depression, unspecified"


def test_versions_coexist_and_activate_switches(store, tmp_path):
    run_load(store, "icd10cm-xml", SAMPLE, version="v1")
    changed = tmp_path / "v2.xml"
    changed.write_text(SAMPLE.read_text().replace("Depression, unspecified", "Depression, unspecified (v2)"))
    summary = run_load(store, "icd10cm-xml", changed, version="v2")[0]
    assert not summary.active
    assert terminology.lookup(store, "icd10cm", "F32.A").display == "Depression, unspecified"
    run_load(store, "icd10cm-xml", changed, version="v2", activate=True)
    assert terminology.lookup(store, "icd10cm", "F32.A").display == "Depression, unspecified (v2)"
    assert terminology.lookup(store, "icd10cm", "F32.A", version="v1").display == "Depression, unspecified"
    with pytest.raises(NotFound) as err:
        terminology.lookup(store, "icd10cm", "F32.A", version="v9")
    assert err.value.reason == "VERSION_NOT_FOUND"


def test_same_version_from_another_file_is_refused(store, tmp_path):
    run_load(store, "icd10cm-xml", SAMPLE, version="v1")
    other = tmp_path / "other.xml"
    other.write_text(SAMPLE.read_text().replace("Depression, unspecified", "Changed"))
    with pytest.raises(FailedPrecondition) as err:
        run_load(store, "icd10cm-xml", other, version="v1")
    assert err.value.reason == "VERSION_EXISTS"


def test_dry_run_counts_without_writing(store):
    summary = run_load(store, "icd10cm-xml", SAMPLE, version="v1", dry_run=True)[0]
    assert summary.status == "dry-run" and summary.counts["concepts"] > 1000
    assert snapshot(store)["concepts"] == 0


def test_audit_is_append_only(store):
    run_load(store, "icd10cm-xml", SAMPLE, version="v1")
    assert store.query("SELECT count(*) FROM audit_events")[0][0] == 1
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit_events SET actor = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit_events")


def test_readonly_store_refuses_missing_database(tmp_path):
    with pytest.raises(FailedPrecondition) as err:
        Store(tmp_path / "missing.db", readonly=True)
    assert err.value.reason == "DATABASE_MISSING"
