"""Character 3- and 4-gram TF-IDF inside word boundaries (scikit-learn's
`char_wb` analyzer), counted with numpy so that 100,000 terms take a second
rather than a minute. The idf weights are fitted by scikit-learn's
TfidfTransformer; rows are weighted the same way it does."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

SIZES = (3, 4)
_SEP = b"\x00" * max(SIZES)


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(document of each n-gram, n-gram code) for every n-gram of every ' word '."""
    if not texts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    docs = [b" " + t.encode("utf-8").replace(b" ", b"  ") + b" " for t in texts]
    lengths = np.fromiter((len(d) + len(_SEP) for d in docs), dtype=np.int64, count=len(docs))
    raw = np.frombuffer(_SEP.join(docs) + _SEP, dtype=np.uint8).astype(np.int64)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)[: len(raw)]
    out_docs, out_codes = [], []
    for n in SIZES:
        m = len(raw) - n + 1
        if m <= 0:
            continue
        code = np.full(m, n, dtype=np.int64)
        valid = np.ones(m, dtype=bool)
        for k in range(n):
            window = raw[k:k + m]
            code = (code << 8) | window
            valid &= window != 0
            if 0 < k < n - 1:
                valid &= window != 32  # inside a word, as char_wb
        valid &= ~((raw[:m] == 32) & (raw[1:m + 1] == 32))
        out_docs.append(doc_of[:m][valid])
        out_codes.append(code[valid])
    return np.concatenate(out_docs), np.concatenate(out_codes)


def tfidf_rows(rows: np.ndarray, cols: np.ndarray, n_rows: int, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf x idf, rows L2-normalized, from one (row, column) pair per occurrence
    (what TfidfTransformer(sublinear_tf=True) computes, without its per-call checks)."""
    width = np.int64(len(idf))
    keys, counts = np.unique(rows.astype(np.int64) * width + cols, return_counts=True)
    r, c = keys // width, keys % width
    data = (1.0 + np.log(counts)) * idf[c]
    norms = np.sqrt(np.bincount(r, weights=data * data, minlength=n_rows))
    data = data / norms[r]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n_rows))])
    return sp.csr_matrix((data.astype(np.float32), c.astype(np.int32), indptr), shape=(n_rows, len(idf)))


class CharNgrams:
    def __init__(self) -> None:
        self.vocabulary = np.zeros(0, dtype=np.int64)
        self.idf = np.zeros(0)

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        docs, codes = _codes(texts)
        self.vocabulary, columns = np.unique(codes, return_inverse=True)
        counts = sp.csr_matrix((np.ones(len(codes), dtype=np.float32), (docs, columns)),
                               shape=(len(texts), len(self.vocabulary)))
        self.idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_
        return tfidf_rows(docs, columns, len(texts), self.idf)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        docs, codes = _codes(texts)
        column = np.minimum(np.searchsorted(self.vocabulary, codes), len(self.vocabulary) - 1)
        known = self.vocabulary[column] == codes
        return tfidf_rows(docs[known], column[known], len(texts), self.idf)
