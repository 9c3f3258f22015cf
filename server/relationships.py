"""FHIR R5 ConceptMap relationships and the vocabularies that name them
(SSSOM/SKOS predicates, FHIR R4 equivalence)."""

from __future__ import annotations

EQUIVALENT = "equivalent"
NARROWER = "source-is-narrower-than-target"
BROADER = "source-is-broader-than-target"
RELATED = "related-to"
NOT_RELATED = "not-related-to"
ALL = (EQUIVALENT, NARROWER, BROADER, RELATED, NOT_RELATED)

_NAMES = {
    **{r: r for r in ALL},
    "skos:exactmatch": EQUIVALENT, "owl:equivalentclass": EQUIVALENT, "equal": EQUIVALENT, "equivalent": EQUIVALENT,
    "skos:broadmatch": NARROWER, "wider": NARROWER, "subsumes": BROADER,
    "skos:narrowmatch": BROADER, "narrower": BROADER, "specializes": NARROWER,
    "skos:closematch": RELATED, "skos:relatedmatch": RELATED, "relatedto": RELATED, "inexact": RELATED,
    "disjoint": NOT_RELATED, "unmatched": NOT_RELATED, "sssom:noTermFound": NOT_RELATED,
}

TO_SKOS = {EQUIVALENT: "skos:exactMatch", NARROWER: "skos:broadMatch", BROADER: "skos:narrowMatch",
           RELATED: "skos:relatedMatch", NOT_RELATED: "sssom:noTermFound"}
TO_R4_EQUIVALENCE = {EQUIVALENT: "equivalent", NARROWER: "wider", BROADER: "narrower", RELATED: "relatedto",
                     NOT_RELATED: "unmatched"}


def relationship(name: str) -> str | None:
    """The R5 relationship for a predicate or equivalence name, or None if unknown."""
    text = (name or "").strip()
    return _NAMES.get(text) or _NAMES.get(text.lower())
