"""What labeling takes and gives: elements with their provenance context, and
per element the security labels with the evidence behind each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# How a label was reached (proto MatchPath).
EXACT_CODE, CODE_RANGE, HIERARCHY_ANCESTOR, TEXT_MATCH, PROVENANCE, IMPLIED = (
    "exact-code", "code-range", "hierarchy-ancestor", "text-match", "provenance", "implied")
AUTO, REVIEW, NO_MATCH = "auto", "review", "no_match"

PSYCHOTHERAPY, SUD_COUNSELING = "psychotherapy", "sud_counseling"
NOTE_TYPES = ("", PSYCHOTHERAPY, SUD_COUNSELING)


class Code(NamedTuple):
    system: str
    code: str
    display: str = ""


class Context(NamedTuple):
    """Where the data comes from: decides policies, not sensitivity."""

    part2_program: bool = False
    note_type: str = ""  # "", psychotherapy, sud_counseling
    jurisdiction: str = ""


@dataclass
class Element:
    id: str = ""
    codings: tuple[tuple[str, str], ...] = ()  # (system, code) as sent
    text: str = ""
    resource_type: str = ""
    context: Context | None = None  # overrides the request's context when set


class Evidence(NamedTuple):
    label: Code
    rule: str
    value_set: str
    value_set_version: str
    matched: Code | None
    path: str
    confidence: float = 1.0
    basis: str = ""  # the policy code this label rests on, if any (sec-label-basis)
    review: bool = False  # rests on a text match below the auto threshold


@dataclass(frozen=True)
class Labels:
    """One element's (or a whole request's) labels: exactly one confidentiality code."""

    confidentiality: Code
    sensitivity: tuple[Code, ...] = ()
    policy: tuple[Code, ...] = ()
    handling: tuple[Code, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    decision: str = AUTO
    basis: dict = field(default_factory=dict, compare=False, hash=False)  # label code -> policy Code

    def codes(self) -> list[Code]:
        return [self.confidentiality, *self.sensitivity, *self.policy, *self.handling]

    def as_json(self) -> dict:
        return {"confidentiality": self.confidentiality.code,
                "sensitivity": [c.code for c in self.sensitivity],
                "policy": [c.code for c in self.policy],
                "handling": [c.code for c in self.handling],
                "decision": self.decision,
                "evidence": [{"label": e.label.code, "rule": e.rule, "value_set": e.value_set,
                              "value_set_version": e.value_set_version,
                              "matched": f"{e.matched.system}|{e.matched.code}" if e.matched else "",
                              "path": e.path, "confidence": e.confidence} for e in self.evidence]}
