"""The base index on disk, next to the database: `<db>.match/<fingerprint>/`
with the terms and concepts as JSON, the matrices as scipy .npz and the
vectorizers with joblib (our own files, written atomically; older versions are
removed when a new one is saved)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp

from server.match.content import Concept, Content
from server.match.index import MatchIndex, SystemIndex, index_dir

log = logging.getLogger("termbridge.match")
FORMAT = "2"  # of the files below; the content version is the folder name


def save(index: MatchIndex, db_path: str) -> Path | None:
    """Write the base index atomically (JSON, .npz, joblib); older versions next to it are removed."""
    root = index_dir(db_path)
    target = root / index.fingerprint[:16]
    try:
        root.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".build-"))
        joblib.dump(index.vectorizers, tmp / "vectorizers.joblib")
        base = index.base
        meta = {"fingerprint": index.fingerprint, "version": FORMAT, "skipped": base.skipped,
                "concepts": [[c.system, c.code, c.display, c.billable, c.category] for c in base.concepts.values()],
                "terms": base.terms, "extensions": base.extensions, "systems": []}
        for n, sub in enumerate(index.systems.values()):
            meta["systems"].append({"system": sub.system, "codes": sub.codes, "displays": sub.displays,
                                    "terms": sub.terms})
            np.savez(tmp / f"{n}.arrays.npz", billable=sub.billable, term_concept=sub.term_concept,
                     term_kind=sub.term_kind)
            sp.save_npz(tmp / f"{n}.char.npz", sub.char, compressed=False)
            sp.save_npz(tmp / f"{n}.word.npz", sub.word, compressed=False)
        (tmp / "index.json").write_text(json.dumps(meta))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        for old in root.iterdir():
            if old != target and not old.name.startswith(".build-"):
                shutil.rmtree(old, ignore_errors=True)
        return target
    except OSError as exc:
        log.warning("could not keep the match index on disk (%s); it lives in memory only", exc.strerror)
        return None


def load(db_path: str, fingerprint: str) -> MatchIndex | None:
    folder = index_dir(db_path) / fingerprint[:16]
    if not (folder / "index.json").exists():
        return None
    meta = json.loads((folder / "index.json").read_text())
    if meta.get("fingerprint") != fingerprint or meta.get("version") != FORMAT:
        return None
    base = Content(concepts={(s, c): Concept(s, c, d, b, g) for s, c, d, b, g in meta["concepts"]},
                   terms=[tuple(t) for t in meta["terms"]], skipped=meta["skipped"], extensions=meta["extensions"])
    systems = {}
    for n, state in enumerate(meta["systems"]):
        arrays = np.load(folder / f"{n}.arrays.npz")
        systems[state["system"]] = SystemIndex(
            **state, **{k: arrays[k] for k in ("billable", "term_concept", "term_kind")},
            char=sp.load_npz(folder / f"{n}.char.npz").tocsr(), word=sp.load_npz(folder / f"{n}.word.npz").tocsr())
    return MatchIndex(fingerprint, joblib.load(folder / "vectorizers.joblib"), base, systems)
