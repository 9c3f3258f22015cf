"""The FHIR loader: CodeSystem/ValueSet/ConceptMap from files, folders, Bundles
and NPM packages, on resources cut from hl7.terminology.r4 7.0.1 and the real
SDOH Clinical Care 2.2.0 package."""

import io
import json
import shutil
import subprocess
import sys
import tarfile

import grpc
import pytest
from click.testing import CliRunner

from server import terminology
from server.cli.main import cli
from server.errors import FailedPrecondition, LoadError
from server.load import run_load
from termbridge.v1 import terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc

from conftest import FIXTURES
from grpc_helpers import error_info
from loader_helpers import expand, snapshot, terminology_stub

FHIR = FIXTURES / "fhir"
THO_VS = "http://terminology.hl7.org/ValueSet/"
ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SDOHCC_PACKAGE = FHIR / "hl7.fhir.us.sdoh-clinicalcare-2.2.0.tgz"
TERMINOLOGY = sorted(p.name for p in FHIR.glob("*.json") if p.name != "package.json")


def fixture(name):
    return json.loads((FHIR / name).read_text(encoding="utf-8-sig"))


def pretty(name) -> bytes:
    """A fixture as multi-line JSON (the package files are one line each)."""
    return json.dumps(fixture(name), indent=2, ensure_ascii=False).encode()


def folder(tmp_path, names, extra=None):
    """A folder holding the named fixtures plus {file name: resource}."""
    out = tmp_path / "resources"
    out.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FHIR / name, out / name)
    for name, resource in (extra or {}).items():
        (out / name).write_text(json.dumps(resource))
    return out


def package(tmp_path, members, name="tiny.tgz"):
    """An NPM package .tgz: the real hl7.terminology.r4 package.json plus {member path: bytes}."""
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        for member, data in {"package/package.json": (FHIR / "package.json").read_bytes(), **members}.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def by_kind(summaries):
    return {(s.kind, s.url): s for s in summaries}


@pytest.fixture
def loaded(store, tmp_path):
    """Every fixture resource, loaded from one folder in one call."""
    summaries = run_load(store, "fhir", folder(tmp_path, TERMINOLOGY))
    return store, summaries


def test_code_systems_keep_hierarchy_status_designations_and_properties(loaded):
    store, summaries = loaded
    confidentiality = by_kind(summaries)[("code_system", CONFIDENTIALITY)]
    assert confidentiality.counts["concepts"] == 20 and confidentiality.active
    low = terminology.lookup(store, CONFIDENTIALITY, "L")
    assert low.display == "low" and low.active and ("_Confidentiality", "Confidentiality") in low.parents
    assert not terminology.lookup(store, CONFIDENTIALITY, "PSY").active  # status: retired
    sickle = terminology.lookup(store, ACTCODE, "SICKLE")  # flat list, subsumedBy property
    assert not sickle.active and sickle.parents == [("_ActInformationSensitivityPolicy", "ActInformationSensitivityPolicy")]
    bh = dict(terminology.lookup(store, ACTCODE, "BH").properties)
    assert bh["status"] == "active" and bh["definition"].startswith("Policy for handling information")


def test_value_set_expansions_through_expand_value_set(loaded, store):
    with terminology_stub(store.path) as stub:
        sensitivity = expand(stub, THO_VS + "v3-InformationSensitivityPolicy")  # is-a over subsumedBy
        assert len(sensitivity) == 48 and {"BH", "SUD", "OPIOIDUD", "PSY", "HIV", "ETH"} <= sensitivity.keys()
        assert "SICKLE" not in sensitivity  # retired concepts only by explicit list or compose.inactive
        assert sensitivity["BH"] == "behavioral health information sensitivity"
        act = expand(stub, THO_VS + "v3-ActInformationSensitivityPolicy")
        assert len(act) == 24 and act.keys() < sensitivity.keys()
        assert expand(stub, THO_VS + "v3-Confidentiality") == {  # explicit concept list, displays from the system
            "L": "low", "M": "moderate", "N": "normal", "R": "restricted", "U": "unrestricted", "V": "very restricted"}
        union = expand(stub, THO_VS + "v3-SecurityClassificationObservationValue")  # valueSet ref + whole system
        assert union.keys() == {"_Confidentiality", "L", "M", "N", "R", "U", "V"}
        payment = expand(stub, THO_VS + "v3-ActInvoiceAdjudicationPaymentGroupCode")  # descendent-of
        assert len(payment) == 13 and "_ActInvoicePaymentCode" not in payment and "RETRO" in payment
        response = stub.ExpandValueSet(pb.ExpandValueSetRequest(url=THO_VS + "v3-Confidentiality"))
        assert response.version == "3.0.0" and {c.version for c in response.contains} == {"3.0.0"}


def test_value_set_over_systems_not_loaded_counts_skip_reasons(loaded):
    _, summaries = loaded
    knowledge = by_kind(summaries)[("value_set", THO_VS + "v3-KnowledgeSubjectObservationValue")]
    assert knowledge.counts["members"] == 0
    assert knowledge.skipped["code system not loaded: http://snomed.info/sct"] == 1
    assert sum(knowledge.skipped.values()) == 7


def test_compose_exclude_filters_references_and_carried_expansion(store, tmp_path):
    run_load(store, "fhir", folder(tmp_path, ["CodeSystem-v3-ActCode.json", "CodeSystem-v3-Confidentiality.json",
                                              "ValueSet-v3-ActInformationSensitivityPolicy.json"]))
    include_act = {"system": ACTCODE, "filter": [{"property": "concept", "op": "is-a",
                                                  "value": "_ActInformationSensitivityPolicy"}]}
    resources = {
        "excluded.json": vs("excluded", include=[include_act], exclude=[
            {"system": ACTCODE, "concept": [{"code": "ETH"}, {"code": "HIV"}]},
            {"system": ACTCODE, "filter": [{"property": "concept", "op": "is-a", "value": "ETHUD"}]}]),
        "regex.json": vs("regex", include=[{"system": ACTCODE, "filter": [
            {"property": "concept", "op": "is-a", "value": "_InformationSensitivityPolicy"},
            {"property": "code", "op": "regex", "value": "[A-Z]*UD"}]}]),
        "by-property.json": vs("by-property", inactive=True, include=[{"system": CONFIDENTIALITY, "filter": [
            {"property": "status", "op": "=", "value": "retired"}]}]),
        "intersection.json": vs("intersection", include=[{"system": ACTCODE, "concept": [{"code": "BH"},
                                                                                         {"code": "DEMO"}],
                                                          "valueSet": [THO_VS + "v3-ActInformationSensitivityPolicy"]}]),
        "carried.json": vs("carried", include=[{"system": "http://snomed.info/sct", "filter": [
            {"property": "concept", "op": "is-a", "value": "74732009"}]}],
            expansion={"contains": [{"system": "http://snomed.info/sct", "code": "35489007",
                                     "display": "Depressive disorder"}]}),
    }
    summaries = by_kind(run_load(store, "fhir", folder(tmp_path, [], resources)))
    members = {name: {r["code"] for r in store.query(
        "SELECT code FROM value_set_members m JOIN value_sets v ON v.id = m.vs_id WHERE v.url = ?",
        (f"http://example.org/ValueSet/{name}",))} for name in ("excluded", "regex", "by-property", "intersection",
                                                               "carried")}
    assert "BH" in members["excluded"] and not {"ETH", "HIV", "ETHUD"} & members["excluded"]
    assert members["regex"] == {"ETHUD", "OPIOIDUD", "SUD"}
    assert {"PSY", "B", "_ConfidentialityModifiers"} <= members["by-property"] and "L" not in members["by-property"]
    assert members["intersection"] == {"BH"}
    assert members["carried"] == {"35489007"}
    assert summaries[("value_set", "http://example.org/ValueSet/carried")].skipped == {
        "compose needs content not loaded: stored the resource's own expansion": 1}


def vs(name, include, exclude=(), inactive=None, expansion=None):
    compose = {"include": include, **({"exclude": list(exclude)} if exclude else {}),
               **({"inactive": inactive} if inactive is not None else {})}
    return {"resourceType": "ValueSet", "url": f"http://example.org/ValueSet/{name}", "version": "1",
            "status": "active", "compose": compose, **({"expansion": expansion} if expansion else {})}


def test_concept_maps_r4_equivalence_and_r5_relationship(loaded):
    store, summaries = loaded
    r4 = by_kind(summaries)[("map_set", "sdoh-screening-answers-r4")]
    assert r4.counts["maps"] == 7 and r4.skipped == {"target without a code (unmatched)": 1}
    r5 = by_kind(summaries)[("map_set", "sdoh-screening-answers-r5")]
    assert r5.counts["maps"] == 2 and r5.skipped == {"element without a target (noMap)": 1}
    rows = {(r["name"], r["target_code"]): r for r in store.query(
        "SELECT s.name, s.kind, e.* FROM map_entries e JOIN map_sets s ON s.id = e.map_set_id")}
    food = rows[("sdoh-screening-answers-r4", "733423003")]
    assert (food["relationship"], food["confidence"], food["status"]) == ("related-to", 0.7, "accepted")
    assert json.loads(food["provenance"])["dependsOn"][0]["value"] == "88124-3"
    z59 = rows[("sdoh-screening-answers-r4", "Z59.41")]  # written Z5941, an R4 confidence extension
    assert (z59["relationship"], z59["confidence"], z59["target_system"]) == (
        "source-is-narrower-than-target", 0.85, "http://hl7.org/fhir/sid/icd-10-cm")
    assert rows[("sdoh-screening-answers-r4", "Z59.01")]["relationship"] == "not-related-to"
    assert rows[("sdoh-screening-answers-r4", "73438004")]["relationship"] == "equivalent"  # R4 `equal`
    draft = rows[("sdoh-screening-answers-r5", "733423003")]
    assert (draft["relationship"], draft["confidence"], draft["status"], draft["kind"]) == (
        "source-is-narrower-than-target", 0.6, "unreviewed", "official")
    assert draft["target_system"] == "http://snomed.info/sct"  # canonical|version
    assert json.loads(draft["provenance"])["product"] == [{"attribute": "severity", "valueCode": "moderate"}]


def test_bundle_loads_its_terminology_entries_and_counts_the_rest(store, tmp_path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": fixture("CodeSystem-v3-Confidentiality.json")},
        {"resource": fixture("ValueSet-v3-Confidentiality.json")},
        {"resource": {"resourceType": "Patient", "id": "example"}},
        {"request": {"method": "DELETE", "url": "Patient/1"}}]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    summaries = run_load(store, "fhir", path)
    assert [s.kind for s in summaries] == ["code_system", "value_set", "files"]
    assert summaries[-1].skipped == {"Patient (not terminology)": 1, "entry without resource (not terminology)": 1}
    assert summaries[1].counts["members"] == 6


def test_npm_package_skips_examples_and_records_provenance(store, tmp_path):
    no_version = fixture("ValueSet-v3-Confidentiality.json")
    del no_version["version"]
    path = package(tmp_path, {
        "package/CodeSystem-v3-Confidentiality.json": (FHIR / "CodeSystem-v3-Confidentiality.json").read_bytes(),
        "package/ValueSet-v3-Confidentiality.json": json.dumps(no_version).encode(),
        "package/example/CodeSystem-example.json": (FHIR / "CodeSystem-v3-Confidentiality.json").read_bytes(),
        "package/.index.json": b'{"index-version": 2, "files": []}',
        "package/other/spec.internals": b"{}",
        "package/StructureDefinition-x.json": b'{"resourceType": "StructureDefinition", "id": "x"}'})
    summaries = run_load(store, "fhir", path)
    total = summaries[-1]
    assert (total.kind, total.url, total.version) == ("package", "hl7.terminology.r4", "7.0.1")
    assert total.counts == {"code systems": 1, "value sets": 1}
    assert total.skipped == {"example": 1, "not a resource file (package index, docs, other formats)": 2,
                             "StructureDefinition (not terminology)": 1}
    assert summaries[1].version == "7.0.1"  # a resource without a version takes the package's
    source = store.code_system(CONFIDENTIALITY)["source"]
    assert source == f"{path}#package/CodeSystem-v3-Confidentiality.json (hl7.terminology.r4#7.0.1)"


def test_real_sdoh_clinical_care_package(store):
    summaries = run_load(store, "fhir", SDOHCC_PACKAGE)
    total = summaries[-1]
    assert total.counts == {"code systems": 1, "value sets": 14} and total.skipped["example"] == 59
    assert total.skipped["StructureDefinition (not terminology)"] == 21
    sdohcc = terminology.lookup(store, "sdoh", "food-insecurity")
    assert sdohcc.display == "Food Insecurity" and sdohcc.version == "2.2.0"
    category = store.one("SELECT * FROM value_sets WHERE url LIKE '%SDOHCC-ValueSetSDOHCategory'")
    assert category["member_count"] == 21 and category["version"] == "2.2.0"


def test_reload_is_a_no_op(store, tmp_path):
    path = package(tmp_path, {f"package/{n}": (FHIR / n).read_bytes() for n in TERMINOLOGY})
    run_load(store, "fhir", path)
    before = snapshot(store)
    again = run_load(store, "fhir", path)
    assert {s.status for s in again} == {"unchanged"}
    assert snapshot(store) == before
    same_resources_as_files = run_load(store, "fhir", folder(tmp_path, TERMINOLOGY))
    assert {s.status for s in same_resources_as_files} == {"unchanged"}
    assert snapshot(store) == before


def test_versions_coexist_and_activate_switches(store, tmp_path):
    run_load(store, "fhir", FHIR / "CodeSystem-v3-Confidentiality.json")
    changed = fixture("CodeSystem-v3-Confidentiality.json")
    changed["concept"][0]["concept"][0]["display"] = "low (v4)"
    path = tmp_path / "v4.json"
    path.write_text(json.dumps(changed))
    with pytest.raises(FailedPrecondition) as err:  # same version 3.0.0, other content
        run_load(store, "fhir", path)
    assert err.value.reason == "VERSION_EXISTS"
    assert not run_load(store, "fhir", path, version="4.0.0")[0].active
    assert terminology.lookup(store, CONFIDENTIALITY, "L").display == "low"
    assert terminology.lookup(store, CONFIDENTIALITY, "L", version="4.0.0").display == "low (v4)"
    run_load(store, "fhir", path, version="4.0.0", activate=True)
    assert terminology.lookup(store, CONFIDENTIALITY, "L").display == "low (v4)"
    assert terminology.lookup(store, CONFIDENTIALITY, "L", version="3.0.0").display == "low"


def test_failure_late_in_a_package_leaves_the_store_exactly_as_before(store, tmp_path):
    run_load(store, "fhir", FHIR / "CodeSystem-v3-Confidentiality.json")
    before = snapshot(store)
    changed = fixture("CodeSystem-v3-Confidentiality.json")
    changed["version"] = "4.0.0"
    broken = pretty("ValueSet-v3-Confidentiality.json")[:600]
    path = package(tmp_path, {"package/CodeSystem-v3-ActCode.json": (FHIR / "CodeSystem-v3-ActCode.json").read_bytes(),
                              "package/CodeSystem-v3-Confidentiality.json": json.dumps(changed).encode(),
                              "package/ValueSet-v3-Confidentiality.json": broken})
    with pytest.raises(LoadError) as err:
        run_load(store, "fhir", path, activate=True)
    assert err.value.message.startswith(f"{path}#package/ValueSet-v3-Confidentiality.json:")
    assert err.value.line > 1 and "malformed JSON" in err.value.message
    assert snapshot(store) == before
    assert terminology.lookup(store, CONFIDENTIALITY, "L").version == "3.0.0"


@pytest.mark.parametrize("damage, reason", [
    (lambda b: b[: len(b) // 2], "malformed JSON"),
    (lambda b: b.replace(b'"low"', b'"l\xe9w"'), "bad encoding"),
])
def test_bad_file_names_file_and_line(store, tmp_path, damage, reason):
    path = tmp_path / "CodeSystem-bad.json"
    path.write_bytes(damage(pretty("CodeSystem-v3-Confidentiality.json")))
    with pytest.raises(LoadError) as err:
        run_load(store, "fhir", path)
    assert err.value.message.startswith(f"{path}:{err.value.line}: {reason}") and err.value.line > 1
    assert store.code_systems() == []


def test_truncated_package_is_refused(store, tmp_path):
    good = package(tmp_path, {f"package/{n}": (FHIR / n).read_bytes() for n in TERMINOLOGY})
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(LoadError) as err:
        run_load(store, "fhir", cut)
    assert str(cut) in err.value.message and store.code_systems() == []


def test_dry_run_counts_what_a_load_would_write_and_writes_nothing(store, tmp_path):
    source = folder(tmp_path, TERMINOLOGY)
    before = snapshot(store)
    dry = run_load(store, "fhir", source, dry_run=True)
    assert {s.status for s in dry} == {"dry-run"} and snapshot(store) == before
    real = run_load(store, "fhir", source)
    assert [(s.kind, s.url, dict(s.counts), dict(s.skipped)) for s in dry] == \
        [(s.kind, s.url, dict(s.counts), dict(s.skipped)) for s in real]


def test_system_option_loads_only_that_resource(store):
    summaries = run_load(store, "fhir", SDOHCC_PACKAGE,
                         system="http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes")
    assert [s.kind for s in summaries] == ["code_system", "package"]
    assert summaries[-1].skipped["not the requested --system"] == 14
    with pytest.raises(LoadError, match="no CodeSystem, ValueSet or ConceptMap"):
        run_load(store, "fhir", SDOHCC_PACKAGE, system="http://example.org/nothing")


def test_not_present_and_supplement_code_systems_register_nothing(store, tmp_path):
    base = fixture("CodeSystem-v3-Confidentiality.json")
    resources = {"np.json": {**base, "url": "http://example.org/np", "content": "not-present", "concept": []},
                 "supplement.json": {**base, "url": "http://example.org/sup", "supplements": CONFIDENTIALITY},
                 "vs.json": vs("over-not-present", include=[{"system": "http://example.org/np"}])}
    summaries = run_load(store, "fhir", folder(tmp_path, [], resources))
    assert summaries[-1].skipped == {"CodeSystem with content not-present (no concepts to load)": 1,
                                     "CodeSystem supplement (not supported)": 1}
    assert store.code_systems() == []
    assert summaries[0].skipped == {"code system not loaded: http://example.org/np": 1}


def test_expand_unknown_value_set_is_not_found_with_error_info(loaded, store):
    with terminology_stub(store.path) as stub, pytest.raises(grpc.RpcError) as err:
        expand(stub, THO_VS + "v3-NoSuchValueSet")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(err.value).reason == "VALUE_SET_NOT_FOUND"


def test_cli_load_prints_summaries_and_status_lists_everything(tmp_path):
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(cli, ["load", "fhir", str(SDOHCC_PACKAGE), "--db", db])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 16 and lines[-1].startswith("loaded: package hl7.fhir.us.sdoh-clinicalcare version 2.2.0")
    status = json.loads(CliRunner().invoke(cli, ["status", "--json", "--db", db]).output)
    assert len(status["value_sets"]) == 14 and all(v["active"] and len(v["checksum"]) == 64
                                                   for v in status["value_sets"])
    assert status["code_systems"][0]["concepts"] == 46 and status["code_systems"][0]["format"] == "fhir"


def test_cli_failure_exits_nonzero_naming_file_and_line(tmp_path):
    bad = tmp_path / "truncated.json"
    bad.write_bytes(pretty("ValueSet-v3-Confidentiality.json")[:300])
    result = subprocess.run([sys.executable, "-m", "server.cli.main", "load", "fhir", str(bad), "--db",
                             str(tmp_path / "t.db")], capture_output=True, text=True)
    assert result.returncode == 1 and f"error: {bad}:" in result.stderr and "malformed JSON" in result.stderr



def test_default_content_serves_the_sdohcc_code_system(channel):
    stub = pb_grpc.TerminologyServiceStub(channel)
    concept = stub.LookupConcept(pb.LookupConceptRequest(system="sdoh", code="food-insecurity")).concept
    assert (concept.coding.display, concept.coding.version) == ("Food Insecurity", "6604b7ac")
    assert concept.active and any(p.code == "definition" for p in concept.properties)
