"""The LOINC table and answer-list loader, on a tiny cut of the LOINC 2.80
release (real codes, the release's columns and quoting), through the store,
the CLI and the real server."""

import json
import shutil

import pytest
from click.testing import CliRunner

from loaders import loinc_csv
from server import terminology
from server.cli.main import cli
from server.errors import LoadError
from server.load import run_load
from server.store.store import Store

from conftest import FIXTURES
from loader_helpers import expand, loaded_release, release_copy, snapshot, terminology_stub

RELEASE = FIXTURES / "loinc" / "Loinc_2.80"
TABLE = RELEASE / "LoincTable" / "Loinc.csv"
LOINC = "http://loinc.org"

loaded = loaded_release("loinc-csv", RELEASE)  # the fixture release in a database, and the load summaries


def writable_release(tmp_path, version="2.81"):
    out = release_copy(RELEASE, tmp_path, f"Loinc_{version}")
    return out, out / "LoincTable" / "Loinc.csv"


def set_status(table, code, status):
    text = table.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith(f'"{code}"'))
    table.write_text(text.replace(line, line.replace('"ACTIVE"', f'"{status}"')), encoding="utf-8", newline="")


def test_counts_terms_answers_and_answer_lists(loaded):
    _, (cs, *lists) = loaded
    assert (cs.url, cs.version, cs.status, cs.active) == (LOINC, "2.80", "loaded", True)
    assert dict(cs.counts) == {"concepts": 18, "designations": 56}  # 8 terms + 10 LA answers
    assert [(s.url, dict(s.counts)) for s in lists] == [(f"{LOINC}/vs/LL5247-3", {"members": 6}),
                                                        (f"{LOINC}/vs/LL5588-0", {"members": 4})]


def test_term_display_names_and_properties(loaded):
    store, _ = loaded
    term = terminology.lookup(store, "loinc", "10013-1")
    assert term.display == "R' wave amplitude in lead I" and term.active
    uses = {(d["use"], d["value"]) for d in term.designations}
    assert ("short-name", "R' wave Amp L-I") in uses
    assert ("fsn", "R' wave amplitude.lead I:Elpot:Pt:Heart:Qn:EKG") in uses
    assert ("related-name", "Electrocardiogram") in uses and ("related-name", "R wave Amp L-I") in uses
    assert sum(use == "related-name" for use, _ in uses) == 20  # 21 names, one of them the short name
    food = terminology.lookup(store, "loinc", "95264-8")
    properties = dict(food.properties)
    assert properties["COMPONENT"] == "Food security status" and properties["CLASS"] == "SURVEY.SDOH"
    assert properties["STATUS"] == "ACTIVE" and properties["answer_list"] == "LL5588-0 (NORMATIVE)"
    hvs = terminology.lookup(store, "loinc", "88124-3")
    assert hvs.display == "Food insecurity risk [HVS]" and [d["use"] for d in hvs.designations] == ["preferred"]


def test_answers_are_concepts_and_answer_lists_expand_through_grpc(loaded):
    store, _ = loaded
    answer = terminology.lookup(store, "loinc", "LA30984-1")
    assert answer.display == "Marginal food security" and answer.system == LOINC
    hits, _ = terminology.search(store, "marginal food security", ["loinc"])
    assert hits[0].code == "LA30984-1"
    with terminology_stub(store.path) as stub:
        members = expand(stub, f"{LOINC}/vs/LL5588-0")
    assert members == {"LA30983-3": "High food security", "LA30984-1": "Marginal food security",
                       "LA30985-8": "Low food security", "LA30986-6": "Very low food security"}
    titles = dict(store.query("SELECT url, title FROM value_sets"))
    assert titles[f"{LOINC}/vs/LL5247-3"] == "Confirmed|ProbTrue|PossTrue|DoubtTrue|Improbable"
    compose = json.loads(store.one("SELECT compose FROM value_sets WHERE url = ?", (f"{LOINC}/vs/LL5247-3",))[0])
    assert [c["code"] for c in compose["include"][0]["concept"]][:2] == ["LA15290-2", "LA29789-7"]


def test_deprecated_is_inactive_and_discouraged_stays_active(tmp_path):
    folder, table = writable_release(tmp_path)
    set_status(table, "88124-3", "DEPRECATED")
    set_status(table, "71802-3", "DISCOURAGED")
    store = Store(tmp_path / "t.db")
    run_load(store, "loinc-csv", table)
    deprecated = terminology.lookup(store, "loinc", "88124-3")
    assert not deprecated.active and dict(deprecated.properties)["STATUS"] == "DEPRECATED"
    discouraged = terminology.lookup(store, "loinc", "71802-3")
    assert discouraged.active and dict(discouraged.properties)["STATUS"] == "DISCOURAGED"


def test_version_from_release_folder_or_option_else_a_clear_error(tmp_path):
    bare = tmp_path / "Loinc.csv"
    shutil.copy(TABLE, bare)
    store = Store(tmp_path / "t.db")
    with pytest.raises(LoadError) as err:
        run_load(store, "loinc-csv", bare)
    assert err.value.message.startswith(f"{bare}: no LOINC version") and "--version" in err.value.message
    (summary,) = run_load(store, "loinc-csv", bare, version="2.80")  # no answer files beside it
    assert summary.version == "2.80" and summary.counts["concepts"] == 8
    assert loinc_csv.detect(bare) and loinc_csv.detect(RELEASE) and not loinc_csv.detect(tmp_path / "t.db")


def test_reload_is_a_no_op_and_new_version_coexists_until_activated(tmp_path):
    store = Store(tmp_path / "t.db")
    run_load(store, "loinc-csv", RELEASE)
    before = snapshot(store)
    assert {s.status for s in run_load(store, "loinc-csv", TABLE)} == {"unchanged"}
    assert snapshot(store) == before
    folder, table = writable_release(tmp_path, "2.81")
    set_status(table, "88124-3", "DEPRECATED")
    summaries = run_load(store, "loinc-csv", folder)
    assert [(s.version, s.active) for s in summaries] == [("2.81", False)] * 3
    assert terminology.lookup(store, "loinc", "88124-3").active
    assert not terminology.lookup(store, "loinc", "88124-3", "2.81").active
    result = CliRunner().invoke(cli, ["load", "loinc-csv", str(folder), "--activate", "--db", store.path])
    assert result.exit_code == 0 and "(active)" in result.output.splitlines()[0]
    assert terminology.lookup(store, "loinc", "88124-3").version == "2.81"
    assert terminology.lookup(store, "loinc", "88124-3", "2.80").active


def wrong_columns(folder, table):
    text = table.read_bytes().split(b"\r\n")
    text[3] = text[3] + b',"extra"'
    table.write_bytes(b"\r\n".join(text))
    return table, 4, "expected 40 columns, found 41"


def truncated(folder, table):
    data = table.read_bytes()
    table.write_bytes(data[:data.index(b"The Food Security Status") + 30])
    return table, 9, "malformed CSV"


def bad_encoding(folder, table):
    table.write_bytes(table.read_bytes().replace(b"Housing status", b"Housing \xe9tatus"))
    return table, 3, "bad encoding: not UTF-8"


def bad_answer_list(folder, table):
    answers = folder / "AccessoryFiles" / "AnswerFile" / "AnswerList.csv"
    answers.write_bytes(answers.read_bytes().replace(b",,,4,", b",,,four,", 1))
    return answers, 5, "SequenceNumber 'four' is not a number"


@pytest.mark.parametrize("corrupt", [wrong_columns, truncated, bad_encoding, bad_answer_list])
def test_bad_file_fails_naming_file_and_line_and_changes_nothing(tmp_path, corrupt):
    store = Store(tmp_path / "t.db")
    run_load(store, "loinc-csv", RELEASE)
    before = snapshot(store)
    folder, table = writable_release(tmp_path)
    path, line, reason = corrupt(folder, table)
    result = CliRunner().invoke(cli, ["load", "loinc-csv", str(folder), "--activate", "--db", store.path])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {path}:{line}: ") and reason in result.output, result.output
    assert snapshot(store) == before
    assert terminology.lookup(store, "loinc", "95264-8").version == "2.80"


def test_cli_dry_run_writes_nothing_then_load_prints_summary(tmp_path):
    db = str(tmp_path / "t.db")
    dry = CliRunner().invoke(cli, ["load", "loinc-csv", str(RELEASE), "--dry-run", "--db", db])
    assert dry.exit_code == 0 and dry.output.splitlines() == [
        "dry-run: code_system http://loinc.org version 2.80: concepts 18, designations 56",
        "dry-run: value_set http://loinc.org/vs/LL5247-3 version 2.80: members 6",
        "dry-run: value_set http://loinc.org/vs/LL5588-0 version 2.80: members 4"]
    assert json.loads(CliRunner().invoke(cli, ["status", "--json", "--db", db]).output)["code_systems"] == []
    real = CliRunner().invoke(cli, ["load", "loinc-csv", str(TABLE), "--db", db])
    assert real.output.splitlines()[0] == "loaded: code_system http://loinc.org version 2.80 (active): " \
                                          "concepts 18, designations 56"
