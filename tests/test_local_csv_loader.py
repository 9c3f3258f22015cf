"""Local code tables (CSV/TSV) as code systems under a user-named canonical URI,
on a cut of the curated CMHC problem-code table."""

import json

import pytest
from click.testing import CliRunner

from server import terminology
from server.cli.main import cli
from server.errors import InvalidArgument, LoadError
from server.load import LOCAL_CODE_SYSTEMS, run_load
from termbridge.v1 import terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc

from conftest import FIXTURES
from loader_helpers import snapshot, terminology_stub

SAMPLE = FIXTURES / "local_csv" / "cmhc_problem_codes_sample.csv"
SYSTEM = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_codes_synonyms_and_parents_through_lookup_concept(store):
    summary = run_load(store, "local-csv", SAMPLE, system=SYSTEM)[0]
    assert (summary.status, summary.active, summary.url) == ("loaded", True, SYSTEM)
    assert dict(summary.counts) == {"concepts": 18, "designations": 18 + 23, "relationships": 17}
    assert summary.version == store.code_system(SYSTEM)["checksum"][:12]
    with terminology_stub(store.path) as stub:
        concept = stub.LookupConcept(pb.LookupConceptRequest(system=SYSTEM, code="BH0101")).concept
    assert concept.coding.display == "MDD NOS"
    assert {(d.use, d.value) for d in concept.designations} == {
        ("preferred", "MDD NOS"), ("synonym", "MAJ DEP NOS"), ("synonym", "MDD UNSP EPISODE")}
    assert [p.code for p in concept.parents] == ["BH0100"]
    assert {c.code for c in concept.children} == {"BH0102", "BH0110"}
    hits, _ = terminology.search(store, "maj dep nos", [SYSTEM])
    assert hits[0].code == "BH0101"


def test_system_is_required_and_must_be_a_uri(store):
    with pytest.raises(InvalidArgument) as err:
        run_load(store, "local-csv", SAMPLE)
    assert err.value.reason == "SYSTEM_REQUIRED" and "--system" in err.value.message
    with pytest.raises(InvalidArgument) as err:
        run_load(store, "local-csv", SAMPLE, system="cmhc problem codes")
    assert err.value.reason == "SYSTEM_NOT_A_URI"


def test_tsv_with_other_column_names_and_extra_columns(store, tmp_path):
    rows = [line.split(",") for line in SAMPLE.read_text().splitlines()]
    renamed = ["Problem Code\tDescription\tAlso Known As\tRoll-up\tProgram"] + \
        ["\t".join([*r, "SUD" if i % 2 else "MH"]) for i, r in enumerate(rows[1:])]
    path = write(tmp_path, "problems.tsv", "\n".join(renamed) + "\n")
    with pytest.raises(LoadError) as err:  # the default column names are not there
        run_load(store, "local-csv", path, system=SYSTEM)
    assert err.value.line == 1 and "missing column(s) code, display" in err.value.message
    summary = run_load(store, "local-csv", path, system=SYSTEM, code_column="Problem Code",
                       display_column="Description", synonyms_column="Also Known As", parent_column="Roll-up")[0]
    assert summary.counts["concepts"] == 18 and summary.counts["relationships"] == 17
    view = terminology.lookup(store, SYSTEM, "BH0101")
    assert view.parents == [("BH0100", "DEPRESSION NOS")] and ("Program", "SUD") in view.properties


def test_delimiter_option_for_other_extensions(store, tmp_path):
    path = write(tmp_path, "problems.txt", SAMPLE.read_text().replace(",", ";"))
    summary = run_load(store, "local-csv", path, system=SYSTEM, delimiter="semicolon")[0]
    assert summary.counts["concepts"] == 18


@pytest.mark.parametrize("damage, line, reason", [
    (lambda t: t.replace("BH0105,MDD SGL SEV W/O PSY,", "BH0105,MDD SGL SEV, W/O PSY,"), 7, "expected 4 columns, found 5"),
    (lambda t: t.replace("BH0111,", "BH0110,"), 12, "code BH0110 repeated (first on line 11)"),
    (lambda t: t.replace(",BH0110\n", ",BH0999\n", 1), 12, "parent BH0999 is not a code of this table"),
    (lambda t: t.replace("BH0103,", ",", 1), 5, "empty code"),
])
def test_bad_rows_name_file_and_line_and_change_nothing(store, tmp_path, damage, line, reason):
    run_load(store, "local-csv", SAMPLE, system=SYSTEM, version="v1")
    before = snapshot(store)
    path = write(tmp_path, "broken.csv", damage(SAMPLE.read_text()))
    with pytest.raises(LoadError) as err:
        run_load(store, "local-csv", path, system=SYSTEM, version="v2", activate=True)
    assert err.value.message == f"{path}:{line}: {reason}"
    assert snapshot(store) == before
    assert terminology.lookup(store, SYSTEM, "BH0103").version == "v1"


def test_bad_encoding_names_the_line(store, tmp_path):
    path = write(tmp_path, "latin1.csv", SAMPLE.read_text().replace("MDD SGL MOD", "MDD SGL MOD\u00e9").encode("latin-1"))
    with pytest.raises(LoadError) as err:
        run_load(store, "local-csv", path, system=SYSTEM)
    assert err.value.line == 6 and "bad encoding" in err.value.message and store.code_systems() == []


def test_reload_versions_activate_and_dry_run(store, tmp_path):
    dry = run_load(store, "local-csv", SAMPLE, system=SYSTEM, dry_run=True)[0]
    assert dry.status == "dry-run" and dry.counts["concepts"] == 18 and store.code_systems() == []
    run_load(store, "local-csv", SAMPLE, system=SYSTEM)
    before = snapshot(store)
    assert run_load(store, "local-csv", SAMPLE, system=SYSTEM)[0].status == "unchanged"
    assert snapshot(store) == before
    renamed = write(tmp_path, "v2.csv", SAMPLE.read_text().replace("MDD NOS", "MAJOR DEPRESSION NOS"))
    v2 = run_load(store, "local-csv", renamed, system=SYSTEM, version="2026.12")[0]
    assert not v2.active and terminology.lookup(store, SYSTEM, "BH0101").display == "MDD NOS"
    run_load(store, "local-csv", renamed, system=SYSTEM, version="2026.12", activate=True)
    assert terminology.lookup(store, SYSTEM, "BH0101").display == "MAJOR DEPRESSION NOS"
    old = store.code_system(SYSTEM, dry.version)
    assert old is not None and not old["active"]


def test_cli_load_with_column_options(tmp_path):
    db = str(tmp_path / "cli.db")
    path = write(tmp_path, "codes.csv", SAMPLE.read_text().replace("display", "label", 1))
    missing = CliRunner().invoke(cli, ["load", "local-csv", str(path), "--db", db])
    assert missing.exit_code == 1 and "--system" in missing.output
    result = CliRunner().invoke(cli, ["load", "local-csv", str(path), "--system", SYSTEM, "--display-column", "label",
                                      "--version", "1", "--db", db])
    assert result.exit_code == 0 and result.output.startswith(f"loaded: code_system {SYSTEM} version 1 (active)")
    wrong_format = CliRunner().invoke(cli, ["load", "sssom", str(path), "--code-column", "x", "--db", db])
    assert wrong_format.exit_code == 1 and "does not take code_column" in wrong_format.output
    status = json.loads(CliRunner().invoke(cli, ["status", "--json", "--db", db]).output)
    assert [(c["url"], c["version"], c["concepts"]) for c in status["code_systems"]] == [(SYSTEM, "1", 18)]


def test_default_content_serves_the_cmhc_table(channel):
    assert LOCAL_CODE_SYSTEMS["cmhc_problem_codes.csv"] == SYSTEM
    stub = pb_grpc.TerminologyServiceStub(channel)
    concept = stub.LookupConcept(pb.LookupConceptRequest(system=SYSTEM, code="BH0101")).concept
    assert concept.coding.display == "MDD NOS" and [p.code for p in concept.parents] == ["BH0100"]
