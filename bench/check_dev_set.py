"""Check a MatchText development set before using it:

    python -m bench.check_dev_set FILE... [--db PATH] [--show N]

Per file: required fields present, ids unique, every gold code a concept the
matcher can answer with in its system (base or map content; ICD-10-CM: billable), and
how many entries' normalized text (server.match.index.term_text) equals a term
of the matcher's base content (literal overlaps flatter the matcher; a new dev
set should have none) and, reported apart, of its map content (map labels).
Exits 1 when any file has an error or a literal base-content overlap."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from server import systems
from server.errors import InvalidArgument
from server.match.content import read_base, read_maps
from server.match.index import term_text
from server.store.store import Store, default_db_path

REQUIRED = ("id", "text", "system", "gold", "style", "domain")
DOMAINS = {"general", "bh", "sud", "sdoh"}


def term_sets(store: Store) -> tuple[dict, set, set]:
    """Concepts the matcher answers with (base and map content, and the 7th-character
    extensions encounter.py picks), base-content term texts, map-only term texts."""
    base = read_base(store)
    base_terms = {(system, term_text(text)) for system, _, text, _ in base.terms}
    maps = read_maps(store, base)
    map_terms = {(system, term_text(text)) for system, _, text, _ in maps.terms} - base_terms
    extended = {(systems.ICD10CM, code) for options in base.extensions.values() for code, _ in options}
    return set(maps.concepts) | extended, base_terms, map_terms


def check_entry(entry: dict, concepts: set) -> list[str]:
    problems = [f"missing field {k}" for k in REQUIRED if k not in entry]
    if problems:
        return problems
    if not str(entry["text"]).strip():
        problems.append("empty text")
    if entry["domain"] not in DOMAINS:
        problems.append(f"unknown domain {entry['domain']!r}")
    try:
        system = systems.canonical_system(entry["system"])
    except InvalidArgument as exc:
        return problems + [exc.message]
    if not isinstance(entry["gold"], list) or not entry["gold"]:
        return problems + ["gold must be a non-empty list"]
    for code in entry["gold"]:
        if (system, systems.normalize_code(system, str(code))) not in concepts:
            problems.append(f"gold {code} is not an answerable {entry['system']} code")
    return problems


def check_file(path: Path, concepts: set, base_terms: set, map_terms: set, show: int) -> dict:
    errors, overlaps, map_overlaps = [], [], []
    ids: Counter = Counter()
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{number}: not JSON: {exc.msg}")
            continue
        entries.append(entry)
        ids[entry.get("id")] += 1
        errors += [f"{path}:{number} {entry.get('id')}: {p}" for p in check_entry(entry, concepts)]
        try:
            key = (systems.canonical_system(entry.get("system", "")), term_text(str(entry.get("text", ""))))
        except InvalidArgument:
            continue
        if key in base_terms:
            overlaps.append(f"{entry.get('id')}: {entry.get('text')!r}")
        elif key in map_terms:
            map_overlaps.append(f"{entry.get('id')}: {entry.get('text')!r}")
    errors += [f"{path}: id {i!r} used {n} times" for i, n in ids.items() if n > 1]
    report = {"file": str(path), "entries": len(entries),
              "systems": dict(Counter(e.get("system") for e in entries)),
              "domains": dict(Counter(e.get("domain") for e in entries)),
              "errors": len(errors), "base_overlaps": len(overlaps), "map_overlaps": len(map_overlaps)}
    for label, items in (("error", errors), ("base overlap", overlaps), ("map overlap", map_overlaps)):
        for item in items[:show]:
            print(f"  {label}: {item}", file=sys.stderr)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--db", default=default_db_path())
    parser.add_argument("--show", type=int, default=50, help="problems listed per kind and file")
    args = parser.parse_args(argv)
    if not Path(args.db).exists():
        parser.error(f"no store at {args.db} (run `termbridge init --db {args.db}`)")
    store = Store(args.db, readonly=True)
    try:
        concepts, base_terms, map_terms = term_sets(store)
    finally:
        store.close()
    failed = False
    for path in args.files:
        if not path.exists():
            parser.error(f"no file {path}")
        report = check_file(path, concepts, base_terms, map_terms, args.show)
        print(json.dumps(report))
        failed |= bool(report["errors"] or report["base_overlaps"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
