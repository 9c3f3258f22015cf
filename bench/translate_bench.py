"""Issue 4 figures: code translation through gRPC, the server in its own process
(`termbridge serve`), the client in this one.

- Streaming: codes/s through StreamTranslate in batches of 1,000 mixed codes
  (SNOMED CT, ICD-10-CM, LOINC answers, local codes, a few unknown systems),
  warm (a pool of distinct requests, answered from the cache after first use)
  and cold (every code new, resolved through maps, hierarchy and rules; and
  200 codes that end at the text matcher); and 1,000 MatchText items (the
  development problem-list entries) in one message. Baseline in the same run: an echo
  server in its own process answering each batch with the same response
  bytes, i.e. what gRPC Python itself costs for this stream shape.
- Unary: TranslateCode p50/p99 with 16 calls always in flight (grpc.aio
  client); baseline the gRPC health check at the same concurrency.

    python -m bench.translate_bench [--batches 100] [--seconds 10] [--clients 16] [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.common import ROOT, Timer, latency_summary, running_process, running_server
from server.store.store import Store
from server.systems import ICD10CM, LOINC, SDOHCC, SNOMED
from termbridge.v1 import common_pb2, translation_service_pb2 as pb, translation_service_pb2_grpc as pb_grpc

BATCH = 1000
ECHO_METHOD = "/bench.Echo/Stream"
OPTIONS = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]


def request(system: str, code: str, targets=(), reverse: bool = False, map_set: str = "") -> pb.TranslateCodeRequest:
    return pb.TranslateCodeRequest(source=common_pb2.Coding(system=system, code=code), target_systems=targets,
                                   reverse=reverse, map_set=map_set)


def workload(store: Store) -> tuple[list, list, list]:
    """Requests answered from maps, chains, hierarchy and rules (a pool of distinct ones;
    ICD-10-CM codes no pool request uses) and requests that end at the text matcher."""
    entries = store.query("SELECT DISTINCT e.source_system, e.source_code, e.provenance FROM map_entries e "
                          "JOIN map_sets s ON s.id = e.map_set_id WHERE s.active = 1")
    pool = []
    for r in entries:
        if r["source_system"] == LOINC:
            question = json.loads(r["provenance"] or "{}").get("comment", "").split(";")[0].removeprefix("question=")
            pool.append(request(LOINC, f"{question}|{r['source_code']}"))
        else:
            pool += [request(r["source_system"], r["source_code"]),
                     request(r["source_system"], r["source_code"], [ICD10CM, SDOHCC])]
    pool += [request("icd10cm", r[0].replace(".", ""), ["sdoh"]) for r in store.query(
        "SELECT code FROM concepts WHERE code BETWEEN 'Z55' AND 'Z65.9'")]
    pool += [request("icd10cm", r[0], ["icd10cm"]) for r in store.query(
        "SELECT code FROM concepts WHERE billable = 0 AND code BETWEEN 'F01' AND 'F99'")]
    pool += [request("icd10cm", r[0], [SNOMED], reverse=True) for r in store.query(
        "SELECT DISTINCT target_code FROM map_entries WHERE target_system = ?", (ICD10CM,))]
    pool += [request("no-such-system", str(n)) for n in range(20)]
    fresh = [request(ICD10CM, r[0], [SDOHCC], map_set="sdoh_gravity") for r in store.query(
        "SELECT code FROM concepts WHERE billable = 1 AND code NOT LIKE 'Z%' ORDER BY random() LIMIT 50000")]
    text = [request(ICD10CM, r[0], [SNOMED]) for r in store.query(
        "SELECT code FROM concepts WHERE billable = 1 AND code LIKE 'F%' ORDER BY random() LIMIT 200")]
    return pool, fresh, text


def batches(requests: list, count: int, rnd: random.Random | None) -> list[pb.StreamTranslateRequest]:
    out = []
    for b in range(count):
        chosen = rnd.choices(requests, k=BATCH) if rnd else requests[b * BATCH:(b + 1) * BATCH]
        out.append(pb.StreamTranslateRequest(items=[pb.TranslateItem(request_id=str(b * BATCH + i), translate_code=r)
                                                    for i, r in enumerate(chosen)]))
    return out


def stream_rate(call, messages: list) -> dict:
    codes = errors = 0
    with Timer() as t:
        for response in call(iter(messages)):
            codes += len(response.results)
            errors += sum(1 for x in response.results if x.WhichOneof("result") == "error")
    return {"codes": codes, "item_errors": errors, "seconds": round(t.seconds, 3),
            "codes_per_second": round(codes / t.seconds)}


def concurrent_calls(address: str, clients: int, seconds: float, make_call) -> dict:
    """Latency of unary calls with `clients` of them always in flight on one channel."""
    async def run() -> dict:
        samples: list[float] = []
        async with grpc.aio.insecure_channel(address) as channel:
            call = make_call(channel)
            rnd = random.Random(16)

            async def client() -> None:
                while timer.start + seconds > time.perf_counter():
                    started = time.perf_counter()
                    await call(rnd)
                    samples.append(time.perf_counter() - started)

            with Timer() as timer:
                await asyncio.gather(*(client() for _ in range(clients)))
        return latency_summary(samples, timer.seconds)

    return asyncio.run(run())


def serve_echo(response_file: str) -> None:
    """A gRPC server that answers every stream message with the same bytes."""
    blob = Path(response_file).read_bytes()

    def stream(request_iterator, context):
        for _ in request_iterator:
            yield blob

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "bench.Echo", {"Stream": grpc.stream_stream_rpc_method_handler(stream)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"echo listening on 127.0.0.1:{port}", flush=True)
    server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-translate-bench.db")
    parser.add_argument("--echo-server", metavar="RESPONSE_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_server:
        return serve_echo(args.echo_server)
    db = args.db
    subprocess.run([sys.executable, "-m", "server.cli.main", "init", "--db", str(db)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rnd = random.Random(4)
    pool, fresh, text = workload(Store(db, readonly=True))
    pool_systems = {r.source.system for r in pool} - {"no-such-system"}  # unary calls that succeed
    warm = batches(pool, args.batches, rnd)
    cold = batches(fresh, min(args.batches, len(fresh) // BATCH), None)
    text_batch = [pb.StreamTranslateRequest(items=[pb.TranslateItem(translate_code=r) for r in text])]
    entries = [json.loads(line)["text"] for line in open(ROOT / "bench" / "data" / "problem_list_dev.jsonl")]
    match_batch = [pb.StreamTranslateRequest(items=[pb.TranslateItem(
        request_id=str(i), match_text=pb.MatchTextRequest(text=entries[i % len(entries)])) for i in range(BATCH)])]
    result: dict = {"batch_size": BATCH, "distinct_pool_requests": len(pool)}
    with running_server(db) as address, grpc.insecure_channel(address, options=OPTIONS) as channel:
        stub = pb_grpc.TranslationServiceStub(channel)
        result["stream_cold"] = stream_rate(stub.StreamTranslate, cold)
        stub.TranslateCode(text[0])  # the matcher loads its index on first use
        result["stream_cold_text_match_fallback"] = stream_rate(stub.StreamTranslate, text_batch)
        result["stream_match_text_items"] = stream_rate(stub.StreamTranslate, match_batch)
        stream_rate(stub.StreamTranslate, batches(pool, -(-len(pool) // BATCH), None))  # first use of the pool
        result["stream_warm"] = stream_rate(stub.StreamTranslate, warm)
        response = next(iter(stub.StreamTranslate(iter(warm[:1]))))
        unary = [i.translate_code for b in warm[:5] for i in b.items if i.translate_code.source.system in pool_systems]
        result["unary_translate_code"] = concurrent_calls(
            address, args.clients, args.seconds,
            lambda ch: (lambda s: lambda r: s.TranslateCode(r.choice(unary)))(pb_grpc.TranslationServiceStub(ch)))
        result["unary_health_check_baseline"] = concurrent_calls(
            address, args.clients, args.seconds,
            lambda ch: (lambda s: lambda r: s.Check(health_pb2.HealthCheckRequest()))(health_pb2_grpc.HealthStub(ch)))
    with tempfile.NamedTemporaryFile(suffix=".bin") as blob:
        blob.write(response.SerializeToString())
        blob.flush()
        with running_process(["-m", "bench.translate_bench", "--echo-server", blob.name]) as echo, \
                grpc.insecure_channel(echo, options=OPTIONS) as channel:
            call = channel.stream_stream(ECHO_METHOD, request_serializer=pb.StreamTranslateRequest.SerializeToString,
                                         response_deserializer=pb.StreamTranslateResponse.FromString)
            result["stream_echo_baseline"] = stream_rate(call, warm)
    result["response_bytes_per_batch"] = response.ByteSize()
    echo_rate = result["stream_echo_baseline"]["codes_per_second"]
    result["ratio_stream_warm_to_echo"] = round(result["stream_warm"]["codes_per_second"] / echo_rate, 2)
    result["ratio_stream_cold_to_echo"] = round(result["stream_cold"]["codes_per_second"] / echo_rate, 2)
    result["ratio_unary_p99_to_health_p99"] = round(
        result["unary_translate_code"]["p99_ms"] / result["unary_health_check_baseline"]["p99_ms"], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
