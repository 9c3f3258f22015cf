"""A trained HistGradientBoostingClassifier evaluated with numpy: every tree
walked at once, level by level. Same probabilities as predict_proba, without its
per-tree call overhead or OpenMP threads (which a busy gRPC server cannot spare
on a 25-row request).

The nodes are renumbered so that a node's children sit side by side (right, then
left), and a leaf is its own child with a NaN threshold (`x <= NaN` is never
true), so one step of every walk is a gather, a compare and an add; a NaN
feature goes right, as before. For float32 features the thresholds are rounded
down to float32, which decides `x <= t` exactly as in float64."""

from __future__ import annotations

import numpy as np

CHUNK = 512  # rows per pass: its working arrays stay in cache


def _renumbered(trees: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """(root, feature, float64 and float32 thresholds, first child, value) of every tree."""
    feature, threshold, child, value, roots = [], [], [], [], []
    for nodes in trees:
        base = len(feature)
        roots.append(base)
        order = [0]  # new position -> old node; a node's children are appended together
        slot = {0: 0}
        at = 0
        while at < len(order):
            old = order[at]
            if not nodes["is_leaf"][old]:
                for kid in (int(nodes["right"][old]), int(nodes["left"][old])):
                    slot[kid] = len(order)
                    order.append(kid)
            at += 1
        for new, old in enumerate(order):
            leaf = bool(nodes["is_leaf"][old])
            feature.append(0 if leaf else int(nodes["feature_idx"][old]))
            threshold.append(np.nan if leaf else float(nodes["num_threshold"][old]))
            child.append(base + new if leaf else base + slot[int(nodes["right"][old])])
            value.append(float(nodes["value"][old]))
    t64 = np.array(threshold, dtype=np.float64)
    t32 = t64.astype(np.float32)
    with np.errstate(invalid="ignore"):
        t32 = np.where(t32.astype(np.float64) > t64, np.nextafter(t32, np.float32(-np.inf)), t32)
    return (np.array(roots, dtype=np.int32), np.array(feature, dtype=np.int32), t64, t32.astype(np.float32),
            np.array(child, dtype=np.int32), np.array(value, dtype=np.float64))


class Forest:
    def __init__(self, model) -> None:
        trees = [p.nodes for stage in model._predictors for p in stage]
        self.roots, self.feature, self.threshold64, self.threshold32, self.child, self.value = _renumbered(trees)
        self.depth = int(max(t["depth"].max() for t in trees))  # steps from a root to its deepest leaf
        self.baseline = float(np.ravel(model._baseline_prediction)[0])

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(class 1) per row."""
        out = np.empty(len(x))
        dtype = np.float32 if x.dtype == np.float32 else np.float64
        threshold = self.threshold32 if dtype == np.float32 else self.threshold64
        for lo in range(0, len(x), CHUNK):
            rows = np.ascontiguousarray(x[lo:lo + CHUNK], dtype=dtype)
            flat = rows.ravel()
            base = (np.arange(len(rows), dtype=np.int32) * np.int32(rows.shape[1]))[:, None]
            at = np.broadcast_to(self.roots, (len(rows), len(self.roots))).copy()
            column, value, limit = np.empty_like(at), np.empty(at.shape, dtype), np.empty(at.shape, dtype)
            left = np.empty(at.shape, dtype=bool)
            for _ in range(self.depth):  # np.take into buffers: no index conversion, no temporaries
                np.take(self.feature, at, out=column, mode="clip")
                column += base
                np.take(flat, column, out=value, mode="clip")
                np.take(threshold, at, out=limit, mode="clip")
                np.less_equal(value, limit, out=left)
                np.take(self.child, at, out=at, mode="clip")
                at += left
            raw = self.value[at].sum(axis=1) + self.baseline
            out[lo:lo + CHUNK] = 1.0 / (1.0 + np.exp(-raw))
        return out
