"""Issue 6 figures: sensitivity labeling.

- Streaming: coded elements/s through StreamLabelElements, batches of 1,000, the
  server in its own process (`termbridge serve`), the client in this one. Warm: a
  pool of 10,000 distinct codings (ICD-10-CM codes of every chapter, the SNOMED CT,
  LOINC, RxNorm, CPT and HCPCS codes of the value sets, local codes), each batch
  drawn from it, one in ten batches from a 42 CFR Part 2 program; cold: ICD-10-CM
  codes never sent before. Baseline in the same run: an echo server in its own
  process answering each batch with the same response bytes (what gRPC Python
  itself costs for this stream shape).
- Unary: LabelElements with one element, p50/p99 at 16 concurrent clients;
  baseline the gRPC health check at the same concurrency.
- Accuracy: precision and recall of SUD, MH and HIV on bench/data/label_heldout_icd10cm.csv
  (hand-checked, never used to build the value sets) and on Synthea's curated
  condition list (see bench/data/label_heldout.README.md).

    python -m bench.label_bench [--batches 200] [--seconds 5] [--db PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.common import ROOT, Timer, ensure_default_db, running_process, running_server
from bench.translate_bench import ECHO_METHOD, OPTIONS, concurrent_calls
from server.engine import Engine
from server.labels import Element
from server.store.store import Store
from server.systems import ICD10CM, SNOMED
from termbridge.v1 import common_pb2, labeling_service_pb2 as pb, labeling_service_pb2_grpc as pb_grpc

BATCH = 1000
POOL = 10_000
DATA = ROOT / "bench" / "data"
CATEGORIES = ("SUD", "MH", "HIV")
PART2 = pb.ProvenanceContext(part2_program=True)


def workload(store: Store, rnd: random.Random) -> tuple[list, list]:
    """(a pool of distinct codings, ICD-10-CM codes outside the pool)."""
    listed = [(r[0], r[1]) for r in store.query("SELECT DISTINCT system, code FROM label_rules WHERE match = 'code'")]
    icd = [r[0] for r in store.query("SELECT code FROM concepts c JOIN code_systems s ON s.id = c.cs_id "
                                     "WHERE s.url = ? AND s.active = 1 AND c.billable = 1", (ICD10CM,))]
    rnd.shuffle(icd)
    local = [("http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes", f"BH{n:04d}") for n in range(200)]
    pool = listed + local
    pool += [(ICD10CM, code) for code in icd[:POOL - len(pool)]]
    return pool, [(ICD10CM, code) for code in icd[POOL - len(listed) - len(local):]]


def batches(codings: list, count: int, rnd: random.Random | None) -> list[pb.LabelElementsRequest]:
    out = []
    for b in range(count):
        chosen = rnd.choices(codings, k=BATCH) if rnd else codings[b * BATCH:(b + 1) * BATCH]
        out.append(pb.LabelElementsRequest(
            elements=[pb.Element(id=str(b * BATCH + i), codings=[common_pb2.Coding(system=s, code=c)])
                      for i, (s, c) in enumerate(chosen)],
            context=PART2 if rnd and b % 10 == 9 else None))
    return out


def element_rate(call, messages: list) -> dict:
    elements = 0
    with Timer() as t:
        for response in call(iter(messages)):
            elements += len(response.results)
    return {"elements": elements, "seconds": round(t.seconds, 3), "elements_per_second": round(elements / t.seconds)}


def scores(pairs: list[tuple[set, set]]) -> dict:
    """Precision / recall per category over (expected, predicted) category sets."""
    out = {}
    for category in CATEGORIES:
        judged = [(e, p) for e, p in pairs if category in e or f"-{category}" in e]
        tp = sum(1 for e, p in judged if category in e and category in p)
        fp = sum(1 for e, p in judged if category not in e and category in p)
        fn = sum(1 for e, p in judged if category in e and category not in p)
        out[category] = {"expected": tp + fn, "true_positives": tp, "false_positives": fp, "false_negatives": fn,
                         "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                         "recall": round(tp / (tp + fn), 3) if tp + fn else None}
    return out


def icd_heldout(engine: Engine) -> dict:
    rows = list(csv.DictReader(open(DATA / "label_heldout_icd10cm.csv", encoding="utf-8")))
    labels, _ = engine.label_elements([Element(r["code"], ((ICD10CM, r["code"]),)) for r in rows])
    pairs, misses = [], []
    for r, found in zip(rows, labels):
        predicted = {c.code for c in found.sensitivity}
        expected = {c for c in CATEGORIES if r[c] == "yes"} | {f"-{c}" for c in CATEGORIES if r[c] == "no"}
        pairs.append((expected, predicted))
        misses += [f"{r['code']} {c} expected {r[c]}" for c in CATEGORIES
                   if r[c] != "ambiguous" and (r[c] == "yes") != (c in predicted)]
    return {"codes": len(rows), "ambiguous_answers_left_out": sum(r[c] == "ambiguous" for r in rows for c in CATEGORIES),
            **scores(pairs), "disagreements": misses}


def synthea_heldout(engine: Engine, store: Store) -> dict:
    rows = list(csv.DictReader(open(DATA / "synthea_conditions_by_domain.csv", encoding="utf-8")))
    listed = {r[0] for r in store.query("SELECT DISTINCT code FROM label_rules WHERE system = ?", (SNOMED,))}
    labels, _ = engine.label_elements([Element(r["snomed_code"], ((SNOMED, r["snomed_code"]),)) for r in rows])
    pairs = []
    for r, found in zip(rows, labels):
        hint = r["suggested_hl7_sensitivity"]
        tobacco = "tobacco" in r["display"].lower()
        expected = {"MH"} if "MH" in hint else {"SUD"} if "SUD" in hint and not tobacco else \
            {"HIV"} if hint == "HIV" else set()
        pairs.append((expected | {f"-{c}" for c in CATEGORIES if c not in expected},
                      {c.code for c in found.sensitivity}))
    return {"codes": len(rows), "listed_verbatim_in_value_sets": sum(r["snomed_code"] in listed for r in rows),
            **scores(pairs)}


def stream_rates(address: str, pool: list, warm: list, cold: list) -> tuple[dict, pb.LabelElementsResponse]:
    """Cold and warm stream rates against the server; a warm response for the echo baseline."""
    with grpc.insecure_channel(address, options=OPTIONS) as channel:
        stream = pb_grpc.LabelingServiceStub(channel).StreamLabelElements
        rates = {"stream_cold": element_rate(stream, cold)}
        element_rate(stream, batches(pool, -(-len(pool) // BATCH), None))  # first use of the pool
        rates["stream_warm"] = element_rate(stream, warm)
        return rates, next(iter(stream(iter(warm[:1]))))


def unary_rates(address: str, seconds: float, singles: list) -> dict:
    """One-element LabelElements and the health check, each with 16 calls in flight."""
    calls = {"unary_label_one_element": lambda ch: pb_grpc.LabelingServiceStub(ch).LabelElements,
             "unary_health_check_baseline": lambda ch: health_pb2_grpc.HealthStub(ch).Check}
    requests = {"unary_label_one_element": singles, "unary_health_check_baseline": [health_pb2.HealthCheckRequest()]}
    return {name: concurrent_calls(address, 16, seconds,
                                   lambda ch, n=name: (lambda call: lambda r: call(r.choice(requests[n])))(calls[n](ch)))
            for name in calls}


def echo_rate(response: pb.LabelElementsResponse, messages: list) -> dict:
    """The same stream answered by an echo server (own process) with this response's bytes."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as blob:
        blob.write(response.SerializeToString())
        blob.flush()
        with running_process(["-m", "bench.translate_bench", "--echo-server", blob.name]) as echo, \
                grpc.insecure_channel(echo, options=OPTIONS) as channel:
            return element_rate(channel.stream_stream(ECHO_METHOD, pb.LabelElementsRequest.SerializeToString,
                                                      pb.LabelElementsResponse.FromString), messages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-label-bench.db")
    args = parser.parse_args()
    db = ensure_default_db(args.db)
    store = Store(db, readonly=True)
    engine = Engine(str(db))
    result: dict = {"accuracy_icd10cm_heldout": icd_heldout(engine),
                    "accuracy_synthea_conditions": synthea_heldout(engine, store)}
    rnd = random.Random(6)
    pool, fresh = workload(store, rnd)
    warm = batches(pool, args.batches, rnd)
    cold = batches(fresh, min(args.batches // 4, len(fresh) // BATCH), None)
    result.update(batch_size=BATCH, distinct_pool_codings=len(pool))
    with running_server(db) as address:
        rates, response = stream_rates(address, pool, warm, cold)
        rates.update(unary_rates(address, args.seconds, [pb.LabelElementsRequest(elements=[e])
                                                         for e in warm[1].elements]))
    rates["stream_echo_baseline"] = echo_rate(response, warm)
    echo = rates["stream_echo_baseline"]["elements_per_second"]
    result.update(rates, response_bytes_per_batch=response.ByteSize(), ratios={
        "stream_warm_to_echo": round(rates["stream_warm"]["elements_per_second"] / echo, 3),
        "stream_cold_to_echo": round(rates["stream_cold"]["elements_per_second"] / echo, 3),
        "unary_p99_to_health_p99": round(rates["unary_label_one_element"]["p99_ms"]
                                         / rates["unary_health_check_baseline"]["p99_ms"], 2)})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
