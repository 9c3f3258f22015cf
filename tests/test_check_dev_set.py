"""bench.check_dev_set on the real default database: the shipped legacy-table and
full-wording development sets are valid and share no text with the matcher's
content; a bad file is reported and fails."""

from __future__ import annotations

import json
from pathlib import Path

from bench import check_dev_set

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"


def _reports(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_new_dev_sets_are_valid_and_disjoint_from_content(default_db, capsys):
    least = {"legacy_table_dev.jsonl": 260, "problem_list_full_dev.jsonl": 260, "legacy_table_dev2.jsonl": 130,
             "problem_list_full_dev2.jsonl": 200, "legacy_table_dev3.jsonl": 260, "problem_list_full_dev3.jsonl": 400,
             "legacy_table_dev4.jsonl": 130, "problem_list_full_dev4.jsonl": 200, "legacy_table_dev5.jsonl": 130,
             "problem_list_full_dev5.jsonl": 130, "legacy_table_dev6.jsonl": 130, "problem_list_full_dev6.jsonl": 180,
             "problem_list_full_dev7.jsonl": 200, "legacy_table_dev7.jsonl": 160, "problem_list_full_dev8.jsonl": 200,
             "legacy_table_dev8.jsonl": 170, "problem_list_full_dev9.jsonl": 195, "problem_list_full_dev10.jsonl": 195,
             "problem_list_full_dev11.jsonl": 195, "legacy_table_dev9.jsonl": 175, "legacy_table_dev10.jsonl": 175,
             "legacy_table_dev11.jsonl": 170, "legacy_table_dev12.jsonl": 175, "problem_list_full_dev12.jsonl": 195,
             "problem_list_full_dev13.jsonl": 195, "legacy_table_dev13.jsonl": 165, "legacy_table_dev14.jsonl": 165,
             "problem_list_full_dev14.jsonl": 195, "problem_list_full_dev15.jsonl": 195,
             "legacy_table_dev15.jsonl": 140, "legacy_table_dev16.jsonl": 160, "problem_list_full_dev16.jsonl": 195,
             "problem_list_full_dev17.jsonl": 195, "legacy_table_dev17.jsonl": 160, "legacy_table_dev18.jsonl": 160,
             "legacy_table_dev19.jsonl": 155, "legacy_table_dev20.jsonl": 170, "problem_list_full_dev18.jsonl": 200,
             "problem_list_full_dev19.jsonl": 200, "problem_list_full_dev20.jsonl": 200,
             "problem_list_full_dev21.jsonl": 200, "legacy_table_dev21.jsonl": 170,
             "problem_list_full_dev22.jsonl": 200, "problem_list_full_dev23.jsonl": 200,
             "problem_list_full_dev24.jsonl": 200, "problem_list_full_dev25.jsonl": 200,
             "problem_list_full_dev26.jsonl": 200, "legacy_table_dev22.jsonl": 170,
             "legacy_table_dev23.jsonl": 170, "problem_list_full_dev27.jsonl": 200,
             "problem_list_full_dev28.jsonl": 200, "legacy_table_dev24.jsonl": 155,
             "problem_list_full_dev29.jsonl": 200, "legacy_table_dev25.jsonl": 175,
             "problem_list_full_dev30.jsonl": 200, "problem_list_full_dev31.jsonl": 200,
             "legacy_table_dev26.jsonl": 170, "problem_list_full_dev32.jsonl": 200,
             "legacy_table_dev27.jsonl": 175, "problem_list_full_dev33.jsonl": 200,
             "problem_list_full_dev34.jsonl": 200, "legacy_table_dev28.jsonl": 175,
             "problem_list_full_dev35.jsonl": 200, "problem_list_full_dev36.jsonl": 200,
             "legacy_table_dev29.jsonl": 160, "problem_list_full_dev37.jsonl": 200,
             "problem_list_full_dev38.jsonl": 200, "legacy_table_dev30.jsonl": 160,
             "problem_list_full_dev39.jsonl": 200, "problem_list_full_dev40.jsonl": 199,
             "legacy_table_dev31.jsonl": 160, "problem_list_full_dev41.jsonl": 200,
             "problem_list_full_dev42.jsonl": 200, "legacy_table_dev32.jsonl": 185,
             "problem_list_full_dev43.jsonl": 200, "problem_list_full_dev44.jsonl": 200}
    assert check_dev_set.main([*(str(DATA / name) for name in least), "--db", default_db]) == 0
    reports = _reports(capsys)
    assert [Path(r["file"]).name for r in reports] == list(least)
    for report in reports:
        assert report["errors"] == 0 and report["base_overlaps"] == 0 and report["map_overlaps"] == 0
        assert report["entries"] >= least[Path(report["file"]).name]


def test_bad_entries_are_reported(default_db, tmp_path, capsys):
    lines = [
        {"id": "x-1", "text": "MDD RECUR MOD W/ ANX DISTRESS", "system": "icd10cm", "gold": ["F33.1"],
         "style": "terse", "domain": "bh"},
        {"id": "x-1", "text": "DEPR RECUR NOS", "system": "icd10cm", "gold": ["F33"],  # category, not billable
         "style": "terse", "domain": "bh"},
        {"id": "x-3", "text": "Major depressive disorder, recurrent, moderate", "system": "icd10cm",
         "gold": ["F33.1"], "style": "full", "domain": "bh"},  # an ICD-10-CM title verbatim
        {"id": "x-4", "text": "BEHIND ON UTILS", "system": "sdoh", "gold": ["not-a-category"],
         "style": "terse", "domain": "sdoh"},
        {"id": "x-5", "text": "no style", "system": "icd10cm", "gold": ["I10"], "domain": "general"},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert check_dev_set.main([str(path), "--db", default_db]) == 1
    (report,) = _reports(capsys)
    # F33 not billable, the unknown category, the missing style, the repeated id
    assert report["errors"] == 4
    assert report["base_overlaps"] == 1
