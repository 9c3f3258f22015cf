"""Issue 2 figures: cold build of the default database, and LookupConcept
throughput through gRPC with 8 concurrent clients in a separate process.

Baselines measured in the same run: parsing the CDC XML alone (ElementTree),
and the gRPC health check (the transport's own floor) at the same concurrency.

    python -m bench.foundation [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.common import Timer, ensure_default_db, latency_summary, running_server
from loaders.icd10cm_xml import bundled_path
from server.load import build_default
from server.store.store import Store
from termbridge.v1 import terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc


def cold_build() -> dict:
    with Timer() as parse:
        ET.parse(bundled_path())
    with tempfile.TemporaryDirectory() as tmp, Timer() as build:
        build_default(Store(Path(tmp) / "cold.db"))
    return {"cold_build_seconds": round(build.seconds, 2), "baseline_xml_parse_seconds": round(parse.seconds, 2),
            "ratio_build_to_parse": round(build.seconds / parse.seconds, 1)}


def hammer(address: str, clients: int, seconds: float, make_call) -> dict:
    samples: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(seed: int):
        rnd = random.Random(seed)
        local = []
        with grpc.insecure_channel(address) as ch:
            call = make_call(ch)
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                call(rnd)
                local.append(time.perf_counter() - t)
        with lock:
            samples.extend(local)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    with Timer() as t:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    return latency_summary(samples, t.seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    result = cold_build()
    db = ensure_default_db(Path(tempfile.gettempdir()) / "termbridge-bench.db")
    codes = [r["code"] for r in Store(db, readonly=True).query(
        "SELECT code FROM concepts WHERE billable = 1 ORDER BY random() LIMIT 5000")]
    with running_server(db) as address:
        def lookup(ch):
            stub = pb_grpc.TerminologyServiceStub(ch)
            return lambda rnd: stub.LookupConcept(pb.LookupConceptRequest(system="icd10cm", code=rnd.choice(codes)))

        def health(ch):
            stub = health_pb2_grpc.HealthStub(ch)
            return lambda rnd: stub.Check(health_pb2.HealthCheckRequest())

        result["health_check_baseline"] = hammer(address, args.clients, args.seconds, health)
        result["lookup_concept"] = hammer(address, args.clients, args.seconds, lookup)
    result["ratio_lookup_to_health_throughput"] = round(
        result["lookup_concept"]["calls_per_second"] / result["health_check_baseline"]["calls_per_second"], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
