"""The engine: everything the service does, usable without gRPC. Servicers,
the CLI, batch jobs and tests all call this."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from server.curation.roles import Curators
from server.labels import Context, Element, FhirLabels, Labeler, Labels, label_fhir
from server.store.store import Store, StorePool
from server.match.result import MatchResult
from server.match.service import MatchService
from server.translate import Translation, Translator


class DeferredTextMatch(Exception):
    """Raised by Engine.match_text while a batch is collecting the texts it needs (text_matches)."""


class _TextMatches(threading.local):
    answers: dict | None = None  # (text, targets, max_candidates, auto_threshold) -> MatchResult
    wanted: list | None = None  # such keys asked for while collecting


class Engine:
    def __init__(self, db_path: str, curators: Curators | None = None) -> None:
        self.db_path = db_path
        self.pool = StorePool(db_path)
        self.curators = curators or Curators()  # who may make curation writes over gRPC
        self._writer: Store | None = None
        self._write_lock = threading.Lock()
        self.translator = Translator(self)  # code translation over an in-memory map index
        self.labeler = Labeler(self)  # security labels from rules compiled per content version
        self.matching = MatchService(db_path, lambda: self.store)  # free text -> codes (server.match)
        self._text_matches = _TextMatches()  # this thread's batch of text matches (text_matches)

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """The one writable store (curation writes), held by one caller at a time."""
        with self._write_lock:
            if self._writer is None:
                self._writer = Store(self.db_path)
            yield self._writer

    @property
    def store(self) -> Store:
        """This thread's read-only store connection."""
        return self.pool.get()

    def translate_code(self, system: str, code: str, target_systems=(), reverse: bool = False, map_set: str = "",
                       version: str = "") -> Translation:
        """FHIR $translate: the code's matches in the target systems (server.translate)."""
        return self.translator.translate(system, code, target_systems, reverse, map_set, version)

    def match_text(self, text: str, target_systems=(), max_candidates: int = 5,
                   auto_threshold: float | None = None) -> MatchResult:
        """Free text -> ranked candidates per target system with calibrated confidence (server.match)."""
        batch = self._text_matches
        if batch.answers is not None:
            key = (text, tuple(target_systems), max_candidates, auto_threshold)
            found = batch.answers.get(key)
            if found is not None:
                return found
            if batch.wanted is not None:
                batch.wanted.append(key)
                raise DeferredTextMatch
        return self.matching.match_text(text, target_systems, max_candidates, auto_threshold)

    @contextmanager
    def text_matches(self, collect: bool = False) -> Iterator[tuple[dict, list | None]]:
        """A batch's text matches on this thread: (answers, wanted). match_text answers from
        `answers` (key: its arguments); while collecting, a text not answered there is
        appended to `wanted` and match_text raises DeferredTextMatch instead of matching.
        The caller fills `answers` with match_texts, one batch per targets and options."""
        batch = self._text_matches
        outer = batch.answers, batch.wanted
        batch.answers = {} if outer[0] is None else outer[0]
        batch.wanted = [] if collect else None
        try:
            yield batch.answers, batch.wanted
        finally:
            batch.answers, batch.wanted = outer

    def match_texts(self, texts: list[str], target_systems=(), max_candidates: int = 5,
                    auto_threshold: float | None = None) -> list[MatchResult]:
        """match_text for many entries in one batch (batch re-coding)."""
        return self.matching.match_texts(texts, target_systems, max_candidates, auto_threshold)

    def label_elements(self, elements: list[Element], context: Context = Context()) -> tuple[list[Labels], Labels]:
        """DS4P security labels per element, in order, and the request's high-water mark (server.labels)."""
        return self.labeler.label_elements(elements, context)

    def label_fhir(self, resource_json: str, context: Context = Context()) -> FhirLabels:
        """The resource (or Bundle) with meta.security set, and the labels behind it."""
        return label_fhir(self.labeler.index(), resource_json, context)
