"""The common shape of a loader: detect(path), read_metadata(path) -> SourceInfo,
read(path) -> an iterator of rows. Loaders only read; the store writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


@dataclass
class SourceInfo:
    url: str
    version: str
    name: str
    title: str
    format: str
    source: str
    checksum: str
    properties: dict = field(default_factory=dict)


class Concept(NamedTuple):
    code: str
    display: str
    active: bool = True
    billable: bool = False
    properties: str | None = None  # JSON


class Designation(NamedTuple):
    code: str
    value: str
    use: str
    language: str = "en"


class IsA(NamedTuple):
    child: str
    parent: str


class Skipped(NamedTuple):
    line: int
    reason: str


def file_checksum(path: str | Path) -> str:
    """sha256 of a file, or of every file below a folder (names and bytes)."""
    p = Path(path)
    digest = hashlib.sha256()
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        if p.is_dir():
            digest.update(str(f.relative_to(p)).encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def text_lines(path: str | Path, encoding: str = "utf-8-sig", keep_ends: bool = False):
    """(line number, line without newline, or with it if keep_ends) for a text
    file; a bad byte is a LoadError naming the file and line."""
    from server.errors import LoadError
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise LoadError(path, None, exc.strerror or str(exc)) from exc
    with fh:
        for number, raw in enumerate(fh, 1):
            try:
                text = raw.decode(encoding if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise LoadError(path, number, f"bad encoding: not UTF-8 at byte {exc.start}") from exc
            yield number, text if keep_ends else text.rstrip("\r\n")


def system_uri(text: str) -> str | None:
    """The canonical URI for a system alias, OID or URI; None if `text` is neither
    a known alias nor URI-shaped (scheme:rest)."""
    from server.errors import InvalidArgument
    from server.systems import canonical_system
    try:
        return canonical_system(text)
    except InvalidArgument:
        text = (text or "").strip().rstrip("/")
        return text if ":" in text and " " not in text else None
