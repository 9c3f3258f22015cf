"""Counts a job keeps (per chunk, merged in chunk order) and summary.json.

summary.json is deterministic for the same input, options and content
version, except its two timing fields: `seconds` and `per_second`."""

from __future__ import annotations

import json

from server.batch.resolve import DECISIONS, Resolution

TOP_UNMAPPED = 20
TIMING_FIELDS = ("seconds", "per_second")


class Tally:
    """Rows in/out/rejected, row decisions, and per target system how its elements
    were answered (a CSV/NDJSON row is one element; a FHIR resource has one per
    CodeableConcept it re-coded)."""

    def __init__(self, data: dict | None = None) -> None:
        data = data or {}
        self.rows_in = data.get("rows_in", 0)
        self.rows_out = data.get("rows_out", 0)
        self.rejected = data.get("rejected", 0)
        self.decisions = dict(data.get("decisions") or dict.fromkeys(DECISIONS, 0))
        self.targets = {k: dict(v) for k, v in (data.get("targets") or {}).items()}

    def element(self, resolution: Resolution, count: int, targets) -> None:
        for target in targets:
            hit = resolution.hits.get(target)
            counts = self.targets.setdefault(target, dict.fromkeys(DECISIONS, 0))
            counts[hit.decision if hit else "no_match"] += count

    def merge(self, other: "Tally") -> None:
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.rejected += other.rejected
        for k, v in other.decisions.items():
            self.decisions[k] = self.decisions.get(k, 0) + v
        for system, counts in other.targets.items():
            mine = self.targets.setdefault(system, dict.fromkeys(DECISIONS, 0))
            for k, v in counts.items():
                mine[k] += v

    def as_dict(self) -> dict:
        return {"rows_in": self.rows_in, "rows_out": self.rows_out, "rejected": self.rejected,
                "decisions": self.decisions, "targets": self.targets}


def top_unmapped(queue: list[dict]) -> list[dict]:
    """Sources with no answer in any target system, most rows first."""
    seen: dict[tuple, dict] = {}
    for item in queue:
        if not item["target"]["code"]:
            s = item["source"]
            seen.setdefault((s["system"], s["code"]), {**s, "rows": item["frequency"]})
    return sorted(seen.values(), key=lambda u: (-u["rows"], u["system"], u["code"]))[:TOP_UNMAPPED]


def summary(tally: Tally, queue: list[dict], job, source, fingerprint: str, seconds: float) -> dict:
    return {"input": source.path.rsplit("/", 1)[-1], "format": source.fmt,
            "targets": list(job.targets), "labels": job.labels, "content_fingerprint": fingerprint,
            "rows_in": tally.rows_in, "rows_out": tally.rows_out, "rejected": tally.rejected,
            "decisions": tally.decisions,
            "by_target_system": {t: tally.targets.get(t, dict.fromkeys(DECISIONS, 0)) for t in job.targets},
            "review_queue_lines": len(queue), "top_unmapped": top_unmapped(queue),
            "seconds": round(seconds, 3), "per_second": round(tally.rows_in / seconds, 1) if seconds > 0 else 0.0}


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
