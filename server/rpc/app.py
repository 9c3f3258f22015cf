"""Server factory and the serve loop (health, reflection, graceful SIGTERM)."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from server.engine import Engine
from server.rpc.curation import CurationServicer
from server.rpc.errors import ErrorInterceptor
from server.rpc.labeling import LabelingServicer, add_labeling_servicer
from server.rpc.terminology import TerminologyServicer
from server.rpc.translation import TranslationServicer, add_translation_servicer
from termbridge.v1 import (curation_service_pb2, curation_service_pb2_grpc, labeling_service_pb2,
                           terminology_service_pb2, terminology_service_pb2_grpc, translation_service_pb2)

log = logging.getLogger("termbridge.server")

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
SERVICES = {
    "termbridge.v1.TerminologyService": (TerminologyServicer,
                                          terminology_service_pb2_grpc.add_TerminologyServiceServicer_to_server,
                                          terminology_service_pb2),
    "termbridge.v1.TranslationService": (TranslationServicer, add_translation_servicer,
                                          translation_service_pb2),
    "termbridge.v1.LabelingService": (LabelingServicer, add_labeling_servicer, labeling_service_pb2),
    "termbridge.v1.CurationService": (CurationServicer,
                                       curation_service_pb2_grpc.add_CurationServiceServicer_to_server,
                                       curation_service_pb2),
}


def create_server(address: str, engine: Engine, max_workers: int = 16) -> tuple[grpc.Server, int]:
    """Build (not start) a server bound to `address`; returns it and the bound port."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
        interceptors=[ErrorInterceptor()],
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)],
        maximum_concurrent_rpcs=max_workers * 64,
    )
    for servicer, add, _ in SERVICES.values():
        add(servicer(engine), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in [*SERVICES, ""]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    names = [m.DESCRIPTOR.services_by_name[n.rsplit(".", 1)[1]].full_name for n, (_, _, m) in SERVICES.items()]
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"could not bind {address}")
    server.health_servicer = health_servicer
    return server, port


def serve(address: str, engine: Engine, grace: float = 30.0, ready=print) -> None:
    """Run until SIGTERM/SIGINT; then stop taking calls, drain in-flight ones, return."""
    server, port = create_server(address, engine)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    host = address.rsplit(":", 1)[0]
    ready(f"termbridge listening on {host}:{port}", flush=True)
    threading.Thread(target=warm, args=(engine,), name="warm", daemon=True).start()
    stop.wait()
    log.info("shutting down, draining calls for up to %ss", grace)
    server.health_servicer.enter_graceful_shutdown()
    server.stop(grace).wait()


def warm(engine: Engine) -> None:
    """Load the map and match indexes now rather than on the first calls, then move
    everything loaded out of the garbage collector's sight (gc.freeze): its full
    collections would otherwise walk the indexes' objects and stall calls."""
    try:
        engine.translator.index()
        engine.matching.matcher().index.warm()
    except Exception as exc:  # noqa: BLE001 - the calls that need them will report it
        log.warning("warming up failed: %s", type(exc).__name__)
    gc.collect()
    gc.freeze()
