"""Runs a loader into the store: the engine behind `termbridge load` and the
default-content build."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import loaders
from loaders import icd10cm_xml
from loaders.base import file_checksum
from server.errors import FailedPrecondition, InvalidArgument, LoadError
from server.labels import catalog as label_catalog
from server.store.store import Store
from server.store.writer import LoadSummary, load_code_system, load_map_set, load_value_set

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"


def run_load(store: Store, fmt: str, path: str | Path, *, system: str = "", version: str = "",
             activate: bool = False, dry_run: bool = False,
             progress: Callable[[int], None] | None = None, **format_options) -> list[LoadSummary]:
    """`format_options` are a format's own (local-csv columns); each module lists them in OPTIONS."""
    module = loaders.FORMATS.get(fmt)
    if module is None:
        raise InvalidArgument("UNSUPPORTED_FORMAT", f"format {fmt!r} is not supported; choose one of "
                              f"{', '.join(loaders.FORMATS)}", format=fmt)
    unknown = sorted(set(format_options) - set(getattr(module, "OPTIONS", ())))
    if unknown:
        raise InvalidArgument("OPTION_NOT_SUPPORTED", f"format {fmt} does not take {', '.join(unknown)}",
                              format=fmt, options=", ".join(unknown))
    if not Path(path).exists():
        raise LoadError(path, None, "no such file or folder")
    options = dict(activate=activate, dry_run=dry_run, progress=progress)
    if hasattr(module, "run"):
        return module.run(store, path, system=system, version=version, **options, **format_options)
    info = module.read_metadata(path, version=version)
    if system:
        info.url = system
    write = {"code_system": load_code_system, "map_set": load_map_set, "value_set": load_value_set}[module.KIND]
    return [write(store, info, module.read(path), **options)]


def build_default(store: Store, progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    """The embedded default content: ICD-10-CM 2026 and the curated files in mappings/."""
    summaries = run_load(store, "icd10cm-xml", icd10cm_xml.bundled_path(), progress=progress)
    for fmt, path, options in default_content():
        summaries += _load_current(store, fmt, path, progress, options)
    summaries.append(label_catalog.load_defaults(store))  # sensitivity value sets, mappings/labels/
    return summaries


def _load_current(store: Store, fmt: str, path: Path, progress, options: dict) -> list[LoadSummary]:
    """Load a curated file and make it the version that answers. A file edited in the repo
    under the version it already declared is loaded as that version plus its checksum."""
    try:
        return run_load(store, fmt, path, activate=True, progress=progress, **options)
    except FailedPrecondition as exc:
        if exc.reason != "VERSION_EXISTS":
            raise
        version = f"{exc.metadata['version']}+{file_checksum(path)[:8]}"
        return run_load(store, fmt, path, activate=True, progress=progress, **{**options, "version": version})


# Local code tables shipped in mappings/local/ and the canonical URI each is loaded under.
LOCAL_CODE_SYSTEMS = {"cmhc_problem_codes.csv": "http://termbridge.example.org/fhir/CodeSystem/cmhc-problem-codes"}
# Versions for mappings/fhir/ resources that carry none (see mappings/fhir/README.md).
DEFAULT_VERSIONS = {"SDOHCC-CodeSystemTemporaryCodes.json": "6604b7ac"}


def default_content() -> list[tuple[str, Path, dict]]:
    """(format, path, run_load options) of every curated file in mappings/, in load order:
    FHIR resources, then local code tables, then the SSSOM maps (which map from them)."""
    fhir = [("fhir", p, {"version": DEFAULT_VERSIONS.get(p.name, "")})
            for p in sorted((MAPPINGS_DIR / "fhir").glob("*.json"))]
    local = [("local-csv", MAPPINGS_DIR / "local" / name, {"system": uri}) for name, uri in LOCAL_CODE_SYSTEMS.items()]
    return fhir + local + [("sssom", p, {}) for p in sorted(MAPPINGS_DIR.rglob("*.sssom.tsv"))]
