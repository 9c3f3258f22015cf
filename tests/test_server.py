"""The server as a whole: health, reflection, UNIMPLEMENTED with ErrorInfo,
the batch stream's order and per-item errors, SIGTERM draining."""

import os
import signal
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from termbridge.v1 import (common_pb2, curation_service_pb2 as cpb, curation_service_pb2_grpc as cpb_grpc,
                           labeling_service_pb2 as lpb, labeling_service_pb2_grpc as lpb_grpc,
                           translation_service_pb2 as tpb, translation_service_pb2_grpc as tpb_grpc)

from grpc_helpers import error_info

SERVICES = ["termbridge.v1.TerminologyService", "termbridge.v1.TranslationService",
            "termbridge.v1.LabelingService", "termbridge.v1.CurationService"]


def test_health_reports_serving(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for name in ["", *SERVICES]:
        status = stub.Check(health_pb2.HealthCheckRequest(service=name)).status
        assert status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_every_service(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert set(SERVICES) <= names and "grpc.health.v1.Health" in names


def unimplemented_calls(channel):
    """Every RPC that later issues fill in; drop one from here when it is implemented."""
    labeling = lpb_grpc.LabelingServiceStub(channel)
    curation = cpb_grpc.CurationServiceStub(channel)
    return [
        ("LabelElements", lambda: labeling.LabelElements(lpb.LabelElementsRequest())),
        ("LabelFhirResource", lambda: labeling.LabelFhirResource(lpb.LabelFhirResourceRequest())),
        ("ProposeMappings", lambda: curation.ProposeMappings(cpb.ProposeMappingsRequest())),
        ("ListReviewQueue", lambda: curation.ListReviewQueue(cpb.ListReviewQueueRequest())),
        ("ReviewMapping", lambda: curation.ReviewMapping(cpb.ReviewMappingRequest())),
        ("PublishMapSet", lambda: curation.PublishMapSet(cpb.PublishMapSetRequest())),
        ("DiffMapSet", lambda: curation.DiffMapSet(cpb.DiffMapSetRequest())),
        ("ExportMapSet", lambda: curation.ExportMapSet(cpb.ExportMapSetRequest())),
        ("ImportMapSet", lambda: curation.ImportMapSet(cpb.ImportMapSetRequest())),
    ]


def test_unimplemented_rpcs_say_so_with_error_info(channel):
    for method, call in unimplemented_calls(channel):
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED, method
        info = error_info(err.value)
        assert info.reason == "NOT_IMPLEMENTED" and info.metadata["method"] == method


def translate_item(request_id, system, code):
    return tpb.TranslateItem(request_id=request_id, translate_code=tpb.TranslateCodeRequest(
        source=common_pb2.Coding(system=system, code=code)))


def test_stream_keeps_order_and_reports_item_errors(channel):
    stub = tpb_grpc.TranslationServiceStub(channel)
    batches = [
        tpb.StreamTranslateRequest(items=[translate_item("a", "icd10cm", "F32.A"),
                                          tpb.TranslateItem(request_id="empty"),
                                          translate_item("b", "no-such-system", "1")]),
        tpb.StreamTranslateRequest(items=[translate_item("c", "icd10cm", "Z59.41")]),
    ]
    responses = list(stub.StreamTranslate(iter(batches)))
    assert [len(r.results) for r in responses] == [3, 1]
    results = [x for r in responses for x in r.results]
    assert [x.request_id for x in results] == ["a", "empty", "b", "c"]
    assert [x.index for x in results] == [0, 1, 2, 3]
    assert results[1].WhichOneof("result") == "error"
    assert results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert results[2].WhichOneof("result") == "error"


def test_sigterm_drains_in_flight_stream_and_exits_zero(default_db):
    proc = subprocess.Popen([sys.executable, "-m", "server.cli.main", "serve", "--port", "0", "--db", default_db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, proc.stderr.read()
        address = line.rsplit(" ", 1)[1].strip()
        with grpc.insecure_channel(address) as ch:
            stub = tpb_grpc.TranslationServiceStub(ch)
            sent = []

            def requests():
                for i in range(5):
                    sent.append(i)
                    yield tpb.StreamTranslateRequest(items=[translate_item(str(i), "icd10cm", "F32.A")])
                    if i == 1:
                        os.kill(proc.pid, signal.SIGTERM)  # mid-stream

            responses = list(stub.StreamTranslate(requests()))
        assert [r.results[0].request_id for r in responses] == ["0", "1", "2", "3", "4"]
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
