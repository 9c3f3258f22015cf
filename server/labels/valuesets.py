"""The active label rules compiled into lookups: exact codes per system,
ICD-10-CM prefixes (the dotted code's own prefixes are looked up) and category
ranges, SNOMED CT `descendants` roots (the code itself, and its ancestors when
a SNOMED CT release with its hierarchy is loaded)."""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, NamedTuple

from server.labels.catalog import rule_key
from server.labels.model import CODE_RANGE, EXACT_CODE, HIERARCHY_ANCESTOR
from server.store.store import Store
from server.systems import ICD10CM, SNOMED

PATH_ORDER = {EXACT_CODE: 0, CODE_RANGE: 1, HIERARCHY_ANCESTOR: 2}
MATCH_ORDER = {"code": 0, "prefix": 1, "range": 2, "descendants": 3}


class Rule(NamedTuple):
    category: str
    key: str  # CATEGORY|system|match|code
    value_set: str
    version: str
    system: str
    match: str
    code: str
    display: str
    exclude: bool


def active_rules(store: Store) -> list[Rule]:
    """Rules of the active value sets, exclusion rows switched as configured."""
    switches = dict(store.query("SELECT rule_key, state FROM label_exclusion_settings"))
    out = []
    for r in store.query("SELECT s.category, s.name, s.version, r.system, r.match, r.code, r.display, r.exclude "
                         "FROM label_rules r JOIN label_value_sets s ON s.id = r.vs_id WHERE s.active = 1 "
                         "ORDER BY s.id, r.rowid"):
        key = rule_key(r["category"], r["system"], r["match"], r["code"])
        exclude = bool(r["exclude"])
        state = switches.get(key) if exclude else None
        if state == "off":
            continue
        out.append(Rule(r["category"], key, r["name"], r["version"], r["system"], r["match"], r["code"],
                        r["display"], exclude and state != "include"))
    return out


def icd_prefixes(code: str) -> list[str]:
    """F10.239 -> F10, F10.2, F10.23, F10.239 (complete ICD-10-CM items only)."""
    return [code[:3], *(code[:i] for i in range(5, len(code) + 1))]


class RuleIndex:
    def __init__(self, rules: list[Rule], ancestors: Callable[[str], list[str]] | None = None) -> None:
        self.exact: dict[tuple[str, str], list[Rule]] = defaultdict(list)
        self.prefix: dict[str, list[Rule]] = defaultdict(list)
        self.ranges: list[tuple[str, str, Rule]] = []
        self.roots: dict[str, list[Rule]] = defaultdict(list)
        self.ancestors = ancestors  # SNOMED CT code -> its ancestors, when a release is loaded
        for rule in rules:
            if rule.match == "code":
                self.exact[(rule.system, rule.code)].append(rule)
            elif rule.match == "prefix":
                self.prefix[rule.code].append(rule)
            elif rule.match == "range":
                low, high = rule.code.split("-")
                self.ranges.append((low, high, rule))
            else:
                self.roots[rule.code].append(rule)

    def hits(self, system: str, code: str) -> list[tuple[Rule, str]]:
        """Every rule (inclusion or exclusion) matching a normalized coding, with its path."""
        out = [(r, EXACT_CODE) for r in self.exact.get((system, code), ())]
        if system == ICD10CM:
            for p in icd_prefixes(code):
                out += [(r, CODE_RANGE) for r in self.prefix.get(p, ())]
            head = code[:3]
            out += [(r, CODE_RANGE) for low, high, r in self.ranges if low <= head <= high]
        elif system == SNOMED and self.roots:
            out += [(r, EXACT_CODE) for r in self.roots.get(code, ())]
            for ancestor in self.ancestors(code) if self.ancestors else ():
                out += [(r, HIERARCHY_ANCESTOR) for r in self.roots.get(ancestor, ())]
        return out

    def categories(self, system: str, code: str) -> dict[str, tuple[Rule, str]]:
        """category -> the most specific inclusion rule and path, for categories no
        exclusion row of the same category removes."""
        best: dict[str, tuple[Rule, str]] = {}
        excluded = set()
        for rule, path in self.hits(system, code):
            if rule.exclude:
                excluded.add(rule.category)
                continue
            held = best.get(rule.category)
            if held is None or _specificity(rule, path) < _specificity(*held):
                best[rule.category] = (rule, path)
        return {c: hit for c, hit in best.items() if c not in excluded}


def _specificity(rule: Rule, path: str) -> tuple:
    return PATH_ORDER[path], MATCH_ORDER[rule.match], -len(rule.code)
