"""Code translation (TranslateCode, reverse, StreamTranslate) through the real
server: curated crosswalks, official maps, chains, hierarchy, Gravity SDOH."""

import json
import sqlite3
import time

import grpc
import pytest
from click.testing import CliRunner

from loaders.base import Concept, Designation, IsA, SourceInfo
from server.cli.main import cli
from server.engine import Engine
from server.load import run_load
from server.rpc.app import create_server
from server.store.store import Store
from server.store.writer import MapRow, SetInfo, load_code_system, load_map_set
from server.systems import ICD10CM, LOINC, SDOHCC, SNOMED
from termbridge.v1 import common_pb2, translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

from conftest import FIXTURES
from grpc_helpers import error_info

EHR = "http://example.org/fhir/CodeSystem/ehr-problem-list"
CMHC = "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"
R = common_pb2.Relationship
EQUIVALENT, NARROWER, BROADER, RELATED = (R.RELATIONSHIP_EQUIVALENT, R.RELATIONSHIP_SOURCE_IS_NARROWER_THAN_TARGET,
                                          R.RELATIONSHIP_SOURCE_IS_BROADER_THAN_TARGET, R.RELATIONSHIP_RELATED_TO)
ACCEPTED, AUTO = common_pb2.CURATION_STATUS_ACCEPTED, common_pb2.CURATION_STATUS_AUTO


def request(system, code, targets=(), reverse=False, map_set=""):
    return pb.TranslateCodeRequest(source=common_pb2.Coding(system=system, code=code), target_systems=targets,
                                   reverse=reverse, map_set=map_set)


def matches(response, system=None):
    """{code: match} of one target system (or all)."""
    return {m.target.code: m for m in response.matches if system is None or m.target.system == system}


@pytest.fixture(scope="module")
def stub(channel):
    return pb_grpc.TranslationServiceStub(channel)


# --- the default content: curated crosswalks, SDOH, hierarchy -------------------------------------

def test_bh_crosswalk_snomed_to_icd10cm(stub):
    response = stub.TranslateCode(request(SNOMED, "35489007", [ICD10CM]))
    assert response.result and response.source.system == SNOMED
    [match] = response.matches
    assert (match.target.code, match.target.display, match.target.version) == \
        ("F32.A", "Depression, unspecified", "2026-04")
    assert match.relationship == EQUIVALENT and match.confidence == pytest.approx(0.95)
    p = match.provenance
    assert (p.method, p.map_set, p.map_set_version, p.curation_status) == \
        ("curated-map", "bh_snomed_icd10cm", "2026.11.0", ACCEPTED)
    assert p.author == "termbridge:curation-team" and "Depression NOS" in p.justification


def test_reverse_reads_the_relationship_from_the_request_code(stub):
    response = stub.TranslateCode(request("icd10cm", "F33.9", ["snomed"], reverse=True))
    found = matches(response, SNOMED)
    assert {"66344007", "268621008", "2618002"} <= found.keys()
    assert found["66344007"].relationship == EQUIVALENT
    # the crosswalk says 2618002 (chronic recurrent MDD) is narrower than F33.9: so F33.9 is broader
    assert found["2618002"].relationship == BROADER
    assert {m.provenance.method for m in found.values()} == {"curated-map"}


def test_chain_from_local_code_to_sdoh_category_states_its_path(stub):
    response = stub.TranslateCode(request(CMHC, "SDOH13", [SDOHCC]))
    [match] = response.matches
    assert match.target.code == "food-insecurity" and match.provenance.method == "chain"
    assert [c.code for c in match.provenance.path] in (["Z59.41"], ["733423003"])
    assert " > " in match.provenance.map_set and match.confidence < 1.0


def test_non_billable_icd10cm_category_offers_billable_codes_as_narrower(stub):
    response = stub.TranslateCode(request("icd10cm", "F32", ["icd10cm"]))
    found = matches(response)
    assert {"F32.0", "F32.9", "F32.A", "F32.81", "F32.89"} <= found.keys() and "F32.8" not in found
    assert {m.relationship for m in found.values()} == {BROADER}
    assert {m.provenance.method for m in found.values()} == {"hierarchy"}
    assert all(m.confidence < 0.2 for m in found.values())
    assert not stub.TranslateCode(request("icd10cm", "F32.A", ["icd10cm"])).result  # billable: nothing to offer


@pytest.mark.parametrize("system, code, categories", [
    ("icd10cm", "Z59.41", {"food-insecurity"}),
    ("icd10cm", "Z59.12", {"inadequate-housing", "utility-insecurity"}),
    ("icd10cm", "Z56.0", {"employment-status"}),
    ("snomed", "32911000", {"homelessness"}),
    ("snomed", "160695008", {"transportation-insecurity", "financial-insecurity"}),
    ("loinc", "88124-3|LA19952-3", {"food-insecurity"}),
    ("loinc", "71802-3|LA30190-5", {"homelessness"}),
])
def test_sdoh_categories_from_mapped_codes(stub, system, code, categories):
    response = stub.TranslateCode(request(system, code, ["sdoh"]))
    assert set(matches(response, SDOHCC)) == categories
    assert all(m.relationship == NARROWER for m in response.matches)


def test_sdoh_category_rule_for_icd10cm_category_codes(stub):
    homeless = stub.TranslateCode(request("icd10cm", "Z59.0", ["sdoh"]))
    [match] = homeless.matches
    assert match.target.code == "homelessness" and match.relationship == NARROWER
    assert match.provenance.method == "hierarchy" and "every billable code under Z59.0" in match.provenance.advice
    assert [c.code for c in match.provenance.path] == ["Z59.00", "Z59.01", "Z59.02"]
    # Z59.12 is also utility insecurity, but not every code under Z59.1 is
    assert set(matches(stub.TranslateCode(request("icd10cm", "Z59.1", ["sdoh"])))) == {"inadequate-housing"}


def test_sdoh_rows_for_z55_z65_codes_that_had_no_category(stub):
    furloughed = stub.TranslateCode(request("icd10cm", "Z56.89", ["sdoh"]))
    [match] = furloughed.matches
    assert (match.target.code, match.relationship, match.provenance.method) == (
        "employment-status", NARROWER, "curated-map")
    assert (match.provenance.map_set, match.provenance.map_set_version) == ("sdoh_gravity", "2026.11.1")
    no_services = matches(stub.TranslateCode(request("icd10cm", "Z58.81", ["sdoh"])), SDOHCC)
    assert set(no_services) == {"digital-access", "utility-insecurity"}
    assert {m.relationship for m in no_services.values()} == {RELATED}  # the code spans both, and telephone
    [family] = stub.TranslateCode(request("icd10cm", "Z63.71", ["sdoh"])).matches
    assert (family.target.code, family.relationship) == ("stress", RELATED)
    # Z63.72 (alcoholism and drug addiction in family) is not stress, so no category rule for Z63.7
    [block] = stub.TranslateCode(request("icd10cm", "Z63.7", ["sdoh"])).matches
    assert block.target.code == "sdoh-category-unspecified"


def test_sdoh_range_rules_cover_what_no_map_lists(stub):
    family = stub.TranslateCode(request("icd10cm", "Z63.72", ["sdoh"]))
    [match] = family.matches
    assert match.target.code == "sdoh-category-unspecified" and "Z55-Z65" in match.provenance.advice
    underdosing = stub.TranslateCode(request("icd10cm", "Z91.120", ["sdoh"]))
    assert [m.target.code for m in underdosing.matches] == ["medical-cost-burden"]
    assert "financial hardship" in underdosing.matches[0].provenance.advice
    noncompliance = stub.TranslateCode(request("icd10cm", "Z91.19", ["sdoh"]))  # no rule: only the matcher's guesses
    assert {m.provenance.method for m in noncompliance.matches} <= {"text-match"}
    depression = stub.TranslateCode(request("icd10cm", "F32.A", ["sdoh"]))  # not a social need
    assert not depression.result and not depression.matches


def test_hunger_vital_sign_at_risk_becomes_a_condition(stub):
    response = stub.TranslateCode(request("loinc", "LA19952-3"))  # unambiguous without its question
    assert matches(response, SNOMED)["733423003"].target.display == "Food insecurity"
    assert set(matches(response, ICD10CM)) == {"Z59.41"}
    assert set(matches(response, SDOHCC)) == {"food-insecurity"}
    assert "88124-3" in response.matches[0].provenance.advice


def test_prapare_no_housing_becomes_homeless(stub):
    response = stub.TranslateCode(request("loinc", "LA30190-5", ["snomed", "icd10cm"]))
    assert set(matches(response, SNOMED)) == {"32911000"}
    assert [c for c in matches(response, ICD10CM)] == ["Z59.00"]


def test_loinc_answer_that_depends_on_its_question(stub):
    alone = stub.TranslateCode(request("loinc", "LA33-6"))
    assert not alone.result and not alone.matches
    assert "93030-5" in alone.message and "QUESTION|ANSWER" in alone.message
    transport = stub.TranslateCode(request("loinc", "93030-5|LA33-6"))
    assert transport.source.code == "93030-5|LA33-6"
    assert set(matches(transport, SDOHCC)) == {"transportation-insecurity"}
    assert set(matches(transport, ICD10CM)) == {"Z59.82"}
    assert not stub.TranslateCode(request("loinc", "88124-3|LA33-6")).result


def test_reverse_from_a_category_lists_answers_with_their_question(stub):
    response = stub.TranslateCode(request("sdoh", "food-insecurity", ["loinc"], reverse=True))
    found = matches(response, LOINC)
    assert "88124-3|LA19952-3" in found and "88122-7|LA28397-0" in found and "88123-5|LA28397-0" in found
    again = stub.TranslateCode(request("loinc", "88124-3|LA19952-3", ["sdoh"]))  # the code works as input
    assert set(matches(again)) == {"food-insecurity"}


@pytest.mark.parametrize("system, code, targets", [
    ("icd10cm", "F32A", ["snomed"]),
    ("ICD-10-CM", "f32.a", ["SNOMED"]),
    ("urn:oid:2.16.840.1.113883.6.90", "F32A", ["urn:oid:2.16.840.1.113883.6.96"]),
    ("http://hl7.org/fhir/sid/icd-10-cm", " F32.A ", ["http://snomed.info/sct"]),
])
def test_input_normalization(stub, system, code, targets):
    response = stub.TranslateCode(request(system, code, targets, reverse=True))
    assert (response.source.system, response.source.code, response.source.display) == \
        (ICD10CM, "F32.A", "Depression, unspecified")
    assert set(matches(response, SNOMED)) == {"35489007"} and response.matches[0].target.system == SNOMED


@pytest.mark.parametrize("req, code, reason, metadata", [
    (request("no-such-system", "1"), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_SYSTEM",
     {"system": "no-such-system"}),
    (request("icd10cm", "F32.A", ["umls"]), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_SYSTEM", {"system": "umls"}),
    (request("loinc", "LA33-6", ["umls"]), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_SYSTEM", {"system": "umls"}),
    (request("icd10cm", ""), grpc.StatusCode.INVALID_ARGUMENT, "CODE_REQUIRED", {}),
    (request("icd10cm", "F32.A", map_set="nope"), grpc.StatusCode.NOT_FOUND, "MAP_SET_NOT_FOUND",
     {"map_set": "nope"}),
    (request("icd10cm", "F32.A", ["snomed"] * 40), grpc.StatusCode.INVALID_ARGUMENT, "TOO_MANY_TARGETS",
     {"limit": "32", "size": "40"}),
])
def test_bad_requests_get_status_with_error_info(stub, req, code, reason, metadata):
    with pytest.raises(grpc.RpcError) as err:
        stub.TranslateCode(req)
    assert err.value.code() == code
    info = error_info(err.value)
    assert info.reason == reason and dict(info.metadata) == metadata


def test_nothing_maps_is_result_false_with_a_reason(stub):
    unknown = stub.TranslateCode(request("icd10cm", "F99.99"))
    assert not unknown.result and "F99.99 is not in http://hl7.org/fhir/sid/icd-10-cm" in unknown.message
    unmapped = stub.TranslateCode(request("icd10cm", "A00.0", ["snomed"], reverse=True))
    assert not unmapped.result and not unmapped.matches
    assert unmapped.message == f"no map leads to {ICD10CM} A00.0 from {SNOMED}"


def test_text_matcher_is_the_last_resort_and_says_so(stub):
    response = stub.TranslateCode(request("icd10cm", "F33.9", ["snomed"]))  # no ICD-10-CM -> SNOMED CT map
    assert response.result and {m.provenance.method for m in response.matches} == {"text-match"}
    assert all(0 < m.confidence <= 1 and m.target.system == SNOMED for m in response.matches)
    assert all(m.provenance.justification.startswith("the source display matched") for m in response.matches)
    # another target answered from the hierarchy: the matcher is not asked
    both = stub.TranslateCode(request("icd10cm", "F32", ["icd10cm", "snomed"]))
    assert {m.provenance.method for m in both.matches} == {"hierarchy"}


def test_map_set_restricts_the_answer(stub):
    sdoh = stub.TranslateCode(request("snomed", "733423003", map_set="sdoh_gravity"))
    assert {m.provenance.map_set for m in sdoh.matches} == {"sdoh_gravity"} and "Z59.41" in matches(sdoh)
    assert not stub.TranslateCode(request("snomed", "733423003", map_set="bh_snomed_icd10cm")).result


# --- the stream -----------------------------------------------------------------------------------

def test_stream_keeps_order_over_many_batches_and_matches_unary_answers(stub):
    codes = [("icd10cm", "F32A"), ("snomed", "32911000"), ("bad-system", "x"), ("loinc", "LA19952-3"),
             ("icd10cm", "Z59.0"), (CMHC, "SDOH13"), ("icd10cm", "")]
    batches = [pb.StreamTranslateRequest(items=[
        pb.TranslateItem(request_id=f"r{b}-{i}", translate_code=request(*codes[(b + i) % len(codes)]))
        for i in range(150)]) for b in range(12)]
    responses = list(stub.StreamTranslate(iter(batches)))
    assert [len(r.results) for r in responses] == [150] * 12
    results = [x for r in responses for x in r.results]
    assert [x.index for x in results] == list(range(12 * 150))
    assert [x.request_id for x in results] == [i.request_id for b in batches for i in b.items]
    for item, result in zip((i for b in batches for i in b.items), results):
        source = item.translate_code.source
        if source.system == "bad-system" or not source.code:
            assert result.WhichOneof("result") == "error"
            assert result.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
        else:
            assert result.translate_code == stub.TranslateCode(item.translate_code)


def test_stream_rejects_an_oversized_batch_with_error_info(stub):
    batch = pb.StreamTranslateRequest(items=[pb.TranslateItem(translate_code=request("icd10cm", "F32.A"))] * 10_001)
    with pytest.raises(grpc.RpcError) as err:
        list(stub.StreamTranslate(iter([batch])))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and error_info(err.value).reason == "BATCH_TOO_LARGE"


def test_stream_applies_backpressure_when_the_client_stops_reading(engine):
    """Each batch asks for a code no other test uses, so the translator's cache says
    how many batches the server has answered (a map set is named: no text matching)."""
    codes = [r[0] for r in engine.store.query(
        "SELECT code FROM concepts WHERE billable = 1 AND code LIKE 'S%' ORDER BY code LIMIT 300")]
    batches = [pb.StreamTranslateRequest(items=[pb.TranslateItem(request_id=f"{code}-{i}", translate_code=request(
        "icd10cm", code, ["SDOHCC"], map_set="sdoh_gravity")) for i in range(100)]) for code in codes]

    def answered() -> int:
        return sum(1 for key in engine.translator.index().cache if key[2:5] == (("SDOHCC",), False, "sdoh_gravity")
                   and key[1] in codes)

    server, port = create_server("127.0.0.1:0", engine)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.http2.bdp_probe", 0)]) as ch:
            responses = pb_grpc.TranslationServiceStub(ch).StreamTranslate(iter(batches))
            seen, unchanged = -1, 0
            while unchanged < 20:  # until the server stops answering
                time.sleep(0.1)
                unchanged, seen = (unchanged + 1, seen) if answered() == seen else (0, answered())
            assert 1 <= seen <= 10, f"server answered {seen} of {len(batches)} batches nobody read"
            results = [x for r in responses for x in r.results]
        assert len(results) == 300 * 100 and [x.index for x in results] == list(range(30_000))
        assert answered() == 300
    finally:
        server.stop(None)


# --- a database with SNOMED CT loaded, an official map and local codes ----------------------------

SNOMED_CUT = [  # (id, preferred term, parents): real concepts and is-a relationships
    ("35489007", "Depressive disorder", []),
    ("370143000", "Major depressive disorder", ["35489007"]),
    ("832007", "Moderate major depression", ["370143000"]),
    ("42810003", "Major depression in remission", ["370143000"]),
    ("87414006", "Reactive depression (situational)", ["35489007"]),
    ("15639000", "Moderate major depression, single episode", ["832007"]),
]


def official_row(sctid, icd):
    provenance = {"refset_id": "6011000124106", "map_group": 1, "map_priority": 1, "map_rule": "TRUE",
                  "map_advice": f"ALWAYS {icd}", "correlation_id": "447561005"}
    return MapRow(SNOMED, sctid, "", ICD10CM, icd, "", "source-is-narrower-than-target", 1.0, "accepted", "",
                  json.dumps(provenance))


def set_info(name, kind, checksum):
    return SetInfo(name=name, version="1", url="", title=name, source="test", checksum=checksum, kind=kind)


@pytest.fixture(scope="module")
def loaded(default_db, tmp_path_factory):
    """A copy of the default database plus SNOMED CT, an official map, a rejected
    entry and the EHR test map; served on its own port. Yields (stub, writable store)."""
    path = tmp_path_factory.mktemp("translation") / "loaded.db"
    with sqlite3.connect(default_db) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    store = Store(path)
    rows = []
    for code, term, parents in SNOMED_CUT:
        rows += [Concept(code, term), Designation(code, term, "preferred"), *(IsA(code, p) for p in parents)]
    load_code_system(store, SourceInfo(SNOMED, "test-20250301", "SNOMEDCT", "SNOMED CT cut", "test", "test",
                                       "sct-cut"), rows)
    load_map_set(store, set_info("snomed_icd10cm_official", "official", "official"),
                 [official_row("87414006", "F32.9"), official_row("35489007", "F32.9")])
    rejected = official_row("42810003", "F33.40")._replace(status="rejected")
    load_map_set(store, set_info("rejected_entries", "curated", "rejected"), [rejected])
    run_load(store, "sssom", FIXTURES / "translation" / "ehr_problem_list_map.sssom.tsv")
    server, port = create_server("127.0.0.1:0", Engine(str(path)))
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield pb_grpc.TranslationServiceStub(ch), store
    server.stop(None)
    store.close()


def test_official_map_answers_when_no_curated_map_does(loaded):
    stub, _ = loaded
    [match] = stub.TranslateCode(request("snomed", "87414006", ["icd10cm"])).matches
    assert match.target.code == "F32.9" and match.provenance.method == "official-map"
    assert match.confidence == pytest.approx(0.9) and "ALWAYS F32.9" in match.provenance.advice
    # 35489007 has both: the accepted curated entry answers alone
    assert set(matches(stub.TranslateCode(request("snomed", "35489007", ["icd10cm"])))) == {"F32.A"}


def test_chain_local_to_snomed_to_icd10cm(loaded):
    stub, _ = loaded
    response = stub.TranslateCode(request(EHR, "MDD-REC-MOD", ["icd10cm"]))
    [match] = response.matches
    assert match.target.code == "F33.1" and match.relationship == EQUIVALENT
    assert match.provenance.method == "chain" and [c.code for c in match.provenance.path] == ["18818009"]
    assert match.provenance.path[0].system == SNOMED
    assert match.provenance.map_set == "ehr_problem_list_map > bh_snomed_icd10cm"
    assert match.confidence == pytest.approx(0.95 * 1.0 * 0.9)


def test_auto_entries_never_outrank_accepted_ones(loaded):
    stub, _ = loaded
    food = stub.TranslateCode(request(EHR, "FOOD", ["icd10cm"]))
    assert set(matches(food)) == {"Z59.41"} and food.matches[0].provenance.curation_status == ACCEPTED
    [transport] = stub.TranslateCode(request(EHR, "TRANSPORT", ["icd10cm"])).matches
    assert transport.target.code == "Z59.82" and transport.provenance.curation_status == AUTO
    assert transport.confidence == pytest.approx(0.9 * 0.7)


def test_snomed_concept_without_a_map_takes_its_nearest_mapped_ancestor(loaded):
    stub, _ = loaded
    response = stub.TranslateCode(request("snomed", "832007", ["icd10cm"]))
    assert response.source.display == "Moderate major depression"
    [match] = response.matches
    assert (match.target.code, match.relationship, match.provenance.method) == ("F32.9", NARROWER, "hierarchy")
    assert [(c.code, c.display) for c in match.provenance.path] == [("370143000", "Major depressive disorder")]
    assert match.confidence == pytest.approx(0.90 * 0.8)
    # a rejected entry is skipped: 42810003 also goes to its ancestor
    [remission] = stub.TranslateCode(request("snomed", "42810003", ["icd10cm"])).matches
    assert remission.target.code == "F32.9" and remission.provenance.method == "hierarchy"
    # a concept with its own map does not climb
    [own] = stub.TranslateCode(request("snomed", "15639000", ["icd10cm"])).matches
    assert own.target.code == "F32.1" and own.provenance.method == "curated-map"


def test_new_content_is_answered_once_loaded(loaded):
    stub, store = loaded
    assert not stub.TranslateCode(request(EHR, "HOUSING", ["icd10cm"])).result
    row = MapRow(EHR, "HOUSING", "Housing unstable", ICD10CM, "Z59.819", "", "equivalent", 1.0, "accepted")
    load_map_set(store, set_info("ehr_housing", "curated", "housing"), [row])
    assert set(matches(stub.TranslateCode(request(EHR, "HOUSING", ["icd10cm"])))) == {"Z59.819"}


# --- the command line -----------------------------------------------------------------------------

def test_cli_translate(default_db):
    runner = CliRunner()
    text = runner.invoke(cli, ["translate", "snomed", "35489007", "--target", "icd10cm", "--db", default_db])
    assert text.exit_code == 0 and "F32.A" in text.output and "bh_snomed_icd10cm" in text.output
    data = json.loads(runner.invoke(cli, ["translate", "icd10cm", "Z590", "--target", "sdoh", "--json",
                                          "--db", default_db]).output)
    assert data["source"]["code"] == "Z59.0" and data["matches"][0]["target"]["code"] == "homelessness"
    reverse = runner.invoke(cli, ["translate", "icd10cm", "F32.A", "--reverse", "--db", default_db])
    assert "<- http://snomed.info/sct" in reverse.output and "35489007" in reverse.output
    bad = runner.invoke(cli, ["translate", "nope", "1", "--db", default_db])
    assert bad.exit_code == 1 and "unknown code system 'nope'" in bad.output
