"""Engine-level results of text matching (the RPC layer turns them into
MatchTextResponse; the CLI prints them; TranslateCode's last step reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.match.assertion import Assertion

AUTO, REVIEW, NO_MATCH = "auto", "review", "no_match"


@dataclass
class TextCandidate:
    system: str
    version: str
    code: str
    display: str
    confidence: float  # calibrated probability that this candidate is right
    matched_term: str  # the designation, alias or expansion that matched
    evidence: str
    relationship: str


@dataclass
class SystemMatches:
    system: str
    decision: str  # auto | review | no_match
    candidates: list[TextCandidate] = field(default_factory=list)


@dataclass
class MatchResult:
    normalized_text: str
    assertion: Assertion
    results: list[SystemMatches] = field(default_factory=list)

    def for_system(self, system: str) -> SystemMatches | None:
        return next((r for r in self.results if r.system == system), None)
