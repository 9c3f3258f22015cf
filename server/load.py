"""Runs a loader into the store: the engine behind `termbridge load` and the
default-content build."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import loaders
from loaders import icd10cm_xml
from server.errors import InvalidArgument, LoadError
from server.store.store import Store
from server.store.writer import LoadSummary, load_code_system

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
    info = module.read_metadata(path, version=version)
    if system:
        info.url = system
    return [load_code_system(store, info, module.read(path), activate=activate, dry_run=dry_run,
                             progress=progress)]


def build_default(store: Store, progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    """The embedded default content: ICD-10-CM 2026 and the curated files in mappings/."""
    return run_load(store, "icd10cm-xml", icd10cm_xml.bundled_path(), progress=progress)
