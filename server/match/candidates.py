"""Candidate generation over all designations of one target system, for a batch
of prepared queries: exact normalized term, order-free exact, character n-gram
TF-IDF and word TF-IDF nearest terms by their rarer n-grams and words (one
sparse product per batch), pooled over every reading of the entry and cut to
the best MAX_CONCEPTS concepts. A reading whose every word is too common to
retrieve by (few rare-word hits: "ANKLE SPRAIN L INIT") also searches its
moderately common words, the terms carrying (nearly) all of them; every entry's
primary reading is searched that way too, for up to MODERATE_EXTRA more concepts. Then the
full cosine of every term of every candidate with every reading (the sparse
product's value plus the common columns' part, computed densely), for the
whole batch at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from server.match import conventions, disorders, pregnancy, specific
from server.match.implied import newborn_exposed, withdrawing
from server.match.index import QueryVectors, SystemIndex
from server.match.normalize import bag_key
from server.systems import ICD10CM

K_CHAR = 30
K_WORD = 30
MAX_CONCEPTS = 20
EXACT_BONUS = 2.0
FAMILY_SEEDS = 8  # the best candidates whose ICD-10-CM family is searched for more specific codes
MAX_RELATIVES = 5  # family members added per entry (those covering more of the entry than any candidate)
MAX_STATED = 5  # siblings added per entry that say only qualifiers the entry states
FALLBACK_BELOW = 10  # a reading with fewer rare-word hits than this also searches its moderate words
K_FALLBACK = 20
MODERATE_EXTRA = 3  # concepts added per entry from its primary reading's moderate-word search ("end-stage
# renal disease on hemodialysis": the rare word fills the nearest terms, the disease is in common words)
HEAD_EXTRA = 2  # concepts added per entry from its first clause alone (a long entry's context words crowd
# out its condition's terms: "R ankle sprain, rolled it stepping off curb, initial eval, ...")
HEAD_LEAST = 0.5  # of those, only terms this similar to the clause
BLOCK = 8192  # (term, reading) pairs per pass of _common_part


@dataclass
class Batch:
    """Candidates of a batch of entries, flattened: candidate rows grouped by entry,
    term rows grouped by candidate, (term, reading) pairs grouped by term."""

    queries: list
    cand_start: np.ndarray  # first candidate row of each entry (+ end)
    cand_query: np.ndarray
    cand_concept: np.ndarray
    term_start: np.ndarray  # first term row of each candidate (+ end)
    term_id: np.ndarray
    pair_start: np.ndarray  # first pair of each term row (+ end)
    pair_reading: np.ndarray  # reading index within the entry
    char: np.ndarray  # cosine of the pair
    word: np.ndarray
    exact: list[dict[int, int]]  # per entry: term id -> first reading equal to it
    bag: list[dict[int, int]]  # the same, word order and stop words ignored


def _top(matrix: sp.csr_matrix, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    data, cols = matrix.data[start:end], matrix.indices[start:end]
    if len(data) > k:
        keep = np.argpartition(-data, k)[:k]
        data, cols = data[keep], cols[keep]
    return cols, data


def _sorted(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """A product's rows with their columns in order: two transpositions (linear) beat sorting each row."""
    return matrix.tocsc().tocsr()


def _lookup(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """matrix[rows[i], cols[i]] for every i (0 where nothing is stored); indices must be sorted."""
    if not len(rows) or not matrix.nnz:
        return np.zeros(len(rows), dtype=np.float32)
    width = np.int64(matrix.shape[1])
    stored = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr)) * width + matrix.indices
    wanted = rows.astype(np.int64) * width + cols
    at = np.minimum(np.searchsorted(stored, wanted), len(stored) - 1)
    return np.where(stored[at] == wanted, matrix.data[at], 0).astype(np.float32)


def _common_part(common: sp.csr_matrix, terms: np.ndarray, dense: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Dot product of each term's common-n-gram part with its reading's (dense) common part, some
    BLOCK pairs at a time (a block's working arrays stay in cache). A block ends after a pair that has
    a common part and before the last such pair: every pair is summed as by _common_block over all."""
    if len(terms) <= BLOCK:
        return _common_block(common, terms, dense, rows)
    has = np.flatnonzero(common.indptr[terms + 1] > common.indptr[terms])
    at = np.searchsorted(has, np.arange(BLOCK, len(terms), BLOCK) - 1)
    ends = has[at[at < len(has) - 1]] + 1  # after a pair with a common part, before the last one
    ends = np.unique(np.concatenate([[0], ends, [len(terms)]]))
    return np.concatenate([_common_block(common, terms[lo:hi], dense, rows[lo:hi])
                           for lo, hi in zip(ends[:-1].tolist(), ends[1:].tolist())])


def _common_block(common: sp.csr_matrix, terms: np.ndarray, dense: np.ndarray, rows: np.ndarray) -> np.ndarray:
    if not len(terms):
        return np.zeros(0, dtype=np.float32)
    part = common[terms]  # each pair's term row (scipy's row gather, in C)
    if not part.nnz:
        return np.zeros(len(terms), dtype=np.float32)
    lengths = np.diff(part.indptr)
    at = np.repeat(rows.astype(np.int64) * dense.shape[1], lengths) + part.indices
    values = (part.data * dense.ravel()[at]).astype(np.float64)
    sums = np.add.reduceat(values, np.minimum(part.indptr[:-1], len(values) - 1))
    return np.where(lengths > 0, sums, 0).astype(np.float32)


def readings(queries) -> list[str]:
    return [v.text for q in queries for v in q.variants]


def _moderate(s_word: sp.csr_matrix, dense_word: np.ndarray, sub: SystemIndex, rows: np.ndarray) -> sp.csr_matrix:
    """Readings x terms: for each of `rows`, the K_FALLBACK terms with the highest word cosine
    among those carrying all its moderately common words (all but one when it has three or
    more); empty rows for the other readings."""
    shape = s_word.shape
    columns, present_t, weights_t = sub.moderate_words
    if not len(rows) or not len(columns):
        return sp.csr_matrix(shape, dtype=np.float32)
    q = dense_word[rows][:, columns]
    has = q > 0
    n_words = has.sum(axis=1)
    need = np.where(n_words >= 3, n_words - 1, n_words)
    counts = (sp.csr_matrix(has.astype(np.float32)) @ present_t).tocsr()
    partial = (sp.csr_matrix(q) @ weights_t).tocsr()
    if not (np.array_equal(counts.indptr, partial.indptr) and np.array_equal(counts.indices, partial.indices)):
        counts.sort_indices()  # else stored alike (operands of one pattern): no sort needed
        partial.sort_indices()
    row = np.repeat(np.arange(len(rows)), np.diff(counts.indptr))
    keep = (need[row] > 0) & (counts.data >= need[row] - 0.5)
    row, term, value = row[keep], counts.indices[keep].astype(np.int64), partial.data[keep]
    near = _near_top(row, value, K_FALLBACK)
    row, term, value = row[near], term[near], value[near]
    order = np.lexsort((term, -value, row))  # best partial cosine first, ties by term
    row, term = row[order], term[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    row, term = row[rank < K_FALLBACK], term[rank < K_FALLBACK]
    at = rows[row]
    full = _lookup(s_word, at, term) + _common_part(sub.common[1], term, dense_word, at)
    return sp.csr_matrix((full, (at, term)), shape=shape)


def _near_top(row: np.ndarray, value: np.ndarray, k: int) -> np.ndarray:
    """A mask keeping at least each row's k largest values, ties included (rows sorted, values
    within [0, 1]): one plain sort that spares the exact ordering most of a long list."""
    if not len(row):
        return np.zeros(0, dtype=bool)
    ranked = np.sort(row * 4.0 - value)  # by row, largest value first
    end = np.cumsum(np.bincount(row))
    start = end - np.diff(np.concatenate([[0], end]))
    at = np.minimum(start + k - 1, end - 1)
    kth = np.arange(len(end)) * 4.0 - ranked[np.maximum(at, 0)]
    return value >= kth[row] - 1e-6  # the subtraction may round off the last bits


def _pooled(matrices, starts: np.ndarray, sub: SystemIndex,
            exclude: list[set[int]] | None) -> list[dict[int, float]]:
    """Per entry: concept -> best similarity of its terms among the top k of every reading in
    every (matrix, k) of `matrices`, concepts in the order first met (reading by reading,
    matrix by matrix)."""
    n_queries = len(starts) - 1
    cols, values, sizes = [], [], []
    for row in range(starts[-1]):
        for matrix, k in matrices:
            c, v = _top(matrix, row, k)
            cols.append(c)
            values.append(v)
            sizes.append(len(c))
    if not cols:
        return [{} for _ in range(n_queries)]
    term = np.concatenate(cols).astype(np.int64)
    value = np.concatenate(values).astype(np.float64)
    per_row = np.array(sizes, dtype=np.int64).reshape(-1, len(matrices)).sum(axis=1)
    query = np.repeat(np.repeat(np.arange(n_queries), np.diff(starts)), per_row)
    keep = value > 0
    if exclude and any(exclude):
        bounds = np.searchsorted(query, np.arange(n_queries + 1))
        for n, skip in enumerate(exclude):
            if skip:
                keep[bounds[n]:bounds[n + 1]] &= ~np.isin(term[bounds[n]:bounds[n + 1]], list(skip))
    term, value, query = term[keep], value[keep], query[keep]
    width = np.int64(len(sub.codes))
    key = query * width + sub.term_concept[term]
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    best = np.full(len(unique), -np.inf)
    np.maximum.at(best, inverse, value)
    met = np.argsort(first, kind="stable")
    unique, best = unique[met], best[met]
    bounds = np.searchsorted(unique // width, np.arange(n_queries + 1))
    concepts, best = (unique % width).tolist(), best.tolist()
    return [dict(zip(concepts[bounds[n]:bounds[n + 1]], best[bounds[n]:bounds[n + 1]])) for n in range(n_queries)]


def generate(queries, sub: SystemIndex, vectors: QueryVectors, exclude: list[set[int]] | None = None) -> Batch:
    """Candidates in one system; `vectors` are those of readings(queries), shared by every system."""
    texts = readings(queries)
    starts = np.cumsum([0] + [len(q.variants) for q in queries])
    n_readings = int(starts[-1])  # the first clauses' rows follow
    s_char, s_word = (_sorted(rare @ matrix_t) for (rare, _), matrix_t in ((vectors.char, sub.char_t),
                                                                           (vectors.word, sub.word_t)))
    heads = _heads(vectors.heads, s_char, s_word, vectors.word[1], sub, exclude)
    if s_char.shape[0] > n_readings:
        s_char, s_word = s_char[:n_readings], s_word[:n_readings]
    dense_char, dense_word = vectors.char[1][:n_readings], vectors.word[1][:n_readings]
    sparse_rows = np.diff(s_word.indptr) < FALLBACK_BELOW
    primary = np.zeros(len(texts), dtype=bool)  # each entry's primary reading
    primary[[starts[n] + next((i for i, v in enumerate(q.variants) if v.text == q.reading), 0)
             for n, q in enumerate(queries)]] = True
    moderate = _moderate(s_word, dense_word, sub, np.flatnonzero(sparse_rows | primary))
    sparse = sp.diags(sparse_rows.astype(np.float32)) @ moderate
    scores = _pooled(((s_char, K_CHAR), (s_word, K_WORD), (sparse.tocsr(), K_FALLBACK)), starts, sub, exclude)
    extra = _pooled(((moderate, K_FALLBACK),), starts, sub, exclude) if MODERATE_EXTRA else None
    cand_concept, cand_start, exacts, bags, chosen = [], [0], [], [], []
    for n, score in enumerate(scores):
        skip = exclude[n] if exclude else ()
        exact: dict[int, int] = {}
        bag: dict[int, int] = {}
        for row in range(starts[n], starts[n + 1]):
            text = texts[row]
            for found, lookup in ((exact, sub.exact.get(text, ())), (bag, sub.bag.get(bag_key(text), ()))):
                for t in lookup:
                    if t not in skip:
                        found.setdefault(t, row - starts[n])
        for term in exact.keys() | bag.keys():
            c = int(sub.term_concept[term])
            score[c] = score.get(c, 0.0) + EXACT_BONUS
        best = sorted(score, key=lambda c: -score[c])[:MAX_CONCEPTS]
        q = queries[n]
        if q.clauses > 1 or q.cause_of:  # a clause (or what it names a cause of) that is a term: a candidate
            best += list(dict.fromkeys(int(sub.term_concept[t]) for clause in (q.head, q.cause_of, *q.later)
                                       for t in sub.exact.get(clause, ())
                                       if t not in skip and int(sub.term_concept[t]) not in best))
        for more, k, least in ((extra, MODERATE_EXTRA, 0.0), (heads, HEAD_EXTRA, HEAD_LEAST)):
            if more and more[n]:
                taken = set(best)
                best += [c for c in sorted(more[n], key=lambda c: -more[n][c])
                         if c not in taken and more[n][c] >= least][:k]
        chosen.append(best)
        exacts.append(exact)
        bags.append(bag)
    words = vectors.words[:n_readings] if vectors.words is not None else None
    for found, more, query in zip(chosen, _relatives(chosen, sub, words, starts, exclude), queries):
        more += [s for s in _stated_siblings(query, found, sub) if s not in more]
        more += [s for s in _side_twins(query, found + more, sub) if s not in more]
        more += [s for s in _category_twins(found + more, sub) if s not in more]
        more += [s for s in _uncomplicated_twins(query, found + more, sub) if s not in more and s not in found]
        more += [s for s in _pregnancy_twins(query, found, sub) if s not in more and s not in found]
        more += [s for s in _newborn_twins(query, found + more, sub) if s not in more and s not in found]
        cand_concept.extend(found)
        cand_concept.extend(more)
        cand_start.append(len(cand_concept))
    cand_concept = np.array(cand_concept, dtype=np.int64)
    cand_start = np.array(cand_start, dtype=np.int64)
    cand_query = np.repeat(np.arange(len(queries)), np.diff(cand_start))
    similarity = (s_char, dense_char, s_word, dense_word)
    return _pairs(queries, sub, similarity, starts, cand_start, cand_query, cand_concept, exacts, bags, exclude)


def _heads(rows: np.ndarray | None, s_char: sp.csr_matrix, s_word: sp.csr_matrix, dense_word: np.ndarray,
           sub: SystemIndex, exclude) -> list[dict[int, float]] | None:
    """Per entry: concept -> best similarity among its first clause's nearest terms, by rare and by
    moderately common words (none for an entry whose first clause is a reading)."""
    if rows is None or not HEAD_EXTRA or not (rows >= 0).any():
        return None
    at = rows[rows >= 0]
    moderate = _moderate(s_word, dense_word, sub, at)
    head_starts = np.concatenate([[0], np.cumsum(rows >= 0)])
    return _pooled(((s_char[at], K_CHAR), (s_word[at], K_WORD), (moderate[at], K_FALLBACK)), head_starts, sub,
                   exclude)


def _relatives(chosen: list[list[int]], sub: SystemIndex, words: sp.csr_matrix | None, starts: np.ndarray,
               exclude: list[set[int]] | None) -> list[list[int]]:
    """Per entry: members of its best candidates' ICD-10-CM families whose terms have words of the
    entry that the candidate they are related to lacks ("right" for M17.11 next to M17.9), those
    covering most of the entry first (entries with held-out terms get none: a family's word
    weights include every term)."""
    families = sub.families
    if families is None or words is None or not chosen:
        return [[] for _ in chosen]
    n, width = len(chosen), np.int64(len(sub.codes))
    seeds = [c[:FAMILY_SEEDS] if not (exclude and exclude[e]) else [] for e, c in enumerate(chosen)]
    seed = np.array([c for s in seeds for c in s], dtype=np.int64)
    seed_entry = np.repeat(np.arange(n, dtype=np.int64), [len(s) for s in seeds])
    sizes = families.start[seed + 1] - families.start[seed]
    if not sizes.sum():
        return [[] for _ in chosen]
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    member = families.members[np.repeat(families.start[seed], sizes) + offsets]
    entry = np.repeat(seed_entry, sizes)
    seed = np.repeat(seed, sizes)
    readers = sp.csr_matrix((np.ones(starts[-1], dtype=np.float32),
                             (np.repeat(np.arange(n), np.diff(starts)), np.arange(starts[-1]))),
                            shape=(n, starts[-1]))
    entry_words = (readers @ words).tocsr()
    entry_words.sort_indices()
    cover, gain = families.coverage(entry, member, seed, entry_words)
    key = entry * width + member
    taken = np.isin(key, np.array([e * width + c for e, found in enumerate(chosen) for c in found], dtype=np.int64))
    keep = ~taken & (gain > 1e-4)
    key, cover, gain = key[keep], cover[keep], gain[keep]
    order = np.lexsort((-gain, key))  # the largest gain over the seeds of a member's family
    key, cover, gain = key[order], cover[order], gain[order]
    first = np.concatenate([[True], key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=bool)
    key, cover, gain = key[first], cover[first], gain[first]
    entry, concept = key // width, key % width
    order = np.lexsort((concept, families.n_words[concept], -gain, -cover, entry))
    entry, concept = entry[order], concept[order]
    rank = np.arange(len(entry)) - np.searchsorted(entry, entry)
    entry, concept = entry[rank < MAX_RELATIVES], concept[rank < MAX_RELATIVES]
    bounds = np.searchsorted(entry, np.arange(n + 1))
    concept = concept.tolist()
    return [concept[bounds[e]:bounds[e + 1]] for e in range(n)]


_OTHER_SIDE = {"right": "left", "left": "right"}


def _side_twins(query, found: list[int], sub: SystemIndex) -> list[int]:
    """The twins of the best candidates on the side the entry states, where a candidate names only the
    other one (L03.115 "... right lower limb" for L03.116 "... left lower limb": "R thigh cellulitis")."""
    stated = specific.entry_words(query)[0] & specific.SIDES
    if len(stated) != 1 or "bilateral" in stated:
        return []
    side = next(iter(stated))
    other = _OTHER_SIDE[side]
    twins = []
    for c in found:
        words = sub.displays[c].lower().split()
        if other in words or f"{other}," in words:
            twin = sub.concept_of_display.get(sub.displays[c].lower().replace(other, side))
            if twin is not None and twin not in found and twin not in twins:
                twins.append(twin)
    return twins


# categories whose codes the ranking rules move to their twin's ("Major NCD w/ delusions": F02.82 to F03.92,
# "MDD, recurrent, ..." F32.2 to F33.2)
_TWIN_CATEGORIES = {"F01.": ("F03.",), "F02.": ("F03.",), "F32.": ("F33.",), "F33.": ("F32.",), "I50.2": ("I50.3",),
                    "I50.3": ("I50.2",)}
MAX_TWINS = 4
MAX_NEWBORN_SEEDS = 8
_DEMENTIA = ("F01.", "F02.")
_UNSPECIFIED_SEVERITY = {"5": "9", "8": "9"}  # F01.5- and F02.8- are F03.9- (dementia of unspecified severity)


def _category_twins(found: list[int], sub: SystemIndex) -> list[int]:
    """The same code in a twin category of the best candidates' (F02.82 -> F03.92), when it exists."""
    twins: list[int] = []
    for c in found:
        code = sub.codes[c]
        for prefix, others in _TWIN_CATEGORIES.items():
            if code.startswith(prefix):
                rest = code[len(prefix):]
                if prefix in _DEMENTIA:  # F02.82 -> F03.92
                    rest = _UNSPECIFIED_SEVERITY.get(rest[:1], rest[:1]) + rest[1:]
                twins += [t for other in others if (t := sub.code_index.get(other + rest)) is not None
                          and t not in found and t not in twins]
    return twins[:MAX_TWINS]


def _uncomplicated_twins(query, found: list[int], sub: SystemIndex) -> list[int]:
    """For an entry listing withdrawal signs, the uncomplicated withdrawal of the candidates' unspecified ones
    (F13.239 -> F13.230), for conventions.withdrawal_signs to move to."""
    if not conventions.signs_said(query):
        return []
    return _indexed(sub, (code[:-1] + "0" for c in found
                          if conventions.WITHDRAWAL_UNSPECIFIED.match(code := sub.codes[c])))


def _pregnancy_twins(query, found: list[int], sub: SystemIndex) -> list[int]:
    """For an entry stating a trimester or the puerperium, the O99 codes of its best candidates of other
    chapters ("anemia at 28 wks": O99.013 next to D50.9)."""
    if sub.system != ICD10CM or not found:
        return []
    said = pregnancy.stated_trimester(query) or (pregnancy.PUERPERIUM if pregnancy.in_puerperium(query) else None)
    if said is None:
        return []
    return _indexed(sub, (pregnancy.complicating(sub.codes[c], said) for c in found[:pregnancy.COMPLICATING_SEEDS]))


def _newborn_twins(query, found: list[int], sub: SystemIndex) -> list[int]:
    """For a newborn's entry that speaks of its mother's use, the P04 codes of its best use codes (and P96.1
    when it is withdrawing)."""
    if sub.system != ICD10CM or not newborn_exposed(query.variants[0].text):
        return []
    text = query.variants[0].text
    return _indexed(sub, [*(disorders.newborn_twin(sub.codes[c]) for c in found[:MAX_NEWBORN_SEEDS]),
                          *disorders.mother_used(text), disorders.WITHDRAWING if withdrawing(text) else None])


def _indexed(sub: SystemIndex, codes) -> list[int]:
    """The concepts of the codes the index has, once each, in order (None: no code)."""
    return [sub.code_index[c] for c in dict.fromkeys(codes) if c is not None and c in sub.code_index]


def _stated_siblings(query, found: list[int], sub: SystemIndex) -> list[int]:
    """Siblings of the candidates whose qualifiers the entry states (M19.011 "..., right shoulder" next
    to M19.019 "..., unspecified shoulder" for "OA R SHOULDER"), up to MAX_STATED, those whose titles
    have most of the entry's words first."""
    pairs = sub.specific_siblings
    hits = [c for c in found if c in pairs]
    if not hits:
        return []
    stated, said = specific.entry_words(query)
    if not stated:
        return []
    named = {s for c in hits for s, need, _ in pairs[c] if need <= stated} - set(found)
    return sorted(named, key=lambda s: (-len(sub.display_words[s] & said), len(sub.display_words[s]), s))[:MAX_STATED]


def _pairs(queries, sub, similarity, starts, cand_start, cand_query, cand_concept, exacts, bags, exclude):
    groups = [sub.concept_terms[c] for c in cand_concept.tolist()]
    term_id = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
    term_cand = np.repeat(np.arange(len(cand_concept)), [len(g) for g in groups])
    if exclude and any(exclude):  # each entry's own held-out terms, never another entry's
        width = np.int64(len(sub.terms))
        held = np.array([n * width + t for n, skip in enumerate(exclude) for t in skip], dtype=np.int64)
        keep = ~np.isin(cand_query[term_cand].astype(np.int64) * width + term_id, held)
        term_id, term_cand = term_id[keep], term_cand[keep]
        present = np.zeros(len(cand_concept), dtype=bool)
        present[term_cand] = True  # a candidate whose every term is held out drops out
        remap = np.cumsum(present) - 1
        term_cand = remap[term_cand]
        cand_concept, cand_query = cand_concept[present], cand_query[present]
        cand_start = np.searchsorted(cand_query, np.arange(len(queries) + 1))
    term_query = cand_query[term_cand]
    n_read = np.diff(starts)[term_query]
    pair_term = np.repeat(np.arange(len(term_id)), n_read)
    pair_start = np.concatenate([[0], np.cumsum(n_read)])
    pair_reading = np.arange(len(pair_term)) - pair_start[pair_term]
    pair_row = starts[term_query][pair_term] + pair_reading
    s_char, dense_char, s_word, dense_word = similarity
    terms = term_id[pair_term]
    char = _lookup(s_char, pair_row, terms) + _common_part(sub.common[0], terms, dense_char, pair_row)
    word = _lookup(s_word, pair_row, terms) + _common_part(sub.common[1], terms, dense_word, pair_row)
    term_start = np.searchsorted(term_cand, np.arange(len(cand_concept) + 1))
    return Batch(queries, cand_start, cand_query, cand_concept, term_start, term_id, pair_start, pair_reading,
                 char, word, exacts, bags)
