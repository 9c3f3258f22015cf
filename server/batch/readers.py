"""Input files as records with line numbers and byte offsets: CSV (RFC 4180,
a quoted field may span lines), TSV (one record per line, no quoting), NDJSON
and FHIR Bulk Data NDJSON (one JSON object per line). Blank lines are not
records. Chunks are byte ranges holding a fixed number of records, so a worker
(or a Spark executor) reads its own range and a checkpoint is an offset."""

from __future__ import annotations

import csv
import io
import mmap
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple

from server.errors import InvalidArgument, LoadError

EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
DELIMITER = {"csv": ",", "tsv": "\t"}


@dataclass(frozen=True)
class Source:
    path: str
    fmt: str  # csv | tsv | ndjson | fhir
    ext: str  # the input's extension, reused for the outputs
    size: int
    data_start: int  # byte offset of the first data record
    first_line: int  # line number at data_start
    header: list[str] = field(default_factory=list)  # csv/tsv columns
    header_raw: bytes = b""  # the header record as written in the file

    @property
    def delimited(self) -> bool:
        return self.fmt in DELIMITER


class Chunk(NamedTuple):
    index: int
    start: int  # byte range [start, end)
    end: int
    first_line: int  # line number at start
    end_line: int  # line number at end


def scan(lines: Iterable[bytes], line: int, quoted: bool) -> Iterator[tuple[int, int, int, bytes]]:
    """(line number, bytes consumed so far, next line number, record without its
    line end) for each non-blank record. With `quoted`, a record goes on while its quotes are open;
    an unterminated one runs to the end (and is rejected when parsed)."""
    consumed, pending, first = 0, None, 0
    for raw in lines:
        consumed += len(raw)
        if pending is not None:
            pending.append(raw)
            if raw.count(b'"') % 2:
                yield first, consumed, line + 1, b"".join(pending).rstrip(b"\r\n")
                pending = None
        elif quoted and raw.count(b'"') % 2:
            pending, first = [raw], line
        elif raw.strip():
            yield line, consumed, line + 1, raw.rstrip(b"\r\n")
        line += 1
    if pending is not None:
        yield first, consumed, line, b"".join(pending).rstrip(b"\r\n")


def open_source(path: str, fhir: bool) -> Source:
    """The input's format (by extension; NDJSON is FHIR Bulk Data when `fhir`) and header."""
    ext = os.path.splitext(path)[1].lower()
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        raise InvalidArgument("UNSUPPORTED_INPUT", f"input {path} is not .csv, .tsv, .ndjson or .jsonl", path=path)
    if not os.path.isfile(path):
        raise LoadError(path, None, "no such file")
    size = os.path.getsize(path)
    if fmt == "ndjson":
        return Source(path, "fhir" if fhir else "ndjson", ext[1:], size, 0, 1)
    with open(path, "rb") as fh:
        found = next(scan(fh, 1, fmt == "csv"), None)
    if found is None:
        raise LoadError(path, None, "no header row")
    line, consumed, next_line, raw = found
    try:
        text = raw.decode("utf-8-sig")
        header = next(csv.reader([text], **dialect(fmt)))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise LoadError(path, line, f"unreadable header: {exc}") from None
    return Source(path, fmt, ext[1:], size, consumed, next_line, [h.strip() for h in header], raw)


def dialect(fmt: str) -> dict:
    if fmt == "tsv":
        return {"delimiter": "\t", "quoting": csv.QUOTE_NONE}
    return {"delimiter": ","}


def chunks(source: Source, rows: int, offset: int, line: int, index: int = 0) -> Iterator[Chunk]:
    """Chunks of about `rows` records from byte `offset` (at line number `line`) to
    the end. Boundaries are found without parsing: the first line end past the
    chunk's size where (CSV) the quotes seen since the chunk began are balanced."""
    if source.size <= offset:
        return
    quoted = source.fmt == "csv"
    with open(source.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        sample = data[offset:offset + (1 << 16)]
        step = rows * max(1, len(sample) // max(1, sample.count(b"\n")))
        start = offset
        while start < source.size:
            end = _boundary(data, start, start + step, source.size, quoted)
            lines = data[start:end].count(b"\n")
            yield Chunk(index, start, end, line, line + lines)
            start, line, index = end, line + lines, index + 1


def _boundary(data, start: int, target: int, size: int, quoted: bool) -> int:
    end = data.find(b"\n", min(target, size) - 1) if target < size else -1
    if end < 0:
        return size
    open_quotes = quoted and data[start:end].count(b'"') % 2
    while open_quotes:  # inside a quoted field: the record goes on
        after = data.find(b"\n", end + 1)
        if after < 0:
            return size
        open_quotes = (open_quotes + data[end:after].count(b'"')) % 2
        end = after
    return end + 1


def read_chunk(source: Source, chunk: Chunk) -> list[tuple[int, bytes]]:
    """(line number, raw record) of every record in the chunk."""
    with open(source.path, "rb") as fh:
        fh.seek(chunk.start)
        data = fh.read(chunk.end - chunk.start)
    quoted = source.fmt == "csv" and b'"' in data
    if not quoted:  # one record per line: the same as scan(), faster
        first = chunk.first_line
        return [(first + n, raw.rstrip(b"\r")) for n, raw in enumerate(data.split(b"\n")) if raw.strip()]
    return [(line, raw) for line, _, _, raw in scan(io.BytesIO(data), chunk.first_line, quoted)]
