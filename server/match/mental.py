"""A psychiatric entry in ICD-10-CM's words, as an extra reading:
- a mood episode "with" delusions or hallucinations has psychotic features ("single major
  depressive episode, severe, with nihilistic delusions" is F32.3), one with "no psychotic sx"
  none; a depression's first episode is a single one;
- a withdrawal with hallucinations has perceptual disturbance (F10.232), an induced psychosis is
  an induced psychotic disorder (with delusions or with hallucinations, as it says), an induced
  depression a mood disorder (F10.24), an induced major neurocognitive disorder a persisting dementia
  (F10.27), an OCD with obsessions and rituals F42.2, an induced insomnia a sleep disorder (F10.282),
  insomnia due to anxiety or depression F51.05, a use
  "clean since" or "sober for" a time in remission, methamphetamine a stimulant; a drug named in a use disorder is
  the substance F10-F19 name ("fentanyl use disorder" is an opioid one; drug_classes.tsv);
- a specific phobia by what is feared as F40.2- words it ("afraid of heights" is acrophobia, "phobia,
  situational (flying)" F40.243 "Fear of flying");
- a dementia with paranoid delusions is one "with psychotic disturbance" (F03.92), with wandering
  one "with other behavioral disturbance" (F03.918), as F01-F03 word them;
- anxiety, depression, psychosis or delirium due to a medical condition is due to a known
  physiological condition ("anxiety secondary to Parkinson's disease" is F06.4, not G20);
- a mental disorder or a substance use in a pregnancy is one complicating it (O99.31- to O99.34-,
  the trimester as said or implied: "recurrent MDD, moderate, complicating pregnancy at 18 weeks"
  is O99.342, "preg w/ OUD, 1st trim" O99.321, "G2P1 at 32 wks w/ OUD" O99.323), a substance use
  after delivery one complicating the puerperium (O99.3x5; postpartum depression stays F53.0)."""

from __future__ import annotations

import re

from server.match import poisoning
from server.match.abbreviations import SUBSTANCES
from server.match.implied import gestational_weeks, trimester, undenied

_MOOD = re.compile(r"\b(depress\w*|bipolar|mania|manic|hypomani\w*|mood)\b")
_PSYCHOTIC = re.compile(r"\bwith (?:[\w-]+ ){0,3}?(delusions?|hallucinations?|psychosis|psychotic symptoms)\b")
_NOT_PSYCHOTIC = re.compile(r"\b(?:without|no|not|w/o|wo) psychotic (?:symptoms|sx|features|sxs)\b")
# what F1x.24 / F1x.282 call an induced depression or insomnia; F51.05 insomnia due to a mental disorder
_INDUCED_MOOD = re.compile(r"\binduced (?:depression|depressive disorder|depressive|depressed mood)\b")
_INDUCED_SLEEP = re.compile(r"\binduced insomnia\b")
# DSM-5's substance-induced major neurocognitive disorder is F1x.27 / F1x.97 "... induced persisting dementia"
_INDUCED_NCD = re.compile(r"\b(?:induced|related) major (?:neurocognitive disorder|ncd)\b")
_INSOMNIA_MENTAL = re.compile(r"\binsomnia (?:secondary to|due to|d/t|2/2|from) (?:\w+ )?(?:anxiety|depression|ptsd|"
                              r"post-traumatic stress disorder|posttraumatic stress disorder|bipolar disorder|"
                              r"mental disorder)\b")
_CLEAN_SINCE = re.compile(r"\b(clean|sober|abstinent)(?: from \w+)? (since|for|x|x\d|\d+ (?:y|yr|yrs|years?|mo|mos|months?)\b)")
# "no use x 14 mo", "no drinking for 6 mo": three months or more without use is a remission (DSM-5)
_NO_USE_FOR = re.compile(r"\b(?:no|without|not) (?:\w+ )?(?:use|using|used|drinking|drank|drugs?) (?:x|for|in|since) ?"
                         r"(\d{1,2}) ?(mo|mos|months?|y|yr|yrs|years?)\b")
REMISSION_MONTHS = 3
# a specific phobia by what is feared, in F40.2-'s words ("specific phobia, situational type (flying)": F40.243)
_FEARED = re.compile(r"\b(phobias?|phobic|afraid|fears?|feared|fearful|terrified|scared)\b")
_PHOBIA_OF = (
    (re.compile(r"\b(flying|fly|flights?|planes?|airplanes?|flown)\b"), "fear of flying"),
    (re.compile(r"\b(heights?|ladders?|balcon\w*)\b"), "acrophobia"),
    (re.compile(r"\b(bridges?)\b"), "fear of bridges"),
    (re.compile(r"\b(elevators?|enclosed|confined|tunnels?|small spaces|tight spaces|mri)\b"), "claustrophobia"),
    (re.compile(r"\b(spiders?)\b"), "arachnophobia"),
    (re.compile(r"\b(dogs?|cats?|snakes?|birds?|insects?|bees?|animals?|mice|rats?|horses?)\b"),
     "other animal type phobia"),
    (re.compile(r"\b(thunderstorms?|storms?|thunder|lightning)\b"), "fear of thunderstorms"),
    (re.compile(r"\b(needles?|injections?|shots|blood draws?|vaccines?|iv)\b"), "fear of injections and transfusions"),
    (re.compile(r"\b(blood)\b"), "fear of blood"),
    (re.compile(r"\b(dentists?|dental|doctors?|hospitals?)\b"), "fear of other medical care"))
_PERCEPTUAL = re.compile(r"\bwithdrawal (?:with|and|w/) (?:[\w-]+ ){0,3}?(hallucinations?|hallucinosis)\b")
# an OCD with both obsessions and compulsions is F42.2 "mixed obsessional thoughts and acts"
_OCD = re.compile(r"\bobsessive-compulsive disorder\b")
_OBSESSIONS = re.compile(r"\b(obsess?ions?|obsess?ional|intrusive (?:\w+ )?(?:thoughts?|images?|urges?)|fears?)\b")
_COMPULSIONS = re.compile(r"\b(compulsions?|rituals?|ritualistic|checking|washing|handwashing|counting|cleaning)\b")
# a dementia's disturbance in F01-F03's words, by what the entry says it has
_DEMENTIA = re.compile(r"\b(dementia|neurocognitive disorder)\b")
DISTURBANCES = (
    (re.compile(r"\b(delusions?|delusional|paranoid|paranoia|hallucinations?|hallucinating|psychotic|psychosis|"
                r"imposter|impostor)\b|\b(believes|thinks|convinced|accuses|accusing)\b(?: \w+){0,4} (stealing|stole|"
                r"steals|poisoning|poisoned|spying|cheating)\b|\b(sees|seeing|hears|hearing|talks to)\b(?: \w+){0,3} "
                r"(voices|dead|deceased)\b"),
     "with psychotic disturbance"),
    (re.compile(r"\b(agitation|agitated|aggression|aggressive|combative|violent|hitting|striking|yelling|"
                r"screaming|pushing|shoving|kicking|biting|throwing)\b"),
     "with agitation"),
    (re.compile(r"\b(wandering|wanders|disinhibition|disinhibited|undress\w*|sexually inappropriate|sundowning|"
                r"sleep disturbance|sleep disturbances|sleep disturb|day night reversal)\b"),
     "with other behavioral disturbance"),
    (re.compile(r"\b(apathy|apathetic|depression|depressed|depressive)\b"), "with mood disturbance"),
    (re.compile(r"\b(anxiety|anxious)\b"), "with anxiety"))
# an induced psychosis by what it has: F1x.x50 "with delusions", F1x.x51 "with hallucinations"
_PSYCHOSIS = re.compile(r"\b(psychosis|psychotic disorder)\b")
_DELUSIONS = re.compile(r"\b(delusions?|delusional|paranoid|paranoia)\b")
_HALLUCINATIONS = re.compile(r"\b(hallucinations?|hallucinating|hearing voices|ah|vh)\b")
_MENTAL = re.compile(r"\b(anxiety|panic|depression|depressive|mood|psychosis|psychotic|hallucinations|delusions|"
                     r"delirium|catatonia|catatonic|personality change)\b")
_MOOD_FEATURES = ((re.compile(r"\bdepress\w*"), "depressive"), (re.compile(r"\b(mania|manic)\b"), "manic"))
_DISORDER = re.compile(r"\b(depress\w*|anxiety|panic|bipolar|schizo\w*|post-traumatic|obsessive|psychosis|"
                       r"psychotic)\b")
_PREGNANT = re.compile(r"\b(pregnancy|pregnant|gestation|antepartum|trimester|iup|prenatal|g\d+p\d+\w*)\b")
_PUERPERIUM = re.compile(r"\b(postpartum|post-partum|puerperium|puerperal)\b")  # O99.3x5
_TOBACCO = frozenset("tobacco nicotine smoking smoker smokes cigarette cigarettes cigs vaping vape".split())
_ALCOHOL = frozenset("alcohol etoh alcoholic drinking".split())
_TRIMESTER = re.compile(r"\b(first|second|third|1st|2nd|3rd) (trimester|trim|tri)\b")
_ORDINAL = {"1st": "first", "2nd": "second", "3rd": "third"}
# a withdrawal shown, not named (F1x.x3: "mild OUD - now yawning, rhinorrhea, COWS 9")
_WITHDRAWAL_SCALE = re.compile(r"\b(cows|ciwa|ciwa-ar)(?: score)?(?: of| =|:)? (\d{1,2})\b")
_SCALE_THRESHOLD = {"cows": 5, "ciwa": 8, "ciwa-ar": 8}  # mild withdrawal from there
_WITHDRAWAL_SLANG = re.compile(r"\b(dopesick|dope sick|(?:meth|methamphetamine|stimulant|amphetamine|cocaine|coke|"
                               r"crack) crash|crashing|coming down)\b")  # not "missed classes from the crash"
_WITHDRAWAL_SIGN = re.compile(r"\b(yawning|rhinorrhea|runny nose|piloerection|goosebumps|lacrimation|diaphoresis|"
                              r"diaphoretic|sweats|sweating|tremor|tremors|tremulous|shakes|shaky|dilated pupils|"
                              r"mydriasis)\b")
_SIGN_OF = {"runny nose": "rhinorrhea", "goosebumps": "piloerection", "diaphoretic": "diaphoresis",
            "sweats": "diaphoresis", "sweating": "diaphoresis", "tremors": "tremor", "tremulous": "tremor",
            "shakes": "tremor", "shaky": "tremor", "mydriasis": "dilated pupils"}
# opioid agonist treatment: its patient's opioid use is a dependence (the index: maintenance, methadone F11.20)
_MAINTAINED = re.compile(r"\b(on|maintained on|taking) (methadone|buprenorphine|bup|suboxone|subutex|sublocade|"
                         r"buprenorphine-naloxone)\b|\bmethadone maintenance\b")
_OPIOID_USE = re.compile(r"\b(opioid|opiate|heroin|fentanyl|oxycodone)s? use\b(?! disorder)")
# a use disorder's words: a drug named with them is the substance its codes name
_USE = re.compile(r"\b(use|using|abuse|misuse|dependence|dependent|addiction|addicted|withdrawal|intoxication|"
                  r"intoxicated|induced|remission)\b")
_CLASS_NAMES = frozenset("cannabis marijuana cocaine".split())  # the codes' own words
_DUE_TO = re.compile(r"\b(secondary to|due to|caused by|2/2|d/t) ")
# what a mental condition is due to that is no physiological condition
_NOT_PHYSIOLOGICAL = SUBSTANCES | frozenset(
    "medication medications withdrawal intoxication stress stressors loss grief divorce trauma traumatic abuse job "
    "work family death breakup financial finances housing eviction school relationship separation bereavement "
    "psychosocial social isolation unemployment incarceration anxiety depression".split())



def feared(text: str) -> str | None:
    """The F40.2- title of what an entry names as feared ("afraid of heights": "acrophobia"), else None."""
    if not _FEARED.search(text):
        return None
    return next((title for pattern, title in _PHOBIA_OF if undenied(pattern, text)), None)


def _no_use_for_months(text: str) -> bool:
    return any(int(m[1]) * (12 if m[2].startswith("y") else 1) >= REMISSION_MONTHS for m in _NO_USE_FOR.finditer(text))

def _substance(text: str) -> str:
    """A drug named in a use disorder as the substance F10-F19 name ("fentanyl use disorder" is an
    opioid one, "xanax withdrawal" a sedative one), unless the entry names a substance itself or a
    poisoning."""
    drugs = poisoning.drug_substances()
    words = text.split()
    if not _USE.search(text) or poisoning.POISONING.search(text) or any(
            w in SUBSTANCES and (w not in drugs or w in _CLASS_NAMES) for w in words):
        return text
    out, named = [], set()
    for word in words:
        substance = drugs.get(word)
        if substance:  # each substance once, and not beside its own name ("sedative-hypnotic ... alprazolam")
            if substance in named or any(w in text for w in substance.split() if w not in ("or", "other")):
                continue
            named.add(substance)
        out.append(substance or word)
    return " ".join(out)


def _withdrawing(text: str) -> bool:
    """A withdrawal the entry shows and does not name: a scale over its threshold ("COWS 9"), two of its
    signs ("yawning, rhinorrhea"), or its own slang ("dopesick", "meth crash")."""
    scale = _WITHDRAWAL_SCALE.search(text)
    if scale and int(scale[2]) >= _SCALE_THRESHOLD[scale[1]] or undenied(_WITHDRAWAL_SLANG, text):
        return True
    signs = {_SIGN_OF.get(m[1], m[1]) for m in _WITHDRAWAL_SIGN.finditer(text)}
    return len(signs) >= 2 and undenied(_WITHDRAWAL_SIGN, text)


_ANXIOUS = re.compile(r"\b(anxious|anxiety)\b")
_DEPRESSED = re.compile(r"\b(depressed|depressive|depression)\b")
_SUBSTANCE_INDUCED = re.compile(r"\bsubstance[- ]induced\b")
_UNNAMED = frozenset("substance drug drugs polysubstance polysub".split())  # no one substance


def reading(text: str, entry: str = "") -> str:
    """The entry so read (`entry`: as typed, for what its readings leave out); "" when none of these applies."""
    typed = text
    out = text = _substance(text)
    if _MAINTAINED.search(f"{typed} {entry.lower()}"):  # "fentanyl use on methadone 80mg": F11.20, the index's
        # methadone maintenance
        out = text = _OPIOID_USE.sub(r"\1 dependence", text)
    words = set(re.split(r"[\s-]+", text))  # "stimulant-induced" names its substance
    substance = not SUBSTANCES.isdisjoint(words) or not words.isdisjoint({"alcoholic", "alcoholism"})
    if _MOOD.search(text) and "without psychotic" not in text and not substance:
        out = _PSYCHOTIC.sub("with psychotic features", out)
    if "depress" in text:  # a first episode is a single one
        out = out.replace("first episode", "single episode")
    out = out.replace("induced psychosis", "induced psychotic disorder").replace("methamphetamine", "stimulant")
    if _SUBSTANCE_INDUCED.search(out):  # "meth use d/o w/ substance-induced depressive d/o"
        named = {w for w in re.split(r"[\s-]+", out) if w in SUBSTANCES} - _UNNAMED
        out = _SUBSTANCE_INDUCED.sub(f"{named.pop()}-induced", out) if len(named) == 1 else out
    out = _PERCEPTUAL.sub("withdrawal with perceptual disturbance", out)
    if substance and "withdrawal" not in out and _withdrawing(out):
        out += " with withdrawal"
    if substance and _PSYCHOSIS.search(out) and "with delusions" not in out and "with hallucinations" not in out:
        delusions, hallucinations = undenied(_DELUSIONS, out), undenied(_HALLUCINATIONS, out)
        if delusions != hallucinations:
            out += " with delusions" if delusions else " with hallucinations"
    if _DEMENTIA.search(out):
        said = [words for pattern, words in DISTURBANCES if undenied(pattern, out) and words not in out]
        if len(said) == 1:  # more than one is for several codes
            out += " " + said[0]
    if "adjustment" in out and "mixed" not in out and undenied(_ANXIOUS, out) and undenied(_DEPRESSED, out):
        out += " with mixed anxiety and depressed mood"  # F43.23: "adjustment d/o w/ both anxious + depressed"
    if _OCD.search(out) and undenied(_OBSESSIONS, out) and undenied(_COMPULSIONS, out):
        out += " mixed obsessional thoughts and acts"
    out = _INDUCED_MOOD.sub("induced mood disorder", _INDUCED_SLEEP.sub("induced sleep disorder", out))
    out = _INDUCED_NCD.sub("induced persisting dementia", out) if substance else out
    out = _INSOMNIA_MENTAL.sub("insomnia due to other mental disorder", out)
    title = feared(out) if not substance else None
    out += f" {title}" if title and title not in out else ""
    if substance and (_CLEAN_SINCE.search(out) or _no_use_for_months(out)) and "remission" not in out:
        out += " in remission"  # "clean since 2016": in remission
    if _MOOD.search(text):  # "no psychotic sx" is F3x's "without psychotic features"
        out = _NOT_PSYCHOTIC.sub("without psychotic features", out)
    due = _DUE_TO.search(out)
    if due and _MENTAL.search(out[:due.start()]) and _NOT_PHYSIOLOGICAL.isdisjoint(out[due.end():].split()[:3]):
        head = out[:due.start()]
        mood = next((f for word, f in _MOOD_FEATURES  # "mood d/o due to ... with depressive features" too
                     if word.search(head) or "mood" in head and word.search(out[due.end():])), None)
        out = (f"mood disorder due to known physiological condition with {mood} features" if mood
               else head + "due to known physiological condition")
    puerperium = (substance and _PUERPERIUM.search(out) and not _PREGNANT.search(out)  # F53: postpartum depression
                  and "remission" not in out and _TOBACCO.isdisjoint(words))  # the dev sets' coders: F11.21, F17.290
    if (_PREGNANT.search(out) or puerperium) and (substance or _DISORDER.search(out)):
        found = [_ORDINAL.get(m[1], m[1]) for m in _TRIMESTER.finditer(out)]
        weeks = gestational_weeks(out.split()) if len(set(found)) > 1 else None
        said = trimester(weeks) if weeks is not None and trimester(weeks) in found else found[0] if found else ""
        tobacco = not _TOBACCO.isdisjoint(words) and all(w in _TOBACCO for w in words & SUBSTANCES)  # not THC vaping
        kind = ("other mental disorders" if not substance else "smoking (tobacco)" if tobacco
                else "alcohol use" if not _ALCOHOL.isdisjoint(words) else "drug use")
        stated = f" {said} trimester" if said else ""
        out = f"{kind} complicating the puerperium" if puerperium else f"{kind} complicating pregnancy{stated}"
    return out if out != typed else ""
