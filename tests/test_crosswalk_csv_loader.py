"""Simple crosswalk CSV -> map set, on rows of the curated CMHC map."""

import json

import pytest
from click.testing import CliRunner

from loaders import crosswalk_csv
from server.cli.main import cli
from server.errors import LoadError
from server.load import run_load

from conftest import FIXTURES
from loader_helpers import snapshot

SAMPLE = FIXTURES / "crosswalk_csv" / "cmhc_problem_codes_crosswalk.csv"
CMHC = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"


def entries(store):
    return store.query("SELECT s.name, s.version, s.active, e.* FROM map_entries e "
                       "JOIN map_sets s ON s.id = e.map_set_id ORDER BY e.id")


def variant(tmp_path, replace, name="crosswalk.csv"):
    path = tmp_path / name
    text = SAMPLE.read_text()
    for old, new in replace:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    return path


def test_rows_become_map_entries_with_canonical_systems_and_relationships(store):
    summary = run_load(store, "crosswalk-csv", SAMPLE)[0]
    assert (summary.kind, summary.url, summary.counts["maps"], summary.active) == (
        "map_set", "cmhc_problem_codes_crosswalk", 8, True)
    assert summary.version == crosswalk_csv.read_metadata(SAMPLE).checksum[:12]
    rows = entries(store)
    first = rows[0]
    assert (first["source_system"], first["source_code"], first["target_system"], first["target_code"]) == (
        CMHC, "BH0100", "http://hl7.org/fhir/sid/icd-10-cm", "F32.A")  # alias icd10cm, code written F32A
    assert (first["relationship"], first["confidence"], first["status"], first["author"]) == (
        "equivalent", 0.95, "accepted", "termbridge:curation-team")
    assert json.loads(first["provenance"]) == {
        "justification": "same meaning as the ICD-10-CM code; depression not further specified", "line": 2}
    assert {r["relationship"] for r in rows} == {"equivalent", "source-is-broader-than-target"}  # skos:narrowMatch
    assert rows[1]["relationship"] == "equivalent" and rows[1]["target_system"] == "http://snomed.info/sct"
    assert rows[-1]["target_display"] == "Atypical depressive disorder (disorder)"


def test_empty_confidence_and_author(store, tmp_path):
    path = variant(tmp_path, [(",skos:narrowMatch,0.80,termbridge:curation-team,", ",skos:narrowMatch,,,")])
    run_load(store, "crosswalk-csv", path)
    last = entries(store)[-1]
    assert (last["confidence"], last["status"], last["author"]) == (0.9, "unreviewed", "")


@pytest.mark.parametrize("replace, line, reason", [
    ([(",equivalent,0.90,", ",close enough,0.90,")], 4, "unknown relationship 'close enough'"),
    ([(",skos:exactMatch,1.00,", ",skos:exactMatch,1.5,")], 7, "confidence 1.5 is outside [0, 1]"),
    ([(",skos:exactMatch,1.00,", ",skos:exactMatch,high,")], 7, "confidence 'high' is not a number"),
    ([(",icd10cm,F32.0,", ",ICD 10,F32.0,")], 8, "target_system 'ICD 10' is not a URI or a known alias"),
    ([("MDD SGL MILD,icd10cm", "MDD SGL MILD,extra,icd10cm")], 8, "expected 10 columns, found 11"),
    ([("relationship,confidence,", "rel,confidence,")], 1, "missing column(s) relationship"),
])
def test_bad_rows_name_file_and_line_and_change_nothing(store, tmp_path, replace, line, reason):
    run_load(store, "crosswalk-csv", SAMPLE, version="v1")
    before = snapshot(store)
    path = variant(tmp_path, replace, name="cmhc_problem_codes_crosswalk.csv")
    with pytest.raises(LoadError) as err:
        run_load(store, "crosswalk-csv", path, version="v2", activate=True)
    assert err.value.message.startswith(f"{path}:{line}: {reason}")
    assert snapshot(store) == before


def test_reload_versions_activate_and_dry_run(store, tmp_path):
    dry = run_load(store, "crosswalk-csv", SAMPLE, version="2026.11", dry_run=True)[0]
    assert dry.status == "dry-run" and dry.counts["maps"] == 8 and entries(store) == []
    run_load(store, "crosswalk-csv", SAMPLE, version="2026.11")
    before = snapshot(store)
    assert run_load(store, "crosswalk-csv", SAMPLE, version="2026.11")[0].status == "unchanged"
    assert snapshot(store) == before
    path = variant(tmp_path, [(",0.95,", ",0.5,")], name="cmhc_problem_codes_crosswalk.csv")
    assert not run_load(store, "crosswalk-csv", path, version="2026.12")[0].active
    run_load(store, "crosswalk-csv", path, version="2026.12", activate=True)
    active = {(r["version"], r["active"]) for r in entries(store)}
    assert active == {("2026.11", 0), ("2026.12", 1)}


def test_cli_prints_the_summary(tmp_path):
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(cli, ["load", "crosswalk-csv", str(SAMPLE), "--version", "1", "--db", db])
    assert result.exit_code == 0
    assert result.output == "loaded: map_set cmhc_problem_codes_crosswalk version 1 (active): maps 8\n"
