"""Which map entries answer translation.

Translation answers from each map set's active (published) version, except
where a curator has decided in the draft since: for a source code and target
system whose accepted or rejected draft entries differ from the published
ones, the draft's accepted entries answer (none, if it was rejected). Those
decisions take effect at once; auto and unreviewed draft entries wait for
publishing."""

from __future__ import annotations

from server.curation.versions import DRAFT
from server.store.store import Store

ROWS = ("SELECT s.name, s.name AS map_set, s.version, s.kind, s.published_at, e.* "
        "FROM map_entries e JOIN map_sets s ON s.id = e.map_set_id")


def answering_rows(store: Store) -> list:
    """Rows (map set name, version, kind, published_at and every map_entries column)
    of the entries that answer translation now."""
    by_key: dict[tuple, list] = {}
    for row in store.query(f"{ROWS} WHERE s.active = 1 AND e.status != 'rejected' ORDER BY e.id"):
        by_key.setdefault(_key(row), []).append(row)
    decided: dict[tuple, list] = {}
    for row in store.query(f"{ROWS} WHERE s.version = ? AND s.published_at IS NULL "
                           "AND e.status IN ('accepted', 'rejected') ORDER BY e.id", (DRAFT,)):
        decided.setdefault(_key(row), []).append(row)
    for key, group in decided.items():
        accepted = [r for r in group if r["status"] == "accepted"]
        if _targets(accepted) != _targets(by_key.get(key, [])):
            by_key[key] = accepted
    return sorted((r for group in by_key.values() for r in group), key=lambda r: r["id"])


def _key(row) -> tuple:
    return (row["name"], row["source_system"], row["source_code"], row["target_system"])


def _targets(group: list) -> list[tuple[str, str]]:
    return sorted((r["target_code"], r["relationship"], r["status"]) for r in group)
