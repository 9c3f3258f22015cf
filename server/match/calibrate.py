"""Calibration of re-ranker scores into probabilities of being right (isotonic
regression fitted on a held-out slice of the development sets) and the
expected calibration error used to check it."""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression

BINS = 10


def fit(scores, correct) -> IsotonicRegression:
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    model.fit(np.asarray(scores, dtype=np.float64), np.asarray(correct, dtype=np.float64))
    return model


def ece(confidences, correct, bins: int = BINS) -> float:
    """Expected calibration error over equal-width confidence bins."""
    conf = np.asarray(confidences, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    if not len(conf):
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() / len(conf) * abs(conf[mask].mean() - hit[mask].mean())
    return float(total)
