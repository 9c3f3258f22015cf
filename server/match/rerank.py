"""The learned re-ranker (scikit-learn gradient boosting over the features in
features.py) with its two calibrators (calibrate.py). It is trained offline by
`python -m bench.train_matcher` on data generated from the terminologies and the
curated content only, and shipped as mappings/models/matcher.joblib."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np

from server.load import MAPPINGS_DIR
from server.match import calibrate, features
from server.match.forest import Forest

MODEL_FILE = MAPPINGS_DIR / "models" / "matcher.joblib"
_CLASH = features.NAMES.index("with_clash")
CLASH_PENALTY = 0.25  # a code that has what the entry says it is without ("w/o perforation"): a coder's rule
_QUALIFIER_CLASH = features.NAMES.index("qual_clash")
QUALIFIER_CLASH_PENALTY = 0.5  # a code that answers a stated qualifier otherwise ("severe": not "..., mild")
_HISTORICAL, _HISTORY_CODE = features.NAMES.index("historical"), features.NAMES.index("history_code")
HISTORY_PENALTY = 0.5  # a historical entry ("former smoker, quit 2015") is coded by its personal-history code


def entry_codes(batch, sub, n: int) -> tuple[int, int, list[str]]:
    """The ranking rules' view of entry n: its first and past-last candidate rows and their codes."""
    lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
    return lo, hi, [sub.codes[c] for c in batch.cand_concept[lo:hi].tolist()]


def to_twin(scores: np.ndarray, i: int, twin: int) -> None:
    """The ranking rules' swap: the twin takes the higher of the two scores, row i the lower."""
    scores[twin], scores[i] = max(scores[twin], scores[i]), min(scores[twin], scores[i])


def to_top(scores: np.ndarray, lo: int, hi: int, j: int) -> None:
    """Row j (of an entry's rows lo..hi) swaps scores with the entry's best other row when that is as high,
    and ends above it (a tie would leave the order to chance)."""
    if hi - lo < 2:
        return
    others = scores[lo:hi].copy()
    others[j - lo] = -np.inf
    i = lo + int(np.argmax(others))
    if scores[i] >= scores[j]:
        to_twin(scores, i, j)
        scores[j] = max(scores[j], np.nextafter(scores[i], np.inf))


def to_twins(scores: np.ndarray, lo: int, codes: list[str], twin_of) -> None:
    """to_twin for each of an entry's candidates (codes, from row lo) whose twin_of(code) is another."""
    for i, code in enumerate(codes):
        twin = twin_of(code)
        if twin and twin != code and twin in codes:
            to_twin(scores, lo + i, lo + codes.index(twin))


@dataclass
class Reranker:
    model: object  # HistGradientBoostingClassifier
    top: object  # calibrate.SplitCalibrator: entry_features of an entry's first candidate -> P(right)
    rest: object  # isotonic: score of any other candidate -> P(right)
    feature_names: list[str]
    version: str

    def scores(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        if self.__dict__.get("forest") is None:
            self.forest = Forest(self.model)
        return (self.forest.predict_proba(x) * np.where(x[:, _CLASH] > 0, CLASH_PENALTY, 1.0)
                * np.where(x[:, _QUALIFIER_CLASH] > 0, QUALIFIER_CLASH_PENALTY, 1.0)
                * np.where((x[:, _HISTORICAL] > 0) & (x[:, _HISTORY_CODE] == 0), HISTORY_PENALTY, 1.0))

    def confidences(self, scores: np.ndarray, first: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Calibrated confidences of candidates given their scores and features, grouped by
        entry best first, `first` marking each entry's best."""
        out = np.empty(len(scores))
        if len(scores):
            at = np.flatnonzero(first)
            second = np.zeros(len(at))
            has_second = at + 1 < len(scores)
            has_second[has_second] = ~first[at[has_second] + 1]
            second[has_second] = scores[at[has_second] + 1]
            out[first] = self.top.predict(calibrate.entry_features(scores[at], second, x[at]))
            out[~first] = calibrate.predict(self.rest, scores[~first])
        return out

    def save(self, path: Path = MODEL_FILE) -> None:
        self.__dict__.pop("forest", None)  # rebuilt from the model on first use
        joblib.dump(self, path, compress=3)


@lru_cache(maxsize=2)
def load(path: Path = MODEL_FILE) -> Reranker:
    model = joblib.load(path)
    if model.feature_names != features.NAMES:
        raise RuntimeError(f"{path} was trained on other features; run `python -m bench.train_matcher`")
    return model
