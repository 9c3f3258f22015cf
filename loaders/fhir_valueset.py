"""FHIR ValueSet compose -> a stored expansion, over the code systems and value
sets in the store (this load's writes included, since it runs in the same
transaction).

include/exclude by concept list, by system alone (every active code), by filter
(is-a, descendent-of, is-not-a, generalizes over the hierarchy; =, in, not-in,
regex, exists over the code or a concept property; filters of one include are
ANDed), and by valueSet reference (intersected). `include.version` is used when
that version is loaded, else this load's version of the system, else the active
one. Inactive concepts come in only by explicit list or `compose.inactive: true`.
A part that needs content that is not loaded is counted as a skip reason; when
that happens and the resource carries `expansion.contains`, that expansion is
stored instead."""

from __future__ import annotations

import json
import re
from typing import Iterator

from loaders.base import Skipped, system_uri
from server.store.store import Store
from server.store.writer import Member
from server.systems import normalize_code

HIERARCHY_OPS = ("is-a", "descendent-of", "is-not-a", "generalizes")
CODE_PROPERTIES = ("concept", "code")

Members = dict  # (system, code) -> Member


class Expander:
    def __init__(self, store: Store, value_sets: dict[str, dict], systems_in_load: dict[str, int]) -> None:
        self.store = store
        self.value_sets = value_sets  # url and url|version -> resource, for this load
        self.systems_in_load = systems_in_load  # url -> cs_id
        self.done: dict[int, tuple[Members, list[str]]] = {}
        self.busy: set[int] = set()
        self.properties: dict[int, dict[str, dict]] = {}

    def rows(self, resource: dict) -> Iterator:
        members, reasons = self.expand(resource)
        carried = _carried_expansion(resource)
        if reasons and carried is not None:
            members, reasons = carried, ["compose needs content not loaded: stored the resource's own expansion"]
        yield from members.values()
        for reason in reasons:
            yield Skipped(0, reason)

    def expand(self, resource: dict) -> tuple[Members, list[str]]:
        key = id(resource)
        if key in self.done:
            return self.done[key]
        if key in self.busy:
            return {}, [f"value set reference cycle through {resource.get('url')}"]
        self.busy.add(key)
        compose = resource.get("compose") or {}
        reasons: list[str] = []
        if not compose:
            carried = _carried_expansion(resource)
            result = (carried, []) if carried is not None else ({}, ["no compose and no expansion"])
        else:
            inactive = compose.get("inactive") is True
            members: Members = {}
            for include in compose.get("include") or []:
                members.update(self._part(include, inactive, reasons) or {})
            for exclude in compose.get("exclude") or []:
                for k in self._part(exclude, True, reasons) or {}:
                    members.pop(k, None)
            result = (members, reasons)
        self.busy.discard(key)
        self.done[key] = result
        return result

    def _part(self, part: dict, inactive: bool, reasons: list[str]) -> Members | None:
        """One include/exclude: its system part intersected with its value sets; None if not expandable."""
        pieces: list[Members | None] = []
        if part.get("system"):
            pieces.append(self._system_part(part, inactive, reasons))
        for ref in part.get("valueSet") or []:
            pieces.append(self._value_set(ref, reasons))
        if not pieces or any(p is None for p in pieces):
            if not pieces:
                reasons.append("include/exclude with neither system nor valueSet")
            return None
        result = pieces[0]
        for other in pieces[1:]:
            result = {k: v for k, v in result.items() if k in other}
        return result

    def _system_part(self, part: dict, inactive: bool, reasons: list[str]) -> Members | None:
        system = system_uri(part["system"]) or part["system"]
        cs = self._code_system(system, part.get("version", ""))
        listed = part.get("concept") or []
        if listed:
            return self._listed(system, cs, listed, reasons)
        if cs is None:
            reasons.append(f"code system not loaded: {system}")
            return None
        codes = None
        for flt in part.get("filter") or []:
            found = self._filter(cs, flt, reasons)
            if found is None:
                return None
            codes = found if codes is None else codes & found
        return self._members(cs, codes, inactive)

    def _listed(self, system: str, cs, listed: list, reasons: list[str]) -> Members:
        out: Members = {}
        known = {}
        if cs is not None:
            codes = [normalize_code(system, c.get("code", "")) for c in listed]
            known = {r["code"]: r["display"] for r in self._select(
                "SELECT code, display FROM concepts WHERE cs_id = ? AND code IN ({})", cs["id"], codes)}
        for c in listed:
            code = normalize_code(system, c.get("code", ""))
            if cs is not None and code not in known:
                reasons.append(f"concept not in the loaded {system}")
                continue
            out[(system, code)] = Member(system, code, c.get("display") or known.get(code, ""),
                                         cs["version"] if cs is not None else "")
        return out

    def _value_set(self, ref: str, reasons: list[str]) -> Members | None:
        local = self.value_sets.get(ref) or self.value_sets.get(ref.split("|")[0])
        if local is not None:
            members, inner = self.expand(local)
            reasons.extend(inner)
            return members
        url, _, version = ref.partition("|")
        row = self.store.one("SELECT id FROM value_sets WHERE url = ? AND (? = '' OR version = ?) "
                             "ORDER BY version = ? DESC, active DESC, loaded_at DESC", (url, version, version, version))
        if row is None:
            reasons.append(f"value set not loaded: {url}")
            return None
        return {(r["system"], r["code"]): Member(r["system"], r["code"], r["display"], r["version"])
                for r in self.store.query("SELECT system, code, display, version FROM value_set_members "
                                          "WHERE vs_id = ?", (row["id"],))}

    def _code_system(self, url: str, version: str):
        if version:
            row = self.store.code_system(url, version)
            if row is not None:
                return row
        if url in self.systems_in_load:
            return self.store.one("SELECT * FROM code_systems WHERE id = ?", (self.systems_in_load[url],))
        return self.store.code_system(url)

    def _filter(self, cs, flt: dict, reasons: list[str]) -> set[str] | None:
        op, prop, value = flt.get("op", ""), flt.get("property", ""), str(flt.get("value", ""))
        if op in HIERARCHY_OPS:
            code = normalize_code(cs["url"], value)
            found = self._closure(cs["id"], code, below=op != "generalizes")
            if op == "descendent-of":
                found.discard(code)
            return self._all_codes(cs["id"]) - found if op == "is-not-a" else found
        if prop in CODE_PROPERTIES and op in ("=", "in", "not-in", "regex"):
            wanted = {v.strip() for v in value.split(",")} if op in ("in", "not-in") else {value}
            if op == "=" or op == "in":
                return wanted
            codes = self._all_codes(cs["id"])
            if op == "not-in":
                return codes - wanted
            return {c for c in codes if _regex(value).fullmatch(c)}
        if op in ("=", "in", "not-in", "regex", "exists"):
            return self._property_filter(cs["id"], op, prop, value)
        reasons.append(f"filter op {op!r} on {prop!r} not supported")
        return None

    def _property_filter(self, cs_id: int, op: str, prop: str, value: str) -> set[str]:
        if cs_id not in self.properties:
            self.properties[cs_id] = {r["code"]: json.loads(r["properties"] or "{}") for r in self.store.query(
                "SELECT code, properties FROM concepts WHERE cs_id = ?", (cs_id,))}
        wanted = {v.strip() for v in value.split(",")}
        out = set()
        for code, props in self.properties[cs_id].items():
            have = props.get(prop)
            values = {str(v).lower() if isinstance(v, bool) else str(v)
                      for v in (have if isinstance(have, list) else [have] if have is not None else [])}
            if (op == "=" and value in values) or (op == "in" and values & wanted) \
                    or (op == "not-in" and not values & wanted) or (op == "exists" and bool(values) == (value == "true")) \
                    or (op == "regex" and any(_regex(value).fullmatch(v) for v in values)):
                out.add(code)
        return out

    def _closure(self, cs_id: int, code: str, below: bool) -> set[str]:
        near, far = ("child", "parent") if below else ("parent", "child")
        return {r[0] for r in self.store.query(
            f"WITH RECURSIVE walk(code) AS (SELECT ? UNION SELECT h.{near} FROM hierarchy h JOIN walk "
            f"ON h.{far} = walk.code WHERE h.cs_id = ?) SELECT code FROM walk", (code, cs_id))}

    def _all_codes(self, cs_id: int) -> set[str]:
        return {r[0] for r in self.store.query("SELECT code FROM concepts WHERE cs_id = ?", (cs_id,))}

    def _members(self, cs, codes: set[str] | None, inactive: bool) -> Members:
        where = "" if inactive else " AND active = 1"
        if codes is None:
            rows = self.store.query(f"SELECT code, display FROM concepts WHERE cs_id = ?{where}", (cs["id"],))
        else:
            rows = self._select(f"SELECT code, display FROM concepts WHERE cs_id = ?{where} AND code IN ({{}})",
                                cs["id"], list(codes))
        return {(cs["url"], r["code"]): Member(cs["url"], r["code"], r["display"], cs["version"]) for r in rows}

    def _select(self, sql: str, cs_id: int, codes: list[str], chunk: int = 500) -> list:
        out = []
        for i in range(0, len(codes), chunk):
            part = codes[i:i + chunk]
            out += self.store.query(sql.format(",".join("?" * len(part))), (cs_id, *part))
        return out


def _carried_expansion(resource: dict) -> Members | None:
    contains = (resource.get("expansion") or {}).get("contains")
    if not contains:
        return None
    out: Members = {}
    stack = list(contains)
    while stack:
        item = stack.pop()
        stack.extend(item.get("contains") or [])
        if item.get("system") and item.get("code") and not item.get("abstract"):
            system = system_uri(item["system"]) or item["system"]
            code = normalize_code(system, item["code"])
            out[(system, code)] = Member(system, code, item.get("display", ""), item.get("version", ""))
    return out


def _regex(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error:
        return re.compile(re.escape(pattern))
