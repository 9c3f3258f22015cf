"""Writes a synthetic SNOMED CT RF2 Snapshot with International-release row counts
(file names, folders and column sets as released; deterministic for a seed).

    python -m bench.rf2_generate [--out DIR] [--scale 1.0] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import uuid
from pathlib import Path

from loaders.rf2_files import (CONCEPT_COLUMNS, DESCRIPTION_COLUMNS, LANGUAGE_COLUMNS, MAP_COLUMNS,
                               RELATIONSHIP_COLUMNS, SIMPLE_COLUMNS)

DATE = "20250101"
COUNTS = {"concepts": 370_000, "descriptions": 1_600_000, "is_a": 1_200_000, "map_rows": 150_000,
          "simple_members": 20_000}
CORE = "900000000000207008"
FSN, SYN, PREF, ACC = "900000000000003001", "900000000000013009", "900000000000548007", "900000000000549004"
TAGS = ("disorder", "finding", "procedure", "body structure", "substance", "observable entity")


def _sctid(item: int, partition: str) -> str:
    return f"{item}{partition}{item % 10}"


class _Writer:
    def __init__(self, root: Path, folder: str, name: str, columns) -> None:
        path = root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "w", encoding="utf-8", newline="")
        self.rows = 0
        self.write(columns)

    def write(self, row) -> None:
        self.fh.write("\t".join(row) + "\r\n")
        self.rows += 1

    def close(self) -> int:
        self.fh.close()
        return self.rows - 1


def generate(out: Path, scale: float = 1.0, seed: int = 7) -> dict:
    """Write the release under `out`; returns the row count of each file."""
    rnd = random.Random(seed)
    n = {k: max(1, int(v * scale)) for k, v in COUNTS.items()}
    syllables = ["ba", "co", "de", "fi", "gu", "ha", "ki", "lo", "mu", "ne", "pa", "ri", "so", "tu", "ve", "xa",
                 "ly", "or", "an", "ex", "um", "os", "ia", "it", "al"]
    words = list({"".join(rnd.choices(syllables, k=rnd.randint(2, 4))) for _ in range(8000)})
    root = out / f"SnomedCT_InternationalRF2_PRODUCTION_{DATE}T120000Z" / "Snapshot"
    concepts = [_sctid(1_000_000 + i, "00") for i in range(n["concepts"])]
    rnd.shuffle(concepts)  # as released: description and relationship ids say nothing of the concept's id
    counts = {}

    w = _Writer(root, "Terminology", f"sct2_Concept_Snapshot_INT_{DATE}.txt", CONCEPT_COLUMNS)
    for i, code in enumerate(concepts):
        w.write((code, DATE, "0" if i % 40 == 39 else "1", CORE, "900000000000074008"))
    counts["concepts"] = w.close()

    desc = _Writer(root, "Terminology", f"sct2_Description_Snapshot-en_INT_{DATE}.txt", DESCRIPTION_COLUMNS)
    lang = _Writer(root, "Refset/Language", f"der2_cRefset_LanguageSnapshot-en_INT_{DATE}.txt", LANGUAGE_COLUMNS)
    extra = n["descriptions"] - 2 * n["concepts"]
    item = 10_000_000
    for i, code in enumerate(concepts):
        term = " ".join(rnd.choices(words, k=rnd.randint(2, 6)))
        synonyms = extra // n["concepts"] + (1 if i < extra % n["concepts"] else 0)
        rows = [(f"{term} ({rnd.choice(TAGS)})", FSN, PREF), (term, SYN, PREF)]
        rows += [(" ".join(rnd.choices(words, k=rnd.randint(1, 5))), SYN, ACC) for _ in range(synonyms)]
        for text, type_id, acceptability in rows:
            item += 1
            did = _sctid(item, "01")
            desc.write((did, DATE, "1", CORE, code, "en", type_id, text, "900000000000448009"))
            lang.write((str(uuid.UUID(int=rnd.getrandbits(128))), DATE, "1", CORE, "900000000000509007", did,
                        acceptability))
    counts["descriptions"], counts["language_members"] = desc.close(), lang.close()

    rel = _Writer(root, "Terminology", f"sct2_Relationship_Snapshot_INT_{DATE}.txt", RELATIONSHIP_COLUMNS)
    per_child, remainder = divmod(n["is_a"], n["concepts"] - 1)
    for i in range(1, n["concepts"]):
        k = min(i, per_child + (1 if i <= remainder else 0))
        for parent in rnd.sample(range(max(0, i - 5000), i), k) if i > k else range(k):
            item += 1
            rel.write((_sctid(item, "02"), DATE, "1", CORE, concepts[i], concepts[parent], "0", "116680003",
                       "900000000000011006", "900000000000451002"))
    counts["is_a"] = rel.close()

    simple = _Writer(root, "Refset/Content", f"der2_Refset_SimpleSnapshot_INT_{DATE}.txt", SIMPLE_COLUMNS)
    for code in rnd.sample(concepts, n["simple_members"]):
        simple.write((str(uuid.UUID(int=rnd.getrandbits(128))), DATE, "1", CORE, "450970008", code))
    counts["simple_members"] = simple.close()

    maps = _Writer(root, "Refset/Map", f"der2_iisssccRefset_ExtendedMapSnapshot_INT_{DATE}.txt",
                   MAP_COLUMNS["iissscc"])
    for code in rnd.sample(concepts, n["map_rows"]):
        target = f"{rnd.choice('ABCDEFGIJKLMNORSTZ')}{rnd.randint(0, 99):02d}.{rnd.randint(0, 9)}"
        empty = rnd.random() < 0.05
        maps.write((str(uuid.UUID(int=rnd.getrandbits(128))), DATE, "1", CORE, "447562003", code, "1", "1",
                    "TRUE", "" if empty else f"ALWAYS {target}", "" if empty else target, "447561005",
                    "447638001" if empty else "447637006"))
    counts["map_rows"] = maps.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Folder (default: a new temp folder).")
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the International row counts.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="rf2-"))
    print(out, generate(out, args.scale, args.seed))


if __name__ == "__main__":
    main()
