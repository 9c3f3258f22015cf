"""Free text labeled through the text matcher: the best ICD-10-CM / SNOMED CT
candidate per system is labeled like a coding, with the match's confidence; a
match below the auto threshold marks its labels for review."""

from __future__ import annotations

from server.labels.model import AUTO, NO_MATCH, REVIEW, TEXT_MATCH, Evidence

MAX_CANDIDATES = 5


def text_findings(engine, coding_findings, text: str) -> tuple[list[Evidence], str]:
    """(sensitivity evidence from the text's best candidates, how sure the reading is:
    auto when some system matched at or above its auto threshold, else review, or
    no_match when no system matched at all)."""
    result = engine.match_text(text, target_systems=(), max_candidates=MAX_CANDIDATES, auto_threshold=None)
    found, decisions = [], set()
    for system in result.results:
        if system.decision == NO_MATCH or not system.candidates:
            continue
        decisions.add(system.decision)
        top = system.candidates[0]
        found += [e._replace(path=TEXT_MATCH, confidence=top.confidence, review=system.decision != AUTO)
                  for e in coding_findings(top.system, top.code)]
    return found, AUTO if AUTO in decisions else REVIEW if decisions else NO_MATCH
