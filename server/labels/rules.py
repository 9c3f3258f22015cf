"""From findings to labels: a category implies its HL7 ancestors; the
confidentiality code is the high-water mark of the categories' and policies'
levels; policies, refrains and obligations come from the provenance context only.
Exactly one confidentiality code per element, per resource, per request."""

from __future__ import annotations

from typing import NamedTuple

from server.labels import hl7
from server.labels.model import (AUTO, IMPLIED, PROVENANCE, PSYCHOTHERAPY, REVIEW, SUD_COUNSELING, Code, Context,
                                 Evidence, Labels)
from server.store.store import Store

CATEGORIES_SET = "termbridge/labels/categories"
POLICIES_SET = "termbridge/labels/policies"
DEFAULT_CONFIDENTIALITY = "N"  # HIPAA is the US norm: normal unless something raises it


class Category(NamedTuple):
    code: str
    parents: tuple[str, ...]
    confidentiality: str
    position: int


class Policy(NamedTuple):
    """What a provenance fact brings: a policy basis and the labels that go with it."""

    rule: str
    policy: str
    confidentiality: str
    sensitivity: tuple[str, ...]
    handling: tuple[str, ...]


PART2_HANDLING = ("NORDSCLCD", "CPLYCD", "RedisclosureProhibitionMark")
PART2 = Policy("provenance:part2_program", "42CFRPart2", "R", (), PART2_HANDLING)
# HIPAA 45 CFR 164.508(a)(2): psychotherapy notes need the patient's own authorization.
PSYCHOTHERAPY_NOTE = Policy("provenance:note_type=psychotherapy", "HIPAAPsyNotes", "V", ("PSYTHPN",), ("NOAUTH",))
# 42 CFR 2.11: SUD counseling notes are a Part 2 program's, kept apart and disclosed only with separate consent.
SUD_COUNSELING_NOTE = Policy("provenance:note_type=sud_counseling", "42CFRPart2", "V", ("SUD",), PART2_HANDLING)


def policies_for(context: Context) -> list[Policy]:
    out = [PART2] if context.part2_program else []
    if context.note_type == PSYCHOTHERAPY:
        out.append(PSYCHOTHERAPY_NOTE)
    elif context.note_type == SUD_COUNSELING:
        out.append(SUD_COUNSELING_NOTE)
    return out


def read_categories(store: Store) -> tuple[dict[str, Category], str]:
    """(category -> its parents, confidentiality and position; the default content version)."""
    rows = store.query("SELECT category, parents, confidentiality, version, position FROM label_categories")
    categories = {r["category"]: Category(r["category"], tuple(p for p in r["parents"].split("|") if p),
                                          r["confidentiality"], r["position"]) for r in rows}
    return categories, rows[0]["version"] if rows else ""


class Assembler:
    """Turns one element's findings into its Labels, and merges Labels (high-water mark)."""

    def __init__(self, categories: dict[str, Category], version: str) -> None:
        self.categories = categories
        self.version = version
        self.order = {c: n for n, c in enumerate(sorted(categories, key=lambda c: categories[c].position))}

    def _sorted(self, codes) -> tuple[Code, ...]:
        return tuple(hl7.act(c) for c in sorted(set(codes), key=lambda c: (self.order.get(c, len(self.order)), c)))

    def assemble(self, findings: list[Evidence], policies: list[Policy]) -> Labels:
        """`findings`: sensitivity evidence from codings and text, best first per category."""
        chosen: dict[str, Evidence] = {}
        for e in findings:
            held = chosen.get(e.label.code)
            if held is None or (held.review and not e.review):
                chosen[e.label.code] = e
        for p in policies:
            for code in p.sensitivity:
                chosen.setdefault(code, self._provenance(hl7.act(code), p))
        for code, e in list(chosen.items()):
            for parent in self.categories[code].parents if code in self.categories else ():
                if parent not in chosen:
                    chosen[parent] = Evidence(hl7.act(parent), f"ActCode {code} is-a {parent}", CATEGORIES_SET,
                                              self.version, e.matched, IMPLIED, e.confidence, e.basis, e.review)
        levels = [Evidence(hl7.confidentiality(self.categories[c].confidentiality), f"confidentiality of {c}",
                           CATEGORIES_SET, self.version, e.matched, IMPLIED, e.confidence, e.basis, e.review)
                  for c, e in chosen.items() if c in self.categories]
        levels += [self._provenance(hl7.confidentiality(p.confidentiality), p) for p in policies]
        confidentiality = self._highest(levels)
        extra = []
        for p in policies:
            extra += [self._provenance(hl7.act(c), p) for c in (p.policy, *p.handling)]
        evidence = [confidentiality, *(chosen[c.code] for c in self._sorted(chosen)), *_first_per_label(extra)]
        return self._labels(evidence, [hl7.act(p.policy) for p in policies],
                            [hl7.act(c) for p in policies for c in p.handling], self._sorted(chosen))

    def merge(self, many: list[Labels]) -> Labels:
        """The high-water mark: highest confidentiality, union of everything else."""
        if not many:
            return self.assemble([], [])
        distinct: dict[tuple, Labels] = {}
        for x in many:  # elements with the same labels add nothing
            distinct.setdefault((x.confidentiality, x.sensitivity, x.policy, x.handling, x.decision), x)
        many = list(distinct.values())
        if len(many) == 1:
            return many[0]
        evidence = _first_per_label(e for labels in many for e in labels.evidence[1:])
        confidentiality = self._highest([labels.evidence[0] for labels in many])
        decision = REVIEW if any(labels.decision == REVIEW for labels in many) else AUTO
        sensitivity = self._sorted(c.code for labels in many for c in labels.sensitivity)
        return self._labels([confidentiality, *evidence], [c for labels in many for c in labels.policy],
                            [c for labels in many for c in labels.handling], sensitivity, decision)

    def _labels(self, evidence: list[Evidence], policy: list[Code], handling: list[Code],
                sensitivity: tuple[Code, ...], decision: str | None = None) -> Labels:
        policy, handling = tuple(dict.fromkeys(policy)), tuple(dict.fromkeys(handling))
        if decision is None:
            decision = REVIEW if any(e.review for e in evidence) else AUTO
        return Labels(evidence[0].label, sensitivity, policy, handling, tuple(evidence), decision,
                      _basis(evidence, policy))

    def _highest(self, levels: list[Evidence]) -> Evidence:
        if not levels:
            return Evidence(hl7.confidentiality(DEFAULT_CONFIDENTIALITY), "default: no sensitive category matched",
                            CATEGORIES_SET, self.version, None, IMPLIED)
        top = max(hl7.rank(e.label.code) for e in levels)
        at_top = [e for e in levels if hl7.rank(e.label.code) == top]
        return next((e for e in at_top if not e.review), at_top[0])

    def _provenance(self, label: Code, policy: Policy) -> Evidence:
        return Evidence(label, policy.rule, POLICIES_SET, self.version, None, PROVENANCE, 1.0, policy.policy)


def _first_per_label(evidence) -> list[Evidence]:
    first: dict[str, Evidence] = {}
    for e in evidence:
        first.setdefault(e.label.code, e)
    return list(first.values())


def _basis(evidence: list[Evidence], policy: tuple[Code, ...]) -> dict[str, Code]:
    """label code -> the policy it rests on (DS4P sec-label-basis): with one policy,
    every label; with several, the labels a policy brought."""
    by_code = {p.code: p for p in policy}
    if len(policy) == 1:
        return {e.label.code: policy[0] for e in evidence if e.label.code not in by_code}
    return {e.label.code: by_code[e.basis] for e in evidence if e.basis in by_code and e.label.code not in by_code}
