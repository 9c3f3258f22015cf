"""FHIR R4/R5 terminology resources: a JSON file (one resource or a Bundle), a
folder of them, or an NPM package .tgz — all in ONE transaction.

CodeSystems load first, then ValueSets (expanded over the store including
this load), then ConceptMaps. A resource's version is --version, else its own
`version`, else the package version, else the first 12 hex digits of its
checksum; the checksum is sha256 of the resource without `meta` and `text`, so
the same resource from a file or a package is recognized and not loaded twice.
--system loads only the resource with that canonical URL. A CodeSystem with
content not-present or a supplement registers nothing (counted skip); a
fragment loads the concepts it carries. --dry-run does the whole load and
rolls it back, so its counts are exactly what a real load would write."""

from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path
from typing import Callable

from loaders import fhir_codesystem, fhir_conceptmap, fhir_sources
from loaders.base import SourceInfo, system_uri
from loaders.fhir_valueset import Expander
from server.errors import InvalidArgument, LoadError
from server.store.store import Store
from server.store.writer import LoadSummary, SetInfo, load_code_system, load_map_set, load_value_set, one_transaction

FORMAT = "fhir"


class _RolledBack(Exception):
    """Ends a dry run's transaction without committing."""


def detect(path: str | Path) -> bool:
    p = Path(path)
    return fhir_sources.is_package(p) or p.is_dir() or p.suffix == ".json"


def run(store: Store, path: str | Path, *, system: str = "", version: str = "", activate: bool = False,
        dry_run: bool = False, progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    load = _Load(store, path, system, version, activate, progress)
    try:
        with one_transaction(store):
            load.all()
            if dry_run:
                raise _RolledBack
    except _RolledBack:
        for s in load.summaries:
            s.status = "dry-run" if s.status == "loaded" else s.status
    total = load.total(dry_run)  # a package, or files with skips, gets its own summary line
    return load.summaries + ([total] if load.package or total.skipped else [])


class _Load:
    def __init__(self, store, path, system: str, version: str, activate: bool, progress) -> None:
        self.store, self.path = store, Path(path)
        self.system, self.version, self.activate, self.progress = system, version, activate, progress
        self.skipped: collections.Counter = collections.Counter()
        self.package, self.resources = fhir_sources.open_source(path, self.skipped)
        self.summaries: list[LoadSummary] = []
        self.systems_in_load: dict[str, int] = {}

    def all(self) -> None:
        value_sets, concept_maps = [], []
        wanted = system_uri(self.system) or self.system if self.system else ""
        for origin, resource in self.resources:
            if wanted and resource.get("url") != wanted:
                self.skipped["not the requested --system"] += 1
                continue
            kind = resource["resourceType"]
            if kind == "CodeSystem":
                self._guarded(origin, self._code_system, resource, origin)
            else:
                (value_sets if kind == "ValueSet" else concept_maps).append((origin, resource))
        if not (self.summaries or value_sets or concept_maps):
            raise LoadError(self.path, None, "no CodeSystem, ValueSet or ConceptMap to load"
                            + (f" with url {self.system}" if self.system else ""))
        by_url = {}
        for _, vs in value_sets:
            by_url.setdefault(vs.get("url"), vs)
            by_url[f"{vs.get('url')}|{vs.get('version')}"] = vs
        expander = Expander(self.store, by_url, self.systems_in_load)
        for origin, vs in value_sets:
            self._guarded(origin, self._value_set, vs, origin, expander)
        for origin, cm in concept_maps:
            self._guarded(origin, self._concept_map, cm, origin)

    def _guarded(self, origin: str, step, *args) -> None:
        """Bad content inside a resource (an empty code, say) names the file it came from."""
        try:
            step(*args)
        except InvalidArgument as exc:
            raise LoadError(origin, None, exc.message) from exc

    def _code_system(self, resource: dict, origin: str) -> None:
        reason = fhir_codesystem.unloadable(resource)
        if reason:
            self.skipped[reason] += 1
            return
        url, version, checksum = self._identity(resource, origin)
        info = SourceInfo(url=url, version=version, name=resource.get("name", ""), title=resource.get("title", ""),
                          format=FORMAT, source=self._source(origin), checksum=checksum)
        self._write(load_code_system, info, fhir_codesystem.rows(resource, origin))
        self.systems_in_load[url] = self.store.code_system(url, version)["id"]

    def _value_set(self, resource: dict, origin: str, expander: Expander) -> None:
        url, version, checksum = self._identity(resource, origin)
        info = SetInfo(name=resource.get("name", ""), version=version, url=url, title=resource.get("title", ""),
                       source=self._source(origin), checksum=checksum,
                       compose=json.dumps(resource["compose"], sort_keys=True) if resource.get("compose") else None)
        self._write(load_value_set, info, expander.rows(resource))

    def _concept_map(self, resource: dict, origin: str) -> None:
        url, version, checksum = self._identity(resource, origin)
        source_system, target_system = fhir_conceptmap.systems(resource)
        name = url.rstrip("/").rsplit("/", 1)[-1] if "/" in url else resource.get("name") or resource.get("id") or url
        info = SetInfo(name=name, version=version, url=url, title=resource.get("title", ""),
                       source=self._source(origin), checksum=checksum, kind="official",
                       source_system=source_system, target_system=target_system)
        self._write(load_map_set, info, fhir_conceptmap.rows(resource, origin))

    def _write(self, writer, info, rows) -> None:
        self.summaries.append(writer(self.store, info, rows, activate=self.activate, progress=self.progress))

    def _identity(self, resource: dict, origin: str) -> tuple[str, str, str]:
        url = resource.get("url")
        if not isinstance(url, str) or not url:
            raise LoadError(origin, None, f"{resource['resourceType']} {resource.get('id', '')} has no url".strip())
        body = {k: v for k, v in resource.items() if k not in ("meta", "text")}
        checksum = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        version = self.version or resource.get("version") or self.package.get("version") or checksum[:12]
        return url, str(version), checksum

    def _source(self, origin: str) -> str:
        if not self.package:
            return origin
        return f"{origin} ({self.package.get('name', '')}#{self.package.get('version', '')})"

    def total(self, dry_run: bool) -> LoadSummary:
        kinds = {"code_system": "code systems", "value_set": "value sets", "map_set": "map sets"}
        name = self.package.get("name") or str(self.path)
        total = LoadSummary("package" if self.package else "files", name, self.package.get("version", "-"))
        total.counts.update(kinds[s.kind] for s in self.summaries)
        total.skipped = self.skipped
        statuses = {s.status for s in self.summaries}
        total.status = "dry-run" if dry_run else "loaded" if "loaded" in statuses or not statuses else "unchanged"
        return total
