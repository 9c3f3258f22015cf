"""LOINC table CSV (Loinc.csv) and, where present, the LOINC answer lists
(AccessoryFiles/AnswerFile/AnswerList.csv and LoincAnswerListLink.csv).

PATH is Loinc.csv or a LOINC release folder. Terms: display LONG_COMMON_NAME;
the six-part name, SHORTNAME, DisplayName, CONSUMER_NAME and each RELATEDNAMES2
entry as designations; the axes, CLASS, STATUS and answer lists as properties;
DEPRECATED terms inactive. Answers (LA codes) are concepts of http://loinc.org
too, and each answer list (LL code) is a value set http://loinc.org/vs/<LL>.

Version: --version, else the release folder's name (Loinc_2.80 -> "2.80")."""

from __future__ import annotations

import collections
import csv
import hashlib
import json
import re
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Iterator

from loaders.base import Concept, Designation, SourceInfo, file_checksum, text_lines
from server.errors import LoadError
from server.store.writer import LoadSummary, Member, SetInfo, load_code_system, load_value_set, one_transaction
from server.systems import LOINC

FORMAT = "loinc-csv"
TERM_COLUMNS = ("LOINC_NUM", "COMPONENT", "PROPERTY", "TIME_ASPCT", "SYSTEM", "SCALE_TYP", "METHOD_TYP", "CLASS",
                "STATUS", "SHORTNAME", "LONG_COMMON_NAME")
AXES = ("COMPONENT", "PROPERTY", "TIME_ASPCT", "SYSTEM", "SCALE_TYP", "METHOD_TYP")
PROPERTIES = (*AXES, "CLASS", "CLASSTYPE", "STATUS", "ORDER_OBS")
NAMES = (("SHORTNAME", "short-name"), ("DisplayName", "display-name"), ("CONSUMER_NAME", "consumer-name"))
ANSWER_COLUMNS = ("AnswerListId", "AnswerListName", "AnswerStringId", "SequenceNumber", "DisplayText")
LINK_COLUMNS = ("LoincNumber", "AnswerListId", "AnswerListLinkType")
_RELEASE_FOLDER = re.compile(r"^Loinc_(\d+\.\d+)")


def detect(path: str | Path) -> bool:
    try:
        table = _files(Path(path))[0]
    except LoadError:
        return False
    with open(table, "rb") as fh:
        return fh.read(16).lstrip(b"\xef\xbb\xbf").startswith(b'"LOINC_NUM"')


def run(store, path: str | Path, *, system: str = "", version: str = "", activate: bool = False,
        dry_run: bool = False, progress: Callable[[int], None] | None = None) -> list[LoadSummary]:
    table, answer_file, link_file = _files(Path(path))
    version = version or _release_version(table)
    checksum = hashlib.sha256("".join(file_checksum(f) for f in (table, answer_file, link_file) if f).encode()
                              ).hexdigest()
    info = SourceInfo(url=system or LOINC, version=version, name="LOINC",
                      title="Logical Observation Identifiers, Names and Codes (LOINC)", format=FORMAT,
                      source=str(path), checksum=checksum)
    lists = _answer_lists(answer_file) if answer_file else {}
    links = _links(link_file) if link_file else {}
    options = dict(activate=activate, dry_run=dry_run, progress=progress)
    with nullcontext() if dry_run else one_transaction(store):
        summaries = [load_code_system(store, info, _rows(table, lists, links), **options)]
        for list_id, (name, answers) in sorted(lists.items()):
            compose = {"include": [{"system": info.url, "concept": [{"code": c, "display": d} for _, c, d in answers]}]}
            set_info = SetInfo(name=list_id, version=version, url=f"{info.url}/vs/{list_id}", title=name or list_id,
                               source=info.source, checksum=checksum, compose=json.dumps(compose))
            members = (Member(info.url, code, display, version) for _, code, display in answers)
            summaries.append(load_value_set(store, set_info, members, **options))
    return summaries


def _files(path: Path) -> tuple[Path, Path | None, Path | None]:
    """(Loinc.csv, AnswerList.csv or None, LoincAnswerListLink.csv or None)."""
    if path.is_dir():
        table = _find(path, "Loinc.csv")
        if table is None:
            raise LoadError(path, None, "no Loinc.csv in this folder")
    elif path.is_file():
        table = path
    else:
        raise LoadError(path, None, "no such file or folder")
    answers, links = _find(path, "AnswerList.csv"), _find(path, "LoincAnswerListLink.csv")
    if bool(answers) != bool(links):
        missing = "LoincAnswerListLink.csv" if answers else "AnswerList.csv"
        raise LoadError(path, None, f"answer lists need both AnswerList.csv and LoincAnswerListLink.csv; "
                                    f"{missing} is missing")
    return table, answers, links


def _find(path: Path, name: str) -> Path | None:
    """A file inside a release folder, or beside a Loinc.csv as the release lays it out."""
    if path.is_dir():
        return next(iter(sorted(path.rglob(name))), None)
    beside = (path.parent, path.parent / "AnswerList", path.parent / "AnswerFile",
              path.parent.parent / "AccessoryFiles" / "AnswerFile")
    return next((folder / name for folder in beside if (folder / name).is_file()), None)


def _release_version(table: Path) -> str:
    for folder in table.resolve().parents:
        m = _RELEASE_FOLDER.match(folder.name)
        if m:
            return m.group(1)
    raise LoadError(table, None, "no LOINC version: the file is not inside a Loinc_<version> release folder; "
                                 "pass --version (e.g. --version 2.80)")


def csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """(line, row) of a quoted CSV file with a header; wrong column counts, broken
    quoting and bad encoding are LoadErrors naming the file and line."""
    reader = csv.reader((line for _, line in text_lines(path, keep_ends=True)), strict=True)
    try:
        header = next(reader)
        missing = [c for c in required if c not in header]
        if missing:
            raise LoadError(path, 1, f"missing column(s) {', '.join(missing)}")
        for cells in reader:
            if len(cells) != len(header):
                raise LoadError(path, reader.line_num, f"expected {len(header)} columns, found {len(cells)}")
            yield reader.line_num, dict(zip(header, cells))
    except StopIteration:
        raise LoadError(path, None, "empty file: no header row") from None
    except csv.Error as exc:
        raise LoadError(path, reader.line_num, f"malformed CSV: {exc}") from exc


def _answer_lists(path: Path) -> dict[str, tuple[str, list[tuple[int, str, str]]]]:
    """LL id -> (name, [(sequence, LA code, display)]); externally defined lists have no LA rows."""
    lists: dict[str, tuple[str, list]] = {}
    for line, row in csv_rows(path, ANSWER_COLUMNS):
        if not row["AnswerStringId"]:
            continue
        sequence = row["SequenceNumber"]
        if not sequence.isdigit():
            raise LoadError(path, line, f"SequenceNumber {sequence!r} is not a number")
        lists.setdefault(row["AnswerListId"], (row["AnswerListName"], []))[1].append(
            (int(sequence), row["AnswerStringId"], row["DisplayText"]))
    for _, answers in lists.values():
        answers.sort()
    return lists


def _links(path: Path) -> dict[str, list[str]]:
    """LOINC term -> its answer lists, as 'LL5588-0 (NORMATIVE)'."""
    links: dict[str, list[str]] = collections.defaultdict(list)
    for _, row in csv_rows(path, LINK_COLUMNS):
        kind = row["AnswerListLinkType"]
        links[row["LoincNumber"]].append(f"{row['AnswerListId']} ({kind})" if kind else row["AnswerListId"])
    return links


def _rows(table: Path, lists: dict, links: dict) -> Iterator:
    for line, row in csv_rows(table, TERM_COLUMNS):
        code = row["LOINC_NUM"].strip()
        if not code:
            raise LoadError(table, line, "LOINC_NUM is empty")
        display = row["LONG_COMMON_NAME"] or row["SHORTNAME"] or code
        properties = {k: row[k] for k in PROPERTIES if row.get(k)}
        if code in links:
            properties["answer_list"] = links[code]
        yield Concept(code, display, row["STATUS"] != "DEPRECATED", False, json.dumps(properties))
        yield from _designations(code, display, row)
    answers: dict[str, str] = {}
    for _, items in lists.values():
        for _, code, text in items:
            answers.setdefault(code, text)
    for code, text in answers.items():
        yield Concept(code, text, True, False, json.dumps({"CLASS": "answer"}))
        yield Designation(code, text, "preferred")


def _designations(code: str, display: str, row: dict) -> Iterator[Designation]:
    seen = {display.casefold()}
    yield Designation(code, display, "preferred")
    names = [(":".join(row[a] for a in AXES), "fsn")] + [(row.get(column, ""), use) for column, use in NAMES]
    names += [(name, "related-name") for name in row.get("RELATEDNAMES2", "").split(";")]
    for value, use in names:
        value = value.strip()
        if value and value.strip(":") and value.casefold() not in seen:
            seen.add(value.casefold())
            yield Designation(code, value, use)
