"""The curated alias file (mappings/aliases/clinical_aliases.tsv) against the
real default database: every row names a code the match index offers, and no
wording points to two codes of one system."""

import csv

import pytest

from server import systems
from server.match import content
from server.match.normalize import content_words, normalize
from server.store.store import Store


def _rows() -> list[dict]:
    with open(content.CLINICAL_ALIASES, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def base(default_db):
    store = Store(default_db, readonly=True)
    yield content.read_base(store)
    store.close()


def test_alias_rows_are_well_formed():
    rows = _rows()
    assert rows and list(rows[0]) == ["text", "system", "code", "note"]
    for line, r in enumerate(rows, start=2):
        assert r["text"] and r["text"] == r["text"].strip().lower(), f"line {line}: {r['text']!r}"
        assert systems.canonical_system(r["system"]) in (systems.ICD10CM, systems.SDOHCC, systems.SNOMED), f"line {line}"
        assert r["code"] == r["code"].strip() and r["code"], f"line {line}"


def test_every_alias_code_is_offered_by_the_index(base):
    # ICD-10-CM concepts in the index are the billable codes; SDOH ones are the Gravity categories
    missing = [(r["text"], r["code"]) for r in _rows()
               if (systems.canonical_system(r["system"]),
                   systems.normalize_code(systems.canonical_system(r["system"]), r["code"])) not in base.concepts]
    assert missing == [] and base.skipped == {}


def test_no_wording_points_to_two_codes_of_one_system():
    codes: dict[tuple[str, str], set[str]] = {}
    for r in _rows():
        key = (systems.canonical_system(r["system"]), " ".join(content_words(normalize(r["text"]))))
        codes.setdefault(key, set()).add(r["code"])
    assert {k: v for k, v in codes.items() if len(v) > 1} == {}


def test_lay_wording_reaches_its_code(engine):
    for text, code in (("sugar diabetes", "E11.9"), ("hip fracture", "S72.009A"), ("on methadone", "F11.20")):
        top = engine.match_text(text, target_systems=("icd10cm",)).results[0].candidates[0]
        assert top.code == code, text
