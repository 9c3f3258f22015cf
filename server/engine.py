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
        return self.matching.match_text(text, target_systems, max_candidates, auto_threshold)

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
