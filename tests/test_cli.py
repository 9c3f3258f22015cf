"""The termbridge command line."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from server.cli.main import cli

from conftest import FIXTURES


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("command", list(all_commands(cli)))
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


@pytest.mark.parametrize("command", [c for c in all_commands(cli) if not hasattr(cli.commands[c[0]], "commands")])
def test_every_command_takes_db(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert "--db" in result.output


def test_lookup_search_status(default_db):
    runner = CliRunner()
    lookup = runner.invoke(cli, ["lookup", "icd10cm", "F32A", "--db", default_db])
    assert lookup.exit_code == 0 and lookup.output.startswith("F32.A  Depression, unspecified")
    search = runner.invoke(cli, ["search", "insecurity food", "--limit", "3", "--db", default_db])
    assert "Z59.41" in search.output
    status = json.loads(runner.invoke(cli, ["status", "--json", "--db", default_db]).output)
    icd = [c for c in status["code_systems"] if c["url"] == "http://hl7.org/fhir/sid/icd-10-cm"]
    assert icd[0]["concepts"] == 98505 and icd[0]["active"] and len(icd[0]["checksum"]) == 64
    assert {"code_systems", "value_sets", "map_sets"} <= status.keys()


def test_db_defaults_from_environment(default_db):
    result = CliRunner().invoke(cli, ["lookup", "icd10cm", "Z59.41"], env={"TERMBRIDGE_DB": default_db})
    assert result.exit_code == 0 and "Food insecurity" in result.output


def test_unknown_code_exits_nonzero_with_message(default_db):
    result = CliRunner().invoke(cli, ["lookup", "icd10cm", "F99.99", "--db", default_db])
    assert result.exit_code == 1 and "F99.99" in result.output


def test_load_of_truncated_file_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes((FIXTURES / "icd10cm" / "icd10cm-tabular-sample.xml").read_bytes()[:30_000])
    db = tmp_path / "t.db"
    result = subprocess.run([sys.executable, "-m", "server.cli.main", "load", "icd10cm-xml", str(bad),
                             "--version", "x", "--db", str(db)], capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{bad}:" in result.stderr and "malformed XML" in result.stderr
    status = json.loads(subprocess.run([sys.executable, "-m", "server.cli.main", "status", "--json", "--db", str(db)],
                                       capture_output=True, text=True, check=True).stdout)
    assert status["code_systems"] == []


def test_load_prints_summary_and_dry_run_writes_nothing(tmp_path):
    db = str(tmp_path / "t.db")
    sample = str(FIXTURES / "icd10cm" / "icd10cm-tabular-sample.xml")
    dry = CliRunner().invoke(cli, ["load", "icd10cm-xml", sample, "--version", "s", "--dry-run", "--db", db])
    assert dry.exit_code == 0 and dry.output.startswith("dry-run:") and "concepts 1,384" in dry.output
    real = CliRunner().invoke(cli, ["load", "icd10cm-xml", sample, "--version", "s", "--db", db])
    assert real.exit_code == 0 and real.output.startswith("loaded:") and "(active)" in real.output
