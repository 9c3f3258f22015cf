"""Runs a loader into the store: the engine behind `termbridge load` and the
default-content build."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import loaders
from loaders import icd10cm_xml
from server.errors import InvalidArgument, LoadError
from server.store.store import Store
from server.store.writer import LoadSummary, load_code_system, load_map_set, load_value_set

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"


def run_load(store: Store, fmt: str, path: str | Path, *, system: str = "", version: str = "",
             activate: bool = False, dry_run: bool = False,
             progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    module = loaders.FORMATS.get(fmt)
    if module is None:
        raise InvalidArgument("UNSUPPORTED_FORMAT", f"format {fmt!r} is not supported; choose one of "
                              f"{', '.join(loaders.FORMATS)}", format=fmt)
    if not Path(path).exists():
        raise LoadError(path, None, "no such file or folder")
    options = dict(activate=activate, dry_run=dry_run, progress=progress)
    if hasattr(module, "run"):
        return module.run(store, path, system=system, version=version, **options)
    info = module.read_metadata(path, version=version)
    if system:
        info.url = system
    write = {"code_system": load_code_system, "map_set": load_map_set, "value_set": load_value_set}[module.KIND]
    return [write(store, info, module.read(path), **options)]


def build_default(store: Store, progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    """The embedded default content: ICD-10-CM 2026 and the curated files in mappings/."""
    summaries = run_load(store, "icd10cm-xml", icd10cm_xml.bundled_path(), progress=progress)
    for fmt, path in default_content():
        summaries += run_load(store, fmt, path, progress=progress)
    return summaries


def default_content() -> list[tuple[str, Path]]:
    """(format, path) of every curated file in mappings/, in load order."""
    return [("sssom", p) for p in sorted(MAPPINGS_DIR.rglob("*.sssom.tsv"))]
