"""Reading FHIR JSON resources from a file (one resource or a Bundle), a folder,
or an NPM package (.tgz with package/package.json and package/*.json).

Only CodeSystem, ValueSet and ConceptMap come out; everything else (other
resource types, package examples, non-resource files) is counted by reason."""

from __future__ import annotations

import collections
import json
import tarfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from server.errors import LoadError

TERMINOLOGY = ("CodeSystem", "ValueSet", "ConceptMap")
PACKAGE_JSON = "package/package.json"
OTHER_FILE = "not a resource file (package index, docs, other formats)"


def is_package(path: str | Path) -> bool:
    p = Path(path)
    return p.is_file() and p.name.endswith((".tgz", ".tar.gz"))


def parse(data: bytes, where: str) -> object:
    """JSON from bytes; a syntax or encoding error names `where` and the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(where, data.count(b"\n", 0, exc.start) + 1,
                        f"bad encoding: not UTF-8 at byte {exc.start}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoadError(where, exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})") from exc


def open_source(path: str | Path, skipped: collections.Counter) -> tuple[dict, Iterator[tuple[str, dict]]]:
    """(package.json or {}, iterator of (origin, resource) for every terminology
    resource); skips are counted into `skipped` as the iterator runs."""
    p = Path(path)
    if is_package(p):
        package, files = _package_files(p, skipped)  # one pass over the archive
    elif p.is_dir():
        package, files = _folder_package(p), _folder_files(p, skipped)
    else:
        package, files = {}, [(str(p), p.read_bytes())]
    return package, _unwrap(files, skipped)


def _unwrap(files, skipped: collections.Counter) -> Iterator[tuple[str, dict]]:
    for origin, data in files:
        body = parse(data, origin)
        if not isinstance(body, dict) or "resourceType" not in body:
            skipped["not a FHIR resource"] += 1
            continue
        if body["resourceType"] == "Bundle":
            for number, entry in enumerate(body.get("entry") or []):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if _wanted(resource, skipped):
                    yield f"{origin} entry[{number}]", resource
        elif _wanted(body, skipped):
            yield origin, body


def _wanted(resource, skipped: collections.Counter) -> bool:
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind in TERMINOLOGY:
        return True
    skipped[f"{kind or 'entry without resource'} (not terminology)"] += 1
    return False


def _package_files(path: Path, skipped: collections.Counter) -> tuple[dict, list[tuple[str, bytes]]]:
    files, package = [], None
    with _open_tar(path) as tar, _tar_errors(path):
        for member in tar:
            name = member.name
            if name == PACKAGE_JSON:
                where = f"{path}#{name}"
                package = _object(parse(tar.extractfile(member).read(), where), where)
                continue
            if not member.isfile():
                continue
            reason = _skip_reason(name.removeprefix("package/"), True) if name.startswith("package/") \
                else OTHER_FILE
            if reason:
                skipped[reason] += 1
                continue
            files.append((f"{path}#{name}", tar.extractfile(member).read()))
    if package is None:
        raise LoadError(path, None, f"not a FHIR package: no {PACKAGE_JSON}")
    return package, files


def _folder_package(path: Path) -> dict:
    for candidate in (path / "package.json", path / PACKAGE_JSON):
        if candidate.is_file():
            return _object(parse(candidate.read_bytes(), str(candidate)), str(candidate))
    return {}


def _folder_files(path: Path, skipped: collections.Counter) -> Iterator[tuple[str, bytes]]:
    root = path / "package" if (path / PACKAGE_JSON).is_file() else path
    package = (root / "package.json").is_file()
    for file in sorted(f for f in root.rglob("*") if f.is_file()):
        relative = file.relative_to(root).as_posix()
        if package and relative == "package.json":
            continue
        reason = _skip_reason(relative, package)
        if reason:
            skipped[reason] += 1
            continue
        yield str(file), file.read_bytes()


def _skip_reason(relative: str, package: bool) -> str:
    """Packages hold resources in package/*.json and examples in package/example/."""
    if package and relative.startswith("example/"):
        return "example"
    if not relative.endswith(".json") or relative.rsplit("/", 1)[-1].startswith(".") or (package and "/" in relative):
        return OTHER_FILE
    return ""


def _open_tar(path: Path) -> tarfile.TarFile:
    with _tar_errors(path):
        return tarfile.open(path, "r:gz")


@contextmanager
def _tar_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise LoadError(path, None, f"truncated or corrupt package: {exc}") from exc


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise LoadError(where, None, "expected a JSON object")
    return value
