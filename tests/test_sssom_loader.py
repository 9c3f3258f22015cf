"""The SSSOM TSV loader, on cuts of the curated SDOH and CMHC mapping sets."""

import json

import pytest

from loaders import sssom
from loaders.base import Skipped
from server import relationships, systems
from server.errors import LoadError
from server.load import run_load
from server.store.writer import MapRow

from conftest import FIXTURES
from loader_helpers import snapshot

SDOH = FIXTURES / "sssom" / "sdoh_gravity_sample.sssom.tsv"
CMHC = FIXTURES / "sssom" / "cmhc_problem_codes_map_sample.sssom.tsv"
REVIEWED = FIXTURES / "sssom" / "bh_reviewed_sample.sssom.tsv"
CMHC_SYSTEM = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"


def maps(path):
    return [r for r in sssom.read(path) if isinstance(r, MapRow)]


def damaged(tmp_path, path, old, new, name=None):
    out = tmp_path / (name or path.name)
    text = path.read_bytes()
    assert old in text
    out.write_bytes(text.replace(old, new, 1))
    return out


def test_metadata_block():
    info = sssom.read_metadata(SDOH)
    assert (info.name, info.version, info.url) == (
        "sdoh_gravity", "2026.11.0", "http://termbridge.example.org/mappings/crosswalks/sdoh_gravity")
    assert info.title.startswith("termbridge SDOH crosswalk") and len(info.checksum) == 64
    meta, header_line = sssom.parse_metadata(SDOH)
    assert header_line == 15 and meta["creator_id"] == ["termbridge:curation-team"]
    assert meta["curie_map"]["LOINC"] == "http://loinc.org/"
    assert sssom.read_metadata(SDOH, version="local-1").version == "local-1"


def test_curies_expand_to_canonical_systems():
    rows = maps(SDOH)
    assert (rows[0].source_system, rows[0].source_code, rows[0].target_system, rows[0].target_code) == (
        systems.SNOMED, "733423003", systems.SDOHCC, "food-insecurity")
    loinc = [r for r in rows if r.source_system == systems.LOINC]
    assert {r.source_code for r in loinc} == {"LA19952-3", "LA19983-8"}
    assert {r.target_system for r in loinc} == {systems.SNOMED, systems.ICD10CM, systems.SDOHCC}


def test_custom_prefix_from_source_column_or_curie_map(tmp_path):
    assert {r.source_system for r in maps(CMHC)} == {CMHC_SYSTEM}
    # without the subject_source column the curie_map entry (trailing slash dropped) names the system
    lines = CMHC.read_text().splitlines()
    header = lines.index(next(line for line in lines if line.startswith("subject_id")))
    column = lines[header].split("\t").index("subject_source")
    trimmed = [*lines[:header], *("\t".join(c for i, c in enumerate(line.split("\t")) if i != column)
                                  for line in lines[header:])]
    path = tmp_path / "no_source.sssom.tsv"
    path.write_text("\n".join(trimmed) + "\n")
    assert {r.source_system for r in maps(path)} == {CMHC_SYSTEM}


def test_predicates_become_r5_relationships_and_curation_status():
    by_pair = {(r.source_code, r.target_code): r for r in maps(SDOH)}
    assert by_pair[("733423003", "food-insecurity")].relationship == relationships.NARROWER  # skos:broadMatch
    assert by_pair[("LA19952-3", "733423003")].relationship == relationships.RELATED  # skos:relatedMatch
    assert maps(CMHC)[0].relationship == relationships.EQUIVALENT  # skos:exactMatch
    assert maps(CMHC)[-1].relationship == relationships.BROADER  # skos:narrowMatch
    row = by_pair[("Z58.6", "utility-insecurity")]
    assert (row.confidence, row.status, row.author) == (0.7, "accepted", "termbridge:curation-team")


def test_no_term_found_is_a_counted_skip(store):
    skipped = [r for r in sssom.read(SDOH) if isinstance(r, Skipped)]
    assert skipped == [Skipped(28, "no target (sssom:NoTermFound)")]
    summary = run_load(store, "sssom", SDOH)[0]
    assert summary.counts["maps"] == 12 and summary.skipped == {"no target (sssom:NoTermFound)": 1}


def test_reviewer_author_label_and_date_stay_in_the_entry_provenance(store):
    run_load(store, "sssom", REVIEWED)
    stored = {r["source_code"]: (r["author"], json.loads(r["provenance"])) for r in store.query(
        "SELECT source_code, author, provenance FROM map_entries ORDER BY id")}
    author, first = stored["35489007"]
    assert author == "termbridge:curation-team"
    assert (first["author_label"], first["reviewer_id"], first["reviewer_label"], first["mapping_date"]) == (
        "termbridge curation team", "termbridge:reviewer-psych", "Psychiatry terminology reviewer", "2026-11-23")
    assert stored["370143000"][1]["reviewer_id"] == "termbridge:reviewer-psych|termbridge:reviewer-coding"
    third = stored["36923009"][1]
    assert "reviewer_id" not in third and "reviewer_label" not in third and third["mapping_date"] == "2026-11-20"


@pytest.mark.parametrize("edits, reason", [
    ([(b"\t0.70\t", b"\t1.70\t")], "confidence 1.7 is outside [0, 1]"),
    ([(b"\t0.70\t", b"\t-0.1\t")], "confidence -0.1 is outside [0, 1]"),
    ([(b"\t0.70\t", b"\tlow\t")], "confidence 'low' is not a number"),
    ([(b"\tskos:relatedMatch\t", b"\tskos:sortOfMatch\t")], "unknown predicate 'skos:sortOfMatch'"),
    ([(b"ICD10CM:Z58.6\t", b"ICD9CM:Z58.6\t"), (b"\thttp://hl7.org/fhir/sid/icd-10-cm\t", b"\t\t")],
     "prefix 'ICD9CM' is not in the curie_map"),
    ([(b"ICD10CM:Z58.6\t", b"Z58.6\t")], "'Z58.6' is not a CURIE (PREFIX:code)"),
    ([(b"Inadequate drinking-water supply\t", b"Inadequate\tdrinking-water supply\t")],
     "expected 13 columns, found 14"),
    ([(b"Inadequate drinking-water supply", b"Inadequate drinking-water supply \xe9t\xe9")], "bad encoding"),
])
def test_bad_rows_name_file_and_line_and_change_nothing(store, tmp_path, edits, reason):
    run_load(store, "sssom", SDOH)
    before = snapshot(store)
    lines = SDOH.read_bytes().splitlines(keepends=True)
    line = 1 + next(i for i, text in enumerate(lines) if text.startswith(b"ICD10CM:Z58.6\t"))
    for old, new in edits:  # all on that one row
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / SDOH.name
    path.write_bytes(b"".join(lines))
    with pytest.raises(LoadError) as err:
        run_load(store, "sssom", path, version="2026.12.0", activate=True)
    assert err.value.message.startswith(f"{path}:{line}: {reason}")
    assert snapshot(store) == before


def test_missing_required_column_names_the_header_line(tmp_path):
    path = damaged(tmp_path, SDOH, b"\tpredicate_id\t", b"\tpredicate\t")
    with pytest.raises(LoadError) as err:
        list(sssom.read(path))
    assert err.value.line == 15 and "missing column(s) predicate_id" in err.value.message


def test_reload_no_op_and_new_version_coexists(store, tmp_path):
    run_load(store, "sssom", CMHC)
    before = snapshot(store)
    assert run_load(store, "sssom", CMHC)[0].status == "unchanged" and snapshot(store) == before
    changed = damaged(tmp_path, CMHC, b"#mapping_set_version: 2026.11.0", b"#mapping_set_version: 2026.12.0")
    assert not run_load(store, "sssom", changed)[0].active
    versions = {(r["version"], r["active"]) for r in store.query("SELECT version, active FROM map_sets")}
    assert versions == {("2026.11.0", 1), ("2026.12.0", 0)}


def test_default_content_loads_every_curated_map(default_db):
    from server.store.store import Store
    loaded = {r["name"] for r in Store(default_db, readonly=True).query("SELECT name FROM map_sets WHERE active = 1")}
    assert {"bh_snomed_icd10cm", "sdoh_gravity", "cmhc_problem_codes_map"} <= loaded
