"""The accuracy harness behind `termbridge eval`: reads JSONL lines
{"id", "text", "system", "gold": [codes]} (optional "held_out": true matches the
entry with its own text taken out of the gold code's terms), matches the whole
file in batch and reports n, top1, top5 (any gold code among the first k),
no_match, ece (of the first candidate's confidence) and ece_floor (the ECE a perfectly calibrated
matcher would show at those confidences on that many entries: sampling noise), precision_at_auto,
auto_rate and per_second - for the matcher and, side by side in the same
process, for the plain character n-gram TF-IDF nearest-neighbour baseline."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from server import systems
from server.errors import InvalidArgument, LoadError
from server.match import calibrate
from server.match.index import term_text
from server.match.result import AUTO, NO_MATCH

BATCH = 1000
WARM_UP = 20
PARTS = 4  # chunks per worker
REQUIRED = ("id", "text", "system", "gold")


@dataclass
class Outcome:
    confidence: float  # of the first candidate (0 when there is none)
    top1: bool
    top5: bool
    decision: str


def read_entries(path: str | Path) -> list[dict]:
    entries = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(path, None, getattr(exc, "strerror", None) or str(exc)) from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoadError(path, number, f"not JSON: {exc.msg}") from None
        missing = [k for k in REQUIRED if k not in entry] if isinstance(entry, dict) else list(REQUIRED)
        if missing:
            raise LoadError(path, number, f"missing field(s) {', '.join(missing)}")
        if not isinstance(entry["gold"], list) or not str(entry["text"]).strip():
            raise LoadError(path, number, "gold must be a list of codes and text must not be empty")
        try:
            entry["system"] = systems.canonical_system(entry["system"])
        except InvalidArgument as exc:
            raise LoadError(path, number, exc.message) from None
        entry["gold"] = {systems.normalize_code(entry["system"], str(g)) for g in entry["gold"]}
        entries.append(entry)
    if not entries:
        raise LoadError(path, None, "no entries")
    return entries


def calibration_half(entry_id: str) -> bool:
    """The fixed half of a development set the calibrators are fitted on."""
    return zlib.crc32(str(entry_id).encode()) % 2 == 0


def held_out_terms(sub, entry: dict) -> set[int]:
    """Term ids to take out of the index for a held-out entry: its own text under a gold code."""
    if not entry.get("held_out"):
        return set()
    text = term_text(entry["text"])
    gold = {sub.code_index[c] for c in entry["gold"] if c in sub.code_index}
    return {t for t in sub.exact.get(text, ()) if int(sub.term_concept[t]) in gold}


def figures(outcomes: list[Outcome], seconds: float) -> dict:
    conf = np.array([o.confidence for o in outcomes])
    top1 = np.array([o.top1 for o in outcomes])
    auto = np.array([o.decision == AUTO for o in outcomes])
    return {"n": len(outcomes), "top1": round(float(top1.mean()), 4),
            "top5": round(float(np.mean([o.top5 for o in outcomes])), 4),
            "no_match": round(float(np.mean([o.decision == NO_MATCH for o in outcomes])), 4),
            "ece": round(calibrate.ece(conf, top1), 4), "ece_floor": round(calibrate.ece_floor(conf), 4),
            "precision_at_auto": round(float(top1[auto].mean()), 4) if auto.any() else None,
            "auto_rate": round(float(auto.mean()), 4),
            "per_second": round(len(outcomes) / seconds, 1) if seconds > 0 else None}


def _outcome(codes: list[str], confidence: float, decision: str, gold: set[str]) -> Outcome:
    return Outcome(confidence, bool(codes[:1]) and codes[0] in gold, any(c in gold for c in codes[:5]), decision)


_work: tuple | None = None  # (matcher, entries, threshold) inherited by forked workers


def _chunk(at: list[int]) -> list[tuple[int, Outcome]]:
    matcher, entries, threshold = _work
    system = entries[at[0]]["system"]
    sub = matcher.index.systems[system]
    exclude = {system: [held_out_terms(sub, entries[i]) for i in at]}
    results = matcher.match([entries[i]["text"] for i in at], [system], 5, threshold, exclude)
    out = []
    for i, result in zip(at, results):
        found = result.results[0]
        conf = found.candidates[0].confidence if found.candidates else 0.0
        out.append((i, _outcome([c.code for c in found.candidates], conf, found.decision, entries[i]["gold"])))
    return out


WARM_TERMS = 300


def _warm_worker(systems: list[str]) -> None:
    """A forked worker's first batches touch (and so copy) the pages of the index they read and
    grow its heap: run it once over terms of its own index (never the evaluated entries)."""
    matcher = _work[0]
    for system in systems:
        sub = matcher.index.systems[system]
        step = max(1, len(sub.terms) // WARM_TERMS)
        matcher.match(sub.terms[::step][:WARM_TERMS], [system], 5, _work[2])


def _pid(_) -> int:
    time.sleep(0.05)  # long enough for every ready worker to take one
    return os.getpid()


def _until_warm(pool, workers: int) -> None:
    """Returns once every worker has done its warm-up and taken a task (a serving process is warm);
    bounded, in case a worker keeps failing it and being replaced."""
    for _ in range(100):
        if len(set(pool.map(_pid, range(2 * workers), chunksize=1))) >= workers:
            return


def run_matcher(matcher, entries: list[dict], threshold: float, workers: int = 1) -> tuple[list[Outcome], float]:
    """Outcomes in file order and the seconds the batch matching took (workers > 1: that many
    forked processes share the loaded index, one batch of one system at a time each; the clock
    starts once they are up and warm, as index loading and warm-up are left out of it)."""
    global _work
    _work = (matcher, entries, threshold)
    size = max(1, min(BATCH, -(-len(entries) // (PARTS * workers))))
    chunks = [at[lo:lo + size] for system in dict.fromkeys(e["system"] for e in entries)
              for at in [[i for i, e in enumerate(entries) if e["system"] == system]]
              for lo in range(0, len(at), size)]
    outcomes: list[Outcome | None] = [None] * len(entries)
    systems = list(dict.fromkeys(e["system"] for e in entries))
    matcher.index.warm()  # builds what is built on first use, before the clock starts
    _chunk(chunks[0][:WARM_UP])
    if workers > 1:
        gc.freeze()  # the loaded index is shared with the workers: their collections must not copy its pages
        try:
            with multiprocessing.get_context("fork").Pool(workers, _warm_worker, (systems,)) as pool:
                _until_warm(pool, workers)
                started = time.perf_counter()
                done = [pair for part in pool.imap_unordered(_chunk, chunks) for pair in part]
                seconds = time.perf_counter() - started
        finally:
            gc.unfreeze()
    else:
        started = time.perf_counter()
        done = [pair for chunk in chunks for pair in _chunk(chunk)]
        seconds = time.perf_counter() - started
    for i, outcome in done:
        outcomes[i] = outcome
    return outcomes, seconds


def run_baseline(baseline, entries: list[dict], threshold: float) -> tuple[list[Outcome], float]:
    outcomes: list[Outcome | None] = [None] * len(entries)
    started = time.perf_counter()
    for system in dict.fromkeys(e["system"] for e in entries):
        at = [i for i, e in enumerate(entries) if e["system"] == system]
        for lo in range(0, len(at), BATCH):
            chunk = at[lo:lo + BATCH]
            ranked = baseline.rank([entries[i]["text"] for i in chunk], system,
                                   [(term_text(entries[i]["text"]), entries[i]["gold"])
                                    if entries[i].get("held_out") else None for i in chunk])
            for i, (codes, scores) in zip(chunk, ranked):
                conf = float(scores[0]) if len(scores) else 0.0
                outcomes[i] = _outcome(codes, conf, baseline.decide(conf, threshold), entries[i]["gold"])
    return outcomes, time.perf_counter() - started


def ratios(ours: dict, base: dict) -> dict:
    out = {}
    for key in ("top1", "top5", "precision_at_auto", "auto_rate", "per_second"):
        a, b = ours.get(key), base.get(key)
        out[key] = round(a / b, 2) if a is not None and b else None
    return out
