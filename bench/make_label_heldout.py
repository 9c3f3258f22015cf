"""Writes bench/data/label_heldout_icd10cm.csv: ICD-10-CM 2026 codes drawn with a
fixed seed from strata where SUD, MH and HIV information lives (and from the rest
of the classification), each with the expected SUD / MH / HIV answer (yes, no or
ambiguous). The expectation is read from the code's own title and chapter against
the HL7 ActCode definitions - never from mappings/labels - and every code where
that reading and the labeler disagreed was checked by hand (HAND below, with the
reason). Ambiguous answers are left out of precision and recall.

    python -m bench.make_label_heldout [--db PATH]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import tempfile
from pathlib import Path

from bench.common import ROOT, ensure_default_db
from server.store.store import Store
from server.systems import ICD10CM

OUT = ROOT / "bench" / "data" / "label_heldout_icd10cm.csv"
SEED = 20261106
STRATA = [  # (name, SQL condition on the code, how many)
    ("mental-behavioral F01-F99", "code >= 'F01' AND code < 'G'", 70),
    ("poisoning T36-T65", "code >= 'T36' AND code < 'T66'", 40),
    ("pregnancy O00-O9A", "code >= 'O' AND code < 'P'", 25),
    ("factors Z00-Z99", "code >= 'Z'", 40),
    ("nervous/digestive G, K", "(code >= 'G' AND code < 'H') OR (code >= 'K' AND code < 'L')", 25),
    ("symptoms R", "code >= 'R' AND code < 'S'", 25),
    ("everything else", "code < 'F' OR (code >= 'H' AND code < 'K') OR (code >= 'L' AND code < 'O') "
                        "OR (code >= 'P' AND code < 'R') OR (code >= 'S' AND code < 'T36') OR "
                        "(code >= 'T66' AND code < 'Z')", 60),
]
SUBSTANCE = r"(alcohol|opioid|heroin|cannabi|cocaine|hallucinogen|sedative|hypnotic|anxiolytic|stimulant|inhalant|" \
            r"psychoactive|amphetamine|methamphetamine|lysergide|\bdrug)"
SUD_TITLE = re.compile(rf"{SUBSTANCE}\w*[ ,\w-]*\b(use|abuse|dependence|withdrawal|intoxication|related)|"
                       r"alcoholic|alcohol-induced|due to alcohol|drugs of addiction|maternal use of (alcohol|cocaine)|"
                       r"(counseling|counselling) for (alcohol|drug)|poisoning by (heroin|cocaine|cannabis|lysergide|"
                       r"other hallucinogen|methamphetamine)", re.I)
POISON_INTENT = re.compile(r"accidental|intentional self-harm|assault|undetermined", re.I)
MH_TITLE = re.compile(r"intentional self-harm|suicid", re.I)
HIV_TITLE = re.compile(r"human immunodeficiency virus|\bHIV\b", re.I)
AMBIGUOUS_MH = ("F01", "F02", "F03", "F04", "F05", "F06", "F07", "F09", "F7", "F8")  # organic / developmental
# code -> (SUD, MH, HIV) after reading the title, where the rules above read it wrong or it is a judgment call
HAND: dict[str, tuple[str, str, str, str]] = {
    "Z83.0": ("no", "no", "ambiguous", "family history: the HIV status of a relative, not of the patient"),
    "T40.3X3A": ("ambiguous", "no", "no", "methadone poisoning (assault): methadone is both MOUD and an analgesic"),
}


def expected(code: str, title: str) -> tuple[str, str, str]:
    sud = "no"
    if code.startswith("F1") and not code.startswith("F17"):
        sud = "yes"
    elif code.startswith("F17") or re.search(r"nicotine|tobacco", title, re.I):
        sud = "no"
    elif SUD_TITLE.search(title) and (not title.lower().startswith("poisoning") or POISON_INTENT.search(title)):
        sud = "yes"
    mh = "no"
    if "F01" <= code < "G" and not code.startswith("F1"):
        mh = "ambiguous" if code.startswith(AMBIGUOUS_MH) else "yes"
    elif MH_TITLE.search(title):
        mh = "yes"
    hiv = "yes" if HIV_TITLE.search(title) else "no"
    if code.startswith("Z11.4"):
        hiv = "ambiguous"  # a screening encounter: protected by some state laws, not by others
    return sud, mh, hiv


def sample(store: Store, seed: int = SEED) -> list[tuple[str, str, str]]:
    rnd = random.Random(seed)
    cs = store.code_system(ICD10CM)["id"]
    rows, seen = [], set()
    hiv = store.query("SELECT code, display FROM concepts WHERE cs_id = ? AND billable = 1 AND "
                      "(display LIKE '%immunodeficiency virus%' OR display LIKE '%HIV%') ORDER BY code", (cs,))
    strata = [("HIV titles", list(hiv), len(hiv))]
    for name, where, n in STRATA:
        codes = store.query(f"SELECT code, display FROM concepts WHERE cs_id = ? AND billable = 1 AND {where} "
                            "ORDER BY code", (cs,))
        strata.append((name, codes, n))
    for name, codes, n in strata:
        for r in rnd.sample(codes, min(n, len(codes))):
            if r["code"] not in seen:
                seen.add(r["code"])
                rows.append((r["code"], r["display"], name))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "termbridge-label-bench.db")
    args = parser.parse_args()
    store = Store(ensure_default_db(args.db), readonly=True)
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["code", "title", "stratum", "SUD", "MH", "HIV", "checked"])
        for code, title, stratum in sample(store):
            hand = HAND.get(code)
            answer = hand[:3] if hand else expected(code, title)
            out.writerow([code, title, stratum, *answer, f"by hand: {hand[3]}" if hand else "title rules"])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
