"""The plain baseline the harness measures against: character n-gram TF-IDF
(char_wb 3-4-grams) nearest neighbour over the terminology content a published
linker would index - titles, inclusion terms, loaded designations, public SNOMED
CT descriptions, SDOH category names and map-set labels, as written - with the
entry only lower-cased: no abbreviations, assertion cues, curated aliases,
coding conventions or re-ranking. Confidence is the cosine."""

from __future__ import annotations

import numpy as np

from server.match import content
from server.match.index import MatchIndex, term_text
from server.match.matcher import NO_MATCH_BELOW
from server.match.result import AUTO, NO_MATCH, REVIEW

PLAIN = (content.PREFERRED, content.INCLUSION, content.PUBLIC, content.MAP_LABEL)


class Baseline:
    def __init__(self, index: MatchIndex) -> None:
        self.index = index
        plain = {(system, code, term_text(text)) for system, code, text, kind in index.base.terms + index.maps.terms
                 if kind in PLAIN}
        self.rows = {}  # system -> (index rows of the plain terms, their matrix transposed)
        for system, sub in index.systems.items():
            rows = np.array([i for i, (c, t) in enumerate(zip(sub.term_concept.tolist(), sub.terms))
                             if (system, sub.codes[c], t) in plain], dtype=np.int64)
            self.rows[system] = (rows, sub.char[rows].T.tocsr())

    def rank(self, texts: list[str], system: str, held_out: list[tuple[str, set[str]] | None] | None = None):
        """[(codes best first, cosines)] per text; held_out[n] = (term text, codes) whose term to leave out."""
        sub = self.index.systems[system]
        rows, matrix = self.rows[system]
        scores = (self.index.vectorizers.char.transform([term_text(t) for t in texts]) @ matrix).tocsr()
        out = []
        for n in range(len(texts)):
            start, end = scores.indptr[n], scores.indptr[n + 1]
            order = np.argsort(-scores.data[start:end], kind="stable")
            codes, cosines, seen = [], [], set()
            for row, value in zip(rows[scores.indices[start:end][order]].tolist(),
                                  scores.data[start:end][order].tolist()):
                code = sub.codes[sub.term_concept[row]]
                if code in seen or held_out and held_out[n] and held_out[n][0] == sub.terms[row] \
                        and code in held_out[n][1]:
                    continue
                seen.add(code)
                codes.append(code)
                cosines.append(value)
                if len(codes) == 5:
                    break
            out.append((codes, np.array(cosines)))
        return out

    @staticmethod
    def decide(cosine: float, threshold: float) -> str:
        if cosine < NO_MATCH_BELOW:
            return NO_MATCH
        return AUTO if cosine >= threshold else REVIEW
