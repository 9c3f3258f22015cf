"""The 7th character a coder adds (encounter.py): the encounter, how a fracture heals, an open
fracture, a glaucoma stage - from what the entry says, over the code's default (A, or 0)."""

from server.match.encounter import extend, without_cues

ANKLE = [["S93.402A", "Sprain of unspecified ligament of left ankle, initial encounter"],
         ["S93.402D", "Sprain of unspecified ligament of left ankle, subsequent encounter"],
         ["S93.402S", "Sprain of unspecified ligament of left ankle, sequela"]]
CLAVICLE = [[f"S42.001{c}", f"Fracture of unspecified part of right clavicle, {t}"] for c, t in (
    ("A", "initial encounter for closed fracture"), ("B", "initial encounter for open fracture"),
    ("D", "subsequent encounter for fracture with routine healing"),
    ("G", "subsequent encounter for fracture with delayed healing"),
    ("K", "subsequent encounter for fracture with nonunion"), ("P", "subsequent encounter for fracture with malunion"),
    ("S", "sequela"))]
GLAUCOMA = [[f"H40.113{c}", f"Primary open-angle glaucoma, bilateral, {t}"] for c, t in (
    ("0", "stage unspecified"), ("1", "mild stage"), ("2", "moderate stage"), ("3", "severe stage"))]
EXTENSIONS = {"S93.402A": ANKLE, "S42.001A": CLAVICLE, "H40.1130": GLAUCOMA}


def code(default: str, *texts: str) -> str:
    display = dict(map(tuple, EXTENSIONS[default]))[default]
    return extend(default, display, list(texts), EXTENSIONS)[0]


def test_the_entry_picks_the_encounter():
    assert code("S93.402A", "left ankle sprain") == "S93.402A"
    assert code("S93.402A", "left ankle sprain follow-up visit") == "S93.402D"
    assert code("S93.402A", "sprain lt ankle subs enc") == "S93.402D"
    assert code("S93.402A", "left ankle sprain, sequela") == "S93.402S"
    assert code("S93.402A", "left ankle sprain initial encounter, f/u in 2 weeks") == "S93.402A"  # said


def test_a_fracture_heals_routinely_unless_the_entry_says_otherwise_and_open_is_open():
    assert code("S42.001A", "fracture of right clavicle, healing normally") == "S42.001D"
    assert code("S42.001A", "right clavicle fracture with delayed healing, subsequent encounter") == "S42.001G"
    assert code("S42.001A", "fx r clavicle nonunion") == "S42.001K"
    assert code("S42.001A", "right clavicle fracture, malunion") == "S42.001P"
    assert code("S42.001A", "open fracture right clavicle") == "S42.001B"
    assert code("S42.001A", "right clavicle fracture") == "S42.001A"


def test_a_digit_extension_is_picked_only_by_a_stage_the_entry_says():
    assert code("H40.1130", "primary open-angle glaucoma, both eyes, moderate stage") == "H40.1132"
    assert code("H40.1130", "primary open-angle glaucoma, bilateral") == "H40.1130"
    assert extend("F32.1", "Major depressive disorder, single episode, moderate", ["f/u"], EXTENSIONS)[0] == "F32.1"


def test_the_encounter_words_are_also_searched_without():
    assert without_cues("left ankle sprain follow-up visit") == "left ankle sprain"
    assert without_cues("fracture right radius subs encounter delayed healing") == "fracture right radius"
    assert without_cues("subsequent myocardial infarction") == ""  # I22: not an encounter


def test_extensions_reach_the_answer(engine):
    results = engine.match_texts(["RT KNEE CONTUSION SUBS ENC", "Right clavicle fracture, delayed healing",
                                  "Nondisplaced fracture of left fifth metatarsal, healing normally",
                                  "POAG, right eye, severe stage"], ["icd10cm"], 3)
    assert [r.results[0].candidates[0].code for r in results] == ["S80.01XD", "S42.001G", "S92.355D", "H40.1113"]
    assert "7th character D: subsequent encounter" in results[0].results[0].candidates[0].evidence
