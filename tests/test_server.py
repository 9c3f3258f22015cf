"""The server as a whole: health, reflection,
the batch stream's order and per-item errors, SIGTERM draining."""

import os
import queue
import signal
import subprocess
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from termbridge.v1 import common_pb2, translation_service_pb2 as tpb, translation_service_pb2_grpc as tpb_grpc


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


def test_sigterm_drains_in_flight_stream_and_exits_zero(default_db, tmp_path):
    log = open(tmp_path / "server.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "server.cli.main", "serve", "--port", "0", "--db", default_db],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, (tmp_path / "server.log").read_text()
        address = line.rsplit(" ", 1)[1].strip()
        outbox: queue.Queue = queue.Queue()
        with grpc.insecure_channel(address) as ch:
            stream = tpb_grpc.TranslationServiceStub(ch).StreamTranslate(iter(outbox.get, None))
            outbox.put(tpb.StreamTranslateRequest(items=[translate_item("0", "icd10cm", "F32.A")]))
            responses = [next(stream)]
            os.kill(proc.pid, signal.SIGTERM)  # the stream is in flight
            for i in range(1, 5):
                outbox.put(tpb.StreamTranslateRequest(items=[translate_item(str(i), "icd10cm", "F32.A")]))
                responses.append(next(stream))
            outbox.put(None)
            responses += list(stream)
        assert [r.results[0].request_id for r in responses] == ["0", "1", "2", "3", "4"]
        assert all(r.results[0].WhichOneof("result") == "translate_code" for r in responses)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
