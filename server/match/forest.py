"""A trained HistGradientBoostingClassifier evaluated with numpy: every tree
walked at once, level by level. Same probabilities as predict_proba, without its
per-tree call overhead or OpenMP threads (which a busy gRPC server cannot spare
on a 25-row request)."""

from __future__ import annotations

import numpy as np

CHUNK = 4096


class Forest:
    def __init__(self, model) -> None:
        trees = [p.nodes for stage in model._predictors for p in stage]
        offsets = np.cumsum([0] + [len(t) for t in trees[:-1]])
        nodes = np.concatenate(trees)
        self.roots = offsets.astype(np.int64)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        shift = np.repeat(offsets, [len(t) for t in trees])
        self.left = nodes["left"].astype(np.int64) + shift
        self.right = nodes["right"].astype(np.int64) + shift
        self.leaf = nodes["is_leaf"].astype(bool)
        self.value = nodes["value"].astype(np.float64)
        self.depth = int(nodes["depth"].max()) + 1
        self.baseline = float(np.ravel(model._baseline_prediction)[0])

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(class 1) per row."""
        out = np.empty(len(x))
        for lo in range(0, len(x), CHUNK):
            rows = x[lo:lo + CHUNK].astype(np.float64)
            at = np.broadcast_to(self.roots, (len(rows), len(self.roots))).copy()
            index = np.arange(len(rows))[:, None]
            for _ in range(self.depth):
                inner = ~self.leaf[at]
                if not inner.any():
                    break
                go_left = rows[index, self.feature[at]] <= self.threshold[at]
                at = np.where(inner, np.where(go_left, self.left[at], self.right[at]), at)
            raw = self.value[at].sum(axis=1) + self.baseline
            out[lo:lo + CHUNK] = 1.0 / (1.0 + np.exp(-raw))
        return out
