"""The files of a SNOMED CT RF2 release (a folder or a .zip): which Snapshot
file is which, and a row stream that checks the exact RF2 column set, the
column count, the encoding and the line end of every row."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Iterator

from server.errors import LoadError

REFSET_BASE = ("id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId")
CONCEPT_COLUMNS = ("id", "effectiveTime", "active", "moduleId", "definitionStatusId")
DESCRIPTION_COLUMNS = ("id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term",
                       "caseSignificanceId")
RELATIONSHIP_COLUMNS = ("id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId",
                        "relationshipGroup", "typeId", "characteristicTypeId", "modifierId")
LANGUAGE_COLUMNS = (*REFSET_BASE, "acceptabilityId")
SIMPLE_COLUMNS = REFSET_BASE
_MAP = ("mapGroup", "mapPriority", "mapRule", "mapAdvice", "mapTarget", "correlationId")
MAP_COLUMNS = {  # the pattern in the file name -> its columns
    "iisssc": (*REFSET_BASE, *_MAP),                       # complex map
    "iisssci": (*REFSET_BASE, *_MAP, "mapBlock"),          # complex map with map blocks (UK)
    "iissscc": (*REFSET_BASE, *_MAP, "mapCategoryId"),     # extended map
}

# kind -> file-name pattern (Snapshot files only; Full and Delta never match)
_KINDS = {
    "concept": re.compile(r"^sct2_Concept_\w*Snapshot_"),
    "description": re.compile(r"^sct2_Description_\w*Snapshot-[A-Za-z-]+_"),
    "relationship": re.compile(r"^sct2_Relationship_\w*Snapshot_"),
    "stated": re.compile(r"^sct2_StatedRelationship_\w*Snapshot_"),
    "language": re.compile(r"^der2_cRefset_\w*LanguageSnapshot-[A-Za-z-]+_"),
    "simple": re.compile(r"^der2_Refset_SimpleSnapshot_"),
    "map": re.compile(r"^der2_(iisssc|iisssci|iissscc)Refset_(?:Complex|Extended)MapSnapshot_"),
}
_RELEASE = re.compile(r"_([A-Za-z0-9]+)_(\d{8})(?:T\d{6}Z)?\.txt$")


class Release:
    """An RF2 release on disk. Mandatory files are checked before any parsing."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._zip = None
        if self.path.is_dir():
            names = [str(p.relative_to(self.path)) for p in sorted(self.path.rglob("*.txt"))]
        else:
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise LoadError(self.path, None, f"not a folder or readable .zip of an RF2 release: {exc}") from exc
            names = sorted(n for n in self._zip.namelist() if n.endswith(".txt"))
        self.files: dict[str, list[str]] = {kind: [] for kind in _KINDS}
        for name in names:
            base = name.rsplit("/", 1)[-1]
            for kind, pattern in _KINDS.items():
                if pattern.match(base):
                    self.files[kind].append(name)
        self._check_mandatory()

    def _check_mandatory(self) -> None:
        missing = [what for what, kinds in (("sct2_Concept_Snapshot", ["concept"]),
                                            ("sct2_Description_Snapshot", ["description"]),
                                            ("sct2_Relationship_Snapshot or sct2_StatedRelationship_Snapshot",
                                             ["relationship", "stated"]))
                   if not any(self.files[k] for k in kinds)]
        if missing:
            raise LoadError(self.path, None, f"not an RF2 Snapshot release: no {' and no '.join(missing)} file")
        for kind in ("concept", "relationship", "stated"):
            if len(self.files[kind]) > 1:
                raise LoadError(self.path, None, f"several {kind} Snapshot files: {', '.join(self.files[kind])}")

    def __enter__(self) -> Release:
        return self

    def __exit__(self, *exc) -> None:
        if self._zip is not None:
            self._zip.close()

    def edition(self) -> tuple[str, str]:
        """('INT', '20250101') from sct2_Concept_Snapshot_INT_20250101.txt; ('', '') if the name has no date."""
        m = _RELEASE.search(self.files["concept"][0])
        return (m.group(1), m.group(2)) if m else ("", "")

    def label(self, name: str) -> str:
        return f"{self.path}!/{name}" if self._zip is not None else str(self.path / name)

    def map_columns(self, name: str) -> tuple[str, ...]:
        return MAP_COLUMNS[_KINDS["map"].match(name.rsplit("/", 1)[-1]).group(1)]

    def rows(self, name: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) of every data row of one file."""
        label = self.label(name)
        width = len(columns)
        try:
            fh = self._zip.open(name) if self._zip is not None else open(self.path / name, "rb")
        except OSError as exc:
            raise LoadError(label, None, exc.strerror or str(exc)) from exc
        number = 0
        try:
            with fh:
                for number, raw in enumerate(fh, 1):
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise LoadError(label, number, f"bad encoding: not UTF-8 at byte {exc.start}") from exc
                    if not line.endswith("\n"):
                        raise LoadError(label, number, "truncated: the last line has no line end")
                    cells = line.rstrip("\r\n").split("\t")
                    if number == 1:
                        if tuple(cells) != columns:
                            raise LoadError(label, 1, f"header is not the RF2 column set {' '.join(columns)}")
                        continue
                    if len(cells) != width:
                        raise LoadError(label, number, f"expected {width} columns, found {len(cells)}")
                    yield number, cells
        except (zipfile.BadZipFile, EOFError) as exc:
            raise LoadError(label, number + 1, f"corrupt zip entry: {exc}") from exc
        if number == 0:
            raise LoadError(label, None, "empty file: no header row")
