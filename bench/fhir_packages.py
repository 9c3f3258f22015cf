"""Issue 3 figures: loading the three real FHIR NPM packages with the `fhir`
loader (one transaction per package), each into a fresh database, then again
(the checksum no-op).

Baseline measured in the same run: reading the package's resource files
(package/*.json) and parsing their JSON (tarfile + json.loads), the floor any
loader pays.

    python -m bench.fhir_packages [--packages DIR]
"""

from __future__ import annotations

import argparse
import json
import tarfile
import tempfile
from pathlib import Path

from bench.common import ROOT, Timer
from server.load import run_load
from server.store.store import Store

PACKAGES = ("hl7.fhir.us.sdoh-clinicalcare-2.2.0.tgz", "us.ny.hrsn-1.4.2.tgz", "hl7.terminology.r4-7.0.1.tgz")


def parse_only(path: Path) -> None:
    """Read and parse the files the loader reads: package/*.json (not examples)."""
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".json") and member.name.count("/") == 1:
                try:
                    json.loads(tar.extractfile(member).read().decode("utf-8-sig"))
                except ValueError:
                    pass


def measure(path: Path) -> dict:
    with Timer() as baseline:
        parse_only(path)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        with Timer() as load:
            summaries = run_load(store, "fhir", path)
        with Timer() as reload:
            again = run_load(store, "fhir", path)
        store.close()
    total = summaries[-1]
    assert {s.status for s in again} == {"unchanged"}
    return {"package": f"{total.url}#{total.version}", "resources": dict(total.counts),
            "skipped": sum(total.skipped.values()), "load_seconds": round(load.seconds, 2),
            "reload_seconds": round(reload.seconds, 2), "baseline_parse_seconds": round(baseline.seconds, 2),
            "ratio_load_to_parse": round(load.seconds / baseline.seconds, 1),
            "ratio_reload_to_parse": round(reload.seconds / baseline.seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=Path, default=ROOT.parent / "shared" / "data" / "fhir_packages")
    args = parser.parse_args()
    print(json.dumps([measure(args.packages / name) for name in PACKAGES], indent=2))


if __name__ == "__main__":
    main()
