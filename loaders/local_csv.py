"""A local code table (CSV or TSV) as a code system under the canonical URI the
user names with --system.

Columns by convention `code`, `display`, optional `synonyms` (`|`-separated)
and `parent` (`|`-separated codes of the same table); other names with
--code-column/--display-column/--synonyms-column/--parent-column, and
--delimiter. Any other column is kept as a concept property. The version is
--version, else the first 12 hex digits of the file's sha256."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

from loaders import delimited
from loaders.base import Concept, Designation, IsA, SourceInfo, file_checksum, system_uri
from server.errors import InvalidArgument, LoadError
from server.store.store import Store
from server.store.writer import LoadSummary, load_code_system

FORMAT = "local-csv"
KIND = "code_system"
OPTIONS = ("code_column", "display_column", "synonyms_column", "parent_column", "delimiter")


def detect(path: str | Path) -> bool:
    return Path(path).is_file() and Path(path).suffix.lower() in (".csv", ".tsv", ".tab", ".txt")


def read_metadata(path: str | Path, version: str = "", system: str = "") -> SourceInfo:
    if not system:
        raise InvalidArgument("SYSTEM_REQUIRED", "local-csv needs --system: the canonical URI of the local code "
                              "system (e.g. http://example.org/fhir/CodeSystem/local-problems)", format=FORMAT)
    url = system_uri(system)
    if url is None:
        raise InvalidArgument("SYSTEM_NOT_A_URI", f"--system {system!r} is not a URI or a known alias",
                              system=system)
    checksum = file_checksum(path)
    return SourceInfo(url=url, version=version or checksum[:12], name=Path(path).stem, title=Path(path).name,
                      format=FORMAT, source=str(path), checksum=checksum)


def read(path: str | Path, code_column: str = "", display_column: str = "", synonyms_column: str = "",
         parent_column: str = "", delimiter: str = "") -> Iterator:
    sep = delimited.delimiter_for(path, delimiter)
    columns = delimited.header(path, sep)
    code_col, display_col = code_column or "code", display_column or "display"
    delimited.require(path, columns, (code_col, display_col, synonyms_column, parent_column))
    synonyms_col = synonyms_column or ("synonyms" if "synonyms" in columns else "")
    parent_col = parent_column or ("parent" if "parent" in columns else "")
    extra = [c for c in columns if c not in (code_col, display_col, synonyms_col, parent_col)]
    first_seen: dict[str, int] = {}
    parents: list[tuple[int, str]] = []
    for line, row in delimited.rows(path, sep):
        code, display = row[code_col], row[display_col]
        if not code:
            raise LoadError(path, line, f"empty {code_col}")
        if code in first_seen:
            raise LoadError(path, line, f"code {code} repeated (first on line {first_seen[code]})")
        first_seen[code] = line
        properties = {c: row[c] for c in extra if row[c]}
        yield Concept(code, display, properties=json.dumps(properties, sort_keys=True) if properties else None)
        if display:
            yield Designation(code, display, "preferred")
        for synonym in _split(row.get(synonyms_col, "")):
            yield Designation(code, synonym, "synonym")
        for parent in _split(row.get(parent_col, "")):
            parents.append((line, parent))
            yield IsA(code, parent)
    for line, parent in parents:
        if parent not in first_seen:
            raise LoadError(path, line, f"parent {parent} is not a code of this table")


def run(store: Store, path: str | Path, *, system: str = "", version: str = "", activate: bool = False,
        dry_run: bool = False, progress: Callable[[int], None] | None = None, **columns) -> list[LoadSummary]:
    info = read_metadata(path, version, system)
    return [load_code_system(store, info, read(path, **columns), activate=activate, dry_run=dry_run,
                             progress=progress)]


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]
