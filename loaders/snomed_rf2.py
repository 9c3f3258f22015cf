"""SNOMED CT RF2 Snapshot release (International or a national edition, folder or .zip).

One load, one transaction: the code system (concepts, FSN / preferred / synonym
designations from the en-US language refset, active IS-A as hierarchy), every
simple refset as a value set (http://snomed.info/sct?fhir_vs=refset/<id>) and
the ICD-10-CM / ICD-10 map refsets as map sets.

Version convention: the release date in the file names (sct2_Concept_Snapshot_INT_20250101.txt
-> "20250101"), unless --version is given."""

from __future__ import annotations

import collections
import json
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, Iterator

from loaders.base import Concept, Designation, IsA, Skipped, SourceInfo, file_checksum
from loaders.rf2_files import (CONCEPT_COLUMNS, DESCRIPTION_COLUMNS, LANGUAGE_COLUMNS, RELATIONSHIP_COLUMNS,
                               SIMPLE_COLUMNS, Release)
from server import relationships as rel
from server.errors import LoadError
from server.store.writer import (LoadSummary, MapRow, Member, SetInfo, load_code_system, load_map_set,
                                 load_value_set, one_transaction)
from server.systems import ICD10CM, SNOMED, normalize_code

FORMAT = "snomed-rf2"
ICD10 = "http://hl7.org/fhir/sid/icd-10"

FSN, SYNONYM = "900000000000003001", "900000000000013009"
US_ENGLISH, PREFERRED = "900000000000509007", "900000000000548007"
IS_A, INFERRED, STATED = "116680003", "900000000000011006", "900000000000010007"
PRIMITIVE = "900000000000074008"
EDITIONS = {"INT": "International Edition", "US1000124": "US Edition"}
MAP_REFSETS = {  # map refset -> (map set name, target system)
    "6011000124106": ("snomed-icd10cm", ICD10CM),  # US Edition ICD-10-CM complex map
    "447562003": ("snomed-icd10", ICD10),            # International ICD-10 complex map
}
CORRELATIONS = {  # correlationId -> relationship, where the correlation states one
    "447557004": rel.EQUIVALENT,  # exact match
    "447559001": rel.BROADER,     # broad to narrow
    "447558009": rel.NARROWER,    # narrow to broad
    "447560006": rel.RELATED,     # partial overlap
    "447556008": rel.NOT_RELATED,  # not mappable
}
PROPERLY_CLASSIFIED = "447637006"
BULK_CACHE_KIB = 512 * 1024  # random-order index inserts of a full release need a big page cache
UNCONDITIONAL = {"", "TRUE", "OTHERWISE TRUE"}
OPTIONAL_MAP_COLUMNS = {"mapCategoryId": "map_category_id", "mapBlock": "map_block"}


def detect(path: str | Path) -> bool:
    try:
        with Release(path):
            return True
    except LoadError:
        return False


def run(store, path: str | Path, *, system: str = "", version: str = "", activate: bool = False,
        dry_run: bool = False, progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    with Release(path) as release:
        namespace, date = release.edition()
        if not (version or date):
            raise LoadError(release.label(release.files["concept"][0]), None,
                            "no release date (_YYYYMMDD.txt) in the file name; pass --version")
        url = system or SNOMED
        info = SourceInfo(url=url, version=version or date, name="SNOMEDCT",
                          title=f"SNOMED CT {EDITIONS.get(namespace, f'edition {namespace}')}",
                          format=FORMAT, source=str(path), checksum=file_checksum(path))
        reader = _Reader(release, store, url, info.version)
        options = dict(activate=activate, dry_run=dry_run, progress=progress)
        with _page_cache(store, BULK_CACHE_KIB), nullcontext() if dry_run else one_transaction(store):
            summaries = [load_code_system(store, info, reader.code_system_rows(), **options)]
            for set_info, rows in reader.value_sets(info):
                summaries.append(load_value_set(store, set_info, rows, **options))
            for set_info, rows in reader.map_sets(info):
                summaries.append(load_map_set(store, set_info, rows, **options))
        summaries[0].skipped.update(reader.unmapped)
    return summaries


@contextmanager
def _page_cache(store, kib: int) -> Iterator[None]:
    before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    store.conn.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        store.conn.execute(f"PRAGMA cache_size = {before}")


class _Reader:
    def __init__(self, release: Release, store, url: str, version: str) -> None:
        self.release, self.store, self.url, self.version = release, store, url, version
        self._displays: dict[str, str] | None = None
        self.unmapped: collections.Counter = collections.Counter()

    def display(self, code: str) -> str:
        """A concept's display; read back from the store when the code system was already loaded."""
        if self._displays is None:
            row = self.store.code_system(self.url, self.version)
            self._displays = dict(self.store.conn.execute(
                "SELECT code, display FROM concepts WHERE cs_id = ?", (row["id"],)).fetchall()) if row else {}
        return self._displays.get(code, "")

    def code_system_rows(self) -> Iterator:
        release = self.release
        preferred = self._preferred_descriptions()
        fsn: dict[str, str] = {}
        displays: dict[str, str] = {}
        for name in release.files["description"]:
            for line, c in release.rows(name, DESCRIPTION_COLUMNS):
                if c[2] != "1":
                    yield Skipped(line, "inactive description")
                    continue
                concept, type_id, term = c[4], c[6], c[7]
                if type_id == FSN:
                    use = "fsn"
                    fsn.setdefault(concept, term)
                elif type_id == SYNONYM and c[0] in preferred:
                    use = "preferred"
                    displays[concept] = term
                elif type_id == SYNONYM:
                    use = "synonym"
                else:
                    yield Skipped(line, "description type is neither FSN nor synonym")
                    continue
                yield Designation(concept, term, use, c[5])
        del preferred
        properties = {}
        for line, c in release.rows(release.files["concept"][0], CONCEPT_COLUMNS):
            code = c[0]
            display = displays.get(code) or fsn.get(code) or code
            displays[code] = display
            key = (c[4], c[3])
            if key not in properties:
                properties[key] = json.dumps({"definition_status": "primitive" if c[4] == PRIMITIVE
                                              else "fully-defined", "module": c[3]})
            yield Concept(code, display, c[2] == "1", False, properties[key])
        self._displays = displays
        del fsn
        yield from self._is_a_rows()

    def _preferred_descriptions(self) -> set[str]:
        """Ids of the descriptions preferred in the en-US language refset."""
        preferred = set()
        for name in self.release.files["language"]:
            for _, c in self.release.rows(name, LANGUAGE_COLUMNS):
                if c[2] == "1" and c[4] == US_ENGLISH and c[6] == PREFERRED:
                    preferred.add(c[5])
        return preferred

    def _is_a_rows(self) -> Iterator:
        """Active IS-A from the inferred relationships, or the stated ones if inferred is absent."""
        files = self.release.files
        name, characteristic = (files["relationship"][0], INFERRED) if files["relationship"] \
            else (files["stated"][0], STATED)
        for line, c in self.release.rows(name, RELATIONSHIP_COLUMNS):
            if c[7] != IS_A or c[8] != characteristic:
                yield Skipped(line, "not an IS-A relationship")
            elif c[2] != "1":
                yield Skipped(line, "inactive relationship")
            else:
                yield IsA(c[4], c[5])

    def value_sets(self, info: SourceInfo) -> Iterator[tuple[SetInfo, Iterator]]:
        members: dict[str, list] = collections.defaultdict(list)
        for name in self.release.files["simple"]:
            for line, c in self.release.rows(name, SIMPLE_COLUMNS):
                members[c[4]].append(c[5] if c[2] == "1" else Skipped(line, "inactive refset member"))
        for refset, rows in sorted(members.items()):
            compose = {"include": [{"system": self.url, "version": self.version,
                                    "filter": [{"property": "concept", "op": "in", "value": refset}]}]}
            yield (SetInfo(name=f"sct-refset-{refset}", version=self.version,
                           url=f"{self.url}?fhir_vs=refset/{refset}", title=self.display(refset),
                           source=info.source, checksum=info.checksum, compose=json.dumps(compose)),
                   (r if isinstance(r, Skipped) else Member(self.url, r, self.display(r), self.version)
                    for r in rows))

    def map_sets(self, info: SourceInfo) -> Iterator[tuple[SetInfo, Iterator]]:
        entries: dict[str, list] = collections.defaultdict(list)
        for name in self.release.files["map"]:
            columns = self.release.map_columns(name)
            for line, c in self.release.rows(name, columns):
                if c[4] not in MAP_REFSETS:
                    self.unmapped[f"map refset {c[4]} has no known target system"] += 1
                    continue
                if not (c[6].isdigit() and c[7].isdigit()):
                    raise LoadError(self.release.label(name), line, "mapGroup and mapPriority must be integers")
                entries[c[4]].append((line, dict(zip(columns, c))))
        for refset, rows in sorted(entries.items()):
            name, target = MAP_REFSETS[refset]
            yield (SetInfo(name=name, version=self.version, url=f"{self.url}?fhir_cm={refset}",
                           title=self.display(refset), source=info.source, checksum=info.checksum,
                           kind="official", source_system=self.url, target_system=target),
                   (self._map_row(refset, target, line, row) for line, row in rows))

    def _map_row(self, refset: str, target: str, line: int, row: dict) -> MapRow | Skipped:
        if row["active"] != "1":
            return Skipped(line, "inactive map row")
        if not row["mapTarget"]:
            return Skipped(line, "empty mapTarget")
        code = row["referencedComponentId"]
        provenance = {"refset_id": refset, "map_group": int(row["mapGroup"]), "map_priority": int(row["mapPriority"]),
                      "map_rule": row["mapRule"], "map_advice": row["mapAdvice"],
                      "correlation_id": row["correlationId"], "line": line}
        provenance.update({key: row[column] for column, key in OPTIONAL_MAP_COLUMNS.items() if column in row})
        return MapRow(self.url, code, self.display(code), target, normalize_code(target, row["mapTarget"]), "",
                      map_relationship(row), 1.0, "accepted", "", json.dumps(provenance, sort_keys=True))


def map_relationship(row: dict) -> str:
    """From the correlation where it states one; a concept properly classified by an
    unconditional rule sits inside its target code; anything else is related-to."""
    stated = CORRELATIONS.get(row["correlationId"])
    if stated:
        return stated
    if row.get("mapCategoryId", PROPERLY_CLASSIFIED) == PROPERLY_CLASSIFIED and row["mapRule"] in UNCONDITIONAL:
        return rel.NARROWER
    return rel.RELATED
