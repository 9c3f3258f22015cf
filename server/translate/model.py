"""What a translation returns: matches with relationship, confidence and provenance."""

from __future__ import annotations

from typing import NamedTuple


class Coding(NamedTuple):
    system: str
    code: str
    display: str = ""
    version: str = ""


class Provenance(NamedTuple):
    # curated-map | official-map | chain | hierarchy | text-match
    method: str
    map_set: str = ""
    map_set_version: str = ""
    status: str = ""  # accepted | auto | unreviewed ("" when no map entry decided it)
    path: tuple[Coding, ...] = ()
    advice: str = ""
    author: str = ""
    justification: str = ""


class Match(NamedTuple):
    target: Coding
    # FHIR R5, read from the request's coding to the target
    relationship: str
    confidence: float
    provenance: Provenance


class Translation(NamedTuple):
    result: bool
    message: str
    source: Coding
    matches: tuple[Match, ...]

    def as_dict(self) -> dict:
        return {"result": self.result, "message": self.message, "source": self.source._asdict(),
                "matches": [{"target": m.target._asdict(), "relationship": m.relationship,
                             "confidence": m.confidence,
                             "provenance": {**m.provenance._asdict(),
                                            "path": [c._asdict() for c in m.provenance.path]}}
                            for m in self.matches]}
