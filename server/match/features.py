"""Features of a (entry, candidate concept) pair for the re-ranker: how similar
the best term is (char and word TF-IDF, exact, order-free, rapidfuzz), how much
of the entry it covers and how much it adds (by word count and by IDF weight, and
the rarest word one side has that the other lacks), how the coder's qualifiers
(side, severity, course, with/without, trimester) of the entry and the code agree,
what the entry says "without" that the code says it has (and the reverse),
how much of the entry's first clause the code says, the best similarity in the
code's ICD-10-CM category, where the term came from, what the code is (billable,
depth, "unspecified", "other", history/family codes) and how that fits the
assertion found in the entry."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz

from server import systems
from server.match import content, query as q_mod, wordfit
from server.match.normalize import SAME_WORD, STOPWORDS, normalize, word_set, words

GENERIC = frozenset("unspecified nos uncomplicated without complication not elsewhere classified otherwise specified "
                    "initial encounter disorder disease condition type site other unsp".split())
_UNSPECIFIED = re.compile(r"\bunspecified\b|\bnos\b|not otherwise specified")
# Qualifiers that exclude each other: a term saying another one is a different code.
QUALIFIERS = [frozenset(g.split()) for g in (
    "left right bilateral unilateral", "mild moderate severe profound", "acute chronic subacute",
    "early sustained", "partial full", "single recurrent", "with without", "initial subsequent sequela",
    "abuse dependence", "upper lower", "primary secondary", "type1 type2", "first second third", "low high",
    "reduced preserved")]
# Words a coder codes by (side, severity, course, with/without, trimester...): the entry's ones
# absent from a candidate, the candidate's ones the entry does not say, and clashes.
_SAME = {**SAME_WORD, "bilat": "bilateral", "type 1": "type1", "type i": "type1", "type 2": "type2",
         "type ii": "type2", "decreased": "low", "elevated": "high", "increased": "high"}
_QUALIFIER_GROUP = {w: n for n, g in enumerate(QUALIFIERS + [frozenset({"remission"}), frozenset({"intractable"})])
                    for w in g}
_QUALIFIER_SET = frozenset().union(*QUALIFIERS)
ALL_QUALIFIERS = frozenset(_QUALIFIER_GROUP)
QUALIFIER_COLUMN = {w: n for n, w in enumerate(sorted(_QUALIFIER_GROUP))}
QUALIFIER_GROUPS = np.zeros((len(QUALIFIER_COLUMN), max(_QUALIFIER_GROUP.values()) + 1), dtype=np.int32)  # word x group
QUALIFIER_GROUPS[[QUALIFIER_COLUMN[w] for w in _QUALIFIER_GROUP], list(_QUALIFIER_GROUP.values())] = 1
_QUALIFIER_WORDS = re.compile(r"\b(%s)\b(?<!low(?= back))" % "|".join(sorted(
    [w for w in _QUALIFIER_GROUP if not w.startswith("type")] + list(_SAME), key=len, reverse=True)))
N_KINDS, N_READINGS = 7, 6
BATCH_ROWS = 300  # from this many candidate rows the word features are sparse products (wordfit), else a loop
SCOPE = 2  # words a "without" reaches
FLAG_NAMES = ["billable", "unspecified", "other", "history_code", "family_code", "depth", "seventh", "has_alias",
              "log_terms", "icd", "snomed", "sdoh"]
NAMES = (["char", "word", "comb", "char_primary", "word_primary", "exact", "exact_typed", "bag"]
         + [f"term_{k}" for k in range(N_KINDS)] + [f"reading_{k}" for k in range(N_READINGS)]
         + ["q_cov", "t_cov", "n_extra", "n_generic", "display_cov", "token_set", "ratio", "n_missing",
            "n_conflict", "number_conflict", "idf_q_cov", "idf_t_cov", "missing_idf", "extra_idf",
            "qual_hit", "qual_missing", "qual_extra", "qual_clash", "says_unspecified", "unspecified_fit",
            "other_misfit", "head_cov", "clauses", "with_clash", "without_agree"]
         + FLAG_NAMES
         + ["negated", "historical", "uncertain", "family", "family_fit", "history_fit", "family_misfit",
            "history_misfit"]
         + ["rank_char", "rank_word", "rank_comb", "margin_comb", "n_exact", "q_words", "abbreviated",
            "spelled", "n_readings", "n_candidates", "n_unknown", "category_comb", "category_gap"])


class WordWeights:
    """IDF of words over every indexed term, with the IDF mass of readings (they recur across
    entries; up to MEMO kept) and of the terms' specific words (MatchIndex.warm fills it)."""

    MEMO = 200_000

    def __init__(self, idf: dict[str, float], unseen: float) -> None:
        self.idf, self.unseen, self._memo, self._specific = idf, unseen, {}, {}

    def _sum(self, words) -> float:
        get, unseen = self.idf.get, self.unseen
        return sum([get(w, unseen) for w in words])

    def mass(self, words: frozenset) -> float:
        """The IDF mass of the words."""
        value = self._memo.get(words)
        if value is None:
            if len(self._memo) > self.MEMO:
                self._memo.clear()
            value = self._memo[words] = self._sum(words)
        return value

    def specific_mass(self, words: frozenset) -> float:
        """The IDF mass of a term's words but the GENERIC ones."""
        value = self._specific.get(words)
        if value is None:
            value = self._specific[words] = self._sum(words - GENERIC)
        return value


def display_words(display: str) -> frozenset[str]:
    """Content words of a code's display (as typed, capitals and all)."""
    return word_set(normalize(display))


@lru_cache(maxsize=262144)
def qualifiers(text: str) -> frozenset[str]:
    """The coder's qualifier words of a text ("with" counts here, "not intractable" does not)."""
    found = _QUALIFIER_WORDS.findall(normalize(text).replace("not intractable", ""))
    return frozenset(_SAME.get(w, w) for w in found)


@lru_cache(maxsize=262144)
def qualifier_fit(entry: frozenset, candidate: frozenset) -> tuple[int, int, int, int]:
    """(said by both, said by the entry only, said by the candidate only in a respect the entry
    is silent on, entry qualifiers whose respect the candidate answers otherwise)."""
    groups = {_QUALIFIER_GROUP[w] for w in entry}
    missing = entry - candidate
    return (len(entry & candidate), len(missing),
            sum(1 for w in candidate - entry if _QUALIFIER_GROUP[w] not in groups),
            sum(1 for w in missing if any(_QUALIFIER_GROUP[c] == _QUALIFIER_GROUP[w] for c in candidate)))


@lru_cache(maxsize=262144)
def polarity(text: str) -> tuple[frozenset, frozenset]:
    """(words said present, words said absent): up to SCOPE words after "without" ("wo", "not":
    "not due to a substance"), until a "with", a comma or a qualifier ("migraine without aura not
    intractable": "aura" is absent, the qualifier present). A word said both ways ("fracture
    without intercondylar fracture") is neither; "with or without" says nothing."""
    present, absent, left = set(), set(), 0
    ws = [w for clause in normalize(text).split(",") for w in words(clause) + [","]]
    for i, w in enumerate(ws):
        if (w in ("without", "wo", "not") or (w == "o" and i and ws[i - 1] == "w")) \
                and ws[max(i - 2, 0):i] != ["with", "or"]:
            left = SCOPE
        elif w in ("with", ",") or (w == "w" and ws[i + 1:i + 2] != ["o"]):
            left = 0
        elif w in _QUALIFIER_GROUP:  # "without aura, intractable", "without detachment right eye"
            present.add(w)
            left = 0
        elif len(w) > 1 and w not in STOPWORDS:
            if w not in GENERIC:
                (absent if left else present).add(w)
            left = max(left - 1, 0)
    return frozenset(present - absent), frozenset(absent - present)


def word_idf(vectorizers) -> WordWeights:
    """Word weights over every indexed term (built once per index, kept on the vectorizers)."""
    weights = vectorizers.__dict__.get("word_weights")
    if weights is None:
        word = vectorizers.word
        idf = {w: float(word.idf_[j]) for w, j in word.vocabulary_.items()}
        weights = vectorizers.word_weights = WordWeights(idf, float(word.idf_.max()))  # unseen: the rarest
    return weights


def concept_flags(system: str, codes: list[str], displays: list[str], term_concept: np.ndarray,
                  term_kind: np.ndarray) -> np.ndarray:
    """Per-concept columns of FLAG_NAMES (computed once per index)."""
    n = len(codes)
    alias = np.zeros(n, dtype=bool)
    alias[term_concept[np.isin(term_kind, (content.ALIAS, content.MAP_LABEL))]] = True
    counts = np.bincount(term_concept, minlength=n)
    out = np.zeros((n, len(FLAG_NAMES)), dtype=np.float32)
    icd = system == systems.ICD10CM
    for i, (code, display) in enumerate(zip(codes, displays)):
        d = display.lower()
        plain = code.replace(".", "")
        out[i, 1] = bool(_UNSPECIFIED.search(d))
        out[i, 2] = d.startswith("other ") or "other specified" in d
        out[i, 3] = d.startswith(("personal history", "history of", "ex-", "old myocardial"))  # "Ex-smoker", I25.2
        out[i, 4] = d.startswith("family history")
        out[i, 5] = len(plain) - 3 if icd else 0
        out[i, 6] = icd and len(plain) == 7
    out[:, 7] = alias
    out[:, 8] = np.log1p(counts)
    out[:, 9], out[:, 10], out[:, 11] = icd, system == systems.SNOMED, system == systems.SDOHCC
    return out


def _primary(query) -> int:
    for i, v in enumerate(query.variants):
        if v.text == query.reading:
            return i
    return min(1, len(query.variants) - 1)


def _segments(values: np.ndarray, starts: np.ndarray, op=np.maximum) -> np.ndarray:
    """op over consecutive non-empty segments [starts[i], starts[i+1])."""
    if not len(values):
        return np.zeros(len(starts) - 1, dtype=np.float32)
    return op.reduceat(values, starts[:-1])


def _segment_argmax(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index (into values) of the largest value of each non-empty segment; first on ties."""
    lengths = np.diff(starts)
    owner = np.repeat(np.arange(len(starts) - 1), lengths)
    if len(values) and lengths.all() and not np.isnan(values).any():  # each segment's first index at its max
        at = np.flatnonzero(values == np.maximum.reduceat(values, starts[:-1])[owner])
        return at[np.searchsorted(owner[at], np.arange(len(starts) - 1))]
    order = np.lexsort((-np.arange(len(values)), values, owner))
    return order[starts[1:] - 1]


def _group_max(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -np.inf, dtype=np.float32)
    np.maximum.at(out, group, values)
    return out


def batch_features(batch, sub, idf: WordWeights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features per candidate row, best term id, best reading index) for a whole batch;
    idf is word_idf(index.vectorizers)."""
    queries = batch.queries
    nc = len(batch.cand_concept)
    x = np.zeros((nc, len(NAMES)), dtype=np.float32)
    if nc == 0:
        return x, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    comb = 0.5 * (batch.char + batch.word)
    term_cand = np.repeat(np.arange(nc), np.diff(batch.term_start))
    term_query = batch.cand_query[term_cand]
    term_first = batch.term_start[batch.cand_start[:-1]]  # first term row of each entry
    term_last = batch.term_start[batch.cand_start[1:]]
    exact_reading = np.full(len(batch.term_id), -1)
    bag = np.zeros(len(batch.term_id), dtype=bool)
    for n in range(len(queries)):
        if batch.exact[n] or batch.bag[n]:
            rows = np.arange(term_first[n], term_last[n])
            for row, term in zip(rows.tolist(), batch.term_id[rows].tolist()):
                exact_reading[row] = batch.exact[n].get(term, -1)
                bag[row] = term in batch.bag[n]
    term_comb = _segments(comb, batch.pair_start) + (exact_reading >= 0)
    term_reading = batch.pair_reading[_segment_argmax(comb, batch.pair_start)]
    primary = np.array([_primary(q) for q in queries])
    pair_term = np.repeat(np.arange(len(batch.term_id)), np.diff(batch.pair_start))
    is_primary = batch.pair_reading == primary[term_query[pair_term]]
    pair_cand = batch.term_start[:-1]
    cand_pairs = np.concatenate([batch.pair_start[pair_cand], [len(comb)]])
    best = _segment_argmax(term_comb, batch.term_start)
    best_term, best_reading = batch.term_id[best], term_reading[best]
    kinds = [[v.kind for v in q.variants] for q in queries]
    kind_start = np.cumsum([0] + [len(k) for k in kinds])
    kind_flat = np.array([k for ks in kinds for k in ks])
    typed = (exact_reading >= 0) & np.isin(kind_flat[kind_start[term_query] + np.maximum(exact_reading, 0)],
                                           (q_mod.AS_TYPED, q_mod.CORE))
    x[:, 0] = _segments(batch.char, cand_pairs)
    x[:, 1] = _segments(batch.word, cand_pairs)
    x[:, 2] = _segments(comb, cand_pairs)
    x[:, 3] = _segments(np.where(is_primary, batch.char, 0), cand_pairs)
    x[:, 4] = _segments(np.where(is_primary, batch.word, 0), cand_pairs)
    x[:, 5] = _segments((exact_reading >= 0).astype(np.float32), batch.term_start)
    x[:, 6] = _segments(typed.astype(np.float32), batch.term_start)
    x[:, 7] = _segments(bag.astype(np.float32), batch.term_start)
    x[np.arange(nc), 8 + sub.term_kind[best_term]] = 1
    x[np.arange(nc), 8 + N_KINDS + kind_flat[kind_start[batch.cand_query] + best_reading]] = 1
    o = 8 + N_KINDS + N_READINGS
    texts = [[v.text for v in q.variants] for q in queries]
    reading_words = [word_set(q.reading) for q in queries]
    rows, fits = _word_rows(batch, sub, idf, texts, reading_words, best_term, best_reading)
    x[:, o:o + 14] = rows
    o += 14
    x[:, o:o + 4] = fits[:, :4]
    o += 4
    says = np.array([any(_UNSPECIFIED.search(t) for t in ts) for ts in texts], dtype=np.float32)[batch.cand_query]
    x[:, o] = says
    x[:, o + 1] = says * sub.flags[batch.cand_concept, 1]
    x[:, o + 2] = says * sub.flags[batch.cand_concept, 2]
    x[:, o + 3] = fits[:, 4]
    x[:, o + 4] = np.array([q.clauses for q in queries], dtype=np.float32)[batch.cand_query]
    x[:, o + 5:o + 7] = fits[:, 5:7]
    o += 7
    x[:, o:o + len(FLAG_NAMES)] = sub.flags[batch.cand_concept]
    family_code, history_code = x[:, o + 4], x[:, o + 3]
    o += len(FLAG_NAMES)
    flags = np.array([[q.assertion.negated, q.assertion.historical, q.assertion.uncertain, q.assertion.family]
                      for q in queries], dtype=np.float32)[batch.cand_query]
    x[:, o:o + 4] = flags
    x[:, o + 4] = flags[:, 3] * family_code
    x[:, o + 5] = flags[:, 1] * history_code
    x[:, o + 6] = (1 - flags[:, 3]) * family_code
    x[:, o + 7] = (1 - flags[:, 1]) * history_code
    o = len(NAMES) - 13
    for j, col in enumerate((0, 1, 2)):
        order = np.lexsort((-x[:, col], batch.cand_query))
        x[order, o + j] = np.arange(nc) - batch.cand_start[batch.cand_query[order]]
    x[:, o + 3] = x[:, 2] - _group_max(x[:, 2], batch.cand_query, len(queries))[batch.cand_query]
    x[:, o + 4] = np.bincount(batch.cand_query, weights=x[:, 5], minlength=len(queries))[batch.cand_query]
    per_query = np.array([[len(reading_words[n]), q_mod.EXPANDED in kinds[n], q_mod.SPELLING in kinds[n],
                           len(kinds[n])] for n in range(len(queries))], dtype=np.float32)
    x[:, o + 5:o + 9] = per_query[batch.cand_query]
    x[:, o + 9] = np.diff(batch.cand_start)[batch.cand_query]
    x[:, o + 10] = np.array([q.unknown for q in queries], dtype=np.float32)[batch.cand_query]
    # the best similarity in the candidate's ICD-10-CM category: "earwax buildup" (an alias of
    # H61.20) also speaks for H61.21 when the entry says "right"
    category = sub.category[batch.cand_concept] if sub.families is not None else batch.cand_concept
    _, group = np.unique(batch.cand_query * np.int64(len(sub.codes)) + category, return_inverse=True)
    x[:, o + 11] = _group_max(x[:, 2], group, group.max() + 1)[group]
    x[:, o + 12] = x[:, o + 11] - x[:, 2]
    return x, best_term, best_reading


def _word_rows(batch, sub, idf: WordWeights, texts: list[list[str]], reading_words: list[frozenset],
               best_term: np.ndarray, best_reading: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The word-level features of each candidate's best (term, reading) pair: 14 columns of
    coverage and similarity, and 7 of qualifier fit, first clause and polarity."""
    rows = _word_rows_batch if len(batch.cand_query) >= BATCH_ROWS else _word_rows_each
    return rows(batch, sub, idf, texts, reading_words, best_term, best_reading)


def _word_rows_each(batch, sub, idf: WordWeights, texts: list[list[str]], reading_words: list[frozenset],
                    best_term: np.ndarray, best_reading: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """_word_rows one candidate at a time (a few dozen rows: no sparse products' fixed cost)."""
    queries = batch.queries
    all_words = [frozenset().union(*(word_set(t) for t in ts)) for ts in texts]
    entry_quals = [frozenset().union(*(qualifiers(t) for t in ts)) for ts in texts]
    heads = [word_set(q.head) for q in queries]
    polar = [polarity(q.reading) for q in queries]
    reading_sets = [[word_set(t) for t in ts] for ts in texts]
    reading_mass = [[idf.mass(v) for v in vs] for vs in reading_sets]
    terms, term_words, display_words_ = sub.terms, sub.term_words, sub.display_words
    term_quals, display_quals = sub.term_qualifiers, sub.display_qualifiers
    term_polar, display_polar = sub.term_polarity, sub.display_polarity
    get, unseen, specific_mass = idf.idf.get, idf.unseen, idf.specific_mass
    token_set_ratio, ratio = fuzz.token_set_ratio, fuzz.ratio
    rows, fits = [], []
    for n, term, r, concept in zip(batch.cand_query.tolist(), best_term.tolist(), best_reading.tolist(),
                                   batch.cand_concept.tolist()):
        term_text, reading_text = terms[term], texts[n][r]
        t_words, v_words, d_words = term_words[term], reading_sets[n][r], display_words_[concept]
        extra, missing = t_words - v_words, v_words - t_words
        specific = extra - GENERIC
        lost = [get(w, unseen) for w in missing] if missing else [0.0]
        v_mass = reading_mass[n][r]
        common = v_mass - sum(lost)
        clash = 0 if missing.isdisjoint(_QUALIFIER_SET) or extra.isdisjoint(_QUALIFIER_SET) else \
            sum(1 for g in QUALIFIERS if missing & g and extra & g)
        rows.append((len(reading_words[n] & t_words) / max(len(reading_words[n]), 1),
                     (len(v_words) - len(missing)) / max(len(t_words), 1), len(specific), len(extra) - len(specific),
                     len(d_words & all_words[n]) / max(len(d_words), 1),
                     token_set_ratio(reading_text, term_text) / 100, ratio(reading_text, term_text) / 100,
                     len(missing - GENERIC), clash, any(map(str.isdigit, missing)) and any(map(str.isdigit, extra)),
                     common / max(v_mass, 1e-6), common / max(specific_mass(t_words), 1e-6), max(lost),
                     max([get(w, unseen) for w in specific]) if specific else 0.0))
        tq, dq = term_quals[term], display_quals[concept]
        has, lacks = polar[n]
        head = heads[n]
        fit = qualifier_fit(entry_quals[n], (tq | dq) if tq and dq else (tq or dq))
        if has or lacks:  # what the code has and lacks, by its term and display (said both ways: neither)
            (t_has, t_lacks), (d_has, d_lacks) = term_polar[term], display_polar[concept]
            c_has, c_lacks = t_has | d_has, t_lacks | d_lacks
            c_has, c_lacks = c_has - c_lacks, c_lacks - c_has
            sides = (len(lacks & c_has) + len(has & c_lacks), len(lacks & c_lacks))
        else:
            sides = (0, 0)
        said = (len(head) - len(head - t_words - d_words)) / max(len(head), 1)  # of the first clause
        fits.append(fit + (said,) + sides)
    return np.array(rows, dtype=np.float32).reshape(-1, 14), np.array(fits, dtype=np.float32).reshape(-1, 7)


def _word_rows_batch(batch, sub, idf: WordWeights, texts: list[list[str]], reading_words: list[frozenset],
                     best_term: np.ndarray, best_reading: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """_word_rows for a whole batch at once, as sparse products (wordfit): the same values."""
    queries, cand_query, concepts = batch.queries, batch.cand_query, batch.cand_concept
    reading_sets = [[word_set(t) for t in ts] for ts in texts]
    rows, said = wordfit.rows(
        sub.word_rows, idf, GENERIC, QUALIFIERS, reading_sets, reading_words,
        [frozenset().union(*vs) for vs in reading_sets], [word_set(q.head) for q in queries], cand_query, best_term,
        best_reading, concepts, [texts[n][r] for n, r in zip(cand_query.tolist(), best_reading.tolist())],
        [sub.terms[t] for t in best_term.tolist()])
    fits = np.zeros((len(cand_query), 7), dtype=np.float32)
    fits[:, :4] = wordfit.qualifier_fit(sub.word_rows, QUALIFIER_GROUPS,
                                        [frozenset().union(*(qualifiers(t) for t in ts)) for ts in texts],
                                        cand_query, best_term, concepts)
    fits[:, 4] = said
    fits[:, 5:7] = wordfit.polarity_fit(sub.word_rows, [polarity(q.reading) for q in queries], cand_query, best_term,
                                        concepts)
    return rows, fits
