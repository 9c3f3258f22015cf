"""CDC ICD-10-CM tabular XML (icd10cm-tabular-*.xml).

Chapters, blocks (sections) and every code, with 7th-character extensions
expanded the way the tabular list defines them (placeholder X padding, nearest
sevenChrDef wins), billable = leaf after expansion, inclusion terms and
"includes" notes as designations, excludes/code-first notes as properties."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Iterator

from loaders.base import Concept, Designation, IsA, SourceInfo, file_checksum
from server.errors import LoadError
from server.systems import ICD10CM

FORMAT = "icd10cm-xml"
KIND = "code_system"
NOTE_PROPERTIES = ("excludes1", "excludes2", "codeFirst", "useAdditionalCode", "codeAlso")
# e.g. S06: "7th characters D and S do not apply to codes in category S06 with 6th character 7 - ..., or 8 - ..."
_SEVENTH_EXCEPTION = re.compile(r"7th characters? ((?:[A-Z](?:, | and | or )?)+) do(?:es)? not apply to codes "
                                r"in category \w{3} with 6th character (\d)(?:.*?, or (\d) )?")


def bundled_path() -> Path:
    """The April 2026 CDC file shipped inside the simple-icd-10-cm package."""
    data = resources.files("simple_icd_10_cm") / "data"
    return Path(str(next(p for p in data.iterdir() if p.name.startswith("icd10c-tabular"))))


def detect(path: str | Path) -> bool:
    p = Path(path)
    if not p.is_file():
        return False
    with open(p, "rb") as fh:
        return b"<ICD10CM.tabular>" in fh.read(4096)


def read_metadata(path: str | Path, version: str = "") -> SourceInfo:
    found = _version_element(path)
    if not found and not version:
        raise LoadError(path, None, "no <version> element; pass --version")
    m = re.search(r"(January|April|October)-1-(\d{4})", Path(path).name)
    edition = f"{m.group(2)}-{ {'January': '01', 'April': '04', 'October': '10'}[m.group(1)] }" if m else found
    return SourceInfo(url=ICD10CM, version=version or edition.replace(" ", ""), name="ICD10CM",
                      title="International Classification of Diseases, Tenth Revision, Clinical Modification",
                      format=FORMAT, source=str(path), checksum=file_checksum(path))


def read(path: str | Path) -> Iterator:
    root = _parse(path)
    chapters = root.findall("chapter")
    if not chapters:
        raise LoadError(path, None, "no <chapter> elements: not a CDC ICD-10-CM tabular file")
    for chapter in chapters:
        number = (chapter.findtext("name") or "").strip()
        title = _text(chapter.findtext("desc"))
        yield Concept(number, title, billable=False, properties=json.dumps({"kind": "chapter"}))
        yield Designation(number, title, "preferred")
        for section in chapter.findall("section"):
            sid = section.get("id", "")
            sid = sid if "-" in sid else f"{sid}-{sid}"  # block B20 must not collide with category B20
            stitle = _text(section.findtext("desc"))
            yield Concept(sid, stitle, billable=False, properties=json.dumps({"kind": "block"}))
            yield Designation(sid, stitle, "preferred")
            yield IsA(sid, number)
            for diag in section.findall("diag"):
                yield from _diag(diag, sid, None)


def _diag(diag: ET.Element, parent: str, seventh: list[tuple[str, str]] | None,
          exceptions: dict[str, set[str]] | None = None) -> Iterator:
    code = (diag.findtext("name") or "").strip()
    title = _text(diag.findtext("desc"))
    definition = diag.find("sevenChrDef")
    if definition is not None:
        seventh = [(e.get("char", ""), _text(e.text)) for e in definition.findall("extension")]
    for note in diag.findall("notes/note"):
        m = _SEVENTH_EXCEPTION.search(_text(note.text))
        if m:
            chars = set(re.findall(r"[A-Z]", m.group(1)))
            exceptions = {sixth: chars for sixth in m.groups()[1:] if sixth}
    children = diag.findall("diag")
    extended = not children and bool(seventh)
    properties = {"kind": "category" if len(code) == 3 else "code"}
    if diag.get("placeholder") == "true":
        properties["placeholder"] = True
    for tag in NOTE_PROPERTIES:
        notes = [_text(n.text) for el in diag.findall(tag) for n in el.findall("note")]
        if notes:
            properties[tag] = notes
    yield Concept(code, title, billable=not children and not extended, properties=json.dumps(properties))
    yield Designation(code, title, "preferred")
    for el in diag.findall("inclusionTerm"):
        for note in el.findall("note"):
            yield Designation(code, _text(note.text), "inclusion")
    for el in diag.findall("includes"):
        for note in el.findall("note"):
            yield Designation(code, _text(note.text), "includes-note")
    yield IsA(code, parent)
    for child in children:
        yield from _diag(child, code, seventh, exceptions)
    if extended:
        stem = code.replace(".", "")
        stem = stem + "X" * (6 - len(stem))
        excluded = (exceptions or {}).get(stem[5], set())
        for char, meaning in seventh:
            if char in excluded:
                continue
            full = f"{stem[:3]}.{stem[3:]}{char}"
            display = f"{title}, {meaning}"
            yield Concept(full, display, billable=True,
                          properties=json.dumps({"kind": "code", "seventh_character": char}))
            yield Designation(full, display, "preferred")
            yield IsA(full, code)


def _version_element(path: str | Path) -> str:
    try:
        for _, el in ET.iterparse(path, events=("end",)):
            if el.tag == "version":
                return (el.text or "").strip()
            if el.tag in ("introduction", "chapter"):
                return ""
    except ET.ParseError as exc:
        raise LoadError(path, exc.position[0], f"malformed XML: {exc}") from exc
    except OSError as exc:
        raise LoadError(path, None, exc.strerror or str(exc)) from exc
    return ""


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _parse(path: str | Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise LoadError(path, exc.position[0], f"malformed XML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise LoadError(path, None, f"bad encoding: {exc}") from exc
    except OSError as exc:
        raise LoadError(path, None, exc.strerror or str(exc)) from exc
