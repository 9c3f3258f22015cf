"""The checked-in _pb2 code is exactly what proto/generate.py produces."""

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_regeneration_matches_checked_in_code(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "proto" / "generate.py"), str(tmp_path)], check=True)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.py"))
    assert generated, "generator produced nothing"
    checked_in = sorted(p.relative_to(ROOT / "proto") for p in (ROOT / "proto").rglob("*_pb2*.py"))
    assert generated == checked_in
    for rel in generated:
        assert filecmp.cmp(tmp_path / rel, ROOT / "proto" / rel, shallow=False), f"{rel} differs; run proto/generate.py"
