"""Walking a loaded code system's is-a hierarchy: ancestors level by level
(from memory for code systems of moderate size), billable descendants nearest
first."""

from __future__ import annotations

from server.store.store import Store

MAX_DEPTH = 30
MAX_NODES = 2_000


def ancestor_levels(store: Store, cs_id: int, code: str, parents: dict | None = None) -> list[list[str]]:
    """Parents, then grandparents, ...: each ancestor once, at its nearest level;
    from `parents` (see parent_map) when given, else from the store."""
    if parents is None:
        return _stored_ancestor_levels(store, cs_id, code)
    seen, levels, level = {code}, [], [code]
    while level and len(levels) < MAX_DEPTH and len(seen) < MAX_NODES:
        level = sorted({p for c in level for p in parents.get(c, ()) if p not in seen})
        seen.update(level)
        if level:
            levels.append(level)
    return levels


def parent_map(store: Store, cs_id: int, limit: int) -> dict[str, tuple[str, ...]] | None:
    """child -> parents of a code system held in memory, or None when it has more than `limit` is-a rows."""
    if store.one("SELECT count(*) FROM (SELECT 1 FROM hierarchy WHERE cs_id = ? LIMIT ?)",
                 (cs_id, limit + 1))[0] > limit:
        return None
    parents: dict[str, tuple[str, ...]] = {}
    for child, parent in store.conn.execute("SELECT child, parent FROM hierarchy WHERE cs_id = ?", (cs_id,)):
        parents[child] = parents.get(child, ()) + (parent,)
    return parents


def _stored_ancestor_levels(store: Store, cs_id: int, code: str) -> list[list[str]]:
    # Each step reads a code's parents through a scalar subquery: the plain join
    # makes SQLite build a bloom filter over the whole hierarchy table every step.
    rows = store.query(
        "WITH RECURSIVE up(code, depth) AS (SELECT :code, 0 UNION SELECT j.value, up.depth + 1 FROM up, "
        "json_each((SELECT json_group_array(parent) FROM hierarchy WHERE cs_id = :cs AND child = up.code)) j "
        "WHERE up.depth < :max) "
        "SELECT code, min(depth) AS depth FROM up WHERE depth > 0 GROUP BY code ORDER BY depth, code LIMIT :nodes",
        {"cs": cs_id, "code": code, "max": MAX_DEPTH, "nodes": MAX_NODES})
    levels: list[list[str]] = []
    for r in rows:
        if len(levels) < r["depth"]:
            levels.append([])
        levels[-1].append(r["code"])
    return levels


def billable_descendants(store: Store, cs_id: int, code: str, limit: int) -> tuple[list, bool]:
    """(code, display) of billable descendants, breadth first, and whether more were left off."""
    found: list = []
    level = [code]
    while level and len(found) <= limit:
        rows = store.query(
            "SELECT c.code, c.display, c.billable FROM hierarchy h JOIN concepts c ON c.cs_id = h.cs_id "
            f"AND c.code = h.child WHERE h.cs_id = ? AND h.parent IN ({','.join('?' * len(level))}) "
            "ORDER BY c.code", (cs_id, *level))
        found += [(r["code"], r["display"]) for r in rows if r["billable"]]
        level = [r["code"] for r in rows if not r["billable"]][:MAX_NODES]
    return found[:limit], len(found) > limit


def all_billable_descendants(store: Store, cs_id: int, code: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in store.query(
        "WITH RECURSIVE d(code) AS (SELECT child FROM hierarchy WHERE cs_id = :cs AND parent = :code "
        "UNION SELECT h.child FROM hierarchy h JOIN d ON h.parent = d.code WHERE h.cs_id = :cs) "
        "SELECT c.code, c.display FROM d JOIN concepts c ON c.cs_id = :cs AND c.code = d.code WHERE c.billable = 1 "
        "ORDER BY c.code",
        {"cs": cs_id, "code": code})]
