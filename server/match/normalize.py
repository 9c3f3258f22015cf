"""Text normalization shared by the index and the queries: case, accents,
punctuation, tokens (keeping problem-list shorthand such as w/o, d/o, s/p
whole, stage numerals in digits) and a light stemmer for word matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"\s+")
# A token keeps inner / - + ' (w/o, a-fib, bup/nx, alzheimer's) and a trailing / (w/).
_TOKEN = re.compile(r"[a-z0-9]+(?:[/+'-][a-z0-9]+)*/?|\?")
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset("a an and the of in on at to for by or with from as is are be".split())


def fold(text: str) -> str:
    """No accents, typographic quotes and dashes made plain, single spaces; case kept."""
    text = text or ""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    return _SPACE.sub(" ", text).strip()


_SPELLED_SHORTHAND = re.compile(r"\bnot otherwise specified\b")  # one word, as coders write it


def normalize(text: str) -> str:
    """Folded, lower case, "not otherwise specified" written "nos"."""
    return _SPELLED_SHORTHAND.sub("nos", fold(text).lower())


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_NUMBERED = frozenset("stage stg grade class bipolar phase".split())  # "type ii": words() makes it type2
_STAGED_NAMES = frozenset({"ckd"})  # diseases named with their stage number ("ckd 3b", "ckd3b")
_STAGED = re.compile(r"^(%s)(\d[ab]?)$" % "|".join(_STAGED_NAMES))


def tokens(text: str) -> list[str]:
    """Tokens of normalized text, shorthand kept whole ("w/o", "d/o", "?"); a roman numeral
    that numbers a stage, grade or class is written in digits ("stage iiia" -> "stage 3a"), and a
    number after a disease staged by it is its stage ("ckd iv", "ckd4" -> "ckd stage 4")."""
    out = []
    for token in _TOKEN.findall(text):
        staged = _STAGED.match(token)
        out += [staged.group(1), "stage", staged.group(2)] if staged else [token]
    for i in range(len(out) - 1, 0, -1):
        numeral, sub = (out[i][:-1], out[i][-1]) if out[i][-1:] in ("a", "b") else (out[i], "")
        if out[i - 1] in _NUMBERED and numeral in _ROMAN:
            out[i] = _ROMAN[numeral] + sub
        elif out[i - 1] in _STAGED_NAMES and (numeral in _ROMAN or numeral.isdigit() and len(numeral) == 1):
            out[i:i + 1] = ["stage", _ROMAN.get(numeral, numeral) + sub]
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Plural and possessive endings off; enough to match "disorders"/"disorder"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        return word[:-1]
    return word


_TYPE = re.compile(r"\btype (1|2|i|ii)\b")
_TYPE_NAME = {"1": "type1", "i": "type1", "2": "type2", "ii": "type2"}


# "both knees" is what the code calls "bilateral"; "3rd tri" its "third trimester", "fully remitted" "full"
SAME_WORD = {"both": "bilateral", "1st": "first", "2nd": "second", "3rd": "third", "fully": "full",
             "partially": "partial"}
SYNONYM = {"opiate": "opioid", "opiates": "opioid"}  # one word to the codes, not a qualifier
_WRITTEN = {**SYNONYM, **SAME_WORD}  # words() looks a word up in both, SAME_WORD first


def words(text: str) -> list[str]:
    """Stemmed alphanumeric words (the word-level analyzer of the index); "type 2" is one word."""
    text = _TYPE.sub(lambda m: _TYPE_NAME[m.group(1)], text.replace("'s", ""))
    return [_WRITTEN.get(w) or stem(w) for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


@lru_cache(maxsize=262144)
def word_set(text: str) -> frozenset[str]:
    """Content words of a term or reading, as a set (cached: terms recur across entries)."""
    return frozenset(content_words(text))


def bag_key(text: str) -> str:
    """Order-free key: "dependence, alcohol" and "alcohol dependence" share it."""
    return " ".join(sorted(word_set(text)))
