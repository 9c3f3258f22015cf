"""FHIR $translate over the in-memory map index: input normalization, the
resolution steps for each target system, and a cache of answers per content
version."""

from __future__ import annotations

import threading

from server.errors import InvalidArgument, NotFound
from server.relationships import NOT_RELATED
from server.systems import ICD10CM, LOINC, SDOHCC, canonical_system, normalize_code
from server.translate.index import MapIndex, fingerprint
from server.translate.model import Coding, Match, Translation
from server.translate.resolve import Request, ambiguous_questions, chain, direct, hierarchy, text_match
from server.validation import bounded

MAX_TARGETS = 32
MAX_CACHE = 500_000


class Translator:
    def __init__(self, engine) -> None:
        self.engine = engine
        self._index: MapIndex | None = None
        self._lock = threading.Lock()
        self._seen = threading.local()

    def index(self) -> MapIndex:
        """The index of the current content. PRAGMA data_version (per connection)
        says cheaply whether anything was written since this thread last looked."""
        store = self.engine.store
        version = store.conn.execute("PRAGMA data_version").fetchone()[0]
        index = self._index
        if index is not None and getattr(self._seen, "version", None) == version:
            return index
        with self._lock:
            index = self._index
            if index is None or index.fingerprint != fingerprint(store):
                index = self._index = MapIndex(store)
        self._seen.version = version
        return index

    def translate(self, system: str, code: str, target_systems=(), reverse: bool = False, map_set: str = "",
                  version: str = "") -> Translation:
        return self.answer(self.index(), system, code, target_systems, reverse, map_set, version)

    def answer(self, index: MapIndex, system: str, code: str, target_systems=(), reverse: bool = False,
               map_set: str = "", version: str = "") -> Translation:
        """translate() from a given index: a batch answers from one content version."""
        key = (system, code, tuple(target_systems), reverse, map_set, version)
        found = index.cache.get(key)
        if found is None:
            found = self._translate(index, *key)
            if len(index.cache) >= MAX_CACHE:
                index.cache.clear()
            index.cache[key] = found
        return found

    def _translate(self, index: MapIndex, system, code, target_systems, reverse, map_set, version) -> Translation:
        store = self.engine.store
        req = self._request(index, system, code, target_systems, reverse, map_set, version)
        targets = list(dict.fromkeys(canonical_system(t, index.systems) for t in target_systems))
        src = req.source
        shown = Coding(src.system, f"{req.question}|{src.code}" if req.question else src.code, src.display,
                       req.cs["version"] if req.cs else bounded("version", version, 128))
        edges = req.source_edges()
        questions = ambiguous_questions(req, edges)
        if questions:
            return Translation(False, f"LOINC answer {src.code} maps differently for questions "
                               f"{', '.join(questions)}; send it with its question as QUESTION|ANSWER, "
                               f"e.g. {questions[0]}|{src.code}", shown, ())
        systems = targets or self._reachable(index, req)
        matches: list[Match] = []
        for target in systems:
            found = direct(edges, target) or chain(req, edges, target) or hierarchy(req, target)
            matches += sorted(found, key=lambda m: (-m.confidence, m.target.code))
        match_text = getattr(self.engine, "match_text", None)
        if not matches and match_text is not None and not req.map_set:
            matches = text_match(req, targets, match_text)
        matches = [self._complete(index, store, m) for m in matches]
        ok = any(m.relationship != NOT_RELATED for m in matches)
        return Translation(ok, "" if ok else self._why_not(req, systems), shown, tuple(matches))

    def _request(self, index, system, code, target_systems, reverse, map_set, version) -> Request:
        if len(target_systems) > MAX_TARGETS:
            raise InvalidArgument("TOO_MANY_TARGETS", f"at most {MAX_TARGETS} target systems per request",
                                  limit=MAX_TARGETS, size=len(target_systems))
        url = canonical_system(system, index.systems)
        question, code = _answer_in_context(url, code)
        code = normalize_code(url, code)
        map_set = bounded("map_set", map_set, 128)
        if map_set and map_set not in index.map_sets:
            raise NotFound("MAP_SET_NOT_FOUND", f"map set {map_set} is not loaded or not active", map_set=map_set)
        store = self.engine.store
        cs = self._code_system(index, url, bounded("version", version, 128))
        row = store.concept(cs["id"], code) if cs else None
        display = row["display"] if row else index.displays.get((url, code), "")
        return Request(index, store, Coding(url, code, display), question, reverse, map_set, cs,
                       bool(row["billable"]) if row else None)

    def _code_system(self, index: MapIndex, url: str, version: str):
        if not version:
            return index.code_systems.get(url)
        row = self.engine.store.code_system(url, version)
        if row is None and url in index.code_systems:
            raise NotFound("VERSION_NOT_FOUND", f"version {version} of {url} is not loaded", system=url,
                           version=version)
        return row

    @staticmethod
    def _reachable(index: MapIndex, req: Request) -> list[str]:
        """Target systems when the request names none: every system a map leads to,
        the source's own (non-billable ICD-10-CM) and SDOHCC for ICD-10-CM (rules)."""
        systems = list(index.targets[1 if req.reverse else 0])
        if req.source.system == ICD10CM and not req.reverse:
            systems += [s for s in (ICD10CM, SDOHCC) if s not in systems]
        return systems

    @staticmethod
    def _complete(index: MapIndex, store, match: Match) -> Match:
        """The target's display and version from its loaded code system."""
        cs = index.code_systems.get(match.target.system)
        row = store.concept(cs["id"], match.target.code) if cs else None
        if row is None:
            return match
        return match._replace(target=match.target._replace(display=row["display"], version=cs["version"]))

    @staticmethod
    def _why_not(req: Request, systems: list[str]) -> str:
        src = req.source
        if req.cs is not None and req.billable is None:
            return f"code {src.code} is not in {src.system} version {req.cs['version']}"
        where = ", ".join(systems) or "any system"
        if req.reverse:
            return f"no map leads to {src.system} {src.code} from {where}"
        return f"no map from {src.system} {src.code} to {where}"


def _answer_in_context(system: str, code: str) -> tuple[str, str]:
    """LOINC answers may come with their question: "88124-3|LA19952-3"."""
    if system == LOINC and "|" in (code or ""):
        question, answer = (part.strip() for part in code.split("|", 1))
        if question and answer:
            return question, answer
    return "", code
