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
