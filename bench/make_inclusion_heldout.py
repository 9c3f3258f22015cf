"""Writes bench/data/icd10cm_inclusion_heldout.jsonl: ICD-10-CM inclusion terms
drawn with a fixed seed. `termbridge eval` matches each one with that very term
taken out of the candidate index (the line carries "held_out": true), so the
code must be found from its title, its other terms and the aliases; the
re-ranker's training data never uses these terms.

    python -m bench.make_inclusion_heldout [--db PATH] [--n 500]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from bench.common import ROOT, ensure_default_db
from server import systems
from server.match import content
from server.match.index import term_text
from server.store.store import Store

OUT = ROOT / "bench" / "data" / "icd10cm_inclusion_heldout.jsonl"
SEED = 20261123


def heldout_terms(store: Store, n: int, seed: int = SEED) -> list[tuple[str, str]]:
    """(code, inclusion term) pairs whose text no other term of the code repeats."""
    base = content.read_base(store)
    by_code: dict[str, list[tuple[str, int]]] = {}
    for system, code, text, kind in base.terms:
        if system == systems.ICD10CM:
            by_code.setdefault(code, []).append((text, kind))
    pool = []
    for code, terms in sorted(by_code.items()):
        norms = [term_text(t) for t, _ in terms]
        for (text, kind), norm in zip(terms, norms):
            if kind == content.INCLUSION and norms.count(norm) == 1 and len(terms) > 1:
                pool.append((code, text))
    return random.Random(seed).sample(pool, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-bench.db")
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    store = Store(ensure_default_db(args.db), readonly=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        for i, (code, text) in enumerate(heldout_terms(store, args.n), 1):
            fh.write(json.dumps({"id": f"inc-{i:04d}", "text": text, "system": "icd10cm", "gold": [code],
                                 "style": "inclusion", "held_out": True}) + "\n")
    print(f"wrote {args.n} held-out inclusion terms to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
