"""CSV/TSV tables with a header row: the delimiter from the extension (or the
header line), every row checked against the header's column count, errors
naming the file and line."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from loaders.base import text_lines
from server.errors import LoadError

DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def delimiter_for(path: str | Path, delimiter: str | None = None) -> str:
    if delimiter:
        chosen = DELIMITER_NAMES.get(delimiter.lower(), delimiter)
        if len(chosen) != 1:
            raise LoadError(path, None, f"delimiter {delimiter!r} is not one character (or tab/comma/semicolon/pipe)")
        return chosen
    suffix = Path(path).suffix.lower()
    if suffix in (".tsv", ".tab"):
        return "\t"
    if suffix == ".csv":
        return ","
    for _, line in text_lines(path):
        return "\t" if "\t" in line else ","
    return ","


def header(path: str | Path, delimiter: str) -> list[str]:
    for _, line in text_lines(path):
        return [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
    raise LoadError(path, None, "empty file: no header row")


def require(path: str | Path, columns: list[str], wanted) -> None:
    missing = [c for c in wanted if c and c not in columns]
    if missing:
        raise LoadError(path, 1, f"missing column(s) {', '.join(missing)}; the header has {', '.join(columns)}")


def rows(path: str | Path, delimiter: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped value}) for every non-blank data row."""
    lines = text_lines(path)
    reader = csv.reader((line for _, line in lines), delimiter=delimiter)
    columns: list[str] = []
    try:
        for cells in reader:
            if not columns:
                columns = [c.strip() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                raise LoadError(path, reader.line_num, f"expected {len(columns)} columns, found {len(cells)}")
            yield reader.line_num, {k: v.strip() for k, v in zip(columns, cells)}
    except csv.Error as exc:
        raise LoadError(path, reader.line_num, f"malformed row: {exc}") from exc
