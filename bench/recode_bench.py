"""Issue 7 figures: `termbridge recode` rows/s on this machine, and on Spark local[2].

Input is generated (fixed seed) the way HIE history looks: a CSV export of
problem-list rows, highly repetitive (Zipf-distributed codes and phrases).

- coded rows: ICD-10-CM codes drawn from the behavioral-health chapter
  (F01-F99), the SDOH Z codes (Z55-Z65) and common general problems, plus the
  CMHC local problem codes (mappings/local), 5% of rows with a wrong field count;
- free-text rows: problem-list phrasing generated from those codes' ICD-10-CM
  titles, shortened with the clinical abbreviations of mappings/abbreviations.tsv
  ("MDD recurrent, moderate", "hx of ETOH dep in remission", "r/o PTSD").

Each figure is reported against a baseline measured in the same run over the
same file: a plain CSV read + write pass (Python csv module), the I/O floor.

    python -m bench.recode_bench [--coded 1000000] [--text 100000] [--spark-rows 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from bench.common import OUT, ROOT, Timer, ensure_default_db
from server.batch.resolve import Job, parse_targets
from server.batch.runner import Options, run
from server.store.store import Store
from server.systems import ICD10CM

SEED = 20261123
CMHC = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"
GENERAL = ["I10", "E11.9", "E78.5", "J45.909", "J44.9", "E66.9", "M54.50", "G89.29", "K21.9", "B18.2", "B20",
           "N18.30", "I25.10", "E03.9", "G47.33", "M17.11", "R51.9", "Z72.0", "Z79.4", "O99.320"]
PREFIXES = ["", "", "", "hx of ", "h/o ", "r/o ", "pt w/ ", "chronic ", "? "]


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (k ** s) for k in range(1, n + 1)]


def code_pool(db: Path) -> list[tuple[str, str, str]]:
    """(code, system, display) of the codes HIE history draws from."""
    store = Store(db, readonly=True)
    cs = store.code_system(ICD10CM)
    rows = store.query("SELECT code, display FROM concepts WHERE cs_id = ? AND billable = 1 AND active = 1 AND "
                       "((code >= 'F01' AND code < 'G') OR (code >= 'Z55' AND code < 'Z66')) ORDER BY code",
                       (cs["id"],))
    pool = [(r["code"], "icd10cm", r["display"]) for r in rows]
    general = {r["code"]: r["display"] for r in store.query(
        f"SELECT code, display FROM concepts WHERE cs_id = ? AND code IN ({','.join('?' * len(GENERAL))})",
        (cs["id"], *GENERAL))}
    pool += [(c, "icd10cm", general[c]) for c in GENERAL if c in general]
    with open(ROOT / "mappings" / "local" / "cmhc_problem_codes.csv", newline="", encoding="utf-8") as fh:
        pool += [(r["code"], CMHC, r["display"]) for r in csv.DictReader(fh)]
    store.close()
    return pool


def _abbreviations() -> list[tuple[str, str]]:
    with open(ROOT / "mappings" / "abbreviations.tsv", newline="", encoding="utf-8") as fh:
        pairs = [(r["expansion"].lower(), r["abbreviation"]) for r in csv.DictReader(fh, delimiter="\t")]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest expansion first


def phrase(display: str, rng: random.Random, abbreviations) -> str:
    """A problem-list entry a clinician might type for this title."""
    text = display.lower()
    for expansion, abbreviation in abbreviations:
        if expansion in text and rng.random() < 0.7:
            text = text.replace(expansion, abbreviation.upper() if len(abbreviation) <= 4 else abbreviation)
    if rng.random() < 0.5:
        text = text.replace(",", "")
    if rng.random() < 0.3:
        text = text.replace(" unspecified", "").replace(", unspecified", "")
    return rng.choice(PREFIXES) + text.strip()


def generate(path: Path, rows: int, kind: str, pool, seed: int = SEED) -> None:
    """`kind` coded: code + system columns; text: the problem text column only."""
    rng = random.Random(seed)
    order = pool[:]
    rng.shuffle(order)  # which codes are frequent
    weights = _zipf_weights(len(order))
    abbreviations = _abbreviations()
    phrases = [phrase(d, rng, abbreviations) for _, _, d in order]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["row_id", "patient_id", "encounter_date", "dx_code", "dx_system", "problem_text"])
        picks = rng.choices(range(len(order)), weights, k=rows)
        for i, n in enumerate(picks):
            code, system, _ = order[n]
            row = [i, f"P{rng.randrange(1, 200_000):06d}", f"20{rng.randrange(15, 26)}-0{rng.randrange(1, 10)}-15"]
            row += [code, system, ""] if kind == "coded" else ["", "", phrases[n]]
            if rng.random() < 0.05:
                row = row[:-1]  # a short row: rejected
            out.writerow(row)


def io_floor(path: Path, out: Path) -> float:
    """Seconds for a plain CSV read + write of the same file (the baseline)."""
    with Timer() as t, open(path, newline="", encoding="utf-8") as src, \
            open(out, "w", newline="", encoding="utf-8") as dst:
        writer = csv.writer(dst, lineterminator="\n")
        for row in csv.reader(src):
            writer.writerow(row + ["", "", "", ""])
    return t.seconds


def measure(path: Path, out: Path, db: Path, kind: str, workers: int, engine: str = "local") -> dict:
    columns = ("dx_code", "", "dx_system", "") if kind == "coded" else ("", "", "", "problem_text")
    job = Job(parse_targets("snomed,icd10cm,sdoh"), *columns)
    with Timer() as t:
        if engine == "spark":
            from server.batch.spark import run_spark
            summary = run_spark(str(path), str(out), job, str(db), f"local[{workers}]", 5000)
        else:
            summary = run(str(path), str(out), job, str(db), Options(workers, progress=False))
    floor = io_floor(path, out / "floor.csv")
    rows = summary["rows_in"]
    return {"engine": engine, "kind": kind, "workers": workers, "rows": rows, "seconds": round(t.seconds, 2),
            "rows_per_second": round(rows / t.seconds), "decisions": summary["decisions"],
            "rejected": summary["rejected"], "baseline_csv_read_write_rows_per_second": round(rows / floor),
            "ratio_to_baseline": round(floor / t.seconds, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coded", type=int, default=1_000_000)
    parser.add_argument("--text", type=int, default=100_000)
    parser.add_argument("--spark-rows", type=int, default=100_000, help="coded rows for Spark local[N] (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-recode-bench.db")
    args = parser.parse_args()
    db = ensure_default_db(args.db)
    pool = code_pool(db)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind, rows, engine in (("coded", args.coded, "local"), ("text", args.text, "local"),
                                   ("coded", args.spark_rows, "spark")):
            if not rows:
                continue
            path = tmp / f"{kind}-{rows}.csv"
            if not path.exists():
                generate(path, rows, kind, pool)
            result = measure(path, tmp / f"out-{kind}-{engine}", db, kind, args.workers, engine)
            print(json.dumps(result), flush=True)
            results.append(result)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "recode_bench.json").write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M"),
                                                       "distinct_codes": len(pool), "results": results}, indent=2))


if __name__ == "__main__":
    main()
