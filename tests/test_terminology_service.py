"""TerminologyService through the real server and a real channel."""

import grpc
import pytest

from termbridge.v1 import terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc

from grpc_helpers import error_info

ICD = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.fixture(scope="module")
def stub(channel):
    return pb_grpc.TerminologyServiceStub(channel)


def test_lookup_f32a(stub):
    concept = stub.LookupConcept(pb.LookupConceptRequest(system=ICD, code="F32.A")).concept
    assert concept.coding.display == "Depression, unspecified"
    assert concept.coding.version == "2026-04" and concept.billable
    assert {d.value for d in concept.designations if d.use == "inclusion"} == {"Depression NOS",
                                                                               "Depressive disorder NOS"}
    assert [p.code for p in concept.parents] == ["F32"]


def test_lookup_accepts_alias_oid_and_undotted_code(stub):
    for system, code in (("icd10cm", "f32a"), ("urn:oid:2.16.840.1.113883.6.90", "F32A")):
        concept = stub.LookupConcept(pb.LookupConceptRequest(system=system, code=code)).concept
        assert (concept.coding.system, concept.coding.code) == (ICD, "F32.A")


def test_lookup_category_lists_children_and_properties(stub):
    concept = stub.LookupConcept(pb.LookupConceptRequest(system=ICD, code="F33")).concept
    assert not concept.billable
    assert "F33.1" in {c.code for c in concept.children}
    assert any(p.code == "excludes1" for p in concept.properties)


def test_lookup_unknown_code_is_not_found_with_reason(stub):
    with pytest.raises(grpc.RpcError) as err:
        stub.LookupConcept(pb.LookupConceptRequest(system=ICD, code="F99.99"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    info = error_info(err.value)
    assert info.reason == "CODE_NOT_FOUND" and info.metadata["code"] == "F99.99"
    assert info.metadata["system"] == ICD


def test_validate_code(stub):
    ok = stub.ValidateCode(pb.ValidateCodeRequest(system=ICD, code="Z59.41"))
    assert ok.result and ok.coding.display == "Food insecurity"
    missing = stub.ValidateCode(pb.ValidateCodeRequest(system=ICD, code="Z59.49"))
    assert not missing.result and "Z59.49" in missing.message
    wrong_display = stub.ValidateCode(pb.ValidateCodeRequest(system=ICD, code="F32.A", display="Anxiety"))
    assert not wrong_display.result and "Depression, unspecified" in wrong_display.message
    by_inclusion = stub.ValidateCode(pb.ValidateCodeRequest(system=ICD, code="F32.A", display="depression nos"))
    assert by_inclusion.result


@pytest.mark.parametrize("query", ["food insecurity", "Insecurity FOOD", "FOOD INSECURITY"])
def test_search_food_insecurity_in_top_three(stub, query):
    hits = stub.SearchConcepts(pb.SearchConceptsRequest(query=query, systems=[ICD], page_size=3)).hits
    assert "Z59.41" in [h.coding.code for h in hits]


def test_search_paginates_without_overlap(stub):
    first = stub.SearchConcepts(pb.SearchConceptsRequest(query="depressive disorder", page_size=5))
    assert len(first.hits) == 5 and first.next_page_token
    second = stub.SearchConcepts(pb.SearchConceptsRequest(query="depressive disorder", page_size=5,
                                                          page_token=first.next_page_token))
    assert len(second.hits) == 5
    assert not {h.coding.code for h in first.hits} & {h.coding.code for h in second.hits}
    with pytest.raises(grpc.RpcError) as err:
        stub.SearchConcepts(pb.SearchConceptsRequest(query="anxiety", page_token=first.next_page_token))
    assert error_info(err.value).reason == "INVALID_PAGE_TOKEN"


def test_search_billable_only(stub):
    hits = stub.SearchConcepts(pb.SearchConceptsRequest(query="major depressive disorder recurrent",
                                                        billable_only=True, page_size=20)).hits
    assert hits and all(h.billable for h in hits)


def test_list_code_systems(stub):
    response = stub.ListCodeSystems(pb.ListCodeSystemsRequest())
    icd = [c for c in response.code_systems if c.url == ICD]
    assert len(icd) == 1 and icd[0].active and icd[0].concept_count == 98505
    assert icd[0].load_time.seconds > 0


def test_expand_unknown_value_set_is_not_found(stub):
    with pytest.raises(grpc.RpcError) as err:
        stub.ExpandValueSet(pb.ExpandValueSetRequest(url="http://example.org/ValueSet/none"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(err.value).reason == "VALUE_SET_NOT_FOUND"


@pytest.mark.parametrize("request_, reason", [
    (pb.LookupConceptRequest(system="", code="F32.A"), "SYSTEM_REQUIRED"),
    (pb.LookupConceptRequest(system=ICD, code=""), "CODE_REQUIRED"),
    (pb.LookupConceptRequest(system="not a system", code="F32.A"), "UNKNOWN_SYSTEM"),
    (pb.LookupConceptRequest(system="x" * 100_000, code="F32.A"), "FIELD_TOO_LONG"),
    (pb.LookupConceptRequest(system=ICD, code="F" * 100_000), "FIELD_TOO_LONG"),
])
def test_invalid_lookup_arguments(stub, request_, reason):
    with pytest.raises(grpc.RpcError) as err:
        stub.LookupConcept(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info = error_info(err.value)
    assert info.reason == reason and info.domain


def test_invalid_search_arguments(stub):
    for request_, reason in ((pb.SearchConceptsRequest(query="q" * 100_000), "FIELD_TOO_LONG"),
                             (pb.SearchConceptsRequest(query="  "), "FIELD_REQUIRED"),
                             (pb.SearchConceptsRequest(query="!!!"), "QUERY_REQUIRED"),
                             (pb.SearchConceptsRequest(query="x", page_size=-1), "INVALID_PAGE_SIZE"),
                             (pb.SearchConceptsRequest(query="x", systems=["nope"]), "UNKNOWN_SYSTEM")):
        with pytest.raises(grpc.RpcError) as err:
            stub.SearchConcepts(request_)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(err.value).reason == reason


def test_oversized_message_is_refused_and_server_keeps_serving(stub):
    with pytest.raises(grpc.RpcError) as err:
        stub.LookupConcept(pb.LookupConceptRequest(system=ICD, code="x" * (17 * 1024 * 1024)))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert stub.LookupConcept(pb.LookupConceptRequest(system=ICD, code="F32.A")).concept.coding.code == "F32.A"
