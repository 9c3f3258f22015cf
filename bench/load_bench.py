"""Issue 3 figures: load time and peak memory of the full ICD-10-CM 2026 release
and of a synthetic SNOMED CT RF2 Snapshot with International-release row counts
(bench/rf2_generate.py), each `termbridge load` in its own process into a fresh
database. Targets for the RF2 load: under 3 minutes and under 3 GB.

Baselines measured in the same run, also each in its own process: parsing the
CDC XML alone (ElementTree), and a raw read of every RF2 file (lines split on
tab, nothing written).

    python -m bench.load_bench [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Timer
from bench.rf2_generate import generate
from loaders.icd10cm_xml import bundled_path

TARGET_SECONDS, TARGET_MB = 180, 3 * 1024
# Runs `python -c CODE OUT ARGS...` as `python ARGS...` and writes its own peak RSS (VmHWM) to OUT:
# a child's ru_maxrss would include the parent's, inherited through fork and exec.
PEAK = """
import atexit, runpy, sys
out = sys.argv[1]
def peak():
    with open("/proc/self/status") as status, open(out, "w") as fh:
        fh.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(peak)
sys.argv = sys.argv[2:]
if sys.argv[0] == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    exec(compile(sys.argv[0], "<bench>", "exec"), {"__name__": "__main__"})
"""
RAW_READ = """
import sys
from pathlib import Path
for f in sorted(Path(sys.argv[1]).rglob("*.txt")):
    with open(f, encoding="utf-8") as fh:
        for line in fh:
            line.rstrip("\\r\\n").split("\\t")
"""
PARSE_XML = "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])"


def run_child(args: list[str]) -> dict:
    """Wall time and peak RSS of `python ARGS...` in its own process."""
    with tempfile.NamedTemporaryFile("r") as peak, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", PEAK, peak.name, *args], stdout=subprocess.DEVNULL,
                                stderr=err)
        seconds = time.perf_counter() - start
        if result.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(args[:4])} failed: {err.read().decode()[-500:]}")
        return {"seconds": round(seconds, 2), "peak_rss_mb": round(int(peak.read()) / 1024)}


def load(fmt: str, path: Path, db: Path) -> dict:
    return run_child(["-m", "server.cli.main", "load", fmt, str(path), "--db", str(db)])


def with_ratio(result: dict, baseline: dict) -> dict:
    return {**result, "ratio_to_baseline": round(result["seconds"] / baseline["seconds"], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the International row counts.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        icd_parse = run_child([PARSE_XML, str(bundled_path())])
        icd = load("icd10cm-xml", bundled_path(), tmp / "icd.db")
        with Timer() as generation:
            rows = generate(tmp / "rf2", args.scale)
        release = next((tmp / "rf2").iterdir())
        raw = run_child([RAW_READ, str(release)])
        rf2 = load("snomed-rf2", release, tmp / "rf2.db")
        reload = load("snomed-rf2", release, tmp / "rf2.db")
        db_mb = round((tmp / "rf2.db").stat().st_size / 2**20)
    print(json.dumps({
        "icd10cm_2026_load": with_ratio(icd, icd_parse),
        "icd10cm_baseline_xml_parse": icd_parse,
        "rf2_synthetic_rows": rows,
        "rf2_generate_seconds": round(generation.seconds, 1),
        "rf2_load": {**with_ratio(rf2, raw), "database_mb": db_mb,
                     "under_3_minutes": rf2["seconds"] < TARGET_SECONDS, "under_3_gb": rf2["peak_rss_mb"] < TARGET_MB},
        "rf2_reload_no_op": with_ratio(reload, raw),
        "rf2_baseline_raw_read": raw,
    }, indent=2))


if __name__ == "__main__":
    main()
