"""Words a coder reads into an entry that it does not spell out:
- the trimester of a gestational age, appended ("preeclampsia at 35 weeks" is third trimester;
  ICD-10-CM: first under 14 weeks, second under 28; "28 wks, still smoking" too, and "at 32 wks, ...
  this trimester"), a later pregnancy's gravida ("G3P2") as multigravida, a pregnant "AMA" as elderly;
- a second or third episode as recurrent ("2nd episode of major depression": F33; C diff: A04.71),
  fractured "ribs" as multiple (S22.4-);
- "both" of paired parts as "bilateral" ("ringing in both ears"); a heart failure with preserved
  ejection fraction as diastolic, with reduced as systolic;
- the spinal region of a thoracic or lumbar level, in the level's place ("L4-5 disc herniation"
  is lumbar; a rare token like "l4-5" would pull in whatever terms share it; ICD-10-CM names
  cervical levels itself);
- the end of a long bone as ICD-10-CM names it ("distal radius" is its "lower end"), a fractured
  bone by its noun ("femoral neck fracture" is one of the neck of the femur, a hip fracture too);
- a pressure ulcer's site as L89 names it (sacrum or coccyx: "sacral region"), an abscess's or a
  cellulitis's as L02.4- / L03.1- do ("forearm abscess" is of the upper limb);
- a gestational diabetes "on insulin" is insulin controlled (O24.414), on metformin controlled by oral
  hypoglycemic drugs, on diet diet controlled;
- a "type 1 diabetic" has type 1 diabetes, an "epileptic" epilepsy; a poorly controlled or
  uncontrolled diabetes is one with hyperglycemia (the index's convention), an uncontrolled
  epilepsy or migraine intractable (G40, G43),
  a pre-eclampsia "without severe features" a mild to moderate one, a hyperemesis with ketones,
  dehydration or low potassium one with metabolic disturbance, a hemiparesis or aphasia after a
  stroke its sequela ("following cerebral infarction"), a left hemiplegia non-dominant and a right
  one dominant when the entry does not say (guideline I.C.6.a), low back pain with sciatica lumbago,
  a chronic heart failure's exacerbation acute on chronic (not a denied one); a hemiplegia's side the one
  next to it, dominant or not by the hand the entry says ("L hemiparesis after R MCA stroke, R-handed");
- a blood alcohol over the legal limit, or an opioid user's nodding off, as an intoxication, "in a
  controlled environment" as a remission, DSM-5's "psychotic d/o w/ severe use d/o" as induced, a
  schizophrenia's "disorganized speech" as a symptom, not its type, an HIV "never" with AIDS or an OI as
  asymptomatic (Z21), a CRPS site's limb (G90.5- names only limbs);
- a relative's drinking or drug use as "alcoholism in family" (Z63.72: "dad drinks heavily at home"),
  a pregnant patient's drinking as alcohol use (O99.31-), a gout of a toe as of the ankle and foot
  (M10.07-), "nonorganic" as F98's "not due to a substance or known physiological condition";
- the child or adult of an abuse or neglect, by the age said or CPS / APS ("suspected neglect of
  84-year-old" is T76.01- adult neglect, "physical abuse, 18-month-old" T74.12- child abuse);
- a severity without the word "severity" ("moderate severity" is "moderate", not F31.30's "mild or
  moderate severity"), a bipolar disorder's present state as its current episode ("bipolar I,
  presently depressed" is "..., current episode depressed").
For the entry's readings only (as typed stays as typed), never the index's terms."""

from __future__ import annotations

import re

_WEEKS = re.compile(r"^(\d{1,2})(?:(?:w|wk|wks|week|weeks)(?:\dd?)?)?$")  # "22w3d": 22 weeks 3 days
WEEK_WORDS = frozenset({"w", "wk", "wks", "week", "weeks"})
_PREGNANCY = frozenset(
    "pregnant pregnancy gestation gestational ga iup prenatal antenatal preeclampsia pre-eclampsia pree eclampsia "
    "hyperemesis gravid gravida preterm labor placenta previa obstetric gdm pih pprom prom primigravida multigravida "
    "primip multip".split())
_NONORGANIC = frozenset({"nonorganic", "non-organic"})
_GOUT = frozenset("gout gouty podagra".split())
_FOOT_PARTS = frozenset("toe toes mtp metatarsophalangeal foot feet heel midfoot forefoot".split())  # gout's site
_LACERATION = frozenset("laceration lacerations lac lacs".split())
_STRUCTURE = frozenset("vessel artery arterial vein tendon tendons nerve muscle fascia ligament".split())
_DIGITS = frozenset("finger fingers thumb toe toes".split())
_BITTEN = frozenset("bite bites bitten".split())
_BITER = frozenset("dog cat human animal".split())
_DRINKING = frozenset("drinking drinks beers beer wine liquor".split())
_ALCOHOL = frozenset("alcohol etoh alcoholic".split())
_GRAVIDA = re.compile(r"^g\d+p\d+")
_GRAVIDA_ALONE = re.compile(r"^g\d{1,2}$")  # "G1 at 9 wks"
_LATER_GRAVIDA = re.compile(r"^g([2-9]|1\d)(p\d{1,4})?$")  # "G3P2": a multigravida (Z34.8-, O09.52-)
TRIMESTER_SAID = frozenset({"trimester", "trimesters", "tri"})  # not "first" alone: "first pregnancy"

_PAIRED = frozenset("ears eyes knees hips legs arms feet hands sides lungs breasts shoulders wrists ankles elbows "
                    "kidneys ovaries lower upper".split())

_LEVEL = re.compile(r"^([tl])(\d{1,2})(?:-([tls])?(\d{1,2}))?$")  # cervical codes name their levels
_REGION = {"t": "thoracic", "l": "lumbar"}
_SPANNING = {("t", "l"): "thoracolumbar", ("l", "s"): "lumbosacral"}
_LEVELS = {"t": 12, "l": 5, "s": 1}
REGIONS = frozenset(_REGION.values()) | frozenset(_SPANNING.values()) | {"sacral", "cervical"}

_LONG_BONES = frozenset("radius ulna humerus femur tibia fibula".split())
# one token each: positions stay (capitals)
_END = {"distal": "lower end", "proximal": "upper end", "dist": "lower end", "prox": "upper end"}
_FRACTURE = frozenset("fracture fractures fractured fx fxs".split())
_BONE = {"femoral": "femur", "humeral": "humerus", "radial": "radius", "ulnar": "ulna", "tibial": "tibia",
         "fibular": "fibula", "clavicular": "clavicle", "scapular": "scapula", "patellar": "patella",
         "pelvic": "pelvis", "vertebral": "vertebra", "calcaneal": "calcaneus", "sternal": "sternum",
         "mandibular": "mandible", "maxillary": "maxilla", "hip": "neck of femur"}  # the index: fracture, hip

# a stress fracture's site as M84.3- names it (no metatarsal: "Stress fracture, left foot")
_STRESS_SITE = {"metatarsal": "foot", "metatarsals": "foot", "navicular": "foot", "calcaneus": "foot",
                "calcaneal": "foot", "metacarpal": "hand"}
# L02.41- / L03.11- name a limb, not its parts (the hand and foot have codes of their own)
_SKIN_INFECTION = frozenset("abscess abscesses cellulitis furuncle carbuncle boil lymphangitis".split())
_LIMB = {"arm": "upper limb", "forearm": "upper limb", "elbow": "upper limb", "antecubital": "upper limb",
         "axillary": "axilla",
         "leg": "lower limb", "thigh": "lower limb", "knee": "lower limb", "calf": "lower limb", "shin": "lower limb"}
_CELLULITIS_LIMB = {**_LIMB, "hand": "upper limb", "foot": "lower limb"}  # L03.11-; an abscess's hand is L02.51-
# G90.5- names a limb only: "CRPS R foot" is G90.521 "... of right lower limb"
_WHOLE_LIMB = {**_CELLULITIS_LIMB, **dict.fromkeys("wrist finger fingers thumb shoulder".split(), "upper limb"),
               **dict.fromkeys("ankle toe toes hip heel".split(), "lower limb")}
_CRPS = frozenset("crps rsd causalgia".split())
# an injury of the calf or shin is of the lower leg (S80-S89), of the forehead or chin of "other part of
# head" (S01.8-), as the index says
_WOUNDED = frozenset("bite bitten bites laceration lac abrasion contusion puncture wound wounds".split())
_LOWER_LEG = {"calf": "lower leg", "shin": "lower leg", "forehead": "other part of head", "chin": "other part of head"}

# a deficit after a stroke is its sequela (I69.3-: "hemiplegia ... following cerebral infarction")
_STROKE = frozenset("stroke strokes cva infarct infarction cerebrovascular".split())
_STROKE_DEFICIT = frozenset("hemiplegia hemiparesis hemipl hemipleg aphasia dysphagia dysarthria monoplegia".split())
_HEMI = frozenset("hemiplegia hemiparesis hemipl hemipleg hemiplegic hemiparetic".split())
_SIDES = {"left": "left", "l": "left", "lt": "left", "right": "right", "r": "right", "rt": "right"}
_NEAR_HEMI = (-1, 1, -2, -3)  # where a hemiplegia's side is said: "L-sided weakness and hemiparesis", "hemiparesis L"
_HANDED = re.compile(r"^(left|l|lt|right|r|rt)-?handed$")


def _side_of(token: str) -> str | None:
    return _SIDES.get(token.split("-")[0]) if token.split("-")[-1] in ("", "sided", "side") or token in _SIDES \
        else None


def _other_sides(tokens: list[str]) -> set[int]:
    """Positions of side words other than the hemiplegia's ("after R MCA stroke", "R-handed")."""
    near = {i + j for i, t in enumerate(tokens) if t in _HEMI for j in _NEAR_HEMI}
    if not any(_side_of(tokens[j]) for j in near if 0 <= j < len(tokens)):
        return set()
    return {i for i, t in enumerate(tokens) if i not in near and (_side_of(t) or _HANDED.match(t) or
                                                                  t == "handed" and i and tokens[i - 1] in _SIDES)}


def _dominance(tokens: list[str]) -> list[str]:
    """A hemiplegia's side as dominant or not: by the hand the entry says ("L hemiparesis, pt is R-handed"
    is non-dominant), else left non-dominant and right dominant (guideline I.C.6.a). The side is the one
    next to the hemiplegia ("L-sided hemiparesis after R MCA stroke")."""
    hand = next((_SIDES[m[1]] for t in tokens if (m := _HANDED.match(t))), None)
    hand = hand or next((_SIDES[t] for t, u in zip(tokens, tokens[1:]) if t in _SIDES and u == "handed"), None)
    near = [tokens[i + j] for i, t in enumerate(tokens) if t in _HEMI for j in _NEAR_HEMI
            if 0 <= i + j < len(tokens)]
    sides = [side for t in near if (side := _side_of(t))]
    sides = sides or [side for t in tokens if not _HANDED.match(t) and (side := _side_of(t))]
    if not sides:
        return []
    return ["affecting", sides[0], "dominant" if sides[0] == (hand or "right") else "non-dominant", "side"]
_SINCE = frozenset("s/p after following old prior residual history hx h/o post since sequela sequelae late".split())

_HEART_FAILURE = frozenset("chf hf hfref hfpef failure".split())
_EXACERBATION = frozenset("exacerbation exac exacerb flare decompensated decompensation".split())
_EXACERBATED = re.compile(rf"\b({'|'.join(_EXACERBATION)})\b")
_METABOLIC = frozenset("ketonuria ketosis ketones dehydration dehydrated hypokalemia hyponatremia electrolyte "
                       "electrolytes acidosis".split())
_PRESSURE_ULCER = frozenset("pressure decubitus bedsore bedsores".split())
_ULCER_SITE = {"sacrum": "sacral region", "coccyx": "sacral region", "coccygeal": "sacral region",
               "sacral": "sacral region"}

# a noncompliance for a medicine's cost is Z91.141 "... due to financial hardship" (a rationing is
# the index's underdosing, or a cost burden)
_NOT_TAKEN = frozenset("noncompliant noncompliance nonadherent nonadherence".split())
_COST = frozenset("cost costs afford expensive copay copays money $".split())
_MALTREATMENT = frozenset("abuse abused neglect neglected maltreatment maltreated exploitation exploited abandonment "
                          "abandoned".split())
_AGE_TOKEN = re.compile(r"^(\d{1,3})(?:-(year|month|week|day)s?-old|yo|y/o|yr|yrs|mo|mos)$")
_AGE_AFTER = frozenset("yo y/o yr yrs year-old month-old years-old months-old".split())
_CHILD_WORDS = frozenset("infant infants toddler newborn baby babies boy girl teen teenager adolescent cps".split())
_ADULT_WORDS = frozenset("elder elderly aps".split())  # child or adult protective services
ADULT_AGE = 18


_RELATIVE = (r"(mom|mother|dad|father|parent|parents|husband|wife|spouse|partner|boyfriend|girlfriend|son|daughter|"
             r"brother|sister|stepfather|stepdad|stepmom|grandma|grandpa|uncle|aunt)")
RELATIVE_USE = re.compile(rf"\b{_RELATIVE}(?:'s)?\b(?: \S+){{0,3}}? (drinks|drinking|drunk|alcoholic|alcoholism|"
                           r"uses|using|addiction|addicted|aud|sud|oud|alcohol use disorder|substance use)\b|"
                           rf"\b(alcoholic|addicted|drinking) {_RELATIVE}\b")


_CURRENT = frozenset("now current currently today presently this".split())
# a preterm birth before this pregnancy: O09.21- "Supervision of pregnancy with history of pre-term labor"
_PRETERM = frozenset({"preterm", "premature"})
_BIRTH = frozenset("labor delivery birth delivered".split())
_BEFORE = frozenset("prior previous last hx history".split())


def trimester(weeks: int) -> str:
    return "first" if weeks < 14 else "second" if weeks < 28 else "third"


def _all_weeks(tokens: list[str]) -> list[tuple[int, int]]:
    """(position, weeks) of each gestational age the tokens state ("32 wks", "22w3d")."""
    out = []
    for i, token in enumerate(tokens):
        match = _WEEKS.match(token)
        if match and (match.group(0) != match.group(1) or tokens[i + 1:i + 2] and tokens[i + 1] in WEEK_WORDS):
            weeks = int(match.group(1))
            if 4 <= weeks <= 42:
                out.append((i, weeks))
    return out


def gestational_weeks(tokens: list[str]) -> int | None:
    """The current pregnancy's weeks: the first stated, or the one said to be now ("hx preterm delivery
    at 32 wks, now 18 wks")."""
    found = _all_weeks(tokens)
    if not any(t in _PREGNANCY or _GRAVIDA.match(t) or _GRAVIDA_ALONE.match(t) or t.startswith("pregnan")
               for t in tokens):
        found = [(i, weeks) for i, weeks in found if (_AT_WEEKS & set(tokens[i - 1:i]) or i == 0 and len(tokens) > 4
                                                      and not _DURATION & set(tokens[i + 2:i + 3])) and weeks >= 8
                 and not _NOT_GESTATIONAL & set(tokens) and tokens[i + 2:i + 3] != ["old"]]
        if not found:
            return None
    now = [weeks for i, weeks in found if _CURRENT & set(tokens[max(i - 3, 0):i])]
    return (now or [weeks for _, weeks in found] or [None])[0]


# "acute cystitis at 20 wks": a point in a pregnancy the entry need not name; not a
# visit's ("f/u at 12 wks") nor a baby's
_AT_WEEKS = frozenset({"at"})  # or the first words of an entry that says more: "28 wks, still smoking ~1/2 ppd"
_DURATION = frozenset("of ago old x".split())  # "12 wks of low back pain"
_NOT_GESTATIONAL = frozenset("f/u fu follow followup follow-up rtc return recheck postpartum pp post-op postop "
                             "infant baby newborn old miscarriage miscarried loss lost sab stillbirth stillborn "
                             "delivered delivery born iufd demise abortion termination tab ectopic".split())
_ORDINALS = frozenset("first second third 1st 2nd 3rd".split())
# whose pregnancy is over or not the patient's: a newborn's ("newborn w/ cocaine on meconium tox, mom
# used in 3rd trimester" is P04.41; not a "neonatal death" of an earlier pregnancy), or one lost ("adj d/o
# after 2nd trimester loss 3 mo ago" is F43.21)
NEWBORN = re.compile(r"\b(newborn|neonate|nb|infant|baby born|baby girl|baby boy|neonatal (?:withdrawal|abstinence))\b")
_EXPOSED = re.compile(r"\bprenatal(?:ly)? (?:\S+ ){0,2}expos\w*|\bexposed in utero\b|\bin utero exposure\b|"
                      r"\b(?:bio|birth|biological) (?:mom|mother)\b")  # FAS: "bio mom heavy ETOH in preg"
_LOST = re.compile(r"\btrimester (loss|miscarriage|demise|fetal demise|iufd|stillbirth|sab)\b")
_PREGNANT_NOW = re.compile(r"\b(pregnant|currently|now|g\d+(?:p\d+)?)\b|\b\d{1,2} ?(w|wk|wks|weeks)\b")
_WITHDRAWING = re.compile(r"\b(nas|nows|withdrawal|withdrawing|w/d|abstinence|finnegan)\b")  # P96.1
_MATERNAL = re.compile(r"\b(mom|mother|mothers|maternal|utero|prenatal|prenatally)\b")


_EXPECTING = re.compile(r"\b(pregnant|pregnancy|prenatal|gestation|trimester|\d{1,2} ?(w|wk|wks|weeks))\b")
_NEONATAL_WITHDRAWAL = re.compile(r"\b(nas|nows|neonatal (?:\w+ )?(?:withdrawal|abstinence))\b")


def newborn_exposed(text: str) -> bool:
    """A newborn's entry that speaks of its mother's use (P04.- "Newborn affected by maternal use of ...") or
    of its withdrawal (P96.1)."""
    return bool((NEWBORN.search(text) or _EXPOSED.search(text)) and _MATERNAL.search(text)
                or _NEONATAL_WITHDRAWAL.search(text) and not _EXPECTING.search(text))


def withdrawing(text: str) -> bool:
    """A newborn's withdrawal said and not denied (P96.1)."""
    return undenied(_WITHDRAWING, text)


def none_now(text: str) -> bool:
    """The entry is of a newborn, or of a pregnancy lost and none since."""
    return bool(NEWBORN.search(text) or _EXPOSED.search(text) or _LOST.search(text) and not _PREGNANT_NOW.search(text))


_PASSED = frozenset("after before since past until beyond".split())


def _passed_trimester(tokens: list[str]) -> set[int]:
    """Positions of a trimester the entry places another time than now ("after 1st trimester")."""
    return {j for i, t in enumerate(tokens) if t in TRIMESTER_SAID and i > 1 and tokens[i - 1] in _ORDINALS
            and tokens[i - 2] in _PASSED for j in (i - 1, i)}


def without_trimester(tokens: list[str]) -> list[str]:
    """The tokens without the trimesters they state ("loss in 2nd trimester": the reading of none_now)."""
    said = {i for i, t in enumerate(tokens) if t in ("trimester", "tri")}
    said |= {i - 1 for i in said if i and tokens[i - 1] in _ORDINALS}
    return [t for i, t in enumerate(tokens) if i not in said]


def _region(token: str) -> str | None:
    match = _LEVEL.match(token)
    if not match:
        return None
    first, n, last, m = match.group(1), int(match.group(2)), match.group(3) or match.group(1), match.group(4)
    if not 1 <= n <= _LEVELS[first] or (m is not None and not 1 <= int(m) <= _LEVELS[last]):
        return None
    if first == "t" and m is None:  # "T4" is as often the hormone as the vertebra
        return None
    return _REGION[first] if last == first else _SPANNING.get((first, last))


SEVERITIES = frozenset({"mild", "moderate", "severe"})
_NOW = frozenset({"currently", "presently", "current", "now"})
_EPISODES = frozenset({"depressed", "manic", "hypomanic", "mixed"})


def _episode_severity(text: str) -> list[str]:
    """DSM-5's severity of binge eating or bulimia by episodes a week: 1-3 mild, 4-7 moderate, 8-13 severe,
    14 or more extreme ("4-5 binges/wk" is F50.811)."""
    m = _PER_WEEK.search(text)
    if not m:
        return []
    count = int(m[2] or m[1])
    return [next(word for least, word in _EPISODE_SEVERITY if count >= least)] if count else []


def _electrolyte_disorders(text: str) -> list[str]:
    """ "hypokalemia" for "K 2.9", "hyponatremia" for "Na 119": a value outside its reference range."""
    out = []
    for m in _ELECTROLYTE.finditer(text):
        lowest, low, high, highest, below, above = _ELECTROLYTES[m[1]]
        value = float(m[2])
        if lowest <= value < low or high < value <= highest:
            out.append(below if value < low else above)
    return out


def _age_group(tokens: list[str]) -> str | None:
    """ "child" or "adult" by the first age the entry says, None when it says none."""
    for i, token in enumerate(tokens):
        match = _AGE_TOKEN.match(token)
        if match:
            unit = match.group(2) or ("month" if token.endswith(("mo", "mos")) else "year")
            return "child" if unit != "year" or int(match.group(1)) < ADULT_AGE else "adult"
        if token.isdigit() and tokens[i + 1:i + 2] and tokens[i + 1] in _AGE_AFTER:
            return "child" if "month" in tokens[i + 1] or int(token) < ADULT_AGE else "adult"
        if token in _CHILD_WORDS:
            return "child"
        if token in _ADULT_WORDS:
            return "adult"
    return None


def _severity_and_episode(tokens: list[str]) -> list[str]:
    out = []
    for i, token in enumerate(tokens):
        if token == "severity" and ({out[-1] if out else ""} | set(tokens[i + 1:i + 2])) & SEVERITIES:
            continue
        if token in _NOW and tokens[i + 1:i + 2] and tokens[i + 1] in _EPISODES and "bipolar" in tokens:
            out += ["current", "episode"]
            continue
        out.append(token)
    return out


_NEVER_AIDS = re.compile(r"\b(no|never|without|denies)\b(?: \S+){0,3} (aids|ois?|opportunistic)\b")
_DIABETES = frozenset("dm dm1 dm2 t1dm t2dm dmii dmi iddm niddm diabetes diabetic".split())
# a diabetic's glucose under HYPOGLYCEMIA_BELOW mg/dL is a hypoglycemia ("T1DM, BG 52 in class, shaky": E10.649)
_GLUCOSE = re.compile(r"\b(?:bg|bgs|bs|fsbg|cbg|poc|glucose|gluc|sugar|sugars|fingerstick)\b\D{0,10}?\b(\d{2,3})\b")
HYPOGLYCEMIA_BELOW = 70
_EATING_EPISODES = re.compile(r"\b(binge[- ]eating|bulimi\w*|purg\w*|binges|bed)\b")
_DRINKING_WORDS = frozenset("drinking drinks drink etoh alcohol beer beers wine liquor shots aud".split())
_PER_WEEK = re.compile(r"\b(\d{1,2})(?:-(\d{1,2}))?\s*(?:x\s*)?(?:binges?|binge episodes|episodes|purges|"
                       r"purging episodes|times|x)?\s*(?:/|per|a|each|every)\s*(?:wk|week)\b")
_EPISODE_SEVERITY = ((14, "extreme"), (8, "severe"), (4, "moderate"), (1, "mild"))
# a potassium or sodium value out of range names its disorder ("K 2.9 after 3 days of vomiting": E87.6)
_ELECTROLYTE = re.compile(r"\b(k|potassium|na|sodium)\b\D{0,6}?(\d{1,3}(?:\.\d)?)\b(?![./]\d)")
_POTASSIUM, _SODIUM = (1.5, 3.5, 5.3, 9.0, "hypokalemia", "hyperkalemia"), (100, 135, 146, 190, "hyponatremia",
                                                                           "hypernatremia")
_ELECTROLYTES = {"k": _POTASSIUM, "potassium": _POTASSIUM, "na": _SODIUM, "sodium": _SODIUM}  # plausible, normal
_POORLY_CONTROLLED = re.compile(r"\b(poorly|inadequately|not well|sub-?optimally|suboptimally) controlled\b|"
                                r"\buncontrolled\b|\bout of control\b")
# "type 1 diabetic" is a type 1 diabetes; "diabetic neuropathy" stays as it is
_DIABETIC_WHAT = frozenset("neuropathy polyneuropathy nephropathy retinopathy foot feet ulcer gastroparesis "
                           "ketoacidosis dka hhs amyotrophy macular cataract kidney ckd arthropathy dermopathy "
                           "hypoglycemia hyperglycemia coma mononeuropathy autonomic".split())
# a gestational diabetes by what controls it (O24.410 diet, O24.414 insulin, O24.415 oral drugs)
_GDM_CONTROL = ((frozenset("insulin nph lantus glargine humalog lispro novolog aspart detemir".split()),
                 "insulin controlled"),
                (frozenset("metformin glyburide".split()), "controlled by oral hypoglycemic drugs"),
                (frozenset({"diet"}), "diet controlled"))
# G40 / G43: "poorly controlled", "treatment resistant" ... are to be considered equivalent to intractable
_EPILEPTIC_WHAT = frozenset("spasm spasms seizure seizures syndrome syndromes encephalopathy fit fits convulsions "
                            "aura absence".split())  # "EPILEPTIC, UNCONTROLLED" is an epilepsy
_INTRACTABLE_OF = frozenset("epilepsy epileptic seizure seizures migraine migraines".split())
_NOT_CONTROLLED = {("uncontrolled",): ["intractable"], ("poorly", "controlled"): ["intractable"],
                   ("not", "controlled"): ["intractable"], ("treatment", "resistant"): ["intractable"],
                   ("treatment-resistant",): ["intractable"], ("out", "of", "control"): ["intractable"]}
_PREECLAMPSIA = frozenset({"preeclampsia", "pre-eclampsia", "pree"})
_FEATURES = {**{(without, "severe", "features"): ["mild", "to", "moderate"] for without in ("without", "w/o", "wo")},
             **{(with_, "severe", "features"): ["severe"] for with_ in ("with", "w/")}}


def _replace(tokens: list[str], phrases: dict[tuple[str, ...], list[str]]) -> list[str]:
    out, i = [], 0
    while i < len(tokens):
        for phrase, words in phrases.items():
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                out += words
                i += len(phrase)
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _as_noun(tokens: list[str], adjective: str, noun: str, qualified: frozenset) -> list[str]:
    """The adjective as its disease where it names a patient ("type 1 diabetic"), not where it
    qualifies a word of `qualified` ("diabetic neuropathy")."""
    return [noun if t == adjective and after not in qualified else t for t, after in zip(tokens, tokens[1:] + [""])]


# a remission cut off by a table's 40-character field ("MAJOR DEPRESSIVE DISORDER RECURRENT IN F": F33.42)
_CUT_REMISSION = {**{("in", w): "full" for w in ("f", "fu", "ful")},
                  **{("in", w): "partial" for w in ("p", "pa", "par", "part", "parti", "partia")}}


# a blood alcohol level over the legal limit (0.08 g/dL, 80 mg/dL): "BAL 0.21 at intake" is an intoxication
_BLOOD_ALCOHOL = re.compile(r"\b(?:bal|bac|etoh level|alcohol level|blood alcohol(?: level| concentration)?)"
                            r"(?: (?:of|was|is))? (?:0 (\d{2,3})|(\d{2,3}))\b")
_LEGAL_LIMIT = 0.08
# an opioid intoxication's sign, "nodding off in ED lobby after using" (not pinpoint pupils alone: "found down,
# apneic, pinpoint pupils" is an overdose)
_OPIOID = frozenset("oud opioid opioids heroin fentanyl oxycodone".split())


def _over_limit(text: str) -> bool:
    return any((int(m[1]) / 10 ** len(m[1]) if m[1] else int(m[2]) / 1000) >= _LEGAL_LIMIT
               for m in _BLOOD_ALCOHOL.finditer(text))


# an episode said to be another one: a recurrent disorder
_REPEATED = re.compile(r"\b(2nd|second|3rd|third|4th|fourth|another|repeat) (?:\w+ )?(episode|recurrence|bout)\b")
# a schizophrenia type's word for a symptom: "disorganized speech" (not "residual negative sx": ICD-10's
# residual schizophrenia is its chronic stage of negative symptoms)
_TYPES = frozenset({"disorganized"})
_TYPE_AS_SYMPTOM = re.compile(r"\b(disorganized) (speech|behaviou?r|thinking|thoughts?)\b")
# DSM-5's "[substance]-induced [kind] disorder with [severity] use disorder", the "induced" left out
_WITH_USE_DISORDER = re.compile(r"\b(psychotic|depressive|bipolar|anxiety|sleep|mood|neurocognitive) "
                                r"(?:disorder|d/o|do)\b.* (?:with|w/|w) (?:mild|moderate|severe|sev|mod) "
                                r"use (?:disorder|d/o|do)\b")


def implied(tokens: list[str]) -> list[str]:
    """The entry's (normalized) tokens as a coder reads them: each in its place, words added at the end."""
    cut = _CUT_REMISSION.get(tuple(tokens[-2:]))
    out = tokens[:-1] + [cut, "remission"] if cut and "remission" not in tokens else list(tokens)
    induced = _WITH_USE_DISORDER.search(" ".join(tokens))
    if induced and "induced" not in " ".join(tokens) and out[:len(tokens)] == tokens:
        out.insert(tokens.index(induced[1]), "induced")  # "Amphet-type psychotic d/o w/ sev use d/o": F15.259
    if "environment" in tokens and "controlled" in tokens and "remission" not in out:  # DSM-5's remission specifier
        out += ["in", "remission"]
    present, text = set(tokens), " ".join(tokens)
    passed = _passed_trimester(tokens)
    if passed and _all_weeks(tokens):  # "22 wks: ... after 1st trimester": the weeks say which it is now
        out = [t for i, t in enumerate(out) if i not in passed]
        present = set(out)
    if not any(t in TRIMESTER_SAID and out[i - 1:i] != ["this"] for i, t in enumerate(out)):  # "at 32 wks, ...
        weeks = gestational_weeks(tokens)  # this trimester": the weeks say which
        if weeks is not None:
            out += [trimester(weeks), "trimester"]
    parts = {p for t in tokens for p in t.split("/")}  # "labor/delivery"
    if _PRETERM & parts and _BIRTH & parts and (len(_all_weeks(tokens)) > 1 or _BEFORE & parts):
        out += ["supervision", "of", "pregnancy", "with", "history", "of", "pre-term", "labor"]
    if "multigravida" not in tokens and any((m := _LATER_GRAVIDA.match(t)) and (m.group(2) or _PREGNANCY & present)
                                            for t in tokens):
        out.append("multigravida")
    if "ama" in tokens and "elderly" not in tokens and (_PREGNANCY & present
                                                        or any(_GRAVIDA.match(t) for t in tokens)):
        out.append("elderly")
    if present & {"ef", "ejection"}:  # "HF with preserved EF": the index's diastolic heart failure
        out += [kind for said, kind in (("preserved", "diastolic"), ("reduced", "systolic")) if said in present
                and kind not in present]
    if "both" in present:  # "ringing in both ears": "Tinnitus, bilateral"
        out = ["bilateral" if t == "both" and out[i + 1:i + 2] and out[i + 1] in _PAIRED else t
               for i, t in enumerate(out)]
    if not REGIONS & present:
        out = [_region(t) or t for t in out]
    if _FRACTURE & present:
        out = [_BONE.get(t, t) for t in out]
    if _REPEATED.search(text) and "recurrent" not in present:  # F33, A04.71: "2nd episode of major depression"
        out.append("recurrent")
    if _FRACTURE & present and "ribs" in present and "multiple" not in present:  # S22.4-: "fx L ribs 5 and 6"
        out.append("multiple")
    if _FRACTURE & present and "stress" in present:  # M84.37-: "Stress fracture, ... foot"
        out += [_STRESS_SITE[t] for t in tokens if t in _STRESS_SITE][:1]
    if _LONG_BONES & set(out):
        out = [_END.get(t, t) for t in out]
    if "severity" in tokens or _NOW & present:
        out = _severity_and_episode(out)
    abscess = any(t == "abscess" and tokens[i - 1:i] not in (["no"], ["without"]) for i, t in enumerate(tokens))
    if (_CRPS & present or "complex regional" in text) and "limb" not in tokens:
        out += next((_WHOLE_LIMB[t] for t in tokens if t in _WHOLE_LIMB), "").split()
    if _SKIN_INFECTION & present and "limb" not in tokens:
        limbs = _CELLULITIS_LIMB if "cellulitis" in tokens and not abscess else _LIMB
        out = [" ".join(limbs.get(p, p) for p in t.split("/")) if limbs.keys() & t.split("/") else t
               for t in out  # "UPPER ARM/INJ SITE" too
               if not (t == "upper" and "arm" in parts or t == "lower" and "leg" in parts)]  # "upper arm": upper limb
        if any(t in limbs for t in parts):  # "R forearm at injection site" is no L03.818 "... other sites"
            out = ["at" if t in ("site", "sites") else t for t in out]
    elif _WOUNDED & present:
        out = [_LOWER_LEG.get(t, t) for t in out]
    if abscess and "skin" in tokens:  # L02: "cutaneous abscess" ("no abscess on US": a cellulitis)
        out = ["cutaneous" if t == "skin" else t for t in out]
    elif abscess and any("limb" in t.split() for t in out) and "cutaneous" not in tokens:  # L02.41-
        out.append("cutaneous")
    if _PRESSURE_ULCER & present and "region" not in tokens:  # L89.15-: "pressure ulcer of sacral region"
        out = [_ULCER_SITE.get(t, t) for t in out]
    if "diabetic" in tokens and "type" in tokens and "diabetes" not in tokens:
        out = _as_noun(out, "diabetic", "diabetes", _DIABETIC_WHAT)
    if _DIABETES & present and "hyperglycemia" not in tokens and _POORLY_CONTROLLED.search(text):
        out += ["with", "hyperglycemia"]  # the index: diabetes, poorly controlled - by type, with hyperglycemia
    if _DIABETES & present and "hypoglycemia" not in tokens and any(
            20 <= int(m[1]) < HYPOGLYCEMIA_BELOW for m in _GLUCOSE.finditer(text)):
        out += ["with", "hypoglycemia"]
    if not ("hyperemesis" in present or _all_weeks(tokens)):  # O21.1 "... with metabolic disturbance"
        out += [w for w in _electrolyte_disorders(text) if w not in present]
    if ("gdm" in tokens or "gestational" in tokens and _DIABETES & present) and "controlled" not in tokens:
        control = next((c for drugs, c in _GDM_CONTROL if drugs & present), None)
        out += control.split() if control else []
    if "epileptic" in tokens:
        out = _as_noun(out, "epileptic", "epilepsy", _EPILEPTIC_WHAT)
    if _INTRACTABLE_OF & present and not _DIABETES & present:
        out = _replace(out, _NOT_CONTROLLED)
    if _PREECLAMPSIA & present:  # "without severe features" is O14.0- mild to moderate
        out = _replace(out, _FEATURES)
    if _HEART_FAILURE & present and undenied(_EXACERBATED, text) and "chronic" in tokens and "acute" not in tokens:
        out = [w for t in out for w in (["acute", "on", "chronic"] if t == "chronic" else [t])]  # I50.23
    if _STROKE_DEFICIT & present and _STROKE & present and _SINCE & present and "following" not in tokens:
        out += ["following", "cerebral", "infarction"]
    if _HEMI & present and not any("dominant" in t or t == "nondom" for t in tokens):
        other = _other_sides(tokens) if out[:len(tokens)] == tokens else set()
        out = [t for i, t in enumerate(out) if i not in other] + _dominance(tokens)
    if _DRINKING & present and not _ALCOHOL & present and (_PREGNANCY & present or "trimester" in out):
        out += ["alcohol", "use"]  # "20 wk pregnant, drinking 2-3 drinks on weekends": O99.312
    if _GOUT & present and _FOOT_PARTS & present and "ankle and foot" not in text:  # M10.07-: "gout R great toe"
        out += ["ankle", "and", "foot"]
    if (_over_limit(text) or _OPIOID & present and "nodding" in present) \
            and not present & {"intoxication", "intoxicated"}:
        out += ["with", "intoxication"]
    if "hiv" in present and _NEVER_AIDS.search(text):  # "never had an OI": Z21, not B20
        out += ["asymptomatic", "infection", "status"]
    if _NONORGANIC & present:  # ICD-10's word for F98.0 "Enuresis not due to a substance or known ..."
        out += "not due to a substance or known physiological condition".split()
    if RELATIVE_USE.search(text) and "in family" not in text:  # Z63.72
        out += ["alcoholism", "in", "family"]
    if "hyperemesis" in tokens and _METABOLIC & present:  # O21.1 "... with metabolic disturbance"
        out += ["with", "metabolic", "disturbance"]
    if "sciatica" in tokens and ("lbp" in tokens or "low back pain" in text):  # M54.4- lumbago
        out += ["lumbago"]
    if newborn_exposed(text) and not withdrawing(text):  # "newborn, + cocaine, mom used": P04.41
        out += "newborn affected by maternal use of".split()
    if _NOT_TAKEN & present and _COST & present and "hardship" not in tokens:
        out += ["due", "to", "financial", "hardship"]
    if _EATING_EPISODES.search(text) and not SEVERITIES & present and not _DRINKING_WORDS & present:
        out += _episode_severity(text)
    if "pica" in present and _age_group(tokens) == "child":  # F98.3, not F50.83 "Pica in adults"
        out += ["infancy", "and", "childhood"]
    if _MALTREATMENT & present and not {"child", "adult"} & present:
        group = _age_group(tokens)
        if group:
            out.append(group)
    return symptoms_not_type(out)


def symptoms_not_type(tokens: list[str]) -> list[str]:
    """A schizophrenia's "disorganized speech" is a symptom, not its type (F20.1): the type's word taken out."""
    if "schizophrenia" not in tokens or not _TYPE_AS_SYMPTOM.search(" ".join(tokens)):
        return tokens
    return [t for t, after in zip(tokens, tokens[1:] + [""])
            if not (t in _TYPES and _TYPE_AS_SYMPTOM.match(f"{t} {after}"))]


_SEVERITY_BEFORE = re.compile(r"\b(mild|moderate|severe) (?:(\w+) )?use disorder\b")
_SEVERITY_AFTER = re.compile(r"\b(\w+) use disorder (mild|moderate|severe)\b")
_CODED_AS = {"mild": "abuse", "moderate": "dependence", "severe": "dependence"}
# an intoxication, or a withdrawal from the substances whose withdrawal codes say "uncomplicated"
_STATE = re.compile(r"\b(intoxication|intoxicated)\b|\b(alcohol|sedative|hypnotic|anxiolytic|benzodiazepines?)\b.*"
                    r"\bwithdrawal\b|\bwithdrawal\b.*\b(alcohol|sedative|hypnotic|anxiolytic|benzodiazepines?)\b")
# an intoxication said as such, not a code title's "with intoxication" (a table's "ETOH ABUSE W/
# INTOX" is F10.129, unspecified; caffeine's is F15.929)
_INTOXICATED = re.compile(r"\b(?:acutely )?intoxicated\b")  # the titles say "with intoxication"
_SAID_INTOXICATED = re.compile(r"(?<!\bwhile )\b(?:acutely )?intoxicat(ed)\b|(?<!\bwith )\bintoxication\b")
_COMPLICATIONS = r"delirium|perceptual|hallucinat\w*|seizures?|psychotic|psychosis"
_COMPLICATION = re.compile(rf"\b({_COMPLICATIONS})\b")
_COMPLICATED = re.compile(rf"\b({_COMPLICATIONS}|uncomplicated|unspecified|complicated)\b")
_DENIAL = frozenset("no denies denied without w/o wo negative not nor".split())
_DENIAL_REACH = 4  # "no hallucinations or seizures", "denies any visual or tactile hallucinations"
_AFFIRMING = frozenset("with w/ but has had".split())  # "no seizures but hallucinating"


_UNSTATED = frozenset("determined documented specified known stated established identified".split())


def undenied(pattern: re.Pattern, reading: str) -> bool:
    """Whether the reading has the pattern other than denied (a denial within a few words before it;
    "type not determined, nighttime wandering" denies no wandering)."""
    for m in pattern.finditer(reading):
        before = reading[:m.start()].split()[-_DENIAL_REACH:]
        last = max((i for i, w in enumerate(before) if w in _AFFIRMING), default=-1)
        rest = before[last + 1:] + [""]
        if not any(w in _DENIAL and rest[k + 1] not in _UNSTATED for k, w in enumerate(rest[:-1])):
            return True
    return False


_STATE_WORD = re.compile(r"\b(intoxication|withdrawal)\b")  # "uncomplicated" next to it, not after a denial
_COCAINE_STIMULANT = re.compile(r"\bstimulant (abuse|dependence)\b")  # DSM-5 "stimulant use disorder, cocaine"


def dsm_severity(reading: str, terse: bool = False) -> str:
    """A DSM-5 use disorder in ICD-10-CM's words: mild is abuse, moderate or severe dependence
    ("mild alcohol use disorder with intoxication" reads "alcohol abuse with intoxication",
    F10.12-; "stimulant use disorder, severe, cocaine" reads "cocaine dependence"; an intoxication,
    or an alcohol or sedative withdrawal, it says no more of is "uncomplicated", as in DSM-5-TR).
    An intoxication said as such, outside a terse table, is "uncomplicated" too ("opioid
    dependence, intoxicated" is F11.220; "CANNABIS INTOX", "ETOH ABUSE W/ INTOX" stay unspecified).
    "" when the reading changes in none of these ways."""
    out = _SEVERITY_BEFORE.sub(lambda m: " ".join(w for w in (m[2], _CODED_AS[m[1]]) if w), reading)
    out = _SEVERITY_AFTER.sub(lambda m: f"{m[1]} {_CODED_AS[m[2]]}", out)
    if out != reading and "cocaine" in out.split():
        out = _COCAINE_STIMULANT.sub(r"cocaine \1", out)
    if undenied(_COMPLICATED, out):
        if not terse and "uncomplicated" in out.split() and not undenied(_COMPLICATION, out):
            out = _INTOXICATED.sub("with intoxication", out, 1)  # "intoxicated ... Uncomplicated": F10.120
        return out if out != reading else ""
    if out != reading and _STATE.search(out):
        out = _STATE_WORD.sub(r"\1 uncomplicated", _INTOXICATED.sub("with intoxication", out), 1)
    elif not terse and _SAID_INTOXICATED.search(out) and "caffeine" not in out:  # next to it, in the titles' words
        out = _SAID_INTOXICATED.sub(lambda m: ("with " if m[1] else "") + "intoxication uncomplicated", out, 1)
    return out if out != reading else ""


def wound_defaults(tokens: list[str]) -> list[str]:
    """What the index assumes of a wound the entry types ("lac R index finger" is S61.210A "laceration
    without foreign body of right index finger without damage to nail", not S65.510A "... of blood
    vessel ..."; "dog bite R calf" an open bite): words to add. Not for a spelling's correction
    ("maceration" is no laceration)."""
    present, out = set(tokens), []
    if _LACERATION & present and not _STRUCTURE & present:
        out += [] if {"fb", "foreign"} & present else ["without", "foreign", "body"]
        out += ["without", "damage", "to", "nail"] if _DIGITS & present and "nail" not in present else []
    if _BITTEN & present and _BITER & present and "open" not in present:
        out += ["open", "bite"]
    return out
