"""Calibration of re-ranker scores into probabilities of being right, fitted on a
held-out slice of the development sets, and the expected calibration error used
to check it.

An entry's first candidate is calibrated from more than its score: how far it is
ahead of the second, and how well its best term supports the entry (exact or
not, share of the entry's rare-word weight it covers, the rarest word one has
and the other lacks, unknown words...). A logistic model over these is fitted
first, then isotonic regression on its output, so that a high score reached on
weak support - unseen wording, a near miss on one rare word - is not read as
sure. Gravity SDOH categories and codes get a model each (SplitCalibrator). Other
candidates: isotonic regression on the score alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from server.match import features

BINS = 10
# Columns of features.NAMES that say how well the first candidate is supported.
SUPPORT = ("exact", "exact_typed", "q_cov", "t_cov", "n_missing", "n_extra", "idf_q_cov", "idf_t_cov",
           "missing_idf", "extra_idf", "n_unknown", "spelled", "abbreviated", "q_words", "token_set",
           "seventh", "depth", "has_alias", "head_cov", "clauses", "term_0", "term_1", "term_3", "term_6", "icd",
           "snomed", "sdoh")  # term_k: where the best term came from
_SUPPORT_COLUMNS = np.array([features.NAMES.index(n) for n in SUPPORT])
# LogisticRegression C. Strong: 0.3 fitted the read development sets too closely (other-half ECE
# 0.071 / 0.039 / 0.056 on the unread full 10-11, legacy 9-10 and full 5-6; 0.064 / 0.040 / 0.030 at 0.05).
REGULARIZATION = 0.05
# Gravity SDOH categories keep 0.3: at 0.05 the other halves' SDOH entries had ECE 0.047 and precision
# at auto 0.973 against 0.035 and 0.992, and clinical entries asked for a category reached 0.9 more often.
SDOH_REGULARIZATION = 0.3
MAX_CONFIDENCE = 0.999  # a few thousand calibration entries cannot show certainty
# An entry of LONG_WORDS or more words is never surer than LONG_CEILING: leaving each unread calibration set
# out in turn, full wording's top bin was right 0.94 of the time at a mean confidence of 0.97 (pooled ECE
# 0.034 -> 0.023 capped at 0.95, mean per-set 0.059 -> 0.055; terse entries, under 8 words, unchanged).
LONG_WORDS = 8
LONG_CEILING = 0.95


def fit(scores, correct, weight=None) -> IsotonicRegression:
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    model.fit(np.asarray(scores, dtype=np.float64), np.asarray(correct, dtype=np.float64), sample_weight=weight)
    return model


def predict(isotonic, x: np.ndarray) -> np.ndarray:
    """IsotonicRegression(out_of_bounds="clip").predict, without its per-call checks, at most
    MAX_CONFIDENCE."""
    if not hasattr(isotonic, "X_thresholds_"):  # not fitted yet (training): scores as they are
        return isotonic.predict(x)
    return np.minimum(np.interp(x, isotonic.X_thresholds_, isotonic.y_thresholds_), MAX_CONFIDENCE)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def entry_features(first: np.ndarray, second: np.ndarray, x_first: np.ndarray) -> np.ndarray:
    """Per entry: logit of the first score, its margin over the second (0 when none), support columns."""
    top = _logit(first)
    return np.column_stack([top, top - _logit(second), x_first[:, _SUPPORT_COLUMNS]])


@dataclass
class FirstCalibrator:
    """P(an entry's first candidate is right) from entry_features: logistic, then isotonic."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    isotonic: IsotonicRegression

    def linear(self, z: np.ndarray) -> np.ndarray:
        return ((z - self.mean) / self.scale) @ self.coef + self.intercept

    def predict(self, z: np.ndarray) -> np.ndarray:
        if not len(z):
            return np.zeros(0)
        return predict(self.isotonic, self.linear(z))


def fit_first(z: np.ndarray, correct, weight=None, regularization: float = REGULARIZATION) -> FirstCalibrator:
    """Fitted on entry_features of first candidates; `weight` balances the development sets."""
    y = np.asarray(correct, dtype=np.float64)
    mean, scale = z.mean(axis=0), z.std(axis=0) + 1e-6
    model = LogisticRegression(C=regularization, max_iter=5000).fit((z - mean) / scale, y, sample_weight=weight)
    out = FirstCalibrator(mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]), None)
    out.isotonic = fit(out.linear(z), y, weight)
    return out


_SDOH = 2 + SUPPORT.index("sdoh")  # column of entry_features: a Gravity SDOH category
_WORDS = 2 + SUPPORT.index("q_words")


@dataclass
class SplitCalibrator:
    """One FirstCalibrator for Gravity SDOH categories, one for codes. Asked for a category, most
    clinical entries have none right; fitted together, those made real SDOH answers look unsure."""

    sdoh: FirstCalibrator
    codes: FirstCalibrator

    @property
    def coef(self) -> np.ndarray:
        return np.concatenate([self.sdoh.coef, self.codes.coef])

    def predict(self, z: np.ndarray) -> np.ndarray:
        out = np.zeros(len(z))
        category = z[:, _SDOH] > 0.5 if len(z) else np.zeros(0, dtype=bool)
        for mask, model in ((category, self.sdoh), (~category, self.codes)):
            if mask.any():
                out[mask] = model.predict(z[mask])
        return np.where(z[:, _WORDS] >= LONG_WORDS, np.minimum(out, LONG_CEILING), out) if len(z) else out


def fit_split(z: np.ndarray, correct, weight=None) -> SplitCalibrator:
    y = np.asarray(correct, dtype=np.float64)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    category = z[:, _SDOH] > 0.5
    return SplitCalibrator(fit_first(z[category], y[category], w[category], SDOH_REGULARIZATION),
                           fit_first(z[~category], y[~category], w[~category]))


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


FLOOR_DRAWS = 200


def ece_floor(confidences, draws: int = FLOOR_DRAWS, seed: int = 0) -> float:
    """The ECE a perfectly calibrated matcher would show at these confidences on this many entries (its
    mean over `draws` simulated outcomes, each entry right with its confidence's probability): sampling
    noise alone. On 200 full-wording entries at confidences like f23's it is 0.059."""
    conf = np.asarray(confidences, dtype=np.float64)
    if not len(conf):
        return 0.0
    rng = np.random.default_rng(seed)
    return float(np.mean([ece(conf, rng.random(len(conf)) < conf) for _ in range(draws)]))

