"""One element (a coding, or a free-text entry) to its best target code in each
requested system, with a decision, cached per distinct element: HIE history
repeats the same few thousand codes and phrases millions of times.

A target system's answer is `auto` when its best match reaches the auto
threshold, `review` when there is a match below it, nothing otherwise. An
element's decision: review if any system's answer is review, else auto if any
is auto, else no_match."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from server.errors import InvalidArgument, NotFound, TermbridgeError
from server.match.service import auto_threshold
from server.relationships import EQUIVALENT, NOT_RELATED
from server.systems import canonical_system

AUTO, REVIEW, NO_MATCH = "auto", "review", "no_match"
DECISIONS = (AUTO, REVIEW, NO_MATCH)
# Free-text entries have no code: the review queue names them in this system by a digest of the text.
FREE_TEXT_SYSTEM = "http://termbridge.example.org/fhir/CodeSystem/free-text"
MAX_CANDIDATES = 5
MAX_CACHE = 200_000
TEXT_BATCH = 1000
SHORT_NAMES = {canonical_system(a): a for a in ("icd10cm", "snomed", "sdoh", "loinc", "rxnorm", "cpt", "hcpcs")}


class Hit(NamedTuple):
    system: str
    code: str
    display: str
    version: str
    relationship: str
    confidence: float
    decision: str  # auto | review


class Resolution(NamedTuple):
    source: tuple[str, str, str]  # system, code, display (free text: FREE_TEXT_SYSTEM, digest, text)
    hits: dict  # target system -> best Hit
    candidates: dict  # target system -> Hits a curator chooses from (review answers only)
    decision: str


@dataclass(frozen=True)
class Job:
    """What a re-coding job does; the same for every row, worker and executor."""

    targets: tuple[str, ...]  # canonical URIs, in column order
    code_column: str = ""
    system: str = ""  # fixed source system of every code
    system_column: str = ""
    text_column: str = ""
    labels: bool = False

    def short(self, system: str) -> str:
        return SHORT_NAMES.get(system, system)


def parse_targets(text: str) -> tuple[str, ...]:
    names = [t.strip() for t in (text or "").split(",") if t.strip()]
    if not names:
        raise InvalidArgument("TARGETS_REQUIRED", "name at least one target system")
    urls = [canonical_system(n) for n in names]
    unknown = [n for n, u in zip(names, urls) if u not in SHORT_NAMES]
    if unknown:
        raise InvalidArgument("UNSUPPORTED_TARGET", f"target {unknown[0]!r} is not one of "
                              f"{', '.join(SHORT_NAMES.values())}", target=unknown[0])
    return tuple(dict.fromkeys(urls))


def text_code(text: str) -> str:
    """The stable code of a free-text entry (case and spacing ignored)."""
    return "text-" + hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()[:16]


def decide(hits) -> str:
    decisions = {h.decision for h in hits}
    return REVIEW if REVIEW in decisions else AUTO if AUTO in decisions else NO_MATCH


class Unreadable(Exception):
    """An element the engine cannot take (unknown system, malformed code, text too long)."""


class Resolver:
    """Per worker: the engine's answers for the job's targets, cached by element.
    With `shared` (a dict proxy every worker holds), an element one worker
    resolved is not resolved again by another."""

    def __init__(self, engine, job: Job, shared=None) -> None:
        self.engine, self.job, self.threshold = engine, job, auto_threshold()  # for maps; free text: the matcher
        self.text_targets = job.targets
        self.shared = shared
        self._cache: dict = {}

    def code(self, system: str, code: str) -> Resolution:
        key = ("code", system, code)
        if key not in self._cache and not self._from_shared([key]):
            try:
                found = self._translate(system, code)
            except TermbridgeError as exc:
                found = Unreadable(exc.message)
            self._keep_all({key: found})
        return _checked(self._cache[key])

    def text(self, text: str) -> Resolution:
        key = ("text", " ".join(text.split()))
        if key not in self._cache:
            self.prefetch([text])
        return _checked(self._cache[key])

    def prefetch(self, texts) -> None:
        """Match the texts not known yet in one batch; a batch the engine refuses is
        retried text by text, so one bad entry fails only itself."""
        keys = list(dict.fromkeys(("text", " ".join(t.split())) for t in texts))
        todo = [k for k in keys if k not in self._cache]
        todo = [k for k in todo if k not in self._from_shared(todo)]
        if not todo:
            return
        try:
            found = self._match([text for _, text in todo])
        except TermbridgeError as exc:
            if len(todo) > 1:
                for _, text in todo:
                    self.prefetch([text])
                return
            found = [Unreadable(exc.message)]
        self._keep_all(dict(zip(todo, found)))

    def answers(self, keys) -> dict:
        """Resolve `keys` (("code", system, code) or ("text", text, "")): {key: Resolution or Unreadable}."""
        out = {}
        texts = [k[1] for k in keys if k[0] == "text"]
        for n in range(0, len(texts), TEXT_BATCH):
            batch = texts[n:n + TEXT_BATCH]
            self.prefetch(batch)
            out.update({("text", t): self._cache[("text", t)] for t in batch})
        for kind, system, code in keys:
            if kind == "code":
                try:
                    self.code(system, code)
                except Unreadable:
                    pass
                out[("code", system, code)] = self._cache[("code", system, code)]
        return out

    def preload(self, answers: dict) -> None:
        self._put(answers)

    def _from_shared(self, keys) -> dict:
        if self.shared is None:
            return {}
        found = {k: v for k, v in zip(keys, self.shared.get_many(keys)) if v is not None}
        self._put(found)
        return found

    def _keep_all(self, found: dict) -> None:
        self._put(found)
        if self.shared is not None:
            self.shared.update(found)

    def _put(self, found: dict) -> None:
        if len(self._cache) + len(found) > MAX_CACHE:
            self._cache.clear()
        self._cache.update(found)

    def _match(self, texts: list[str]) -> list[Resolution]:
        while True:
            try:
                results = self.engine.match_texts(texts, target_systems=self.text_targets,
                                                  max_candidates=MAX_CANDIDATES)
                break
            except NotFound as exc:  # a target the matcher has no content for: match the others
                if exc.reason != "SYSTEM_NOT_LOADED" or exc.metadata.get("system") not in self.text_targets:
                    raise
                self.text_targets = tuple(t for t in self.text_targets if t != exc.metadata["system"])
                if not self.text_targets:
                    return [Resolution((FREE_TEXT_SYSTEM, text_code(t), t), {}, {}, NO_MATCH) for t in texts]
        return [self._text_resolution(text, result) for text, result in zip(texts, results)]

    def _translate(self, system: str, code: str) -> Resolution:
        t = self.engine.translate_code(system, code, self.job.targets)
        hits, candidates = {}, {}
        for target in self.job.targets:
            found = [m for m in t.matches if m.target.system == target and m.relationship != NOT_RELATED]
            if not found and target == t.source.system and t.source.display:
                hits[target] = Hit(*t.source, EQUIVALENT, 1.0, AUTO)  # already coded in the target system
                continue
            ranked = [Hit(*m.target, m.relationship, round(m.confidence, 4),
                          AUTO if m.confidence >= self.threshold else REVIEW) for m in found]
            self._keep(target, ranked, hits, candidates)
        return Resolution(tuple(t.source[:3]), hits, candidates, decide(hits.values()))

    def _text_resolution(self, text: str, result) -> Resolution:
        hits, candidates = {}, {}
        for system in result.results:
            ranked = [Hit(c.system, c.code, c.display, c.version, c.relationship or EQUIVALENT,
                          round(c.confidence, 4), REVIEW) for c in system.candidates]
            if ranked and system.decision == AUTO:
                ranked[0] = ranked[0]._replace(decision=AUTO)
            self._keep(system.system, ranked, hits, candidates)
        return Resolution((FREE_TEXT_SYSTEM, text_code(text), text), hits, candidates, decide(hits.values()))

    @staticmethod
    def _keep(target: str, ranked: list[Hit], hits: dict, candidates: dict) -> None:
        if ranked:
            hits[target] = ranked[0]
            if ranked[0].decision == REVIEW:
                candidates[target] = ranked[:MAX_CANDIDATES]


def _checked(found):
    if isinstance(found, Unreadable):
        raise found
    return found
