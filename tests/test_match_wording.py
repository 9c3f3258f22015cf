"""How entries are read before matching (assertion clauses, abbreviations) and how the
first candidate's confidence is calibrated: pure functions, no index needed."""

import numpy as np

from server.match import abbreviations, calibrate, features
from server.match.assertion import detect
from server.match.normalize import tokens, words


def test_later_no_clause_reads_as_without():
    parsed = detect("Panic disorder, no agoraphobia")
    assert not parsed.assertion.negated
    assert parsed.text() == "panic disorder without agoraphobia"
    assert detect("PANIC D/O NO AGORAPHOB").text() == "panic d/o without agoraphob"



def test_without_evidence_of_inside_an_entry_is_what_the_condition_is_without():
    parsed = detect("Non-pressure chronic ulcer of right heel with muscle involvement without evidence of necrosis")
    assert not parsed.assertion.negated
    assert parsed.text().endswith("with muscle involvement without evidence of necrosis")
    assert detect("Depression, no evidence of psychosis").text() == "depression without evidence of psychosis"
    assert detect("without evidence of necrosis").assertion.negated  # first: the entry itself is negated

def test_negated_lists_and_missing_resources_keep_no():
    parsed = detect("no SI, no HI")
    assert parsed.assertion.negated and parsed.text() == "si no hi"
    assert detect("homeless, no car").text() == "homeless no car"
    assert not detect("No winter coats for the kids").assertion.negated  # a kind of resource, then the resource
    assert detect("No winter fevers").assertion.negated


def test_a_later_clause_saying_the_condition_is_over_makes_it_history():
    assert detect("Hep C, treated and cured in 2020").assertion.historical
    assert detect("Hep C, treated and cured in 2020").text() == "hep c"
    assert detect("PTSD resolved 2019").assertion.historical
    assert not detect("Anxiety, resolved issues with her boss").assertion.historical


def test_treatment_clause_is_left_out_of_the_matched_text():
    assert detect("Hypertension, well controlled on lisinopril").text() == "hypertension"
    assert detect("Schizophrenia, chronic, stable on clozapine").text() == "schizophrenia chronic"
    # within the condition's own clause "on" stays ("dependence on renal dialysis")
    assert detect("Dependence on renal dialysis").text() == "dependence on renal dialysis"


def test_legacy_table_shorthand_expands():
    variants = abbreviations.expand("oa r knee".split(), terse=True)
    assert variants[1].text == "osteoarthritis right knee"
    assert abbreviations.expand("recur dvt lle".split(), terse=True)[1].text == \
        "recurrent deep vein thrombosis left lower extremity"


def test_numbered_stages_and_sides_read_as_the_codes_write_them():
    assert tokens("ckd stg iiia") == ["ckd", "stg", "3a"]
    assert tokens("ckd iv") == tokens("ckd4") == tokens("ckd 4") == ["ckd", "stage", "4"]
    assert tokens("ckd 3b, dm") == ["ckd", "stage", "3b", "dm"]
    assert tokens("ckd 12 months") == ["ckd", "12", "months"]  # one digit only
    assert tokens("class iii obesity, bipolar ii") == ["class", "3", "obesity", "bipolar", "2"]
    assert tokens("type ii dm, vitamin d") == ["type", "ii", "dm", "vitamin", "d"]  # words() reads type2
    assert words("oa both knees") == ["oa", "bilateral", "knee"]
    assert words("fully remitted, partially") == ["full", "remitted", "partial"]
    assert words("opiate use, opiates") == ["opioid", "use", "opioid"]
    assert words("anemia in preg 3rd tri, 2nd deg burn") == ["anemia", "in", "preg", "third", "tri", "second", "deg",
                                                             "burn"]


def test_without_and_with_say_what_is_absent_and_present():
    assert features.polarity("Diverticulitis of large intestine with perforation and abscess without bleeding") == (
        {"diverticulitis", "large", "intestine", "perforation", "abscess"}, {"bleeding"})
    assert features.polarity("panic d/o w/o agoraphobia") == ({"panic"}, {"agoraphobia"})


def test_without_stops_at_a_comma_or_a_qualifier_and_a_word_said_both_ways_is_neither():
    assert features.polarity("Bipolar disorder, current episode manic without psychotic features, mild")[1] == {
        "psychotic", "feature"}
    assert features.polarity("horseshoe tear of retina without detachment right eye") == (
        {"horseshoe", "tear", "retina", "right", "eye"}, {"detachment"})
    assert features.polarity("rheumatoid arthritis without rheumatoid factor") == ({"arthritis"}, {"factor"})
    assert features.polarity("maternal care for shirodkar suture with or without cervical incompetence")[1] == set()



def test_wo_and_not_say_what_is_absent_as_without_does():
    assert features.polarity("pilonidal cyst wo abscess") == ({"pilonidal", "cyst"}, {"abscess"})
    assert features.polarity("sleep disorder not due to a substance") == ({"sleep"}, {"due", "substance"})
    assert features.polarity("migraine without aura not intractable") == ({"migraine", "intractable"}, {"aura"})

def _entries_and_probe(seed: int, n: int, column: str, worth):
    """Synthetic first candidates: half flagged in `column`, right with probability worth(flag, score);
    and two probes at score 0.95 / 0.6, the first flagged."""
    rnd = np.random.default_rng(seed)
    score = rnd.uniform(0.05, 0.99, n)
    x = np.zeros((n, len(features.NAMES)), dtype=np.float32)
    flag = rnd.random(n) < 0.5
    x[:, features.NAMES.index(column)] = flag
    right = rnd.random(n) < worth(flag, score)
    probe = np.zeros((2, len(features.NAMES)), dtype=np.float32)
    probe[0, features.NAMES.index(column)] = 1
    return calibrate.entry_features(score, np.zeros(n), x), right, probe


def test_first_calibrator_lowers_confidence_on_weak_support():
    z, right, probe = _entries_and_probe(0, 4000, "exact", lambda exact, score: np.where(exact, score, 0.3 * score))
    model = calibrate.fit_first(z, right)  # the same score is worth less when weak
    strong_p, weak_p = model.predict(calibrate.entry_features(np.full(2, 0.95), np.zeros(2), probe))
    assert strong_p > 0.8 and weak_p < strong_p - 0.3
    assert calibrate.ece(model.predict(z), right) < 0.05


def test_split_calibrator_keeps_categories_and_codes_apart():
    z, right, probe = _entries_and_probe(1, 4000, "sdoh", lambda category, score: np.where(
        category, np.minimum(1.0, 1.4 * score), 0.5 * score))
    model = calibrate.fit_split(z, right)
    as_category, as_code = model.predict(calibrate.entry_features(np.full(2, 0.6), np.zeros(2), probe))
    assert as_category > 0.75 and as_code < 0.4  # the same score means what it means in its own system
    assert calibrate.ece(model.predict(z), right) < 0.05


def test_the_ece_floor_is_the_noise_of_a_perfectly_calibrated_set_and_shrinks_with_its_size():
    rnd = np.random.default_rng(3)
    middling, sure = rnd.uniform(0.3, 0.9, 200), np.ones(200)
    assert calibrate.ece_floor(sure) == 0.0  # always right when sure: no noise
    small, large = calibrate.ece_floor(middling), calibrate.ece_floor(np.tile(middling, 16))
    assert 0.02 < small < 0.09 and large < small / 2  # noise falls as one over the root of the size

