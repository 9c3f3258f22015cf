"""Gravity SDOH categories for ICD-10-CM codes the curated maps do not list.

Category rules are derived from the maps and the ICD-10-CM hierarchy: a
category code whose billable codes all fall under one SDOHCC category falls
under it too (Z59.0 -> homelessness, because Z59.00, Z59.01 and Z59.02 do).
Range rules, read from the ICD-10-CM 2026 titles, cover what no map lists."""

from __future__ import annotations

from typing import NamedTuple

from server.relationships import EQUIVALENT, NARROWER, RELATED
from server.store.store import Store
from server.systems import ICD10CM, SDOHCC
from server.translate.hierarchy import all_billable_descendants, ancestor_levels
from server.translate.index import Edge, MapIndex, answers
from server.translate.model import Coding, Match, Provenance

RULE_FACTOR = 0.9


class RangeRule(NamedTuple):
    node: str  # the rule covers this ICD-10-CM code or block and everything under it
    title_contains: str
    category: str
    display: str
    confidence: float
    why: str


RANGE_RULES = (
    RangeRule("Z91.1", "due to financial hardship", "medical-cost-burden", "Medical Cost Burden", 0.8,
              "patient's noncompliance or underdosing due to financial hardship is an unmet medical cost need"),
    RangeRule("Z91.A", "due to financial hardship", "medical-cost-burden", "Medical Cost Burden", 0.8,
              "caregiver's noncompliance or underdosing due to financial hardship is an unmet medical cost need"),
    RangeRule("Z55-Z65", "", "sdoh-category-unspecified", "SDOH Category Unspecified", 0.5,
              "block Z55-Z65 (socioeconomic and psychosocial circumstances) without a more specific category"),
)


def best_categories(edges: list[Edge]) -> dict[str, Edge]:
    """The SDOHCC category edges of a code, from its best curation tier."""
    found = [e for e in answers(edges) if e.end.system == SDOHCC]
    top = min((e.tier for e in found), default=None)
    return {e.end.code: e for e in found if e.tier == top}


def category_edges(index: MapIndex, store: Store) -> dict[str, list[Edge]]:
    """ICD-10-CM category code -> the SDOHCC category edges its billable codes agree on."""
    return index.derive("sdoh", lambda: _category_edges(index, store))


def _category_edges(index: MapIndex, store: Store) -> dict[str, list[Edge]]:
    rules: dict[str, list[Edge]] = {}
    cs = index.code_systems.get(ICD10CM)
    if cs is None:
        return rules
    mapped = {code: cats for (system, code), edges in index.forward.items()
              if system == ICD10CM and (cats := best_categories(edges))}
    parents = index.parents(store, cs["id"])
    nodes = {a for code in mapped for level in ancestor_levels(store, cs["id"], code, parents) for a in level}
    for node in sorted(nodes - mapped.keys()):
        members = all_billable_descendants(store, cs["id"], node)
        if members and all(code in mapped for code, _ in members):
            edges = [_rule_edge(node, category, members, mapped)
                     for category in sorted(set.intersection(*(set(mapped[c]) for c, _ in members)))]
            if edges:
                rules[node] = edges
    return rules


def _rule_edge(node: str, category: str, members: list, mapped: dict) -> Edge:
    edges = [mapped[code][category] for code, _ in members]
    exact = all(e.relationship in (NARROWER, EQUIVALENT) for e in edges)
    first = edges[0]
    advice = (f"rule: every billable code under {node} ({', '.join(c for c, _ in members)}) "
              f"falls under {category}")
    path = tuple(Coding(ICD10CM, code, display) for code, display in members)
    prov = first.provenance._replace(method="hierarchy", path=path, advice=advice)
    return Edge(first.end, NARROWER if exact else RELATED,
                round(min(e.confidence for e in edges) * RULE_FACTOR, 4), first.tier, "", prov)


def range_rule(code: str, display: str, lineage: set[str]) -> list[Match]:
    """The first range rule that covers an ICD-10-CM code."""
    for rule in RANGE_RULES:
        if (rule.node == code or rule.node in lineage) and rule.title_contains in display.lower():
            advice = f"rule: {rule.node} \"{rule.title_contains or '*'}\" -> {rule.category}: {rule.why}"
            return [Match(Coding(SDOHCC, rule.category, rule.display), NARROWER, rule.confidence,
                          Provenance("hierarchy", advice=advice, author="termbridge"))]
    return []
