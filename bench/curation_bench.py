"""Issue 8 figures: time to propose mappings for a 5,000-entry local code
table, and how well the review queue brings wrong auto-proposals to the top.

1. Propose: a legacy-style table of 5,000 real ICD-10-CM billable codes
   (fixed seed) whose titles are abbreviated the way legacy tables write them
   (mappings/abbreviations.tsv read backwards, upper case, no punctuation).
   Baseline in the same run: the text matcher alone on an equal table drawn
   with another seed (what propose adds: merging candidates, the write and the
   audit trail), both after a third table warmed the matcher.
2. Queue ordering on the dev set bench/data/local_table_dev.jsonl (gold known,
   no frequencies): every entry proposed against its gold system, then the
   fraction of the wrong auto-proposals (and of all wrong proposals) that sit in
   the first 20% of the queue, at auto thresholds 0.5, 0.7 and the default
   (0.0 = the matcher's). Baselines in the same run: the same entries ordered
   by source code, and by confidence (lowest first).

    python -m bench.curation_bench [--entries 5000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import tempfile
from pathlib import Path

from bench.common import ROOT, Timer, ensure_default_db
from server.curation import propose, queue
from server.curation.propose import SourceEntry
from server.engine import Engine
from server.store.store import Store

DEV = ROOT / "bench" / "data" / "local_table_dev.jsonl"
LOCAL = "http://termbridge.example.org/fhir/CodeSystem/bench-local"


def legacy_table(store: Store, size: int, seed: int = 7) -> list[SourceEntry]:
    """Real ICD-10-CM titles abbreviated like a legacy local table."""
    with open(ROOT / "mappings" / "abbreviations.tsv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["domain"] != "shorthand" or len(r["expansion"]) > 3]
    senses: dict[str, list[str]] = {}
    for r in rows:
        senses.setdefault(r["expansion"], []).append(r["abbreviation"])
    shorten = sorted(((e, a[0]) for e, a in senses.items() if len(e) > len(a[0])), key=lambda p: -len(p[0]))
    codes = [r["code"] for r in store.query(
        "SELECT c.code FROM concepts c JOIN code_systems s ON s.id = c.cs_id "
        "WHERE s.active = 1 AND c.billable = 1 ORDER BY c.code")]
    chosen = random.Random(seed).sample(codes, size)
    out = []
    for n, code in enumerate(chosen):
        title = store.one("SELECT display FROM concepts WHERE code = ?", (code,))[0].lower()
        for expansion, abbreviation in shorten:
            title = re.sub(rf"\b{re.escape(expansion)}\b", abbreviation, title)
        text = re.sub(r"[,\[\]()]", "", title).upper()
        out.append(SourceEntry(f"L{n:05d}", text[:80], [], 1 + (n * 7919) % 500))
    return out


def propose_speed(engine: Engine, table: list[SourceEntry], other: list[SourceEntry],
                  warm_up: list[SourceEntry]) -> dict:
    """Propose on `table`; the matcher-only baseline on `other`, an equal table drawn with
    another seed, after a third one warmed the index and the matcher's caches."""
    engine.match_texts([e.display for e in warm_up], ("icd10cm",), propose.MAX_CANDIDATES)
    with Timer() as matcher:
        engine.match_texts([e.display for e in other], ("icd10cm",), propose.MAX_CANDIDATES)
    with Timer() as run:
        summary = propose.propose(engine, "bench-speed", LOCAL, table, "icd10cm", 0.0, "bench")
    return {"entries": len(table), "propose_seconds": round(run.seconds, 2),
            "entries_per_second": round(len(table) / run.seconds, 1),
            "auto": summary.auto, "unreviewed": summary.unreviewed,
            "baseline_matcher_only_seconds": round(matcher.seconds, 2),
            "ratio_propose_to_matcher": round(run.seconds / matcher.seconds, 2)}


def queue_quality(engine: Engine, threshold: float) -> dict:
    """Wrong proposals' place in the queue when proposing with this auto threshold."""
    items = [json.loads(line) for line in DEV.read_text().splitlines() if line.strip()]
    gold = {i["id"]: set(i["gold"]) for i in items}
    by_system: dict[str, list[SourceEntry]] = {}
    for i in items:
        by_system.setdefault(i["system"], []).append(SourceEntry(i["id"], i["text"]))
    name = f"bench-dev-{threshold}"
    for system, entries in by_system.items():
        propose.propose(engine, name, LOCAL, entries, system, threshold, "bench")
    entries, _, total = queue.list_queue(engine.store, name, page_size=1000)
    wrong = {e.id for e in entries if e.target_code not in gold[e.source_code]}
    wrong_auto = {e.id for e in entries if e.status == "auto"} & wrong

    def on_top(ordered, of: set) -> float | None:
        top = {e.id for e in ordered[: round(len(ordered) * 0.2)]}
        return round(len(of & top) / len(of), 3) if of else None

    orders = {"queue": entries, "baseline_by_code": sorted(entries, key=lambda e: e.source_code),
              "baseline_lowest_confidence_first": sorted(entries, key=lambda e: (e.confidence, e.source_code))}
    auto = sum(e.status == "auto" for e in entries)
    out = {"auto_threshold": threshold, "entries": total, "auto": auto, "wrong_auto": len(wrong_auto),
           "wrong_unreviewed": len(wrong - wrong_auto)}
    for label, of in (("wrong_auto_in_first_20pct", wrong_auto), ("any_wrong_in_first_20pct", wrong)):
        out[label] = {k: on_top(v, of) for k, v in orders.items()}
        queue_share, by_code = out[label]["queue"], out[label]["baseline_by_code"]
        out[label]["ratio_queue_to_by_code"] = round(queue_share / by_code, 2) if queue_share and by_code else None
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000)
    args = parser.parse_args()
    base = ensure_default_db(Path(tempfile.gettempdir()) / "termbridge-bench.db")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "curation.db"
        shutil.copy(base, db)
        engine = Engine(str(db))
        table, other, warm_up = (legacy_table(engine.store, args.entries, seed) for seed in (7, 8, 9))
        result = {"propose": propose_speed(engine, table, other, warm_up),
                  "queue_ordering": [queue_quality(engine, t) for t in (0.5, 0.7, 0.0)]}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
