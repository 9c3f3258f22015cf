"""The matching pipeline over a MatchIndex: prepare each entry (assertion,
abbreviations, spelling), generate candidates per target system, re-rank them,
calibrate the scores and decide auto / review / no_match. Works on batches; a
unary call is a batch of one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from server import systems
from server.match import candidates, content, encounter, features, query as q_mod, specific
from server.match.index import MatchIndex
from server.match.rerank import Reranker
from server.match.result import AUTO, NO_MATCH, REVIEW, MatchResult, SystemMatches, TextCandidate
from server.relationships import EQUIVALENT, NARROWER

NO_MATCH_BELOW = 0.1
# Gravity SDOH codes are categories: the entry is a kind of the category.
CATEGORY_SYSTEMS = {systems.SDOHCC: NARROWER}


@dataclass
class Ranked:
    """One entry's candidates in one system, best first."""

    concepts: np.ndarray
    scores: np.ndarray
    terms: np.ndarray
    readings: np.ndarray
    confidences: np.ndarray


def decide(confidence: float | None, family_code: bool, history_code: bool, assertion, threshold: float) -> str:
    """auto only when sure and the entry asserts the condition as it is coded."""
    if confidence is None or confidence < NO_MATCH_BELOW:
        return NO_MATCH
    fits = not assertion.negated and not assertion.uncertain and (family_code or not assertion.family) \
        and (history_code or not assertion.historical)
    return AUTO if fits and confidence >= threshold else REVIEW


class Matcher:
    def __init__(self, index: MatchIndex, reranker: Reranker, versions: dict[str, str] | None = None) -> None:
        self.index, self.reranker, self.versions = index, reranker, versions or {}

    def prepare(self, texts: list[str]) -> list[q_mod.Query]:
        return [q_mod.prepare(t, self.index) for t in texts]

    def vectors(self, queries):
        """The readings' vectors, and after them those of the first clauses that are not a reading (less a
        cause they name: "closed fx neck of L femur" of "... after ground-level fall, 82 F")."""
        texts = candidates.readings(queries)
        heads = np.full(len(queries), -1, dtype=np.int64)
        for n, q in enumerate(queries):
            head = q.cause_of or q.head
            if head and head != q.reading:
                heads[n] = len(texts)
                texts.append(head)
        vectors = self.index.vectorizers.queries(texts)
        vectors.heads = heads
        return vectors

    def rank(self, queries, system: str, exclude: list[set[int]] | None = None, vectors=None) -> list[Ranked]:
        sub = self.index.systems[system]
        batch = candidates.generate(queries, sub, vectors or self.vectors(queries), exclude)
        x, best_term, best_reading = features.batch_features(batch, sub, features.word_idf(self.index.vectorizers))
        scores, support = specific.prefer_specific(self.reranker.scores(x), batch, sub, x, best_term)
        order = np.lexsort((-scores, batch.cand_query))  # by entry, best first
        first = np.zeros(len(order), dtype=bool)
        first[batch.cand_start[:-1][np.diff(batch.cand_start) > 0]] = True
        confidences = self.reranker.confidences(scores[order], first, x[support[order]])
        if len(order):  # never more confident than the entry's best
            confidences = np.minimum(confidences, confidences[batch.cand_start[batch.cand_query]])
        out = []
        for n in range(len(queries)):
            at = order[batch.cand_start[n]:batch.cand_start[n + 1]]
            sl = slice(batch.cand_start[n], batch.cand_start[n + 1])
            out.append(Ranked(batch.cand_concept[at], scores[at], best_term[at], best_reading[at], confidences[sl]))
        return out

    def match(self, texts: list[str], targets: list[str], max_candidates: int, threshold: float,
              exclude: dict[str, list[set[int]]] | None = None) -> list[MatchResult]:
        queries = self.prepare(texts)
        vectors = self.vectors(queries)
        results = [MatchResult(q.reading, q.assertion) for q in queries]
        for system in targets:
            ranked_all = self.rank(queries, system, (exclude or {}).get(system), vectors)
            for result, q, ranked in zip(results, queries, ranked_all):
                result.results.append(self._system_matches(system, q, ranked, max_candidates, threshold))
        return results

    def _system_matches(self, system: str, query, ranked: Ranked, limit: int, threshold: float) -> SystemMatches:
        sub = self.index.systems[system]
        top = ranked.concepts[0] if len(ranked.concepts) else None
        decision = decide(float(ranked.confidences[0]) if top is not None else None,
                          bool(sub.flags[top, 4]) if top is not None else False,
                          bool(sub.flags[top, 3]) if top is not None else False, query.assertion, threshold)
        out = SystemMatches(system, decision)
        texts = [v.text for v in query.variants]
        for concept, conf, term, reading in list(zip(ranked.concepts, ranked.confidences, ranked.terms,
                                                     ranked.readings))[:limit]:
            variant = query.variants[int(reading)]
            kind = content.KIND_NAMES[int(sub.term_kind[term])]
            code, display, why = encounter.extend(sub.codes[concept], sub.displays[concept], texts,
                                                  self.index.base.extensions)
            evidence = "; ".join((f"{kind} '{sub.terms[term]}'",) + variant.evidence + ((why,) if why else ()))
            out.candidates.append(TextCandidate(
                system, self.versions.get(system, ""), code, display,
                round(float(conf), 4), sub.terms[term], evidence, CATEGORY_SYSTEMS.get(system, EQUIVALENT)))
        return out
