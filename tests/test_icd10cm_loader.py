"""The CDC ICD-10-CM tabular XML loader, on a cut of the real file and on the
whole April 2026 release."""

import collections
import json

import pytest
import simple_icd_10_cm

from loaders import icd10cm_xml
from loaders.base import Concept, Designation, IsA
from server.errors import LoadError

from conftest import FIXTURES

SAMPLE = FIXTURES / "icd10cm" / "icd10cm-tabular-sample.xml"


def rows_by_type(path):
    out = collections.defaultdict(list)
    for row in icd10cm_xml.read(path):
        out[type(row)].append(row)
    return out


def test_detect_and_metadata():
    assert icd10cm_xml.detect(SAMPLE)
    assert not icd10cm_xml.detect(FIXTURES / "icd10cm" / "cut.py")
    info = icd10cm_xml.read_metadata(icd10cm_xml.bundled_path())
    assert info.version == "2026-04"
    assert info.url == "http://hl7.org/fhir/sid/icd-10-cm"
    assert len(info.checksum) == 64


def test_sample_codes_titles_and_inclusion_terms():
    rows = rows_by_type(SAMPLE)
    concepts = {c.code: c for c in rows[Concept]}
    assert concepts["F32.A"].display == "Depression, unspecified" and concepts["F32.A"].billable
    assert not concepts["F32"].billable
    inclusion = {d.value for d in rows[Designation] if d.code == "F32.A" and d.use == "inclusion"}
    assert inclusion == {"Depression NOS", "Depressive disorder NOS"}
    assert IsA("F32.A", "F32") in rows[IsA]
    assert IsA("F30-F39", "5") in rows[IsA]


def test_seventh_character_extensions_with_placeholders():
    concepts = {c.code: c for c in rows_by_type(SAMPLE)[Concept]}
    assert not concepts["T40.1X1"].billable
    assert concepts["T40.1X1A"].billable
    assert concepts["T40.1X1A"].display == "Poisoning by heroin, accidental (unintentional), initial encounter"
    assert "T40.1X1S" in concepts
    # S06: "7th characters D and S do not apply ... with 6th character 7 or 8"
    assert "S06.5X7A" in concepts and "S06.5X7D" not in concepts and "S06.5X8S" not in concepts
    assert "S06.5X9D" in concepts


def test_block_named_like_its_only_category_does_not_collide():
    concepts = collections.Counter(c.code for c in rows_by_type(SAMPLE)[Concept])
    assert concepts["B20"] == 1 and concepts["B20-B20"] == 1
    b20 = next(c for c in rows_by_type(SAMPLE)[Concept] if c.code == "B20")
    assert b20.billable and json.loads(b20.properties)["kind"] == "category"


def test_full_release_matches_the_cdc_code_list():
    concepts = [r for r in icd10cm_xml.read(icd10cm_xml.bundled_path()) if isinstance(r, Concept)]
    ours = {c.code for c in concepts}
    assert len(ours) == len(concepts), "duplicate codes"
    codes = {c.code for c in concepts if json.loads(c.properties)["kind"] in ("category", "code")}
    theirs = {c for c in simple_icd_10_cm.get_all_codes(True) if "-" not in c and not simple_icd_10_cm.is_chapter(c)}
    assert codes == theirs
    assert ours - codes == {c.code for c in concepts if json.loads(c.properties)["kind"] in ("chapter", "block")}
    billable = {c.code for c in concepts if c.billable}
    assert len(billable) == 74719
    assert billable == {c for c in codes if simple_icd_10_cm.is_leaf(c)}


def test_truncated_xml_names_file_and_line(tmp_path):
    bad = tmp_path / "icd10cm-truncated.xml"
    bad.write_bytes(SAMPLE.read_bytes()[:50_000])
    with pytest.raises(LoadError) as err:
        list(icd10cm_xml.read(bad))
    assert str(bad) in err.value.message and err.value.line and err.value.line > 1
    assert f":{err.value.line}:" in err.value.message
