"""How the words of each candidate's best term fit the entry reading it matched, for a whole
batch at once: the words both say, the entry's words the term lacks and the term's words the
entry does not say, counted, IDF-weighted and by qualifier group. Sparse 0/1 word rows over one
vocabulary per system index (extended per batch by the entries' unseen words), so a batch costs
a few sparse products instead of a Python loop over its candidates."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

COLUMNS = 14


class WordRows:
    """The words of a system's terms and displays as 0/1 rows over one vocabulary."""

    def __init__(self, terms: tuple[list, list, list], displays: tuple[list, list, list],
                 qualifier_column: dict[str, int]) -> None:
        """terms, displays: the word sets, qualifier sets and polarity (words said present, said
        absent) of each."""
        self.column: dict[str, int] = {}
        self.qualifier_column = qualifier_column
        self.terms, self.term_qualifiers, self.term_has, self.term_lacks = self._side(*terms)
        self.displays, self.display_qualifiers, self.display_has, self.display_lacks = self._side(*displays)
        self._weights: tuple | None = None

    def _side(self, words: list[frozenset], qualifiers: list[frozenset], polarity: list[tuple]) -> tuple:
        return (self._rows(words, self.column), self._dense(qualifiers),
                self._rows([p[0] for p in polarity], self.column), self._rows([p[1] for p in polarity], self.column))

    def _dense(self, sets: list[frozenset]) -> np.ndarray:
        """Qualifier words of the sets as 0/1 columns (a few dozen)."""
        out = np.zeros((len(sets), len(self.qualifier_column)), dtype=bool)
        for row, words in enumerate(sets):
            for w in words:
                out[row, self.qualifier_column[w]] = True
        return out

    @staticmethod
    def _rows(sets, column: dict, extra: dict | None = None) -> sp.csr_matrix:
        """Rows of the sets. A word not in `column` is added to it, or to `extra` when given (a
        batch's unseen words: columns after the vocabulary's)."""
        indices, indptr = [], [0]
        for words in sets:
            for w in words:
                c = column.get(w)
                if c is None:
                    if extra is None:
                        c = column[w] = len(column)
                    else:
                        c = extra.get(w)
                        if c is None:
                            c = extra[w] = len(column) + len(extra)
                indices.append(c)
            indptr.append(len(indices))
        return sp.csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64),
                              np.array(indptr, dtype=np.int64)), shape=(len(sets), len(column) + len(extra or ())))

    def weights(self, idf, generic: frozenset, groups: list[frozenset]) -> tuple[np.ndarray, ...]:
        """Per vocabulary word: IDF, generic (0/1), a number (0/1), and its qualifier group
        memberships (words x groups). Built once: an index keeps its word weights."""
        if self._weights is None:
            self._weights = _word_weights(list(self.column), idf, generic, groups)
        return self._weights


def _word_weights(vocabulary: list[str], idf, generic: frozenset, groups: list[frozenset]) -> tuple:
    get, unseen = idf.idf.get, idf.unseen
    weight = np.array([get(w, unseen) for w in vocabulary], dtype=np.float64)
    is_generic = np.array([w in generic for w in vocabulary], dtype=np.float64)
    digit = np.array([w.isdigit() for w in vocabulary], dtype=np.float64)
    member = np.array([[w in g for g in groups] for w in vocabulary], dtype=np.float64).reshape(-1, len(groups))
    return weight, is_generic, digit, member


def _widen(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    return sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def _count(matrix: sp.csr_matrix) -> np.ndarray:
    return np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()


def _row_max(matrix: sp.csr_matrix) -> np.ndarray:
    return np.asarray(matrix.max(axis=1).todense(), dtype=np.float64).ravel() if matrix.shape[0] else np.zeros(0)


def rows(words: WordRows, idf, generic: frozenset, groups: list[frozenset], readings: list[list[frozenset]],
         entry_words: list[frozenset], all_words: list[frozenset], heads: list[frozenset], cand_query: np.ndarray,
         best_term: np.ndarray, best_reading: np.ndarray, concepts: np.ndarray, reading_texts: list[str],
         term_texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """COLUMNS columns per candidate (cand_query: its entry; best_term and best_reading: its best
    pair; readings: per entry, the word set of each reading; entry_words: of the entry's reading;
    all_words: of all its readings): q_cov, t_cov, n_extra, n_generic, display_cov, token_set,
    ratio, n_missing, n_conflict, number_conflict, idf_q_cov, idf_t_cov, missing_idf, extra_idf;
    and the share of the entry's head words (its first clause) the term or display says."""
    n = len(cand_query)
    if not n:
        return np.zeros((0, COLUMNS), dtype=np.float32), np.zeros(0, dtype=np.float32)
    extra: dict[str, int] = {}
    flat = [s for entry in readings for s in entry]
    reading_rows = words._rows(flat, words.column, extra)
    entry_rows = words._rows(entry_words, words.column, extra)
    all_rows = words._rows(all_words, words.column, extra)
    head_rows = words._rows(heads, words.column, extra)
    width = len(words.column) + len(extra)
    weight, is_generic, digit, member = words.weights(idf, generic, groups)
    if extra:
        more = _word_weights(list(extra), idf, generic, groups)
        weight, is_generic, digit, member = (np.concatenate([a, b]) for a, b in
                                             zip((weight, is_generic, digit, member), more))
    offsets = np.cumsum([0] + [len(entry) for entry in readings])[:-1]
    v = _widen(reading_rows, width)[offsets[cand_query] + best_reading]
    q = _widen(entry_rows, width)[cand_query]
    a = _widen(all_rows, width)[cand_query]
    t = _widen(words.terms[best_term], width)
    d = _widen(words.displays[concepts], width)
    h = _widen(head_rows, width)[cand_query]
    both = t.multiply(v).tocsr()
    missing, added = (v - both).tocsr(), (t - both).tocsr()
    n_v, n_t, n_both = np.diff(v.indptr), np.diff(t.indptr), _count(both)
    n_d = np.diff(d.indptr)
    generic_missing, generic_added = missing @ is_generic, added @ is_generic
    specific = 1.0 - is_generic
    v_mass, common = v @ weight, both @ weight
    out = np.zeros((n, COLUMNS), dtype=np.float64)
    out[:, 0] = _count(t.multiply(q)) / np.maximum(np.diff(q.indptr), 1)
    out[:, 1] = n_both / np.maximum(n_t, 1)
    out[:, 2] = (n_t - n_both) - generic_added
    out[:, 3] = generic_added
    out[:, 4] = _count(d.multiply(a)) / np.maximum(n_d, 1)
    out[:, 5] = cpdist(reading_texts, term_texts, scorer=fuzz.token_set_ratio, dtype=np.float64) / 100
    out[:, 6] = cpdist(reading_texts, term_texts, scorer=fuzz.ratio, dtype=np.float64) / 100
    out[:, 7] = (n_v - n_both) - generic_missing
    out[:, 8] = (((missing @ member) > 0) & ((added @ member) > 0)).sum(axis=1)
    out[:, 9] = ((missing @ digit) > 0) & ((added @ digit) > 0)
    out[:, 10] = common / np.maximum(v_mass, 1e-6)
    out[:, 11] = common / np.maximum(t @ (weight * specific), 1e-6)
    out[:, 12] = _row_max(missing.multiply(weight).tocsr())
    out[:, 13] = _row_max(added.multiply(weight * specific).tocsr())
    head_said = _count((h.multiply(t) + h.multiply(d)) > 0) / np.maximum(np.diff(h.indptr), 1)
    return out.astype(np.float32), head_said.astype(np.float32)


def polarity_fit(words: WordRows, polarity: list[tuple[frozenset, frozenset]], cand_query: np.ndarray,
                 best_term: np.ndarray, concepts: np.ndarray) -> np.ndarray:
    """Per candidate (polarity: per entry, the words it says present and absent): the words the
    entry says one way and the code (its best term and display; a word said both ways is neither)
    the other, and the words both say absent."""
    if not len(cand_query):
        return np.zeros((0, 2), dtype=np.float32)
    extra: dict[str, int] = {}
    has = words._rows([p[0] for p in polarity], words.column, extra)
    lacks = words._rows([p[1] for p in polarity], words.column, extra)
    width = len(words.column) + len(extra)
    has, lacks = _widen(has, width)[cand_query], _widen(lacks, width)[cand_query]
    c_has = (_widen(words.term_has[best_term], width) + _widen(words.display_has[concepts], width)) > 0
    c_lacks = (_widen(words.term_lacks[best_term], width) + _widen(words.display_lacks[concepts], width)) > 0
    both = c_has.multiply(c_lacks)
    c_has, c_lacks = c_has.astype(np.float64) - both, c_lacks.astype(np.float64) - both
    return np.column_stack([_count(lacks.multiply(c_has)) + _count(has.multiply(c_lacks)),
                            _count(lacks.multiply(c_lacks))]).astype(np.float32)


def _in_group(rows: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per row of qualifier columns, the columns of a group it has a word of."""
    return (rows.astype(np.int32) @ group) @ group.T > 0  # integer products: no BLAS threads


def qualifier_fit(words: WordRows, group: np.ndarray, entry: list[frozenset], cand_query: np.ndarray,
                  best_term: np.ndarray, concepts: np.ndarray) -> np.ndarray:
    """Per candidate (qualifiers of its best term and display against the entry's; group: qualifier
    words x their groups, 0/1): said by both, said by the entry only, said by the candidate only in a
    respect the entry is silent on, entry qualifiers whose respect the candidate answers otherwise."""
    e = words._dense(entry)
    in_entry_group = _in_group(e, group)[cand_query]
    e = e[cand_query]
    c = words.term_qualifiers[best_term] | words.display_qualifiers[concepts]
    kinds, kind = np.unique(np.packbits(c, axis=1), axis=0, return_inverse=True)  # candidates share a few
    in_candidate_group = _in_group(np.unpackbits(kinds, axis=1, count=c.shape[1]).astype(bool), group)[kind.ravel()]
    missing = e & ~c
    return np.column_stack([(e & c).sum(axis=1), missing.sum(axis=1), (c & ~e & ~in_entry_group).sum(axis=1),
                            (missing & in_candidate_group).sum(axis=1)]).astype(np.float32)
