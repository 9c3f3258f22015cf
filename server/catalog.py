"""What is loaded: every code system, value set and map set with its version,
counts, checksum and active flag (`termbridge status`)."""

from __future__ import annotations

from server.store.store import Store


def status(store: Store) -> dict:
    return {
        "database": store.path,
        "schema_version": store.schema_version(),
        "code_systems": [
            {"url": r["url"], "version": r["version"], "name": r["name"], "format": r["format"],
             "active": bool(r["active"]), "concepts": r["concept_count"], "checksum": r["checksum"],
             "loaded_at": r["loaded_at"], "source": r["source"]}
            for r in store.code_systems()],
        "value_sets": [
            {"url": r["url"], "version": r["version"], "name": r["name"], "active": bool(r["active"]),
             "members": r["member_count"], "checksum": r["checksum"], "loaded_at": r["loaded_at"],
             "source": r["source"]}
            for r in store.query("SELECT * FROM value_sets ORDER BY url, loaded_at")],
        "map_sets": [
            {"name": r["name"], "version": r["version"], "kind": r["kind"], "source_system": r["source_system"],
             "target_system": r["target_system"], "active": bool(r["active"]), "entries": r["entry_count"],
             "checksum": r["checksum"], "published_at": r["published_at"], "loaded_at": r["loaded_at"],
             "source": r["source"]}
            for r in store.query("SELECT * FROM map_sets ORDER BY name, loaded_at")],
    }
