"""Sensitivity labels of re-coded rows: the engine's labeling over the source
coding, the target codings found and (for free text) the text; the
high-water mark of the row's elements, cached per distinct set of elements."""

from __future__ import annotations

from server.batch.resolve import FREE_TEXT_SYSTEM, Resolution
from server.labels.model import Element

MAX_CACHE = 100_000


class Labeler:
    def __init__(self, engine) -> None:
        self.engine = engine
        self._cache: dict = {}

    def labels(self, elements: list[Resolution]) -> tuple[str, tuple[str, ...]]:
        """(confidentiality code, sensitivity codes in code order)."""
        key = tuple(e.source for e in elements)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= MAX_CACHE:
                self._cache.clear()
            found = self._cache[key] = self._label(elements)
        return found

    def _label(self, elements: list[Resolution]) -> tuple[str, tuple[str, ...]]:
        items = []
        for n, e in enumerate(elements):
            system, code, display = e.source
            text = display if system == FREE_TEXT_SYSTEM else ""
            codings = ((system, code),) if system != FREE_TEXT_SYSTEM else ()
            codings += tuple((h.system, h.code) for h in e.hits.values())
            items.append(Element(id=str(n), codings=codings, text=text))
        _, high = self.engine.label_elements(items)
        return high.confidentiality.code, tuple(sorted({c.code for c in high.sensitivity}))
