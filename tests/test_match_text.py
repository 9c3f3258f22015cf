"""MatchText through the real server: abbreviations, typos, assertion flags,
SDOH, calibrated confidences and decisions, the batch stream, bad requests,
the on-disk index and accepted map entries feeding back as aliases."""

import json
import shutil

import grpc
import pytest

from server.engine import Engine
from server.match import content, index as index_mod
from server.match.service import auto_threshold
from server.store.store import Store
from termbridge.v1 import common_pb2, translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

from grpc_helpers import error_info

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
SDOH = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"


@pytest.fixture(scope="module")
def stub(channel):
    return pb_grpc.TranslationServiceStub(channel)


def match(stub, text, *targets, **options):
    return stub.MatchText(pb.MatchTextRequest(text=text, target_systems=list(targets), **options))


def codes(response, system=ICD):
    found = next(r for r in response.results if r.system == system)
    return [c.coding.code for c in found.candidates]


def decision(response, system=ICD):
    return next(r for r in response.results if r.system == system).decision


def test_abbreviations_expand_to_the_coded_condition(stub):
    htn = match(stub, "htn", "icd10cm")
    assert codes(htn)[0] == "I10" and decision(htn) == common_pb2.DECISION_AUTO
    assert htn.normalized_text == "hypertension"
    assert "abbreviation htn -> hypertension" in htn.results[0].candidates[0].evidence
    assert codes(match(stub, "MDD, recurrent, mod", "icd10cm"))[0] == "F33.1"


def test_misspelled_entry_is_corrected(stub):
    response = match(stub, "anxeity", "icd10cm")
    assert codes(response)[0] == "F41.9"
    assert "spelling anxeity -> anxiety" in response.results[0].candidates[0].evidence


def test_assertions_are_reported_and_never_auto_when_negated_or_uncertain(stub):
    denies = match(stub, "denies SI", "icd10cm")
    assert denies.assertion.negated and "denies" in denies.assertion.triggers
    assert codes(denies)[0] == "R45.851" and decision(denies) != common_pb2.DECISION_AUTO
    rule_out = match(stub, "r/o bipolar", "icd10cm")
    assert rule_out.assertion.uncertain and not rule_out.assertion.negated
    assert codes(rule_out)[0] == "F31.9" and decision(rule_out) != common_pb2.DECISION_AUTO
    history = match(stub, "hx of DVT", "icd10cm")
    assert history.assertion.historical and "Z86.718" in codes(history)[:2]
    family = match(stub, "FH breast ca", "icd10cm")
    assert family.assertion.family and codes(family)[0] == "Z80.3"
    plain = match(stub, "no transportation to appointments", "icd10cm")
    assert not plain.assertion.negated  # a missing resource is the finding itself


def test_social_needs_reach_icd_z_codes_and_gravity_categories(stub):
    response = match(stub, "homeless - staying in car")
    assert {"Z59.00", "Z59.02"} & set(codes(response)[:3])
    assert codes(response, SDOH)[0] == "homelessness"
    sdoh = next(r for r in response.results if r.system == SDOH)
    assert sdoh.candidates[0].relationship == common_pb2.RELATIONSHIP_SOURCE_IS_NARROWER_THAN_TARGET


def test_snomed_candidates_come_from_public_descriptions_and_maps(stub):
    response = match(stub, "major depressive disorder", "snomed")
    assert "370143000" in codes(response, SNOMED)[:2]


def test_gibberish_is_no_match(stub):
    response = match(stub, "xqzvw plorkt")
    assert all(r.decision == common_pb2.DECISION_NO_MATCH for r in response.results)


def test_punctuation_only_is_no_match(stub):
    response = match(stub, ". ?!")
    assert response.results and all(r.decision == common_pb2.DECISION_NO_MATCH for r in response.results)


def test_confidences_are_probabilities_best_first(stub):
    for text in ("htn", "etoh abuse in early remission", "chronic low back pain", "food insecurity"):
        for found in match(stub, text, max_candidates=8).results:
            confidences = [c.confidence for c in found.candidates]
            assert all(0.0 <= c <= 1.0 for c in confidences)
            assert confidences == sorted(confidences, reverse=True)
            assert len(confidences) <= 8


def test_auto_threshold_per_request_and_from_environment(stub, monkeypatch):
    assert decision(match(stub, "htn", "icd10cm", auto_threshold=0.9999999)) == common_pb2.DECISION_REVIEW
    monkeypatch.setenv("TERMBRIDGE_AUTO_THRESHOLD", "0.5")
    assert auto_threshold() == 0.5 and auto_threshold(0.8) == 0.8
    monkeypatch.setenv("TERMBRIDGE_AUTO_THRESHOLD", "high")
    with pytest.raises(Exception, match="not a number"):
        auto_threshold()


@pytest.mark.parametrize("request_, reason", [
    (pb.MatchTextRequest(text=""), "FIELD_REQUIRED"),
    (pb.MatchTextRequest(text="x" * 1001), "FIELD_TOO_LONG"),
    (pb.MatchTextRequest(text="htn", target_systems=["no-such-system"]), "UNKNOWN_SYSTEM"),
    (pb.MatchTextRequest(text="htn", auto_threshold=1.5), "BAD_AUTO_THRESHOLD"),
    (pb.MatchTextRequest(text="htn", max_candidates=-1), "BAD_MAX_CANDIDATES"),
])
def test_bad_requests_are_invalid_argument(stub, request_, reason):
    with pytest.raises(grpc.RpcError) as err:
        stub.MatchText(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(err.value).reason == reason


def test_stream_matches_text_items_in_order(stub):
    items = [pb.TranslateItem(request_id=str(i), match_text=pb.MatchTextRequest(text=t, target_systems=["icd10cm"]))
             for i, t in enumerate(["htn", "", "copd", "anxeity"])]
    responses = list(stub.StreamTranslate(iter([pb.StreamTranslateRequest(items=items[:2]),
                                                pb.StreamTranslateRequest(items=items[2:])])))
    results = [r for response in responses for r in response.results]
    assert [r.request_id for r in results] == ["0", "1", "2", "3"] and [r.index for r in results] == [0, 1, 2, 3]
    assert results[1].WhichOneof("result") == "error"
    assert results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert [codes(results[i].match_text)[0] for i in (0, 2, 3)] == ["I10", "J44.9", "F41.9"]


def test_index_is_kept_on_disk_for_the_content_version(engine):
    engine.match_text("htn")
    fingerprint = content.base_fingerprint(engine.store)
    folder = index_mod.index_dir(engine.db_path) / fingerprint[:16]
    assert json.loads((folder / "index.json").read_text())["fingerprint"] == fingerprint
    assert [p.name for p in index_mod.index_dir(engine.db_path).iterdir()] == [folder.name]


def test_accepted_map_entry_becomes_an_alias_without_retraining(engine, tmp_path):
    engine.match_text("htn")  # the base index exists next to the default database
    db = tmp_path / "copy.db"
    shutil.copy(engine.db_path, db)
    shutil.copytree(index_mod.index_dir(engine.db_path), index_mod.index_dir(str(db)))
    store = Store(db)
    with store.transaction() as conn:
        set_id = conn.execute("SELECT id FROM map_sets WHERE active = 1 ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute("INSERT INTO map_entries (map_set_id, source_system, source_code, source_display, "
                     "target_system, target_code, target_display, relationship, status, created_at, updated_at) "
                     "VALUES (?, 'urn:local', 'Q1', 'zorblax wasting syndrome', ?, 'E43', '', 'equivalent', "
                     "'accepted', '2026-11-23', '2026-11-23')", (set_id, ICD))
    store.close()
    copy = Engine(str(db))
    result = copy.match_text("zorblax wasting syndrome", ["icd10cm"])
    assert result.results[0].candidates[0].code == "E43"
    assert result.results[0].candidates[0].evidence.startswith("map label")


def test_engine_match_text_keeps_its_contract(engine):
    result = engine.match_text("htn", target_systems=("icd10cm",), max_candidates=2, auto_threshold=0.5)
    assert [r.system for r in result.results] == [ICD] and len(result.results[0].candidates) == 2
    assert result.results[0].decision == "auto" and result.results[0].candidates[0].version

