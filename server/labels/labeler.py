"""Labeling elements: the rules of the current content compiled once (rebuilt
when label value sets, exclusion switches or code systems change), answers cached
per coding and per coded element, so a coded element costs a dictionary lookup."""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager

from server.current_index import CurrentIndex
from server.errors import InvalidArgument
from server.labels.hl7 import act
from server.labels.model import AUTO, NOTE_TYPES, Code, Context, Element, Evidence, Labels
from server.labels.rules import Assembler, policies_for, read_categories
from server.labels.text import text_findings
from server.labels.valuesets import RuleIndex, active_rules
from server.store.store import Store
from server.systems import SNOMED, canonical_system, normalize_code
from server.translate.hierarchy import ancestor_levels
from server.validation import bounded

MAX_ELEMENTS = 10_000
MAX_CACHE = 200_000
MAX_ID_LENGTH = 512


def fingerprint(store: Store) -> tuple:
    """Changes whenever what labels answer from does (loads and switches are audited)."""
    return tuple(store.one(
        "SELECT (SELECT group_concat(id) FROM (SELECT id FROM label_value_sets WHERE active = 1 ORDER BY id)), "
        "(SELECT group_concat(id) FROM (SELECT id FROM code_systems WHERE active = 1 ORDER BY id)), "
        "(SELECT max(id) FROM audit_events)"))


def normalize(system: str, code: str) -> tuple[str, str]:
    """Canonical system (unknown URIs kept as sent: they simply match no rule) and code."""
    system = (system or "").strip()
    try:
        system = canonical_system(system)
    except InvalidArgument as exc:
        if exc.reason != "UNKNOWN_SYSTEM":
            raise
    return system, normalize_code(system, code)


class LabelIndex:
    """One content version's rules, and the answers given from them."""

    def __init__(self, engine, store: Store) -> None:
        self.engine = engine
        categories, version = read_categories(store)
        self.assembler = Assembler(categories, version)
        self.code_systems = {r["url"]: r["id"] for r in store.query("SELECT url, id FROM code_systems WHERE active = 1")}
        snomed = self.code_systems.get(SNOMED)
        self.rules = RuleIndex(active_rules(store), self._snomed_ancestors if snomed else None)
        self._codings: dict[tuple[str, str], tuple[Evidence, ...]] = {}
        self._elements: dict[tuple, Labels] = {}

    def _snomed_ancestors(self, code: str) -> list[str]:
        levels = ancestor_levels(self.engine.store, self.code_systems[SNOMED], code)
        return [a for level in levels for a in level]

    def coding_findings(self, system: str, code: str) -> tuple[Evidence, ...]:
        """Sensitivity evidence for one coding as sent (cached)."""
        found = self._codings.get((system, code))
        if found is None:
            canonical, normalized = normalize(system, code)
            matched = Code(canonical, normalized, self._display(canonical, normalized))
            found = tuple(Evidence(act(category), rule.key, rule.value_set, rule.version, matched, path)
                          for category, (rule, path) in self.rules.categories(canonical, normalized).items())
            if len(self._codings) >= MAX_CACHE:
                self._codings.clear()
            self._codings[(system, code)] = found
        return found

    def _display(self, system: str, code: str) -> str:
        cs_id = self.code_systems.get(system)
        row = self.engine.store.one("SELECT display FROM concepts WHERE cs_id = ? AND code = ?", (cs_id, code)) \
            if cs_id else None
        return row[0] if row else ""

    def label_codings(self, codings: tuple[tuple[str, str], ...], context: Context) -> Labels:
        """A coded element's labels (cached per codings and provenance)."""
        key = (codings, context.part2_program, context.note_type)
        labels = self._elements.get(key)
        if labels is None:
            findings = [e for system, code in codings for e in self.coding_findings(system, code)]
            labels = self.assembler.assemble(findings, policies_for(context))
            if len(self._elements) >= MAX_CACHE:
                self._elements.clear()
            self._elements[key] = labels
        return labels

    def label(self, element: Element, context: Context) -> Labels:
        context = element.context or context
        text = (element.text or "").strip()
        if not text:
            return self.label_codings(element.codings, context)
        findings = [e for system, code in element.codings for e in self.coding_findings(system, code)]
        found, reading = text_findings(self.engine, self.coding_findings, text)
        labels = self.assembler.assemble(findings + found, policies_for(context))
        if not element.codings and reading != AUTO:  # the text alone, and not read with confidence
            labels = dataclasses.replace(labels, decision=reading)
        return labels


class Labeler:
    def __init__(self, engine) -> None:
        self.engine = engine
        self._current = CurrentIndex(engine, lambda store: LabelIndex(engine, store), fingerprint)

    def index(self) -> LabelIndex:
        """The current content's compiled rules and answers."""
        return self._current.get()

    def label_elements(self, elements: list[Element], context: Context) -> tuple[list[Labels], Labels]:
        """Each element's labels, in order, and the request's high-water mark."""
        if len(elements) > MAX_ELEMENTS:
            raise InvalidArgument("TOO_MANY_ELEMENTS", f"a request holds at most {MAX_ELEMENTS} elements",
                                  limit=MAX_ELEMENTS, size=len(elements))
        check_context(context)
        index = self.index()
        results = []
        for n, element in enumerate(elements):
            with element_errors(n):
                check_element(element)
                results.append(index.label(element, context))
        return results, index.assembler.merge(results)


@contextmanager
def element_errors(index: int):
    """An element's InvalidArgument names the element's position."""
    try:
        yield
    except InvalidArgument as exc:
        if "element" in exc.metadata:
            raise
        raise InvalidArgument(exc.reason, f"element {index}: {exc.message}", element=index, **exc.metadata) from exc


def check_context(context: Context | None) -> None:
    if context is None:
        return
    if context.note_type not in NOTE_TYPES:
        raise InvalidArgument("INVALID_NOTE_TYPE", f"note type {context.note_type!r} is not one of "
                              f"{', '.join(t for t in NOTE_TYPES if t)}", note_type=context.note_type)
    bounded("jurisdiction", context.jurisdiction, 64)


def check_element(element: Element) -> None:
    if not element.codings and not (element.text or "").strip():
        raise InvalidArgument("ELEMENT_EMPTY", "element has neither codings nor text")
    bounded("id", element.id, MAX_ID_LENGTH)
    bounded("text", element.text)
    for system, code in element.codings:
        normalize(system, code)
    check_context(element.context)
