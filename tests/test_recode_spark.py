"""`termbridge recode --engine spark` in Spark local[2]: the same bytes as the
local job, from an immutable snapshot shipped to the executors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from server.batch.resolve import Job, parse_targets
from server.batch.runner import Options, run
from server.batch.summary import TIMING_FIELDS
from server.cli.main import cli

FIXTURES = Path(__file__).parent / "fixtures" / "recode"
COLUMNS = ["--code-column", "dx_code", "--system-column", "dx_system", "--text-column", "problem_text", "--labels"]


def _without_timing(path: Path) -> dict:
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in TIMING_FIELDS}


def test_spark_local2_output_equals_local_output(engine, default_db, tmp_path):
    local = tmp_path / "local"
    job = Job(parse_targets("snomed,icd10cm,sdoh"), "dx_code", "", "dx_system", "problem_text", labels=True)
    run(str(FIXTURES / "problems.csv"), str(local), job, default_db, Options(progress=False), engine)
    spark = tmp_path / "spark"
    result = CliRunner().invoke(cli, ["recode", str(FIXTURES / "problems.csv"), "--out", str(spark), *COLUMNS,
                                      "--engine", "spark", "--master", "local[2]", "--chunk-rows", "3",
                                      "--db", default_db])
    assert result.exit_code == 0, result.output
    assert "re-coded 14 rows: 11 out, 3 rejected" in result.output
    for name in ("output.csv", "rejects.csv", "review_queue.jsonl"):
        assert (spark / name).read_bytes() == (local / name).read_bytes(), name
    assert _without_timing(spark / "summary.json") == _without_timing(local / "summary.json")
    snapshots = list(Path(f"{default_db}.snapshots").glob("snapshot-*.db"))
    assert len(snapshots) == 1 and not snapshots[0].stat().st_mode & 0o222  # published read-only
    assert not (spark / ".recode-spark").exists() and not (spark / ".recode").exists()
