"""MatchText: the request to Engine.match_text and its result to MatchTextResponse."""

from __future__ import annotations

from server.match.result import AUTO, NO_MATCH, REVIEW, MatchResult
from server.relationships import ALL as RELATIONSHIPS
from termbridge.v1 import common_pb2, translation_service_pb2 as pb

DECISION = {AUTO: common_pb2.DECISION_AUTO, REVIEW: common_pb2.DECISION_REVIEW,
            NO_MATCH: common_pb2.DECISION_NO_MATCH}
RELATIONSHIP = {r: common_pb2.Relationship.Value("RELATIONSHIP_" + r.upper().replace("-", "_")) for r in RELATIONSHIPS}


def match_text(engine, request: pb.MatchTextRequest) -> pb.MatchTextResponse:
    result = engine.match_text(request.text, tuple(request.target_systems), request.max_candidates,
                               request.auto_threshold if request.auto_threshold > 0 else None)
    return response(result)


def response(result: MatchResult) -> pb.MatchTextResponse:
    a = result.assertion
    return pb.MatchTextResponse(
        normalized_text=result.normalized_text,
        assertion=pb.Assertion(negated=a.negated, historical=a.historical, uncertain=a.uncertain, family=a.family,
                               triggers=a.triggers),
        results=[pb.SystemMatches(system=r.system, decision=DECISION[r.decision], candidates=[
            pb.TextCandidate(coding=common_pb2.Coding(system=c.system, version=c.version, code=c.code,
                                                      display=c.display),
                             confidence=c.confidence, matched_term=c.matched_term, evidence=c.evidence,
                             relationship=RELATIONSHIP[c.relationship])
            for c in r.candidates]) for r in result.results])
