"""Word-level fit of a candidate's best term to the entry, computed for a whole batch as sparse
word rows (server/match/wordfit.py): coverage both ways, rarest word lacking, unseen words,
numbers that disagree, and what the entry and the code say absent."""

import numpy as np
import pytest

from server.match import wordfit
from server.match.features import GENERIC, QUALIFIER_COLUMN, QUALIFIERS, WordWeights, polarity, qualifiers
from server.match.normalize import normalize, word_set

TERMS = ["Alcohol dependence with withdrawal", "Chronic kidney disease, stage 4", "Migraine with aura",
         "Migraine without aura"]
IDF = WordWeights({"alcohol": 2.0, "dependence": 1.5, "withdrawal": 3.0, "delirium": 4.0, "chronic": 1.0,
                   "kidney": 2.5, "disease": 0.5, "stage": 2.0, "3": 3.0, "4": 3.0, "migraine": 3.5, "aura": 4.5},
                  unseen=6.0)
COLUMNS = dict(zip(["q_cov", "t_cov", "n_extra", "n_generic", "display_cov", "token_set", "ratio", "n_missing",
                    "n_conflict", "number_conflict", "idf_q_cov", "idf_t_cov", "missing_idf", "extra_idf"],
                   range(wordfit.COLUMNS)))


@pytest.fixture(scope="module")
def words():
    texts = [normalize(t) for t in TERMS]
    side = ([word_set(t) for t in texts], [qualifiers(t) for t in texts], [polarity(t) for t in texts])
    return wordfit.WordRows(side, side, QUALIFIER_COLUMN)


def fit(words, entry: str, term: int) -> dict:
    reading = normalize(entry)
    ws = word_set(reading)
    rows, _ = wordfit.rows(words, IDF, GENERIC, QUALIFIERS, [[ws]], [ws], [ws], [ws], np.zeros(1, dtype=int),
                           np.array([term]), np.zeros(1, dtype=int), np.array([term]), [reading],
                           [normalize(TERMS[term])])
    return {name: float(rows[0, col]) for name, col in COLUMNS.items()}


def test_entry_saying_more_than_the_term(words):
    row = fit(words, "alcohol dependence with withdrawal delirium", 0)
    assert row["t_cov"] == 1.0 and row["n_extra"] == 0 and row["extra_idf"] == 0
    assert row["n_missing"] == 1 and row["missing_idf"] == 4.0  # delirium
    assert row["idf_q_cov"] == pytest.approx(6.5 / 10.5, rel=1e-6)
    assert row["idf_t_cov"] == pytest.approx(1.0)


def test_unseen_words_weigh_as_the_rarest_and_numbers_conflict(words):
    row = fit(words, "chronic kidney disease stage 3 zzqx", 1)
    assert row["missing_idf"] == 6.0  # "zzqx" is in no term
    assert row["number_conflict"] == 1  # 3 against 4
    assert fit(words, "chronic kidney disease stage 4", 1)["number_conflict"] == 0


def test_what_the_entry_says_absent_against_the_code(words):
    polar = [polarity(normalize("migraine without aura"))]
    sides = wordfit.polarity_fit(words, polar + polar, np.array([0, 1]), np.array([2, 3]), np.array([2, 3]))
    assert sides.tolist() == [[1, 0], [0, 1]]  # the code has aura / both say it is absent


def test_batch_and_one_at_a_time_give_the_same_features(engine):
    """The sparse products (batches) and the loop (a few dozen rows) must agree to the bit."""
    from server.match import candidates, features
    matcher = engine.matching.matcher()
    texts = ["MDD, recurrent, mod", "etoh abuse in early remission", "Migraine w/o aura, intractable",
             "Preeclampsia at 35 weeks", "OA R KNEE", "homeless - staying in car", "GERD without esophagitis"]
    for sub in matcher.index.systems.values():
        queries = matcher.prepare(texts)
        batch = candidates.generate(queries, sub, matcher.vectors(queries), [set()] * len(texts))
        idf = features.word_idf(matcher.index.vectorizers)
        _, best_term, best_reading = features.batch_features(batch, sub, idf)
        args = (batch, sub, idf, [[v.text for v in q.variants] for q in queries],
                [word_set(q.reading) for q in queries], best_term, best_reading)
        for each, together in zip(features._word_rows_each(*args), features._word_rows_batch(*args)):
            assert np.array_equal(each, together)
