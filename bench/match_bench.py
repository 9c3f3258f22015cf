"""Issue 5 speed figures: MatchText latency through gRPC (the server in its own
process, one sequential client here) with the health check as the transport's
floor measured the same way, the batch stream's rate, and the in-process batch
rate (wall clock and CPU time of this process).

    python -m bench.match_bench [--seconds 10] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.common import ROOT, Timer, ensure_default_db, latency_summary, running_server
from server.engine import Engine
from termbridge.v1 import translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

TEXTS = [json.loads(line)["text"] for line in open(ROOT / "bench" / "data" / "problem_list_dev.jsonl")]
STREAM_BATCH = 200


def sequential(call, seconds: float) -> dict:
    samples, n = [], 0
    deadline = time.perf_counter() + seconds
    with Timer() as t:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            call(TEXTS[n % len(TEXTS)])
            samples.append(time.perf_counter() - started)
            n += 1
    return latency_summary(samples, t.seconds)


def stream_rate(stub) -> dict:
    """Every development entry once, STREAM_BATCH items per stream message."""
    batches = [pb.StreamTranslateRequest(items=[
        pb.TranslateItem(request_id=str(i), match_text=pb.MatchTextRequest(text=TEXTS[i], target_systems=["icd10cm"]))
        for i in range(lo, min(lo + STREAM_BATCH, len(TEXTS)))]) for lo in range(0, len(TEXTS), STREAM_BATCH)]
    with Timer() as t:
        answered = sum(len(r.results) for r in stub.StreamTranslate(iter(batches)))
    return {"entries": answered, "entries_per_second": round(answered / t.seconds, 1)}


def in_process(db: Path) -> dict:
    engine = Engine(str(db))
    engine.matching.match_texts(TEXTS[:20], ["icd10cm"])  # load and warm the index
    cpu = time.process_time()
    with Timer() as t:
        engine.matching.match_texts(TEXTS, ["icd10cm"])
    cpu = time.process_time() - cpu
    return {"entries": len(TEXTS), "entries_per_second": round(len(TEXTS) / t.seconds, 1),
            "entries_per_cpu_second": round(len(TEXTS) / cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-bench.db")
    args = parser.parse_args()
    db = ensure_default_db(args.db)
    result = {"in_process_batch_icd10cm": in_process(db)}
    with running_server(db) as address, grpc.insecure_channel(address) as channel:
        stub = pb_grpc.TranslationServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        for text in TEXTS[:20]:
            stub.MatchText(pb.MatchTextRequest(text=text))  # the server loads its index on first use
        result["health_check_baseline"] = sequential(lambda _: health.Check(health_pb2.HealthCheckRequest()),
                                                     args.seconds / 4)
        result["match_text_all_targets"] = sequential(
            lambda text: stub.MatchText(pb.MatchTextRequest(text=text)), args.seconds)
        result["match_text_icd10cm"] = sequential(
            lambda text: stub.MatchText(pb.MatchTextRequest(text=text, target_systems=["icd10cm"])), args.seconds)
        result["stream_translate_icd10cm"] = stream_rate(stub)
    result["ratio_p99_to_health_p99"] = round(result["match_text_all_targets"]["p99_ms"]
                                              / result["health_check_baseline"]["p99_ms"], 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
