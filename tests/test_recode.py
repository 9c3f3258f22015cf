"""Batch re-coding (`termbridge recode`): CSV/TSV/NDJSON/FHIR Bulk NDJSON in,
re-coded rows, rejects, review queue and summary out; accounting, labels,
determinism across worker counts, resume after SIGKILL."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.batch.readers import chunks, open_source, read_chunk, scan
from server.batch.resolve import FREE_TEXT_SYSTEM, Job, parse_targets
from server.batch.runner import Options, run
from server.batch.summary import TIMING_FIELDS
from server.cli.main import cli
from server.systems import ICD10CM, SDOHCC, SNOMED

FIXTURES = Path(__file__).parent / "fixtures" / "recode"
CMHC = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"
TERMBRIDGE = str(Path(sys.executable).with_name("termbridge"))


def recode(engine, tmp_path, input_path, name="out", workers=1, **job) -> tuple[Path, dict]:
    job.setdefault("targets", parse_targets("snomed,icd10cm,sdoh"))
    out = tmp_path / name
    summary = run(str(input_path), str(out), Job(**job), engine.db_path, Options(workers, progress=False), engine)
    return out, summary


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def problems(engine, tmp_path_factory):
    """The problem-list fixture with code, system column and text column, labels on."""
    return recode(engine, tmp_path_factory.mktemp("problems"), FIXTURES / "problems.csv", code_column="dx_code",
                  system_column="dx_system", text_column="problem_text", labels=True)


def test_csv_rows_gain_target_columns(problems):
    out, _ = problems
    rows = {r["row_id"]: r for r in read_csv(out / "output.csv")}
    assert rows["2"]["sdoh_code"] == "food-insecurity" and rows["2"]["decision"] == "auto"
    assert rows["2"]["icd10cm_code"] == "Z59.41"  # already ICD-10-CM: kept as the answer
    assert (rows["4"]["icd10cm_code"], rows["4"]["snomed_code"]) == ("F32.9", "370143000")  # CMHC local code
    assert rows["4"]["icd10cm_relationship"] == "equivalent" and float(rows["4"]["icd10cm_confidence"]) >= 0.9
    assert rows["9"]["decision"] == "no_match" and rows["9"]["icd10cm_code"] == ""  # F99.99 does not exist
    assert rows["7"]["icd10cm_code"] == "F33.1"  # free text "MDD, recurrent, moderate"
    assert rows["13"]["problem_text"] == "ETOH dependence\nin early remission"  # multi-line quoted field kept
    assert rows["13"]["icd10cm_code"].startswith("F10.2")


def test_csv_output_keeps_input_bytes(problems):
    out, _ = problems
    original = (FIXTURES / "problems.csv").read_text().splitlines()
    produced = (out / "output.csv").read_text().splitlines()
    assert produced[0].startswith(original[0] + ",snomed_code,")
    assert produced[1].startswith(original[1] + ",")


def test_malformed_rows_go_to_rejects_with_line_and_reason(problems):
    out, summary = problems
    rejects = read_csv(out / "rejects.csv")
    assert [(r["line"], r["row_id"]) for r in rejects] == [("11", "10"), ("12", "11"), ("13", "12")]
    reasons = [r["reason"] for r in rejects]
    assert "unknown code system 'local-ehr'" in reasons[0]
    assert reasons[1] == "no code or text to re-code"
    assert reasons[2] == "5 fields, the header has 6"
    assert summary["rows_in"] == 14 and summary["rejected"] == 3
    assert summary["rows_out"] + summary["rejected"] == summary["rows_in"]
    assert len(read_csv(out / "output.csv")) == summary["rows_out"]


def test_labels_columns(problems):
    out, _ = problems
    rows = {r["row_id"]: r for r in read_csv(out / "output.csv")}
    assert rows["3"]["confidentiality"] == "R" and "SUD" in rows["3"]["sensitivity"].split("|")  # F10.20
    assert "OPIOIDUD" in rows["5"]["sensitivity"].split("|")  # CMHC "OUD SEV ON MAT" via F11.20
    assert rows["2"]["confidentiality"] == "N" and rows["2"]["sensitivity"] == ""  # food insecurity


def test_summary_fields(problems):
    out, summary = problems
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == summary
    for key in ("rows_in", "rows_out", "rejected", "per_second", "seconds", "decisions", "by_target_system",
                "top_unmapped", "content_fingerprint"):
        assert key in summary
    assert sum(summary["decisions"].values()) == summary["rows_out"]
    assert set(summary["by_target_system"]) == {SNOMED, ICD10CM, SDOHCC}
    assert {"system": ICD10CM, "code": "F99.99", "display": "", "rows": 1} in summary["top_unmapped"]


def test_review_queue_lines(problems):
    out, _ = problems
    lines = [json.loads(line) for line in (out / "review_queue.jsonl").read_text().splitlines()]
    assert lines == sorted(lines, key=lambda i: -i["frequency"])
    unmapped = [i for i in lines if i["source"]["code"] == "F99.99"]
    assert {i["target"]["system"] for i in unmapped} == {SNOMED, ICD10CM, SDOHCC}
    assert all(i["target"]["code"] == "" and i["status"] == "unreviewed" for i in unmapped)
    review = [i for i in lines if i["target"]["code"]]
    assert review and all(i["candidates"] and i["confidence"] < 0.9 for i in review)
    texts = [i for i in lines if i["source"]["system"] == FREE_TEXT_SYSTEM]
    assert texts and all(i["source"]["code"].startswith("text-") for i in texts)


def test_review_queue_imports_into_curation(problems, default_db, tmp_path):
    out, _ = problems
    db = tmp_path / "curation.db"
    with sqlite3.connect(default_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    runner = CliRunner()
    result = runner.invoke(cli, ["curate", "import-queue", str(out / "review_queue.jsonl"), "--map-set",
                                 "hie_recode_review", "--as", "tester", "--db", str(db)])
    assert result.exit_code == 0, result.output
    count = len((out / "review_queue.jsonl").read_text().splitlines())
    assert f"imported {count} of {count} review-queue entries" in result.output
    listed = runner.invoke(cli, ["curate", "queue", "--map-set", "hie_recode_review", "--json", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    entries = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert len(entries) == count
    f99 = [e for e in entries if e["source"]["code"] == "F99.99"]
    assert f99 and all(e["status"] == "unreviewed" and "no match" in e["note"] for e in f99)


@pytest.mark.parametrize("rows", [1, 2, 3, 5, 1000])
def test_chunks_hold_every_record_once_with_its_line(rows):
    source = open_source(str(FIXTURES / "problems.csv"), fhir=False)
    with open(source.path, "rb") as fh:
        fh.seek(source.data_start)
        whole = [(line, raw) for line, _, _, raw in scan(fh, source.first_line, quoted=True)]
    pieces = list(chunks(source, rows, source.data_start, source.first_line))
    assert [c.index for c in pieces] == list(range(len(pieces)))
    assert [r for c in pieces for r in read_chunk(source, c)] == whole
    assert whole[-2][0] == 14 and whole[-2][1].endswith(b"in early remission\"")  # a record over two lines
    assert len(whole) == 14


def test_tsv_with_fixed_system(engine, tmp_path):
    path = tmp_path / "dx.tsv"
    path.write_text("id\tcode\n1\tZ59.41\n2\tF10.20\n3\tnot a code at all\n4\tZ59.41\textra\n")
    out, summary = recode(engine, tmp_path, path, code_column="code", system="icd10cm",
                          targets=parse_targets("sdoh"))
    lines = (out / "output.tsv").read_text().splitlines()
    assert lines[0] == "id\tcode\tsdoh_code\tsdoh_display\tsdoh_relationship\tsdoh_confidence\tdecision"
    assert lines[1] == "1\tZ59.41\tfood-insecurity\tFood Insecurity\tsource-is-narrower-than-target\t1.0\tauto"
    rejects = (out / "rejects.tsv").read_text().splitlines()
    assert rejects[0] == "line\treason\tid\tcode"
    assert rejects[-1] == "5\t3 fields, the header has 2\t4\tZ59.41\textra"
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (4, 3, 1)


def test_ndjson_objects_gain_a_recode_member(engine, tmp_path):
    path = tmp_path / "problems.ndjson"
    path.write_text('{"id":1,"code":"Z59.41","system":"icd10cm"}\n'
                    '{"id":2,"text":"homeless - living in shelter"}\n'
                    '\n'
                    '{"id":3,"code":["F32.A"],"system":"icd10cm"}\n'
                    'not json\n')
    out, summary = recode(engine, tmp_path, path, code_column="code", system_column="system", text_column="text")
    lines = (out / "output.ndjson").read_text().splitlines()
    assert lines[0].startswith('{"id":1,"code":"Z59.41","system":"icd10cm","recode":{')
    first, second = (json.loads(line) for line in lines)
    assert first["recode"]["targets"]["sdoh"]["code"] == "food-insecurity"
    assert first["recode"]["decision"] == "auto"
    assert second["recode"]["targets"]["icd10cm"]["code"].startswith("Z59.0")
    rejects = [json.loads(line) for line in (out / "rejects.ndjson").read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in rejects][0] == (4, "member code is not a string")
    assert rejects[1]["line"] == 5 and rejects[1]["reason"].startswith("not JSON")
    assert rejects[1]["record"] == "not json"
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (4, 2, 2)


def _codings(concept: dict) -> list[tuple]:
    return [(c["system"], c["code"]) for c in concept["coding"]]


def test_fhir_bulk_condition_gains_codings_keeps_originals(engine, tmp_path):
    originals = [json.loads(line) for line in (FIXTURES / "Condition.ndjson").read_text().splitlines()]
    out, summary = recode(engine, tmp_path, FIXTURES / "Condition.ndjson", labels=True)
    produced = [json.loads(line) for line in (out / "output.ndjson").read_text().splitlines()]
    assert summary["rows_in"] == summary["rows_out"] == 2
    for before, after in zip(originals, produced):
        assert after["id"] == before["id"] and after["subject"] == before["subject"]
        old = before["code"]["coding"]
        assert after["code"]["coding"][:len(old)] == old  # originals first and untouched
        assert after["clinicalStatus"] == before["clinicalStatus"]  # status codes are not re-coded
        assert after["extension"][-1]["url"].endswith("recode-decision")
    homeless = produced[0]
    added = homeless["code"]["coding"][2:]
    assert [(c["system"], c["code"]) for c in added] == [(SDOHCC, "homelessness")]  # SNOMED and ICD were there
    assert added[0]["userSelected"] is False
    assert {e["url"].rsplit("/", 1)[1] for e in added[0]["extension"]} == {"recode-relationship",
                                                                            "recode-confidence"}
    assert {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"} in \
        homeless["meta"]["security"]


def test_fhir_bulk_observation_answer_recoded_with_its_question(engine, tmp_path):
    out, summary = recode(engine, tmp_path, FIXTURES / "Observation.ndjson")
    hunger, housing = (json.loads(line) for line in (out / "output.ndjson").read_text().splitlines())
    assert _codings(hunger["code"]) == [("http://loinc.org", "88124-3")]  # the question: nothing maps, kept
    answer = _codings(hunger["valueCodeableConcept"])
    assert answer[0] == ("http://loinc.org", "LA19952-3")
    assert (SNOMED, "733423003") in answer and (ICD10CM, "Z59.41") in answer and (SDOHCC, "food-insecurity") in answer
    assert (SDOHCC, "homelessness") in _codings(housing["valueCodeableConcept"])
    assert summary["decisions"]["auto"] == 2


def test_fhir_bulk_rejects_bad_lines(engine, tmp_path):
    path = tmp_path / "Condition.ndjson"
    good = (FIXTURES / "Condition.ndjson").read_text().splitlines()[0]
    path.write_text(f'{good}\n{{"resourceType":"Patient","id":"p1"}}\n{good[:40]}\n')
    out, summary = recode(engine, tmp_path, path)
    rejects = [json.loads(line) for line in (out / "rejects.ndjson").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 3]
    assert "resource type 'Patient'" in rejects[0]["reason"] and rejects[1]["reason"].startswith("not JSON")
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (3, 1, 2)


def test_cli_contract_and_usage_errors(default_db, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(cli, ["recode", str(FIXTURES / "problems.csv"), "--out", str(tmp_path / "o"),
                              "--code-column", "dx_code", "--db", default_db])
    assert bad.exit_code == 2 and "--code-column needs --system or --system-column" in bad.output
    missing = runner.invoke(cli, ["recode", str(FIXTURES / "problems.csv"), "--out", str(tmp_path / "o"),
                                  "--code-column", "nope", "--system", "icd10cm", "--db", default_db])
    assert missing.exit_code == 1 and "column nope is not in the header" in missing.output
    target = runner.invoke(cli, ["recode", str(FIXTURES / "problems.csv"), "--out", str(tmp_path / "o"),
                                 "--text-column", "problem_text", "--target", "icd9", "--db", default_db])
    assert target.exit_code == 1 and "unknown code system 'icd9'" in target.output


# --- determinism and resume, through the real command in subprocesses ---

def _history(path: Path, rows: int) -> None:
    """A coded HIE history: a few hundred distinct codes repeated, as real exports are."""
    local = [line.split(",")[0] for line in
             (Path(__file__).parents[1] / "mappings/local/cmhc_problem_codes.csv").read_text().splitlines()[1:]]
    icd = ["F32.A", "F33.1", "F41.1", "F10.20", "F11.20", "Z59.41", "Z59.01", "I10", "E11.9", "F43.10", "F99.99"]
    rng = random.Random(7)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["row_id", "dx_code", "dx_system"])
        for i in range(rows):
            if rng.random() < 0.4:
                writer.writerow([i, rng.choice(local), CMHC])
            else:
                writer.writerow([i, rng.choice(icd), "icd10cm"])
            if i % 9973 == 5:
                writer.writerow([f"{i}b", "F32.A"])  # a short row: rejected


def _command(default_db, input_path, out, *extra) -> list[str]:
    return [TERMBRIDGE, "recode", str(input_path), "--out", str(out), "--code-column", "dx_code",
            "--system-column", "dx_system", "--db", default_db, *extra]


OUTPUTS = ("output.csv", "rejects.csv", "review_queue.jsonl")


def test_workers_and_resume_after_sigkill_are_byte_identical(engine, default_db, tmp_path):
    history = tmp_path / "history.csv"
    _history(history, 60_000)
    # workers 1, in process
    single, summary = recode(engine, tmp_path, history, "single", code_column="dx_code", system_column="dx_system")
    assert summary["rows_in"] == 60_007 and summary["rejected"] == 7
    # workers 2, interrupted by SIGKILL once chunks are checkpointed, then resumed
    out = tmp_path / "resumed"
    proc = subprocess.Popen(_command(default_db, history, out, "--workers", "2", "--chunk-rows", "500"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoint = out / ".recode" / "checkpoint.json"
    while proc.poll() is None:
        try:
            if json.loads(checkpoint.read_text())["next_chunk"] >= 3:
                os.killpg(proc.pid, signal.SIGKILL)
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    assert proc.wait() == -signal.SIGKILL, "the job ended before it could be interrupted"
    assert not (out / "output.csv").exists()
    assert json.loads(checkpoint.read_text())["next_chunk"] >= 3
    resumed = subprocess.run(_command(default_db, history, out, "--workers", "2", "--chunk-rows", "500", "--resume"),
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (single / name).read_bytes(), name
    after = json.loads((out / "summary.json").read_text())
    before = json.loads((single / "summary.json").read_text())
    assert after["rows_out"] + after["rejected"] == after["rows_in"] == 60_007
    assert {k: v for k, v in after.items() if k not in TIMING_FIELDS} == \
        {k: v for k, v in before.items() if k not in TIMING_FIELDS}
    assert not (out / ".recode").exists()


def test_resume_refuses_a_checkpoint_of_other_options(engine, default_db, tmp_path):
    history = tmp_path / "h.csv"
    _history(history, 50)
    out = tmp_path / "o"
    work = out / ".recode"
    work.mkdir(parents=True)
    (work / "checkpoint.json").write_text(json.dumps({"identity": {"input": "elsewhere"}}))
    result = CliRunner().invoke(cli, ["recode", str(history), "--out", str(out), "--code-column", "dx_code",
                                      "--system-column", "dx_system", "--resume", "--db", default_db])
    assert result.exit_code == 1 and "run without --resume to start over" in result.output
    shutil.rmtree(out)
