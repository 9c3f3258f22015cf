"""Label value sets in the store: the shipped defaults (mappings/labels/),
organization value sets bound to a category, and the exclusion switches. Every
write is one transaction and is audited."""

from __future__ import annotations

from pathlib import Path

from loaders.base import file_checksum
from server.errors import FailedPrecondition, InvalidArgument, LoadError, NotFound
from server.labels import hl7
from server.labels.sources import RuleRow, read_categories, read_fhir_valueset, read_rules_csv
from server.store.store import Store, utc_now
from server.store.writer import LoadSummary

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "mappings" / "labels"
DEFAULT_PREFIX = "termbridge/labels/"
SWITCH_STATES = ("off", "include", "default")


def rule_key(category: str, system: str, match: str, code: str) -> str:
    """How an exclusion row is addressed when a deployment switches it."""
    return f"{category}|{system}|{match}|{code}"


def load_defaults(store: Store, folder: Path = DEFAULT_DIR) -> LoadSummary:
    """categories.csv and one <CATEGORY>.csv per category, as one load."""
    categories = read_categories(folder / "categories.csv")
    versions = {c.version for c in categories}
    if len(versions) != 1:
        raise LoadError(folder / "categories.csv", None, f"one content version expected, found {sorted(versions)}")
    version = versions.pop()
    for c in categories:
        for code in (c.category, *c.parents):
            if not hl7.is_sensitivity(code):
                raise LoadError(folder / "categories.csv", None, f"{code} is not an active ActCode sensitivity code")
    summary = LoadSummary("label_value_sets", f"{DEFAULT_PREFIX}*", version, status="unchanged", active=True)
    with store.transaction() as conn:
        conn.execute("DELETE FROM label_categories")
        conn.executemany("INSERT INTO label_categories VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [(c.category, c.display, "|".join(c.parents), c.confidentiality, c.version, c.description, n)
                          for n, c in enumerate(categories)])
        for c in categories:
            path = folder / f"{c.category}.csv"
            count, new = _load_set(store, DEFAULT_PREFIX + c.category, version, c.category, "default",
                                   f"mappings/labels/{path.name}", file_checksum(path), lambda p=path: read_rules_csv(p))
            summary.counts["value sets"] += 1
            summary.counts["rules"] += count
            summary.status = "loaded" if new else summary.status
    return summary


def add_value_set(store: Store, category: str, path: str | Path, *, exclude: bool = False, name: str = "",
                  version: str = "", actor: str = "") -> LoadSummary:
    """An organization's value set (FHIR ValueSet .json or mappings/labels-format .csv)
    bound to `category`; with `exclude` every row is an exclusion. A new version of
    a name replaces the previous one."""
    path = Path(path)
    if store.one("SELECT 1 FROM label_categories WHERE category = ?", (category,)) is None:
        known = [r[0] for r in store.query("SELECT category FROM label_categories ORDER BY position")]
        raise InvalidArgument("UNKNOWN_CATEGORY", f"category {category!r} is not one of {', '.join(known)}",
                              category=category)
    if not path.is_file():
        raise LoadError(path, None, "no such file")
    if path.suffix.lower() == ".json":
        resource, rows = read_fhir_valueset(path)
        name = name or resource.get("url") or resource.get("name") or f"org/{path.stem}"
        version = version or resource.get("version", "")
    elif path.suffix.lower() == ".csv":
        rows = read_rules_csv(path)
        name = name or f"org/{path.stem}"
    else:
        raise InvalidArgument("UNSUPPORTED_FORMAT", f"{path.name}: a label value set is a FHIR ValueSet .json or a "
                              ".csv in the mappings/labels format", path=path.name)
    if name.startswith(DEFAULT_PREFIX):
        raise InvalidArgument("RESERVED_NAME", f"names starting with {DEFAULT_PREFIX} are the shipped defaults",
                              name=name)
    other = store.one("SELECT category FROM label_value_sets WHERE name = ? AND category != ?", (name, category))
    if other is not None:
        raise FailedPrecondition("NAME_IN_USE", f"value set {name} is bound to {other[0]}, not {category}",
                                 name=name, category=other[0])
    checksum = file_checksum(path)
    version = version or checksum[:12]
    rows = [r._replace(exclude=True) for r in rows] if exclude else rows
    summary = LoadSummary("label_value_set", name, version, status="unchanged", active=True)
    with store.transaction():
        summary.counts["rules"], new = _load_set(store, name, version, category, "organization", path.name,
                                                 checksum, lambda: rows, actor or "loader")
    summary.status = "loaded" if new else summary.status
    return summary


def _load_set(store: Store, name: str, version: str, category: str, origin: str, source: str, checksum: str,
              read_rows, actor: str = "loader") -> tuple[int, bool]:
    """Insert (name, version) unless loaded from the same bytes; make it the active version.
    (rule count, whether it was new)."""
    existing = store.one("SELECT * FROM label_value_sets WHERE name = ? AND version = ?", (name, version))
    conn = store.conn
    if existing is not None:
        if existing["checksum"] != checksum:
            raise FailedPrecondition("VERSION_EXISTS", f"label value set {name} version {version} is already "
                                     "loaded from a different file; load it under another version",
                                     name=name, version=version)
        set_id, count, new = existing["id"], existing["rule_count"], False
    else:
        rows: list[RuleRow] = read_rows()
        set_id = conn.execute(
            "INSERT INTO label_value_sets (name, version, category, origin, source, checksum, loaded_at, rule_count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, version, category, origin, source, checksum, utc_now(), len(rows))).lastrowid
        conn.executemany("INSERT INTO label_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [(set_id, *r[:4], int(r.exclude), r.source, r.note) for r in rows])
        count, new = len(rows), True
        store.audit(actor, "load", "label_value_set", f"{name}|{version}",
                    after={"category": category, "checksum": checksum, "rules": count})
    conn.execute("UPDATE label_value_sets SET active = (id = ?) WHERE name = ?", (set_id, name))
    return count, new


def disable(store: Store, name: str, actor: str) -> None:
    """Stop an organization value set from answering (it stays in the store)."""
    row = store.one("SELECT origin FROM label_value_sets WHERE name = ? AND active = 1", (name,))
    if row is None:
        raise NotFound("VALUE_SET_NOT_FOUND", f"no active label value set named {name}", name=name)
    if row["origin"] != "organization":
        raise InvalidArgument("DEFAULT_VALUE_SET", f"{name} is a shipped default; switch its exclusion rows "
                              "or add an exclusion value set instead", name=name)
    with store.transaction() as conn:
        conn.execute("UPDATE label_value_sets SET active = 0 WHERE name = ?", (name,))
        store.audit(actor, "disable", "label_value_set", name)


def switch_exclusion(store: Store, key: str, state: str, actor: str) -> None:
    """Set an exclusion row (CATEGORY|system|match|code) off, to include, or back to default."""
    if state not in SWITCH_STATES:
        raise InvalidArgument("INVALID_STATE", f"state must be one of {', '.join(SWITCH_STATES)}", state=state)
    category, system, match, code = (key.split("|") + ["", "", "", ""])[:4]
    found = store.one("SELECT 1 FROM label_rules r JOIN label_value_sets s ON s.id = r.vs_id WHERE s.active = 1 "
                      "AND r.exclude = 1 AND s.category = ? AND r.system = ? AND r.match = ? AND r.code = ?",
                      (category, system, match, code))
    if found is None:
        raise NotFound("EXCLUSION_NOT_FOUND", f"no active exclusion row {key}", key=key)
    before = store.one("SELECT state FROM label_exclusion_settings WHERE rule_key = ?", (key,))
    with store.transaction() as conn:
        conn.execute("DELETE FROM label_exclusion_settings WHERE rule_key = ?", (key,))
        if state != "default":
            conn.execute("INSERT INTO label_exclusion_settings VALUES (?, ?, ?, ?)", (key, state, actor, utc_now()))
        store.audit(actor, "switch", "label_exclusion", key, before={"state": before[0] if before else "default"},
                    after={"state": state})


def listing(store: Store) -> dict:
    return {
        "value_sets": [dict(r) for r in store.query(
            "SELECT name, version, category, origin, source, rule_count AS rules, active, loaded_at "
            "FROM label_value_sets ORDER BY origin, category, name, loaded_at")],
        "exclusion_switches": [dict(r) for r in store.query(
            "SELECT rule_key, state, actor, changed_at FROM label_exclusion_settings ORDER BY rule_key")],
    }
