"""The coder's qualifiers (side, severity, course, with/without, trimester): read from
entries and code titles, compared as re-ranker features, used to generate training
entries that name a sibling of an unspecified code, and to pick a category's default."""

import numpy as np

from bench.matcher_training import qualifier_pairs
from server.match import specific
from server.match.content import MAP_LABEL, default_child
from server.match.features import QUALIFIER_COLUMN, QUALIFIER_GROUPS, polarity, qualifiers
from server.match.normalize import word_set
from server.match.wordfit import WordRows, qualifier_fit
from server.systems import ICD10CM


def test_qualifiers_are_read_from_entries_and_titles():
    assert qualifiers("Osteoarthritis of both knees") == {"bilateral"}
    assert qualifiers("Unilateral primary osteoarthritis, right knee") == {"unilateral", "primary", "right"}
    assert qualifiers("Preeclampsia, 3rd trimester") == {"third"}
    assert qualifiers("Migraine without aura, not intractable") == {"without"}  # "not intractable" is the default
    assert qualifiers("Low back pain") == frozenset()  # where it is, not how much
    assert qualifiers("Low potassium") == qualifiers("decreased potassium") == {"low"}
    assert qualifiers("elevated potassium") == {"high"}
    assert qualifiers("Heart failure with reduced ejection fraction") == {"with", "reduced"}  # preserved clashes


def test_heart_failure_by_ejection_fraction_reads_as_systolic_or_diastolic(engine):
    texts = ["chronic HFrEF", "HFpEF, chronic", "chronic HFrEF, EF 30%", "CHF W/ PRESERVED EF"]
    results = engine.match_texts(texts, ["icd10cm"], 3)
    assert [r.results[0].candidates[0].code for r in results] == ["I50.22", "I50.32", "I50.22", "I50.30"]


def test_qualifier_fit_counts_shared_missing_unasked_and_clashing():
    terms = ["reflux with esophagitis, right", "reflux without esophagitis", "reflux with esophagitis, left, chronic"]
    side = ([word_set(t) for t in terms], [qualifiers(t) for t in terms], [polarity(t) for t in terms])
    words = WordRows(side, side, QUALIFIER_COLUMN)
    entry = [qualifiers("GERD with esophagitis, right")]  # with, right
    fit = qualifier_fit(words, QUALIFIER_GROUPS, entry, np.zeros(3, dtype=int), np.arange(3), np.arange(3))
    assert fit.tolist() == [[2, 0, 0, 0], [0, 2, 0, 1], [1, 1, 1, 1]]  # without clashes with with, left with right


def test_sibling_pairs_name_what_the_specific_code_adds(engine):
    sub = engine.matching.matcher().index.systems[ICD10CM]
    said = {(sub.codes[u], sub.codes[s]): text for u, s, text in qualifier_pairs(sub)}
    assert said[("H61.20", "H61.21")] == "right ear"
    assert said[("M17.9", "M17.11")] == "right"  # "unilateral primary" is what a coder assumes
    assert ("H61.21", "H61.20") not in said  # never from the specific code to the unspecified one
    assert not any(a[:3] != b[:3] for a, b in said)


def test_category_default_is_the_child_that_says_least():
    hernia = [("K40.00", "Bilateral inguinal hernia, with obstruction, without gangrene, not specified as recurrent"),
              ("K40.20", "Bilateral inguinal hernia, without obstruction or gangrene, not specified as recurrent"),
              ("K40.30", "Unilateral inguinal hernia, with obstruction, without gangrene, not specified as recurrent"),
              ("K40.90", "Unilateral inguinal hernia, without obstruction or gangrene, not specified as recurrent"),
              ("K40.91", "Unilateral inguinal hernia, without obstruction or gangrene, recurrent")]
    assert default_child("Inguinal hernia", hernia) == "K40.90"
    hordeolum = [("H00.011", "Hordeolum externum right upper eyelid"),
                 ("H00.019", "Hordeolum externum unspecified eye, unspecified eyelid")]
    assert default_child("Hordeolum externum", hordeolum) == "H00.019"
    assert default_child("Anything", []) is None
    embolism = [("I26.90", "Septic pulmonary embolism without acute cor pulmonale"),
                ("I26.92", "Saddle embolus of pulmonary artery without acute cor pulmonale"),
                ("I26.99", "Other pulmonary embolism without acute cor pulmonale")]
    # the category's own "without" says nothing more: its plain "Other" code is the default
    assert default_child("Pulmonary embolism without acute cor pulmonale", embolism) == "I26.99"


def test_first_clause_is_kept_for_the_support_features(engine):
    matcher = engine.matching.matcher()
    one, three = matcher.prepare(["Rheumatoid arthritis", "OUD, severe, in early remission"])
    assert (one.head, one.clauses) == ("rheumatoid arthritis", 1)
    assert three.head == "opioid use disorder" and three.clauses == 3


def test_dsm5_severity_and_remission_reach_their_codes(engine):
    texts = ["Cannabis use disorder, moderate, in sustained remission", "Inhalant use disorder, mild",
             "Cocaine use disorder, severe"]
    results = engine.match_texts(texts, ["icd10cm"], 3)
    assert [r.results[0].candidates[0].code for r in results] == ["F12.21", "F18.10", "F14.20"]


def test_an_index_extended_with_map_labels_extends_its_per_term_lists(engine):
    matcher = engine.matching.matcher()
    sub = matcher.index.systems[ICD10CM]
    sub.warm()
    more = sub.extended([(ICD10CM, "E43", "zorblax wasting syndrome right", MAP_LABEL)], {}, matcher.index.vectorizers)
    assert "term_words" in more.__dict__  # carried over, not rebuilt on the next call
    assert len(more.term_words) == len(more.term_qualifiers) == len(more.terms) == len(sub.terms) + 1
    assert more.term_words[-1] == {"zorblax", "wasting", "syndrome", "right"}
    assert more.term_qualifiers[-1] == {"right"}


def test_legacy_table_conventions_nos_roman_stages_and_combination_codes(engine):
    texts = ["AKI NOS", "CKD STAGE IV", "CKD 4", "CKD IIIb", "Pulmonary embolism NOS", "HTN with CKD"]
    results = engine.match_texts(texts, ["icd10cm"], 3)
    assert [r.results[0].candidates[0].code for r in results] == ["N17.9", "N18.4", "N18.4", "N18.32", "I26.99",
                                                                  "I12.9"]


def test_joined_words_read_as_the_index_hyphenates_them_and_without_rules_out_with(engine):
    speller = engine.matching.matcher().index.speller
    assert speller.correct("preeclampsia") == ("pre-eclampsia", "spelling")
    assert speller.correct("eclampsia") is None  # known as it is
    texts = ["PREECLAMPSIA 3RD TRI", "Diverticulitis of large intestine without perforation", "ETOH ABUSE W/O COMPLIC"]
    results = engine.match_texts(texts, ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["O14.93", "K57.32", "F10.10"]


def test_an_entry_that_states_a_siblings_qualifiers_gets_the_sibling(engine):
    sub = engine.matching.matcher().index.systems[ICD10CM]
    siblings = {sub.codes[s]: need for s, need, _ in sub.specific_siblings[sub.code_index["S72.009A"]]}
    assert siblings["S72.002A"] == {"left"} and siblings["S72.001A"] == {"right"}
    severe = {sub.codes[s]: (need, unsaid) for s, need, unsaid in sub.specific_siblings[sub.code_index["F32.9"]]}
    assert severe["F32.2"] == ({"severe"}, {"psychotic", "feature"})  # "without psychotic features": the default
    texts = ["Left hip fracture", "Varicose veins in both legs", "Earwax impaction, right ear", "Hip fracture",
             "Varicose veins", "DEPRESSION, MAJOR, SINGLE EP, SEVERE",
             "Major depression, single episode, severe with psychotic features"]
    results = engine.match_texts(texts, ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["S72.002A", "I83.93", "H61.21", "S72.009A",
                                                                  "I83.90", "F32.2", "F32.3"]


def test_siblings_that_say_only_qualifiers_the_entry_states_are_candidates(engine):
    texts = ["Osteoarthritis right knee, considering replacement", "OA R SHOULDER"]
    results = engine.match_texts(texts, ["icd10cm"], 30)
    assert results[0].results[0].candidates[0].code == "M17.11"  # M17.9's family is not searched here
    assert results[1].results[0].candidates[0].code == "M19.011"  # next to M19.019; primary is assumed


def test_a_code_that_has_what_the_entry_is_silent_on_gives_way_to_its_default_sibling(engine):
    sub = engine.matching.matcher().index.systems[ICD10CM]
    defaults = {(sub.codes[a], sub.codes[b]): x for a, options in sub.default_siblings.items() for b, x in options}
    assert defaults[("K21.01", "K21.00")] == {"bleeding"}
    assert defaults[("S01.02XA", "S01.01XA")] == {"foreign", "body"}
    assert defaults[("F13.11", "F13.10")] == {"remission"}  # "uncomplicated" in place of "in remission"
    assert defaults[("G43.019", "G43.009")] == {"intractable"}
    assert defaults[("M19.211", "M19.011")] == {"secondary"}  # a coder assumes primary
    assert ("F10.239", "F10.230") not in defaults  # "unspecified" -> "uncomplicated": the index keeps F10.239
    assert ("G43.011", "G43.101") not in defaults  # "with aura" is not a default of "without aura"
    texts = ["GERD W/ESOPHAGITIS", "Scalp laceration", "MIGRAINE WO AURA NOT INTRACT", "GERD with esophagitis and bleeding",
             "Scalp laceration with foreign body", "ETOH DEPEND W/WD", "CHRONIC MIGRAINE W/O AURA INTRACTABLE",
             "Benzodiazepine use disorder, mild"]  # its best alias says "in early remission": no cover for F13.11
    results = engine.match_texts(texts, ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["K21.00", "S01.01XA", "G43.009", "K21.01",
                                                                  "S01.02XA", "F10.239", "G43.719", "F13.10"]
    assert specific.denied("migraine w/o aura intractable") == {"aura"}  # a later qualifier is said
    assert specific.denied("migraine, not intractable") == {"intractable"}
    assert specific.denied("type 1 diabetes with ketoacidosis, no coma") == {"coma"}


def test_a_code_that_has_what_the_entry_names_takes_its_default_siblings_place(engine):
    sub = engine.matching.matcher().index.systems[ICD10CM]
    named = {(sub.codes[b], sub.codes[a]): x for b, options in sub.complicated_siblings.items() for a, x in options}
    assert named[("F15.20", "F15.23")] == {"withdrawal"}
    texts = ["Stimulant withdrawal in moderate methamphetamine use disorder", "Nicotine withdrawal, cigarette smoker",
             "Type 1 diabetes with ketoacidosis, no coma", "Alcohol dependence without withdrawal"]
    results = engine.match_texts(texts, ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["F15.23", "F17.213", "E10.10", "F10.20"]


def test_an_entry_that_states_a_trimester_is_coded_in_the_pregnancy_chapter(engine):
    results = engine.match_texts(["GEST HTN 3RD TRI", "Tobacco use during pregnancy, second trimester", "HTN"],
                                 ["icd10cm"], 5)
    first = [r.results[0].candidates[0] for r in results]
    assert first[0].code.startswith("O") and first[2].code == "I10"
    assert first[1].code == "O99.332"  # smoking (tobacco) complicating pregnancy: not Z72.0 "Tobacco use"


def test_a_limb_without_a_side_takes_the_code_of_no_side(engine):
    results = engine.match_texts(["thigh abscess", "abscess of right forearm", "Celulitis of L lower leg"],
                                 ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["L02.419", "L02.413", "L03.116"]
