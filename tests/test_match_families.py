"""Candidate generation reaches the specific ICD-10-CM code (laterality, trimester,
episode of care) through the family of a retrieved code, the same in any batch."""

import numpy as np
import scipy.sparse as sp

from server.match import candidates
from server.match.evaluate import held_out_terms
from server.match.families import Families, stem
from server.match.service import MAX_CANDIDATES
from server.systems import ICD10CM


def test_stem_drops_dot_seventh_character_and_placeholders():
    assert stem("S16.1XXA") == "S161"
    assert stem("M17.11") == "M1711"
    assert stem("O60.10X0") == "O6010"
    assert stem("F22") == "F22"


def test_family_is_every_code_under_the_parent_and_gain_counts_words_the_seed_lacks():
    codes = ["F22", "M17.0", "M17.11", "M17.12", "M17.9"]
    # one term per code; words: 0 osteoarthritis, 1 knee, 2 right, 3 left, 4 bilateral, 5 delusional
    term_words = [[5], [0, 1, 4], [0, 1, 2], [0, 1, 3], [0, 1]]
    rows = np.repeat(np.arange(len(codes)), [len(w) for w in term_words])
    word = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, np.concatenate(term_words))),
                         shape=(len(codes), 6))
    fam = Families.build(codes, np.arange(len(codes)), word)
    m179 = codes.index("M17.9")
    assert sorted(codes[c] for c in fam.members[fam.start[m179]:fam.start[m179 + 1]]) == codes[1:]
    assert fam.start[1] == fam.start[0]  # a three-character code has no family
    entry = sp.csr_matrix(np.array([[1, 1, 1, 0, 0, 0]], dtype=np.float32))  # osteoarthritis right knee
    cover, gain = fam.coverage(np.zeros(4, dtype=np.int64), np.arange(1, 5), np.full(4, m179), entry)
    assert gain[1] > 0 and gain[[0, 2, 3]].tolist() == [0, 0, 0]  # only M17.11 adds "right"
    assert cover[1] == cover.max()


def test_specific_codes_become_candidates(engine):
    texts = ["Osteoarthritis of the right knee", "Anemia of pregnancy, third trimester", "Left breast cancer"]
    gold = ["M17.11", "O99.013", "C50.912"]
    results = engine.match_texts(texts, ["icd10cm"], MAX_CANDIDATES)
    for result, code in zip(results, gold):
        assert code in [c.code for c in result.results[0].candidates]


def test_entries_of_only_common_words_still_find_their_codes(engine):
    # every word is in too many terms to retrieve by: the moderate-word fallback finds the
    # sprains, the family search their laterality and encounter
    texts = ["WRIST SPRAIN R INIT", "sprain of left knee, initial encounter"]
    gold = ["S63.501A", "S83.92XA"]
    results = engine.match_texts(texts, ["icd10cm"], MAX_CANDIDATES)
    for result, code in zip(results, gold):
        assert code in [c.code for c in result.results[0].candidates]


def test_a_disease_in_common_words_is_a_candidate_next_to_a_rarer_word(engine):
    # "hemodialysis", "angina" fill the nearest terms; the moderate-word search adds the disease
    matcher = engine.matching.matcher()
    sub = matcher.index.systems[ICD10CM]
    queries = matcher.prepare(["End-stage renal disease on hemodialysis", "Coronary artery disease without angina"])
    batch = candidates.generate(queries, sub, matcher.vectors(queries))
    found = [{sub.codes[c] for c in batch.cand_concept[batch.cand_start[n]:batch.cand_start[n + 1]].tolist()}
             for n in range(2)]
    assert "N18.6" in found[0] and "I25.10" in found[1]
    assert all(len(f) <= candidates.MAX_CONCEPTS + candidates.MODERATE_EXTRA + candidates.MAX_RELATIVES
               for f in found)


def test_candidates_do_not_depend_on_the_rest_of_the_batch(engine):
    texts = ["OA R KNEE", "DVT LLE ACUTE", "htn", "PRETERM LABOR 2ND TRI", "KNEE SPRAIN R INIT"]
    together = engine.match_texts(texts, ["icd10cm"], MAX_CANDIDATES)
    for text, result in zip(texts, together):
        alone = engine.match_text(text, ["icd10cm"], MAX_CANDIDATES)
        assert [(c.code, c.confidence) for c in alone.results[0].candidates] == \
            [(c.code, c.confidence) for c in result.results[0].candidates]


def test_a_held_out_term_is_taken_out_for_its_own_entry_only(engine):
    entry = {"text": "Traumatic neurosis", "system": "icd10cm", "gold": ["F43.10"], "held_out": True}
    matcher = engine.matching.matcher()
    held = held_out_terms(matcher.index.systems[ICD10CM], entry)
    assert held, "the inclusion term is in the index"
    texts = [entry["text"], entry["text"]]

    def codes(exclude):
        return [[(c.code, c.confidence) for c in r.results[0].candidates]
                for r in matcher.match(texts, [ICD10CM], MAX_CANDIDATES, 0.9, {ICD10CM: exclude})]

    held_alone, plain_alone = codes([held, held])[0], codes([set(), set()])[1]
    assert held_alone != plain_alone  # taking the term out changes that entry's answer
    assert codes([held, set()]) == [held_alone, plain_alone]  # and never its neighbour's


def test_the_cheap_cut_keeps_every_rows_best_values_ties_included():
    rng = np.random.default_rng(3)
    row = np.sort(rng.integers(0, 40, 5000))
    value = rng.choice(np.linspace(0, 1, 50), len(row)).astype(np.float32)  # many ties
    kept = candidates._near_top(row, value, 7)
    for r in np.unique(row):
        values = np.sort(value[row == r])[::-1]
        kth = values[min(7, len(values)) - 1]
        assert (kept[row == r] == (value[row == r] >= kth)).all()
    assert not candidates._near_top(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), 7).any()
