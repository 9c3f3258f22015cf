"""The 7th character a coder adds to a code that takes one. Content offers such a
code in its default form (A "initial encounter", else 0) and lists its other
extensions; the entry picks one by what it states:

- the encounter: "subsequent encounter", "follow-up", "f/u", "aftercare" -> D;
  "sequela", "late effect" -> S ("Left ankle sprain, follow-up visit" -> S93.402D);
- how a fracture heals, on a subsequent encounter: delayed healing G, nonunion K,
  malunion P (routine healing D);
- an open fracture: B (type I or II; "open" alone is coded so), E / H / M / Q later;
- a digit extension whose stage the entry says: H40.1132 "..., moderate stage"."""

from __future__ import annotations

import re

from server.match.normalize import word_set

INITIAL = re.compile(r"\b(initial|init)\b")
# "healing", not "stages of healing" (bruises), "not healing" or "non-healing" (a wound); a table's
# "SPRAIN LT WRIST SUBS", not "subs abuse"
_SUBS = r"subs(?! (ab|use|dep|mis|induced))"
SUBSEQUENT = re.compile(rf"\b(subsequent|subs (enc|encounter|visit)|{_SUBS}|subseq|subsq|follow[- ]?up|f/u|aftercare|"
                        r"(?<!\bof )(?<!\bnot )(?<!non-)(?<!\bnon )healing)\b")
SEQUELA = re.compile(r"\b(sequela|sequelae|late effects?)\b")
HEALING = (("delayed healing", re.compile(r"\bdelayed (healing|heal|union)\b")),
           ("nonunion", re.compile(r"\bnon[- ]?union\b")),
           ("malunion", re.compile(r"\bmal[- ]?union\b")))
OPEN = re.compile(r"\b(open|compound)\b")
STAGES = frozenset({"mild", "moderate", "severe", "indeterminate"})  # all a digit extension is picked by
# what an entry says only of the encounter or the healing (searched without it too: "Left ankle
# sprain, follow-up visit" is read as "left ankle sprain")
CUES = re.compile(rf"\b((subsequent|subseq|subsq|subs) (encounter|enc|visit)|{_SUBS}"
                  r"|(follow[- ]?up|f/u)( (visit|encounter))?|((with|w) )?(routine|delayed) heal(ing)?"
                  r"|healing (normally|well)|((with|w) )?(non|mal)[- ]?union)\b")


def without_cues(reading: str) -> str:
    """The reading less what it says of the encounter; "" when it says nothing of it."""
    out = CUES.sub(" ", reading)
    return " ".join(out.split()) if out != reading else ""


def extend(code: str, display: str, texts: list[str], extensions: dict[str, list[list[str]]]
           ) -> tuple[str, str, str]:
    """(code, display, why) of the extension the entry's readings `texts` state; the code itself
    (why "") when they state none."""
    options = extensions.get(code)
    if not options:
        return code, display, ""
    text = " ".join(texts)
    pick = _by_encounter(text, options) if code[-1].isalpha() else _by_stage(text, display, options)
    if pick is None or pick[0] == code:
        return code, display, ""
    return pick[0], pick[1], f"7th character {pick[0][-1]}: {pick[2]}"


def _by_encounter(text: str, options: list[list[str]]):
    initial = bool(INITIAL.search(text))
    sequela = not initial and bool(SEQUELA.search(text))
    subsequent = not initial and any(not _planned(text, m) for m in SUBSEQUENT.finditer(text))
    healing = None if initial else next((name for name, pattern in HEALING if pattern.search(text)), None)
    titles = [(c, d, d.lower()) for c, d in options]
    fracture = any("open fracture" in t for _, _, t in titles)
    is_open = fracture and bool(OPEN.search(text))
    if sequela:
        want, why = ["sequela"], "sequela"
    elif subsequent or healing:
        want, why = ["subsequent encounter"], "subsequent encounter"
        if any("healing" in t or "union" in t for _, _, t in titles):
            want.append(healing or "routine healing")
            why += f", {healing or 'routine healing'}"
    elif is_open:
        want, why = ["initial encounter"], "initial encounter"
    else:
        return None
    for opened in ((True, False) if is_open else (False,)):
        for c, d, t in titles:
            if all(w in t for w in want) and (not fracture or ("open fracture" in t) == opened
                                                 or want == ["sequela"]):
                return c, d, why + (", open fracture" if opened else "")
    return None


# A follow-up the plan arranges is no follow-up encounter: "..., ulnar gutter splint, ortho f/u",
# "burn clinic f/u", "f/u in 1 wk", "will f/u with PCP".
_PLAN_BEFORE = frozenset("ortho orthopedics orthopedic clinic pcp will to arrange arranged needs need schedule "
                         "outpatient outpt and plan surgery hand burn specialist podiatry ent derm wound".split())
_PLAN_AFTER = frozenset("in with w w/ appt appointment prn arranged scheduled".split())


def _planned(text: str, m: re.Match) -> bool:
    if not m[0].startswith(("f/u", "follow")):
        return False
    before, after = text[:m.start()].split()[-1:], text[m.end():].split()[:1]
    return bool(set(before) & _PLAN_BEFORE or set(after) & _PLAN_AFTER)


def _by_stage(text: str, display: str, options: list[list[str]]):
    said = word_set(text)
    own = word_set(display)
    best, most = None, 0
    for c, d in options:
        extra = word_set(d) - own
        if extra and extra <= STAGES & said and len(extra) > most:
            best, most = (c, d, " ".join(sorted(extra))), len(extra)
    return best
