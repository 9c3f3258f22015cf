"""What the matcher can answer with, read from the store and mappings/:

- base content (one index per content version): every active code system's
  concepts and designations, the curated alias files in mappings/aliases/, the
  public SNOMED CT descriptions and the Gravity SDOH categories;
- map content (rebuilt in memory when map sets change, never retrained): the
  source labels of accepted map entries that answer translation (curated
  crosswalks, local-code maps, curators' accepted decisions - at once) as
  aliases of their targets, and the designations of a
  code carried over a curated map to the code it maps to (Z59.41 -> SDOHCC
  food-insecurity, F32.A -> SNOMED CT 35489007).

ICD-10-CM answers are billable codes. A non-billable category's title and
includes-notes lead to its default code (the coder's convention, default_child:
the child whose qualifiers say least - "unspecified", "without ...", "not
specified as recurrent" - rather than a laterality, site, "with ..." or "other"),
and a code with 7th-character extensions is offered in its default form - initial encounter (A),
else 0 - the others listed with it for encounter.py (codes with neither, the 7th-digit eye of
a diabetic retinopathy, are not offered)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from server import systems
from server.curation.effective import answering_rows
from server.load import MAPPINGS_DIR
from server.match.normalize import normalize, tokens, word_set
from server.relationships import EQUIVALENT, NARROWER
from server.store.store import Store

ALIAS_DIR = MAPPINGS_DIR / "aliases"
CLINICAL_ALIASES = ALIAS_DIR / "clinical_aliases.tsv"
SNOMED_DESCRIPTIONS = ALIAS_DIR / "snomed_public_descriptions.tsv"
SDOH_CATEGORIES = ALIAS_DIR / "sdohcc_categories.tsv"
BASE_FILES = (CLINICAL_ALIASES, SNOMED_DESCRIPTIONS, SDOH_CATEGORIES, MAPPINGS_DIR / "abbreviations.tsv",
              MAPPINGS_DIR / "drug_classes.tsv")

# Where a designation came from (a feature of the re-ranker).
PREFERRED, INCLUSION, CATEGORY, ALIAS, MAP_LABEL, VIA_MAP, PUBLIC = range(7)
KIND_NAMES = ("title", "inclusion term", "category default", "curated alias", "map label", "via map",
              "public description")
CARRY = (EQUIVALENT, NARROWER)  # the source label is a kind of the target: safe to carry
SKIP_SOURCES = {systems.LOINC}  # LOINC answers mean nothing without their question
_TAG = re.compile(r"\s*\((disorder|finding|situation|event|procedure|qualifier value|observable entity)\)$")
# What a child's title says beyond its category: the default says least.
_UNSAID = re.compile(r"\bunspecified\b|\bnot otherwise specified\b|\bnos\b|\bnot specified\b|\bwithout\b"
                     r"|\buncomplicated\b|\bnot intractable\b")
_SAID = re.compile(r"(?<!whether )\bwith\b|\bright\b|\bleft\b|\bbilateral\b|\bother\b(?! and unspecified)"
                   r"|(?<!as )\brecurrent\b")


@dataclass
class Concept:
    system: str
    code: str
    display: str
    billable: bool = True
    category: bool = False  # default code of a non-billable category (ICD-10-CM)


@dataclass
class Content:
    concepts: dict[tuple[str, str], Concept] = field(default_factory=dict)
    terms: list[tuple[str, str, str, int]] = field(default_factory=list)  # (system, code, text, kind)
    skipped: dict[str, int] = field(default_factory=dict)
    # offered ICD-10-CM code -> [code, display] of its 7th-character siblings (encounter.py picks one)
    extensions: dict[str, list[list[str]]] = field(default_factory=dict)

    def add_concept(self, concept: Concept) -> None:
        self.concepts.setdefault((concept.system, concept.code), concept)

    def add_term(self, system: str, code: str, text: str, kind: int) -> bool:
        if (system, code) not in self.concepts or not text.strip():
            return False
        self.terms.append((system, code, _TAG.sub("", text.strip()), kind))
        return True


def file_digest(paths) -> str:
    digest = hashlib.sha256()
    for p in paths:
        digest.update(Path(p).name.encode())
        digest.update(Path(p).read_bytes() if Path(p).exists() else b"")
    return digest.hexdigest()


def base_fingerprint(store: Store) -> str:
    """Content version of the base index: loaded code systems, curated files and the code that builds it."""
    systems_part = [(r["url"], r["version"], r["checksum"]) for r in store.code_systems(include_inactive=False)]
    builders = sorted(Path(__file__).parent.glob("*.py"))
    return hashlib.sha256(json.dumps([systems_part, file_digest(BASE_FILES), file_digest(builders)]).encode()
                          ).hexdigest()


def map_fingerprint(store: Store) -> str:
    """Changes whenever an entry of an active map set or a curation draft does."""
    row = store.one("SELECT count(*), max(e.updated_at), sum(e.revision), group_concat(DISTINCT s.id) "
                    "FROM map_entries e JOIN map_sets s ON s.id = e.map_set_id "
                    "WHERE s.active = 1 OR s.published_at IS NULL")
    return hashlib.sha256(json.dumps(list(row)).encode()).hexdigest()


def read_base(store: Store) -> Content:
    content = Content()
    for cs in store.code_systems(include_inactive=False):
        if cs["url"] == systems.ICD10CM:
            _icd10cm(store, cs["id"], content)
        else:
            _code_system(store, cs, content)
    _sdoh_categories(content)
    _snomed_descriptions(content)
    _clinical_aliases(content)
    return content


def _icd10cm(store: Store, cs_id: int, content: Content) -> None:
    rows = {r["code"]: r for r in store.query("SELECT code, display, billable, properties FROM concepts "
                                               "WHERE cs_id = ? AND active = 1", (cs_id,))}
    children: dict[str, list[str]] = {}
    for r in store.query("SELECT child, parent FROM hierarchy WHERE cs_id = ? ORDER BY child", (cs_id,)):
        children.setdefault(r["parent"], []).append(r["child"])
    properties = {code: json.loads(r["properties"]) if r["properties"] else {} for code, r in rows.items()}
    seventh = {code: p.get("seventh_character") for code, p in properties.items()}

    extended: dict[str, list[str]] = {}  # a code less its 7th character -> the billable extensions
    for code in rows:
        if seventh[code] and rows[code]["billable"]:
            extended.setdefault(code[:-1], []).append(code)
    # the default extension: A (initial encounter), else 0 ("not applicable", "stage unspecified")
    defaults = {base: next((base + c for c in "A0" if base + c in codes), None) for base, codes in extended.items()}

    def offered(code: str) -> bool:
        return bool(rows[code]["billable"]) and (not seventh[code] or defaults[code[:-1]] == code)

    def default(code: str, depth: int = 0) -> str | None:
        if offered(code):
            return code
        kids = [c for c in children.get(code, []) if c in rows]
        if not kids or depth > 4 or properties[code].get("kind") in ("chapter", "block"):
            return None
        pick = (next((c for c in kids if seventh[c] and offered(c)), None)
                or default_child(rows[code]["display"], [(c, rows[c]["display"]) for c in kids]))
        return default(pick, depth + 1) if pick else None

    target = {code: default(code) for code in rows}
    for code, r in rows.items():
        if offered(code):
            content.add_concept(Concept(systems.ICD10CM, code, r["display"], True))
    for base, codes in extended.items():
        if defaults[base] and len(codes) > 1:
            content.extensions[defaults[base]] = [[c, rows[c]["display"]] for c in sorted(codes)]
    for r in store.query("SELECT code, value, use FROM designations WHERE cs_id = ? ORDER BY rowid", (cs_id,)):
        to = target.get(r["code"])
        if to is None:
            continue
        if to == r["code"] or (seventh.get(to) and to[:-1].rstrip("X") == r["code"]):
            # a code's own terms; "T14.91 Suicide attempt" names its initial-encounter form T14.91XA
            kind = PREFERRED if r["use"] == "preferred" else INCLUSION
        else:
            kind = CATEGORY
        content.add_term(systems.ICD10CM, to, r["value"], kind)


def default_child(title: str, kids: list[tuple[str, str]]) -> str | None:
    """The child (code, title) a coder defaults to when the text says no more than its category
    `title`: the most "unspecified"/"without ..." qualifiers net of laterality, "with ...",
    "other" and "recurrent" ones, each counted beyond the category's own (then one ending
    "unspecified", then a .9 code, then the first) if it says less than the category, or no
    more and something "unspecified" (but when that is only the category's own "unspecified" or
    "without", and the child adds words, the child titled "Other <category>" if there is one: I26.9
    -> I26.99, not I26.90 "Septic ..."); else the last .9 child, else the only one, else None."""
    title = title.lower().replace("other and unspecified", "")
    own = Counter(_UNSAID.findall(title)), Counter(_SAID.findall(title))

    def said_least(n: int):
        code, child = kids[n]
        child = child.lower()
        unsaid = Counter(_UNSAID.findall(child)) - own[0]
        said = Counter(_SAID.findall(child)) - own[1]
        net = sum(unsaid.values()) + child.endswith("unspecified") - sum(said.values())
        return net, code.endswith("9"), -n

    if not kids:
        return None
    best = max(range(len(kids)), key=said_least)
    net = said_least(best)[0]
    child = kids[best][1].lower()
    if net > 0 or (net == 0 and _UNSAID.search(child)):
        plain = word_set(normalize(title)) | {"other"}
        if not (Counter(_UNSAID.findall(child)) - own[0]) and not child.endswith("unspecified") \
                and word_set(normalize(child)) - plain:
            return next((c for c, t in kids if word_set(normalize(t)) == plain), kids[best][0])
        return kids[best][0]
    return next((c for c, _ in reversed(kids) if c.endswith("9")), kids[0][0] if len(kids) == 1 else None)


def _code_system(store: Store, cs, content: Content) -> None:
    only = _sdoh_codes() if cs["url"] == systems.SDOHCC else None
    for r in store.query("SELECT code, display FROM concepts WHERE cs_id = ? AND active = 1", (cs["id"],)):
        if only is None or r["code"] in only:
            content.add_concept(Concept(cs["url"], r["code"], r["display"], True))
    for r in store.query("SELECT code, value, use FROM designations WHERE cs_id = ?", (cs["id"],)):
        content.add_term(cs["url"], r["code"], r["value"], PREFERRED if r["use"] == "preferred" else INCLUSION)
    for (system, code), concept in list(content.concepts.items()):
        if system == cs["url"]:
            content.add_term(system, code, concept.display, PREFERRED)


def _tsv(path: Path):
    with open(path, encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t")


def _sdoh_codes() -> set[str]:
    return {r["code"] for r in _tsv(SDOH_CATEGORIES)}


def _sdoh_categories(content: Content) -> None:
    """The Gravity SDOH categories a problem can fall under (all of them, even when
    the SDOHCC code system is not loaded)."""
    for r in _tsv(SDOH_CATEGORIES):
        content.add_concept(Concept(systems.SDOHCC, r["code"], r["display"], True))
        content.add_term(systems.SDOHCC, r["code"], r["display"], PREFERRED)


def _snomed_descriptions(content: Content) -> None:
    for r in _tsv(SNOMED_DESCRIPTIONS):
        content.add_concept(Concept(systems.SNOMED, r["code"], r["term"], True))
        content.add_term(systems.SNOMED, r["code"], r["term"], PUBLIC)


def _clinical_aliases(content: Content) -> None:
    for r in _tsv(CLINICAL_ALIASES):
        system = systems.canonical_system(r["system"])
        code = systems.normalize_code(system, r["code"])
        if not content.add_term(system, code, r["text"], ALIAS):
            content.skipped[f"{r['system']}|{code}"] = content.skipped.get(f"{r['system']}|{code}", 0) + 1


def read_maps(store: Store, base: Content) -> Content:
    """Accepted map entries that answer translation now (published versions, and curators'
    draft decisions at once: server.curation.effective) as aliases and carried designations."""
    overlay = Content(concepts=dict(base.concepts))
    by_code: dict[tuple[str, str], list[str]] = {}
    placed: dict[tuple[str, str], set[str]] = {}  # where a system's own terms and aliases put a wording
    for system, code, text, kind in base.terms:
        if kind in (PREFERRED, INCLUSION, ALIAS):
            by_code.setdefault((system, code), []).append(text)
        if kind in (PREFERRED, INCLUSION, ALIAS, PUBLIC):
            placed.setdefault((system, " ".join(tokens(normalize(text)))), set()).add(code)

    def carried(system: str, code: str, text: str) -> bool:
        """A designation goes over a map unless its system puts that wording at another code: a local
        table's "MORBID OBESITY" under its class 3 code is no E66.813 term (the index says E66.01), nor
        is F10.20's "alcoholism" one of SNOMED CT's alcohol dependence (its own "Alcoholism" is 7200002)."""
        return placed.get((system, " ".join(tokens(normalize(text)))), {code}) <= {code}

    for r in answering_rows(store):
        if r["status"] != "accepted" or r["source_system"] in SKIP_SOURCES or r["relationship"] not in CARRY:
            continue
        source, target = (r["source_system"], r["source_code"]), (r["target_system"], r["target_code"])
        if target not in base.concepts and r["target_system"] == systems.SNOMED and r["target_display"]:
            overlay.add_concept(Concept(systems.SNOMED, r["target_code"], r["target_display"], True))
            overlay.add_term(systems.SNOMED, r["target_code"], r["target_display"], MAP_LABEL)
        overlay.add_term(*target, r["source_display"] or "", MAP_LABEL)
        for text in by_code.get(source, []):
            if carried(*target, text):
                overlay.add_term(*target, text, VIA_MAP)
        if r["relationship"] == EQUIVALENT:
            for text in by_code.get(target, []) if source in base.concepts else []:
                if carried(*source, text):
                    overlay.add_term(*source, text, VIA_MAP)
    return overlay
