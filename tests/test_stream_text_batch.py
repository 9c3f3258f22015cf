"""StreamTranslate matches the texts of a message in batches (server.rpc.text_batch):
through the real server, the answers, their order and the per-item errors are
those of the unary calls; and the Engine's batch hook on its own."""

import grpc
import pytest

from server.engine import DeferredTextMatch
from server.systems import ICD10CM, SNOMED
from termbridge.v1 import common_pb2, translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

TEXTS = ["htn", "MDD, recurrent, mod", "anxeity", "etoh abuse in early remission", "htn", "homeless - staying in car"]


@pytest.fixture(scope="module")
def stub(channel):
    return pb_grpc.TranslationServiceStub(channel)


def text_item(n, text, *targets):
    return pb.TranslateItem(request_id=f"t{n}", match_text=pb.MatchTextRequest(text=text, target_systems=targets))


def code_item(n, system, code, *targets):
    return pb.TranslateItem(request_id=f"c{n}", translate_code=pb.TranslateCodeRequest(
        source=common_pb2.Coding(system=system, code=code), target_systems=targets))


def test_text_items_in_one_message_answer_as_unary_calls_do(stub):
    items = [text_item(n, t, "icd10cm", "snomed") for n, t in enumerate(TEXTS)]
    items.insert(2, text_item("empty", ""))
    items.insert(4, text_item("long", "x" * 1001))
    items.append(text_item("nosystem", "htn", "no-such-system"))
    [response] = stub.StreamTranslate(iter([pb.StreamTranslateRequest(items=items)]))
    assert [r.request_id for r in response.results] == [i.request_id for i in items]
    assert [r.index for r in response.results] == list(range(len(items)))
    for item, result in zip(items, response.results):
        try:
            expected = stub.MatchText(item.match_text)
        except grpc.RpcError as exc:
            assert result.WhichOneof("result") == "error" and result.error.code == exc.code().value[0]
            continue
        assert result.match_text == expected
    assert [r.WhichOneof("result") for r in response.results].count("error") == 3


def test_codes_that_end_at_the_text_matcher_answer_as_unary_calls_do(stub, engine):
    codes = [r[0] for r in engine.store.query(
        "SELECT code FROM concepts WHERE billable = 1 AND code LIKE 'F4%' ORDER BY code LIMIT 40")]
    items = [code_item(n, ICD10CM, code, SNOMED) for n, code in enumerate(codes)]
    items.insert(5, code_item("bad", "no-such-system", "F41.9", SNOMED))
    items.insert(9, text_item("text", "anxeity", "snomed"))
    [response] = stub.StreamTranslate(iter([pb.StreamTranslateRequest(items=items)]))
    assert [r.request_id for r in response.results] == [i.request_id for i in items]
    methods = []
    for item, result in zip(items, response.results):
        if item.WhichOneof("item") == "match_text":
            assert result.match_text == stub.MatchText(item.match_text)
            continue
        unary = pb.TranslateCodeRequest()  # the same question, spelled so that no cached answer serves it
        unary.CopyFrom(item.translate_code)
        unary.target_systems[:] = ["snomed"]
        try:
            expected = stub.TranslateCode(unary)
        except grpc.RpcError as exc:
            assert result.error.code == exc.code().value[0]
            continue
        assert result.translate_code == expected
        methods += [m.provenance.method for m in expected.matches]
    assert methods.count("text-match") >= 10  # the batch did go through the text matcher


def test_engine_collects_wanted_texts_and_answers_from_the_batch(engine):
    with engine.text_matches() as (answers, _):
        with engine.text_matches(collect=True) as (_, wanted):
            with pytest.raises(DeferredTextMatch):
                engine.match_text("htn", ["icd10cm"])
        assert wanted == [("htn", ("icd10cm",), 5, None)]
        [answers[wanted[0]]] = engine.match_texts(["htn"], ["icd10cm"])
        assert engine.match_text("htn", ["icd10cm"]) is answers[wanted[0]]
        assert engine.match_text("copd", ["icd10cm"]).results[0].candidates[0].code == "J44.9"  # not in the batch
    assert engine.match_text("htn", ["icd10cm"]) is not answers[wanted[0]]  # the batch is over
