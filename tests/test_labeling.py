"""Sensitivity labeling (issue 6) through the real server: categories with their
HL7 ancestors, one confidentiality code as the high-water mark, 42 CFR Part 2 and
psychotherapy-note policies only from provenance, evidence for every label, free
text through the matcher, organization value sets and exclusion switches, FHIR
resources and Bundles labeled with nothing else changed, the CLI."""

from __future__ import annotations

import json
import sqlite3

import grpc
import pytest
from click.testing import CliRunner

from server.cli.main import cli
from server.engine import Engine
from server.labels import fhir_json
from server.load import run_load
from server.rpc.app import create_server
from server.store.store import Store
from termbridge.v1 import common_pb2, labeling_service_pb2 as pb, labeling_service_pb2_grpc as pb_grpc

from conftest import FIXTURES
from grpc_helpers import error_info

HERE = FIXTURES / "labeling"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
CMHC = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"
ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
BASIS = "http://hl7.org/fhir/uv/security-label-ds4p/StructureDefinition/extension-sec-label-basis"
VERSION = "2026.11.0"
PART2 = pb.ProvenanceContext(part2_program=True)
PSYCHOTHERAPY = pb.ProvenanceContext(note_type=pb.NOTE_TYPE_PSYCHOTHERAPY)


@pytest.fixture(scope="module")
def stub(channel):
    return pb_grpc.LabelingServiceStub(channel)


def element(code, system="icd10cm", id="", **fields):
    return pb.Element(id=id, codings=[common_pb2.Coding(system=system, code=code)] if code else [], **fields)


def label(stub, *elements, context=None) -> pb.LabelElementsResponse:
    return stub.LabelElements(pb.LabelElementsRequest(elements=elements, context=context))


def one(stub, code, system="icd10cm", context=None) -> pb.ElementLabels:
    return label(stub, element(code, system), context=context).results[0]


def codes(codings) -> list[str]:
    return [c.code for c in codings]


def evidence_for(result: pb.ElementLabels, code: str) -> pb.LabelEvidence:
    return next(e for e in result.evidence if e.label.code == code)


def test_alcohol_dependence_is_sud_and_ethud_restricted_without_part2_policy(stub):
    result = one(stub, "F10.20")
    assert codes(result.labels.sensitivity) == ["SUD", "ETHUD", "SPI"]
    assert result.labels.confidentiality.system == CONFIDENTIALITY and result.labels.confidentiality.code == "R"
    assert {c.system for c in result.labels.sensitivity} == {ACTCODE}
    assert not result.labels.policy and not result.labels.handling
    assert result.decision == common_pb2.DECISION_AUTO


def test_every_label_has_its_rule_value_set_version_matched_code_and_path(stub):
    result = one(stub, "F1020")  # undotted input is normalized
    sud = evidence_for(result, "SUD")
    assert sud.rule == f"SUD|{ICD}|range|F10-F19" and sud.path == pb.MATCH_PATH_CODE_RANGE
    assert (sud.value_set, sud.value_set_version) == ("termbridge/labels/SUD", VERSION)
    assert (sud.matched.system, sud.matched.code) == (ICD, "F10.20")
    assert sud.matched.display == "Alcohol dependence, uncomplicated" and sud.confidence == 1.0
    ethud = evidence_for(result, "ETHUD")
    assert ethud.rule == f"ETHUD|{ICD}|prefix|F10" and ethud.value_set == "termbridge/labels/ETHUD"
    spi = evidence_for(result, "SPI")
    assert spi.path == pb.MATCH_PATH_IMPLIED and spi.value_set == "termbridge/labels/categories"
    restricted = evidence_for(result, "R")
    assert restricted.path == pb.MATCH_PATH_IMPLIED and restricted.rule.startswith("confidentiality of ")
    assert {e.label.code for e in result.evidence} == {"R", "SUD", "ETHUD", "SPI"}
    b20 = evidence_for(one(stub, "B20"), "HIV")
    assert b20.path == pb.MATCH_PATH_EXACT_CODE and b20.rule == f"HIV|{ICD}|code|B20"


def test_part2_provenance_adds_the_policy_its_refrain_obligation_and_mark(stub):
    result = one(stub, "F10.20", context=PART2)
    assert codes(result.labels.sensitivity) == ["SUD", "ETHUD", "SPI"]
    assert codes(result.labels.policy) == ["42CFRPart2"] and result.labels.policy[0].system == ACTCODE
    assert codes(result.labels.handling) == ["NORDSCLCD", "CPLYCD", "RedisclosureProhibitionMark"]
    assert result.labels.confidentiality.code == "R"
    policy = evidence_for(result, "42CFRPart2")
    assert policy.path == pb.MATCH_PATH_PROVENANCE and policy.rule == "provenance:part2_program"
    # Part 2 provenance alone: the policy and R, but no SUD sensitivity from provenance
    plain = one(stub, "I10", context=PART2)
    assert not plain.labels.sensitivity and plain.labels.confidentiality.code == "R"
    assert codes(plain.labels.policy) == ["42CFRPart2"]


def test_tobacco_is_not_sud_by_default(stub):
    result = one(stub, "F17.210")
    assert not result.labels.sensitivity and result.labels.confidentiality.code == "N"
    assert not one(stub, "Z79.891").labels.sensitivity  # long-term opiate analgesic: excluded by default


@pytest.mark.parametrize("code, expected", [
    ("F32.A", {"MH", "SPI"}), ("B20", {"HIV"}), ("Z21", {"HIV"}), ("R75", {"HIV"}),
    ("O09.511", {"PREGNANT"}), ("O80", {"PREGNANT"}), ("O99.320", {"PREGNANT", "SUD", "SPI"}),
    ("F11.20", {"SUD", "OPIOIDUD", "SPI"}), ("T74.11XA", {"SDV"}), ("A54.00", {"STD"}),
])
def test_categories_of_icd10cm_codes(stub, code, expected):
    result = one(stub, code)
    assert expected <= set(codes(result.labels.sensitivity)), codes(result.labels.sensitivity)
    assert result.labels.confidentiality.code == "R"


def test_hcpcs_service_codes_under_either_system_name(stub):
    for system in ("hcpcs", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"):
        assert codes(one(stub, "H0020", system).labels.sensitivity) == ["SUD", "OPIOIDUD", "SPI"]


def test_psychotherapy_note_is_psythpn_very_restricted_with_its_own_policy(stub):
    result = one(stub, "F43.10", context=PSYCHOTHERAPY)
    assert {"PSYTHPN", "MH", "SPI"} <= set(codes(result.labels.sensitivity))
    assert result.labels.confidentiality.code == "V"
    assert codes(result.labels.policy) == ["HIPAAPsyNotes"] and codes(result.labels.handling) == ["NOAUTH"]
    assert evidence_for(result, "PSYTHPN").path == pb.MATCH_PATH_PROVENANCE


def test_request_high_water_mark_and_per_element_context(stub):
    response = label(stub, element("I10", id="bp"), element("F10.20", id="aud"),
                     element("B20", id="note", context=PSYCHOTHERAPY))
    assert [r.id for r in response.results] == ["bp", "aud", "note"]
    assert [r.labels.confidentiality.code for r in response.results] == ["N", "R", "V"]
    high = response.high_water_mark
    assert high.confidentiality.code == "V"
    assert codes(high.sensitivity) == ["SUD", "ETHUD", "HIV", "PSYTHPN", "SPI"]
    assert codes(high.policy) == ["HIPAAPsyNotes"]


def test_unknown_systems_label_nothing_and_bad_elements_are_clear_errors(stub):
    assert one(stub, "123", "http://example.org/local").labels.confidentiality.code == "N"
    with pytest.raises(grpc.RpcError) as err:
        label(stub, element("F10.20"), pb.Element(id="empty"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info = error_info(err.value)
    assert info.reason == "ELEMENT_EMPTY" and info.metadata["element"] == "1"
    with pytest.raises(grpc.RpcError) as err:
        label(stub, element("F10.20", system=""))
    assert error_info(err.value).reason == "SYSTEM_REQUIRED"


def test_stream_answers_each_batch_in_order(stub):
    batches = [pb.LabelElementsRequest(elements=[element(code, id=f"{n}-{i}") for i, code in enumerate(batch)],
                                       context=context)
               for n, (batch, context) in enumerate([(["F10.20", "I10", "B20"], None), (["Z21"] * 4, PART2),
                                                     (["E11.9"], None)])]
    responses = list(stub.StreamLabelElements(iter(batches)))
    assert [[r.id for r in resp.results] for resp in responses] == [["0-0", "0-1", "0-2"],
                                                                     ["1-0", "1-1", "1-2", "1-3"], ["2-0"]]
    assert [resp.high_water_mark.confidentiality.code for resp in responses] == ["R", "R", "N"]
    assert codes(responses[1].results[3].labels.policy) == ["42CFRPart2"]
    unary = one(stub, "B20")  # the same answer on the stream and unary
    assert (responses[0].results[2].labels, responses[0].results[2].evidence) == (unary.labels, unary.evidence)


# --- free text through the matcher ------------------------------------------------

@pytest.mark.parametrize("text, category", [("heroin use", "OPIOIDUD"), ("HIV+", "HIV"), ("DV victim", "SDV")])
def test_free_text_is_labeled_through_the_matcher(stub, text, category):
    result = label(stub, pb.Element(id="t", text=text)).results[0]
    assert category in codes(result.labels.sensitivity)
    found = evidence_for(result, category)
    assert found.path == pb.MATCH_PATH_TEXT_MATCH and 0 < found.confidence <= 1
    assert found.matched.system in (ICD, SNOMED) and found.rule.startswith(f"{category}|")


def test_text_below_the_auto_threshold_is_marked_for_review(stub, engine):
    negated = label(stub, pb.Element(text="denies heroin use")).results[0]
    assert "SUD" in codes(negated.labels.sensitivity) and negated.decision == common_pb2.DECISION_REVIEW
    assert {s.decision for s in engine.match_text("zzz").results} == {"no_match"}  # what the matcher says
    nothing = label(stub, pb.Element(text="zzz")).results[0]
    assert nothing.decision == common_pb2.DECISION_NO_MATCH and nothing.labels.confidentiality.code == "N"


# --- FHIR ---------------------------------------------------------------------------

def fhir(stub, name_or_json: str, context=None) -> tuple[dict, dict, pb.LabelFhirResourceResponse]:
    text = (HERE / name_or_json).read_text() if name_or_json.endswith(".json") else name_or_json
    response = stub.LabelFhirResource(pb.LabelFhirResourceRequest(resource_json=text, context=context))
    return json.loads(text), json.loads(response.resource_json), response


def without_security(resource: dict, before: dict) -> dict:
    """The resource with meta.security taken off (and meta, if the labeler added it)."""
    out = json.loads(json.dumps(resource))
    out["meta"].pop("security")
    if "meta" not in before:
        out.pop("meta")
    return out


def security(resource: dict) -> list[str]:
    return [c["code"] for c in resource["meta"]["security"]]


def confidentiality_codes(resource: dict) -> list[str]:
    return [c["code"] for c in resource["meta"]["security"] if c["system"] == CONFIDENTIALITY]


@pytest.mark.parametrize("name, expected", [
    ("Condition-SDOHCC-ConditionHomelessExample.json", ["N"]),
    ("Observation-DrugUse68524-8.json", ["R", "SUD", "SPI"]),
    ("Observation-MentalState44255-8.json", ["R", "MH", "SPI"]),
])
def test_real_resources_round_trip_with_only_meta_security_added(stub, name, expected):
    before, after, response = fhir(stub, name)
    assert without_security(after, before) == before
    assert list(without_security(after, before)) == list(before)  # same keys, same order
    assert security(after) == expected and confidentiality_codes(after) == [expected[0]]
    assert response.high_water_mark.confidentiality.code == expected[0]
    assert all(e.id.startswith(f"{before['resourceType']}/{before['id']}:") for e in response.elements)


def test_part2_resource_carries_the_sec_label_basis_on_its_labels(stub):
    before, after, _ = fhir(stub, "Observation-DrugUse68524-8.json", PART2)
    assert without_security(after, before) == before
    labels = after["meta"]["security"]
    assert security(after) == ["R", "SUD", "SPI", "42CFRPart2", "NORDSCLCD", "CPLYCD", "RedisclosureProhibitionMark"]
    for coding in labels:
        bases = [x["valueCoding"]["code"] for x in coding.get("extension", []) if x["url"] == BASIS]
        assert bases == ([] if coding["code"] == "42CFRPart2" else ["42CFRPart2"]), coding["code"]


def test_a_condition_coded_for_sud_is_labeled(stub):
    condition = json.loads((HERE / "Condition-SDOHCC-ConditionHomelessExample.json").read_text())
    condition["code"] = {"coding": [{"system": ICD, "code": "F11.20", "display": "Opioid dependence, uncomplicated"}]}
    before, after, response = fhir(stub, json.dumps(condition))
    assert security(after) == ["R", "SUD", "OPIOIDUD", "SPI"]
    assert [e.id for e in response.elements] == ["Condition/SDOHCC-ConditionHomelessExample:code"]


def test_bundle_gets_the_high_water_mark_without_privacy_revealing_handling(stub):
    before, after, response = fhir(stub, "Bundle-AHCHRSNScreeningResponseExample-cut.json", PART2)
    stripped = without_security(after, before)
    stripped["entry"] = [{**e, "resource": without_security(e["resource"], b["resource"])}
                         for e, b in zip(stripped["entry"], before["entry"])]
    assert stripped == before
    entries = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in after["entry"]}
    assert all(len(confidentiality_codes(r)) == 1 for r in entries.values())
    assert {"SUD", "NORDSCLCD", "CPLYCD"} <= set(security(entries["Observation/DrugUse68524-8"]))
    assert "MH" in security(entries["Observation/MentalState44255-8"])
    assert security(entries["Patient/PatientExample"])[:2] == ["R", "42CFRPart2"]  # Part 2 covers every record
    assert confidentiality_codes(after) == ["R"]
    assert {"SUD", "MH", "SEX", "SPI", "42CFRPart2", "RedisclosureProhibitionMark"} <= set(security(after))
    assert not {"NORDSCLCD", "CPLYCD"} & set(security(after))
    assert set(codes(response.high_water_mark.handling)) == {"NORDSCLCD", "CPLYCD", "RedisclosureProhibitionMark"}


def test_a_confidentiality_code_already_on_the_resource_is_never_lowered(stub):
    resource = ('{"resourceType": "Observation", "id": "x", "meta": {"security": [{"system": "%s", "code": "V"}, '
                '{"system": "http://example.org/tags", "code": "kept"}]}, "status": "final", "code": {"coding": '
                '[{"system": "%s", "code": "F10.20"}]}, "valueQuantity": {"value": 1.50}}' % (CONFIDENTIALITY, ICD))
    _, after, response = fhir(stub, resource)
    assert security(after) == ["V", "SUD", "ETHUD", "SPI", "kept"]
    assert response.high_water_mark.confidentiality.code == "V"
    assert '"value":1.50' in response.resource_json  # decimals keep their digits


def test_fhir_input_errors(stub):
    for text, reason in (("{not json", "INVALID_JSON"), ('["a"]', "NOT_A_RESOURCE")):
        with pytest.raises(grpc.RpcError) as err:
            stub.LabelFhirResource(pb.LabelFhirResourceRequest(resource_json=text))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and error_info(err.value).reason == reason


def test_fhir_json_keeps_numbers_as_written():
    text = '{"a":1.50,"b":[1e5,-0.0,7],"c":"é"}'
    assert fhir_json.dumps(fhir_json.loads(text)) == text


# --- organization value sets, exclusion switches, SNOMED CT hierarchy ---------------

@pytest.fixture(scope="module")
def org_db(default_db, tmp_path_factory) -> str:
    """A copy of the default database with the SNOMED CT RF2 test release loaded."""
    path = tmp_path_factory.mktemp("org") / "termbridge.db"
    with sqlite3.connect(default_db) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    store = Store(path)
    run_load(store, "snomed-rf2", FIXTURES / "snomed" / "SnomedCT_ManagedServiceUS_PRODUCTION_US1000124_20250301T120000Z")
    store.close()
    return str(path)


@pytest.fixture(scope="module")
def org_stub(org_db):
    server, port = create_server("127.0.0.1:0", Engine(org_db))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield pb_grpc.LabelingServiceStub(ch)
    server.stop(None)


def run(*args, db):
    result = CliRunner().invoke(cli, [*args, "--db", db])
    assert result.exit_code == 0, result.output
    return result.output


def add(category, name, *flags, db):
    return run("labels", "add", "--as", "privacy-officer", "--category", category, "--valueset", str(HERE / name),
               *flags, db=db)


def switch(key, state, db):
    return run("labels", "switch", "--as", "privacy-officer", key, state, db=db)


def test_organization_value_sets_and_exclusion_switches_change_labels(org_stub, org_db):
    assert not one(org_stub, "SUD-ETH-04", CMHC).labels.sensitivity
    assert "loaded: label_value_set org/org_ethud_cmhc" in add("ETHUD", "org_ethud_cmhc.csv", db=org_db)
    local = one(org_stub, "SUD-ETH-04", CMHC)
    assert codes(local.labels.sensitivity) == ["SUD", "ETHUD", "SPI"]
    ethud = evidence_for(local, "ETHUD")
    assert ethud.value_set == "org/org_ethud_cmhc" and len(ethud.value_set_version) == 12

    add("HIV", "ValueSet-org-hiv-exclusions.json", "--exclude", db=org_db)
    assert not one(org_stub, "R75").labels.sensitivity and codes(one(org_stub, "B20").labels.sensitivity) == ["HIV"]

    tobacco = f"SUD|{ICD}|prefix|F17"
    switch(tobacco, "include", db=org_db)
    assert codes(one(org_stub, "F17.210").labels.sensitivity) == ["SUD", "SPI"]
    switch(tobacco, "default", db=org_db)
    assert not one(org_stub, "F17.210").labels.sensitivity

    listing = json.loads(run("labels", "list", "--json", db=org_db))
    orgs = {v["name"]: v for v in listing["value_sets"] if v["origin"] == "organization"}
    assert orgs["http://cmhc.example.org/fhir/ValueSet/hiv-exclusions"]["version"] == "2026.1"
    run("labels", "disable", "http://cmhc.example.org/fhir/ValueSet/hiv-exclusions", db=org_db)
    assert codes(one(org_stub, "R75").labels.sensitivity) == ["HIV"]


def test_snomed_descendants_through_a_loaded_release(org_stub, org_db):
    assert "MH" not in codes(one(org_stub, "7200002", "snomed").labels.sensitivity)
    add("MH", "org_mh_mental_disorder.csv", db=org_db)
    alcoholism = one(org_stub, "7200002", "snomed")  # Alcoholism is-a Mental disorder in the release
    assert {"MH", "ETHUD", "SUD"} <= set(codes(alcoholism.labels.sensitivity))
    mh = evidence_for(alcoholism, "MH")
    assert mh.path == pb.MATCH_PATH_HIERARCHY_ANCESTOR and mh.rule == f"MH|{SNOMED}|descendants|74732009"
    assert evidence_for(alcoholism, "ETHUD").path == pb.MATCH_PATH_EXACT_CODE


def test_bad_value_sets_and_switches_are_refused(org_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("system,match,code,display,exclude,source,note\n" + f"{SNOMED},range,F10-F19,x,false,org,\n")
    result = CliRunner().invoke(cli, ["labels", "add", "--category", "SUD", "--valueset", str(bad), "--db", org_db])
    assert result.exit_code == 1 and f"{bad}:2: match range applies to {ICD} only" in result.output
    result = CliRunner().invoke(cli, ["labels", "add", "--category", "NOPE", "--valueset", str(bad), "--db", org_db])
    assert result.exit_code == 1 and "category 'NOPE' is not one of SUD" in result.output
    result = CliRunner().invoke(cli, ["labels", "switch", f"SUD|{ICD}|range|F10-F19", "off", "--db", org_db])
    assert result.exit_code == 1 and "no active exclusion row" in result.output


# --- the command line ---------------------------------------------------------------

def test_cli_label_code_text_and_jsonl(default_db, tmp_path):
    runner = CliRunner()
    coded = json.loads(runner.invoke(cli, ["label", "--system", "icd10cm", "--code", "F10.20", "--part2",
                                           "--db", default_db]).output)
    assert coded["confidentiality"] == "R" and coded["sensitivity"] == ["SUD", "ETHUD", "SPI"]
    assert coded["policy"] == ["42CFRPart2"] and {"rule", "value_set", "path"} <= coded["evidence"][1].keys()
    text = json.loads(runner.invoke(cli, ["label", "--text", "HIV+", "--db", default_db]).output)
    assert text["sensitivity"] == ["HIV"] and text["evidence"][1]["path"] == "text-match"
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": "1", "system": "icd10cm", "code": "F32.A"}\n{"text": "heroin use"}\nnot json\n'
                     '{"system": "icd10cm", "code": "I10"}\n')
    result = runner.invoke(cli, ["label", "--input", str(lines), "--note-type", "psychotherapy", "--db", default_db])
    out = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 1 and len(out) == 4
    assert out[0]["id"] == "1" and "MH" in out[0]["sensitivity"] and out[0]["confidentiality"] == "V"
    assert "OPIOIDUD" in out[1]["sensitivity"] and out[2] == {"line": 3, "error": "not JSON: Expecting value"}
    assert out[3]["sensitivity"] == ["PSYTHPN", "SPI"] and out[3]["policy"] == ["HIPAAPsyNotes"]
    usage = runner.invoke(cli, ["label", "--code", "F10.20", "--db", default_db])
    assert usage.exit_code == 2
