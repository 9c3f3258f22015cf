"""MatchText for the Engine: request checks, the index's life (loaded from disk
on first use, built and saved when the content version has none, map content
refreshed in memory when accepted map entries change) and the auto threshold
(TERMBRIDGE_AUTO_THRESHOLD, default 0.94 for free text, or per request)."""

from __future__ import annotations

import logging
import os
import threading
import time

from server import systems
from server.errors import InvalidArgument, NotFound
from server.match import content, index as index_mod, persist, rerank
from server.match.matcher import Matcher
from server.match.result import MatchResult
from server.validation import bounded

log = logging.getLogger("termbridge.match")
DEFAULT_TARGETS = (systems.ICD10CM, systems.SNOMED, systems.SDOHCC)
DEFAULT_THRESHOLD = 0.9  # for a curated map's confidence (a crosswalk's, a local table's)
# For a free-text answer's calibrated confidence. Leaving each unread calibration set out in turn (11 sets,
# 2026-11-24), full-wording answers at or above 0.9 were right 0.940 of the time, at 0.94 0.955 (auto
# rate 0.50 -> 0.41; terse 0.982 -> 0.983, 0.86 -> 0.83).
TEXT_THRESHOLD = 0.94
MAX_TEXT = 1000
DEFAULT_CANDIDATES = 5
MAX_CANDIDATES = 50
MAP_CHECK_SECONDS = 5.0


def auto_threshold(value: float | None = None, default: float = DEFAULT_THRESHOLD) -> float:
    """The per-request threshold when given (> 0), else the configured one, else `default`."""
    if value is None or value == 0:
        raw = os.environ.get("TERMBRIDGE_AUTO_THRESHOLD", "")
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise InvalidArgument("BAD_AUTO_THRESHOLD", f"TERMBRIDGE_AUTO_THRESHOLD={raw!r} is not a number",
                                  value=raw) from None
    if not 0 < value <= 1:
        raise InvalidArgument("BAD_AUTO_THRESHOLD", f"auto threshold {value} is outside (0, 1]", value=value)
    return value


def build_index(store, db_path: str) -> str:
    """Build and save the base index for the store's content version (what `termbridge init` runs)."""
    fingerprint = content.base_fingerprint(store)
    if persist.load(db_path, fingerprint) is not None:
        return f"match index {fingerprint[:16]} is up to date"
    started = time.perf_counter()
    built = index_mod.build(store, fingerprint)
    where = persist.save(built, db_path)
    terms = sum(len(s) for s in built.systems.values())
    return (f"match index {fingerprint[:16]}: {terms:,} terms in {len(built.systems)} systems, "
            f"built in {time.perf_counter() - started:.1f}s{'' if where else ' (not saved)'}")


class MatchService:
    def __init__(self, db_path: str, store_of) -> None:
        self.db_path = db_path
        self.store_of = store_of  # () -> this thread's read-only Store
        self._lock = threading.Lock()
        self._matcher: Matcher | None = None
        self._checked = 0.0

    def matcher(self) -> Matcher:
        """The current matcher; loads or builds the index on first use, follows map changes."""
        matcher = self._matcher
        if matcher is not None and time.monotonic() - self._checked < MAP_CHECK_SECONDS:
            return matcher
        with self._lock:
            store = self.store_of()
            if self._matcher is None:
                self._matcher = self._load(store)
            elif time.monotonic() - self._checked >= MAP_CHECK_SECONDS:
                maps = content.map_fingerprint(store)
                if maps != self._matcher.index.map_fingerprint:
                    self._matcher = Matcher(self._with_maps(self._matcher.index, store, maps),
                                            self._matcher.reranker, self._versions(store))
            self._checked = time.monotonic()
            return self._matcher

    def _load(self, store) -> Matcher:
        fingerprint = content.base_fingerprint(store)
        index = persist.load(self.db_path, fingerprint)
        if index is None:
            log.info("building the match index for content %s", fingerprint[:16])
            index = index_mod.build(store, fingerprint)
            persist.save(index, self.db_path)
        index = self._with_maps(index, store, content.map_fingerprint(store))
        return Matcher(index, rerank.load(), self._versions(store))

    @staticmethod
    def _with_maps(index, store, maps: str):
        return index.with_maps(content.read_maps(store, index.base), maps)

    @staticmethod
    def _versions(store) -> dict[str, str]:
        return {r["url"]: r["version"] for r in store.code_systems(include_inactive=False)}

    def targets(self, target_systems) -> list[str]:
        matcher = self.matcher()
        if not target_systems:
            return [s for s in DEFAULT_TARGETS if s in matcher.index.systems]
        out = []
        for name in target_systems:
            system = systems.canonical_system(name, set(matcher.index.systems))
            if system not in matcher.index.systems:
                raise NotFound("SYSTEM_NOT_LOADED", f"code system {system} has no content to match text to",
                               system=system)
            if system not in out:
                out.append(system)
        return out

    def match_text(self, text: str, target_systems=(), max_candidates: int = DEFAULT_CANDIDATES,
                   auto_threshold_value: float | None = None) -> MatchResult:
        return self.match_texts([text], target_systems, max_candidates, auto_threshold_value)[0]

    def match_texts(self, texts: list[str], target_systems=(), max_candidates: int = DEFAULT_CANDIDATES,
                    auto_threshold_value: float | None = None, exclude=None) -> list[MatchResult]:
        """Many entries against the same targets in one batch."""
        texts = [bounded("text", t, MAX_TEXT, required=True) for t in texts]
        if max_candidates < 0 or max_candidates > MAX_CANDIDATES:
            raise InvalidArgument("BAD_MAX_CANDIDATES", f"max_candidates must be between 0 and {MAX_CANDIDATES}",
                                  max_candidates=max_candidates, limit=MAX_CANDIDATES)
        threshold = auto_threshold(auto_threshold_value, TEXT_THRESHOLD)
        targets = self.targets(target_systems)
        return self.matcher().match(texts, targets, max_candidates or DEFAULT_CANDIDATES, threshold, exclude)
