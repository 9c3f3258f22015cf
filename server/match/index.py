"""The candidate index: for every target system, the normalized terms with their
concept and kind, character n-gram and word TF-IDF matrices (scikit-learn,
scipy sparse), exact and order-free lookups, and the word vocabulary for
spelling correction.

The base part is built once per content version (content.base_fingerprint) and
kept on disk (persist.py); the map part (accepted map entries and curations) is
small and rebuilt in memory."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from server.systems import ICD10CM
from server.match import abbreviations, content as content_mod, features, specific
from server.match.content import Content
from server.match.families import Families
from server.match.features import concept_flags, qualifiers
from server.match.ngrams import CharNgrams, tfidf_rows
from server.match.spelling import Speller
from server.match.wordfit import WordRows
from server.match.normalize import bag_key, content_words, normalize, tokens, word_set

log = logging.getLogger("termbridge.match")
# N-grams and words found in more terms than this share are too common to retrieve by.
RETRIEVAL_MAX_DF = 0.005
# Words in up to this share of a system's terms are searched when a reading has almost no rarer hits.
FALLBACK_MAX_DF = 0.08


def term_text(text: str) -> str:
    """The searchable form of a term or query: normalized tokens, one space apart."""
    return " ".join(tokens(normalize(text)))


def _expanded(text: str, terse: bool) -> str:
    """An alias or a map's source display written with abbreviations ("MDD REC MOD"), spelled out;
    a word that is also an abbreviation ("an", "bed") only in a source display, a legacy table's."""
    variants = abbreviations.expand(tokens(text), terse=terse)
    return variants[1].text if len(variants) > 1 else text


def _common(matrix: sp.csr_matrix) -> np.ndarray:
    df = np.bincount(matrix.indices, minlength=matrix.shape[1]) / max(matrix.shape[0], 1)
    return np.flatnonzero(df > RETRIEVAL_MAX_DF)


def _split(vectors: sp.csr_matrix, position: np.ndarray, n_common: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """(the rare columns, sparse; the common ones, dense) of row vectors; position maps a
    column to its place among the common ones, or -1."""
    rows = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))
    at = position[vectors.indices]
    common = at >= 0
    dense = np.zeros((vectors.shape[0], n_common), dtype=np.float32)
    dense[rows[common], at[common]] = vectors.data[common]
    keep = ~common
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=vectors.shape[0]))])
    return sp.csr_matrix((vectors.data[keep], vectors.indices[keep], indptr), shape=vectors.shape), dense


@dataclass
class QueryVectors:
    """Readings as vectors, each split into rare columns (sparse) and common ones (dense)."""

    char: tuple[sp.csr_matrix, np.ndarray]
    word: tuple[sp.csr_matrix, np.ndarray]
    words: sp.csr_matrix | None = None  # the word vectors whole (which words each reading has)
    heads: np.ndarray | None = None  # per entry: the row after the readings' that is its first clause, or -1


@dataclass
class Vectorizers:
    char: CharNgrams
    word: TfidfVectorizer
    common_char: np.ndarray  # columns too common to retrieve by (scored densely instead)
    common_word: np.ndarray

    @classmethod
    def fit(cls, texts: list[str]) -> tuple["Vectorizers", sp.csr_matrix, sp.csr_matrix]:
        """The vectorizers and the char and word matrices of `texts`."""
        char = CharNgrams()
        char_matrix = char.fit_transform(texts)
        word = TfidfVectorizer(analyzer=content_words, sublinear_tf=True, dtype=np.float32)
        word_matrix = word.fit_transform(texts).tocsr()
        return cls(char, word, _common(char_matrix), _common(word_matrix)), char_matrix, word_matrix

    def words(self, texts: list[str]) -> sp.csr_matrix:
        """As word.transform(texts), without scikit-learn's per-call checks."""
        vocabulary = self.word.vocabulary_
        rows, cols = [], []
        for n, text in enumerate(texts):
            for w in content_words(text):
                j = vocabulary.get(w)
                if j is not None:
                    rows.append(n)
                    cols.append(j)
        return tfidf_rows(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), len(texts), self.word.idf_)

    def queries(self, texts: list[str]) -> QueryVectors:
        if self.__dict__.get("positions") is None:
            self.positions = []
            for common, width in ((self.common_char, len(self.char.vocabulary)), (self.common_word, len(self.word.idf_))):
                position = np.full(width, -1, dtype=np.int64)
                position[common] = np.arange(len(common))
                self.positions.append(position)
        words = self.words(texts)
        return QueryVectors(_split(self.char.transform(texts), self.positions[0], len(self.common_char)),
                            _split(words, self.positions[1], len(self.common_word)), words)


class _PerItem:
    """A list cached on the index: `of` applied to each item of its list attribute `source`."""

    def __init__(self, of, source: str) -> None:
        self.of, self.source = of, source

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, index, owner=None):
        if index is None:
            return self
        value = index.__dict__[self.name] = [self.of(x) for x in getattr(index, self.source)]
        return value

    def extend(self, old, new) -> None:
        """Set on `new` (old's items and more) old's built list plus the added items' values."""
        built = old.__dict__[self.name]
        new.__dict__[self.name] = built + [self.of(x) for x in getattr(new, self.source)[len(built):]]

    @staticmethod
    def names(owner) -> list[str]:
        return [name for name, value in vars(owner).items() if isinstance(value, _PerItem)]


class SystemIndex:
    """The terms of one target system and everything needed to search them."""

    def __init__(self, system: str, codes: list[str], displays: list[str], billable: np.ndarray,
                 terms: list[str], term_concept: np.ndarray, term_kind: np.ndarray, char: sp.csr_matrix,
                 word: sp.csr_matrix) -> None:
        self.system, self.codes, self.displays, self.billable = system, codes, displays, billable
        self.terms, self.term_concept, self.term_kind = terms, term_concept, term_kind
        self.char, self.word = char, word
        self.char_t, self.word_t = char.T.tocsr(), word.T.tocsr()
        self.code_index = {c: i for i, c in enumerate(codes)}
        self.exact: dict[str, list[int]] = {}
        self.bag: dict[str, list[int]] = {}
        for i, t in enumerate(terms):
            self.exact.setdefault(t, []).append(i)
            key = bag_key(t)
            if key:
                self.bag.setdefault(key, []).append(i)
        order = np.argsort(term_concept, kind="stable")
        self.concept_terms = np.split(order, np.searchsorted(term_concept[order], np.arange(1, len(codes))))
        self.flags = concept_flags(system, codes, displays, term_concept, term_kind)
        self.common: tuple[sp.csr_matrix, sp.csr_matrix] | None = None  # char and word common columns

    def __len__(self) -> int:
        return len(self.terms)

    def mask(self, test, of: str = "codes") -> np.ndarray:
        """test(x) for each x of the list `of` ("codes", "displays" or "terms"), a str or tuple test
        being x.startswith(test): the ranking rules' tests of their candidates, each built once per index
        (test: a constant or a module's function, the key it is kept under)."""
        masks = self.__dict__.setdefault("_masks", {})
        found = masks.get((of, test))
        if found is None:
            check = (lambda x: x.startswith(test)) if isinstance(test, (str, tuple)) else test
            found = masks[(of, test)] = np.array([bool(check(x)) for x in getattr(self, of)], dtype=bool)
        return found

    @cached_property
    def families(self) -> Families | None:
        """ICD-10-CM code families (built on first use); None for other systems."""
        return Families.build(self.codes, self.term_concept, self.word) if self.system == ICD10CM else None

    @cached_property
    def category(self) -> np.ndarray:
        """Per concept, a number for its code's first three characters (an ICD-10-CM category)."""
        return np.unique([code[:3] for code in self.codes], return_inverse=True)[1].ravel()

    @cached_property
    def concept_of_display(self) -> dict[str, int]:
        """Per lowercased display, its concept (built on first use)."""
        return {d.lower(): c for c, d in enumerate(self.displays)}

    @cached_property
    def specific_siblings(self) -> dict[int, list[tuple[int, frozenset, frozenset]]]:
        """ICD-10-CM: per unspecified code, the siblings that say only qualifiers (or a default
        "without X") more, see specific.siblings."""
        if self.system != ICD10CM:
            return {}
        return specific.siblings(self.codes, self.billable, self.display_words, [p[1] for p in self.display_polarity])

    @cached_property
    def unspecified_of(self) -> dict[int, tuple[int, frozenset]]:
        """specific_siblings the other way: per stated sibling, (its unspecified code, the qualifiers
        it needs)."""
        return {s: (u, need) for u, options in self.specific_siblings.items() for s, need, _ in options}

    @cached_property
    def default_siblings(self) -> dict[int, list[tuple[int, frozenset]]]:
        """ICD-10-CM: per code, the siblings a coder takes when the entry is silent on what it has
        more, see specific.defaults."""
        if self.system != ICD10CM:
            return {}
        return specific.defaults(self.codes, self.billable, self.display_words, self.displays)

    @cached_property
    def complicated_siblings(self) -> dict[int, list[tuple[int, frozenset]]]:
        """default_siblings the other way: per default code, (the code that has X, X)."""
        out: dict[int, list[tuple[int, frozenset]]] = {}
        for a, options in self.default_siblings.items():
            for b, x in options:
                out.setdefault(b, []).append((a, x))
        return out

    # The re-ranker's features read these per candidate: built once per index.
    term_words = _PerItem(word_set, "terms")
    term_qualifiers = _PerItem(qualifiers, "terms")
    display_words = _PerItem(features.display_words, "displays")
    display_qualifiers = _PerItem(qualifiers, "displays")
    term_polarity = _PerItem(features.polarity, "terms")
    display_polarity = _PerItem(features.polarity, "displays")

    @cached_property
    def word_rows(self) -> WordRows:
        """The words of every term and display as sparse rows (the re-ranker's word-fit features)."""
        return WordRows((self.term_words, self.term_qualifiers, self.term_polarity),
                        (self.display_words, self.display_qualifiers, self.display_polarity), features.QUALIFIER_COLUMN)

    def warm(self) -> None:
        """Build what is otherwise built on first use."""
        for name in ("families", "category", "moderate_words", "specific_siblings", "unspecified_of",
                     "default_siblings", "complicated_siblings", *_PerItem.names(SystemIndex), "word_rows"):
            getattr(self, name)

    @cached_property
    def moderate_words(self) -> tuple[np.ndarray, sp.csr_matrix, sp.csr_matrix]:
        """The common word columns (positions among them) in at most FALLBACK_MAX_DF of this
        system's terms, and those columns x terms: present (1) and the terms' word weights."""
        common = self.common[1]
        df = np.bincount(common.indices, minlength=common.shape[1]) / max(common.shape[0], 1)
        columns = np.flatnonzero((df > 0) & (df <= FALLBACK_MAX_DF))
        weights = common[:, columns].T.tocsr()
        weights.sort_indices()
        present = weights.copy()
        present.data[:] = 1
        return columns, present, weights

    def extended(self, rows, concepts, vectorizers: "Vectorizers") -> "SystemIndex":
        """A copy with more terms (and concepts) appended; positions of the old ones kept."""
        codes, displays, billable = list(self.codes), list(self.displays), list(self.billable)
        position = dict(self.code_index)
        for _, code, _, _ in rows:
            if code not in position:
                position[code] = len(codes)
                codes.append(code)
                displays.append(concepts[(self.system, code)].display)
                billable.append(concepts[(self.system, code)].billable)
        texts = [t for _, _, t, _ in rows]
        out = SystemIndex(
            self.system, codes, displays, np.array(billable, dtype=bool), self.terms + texts,
            np.concatenate([self.term_concept, np.array([position[c] for _, c, _, _ in rows], dtype=np.int32)]),
            np.concatenate([self.term_kind, np.array([k for _, _, _, k in rows], dtype=np.int8)]),
            sp.vstack([self.char, vectorizers.char.transform(texts)]).tocsr(),
            sp.vstack([self.word, vectorizers.word.transform(texts)]).tocsr())
        for name in _PerItem.names(SystemIndex):
            if name in self.__dict__:  # already built: extend rather than rebuild on the next call
                getattr(SystemIndex, name).extend(self, out)
        if len(codes) == len(self.codes):
            for name in ("specific_siblings", "unspecified_of", "default_siblings", "complicated_siblings"):
                if name in self.__dict__:
                    setattr(out, name, getattr(self, name))
        return out


class MatchIndex:
    """Every target system's SystemIndex over shared vectorizers, plus the word vocabulary."""

    def __init__(self, fingerprint: str, vectorizers: Vectorizers, base: Content,
                 systems: dict[str, SystemIndex]) -> None:
        self.fingerprint, self.vectorizers, self.base, self.systems = fingerprint, vectorizers, base, systems
        self.maps = Content(concepts=base.concepts)
        self._split_common()
        counts = Counter(w for sub in systems.values() for t in sub.terms for w in t.split())
        known = frozenset(counts) | frozenset(w for k in abbreviations.load() for w in k.split())
        self.speller = Speller(counts, known)
        self.map_fingerprint = ""

    def warm(self) -> None:
        """Build what is otherwise built on first use, the re-ranker's word weights of every term
        included."""
        idf = features.word_idf(self.vectorizers)
        for sub in self.systems.values():
            sub.warm()
            sub.word_rows.weights(idf, features.GENERIC, features.QUALIFIERS)
            for words in sub.term_words:
                idf.specific_mass(words)

    def with_maps(self, overlay: Content, map_fingerprint: str) -> "MatchIndex":
        """This index with the map content appended (a new object; the old one keeps serving)."""
        merged = MatchIndex.__new__(MatchIndex)
        merged.__dict__.update(self.__dict__)
        merged.systems = dict(self.systems)
        for system, rows in _by_system(_rows(overlay.terms)).items():
            if system in merged.systems:
                merged.systems[system] = merged.systems[system].extended(rows, overlay.concepts, self.vectorizers)
            else:
                merged.systems.update(build_systems(overlay.concepts, rows, self.vectorizers))
        merged.maps, merged.map_fingerprint = overlay, map_fingerprint
        merged._split_common()
        return merged

    def _split_common(self) -> None:
        for sub in self.systems.values():
            if sub.common is None:
                sub.common = (sub.char[:, self.vectorizers.common_char].tocsr(),
                              sub.word[:, self.vectorizers.common_word].tocsr())


def _rows(terms) -> list[tuple[str, str, str, int]]:
    """Terms normalized, aliases also spelled out, duplicates dropped (best kind kept)."""
    best: dict[tuple[str, str, str], int] = {}
    for system, code, text, kind in terms:
        norm = term_text(text)
        if not norm:
            continue
        forms = [norm]
        if kind in (content_mod.ALIAS, content_mod.MAP_LABEL):
            forms.append(_expanded(norm, terse=kind == content_mod.MAP_LABEL))
        for form in forms:
            key = (system, code, form)
            best[key] = min(best.get(key, kind), kind)
    return [(s, c, t, k) for (s, c, t), k in best.items()]


def _by_system(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out


def build_systems(concepts, rows, vectorizers: Vectorizers, matrices=None) -> dict[str, SystemIndex]:
    """One SystemIndex per system; `matrices` = (char, word, row of each text) when already computed."""
    out = {}
    for system, items in _by_system(rows).items():
        codes = sorted({c for _, c, _, _ in items})
        position = {c: i for i, c in enumerate(codes)}
        texts = [t for _, _, t, _ in items]
        if matrices is None:
            char, word = vectorizers.char.transform(texts), vectorizers.word.transform(texts).tocsr()
        else:
            at = [matrices[2][t] for t in texts]
            char, word = matrices[0][at], matrices[1][at]
        out[system] = SystemIndex(
            system, codes, [concepts[(system, c)].display for c in codes],
            np.array([concepts[(system, c)].billable for c in codes], dtype=bool), texts,
            np.array([position[c] for _, c, _, _ in items], dtype=np.int32),
            np.array([k for _, _, _, k in items], dtype=np.int8), char, word)
    return out


def build(store, fingerprint: str) -> MatchIndex:
    base = content_mod.read_base(store)
    if base.skipped:
        log.warning("curated aliases name %d codes that are not loaded", len(base.skipped))
    rows = _rows(base.terms)
    texts = sorted({t for _, _, t, _ in rows})
    vectorizers, char, word = Vectorizers.fit(texts)
    matrices = (char, word, {t: i for i, t in enumerate(texts)})
    return MatchIndex(fingerprint, vectorizers, base, build_systems(base.concepts, rows, vectorizers, matrices))


def index_dir(db_path: str) -> Path:
    """Where the index of a database is kept: next to it."""
    return Path(f"{db_path}.match")
