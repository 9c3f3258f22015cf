"""The coder's rule of the most specific code the entry supports. Billable
ICD-10-CM codes of one category pair up when a sibling says only qualifiers more
than an unspecified code (H61.20 "Impacted cerumen, unspecified ear" and H61.21
"..., right ear"). When an entry states all of a sibling's extra qualifiers and
the unspecified code outranks the sibling among its candidates, the sibling
takes the rank just above it: "Left hip fracture" reaches S72.002A even though
the alias "hip fracture" belongs to S72.009A."""

from __future__ import annotations

import numpy as np

from server.match import features
from server.match.normalize import word_set

UNSAID = frozenset({"unspecified", "uncomplicated", "nos"})  # words of the unspecified code's title
ASSUMED = frozenset({"unilateral", "primary"})  # what a coder assumes; entries rarely say it
AHEAD = 1.001  # the sibling's score over the unspecified code's


def qualifier_pairs(codes: list[str], billable, display_words: list[frozenset],
                    absent: list[frozenset] | None = None) -> list[tuple[int, int, frozenset]]:
    """(unspecified code, sibling, the sibling's display words the other lacks) for billable
    codes of one category where those words are qualifiers (ASSUMED ones aside). With `absent`
    (per code, what its display says it is without), a sibling may also say "without X", the
    default a coder takes when the entry is silent on X (F32.9 -> F32.2 "severe without
    psychotic features")."""
    by_category: dict[str, list[int]] = {}
    for c, (code, is_billable) in enumerate(zip(codes, billable)):
        if is_billable:
            by_category.setdefault(code[:3], []).append(c)
    pairs = []
    for members in by_category.values():
        for u in members:
            if not display_words[u] & UNSAID:
                continue
            for s in members:
                more = display_words[s] - display_words[u]
                if s == u or not more or not display_words[u] - display_words[s] <= UNSAID:
                    continue
                said = more - absent[s] - {"without"} if absent is not None else more
                if "without" in said or not said:
                    continue
                if len(features.qualifiers(" ".join(said))) >= len(said - ASSUMED):
                    pairs.append((u, s, more))
    return pairs


def siblings(codes: list[str], billable, display_words: list[frozenset],
             absent: list[frozenset]) -> dict[int, list[tuple[int, frozenset, frozenset]]]:
    """Per unspecified code: (sibling, the qualifiers an entry must state to name it, the words
    it must not mention)."""
    out: dict[int, list[tuple[int, frozenset, frozenset]]] = {}
    for u, s, more in qualifier_pairs(codes, billable, display_words, absent):
        need = features.qualifiers(" ".join(more - absent[s])) - ASSUMED - {"without"}
        if need:
            out.setdefault(u, []).append((s, need, more & absent[s]))
    return out


def prefer_specific(scores: np.ndarray, batch, sub) -> tuple[np.ndarray, np.ndarray]:
    """(scores with each stated sibling just above its unspecified code - the most specific
    sibling when several are stated -, per candidate the row whose support the calibrator reads:
    a promoted sibling is supported as well as the unspecified code's best term supports it)."""
    support = np.arange(len(scores))
    pairs = sub.specific_siblings
    if not pairs or not len(scores):
        return scores, support
    out = scores.copy()
    concepts = batch.cand_concept.tolist()
    for n, query in enumerate(batch.queries):
        lo, hi = int(batch.cand_start[n]), int(batch.cand_start[n + 1])
        hits = [(i, pairs[c]) for i, c in enumerate(concepts[lo:hi], lo) if c in pairs]
        if not hits:
            continue
        stated = frozenset().union(*(features.qualifiers(v.text) for v in query.variants))
        if not stated:
            continue
        said = frozenset().union(*(word_set(v.text) for v in query.variants))
        row = {c: i for i, c in enumerate(concepts[lo:hi], lo)}
        for i, options in hits:
            named = [(len(need), out[row[s]], row[s]) for s, need, unsaid in options
                     if s in row and need <= stated and unsaid.isdisjoint(said)]
            if named:
                j = max(named)[2]
                if out[j] < out[i]:
                    out[j], support[j] = out[i] * AHEAD, support[i]
    return out, support
