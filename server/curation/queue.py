"""The review queue: a draft's entries, filtered, most valuable review first.

Value of a review = frequency weight (1 + ln(1 + frequency)) x uncertainty.
Uncertainty is closeness to the auto threshold the proposal was made with,
measured in log-odds (evidence) so that it is 1 at the threshold and falls to
near 0 for near-certain (1.0) and hopeless (0.0) proposals: the ones just above
the threshold (auto, but barely) and just below it (almost auto) are where the
matcher is least sure and a curator's decision changes the most. Ties go to
the entry whose runner-up candidate is strongest (most ambiguous)."""

from __future__ import annotations

import math

from server import paging
from server.curation import versions
from server.curation.entries import SELECT, STATUSES, Entry, from_row
from server.errors import InvalidArgument
from server.match.service import auto_threshold
from server.store.store import Store
from server.validation import bounded

DEFAULT_STATUSES = ("unreviewed", "auto")


def priority(entry: Entry, default_threshold: float) -> float:
    threshold = entry.provenance.get("auto_threshold") or default_threshold
    uncertainty = 1 / (1 + abs(_logit(entry.confidence) - _logit(threshold)))
    return (1 + math.log1p(max(entry.frequency, 0))) * uncertainty


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def list_queue(store: Store, map_set: str, statuses=(), min_confidence: float = 0.0, max_confidence: float = 0.0,
               source_text: str = "", page_size: int = 0, page_token: str = "") -> tuple[list[Entry], str, int]:
    """(one page of entries, next page token, total matching)."""
    name = versions.valid_name(map_set)
    statuses = sorted(set(statuses)) or list(DEFAULT_STATUSES)
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise InvalidArgument("INVALID_STATUS", f"unknown curation status {unknown[0]!r}", status=unknown[0])
    for label, value in (("min_confidence", min_confidence), ("max_confidence", max_confidence)):
        if not 0.0 <= value <= 1.0:
            raise InvalidArgument("INVALID_CONFIDENCE", f"{label} must be within [0, 1]", field=label, value=value)
    source_text = bounded("source_text", source_text)
    size = paging.page_size(page_size)
    request = (name, statuses, min_confidence, max_confidence, source_text)
    offset = paging.decode(page_token, *request)
    draft = versions.draft(store, name)
    if draft is None:
        versions.find(store, name)  # an unknown name is NOT_FOUND; a set without a draft has an empty queue
        return [], "", 0
    where = f"WHERE e.map_set_id = ? AND e.status IN ({','.join('?' * len(statuses))}) AND e.confidence >= ?"
    params: list = [draft["id"], *statuses, min_confidence]
    if max_confidence > 0:
        where += " AND e.confidence <= ?"
        params.append(max_confidence)
    if source_text:
        where += " AND (e.source_display LIKE ? ESCAPE '\\' OR e.source_code = ?)"
        params += ["%" + source_text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                   source_text]
    entries = [from_row(r) for r in store.query(f"{SELECT} {where}", tuple(params))]
    threshold = auto_threshold()
    entries.sort(key=lambda e: (-priority(e, threshold), -_runner_up(e), e.id))
    chunk, token = paging.page(entries, offset, size, *request)
    return chunk, token, len(entries)


def _runner_up(entry: Entry) -> float:
    candidates = entry.provenance.get("candidates", [])
    return candidates[1]["confidence"] if len(candidates) > 1 else 0.0
