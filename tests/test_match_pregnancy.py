"""The coder's rules for a pregnancy: the gravida a supervision code names, and the trimester a
code names against the one the entry states or implies."""

from server.match.implied import implied
from server.match.pregnancy import gravida


def test_gravida_is_read_from_the_obstetric_shorthand():
    assert [gravida(t) for t in ("g1p0 at 10 wks", "g4p3", "primigravida", "elderly multigravida", "gerd")] \
        == [1, 2, 1, 2, None]
    assert implied("g3p2 22 wks".split())[-1] == "multigravida"
    assert "multigravida" not in implied("g2 tumor grade".split())  # no pregnancy: not a gravida


def test_a_supervision_code_names_the_stated_gravida_and_trimester(engine):
    texts = ["routine prenatal visit, G1P0, 11 weeks", "Routine prenatal care, G4P3 at 31 weeks",
             "AMA primigravida, 16 wks", "Late to prenatal care - first visit at 31 weeks"]
    results = engine.match_texts(texts, ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["Z34.01", "Z34.83", "O09.512", "O09.33"]


def test_a_gestational_diabetes_is_coded_by_what_controls_it(engine):
    results = engine.match_texts(["GDM on insulin, 30 wks", "Gestational diabetes, diet controlled"], ["icd10cm"], 5)
    assert [r.results[0].candidates[0].code for r in results] == ["O24.414", "O24.410"]
