"""`termbridge eval`: the last line is one JSON object with the contract's
figures; --baseline adds the baseline's figures and the ratios; a bad file
names the file and line."""

import json

from click.testing import CliRunner

from server.cli.main import cli

from conftest import FIXTURES

SAMPLE = FIXTURES / "match_text" / "eval_sample.jsonl"
KEYS = {"n", "top1", "top5", "no_match", "ece", "ece_floor", "precision_at_auto", "auto_rate", "per_second"}


def check_figures(figures: dict, n: int) -> None:
    assert set(figures) == KEYS and figures["n"] == n
    for key in KEYS - {"n", "per_second", "precision_at_auto"}:
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["top1"] <= figures["top5"] and figures["per_second"] > 0
    assert figures["precision_at_auto"] is None or 0.0 <= figures["precision_at_auto"] <= 1.0


def test_eval_prints_figures_last_and_the_baseline_side_by_side(default_db):
    result = CliRunner().invoke(cli, ["eval", str(SAMPLE), "--baseline", "--group-by", "system", "--workers", "1",
                                      "--db", default_db])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    mine = json.loads(lines[-1])
    check_figures(mine, 6)
    assert mine["top1"] >= 0.8
    baseline = json.loads(next(line for line in lines if line.startswith("baseline ")).split(" ", 1)[1])
    check_figures(baseline, 6)
    ratio = json.loads(next(line for line in lines if line.startswith("ratio ")).split(" ", 1)[1])
    assert ratio["top1"] == round(mine["top1"] / baseline["top1"], 2)
    assert any(line.startswith("system=http://hl7.org/fhir/sid/icd-10-cm ") for line in lines)



def test_eval_in_forked_workers_gives_the_figures_of_one_process(default_db):
    figures = []
    for workers in ("1", "2"):
        result = CliRunner().invoke(cli, ["eval", str(SAMPLE), "--workers", workers, "--db", default_db])
        assert result.exit_code == 0, result.output
        mine = json.loads(result.output.strip().splitlines()[-1])
        assert mine.pop("per_second") > 0
        figures.append(mine)
    assert figures[0] == figures[1]

def test_eval_of_a_bad_line_names_file_and_line(default_db, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "htn", "system": "icd10cm", "gold": ["I10"]}\n{"id": 2, "text": "x"}\n')
    result = CliRunner().invoke(cli, ["eval", str(bad), "--db", default_db])
    assert result.exit_code == 1 and f"{bad}:2" in result.output and "gold" in result.output


def test_match_command_prints_candidates(default_db):
    result = CliRunner().invoke(cli, ["match", "FH breast ca", "--target", "icd10cm", "--json", "--db", default_db])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assertion"]["family"] and data["results"][0]["candidates"][0]["code"] == "Z80.3"
