"""What an entry says and what it says is absent: the words a denial covers ("no CP/SOB", "denies
SI/HI", "w/o aura"), the words it names only as something to test for ("wants HIV/HCV testing"), and
its content words less both."""

from __future__ import annotations

import re
from functools import lru_cache

from server.match import abbreviations, features
from server.match.normalize import STOPWORDS, normalize, word_set, words

NEGATIONS = frozenset({"without", "wo", "not", "non", "no"})  # they mention nothing ("without": not "withdrawal")
_DENYING = NEGATIONS | {"denies", "deny", "denying"}  # "denies SI/HI" (not "denied": "transfer denied, ...")
_HISTORY_WORDS = frozenset({"hx", "history", "prior", "previous"})
_PRONOUNS = frozenset({"it", "them", "this", "that"})
_ADVERBS = frozenset({"yet", "currently", "fully", "ever"})  # what is denied follows
_UNSTATED = frozenset("clarified determined established specified confirmed documented identified stated "
                      "staged".split())


def absent(text: str) -> frozenset:
    """Words a text says are absent: up to features.SCOPE after "without", "w/o", "not", "non", "no" or "denies",
    until a "with", a comma or a qualifier that is not the first, which is said ("not intractable",
    "without lower urinary tract symptoms", "without detachment, right eye", "w/o aura intractable",
    "no coma"). Unlike features.polarity, generic words count ("without complications") and so does
    a qualifier after "not". A denial goes on after an "or" ("no suicidal ideation or homicidal
    ideation")."""
    out, left, listing, grace = set(), 0, False, 0
    ws = [w for clause in normalize(text).split(",") for w in words(clause) + [","]]
    if _DENYING.isdisjoint(ws) and not ("w" in ws and "o" in ws):  # nothing starts a denial
        return frozenset()
    for i, w in enumerate(ws):
        if w in _DENYING or (w == "o" and i and ws[i - 1] == "w") or (w in ("or", "nor") and listing):
            left, listing, grace = features.SCOPE, False, 1
        elif w in ("with", ",") or (w == "w" and ws[i + 1:i + 2] not in (["o"], ["d"])):  # w/d: withdrawal
            left, listing = 0, False
        elif left == features.SCOPE and w in _PRONOUNS:  # "can't go a shift w/o it - nicotine dependence"
            left, listing = 0, False
        elif left and w in _HISTORY_WORDS | _ADVERBS:  # "no hx w/d seizures or DTs", "not yet in remission"
            continue
        elif left and w in _UNSTATED:  # "dx not yet clarified, r/o delusional d/o": nothing denied
            left, listing = 0, False
        elif left and w in features.ALL_QUALIFIERS and left < features.SCOPE:
            left, listing = 0, False  # said, and the scope ends ("without aura intractable")
        elif left and len(w) > 1 and w not in STOPWORDS:
            out.add(w)
            left -= 1
            listing = True
        elif not left and w not in STOPWORDS and listing and grace:
            grace -= 1  # the denied name's last word: "no chronic kidney disease or heart disease"
        elif not left and w not in STOPWORDS:
            listing = False
    return frozenset(out)


denied = lru_cache(maxsize=65536)(absent)  # entries' readings recur
_TESTED = re.compile(r"((?:[\w/+-]+ ){1,3})(?:testing|screening|screen|test)\b")
_ASKING = frozenset("wants want requests requested request needs need offered ordered order will get do rapid for "
                    "of declined declines due pending and".split())
_RESULT = re.compile(r"\b(positive|pos|reactive|detected|confirmed|results?|neg|negative|nonreactive)\b|\+")
TESTING = frozenset("screening screen test testing tested examination encounter".split())  # a term about a test


@lru_cache(maxsize=8192)
def tested(text: str) -> frozenset:
    """Words an entry names only as what is to be tested for ("..., wants HIV/HCV testing": no HIV disease):
    up to three tokens before "testing" or "screening" in their clause, abbreviations spelled out; none
    where the clause says a result, and none the entry says elsewhere."""
    out: set[str] = set()
    rest = []
    for clause in re.split(r"[,;:.()]", text.lower()):
        if _RESULT.search(clause):
            rest.append(clause)
            continue
        for m in _TESTED.finditer(clause):
            out |= _spelled([t for t in m[1].split() if t not in _ASKING])
        rest.append(_TESTED.sub(" ", clause))
    return frozenset(out - _spelled(" ".join(rest).split())) if out else frozenset()


def _spelled(toks: list[str]) -> frozenset:
    return frozenset().union(*(word_set(v.text) for v in abbreviations.expand(toks))) if toks else frozenset()


def said_words(query) -> frozenset:
    """The content words of an entry's readings, less those it denies or names only to test for."""
    return said_in(query.text, tuple(v.text for v in query.variants))


@lru_cache(maxsize=8192)
def said_in(text: str, readings: tuple[str, ...]) -> frozenset:
    """said_words of an entry (its text and readings): the ranking rules ask it several times."""
    return frozenset().union(*(word_set(r) - denied(r) for r in readings)) - tested(text)
