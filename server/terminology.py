"""Code systems, concepts and value sets: the engine behind TerminologyService
and the lookup/search CLI commands. Works on a Store, knows nothing of gRPC."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from server import paging
from server.errors import InvalidArgument, NotFound
from server.store.store import Store
from server.systems import canonical_system, normalize_code
from server.validation import MAX_URL_LENGTH, bounded

MAX_CHILDREN = 1000
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class ConceptView:
    system: str
    version: str
    code: str
    display: str
    active: bool
    billable: bool
    designations: list[dict] = field(default_factory=list)
    parents: list[tuple[str, str]] = field(default_factory=list)
    children: list[tuple[str, str]] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Hit:
    system: str
    version: str
    code: str
    display: str
    score: float
    matched_term: str
    billable: bool


def resolve(store: Store, system: str, version: str = ""):
    """The loaded code-system row for a system name (alias, OID or URI)."""
    known = {r["url"] for r in store.code_systems()}
    url = canonical_system(system, known)
    version = bounded("version", version, 128)
    row = store.code_system(url, version)
    if row is None:
        if version and store.code_system(url) is not None:
            raise NotFound("VERSION_NOT_FOUND", f"version {version} of {url} is not loaded",
                           system=url, version=version)
        raise NotFound("SYSTEM_NOT_LOADED", f"code system {url} is not loaded", system=url)
    return row


def lookup(store: Store, system: str, code: str, version: str = "") -> ConceptView:
    cs = resolve(store, system, version)
    code = normalize_code(cs["url"], code)
    row = store.concept(cs["id"], code)
    if row is None:
        raise NotFound("CODE_NOT_FOUND", f"code {code} is not in {cs['url']} version {cs['version']}",
                       system=cs["url"], version=cs["version"], code=code)
    view = ConceptView(cs["url"], cs["version"], row["code"], row["display"], bool(row["active"]),
                       bool(row["billable"]))
    view.designations = [dict(d) for d in store.designations(cs["id"], code)]
    view.parents = [(p["code"], p["display"]) for p in store.parents(cs["id"], code)]
    view.children = [(c["code"], c["display"]) for c in store.children(cs["id"], code)[:MAX_CHILDREN]]
    for key, value in json.loads(row["properties"] or "{}").items():
        for item in value if isinstance(value, list) else [value]:
            view.properties.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return view


def validate_code(store: Store, system: str, code: str, version: str = "",
                  display: str = "") -> tuple[bool, str, ConceptView | None]:
    """FHIR $validate-code: a missing code is result=false, not an error."""
    try:
        view = lookup(store, system, code, version)
    except NotFound as exc:
        if exc.reason != "CODE_NOT_FOUND":
            raise
        return False, exc.message, None
    display = bounded("display", display)
    if display:
        names = {view.display.casefold()} | {d["value"].casefold() for d in view.designations}
        if display.casefold() not in names:
            return False, f"display {display!r} is not a designation of {view.code}; expected {view.display!r}", view
    if not view.active:
        return False, f"code {view.code} is inactive", view
    return True, "", view


def search(store: Store, query: str, systems: list[str] | tuple = (), page_size: int = 0, page_token: str = "",
           billable_only: bool = False, include_inactive: bool = False) -> tuple[list[Hit], str]:
    query = bounded("query", query, required=True)
    tokens = _TOKEN.findall(query.casefold())
    if not tokens:
        raise InvalidArgument("QUERY_REQUIRED", "query has no words to search for", field="query")
    rows = [resolve(store, s) for s in systems] if systems else list(store.code_systems(include_inactive=False))
    by_id = {r["id"]: r for r in rows}
    size = paging.page_size(page_size)
    request = (query, sorted(by_id), billable_only, include_inactive)
    offset = paging.decode(page_token, *request)
    hits = _exact_code_hits(store, query, rows)
    seen = {(h.system, h.code) for h in hits}
    want = offset + size + 1
    for fts in (" ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*', " OR ".join(f'"{t}"' for t in tokens)):
        for r in store.query(
                "SELECT s.cs_id, s.code, s.term, bm25(search_terms) AS rank, c.display, c.billable, c.active "
                "FROM search_terms s JOIN concepts c ON c.cs_id = s.cs_id AND c.code = s.code "
                f"WHERE search_terms MATCH ? AND s.cs_id IN ({','.join('?' * len(by_id)) or 'NULL'}) "
                "ORDER BY rank LIMIT ?", (fts, *by_id, max(want * 8, 200))):
            cs = by_id[r["cs_id"]]
            if (cs["url"], r["code"]) in seen or (billable_only and not r["billable"]) \
                    or (not include_inactive and not r["active"]):
                continue
            seen.add((cs["url"], r["code"]))
            hits.append(Hit(cs["url"], cs["version"], r["code"], r["display"], round(-r["rank"], 4),
                            r["term"], bool(r["billable"])))
        if len(hits) >= want:
            break
    return paging.page(hits, offset, size, *request)


def _exact_code_hits(store: Store, query: str, rows) -> list[Hit]:
    if len(query) > 32 or " " in query.strip():
        return []
    out = []
    for cs in rows:
        row = store.concept(cs["id"], normalize_code(cs["url"], query))
        if row is not None:
            out.append(Hit(cs["url"], cs["version"], row["code"], row["display"], 1000.0, row["code"],
                           bool(row["billable"])))
    return out


def list_code_systems(store: Store, include_inactive: bool = False, page_size: int = 0,
                      page_token: str = "") -> tuple[list, str]:
    size = paging.page_size(page_size)
    offset = paging.decode(page_token, include_inactive)
    rows = store.code_systems(include_inactive=include_inactive)
    return paging.page(rows, offset, size, include_inactive)


def expand_value_set(store: Store, url: str, version: str = "", text_filter: str = "", page_size: int = 0,
                     page_token: str = ""):
    """FHIR $expand over a stored expansion: (value set row, members page, total, next token)."""
    url = bounded("url", url, MAX_URL_LENGTH, required=True)
    version = bounded("version", version, 128)
    text_filter = bounded("filter", text_filter)
    if version:
        vs = store.one("SELECT * FROM value_sets WHERE url = ? AND version = ?", (url, version))
    else:
        vs = store.one("SELECT * FROM value_sets WHERE url = ? ORDER BY active DESC, loaded_at DESC", (url,))
    if vs is None:
        raise NotFound("VALUE_SET_NOT_FOUND", f"value set {url} {version} is not loaded".replace("  ", " "),
                       url=url, version=version)
    size = paging.page_size(page_size)
    request = (url, vs["version"], text_filter)
    offset = paging.decode(page_token, *request)
    where, params = "vs_id = ?", [vs["id"]]
    if text_filter:
        where += " AND display LIKE ?"
        params.append(f"%{text_filter}%")
    total = store.one(f"SELECT count(*) FROM value_set_members WHERE {where}", tuple(params))[0]
    members = store.query(f"SELECT system, version, code, display FROM value_set_members WHERE {where} "
                          "ORDER BY system, code LIMIT ? OFFSET ?", (*params, size, offset))
    token = paging.encode(offset + size, *request) if offset + size < total else ""
    return vs, members, total, token
