"""The SNOMED CT RF2 Snapshot loader, on a tiny US Edition release cut from the
real format (folder and .zip), through the store, the CLI and the real server."""

import json
import zipfile

import pytest
from click.testing import CliRunner

from loaders import snomed_rf2
from loaders.rf2_files import MAP_COLUMNS
from server import relationships as rel
from server import terminology
from server.cli.main import cli
from server.errors import LoadError
from server.load import run_load
from server.store.store import Store
from termbridge.v1 import terminology_service_pb2 as pb

from conftest import FIXTURES
from loader_helpers import expand, loaded_release, release_copy, snapshot, terminology_stub

RELEASE = FIXTURES / "snomed" / "SnomedCT_ManagedServiceUS_PRODUCTION_US1000124_20250301T120000Z"
SNOMED, ICD10CM = "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10-cm"
GPFP = "http://snomed.info/sct?fhir_vs=refset/450970008"
TERMINOLOGY = "Snapshot/Terminology"

loaded = loaded_release("snomed-rf2", RELEASE)  # the fixture release in a database, and the load summaries


def writable_release(tmp_path, date="20250301"):
    """A writable copy of the fixture, renamed to another release date."""
    out = release_copy(RELEASE, tmp_path, f"SnomedCT_ManagedServiceUS_PRODUCTION_US1000124_{date}T120000Z")
    for f in out.rglob("*.txt"):
        f.rename(f.with_name(f.name.replace("20250301", date)))
    return out


def rf2_file(release, prefix):
    return next(f for f in release.rglob("*.txt") if f.name.startswith(prefix))


def test_counts_and_skipped_rows(loaded):
    _, (cs, vs, ms) = loaded
    assert (cs.kind, cs.url, cs.version, cs.status, cs.active) == ("code_system", SNOMED, "20250301", "loaded", True)
    assert dict(cs.counts) == {"concepts": 15, "designations": 33, "relationships": 14}
    assert dict(cs.skipped) == {"inactive relationship": 1, "not an IS-A relationship": 1}
    assert (vs.url, dict(vs.counts), dict(vs.skipped)) == (GPFP, {"members": 4}, {"inactive refset member": 1})
    assert (ms.url, dict(ms.counts)) == ("snomed-icd10cm", {"maps": 8})
    assert dict(ms.skipped) == {"inactive map row": 1, "empty mapTarget": 1}


def test_display_is_the_en_us_preferred_term_with_fsn_and_synonyms(loaded):
    store, _ = loaded
    homeless = terminology.lookup(store, "snomed", "32911000")
    assert homeless.display == "Homeless" and homeless.version == "20250301"
    uses = {(d["use"], d["value"]) for d in homeless.designations}
    assert uses == {("fsn", "Homeless (finding)"), ("preferred", "Homeless"), ("synonym", "Homelessness")}
    # the acceptable synonym comes first in the file; the language refset decides
    assert terminology.lookup(store, "snomed", "733423003").display == "Food insecurity"
    assert dict(terminology.lookup(store, "snomed", "35489007").properties)["definition_status"] == "primitive"


def test_hierarchy_is_active_inferred_is_a_only(loaded):
    store, _ = loaded
    mdd = terminology.lookup(store, "snomed", "370143000")
    assert mdd.parents == [("35489007", "Depressive disorder")]
    assert mdd.children == [("36923009", "Major depression, single episode")]
    assert [p for p, _ in terminology.lookup(store, "snomed", "36923009").parents] == ["370143000"]  # not the retired
    assert [p for p, _ in terminology.lookup(store, "snomed", "7200002").parents] == ["74732009"]  # not the attribute
    hits, _ = terminology.search(store, "lack of adequate food", [SNOMED])
    assert hits[0].code == "733423003"


def test_simple_refset_expands_as_a_value_set_through_grpc(loaded):
    store, _ = loaded
    with terminology_stub(store.path) as stub:
        members = expand(stub, GPFP)
        response = stub.ExpandValueSet(pb.ExpandValueSetRequest(url=GPFP))
    assert members == {"35489007": "Depressive disorder", "370143000": "Major depressive disorder",
                       "7200002": "Alcoholism", "32911000": "Homeless"}
    assert response.version == "20250301" and response.total == 4
    title = store.one("SELECT title FROM value_sets WHERE url = ?", (GPFP,))["title"]
    assert title == "General Practice / Family Practice reference set"


def test_icd10cm_map_refset_entries_keep_rule_and_advice(loaded):
    store, _ = loaded
    rows = store.query("SELECT e.* FROM map_entries e JOIN map_sets s ON s.id = e.map_set_id "
                       "WHERE s.name = 'snomed-icd10cm' AND e.source_code = '35489007'")
    assert len(rows) == 1  # the retired F32.9 row is not loaded
    entry = rows[0]
    assert (entry["target_system"], entry["target_code"], entry["relationship"]) == (ICD10CM, "F32.A", rel.NARROWER)
    assert entry["source_display"] == "Depressive disorder" and entry["status"] == "accepted"
    provenance = json.loads(entry["provenance"])
    assert provenance["map_rule"] == "TRUE" and provenance["map_advice"] == "ALWAYS F32.A"
    assert (provenance["map_group"], provenance["map_priority"]) == (1, 1)
    assert (provenance["correlation_id"], provenance["map_category_id"]) == ("447561005", "447637006")
    map_set = store.one("SELECT * FROM map_sets WHERE name = 'snomed-icd10cm'")
    assert (map_set["kind"], map_set["source_system"], map_set["target_system"]) == ("official", SNOMED, ICD10CM)
    assert store.one("SELECT count(*) FROM map_entries WHERE source_code = '404684003'")[0] == 0


@pytest.mark.parametrize("row, expected", [
    ({"correlationId": "447557004", "mapRule": "TRUE"}, rel.EQUIVALENT),
    ({"correlationId": "447559001", "mapRule": "TRUE"}, rel.BROADER),
    ({"correlationId": "447561005", "mapRule": "OTHERWISE TRUE", "mapCategoryId": "447637006"}, rel.NARROWER),
    ({"correlationId": "447561005", "mapRule": "IFA 248152002 | Female (finding) |",
      "mapCategoryId": "447637006"}, rel.RELATED),
    ({"correlationId": "447561005", "mapRule": "TRUE", "mapCategoryId": "447639009"}, rel.RELATED),
])
def test_map_relationship_from_correlation_category_and_rule(row, expected):
    assert snomed_rf2.map_relationship(row) == expected


def test_complex_map_to_icd10_and_unknown_map_refsets(tmp_path):
    copy = writable_release(tmp_path)
    rf2_file(copy, "der2_iisssccRefset_ExtendedMap").unlink()
    rows = [MAP_COLUMNS["iisssc"],
            ("a1", "20250301", "1", "900000000000207008", "447562003", "370143000", "1", "1", "", "", "F32.9",
             "447561005"),
            ("a2", "20250301", "1", "900000000000207008", "446608001", "370143000", "1", "1", "", "", "8000/0",
             "447561005")]
    (copy / "Snapshot/Refset/Map/der2_iissscRefset_ComplexMapSnapshot_INT_20250301.txt").write_text(
        "".join("\t".join(r) + "\r\n" for r in rows), encoding="utf-8", newline="")
    store = Store(tmp_path / "t.db")
    cs, _, icd10 = run_load(store, "snomed-rf2", copy)
    assert cs.skipped["map refset 446608001 has no known target system"] == 1
    assert (icd10.url, dict(icd10.counts)) == ("snomed-icd10", {"maps": 1})
    entry = store.one("SELECT * FROM map_entries")
    assert (entry["target_system"], entry["target_code"]) == ("http://hl7.org/fhir/sid/icd-10", "F32.9")
    assert "map_category_id" not in json.loads(entry["provenance"])


def test_loading_the_same_release_again_is_a_no_op(loaded):
    store, _ = loaded
    before = snapshot(store)
    again = run_load(store, "snomed-rf2", RELEASE)
    assert [s.status for s in again] == ["unchanged"] * 3
    assert snapshot(store) == before


def test_new_version_coexists_and_activate_switches(tmp_path):
    store = Store(tmp_path / "t.db")
    run_load(store, "snomed-rf2", RELEASE)
    newer = writable_release(tmp_path, "20250901")
    descriptions = rf2_file(newer, "sct2_Description")
    descriptions.write_bytes(descriptions.read_bytes().replace(b"\tHomeless\t", b"\tHomeless person\t"))
    summaries = run_load(store, "snomed-rf2", newer)
    assert [(s.version, s.status, s.active) for s in summaries] == [("20250901", "loaded", False)] * 3
    assert terminology.lookup(store, "snomed", "32911000").display == "Homeless"
    assert terminology.lookup(store, "snomed", "32911000", "20250901").display == "Homeless person"
    result = CliRunner().invoke(cli, ["load", "snomed-rf2", str(newer), "--activate", "--db", store.path])
    assert result.exit_code == 0 and result.output.startswith("unchanged: code_system") and "(active)" in result.output
    assert terminology.lookup(store, "snomed", "32911000").display == "Homeless person"
    assert terminology.lookup(store, "snomed", "32911000", "20250301").display == "Homeless"
    assert [r["version"] for r in store.query("SELECT version FROM value_sets WHERE active = 1")] == ["20250901"]


def test_zip_release_loads_like_the_folder(tmp_path):
    archive = tmp_path / "SnomedCT_ManagedServiceUS_PRODUCTION_US1000124_20250301T120000Z.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(RELEASE.rglob("*.txt")):
            zf.write(f, f"{RELEASE.name}/{f.relative_to(RELEASE)}")
    assert snomed_rf2.detect(archive) and snomed_rf2.detect(RELEASE) and not snomed_rf2.detect(tmp_path)
    store = Store(tmp_path / "t.db")
    summaries = run_load(store, "snomed-rf2", archive)
    assert [dict(s.counts) for s in summaries] == [{"concepts": 15, "designations": 33, "relationships": 14},
                                                   {"members": 4}, {"maps": 8}]
    assert terminology.lookup(store, "snomed", "32911000").display == "Homeless"


def test_bad_row_in_zip_names_the_entry_and_line(tmp_path):
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(RELEASE.rglob("*.txt")):
            extra = b"138875005\t20020131\t1\r\n" if f.name.startswith("sct2_Concept") else b""
            zf.writestr(str(f.relative_to(RELEASE)), f.read_bytes() + extra)
    with pytest.raises(LoadError) as err:
        run_load(Store(tmp_path / "t.db"), "snomed-rf2", archive)
    assert err.value.message.startswith(f"{archive}!/{TERMINOLOGY}/sct2_Concept_Snapshot_US1000124_20250301.txt:17:")
    assert "expected 5 columns, found 3" in err.value.message


def corrupt_wrong_columns(release):
    f = rf2_file(release, "sct2_Description")
    lines = f.read_bytes().split(b"\r\n")
    lines[4] = lines[4].rsplit(b"\t", 1)[0]
    f.write_bytes(b"\r\n".join(lines))
    return f, 5, "expected 9 columns, found 8"


def corrupt_truncated(release):
    f = rf2_file(release, "sct2_Relationship")
    f.write_bytes(f.read_bytes()[:-40])
    return f, len(f.read_bytes().split(b"\r\n")), "truncated: the last line has no line end"


def corrupt_encoding(release):
    f = rf2_file(release, "sct2_Concept")
    lines = f.read_bytes().split(b"\r\n")
    lines[2] = lines[2] + b"\xff"
    f.write_bytes(b"\r\n".join(lines))
    return f, 3, "bad encoding: not UTF-8"


def corrupt_last_file(release):
    """The map refset is read last: everything before it was already written."""
    f = rf2_file(release, "der2_iisssccRefset_ExtendedMap")
    f.write_bytes(f.read_bytes() + b"x\t20250901\t1\t731000124108\t6011000124106\t35489007\tone\t1\tTRUE\t\tF32.A\t"
                                   b"447561005\t447637006\r\n")
    return f, 12, "mapGroup and mapPriority must be integers"


def corrupt_header(release):
    f = rf2_file(release, "der2_Refset_Simple")
    f.write_bytes(f.read_bytes().replace(b"referencedComponentId", b"conceptId", 1))
    return f, 1, "header is not the RF2 column set"


@pytest.mark.parametrize("corrupt", [corrupt_wrong_columns, corrupt_truncated, corrupt_encoding,
                                     corrupt_last_file, corrupt_header])
def test_bad_file_fails_naming_file_and_line_and_changes_nothing(tmp_path, corrupt):
    store = Store(tmp_path / "t.db")
    run_load(store, "snomed-rf2", RELEASE)
    before = snapshot(store)
    broken = writable_release(tmp_path, "20250901")
    path, line, reason = corrupt(broken)
    with pytest.raises(LoadError) as err:
        run_load(store, "snomed-rf2", broken, activate=True)
    assert err.value.message.startswith(f"{path}:{line}: ") and reason in err.value.message
    assert snapshot(store) == before
    assert terminology.lookup(store, "snomed", "32911000").version == "20250301"


def test_missing_mandatory_file_is_named_before_parsing(tmp_path):
    broken = writable_release(tmp_path)
    rf2_file(broken, "sct2_Concept").unlink()
    result = CliRunner().invoke(cli, ["load", "snomed-rf2", str(broken), "--db", str(tmp_path / "t.db")])
    assert result.exit_code == 1
    assert f"{broken}: not an RF2 Snapshot release: no sct2_Concept_Snapshot file" in result.output


def test_cli_dry_run_writes_nothing_and_load_prints_summary(tmp_path):
    db = str(tmp_path / "t.db")
    dry = CliRunner().invoke(cli, ["load", "snomed-rf2", str(RELEASE), "--dry-run", "--db", db])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[0] == (
        "dry-run: code_system http://snomed.info/sct version 20250301: designations 33, concepts 15, "
        "relationships 14; skipped: 1 inactive relationship; 1 not an IS-A relationship")
    empty = json.loads(CliRunner().invoke(cli, ["status", "--json", "--db", db]).output)
    assert (empty["code_systems"], empty["value_sets"], empty["map_sets"]) == ([], [], [])
    real = CliRunner().invoke(cli, ["load", "snomed-rf2", str(RELEASE), "--db", db])
    assert real.output.splitlines()[1:] == [
        "loaded: value_set http://snomed.info/sct?fhir_vs=refset/450970008 version 20250301 (active): members 4; "
        "skipped: 1 inactive refset member",
        "loaded: map_set snomed-icd10cm version 20250301 (active): maps 8; skipped: 1 inactive map row; "
        "1 empty mapTarget"]
    status = json.loads(CliRunner().invoke(cli, ["status", "--json", "--db", db]).output)
    (cs,) = status["code_systems"]
    assert (cs["url"], cs["version"], cs["concepts"], cs["active"]) == (SNOMED, "20250301", 15, True)
    assert status["value_sets"][0]["checksum"] == status["map_sets"][0]["checksum"] == cs["checksum"]
    assert status["map_sets"][0]["entries"] == 8 and status["map_sets"][0]["target_system"] == ICD10CM
