"""The per-row transform, a pure function of the row and the engine's content:
a CSV/TSV row keeps its bytes and gains columns, an NDJSON object keeps its
bytes and gains a "recode" member, a FHIR resource gains codings (see
server.batch.fhir). A row that cannot be read goes to the rejects with its line
number and the reason; the chunk goes on."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import NamedTuple

from server.batch import fhir, review_queue
from server.batch.readers import Chunk, Source, dialect
from server.batch.resolve import Job, Resolution, Resolver, Unreadable, decide
from server.batch.summary import Tally
from server.errors import InvalidArgument

RECODE_MEMBER = "recode"


class RowError(Exception):
    """Why a row is rejected."""


class ChunkResult(NamedTuple):
    index: int
    end: int  # where the next chunk starts: byte offset and line number
    end_line: int
    output: bytes
    rejects: bytes
    tally: dict  # summary.Tally.as_dict()
    review: list  # review-queue lines of this chunk


def added_columns(job: Job) -> list[str]:
    cols = [f"{job.short(t)}_{part}" for t in job.targets for part in ("code", "display", "relationship",
                                                                        "confidence")]
    return cols + ["decision"] + (["confidentiality", "sensitivity"] if job.labels else [])


def _csv_line(values, fmt: str) -> str:
    if fmt == "tsv":
        return "\t".join(" ".join(str(v).split()) for v in values)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


class Recoder:
    def __init__(self, source: Source, job: Job, resolver: Resolver, labeler=None) -> None:
        self.source, self.job, self.resolver, self.labeler = source, job, resolver, labeler
        self._added: dict = {}  # element -> what its rows gain (encoded once)
        self.delimited, self.unquoted = source.delimited, source.fmt == "tsv"
        if source.delimited:
            self.sep = "\t" if source.fmt == "tsv" else ","
            self.dialect = dialect(source.fmt)
            self.width = len(source.header)
            self.columns = [self._column(c) for c in (job.code_column, job.system_column, job.text_column)]
            clash = sorted(set(added_columns(job)) & set(source.header))
            if clash:
                raise InvalidArgument("COLUMN_EXISTS", f"input already has column {clash[0]} (an output of "
                                      "recode?)", column=clash[0])

    def _column(self, name: str) -> int | None:
        if not name:
            return None
        if name not in self.source.header:
            raise InvalidArgument("COLUMN_NOT_FOUND", f"column {name} is not in the header of "
                                  f"{self.source.path}", column=name, path=self.source.path)
        return self.source.header.index(name)

    def header(self) -> bytes:
        if not self.source.delimited:
            return b""
        added = self.sep + _csv_line(added_columns(self.job), self.source.fmt)
        return self.source.header_raw + added.encode() + b"\n"

    def rejects_header(self) -> bytes:
        if not self.source.delimited:
            return b""
        return f"line{self.sep}reason{self.sep}".encode() + self.source.header_raw.removeprefix(b"\xef\xbb\xbf") + b"\n"

    def chunk(self, chunk: Chunk, records: list[tuple[int, bytes]]) -> ChunkResult:
        if self.source.fmt == "fhir":
            row = self._fhir_row
        else:
            row = self._delimited_row if self.source.delimited else self._ndjson_row
            self._prefetch_texts(records)
        out, rejects, tally, seen, found = [], [], Tally(), Counter(), {}
        for line, raw in records:
            try:
                text = raw.decode("utf-8")
                line_out, elements = row(text)
            except UnicodeDecodeError:
                rejects.append(self._reject(line, raw, "not UTF-8 text"))
                continue
            except RowError as exc:
                rejects.append(self._reject(line, raw, str(exc)))
                continue
            out.append(line_out)
            tally.decisions[elements[0].decision if len(elements) == 1
                            else decide(h for e in elements for h in e.hits.values())] += 1
            for e in elements:
                seen[e.source] += 1
                found[e.source] = e
        tally.rows_in, tally.rows_out, tally.rejected = len(records), len(out), len(rejects)
        review = []
        for key, count in seen.items():
            tally.element(found[key], count, self.job.targets)
            review += review_queue.items(found[key], count, self.job.targets)
        return ChunkResult(chunk.index, chunk.end, chunk.end_line, "".join(out).encode(), b"".join(rejects),
                           tally.as_dict(), review)

    def keys(self, records) -> set:
        """The resolver keys of a CSV/TSV/NDJSON chunk's readable rows (for a pre-pass
        that resolves each distinct element once for many workers)."""
        found = set()
        for _, raw in records:
            try:
                code, system, text = self._values(raw.decode("utf-8"))
            except (UnicodeDecodeError, RowError):
                continue
            if code and (self.job.system or system):
                found.add(("code", self.job.system or system, code))
            elif not code and text:
                found.add(("text", " ".join(text.split()), ""))
        return found

    def _prefetch_texts(self, records) -> None:
        """Match the chunk's free-text entries in one batch (the matcher is fastest that way)."""
        if not self.job.text_column:
            return
        texts = []
        for _, raw in records:
            try:
                value = self._values(raw.decode("utf-8"))
            except (UnicodeDecodeError, RowError):
                continue
            if not value[0] and value[2]:
                texts.append(value[2])
        self.resolver.prefetch(texts)

    def _reject(self, line: int, raw: bytes, reason: str) -> bytes:
        if self.source.delimited:
            return f"{line}{self.sep}{_csv_line([reason], self.source.fmt)}{self.sep}".encode() + raw + b"\n"
        return (json.dumps({"line": line, "reason": reason, "record": raw.decode("utf-8", "surrogateescape")})
                + "\n").encode()

    def _values(self, text: str) -> tuple[str, str, str]:
        """(code, system, text) of a CSV/TSV row or NDJSON object."""
        if self.delimited:
            if self.unquoted or '"' not in text:
                fields = text.split(self.sep)
            else:
                try:
                    fields = next(csv.reader([text], **self.dialect))
                except csv.Error as exc:
                    raise RowError(f"unreadable CSV: {exc}") from None
            if len(fields) != self.width:
                raise RowError(f"{len(fields)} fields, the header has {self.width}")
            code, system, free = self.columns
            return (fields[code].strip() if code is not None else "", fields[system].strip() if system is not None
                    else "", fields[free].strip() if free is not None else "")
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise RowError(f"not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise RowError("not a JSON object")
        if RECODE_MEMBER in obj:
            raise RowError(f"already has a {RECODE_MEMBER!r} member")
        return tuple(_member(obj, name) for name in (self.job.code_column, self.job.system_column,
                                                     self.job.text_column))

    def _element(self, code: str, system: str, text: str) -> Resolution:
        system = self.job.system or system
        try:
            if code:
                if not system:
                    raise RowError("code without a system")
                return self.resolver.code(system, code)
            if text:
                return self.resolver.text(text)
        except Unreadable as exc:
            raise RowError(str(exc)) from None
        raise RowError("no code or text to re-code")

    def _delimited_row(self, text: str) -> tuple[str, list[Resolution]]:
        e = self._element(*self._values(text))
        added = self._added.get(e.source)
        if added is None:
            added = self._added[e.source] = self.sep + _csv_line(self._cells(e), self.source.fmt) + "\n"
        return text + added, [e]

    def _ndjson_row(self, text: str) -> tuple[str, list[Resolution]]:
        e = self._element(*self._values(text))
        added = self._added.get(e.source)
        if added is None:
            added = self._added[e.source] = json.dumps(self._member(e), ensure_ascii=False,
                                                       separators=(",", ":")) + "}\n"
        body = text.rstrip()[:-1].rstrip()
        return f"{body}{'' if body.endswith('{') else ','}\"{RECODE_MEMBER}\":{added}", [e]

    def _fhir_row(self, text: str) -> tuple[str, list[Resolution]]:
        try:
            resource = json.loads(text)
        except ValueError as exc:
            raise RowError(f"not JSON: {exc}") from None
        try:
            elements = fhir.recode_resource(resource, self.resolver, self.job, self.labeler)
        except fhir.ResourceError as exc:
            raise RowError(str(exc)) from None
        return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n", elements

    def _cells(self, e: Resolution) -> list:
        cells = []
        for target in self.job.targets:
            hit = e.hits.get(target)
            cells += [hit.code, hit.display, hit.relationship, hit.confidence] if hit else ["", "", "", ""]
        cells.append(e.decision)
        if self.job.labels:
            confidentiality, sensitivity = self.labeler.labels([e])
            cells += [confidentiality, "|".join(sensitivity)]
        return cells

    def _member(self, e: Resolution) -> dict:
        member = {"decision": e.decision, "targets": {
            self.job.short(t): {"system": h.system, "code": h.code, "display": h.display,
                                "relationship": h.relationship, "confidence": h.confidence}
            for t in self.job.targets for h in [e.hits.get(t)] if h}}
        if self.job.labels:
            confidentiality, sensitivity = self.labeler.labels([e])
            member["labels"] = {"confidentiality": confidentiality, "sensitivity": list(sensitivity)}
        return member


def _member(obj: dict, name: str) -> str:
    if not name:
        return ""
    value = obj.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowError(f"member {name} is not a string")
    return str(value).strip()
