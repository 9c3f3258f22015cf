"""Trains the MatchText re-ranker and fits its calibrators; writes
mappings/models/matcher.joblib (shipped, so `termbridge init` and the tests
never train).

1. Training data: bench/matcher_training.py generates entries from the
   terminologies and curated content only (fixed seeds), runs candidate
   generation and features, and labels each candidate right or wrong.
2. Re-ranker: scikit-learn HistGradientBoostingClassifier (fixed random_state).
3. Calibration: isotonic regression fitted on the calibration half of the
   development sets (bench/data/problem_list_dev.jsonl, local_table_dev.jsonl;
   evaluate.calibration_half), never on the other half; their ICD-10-CM and
   SNOMED CT entries are also asked for an SDOH category (right only where a
   curated map leads from the gold code to it).

    python -m bench.train_matcher [--db PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from bench.common import ROOT, ensure_default_db
from bench.matcher_training import examples, gibberish, sdoh_categories
from server import systems
from server.match import calibrate, candidates, content, evaluate, features, index as index_mod, persist, query
from server.match.matcher import Matcher
from server.match.rerank import MODEL_FILE, Reranker
from server.match.service import DEFAULT_TARGETS
from server.store.store import Store

DATA = ROOT / "bench" / "data"
DEV_SETS = (DATA / "problem_list_dev.jsonl", DATA / "local_table_dev.jsonl")
HELDOUT = DATA / "icd10cm_inclusion_heldout.jsonl"
CHUNK = 1000
ANCHORS = 20  # keyboard-noise entries per target system in the calibration data
ANCHOR_SEED = 11  # not the training data's seed


class _Identity:
    """Calibration that leaves scores as they are (before the calibrators are fitted)."""

    @staticmethod
    def predict(x):
        return np.asarray(x, dtype=np.float64)


def load_index(db: Path) -> index_mod.MatchIndex:
    store = Store(db, readonly=True)
    fingerprint = content.base_fingerprint(store)
    index = persist.load(str(db), fingerprint)
    if index is None:
        index = index_mod.build(store, fingerprint)
        persist.save(index, str(db))
    return index.with_maps(content.read_maps(store, index.base), content.map_fingerprint(store))


def featurize(index, items) -> tuple[np.ndarray, np.ndarray, float]:
    """Features and labels of every candidate, and the share of entries whose gold was a candidate."""
    xs, ys, found, with_gold = [], [], 0, 0
    for system in index.systems:
        mine = [e for e in items if e.system == system]
        sub = index.systems[system]
        for lo in range(0, len(mine), CHUNK):
            chunk = mine[lo:lo + CHUNK]
            queries = [query.prepare(e.text, index) for e in chunk]
            batch = candidates.generate(queries, sub, index.vectorizers.queries(candidates.readings(queries)),
                                        [e.mask for e in chunk])
            x, _, _ = features.batch_features(batch, sub)
            y = np.array([sub.codes[c] in chunk[q].gold for c, q in zip(batch.cand_concept.tolist(),
                                                                         batch.cand_query.tolist())])
            xs.append(x)
            ys.append(y)
            hit = np.bincount(batch.cand_query, weights=y, minlength=len(chunk)) > 0
            found += int(hit.sum())
            with_gold += sum(1 for e in chunk if e.gold)
    return np.vstack(xs), np.concatenate(ys), found / max(with_gold, 1)


def calibration_points(matcher: Matcher, entries: list[dict]):
    """(first scores, first right, other scores, other right) over the entries."""
    firsts, first_ok, others, other_ok = [], [], [], []
    for system in dict.fromkeys(e["system"] for e in entries):
        mine = [e for e in entries if e["system"] == system]
        sub = matcher.index.systems[system]
        for e, ranked in zip(mine, matcher.rank(matcher.prepare([e["text"] for e in mine]), system)):
            right = [sub.codes[c] in e["gold"] for c in ranked.concepts.tolist()]
            firsts.append(ranked.scores[0] if len(right) else 0.0)
            first_ok.append(bool(right[:1]) and right[0])
            others.extend(ranked.scores[1:].tolist())
            other_ok.extend(right[1:])
    return np.array(firsts), np.array(first_ok), np.array(others), np.array(other_ok)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-bench.db")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--cache", type=Path, help="Keep the featurized training data here and reuse it.")
    args = parser.parse_args()
    db = ensure_default_db(args.db)
    index = load_index(db)
    sdoh = sdoh_categories(Store(db, readonly=True))
    started = time.perf_counter()
    items = examples(index, HELDOUT, sdoh)
    if args.cache and args.cache.exists():
        data = np.load(args.cache)
        x, y = data["x"], data["y"]
    else:
        x, y, recall = featurize(index, items)
        print(f"gold among candidates {recall:.3f}")
        if args.cache:
            np.savez(args.cache, x=x, y=y)
    print(f"training entries {len(items):,}, candidates {len(y):,}, positives {int(y.sum()):,} "
          f"({time.perf_counter() - started:.0f}s)")
    model = HistGradientBoostingClassifier(max_iter=80, learning_rate=0.2, max_leaf_nodes=15, max_depth=6,
                                           min_samples_leaf=40,
                                           l2_regularization=1.0, early_stopping=False, random_state=0)
    with threadpool_limits(2, "openmp"):
        model.fit(x, y)
    print(f"re-ranker trained ({time.perf_counter() - started:.0f}s)")
    dev = [e for path in DEV_SETS for e in evaluate.read_entries(path)]
    cross = [{**e, "system": systems.SDOHCC, "gold": set().union(*(sdoh.get((e["system"], g), set())
                                                                   for g in e["gold"]))}
             for e in dev if e["system"] != systems.SDOHCC]  # asked for a category too: right only where mapped
    raw = Matcher(index, Reranker(model, _Identity(), _Identity(), features.NAMES, "raw"))
    rnd = random.Random(ANCHOR_SEED)
    anchors = [{"id": f"noise-{i}", "text": gibberish(rnd), "system": system, "gold": set()}
               for system in DEFAULT_TARGETS for i in range(ANCHORS)]  # the low end: nothing is right
    s1, ok1, s2, ok2 = calibration_points(raw, [e for e in dev if evaluate.calibration_half(e["id"])] + anchors)
    version = hashlib.sha256(f"{features.NAMES}:{len(items)}:{y.sum()}:{model.n_iter_}".encode()).hexdigest()[:12]
    final = Reranker(model, calibrate.fit(s1, ok1), calibrate.fit(s2, ok2), features.NAMES, version)
    for name, entries in (("development", dev), ("asked for an SDOH category", cross)):
        t1, tok1, _, _ = calibration_points(raw, [e for e in entries if not evaluate.calibration_half(e["id"])])
        print(f"{name}, other half ({len(t1)}): top1 {tok1.mean():.3f}, ECE raw {calibrate.ece(t1, tok1):.3f} "
              f"-> calibrated {calibrate.ece(final.top.predict(t1), tok1):.3f}")
    final.save(args.out)
    print(f"wrote {args.out.relative_to(ROOT)} (version {version})")


if __name__ == "__main__":
    main()
