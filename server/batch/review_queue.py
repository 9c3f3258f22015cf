"""The review queue a job leaves behind: one line per (source, target system)
that needs a curator: a match below the auto threshold (with its candidates) or
no match at all (the source has no answer in any target system). Lines are
shaped as `termbridge curate queue --json` lines (without the id and etag a
map entry gets when it is stored), most frequent first, and `termbridge curate
import-queue` merges them into a map set's draft as `unreviewed` entries."""

from __future__ import annotations

import json
from pathlib import Path

from server.batch.resolve import REVIEW, Resolution
from server.errors import LoadError
from server.match.service import auto_threshold
from server.relationships import EQUIVALENT
from server.store.writer import MapRow


def items(resolution: Resolution, count: int, targets) -> list[dict]:
    """The queue lines one element contributes, `count` times seen."""
    system, code, display = resolution.source
    source = {"system": system, "code": code, "display": display}
    out = []
    for target in targets:
        hit = resolution.hits.get(target)
        if hit is not None and hit.decision != REVIEW:
            continue
        if hit is None and resolution.hits:
            continue  # answered in another system: not a gap a curator must fill
        candidates = [{"system": c.system, "code": c.code, "display": c.display, "confidence": c.confidence,
                       "relationship": c.relationship} for c in resolution.candidates.get(target, [])]
        out.append({"source": source, "target": {"system": target, "code": hit.code if hit else "",
                                                 "display": hit.display if hit else ""},
                    "relationship": hit.relationship if hit else EQUIVALENT,
                    "confidence": hit.confidence if hit else 0.0, "status": "unreviewed",
                    "candidates": candidates, "frequency": count})
    return out


def merge(lines) -> list[dict]:
    """Lines of many chunks as one queue: frequencies summed per (source, target
    system), the most frequent first, ties in code order."""
    merged: dict[tuple, dict] = {}
    for item in lines:
        key = (item["source"]["system"], item["source"]["code"], item["target"]["system"])
        found = merged.get(key)
        if found is None:
            merged[key] = dict(item)
        else:
            found["frequency"] += item["frequency"]
            if item["source"]["display"] < found["source"]["display"]:  # free text: one spelling, stable
                found["source"] = item["source"]
    return sorted(merged.values(), key=lambda i: (-i["frequency"], i["source"]["system"], i["source"]["code"],
                                                  i["target"]["system"]))


def dumps(item: dict) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def read(path: str | Path) -> list[MapRow]:
    """A review_queue.jsonl as map rows for curation's import (status, note and frequency in provenance)."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line, text in enumerate(fh, 1):
            if not text.strip():
                continue
            try:
                item = json.loads(text)
                source, target = item["source"], item["target"]
                extra = {"frequency": int(item.get("frequency") or 0), "auto_threshold": auto_threshold(),
                         "note": _note(target["code"], item.get("candidates") or [])}
                rows.append(MapRow(source["system"], source["code"], source.get("display", ""), target["system"],
                                   target["code"], target.get("display", ""), item.get("relationship") or EQUIVALENT,
                                   float(item.get("confidence") or 0.0), "unreviewed", "",
                                   json.dumps(extra, sort_keys=True)))
            except (ValueError, KeyError, TypeError) as exc:
                raise LoadError(path, line, f"not a review-queue line: {exc}") from None
    if not rows:
        raise LoadError(path, None, "no review-queue lines")
    return rows


def _note(target_code: str, candidates: list[dict]) -> str:
    """What the job saw, for the curator (curation keeps the note, not the candidates)."""
    if not target_code:
        return "batch re-coding: no match in any target system"
    return "batch re-coding candidates: " + ", ".join(f"{c['code']} {c['display']} ({c['confidence']})"
                                                     for c in candidates)
