"""What a coder reads into an entry (implied.py: trimester of a gestational age, spinal region
of a level, end of a long bone) and the coder's conventions applied to the ranking: cancers are
malignant neoplasms, a joint replacement is the presence of an artificial joint, a breast is
female unless the entry says male, remission is never assumed, a stated qualifier is not
answered otherwise."""

import simple_icd_10_cm

from server.match import mental, poisoning
from server.match.abbreviations import expand
from server.match.assertion import unmet
from server.match.implied import dsm_severity, implied, trimester
from server.match.normalize import normalize, tokens


def read(text: str) -> list[str]:
    return implied(tokens(normalize(text)))


def test_gestational_weeks_give_the_trimester_only_in_a_pregnancy():
    assert [trimester(w) for w in (13, 14, 27, 28)] == ["first", "second", "second", "third"]
    assert read("Preeclampsia at 35 weeks")[-2:] == ["third", "trimester"]
    assert read("G2P1 at 20 wks")[-3:] == ["second", "trimester", "multigravida"]
    assert read("Hyperemesis, 9wk")[-2:] == ["first", "trimester"]
    assert read("Back pain for 3 weeks") == tokens("back pain for 3 weeks")  # no pregnancy: no trimester
    assert read("Gestational diabetes, 30 weeks, third trimester").count("trimester") == 1  # said already


def test_thoracic_and_lumbar_levels_read_as_their_region_cervical_ones_stay():
    assert read("L4-5 disc herniation") == ["lumbar", "disc", "herniation"]
    assert read("L5-S1 radiculopathy")[0] == "lumbosacral"
    assert read("T12-L1 compression fracture")[0] == "thoracolumbar"
    assert read("C5-6 disc degeneration")[0] == "c5-6"  # ICD-10-CM names cervical levels
    assert read("low T4")[-1] == "t4"  # a thyroid hormone as often as a vertebra


def test_distal_and_proximal_long_bone_read_as_lower_and_upper_end():
    assert read("distal radius fracture")[0] == "lower end"
    assert read("FX HUMERUS PROXIMAL")[-1] == "upper end"
    assert read("distal colon polyp")[0] == "distal"


def top(engine, texts: list[str]) -> list[str]:
    return [r.results[0].candidates[0].code for r in engine.match_texts(texts, ["icd10cm"], 3)]


def test_coder_reading_reaches_the_code(engine):
    assert top(engine, ["Severe preeclampsia at 34 weeks", "Right distal femur fracture",
                        "Prostate adenocarcinoma", "Carcinoma in situ of breast", "Status post left TKA",
                        "LSD use disorder, mild", "MR, moderate", "Refractory migraine without aura"]) == \
        ["O14.13", "S72.401A", "C61", "D05.90", "Z96.652", "F16.10", "F71", "G43.019"]


def test_a_breast_is_female_unless_the_entry_says_male(engine):
    assert top(engine, ["Breast cancer, right", "Male breast cancer, right"]) == ["C50.911", "C50.921"]


def test_remission_is_never_assumed_and_a_stated_severity_is_kept(engine):
    codes = top(engine, ["Bipolar disorder, most recent episode depressed, moderate",
                         "BPAD I, current episode depressed, severe"])
    assert codes[0] == "F31.32" and codes[1] == "F31.4"


def test_a_historical_entry_is_coded_by_its_personal_history_code(engine):
    assert top(engine, ["Former smoker, quit 2012, 20 pack-years", "h/o suicide attempt (2019)"]) == \
        ["Z87.891", "Z91.51"]


def test_a_history_of_substance_use_disorder_is_the_disorder_in_remission(engine):
    assert top(engine, ["hx of opioid abuse", "history of alcohol dependence", "Former smoker, quit 2012"]) == \
        ["F11.11", "F10.21", "Z87.891"]  # tobacco: Z87.891


def test_a_dsm5_severity_reads_as_abuse_or_dependence(engine):
    assert dsm_severity("mild alcohol use disorder with intoxication") == "alcohol abuse with intoxication uncomplicated"
    assert dsm_severity("opioid withdrawal in opioid use disorder severe") == "opioid withdrawal in opioid dependence"
    assert dsm_severity("alcohol use disorder") == ""  # no severity: nothing to read
    assert dsm_severity("withdrawal with severe use disorder") == "withdrawal with dependence"
    assert dsm_severity("stimulant use disorder severe cocaine") == "cocaine dependence cocaine"
    assert top(engine, ["Mild alcohol use disorder with intoxication, uncomplicated",
                        "Uncomplicated alcohol withdrawal in setting of severe alcohol use disorder",
                        "cocaine dep w/ cocaine-induced psychosis"]) == ["F10.120", "F10.230", "F14.259"]


def test_an_unspecified_code_over_other_unless_the_entry_says_more(engine):
    assert top(engine, ["Left ankle sprain", "CP ATYPICAL", "Normal first pregnancy, 10 weeks",
                        "Tobacco use disorder, cigarettes", "Nicotine dependence from vaping"]) == \
        ["S93.402A", "R07.89", "Z34.01", "F17.210", "F17.290"]


def test_methamphetamine_is_a_stimulant_and_a_condition_in_pregnancy_complicates_it(engine):
    assert top(engine, ["METH DEPEND", "Methamphetamine-induced psychotic disorder with hallucinations",
                        "Smoking cigarettes during pregnancy, third trimester"]) == ["F15.20", "F15.951", "O99.333"]


def test_bipolar_two_is_one_code_and_weeks_of_gestation_only_add_to_one(engine):
    assert top(engine, ["Bipolar II disorder, current episode depressed, on lamotrigine", "LAC L HAND INIT",
                        "Gestational diabetes requiring insulin, 32 weeks", "Pregnancy at 22 weeks"]) == \
        ["F31.81", "S61.412A", "O24.414", "Z3A.22"]
    assert top(engine, ["Anemia in pregnancy, 24 weeks"]) == ["O99.012"]  # Z3A.24 only adds to it


def test_a_negative_finding_never_answers_an_entry_that_is_not_negated(engine):
    passive, denied = engine.match_texts(["Passive suicidal thoughts, no plan or intent", "No suicidal thoughts"],
                                         ["snomed"], 2)
    assert passive.results[0].candidates[0].code == "6471006"  # Suicidal thoughts, not 134420004
    assert denied.assertion.negated and denied.results[0].decision != "auto"


def test_a_drug_is_read_by_the_class_its_poisoning_codes_name(engine):
    for drug, category in ((d, c) for d, c in _drug_table()):
        title = simple_icd_10_cm.get_description(category).lower()
        assert title.endswith(poisoning.drug_classes()[drug]), (drug, category, title)
    assert poisoning.reading("sertraline overdose") == \
        "poisoning by selective serotonin reuptake inhibitors accidental"
    assert poisoning.reading("took 30 quetiapine tabs in a suicide attempt").startswith(
        "poisoning by other antipsychotics and neuroleptics intentional self-harm")
    assert poisoning.reading("adverse effect of lithium tremor") == \
        "adverse effect of other antipsychotics and neuroleptics tremor"
    assert poisoning.reading("depression on sertraline 100 mg tabs") == ""  # no overdose, no intent
    assert top(engine, ["Zoloft overdose", "Deliberate ingestion of clonazepam", "Adverse effect of lithium, tremor",
                        "Took 12 amitriptyline tablets intending to die"]) == \
        ["T43.221A", "T42.4X2A", "T43.595A", "T43.012A"]


def _drug_table():
    import csv
    with open(poisoning.DRUG_CLASSES_FILE, encoding="utf-8") as fh:
        return [(r["drug"], r["category"]) for r in csv.DictReader(fh, delimiter="\t")]


def test_an_unstated_intent_is_accidental_and_a_stated_one_is_kept(engine):
    assert poisoning.stated_intent(["heroin overdose"]) is None
    assert poisoning.stated_intent(["acetaminophen overdose suicide attempt"]) == "intentional self-harm"
    assert poisoning.stated_intent(["accidental ingestion of grandmother s pills"]) == "accidental"
    assert top(engine, ["Fentanyl overdose, narcan given", "Intentional fentanyl overdose"]) == \
        ["T40.411A", "T40.412A"]


def test_a_unit_after_a_number_is_no_abbreviation():
    readings = [v.text for v in expand(tokens(normalize("depression started sertraline 25 mg")))]
    assert not any("myasthenia" in r for r in readings)
    assert any("magnes" in r for r in (v.text for v in expand(["low", "mg"], terse=True)))


def test_psychiatric_wording_reads_as_icd10cm_words(engine):
    assert read("Bipolar I, presently depressed, moderate severity")[2:] == \
        ["current", "episode", "depressed", "moderate"]
    assert mental.reading("recurrent major depression severe with mood-congruent delusions") == \
        "recurrent major depression severe with psychotic features"
    assert mental.reading("alcohol dependence with withdrawal with visual hallucinations") == \
        "alcohol dependence with withdrawal with perceptual disturbance"
    assert mental.reading("anxiety secondary to hyperthyroidism") == "anxiety due to known physiological condition"
    assert mental.reading("depression due to job loss") == ""  # no physiological condition
    assert mental.reading("panic disorder in pregnancy first trimester") == \
        "other mental disorders complicating pregnancy first trimester"
    assert mental.reading("opioid use disorder in pregnancy") == "drug use complicating pregnancy"  # O99.32-
    assert top(engine, ["Single episode MDD, severe, with auditory hallucinations",
                        "Depression secondary to hypothyroidism", "ETOH dependence, withdrawal w/ visual hallucinations",
                        "Bipolar I, presently manic, severe", "Generalized anxiety disorder in pregnancy, 30 weeks",
                        "Bipolar 2, currently depressed, hypomanic episode last year",
                        "Major depression, first episode, severe"]) == \
        ["F32.3", "F06.31", "F10.232", "F31.13", "O99.343", "F31.81", "F32.2"]


def test_a_use_disorder_is_no_tobacco_use_and_meth_a_stimulant(engine):
    assert top(engine, ["Tobacco use disorder, cigarettes, 1 ppd x 20 years", "Tobacco use", "METH DEPEND",
                        "Acute otitis media Lt", "Menopausal hot flashes"]) == \
        ["F17.210", "Z72.0", "F15.20", "H66.92", "N95.1"]


def test_a_denied_dependence_is_tobacco_use_and_a_cannabis_smoker_no_tobacco_user(engine):
    assert top(engine, ["Social smoker on weekends, not nicotine dependent", "Dips snuff daily, dependent",
                        "Cannabinoid hyperemesis, daily smoker, vomiting"]) == ["Z72.0", "F17.220", "R11.16"]


def test_a_code_met_only_in_denied_words_is_not_first(engine):
    assert top(engine, ["Schizoaffective d/o, bipolar type, AH persist on clozapine, no SI/HI"]) == ["F25.0"]


def test_an_external_cause_never_comes_first_for_an_injury(engine):
    codes = top(engine, ["Dog bite to right hand, initial encounter", "Right ankle sprain playing basketball"])
    assert codes == ["S61.451A", "S93.401A"]
    # the first clause retrieves the injury a long entry's other words crowd out
    assert top(engine, ["L ankle sprain, stepped in a pothole walking the dog, initial eval, ligament not specified"]) \
        == ["S93.402A"]


def test_substance_use_in_a_pregnancy_and_dsm5_intoxication_and_withdrawal(engine):
    assert mental.reading("pregnancy with tobacco use 2nd trim") == \
        "smoking (tobacco) complicating pregnancy second trimester"
    assert "uncomplicated" in dsm_severity("alcohol intoxication with mild alcohol use disorder").split()
    assert dsm_severity("heroin use disorder severe in withdrawal") == "heroin dependence in withdrawal"  # F11.23
    assert [v.text for v in expand(["alc", "dep-in", "remission"], terse=True)][1] == "alcohol dependence in remission"
    assert not any("generalized" in v.text for v in expand(["anxiety", "gad-7", "11"], terse=True))  # a scale
    assert top(engine, ["Preg w/ OUD, 2nd trim", "Smoking 1/2 ppd, 10 weeks pregnant",
                        "Opioid intoxication with mild opioid use disorder", "ALC DEP-IN REMISSION",
                        "Methamphetamine-induced psychosis with severe stimulant use disorder"]) == \
        ["O99.322", "O99.331", "F11.120", "F10.21", "F15.259"]


def test_a_fracture_not_said_pathological_is_traumatic(engine):
    assert read("FX RADIUS DIST")[-2:] == ["lower", "end"] or "lower end" in read("FX RADIUS DIST")
    assert top(engine, ["FX R RADIUS DIST CLSD INIT", "Stress fracture, left radius",
                        "Osteoporotic compression fracture of L1 vertebra"]) == ["S52.501A", "M84.334A", "M80.08XA"]


def test_an_unspecified_code_gives_way_to_a_sibling_whose_alias_the_entry_says(engine):
    assert top(engine, ["HOMELESS, LIVING IN CAR", "Behind on rent, got an eviction notice", "Homeless"]) == \
        ["Z59.02", "Z59.811", "Z59.00"]


def test_a_drug_in_a_use_disorder_is_its_substance_and_an_intoxication_is_uncomplicated(engine):
    for drug, substance in poisoning.drug_substances().items():  # the F10-F19 title words it
        category = {"opioid": "F11", "cannabis": "F12", "sedative": "F13", "cocaine": "F14",
                    "stimulant": "F15"}[substance]
        assert substance in simple_icd_10_cm.get_description(f"{category}.10").lower(), drug
    assert mental.reading("fentanyl use disorder in withdrawal") == "opioid use disorder in withdrawal"
    assert mental.reading("sedative-hypnotic use disorder alprazolam") == "sedative-hypnotic use disorder"
    assert mental.reading("alprazolam overdose") == ""  # a poisoning
    assert dsm_severity("opioid dependence intoxicated in clinic") == \
        "opioid dependence with intoxication uncomplicated in clinic"
    assert dsm_severity("cannabis intoxication", terse=True) == ""  # a table's "CANNABIS INTOX": unspecified
    assert dsm_severity("alcohol abuse with intoxication") == ""  # the title's words: unspecified
    assert top(engine, ["Fentanyl use disorder, severe, in withdrawal", "Mild use disorder, non-prescribed alprazolam",
                        "Opioid dependence, intoxicated", "ETOH ABUSE W/ INTOX"]) == \
        ["F11.23", "F13.10", "F11.220", "F10.129"]


def test_an_age_says_child_or_adult_abuse_and_a_fractured_bone_is_its_noun(engine):
    assert read("Suspected neglect of 84-year-old by nephew")[-1] == "adult"
    assert read("physical abuse, 18-month-old")[-1] == "child"
    assert read("neglect, 7 yo")[-1] == "child"
    assert read("knee pain in 84-year-old")[-1] == "84-year-old"  # no abuse or neglect: no group
    assert read("closed left femoral neck fracture")[2] == "femur"
    assert read("femoral artery aneurysm")[0] == "femoral"  # no fracture
    assert top(engine, ["Confirmed physical abuse: 18-month-old with patterned bruising",
                        "Closed fracture of left femoral neck", "COPD flare",
                        "Smoker, 1 ppd cigarettes x 30 years"]) == \
        ["T74.12XA", "S72.002A", "J44.1", "F17.210"]


def test_units_after_a_number_and_words_of_a_sentence_are_read_as_written(engine):
    assert [v.text for v in expand(["onset", "3", "mo", "ago"])] == ["onset 3 mo ago"]  # a month, no morbid obesity
    assert [v.text for v in expand(["smoker", "1", "ppd"])][1] == "smoker 1 packs per day of cigarettes"
    assert read("G1P0 at 22w3d, uncomplicated pregnancy")[-2:] == ["second", "trimester"]
    assert read("T2DM, poorly controlled")[-2:] == ["with", "hyperglycemia"]
    assert read("Pre-eclampsia without severe features")[1:4] == ["mild", "to", "moderate"]
    assert mental.reading("cannabis use in pregnancy vaping thc daily") == "drug use complicating pregnancy"
    assert top(engine, ["Uses food pantry but still not enough food in the house",
                        "Dips Copenhagen daily, nicotine dependent",
                        "Child physical abuse, confirmed - bruises in various stages of healing",
                        "T2DM, poorly controlled, A1c 10.4"]) == ["Z59.41", "F17.220", "T74.12XA", "E11.65"]


def test_coders_shorthand_spelled_out_and_social_needs_in_plain_words(engine):
    assert normalize("Depression, not otherwise specified") == "depression, nos"
    assert mental.reading("bipolar current manic episode no psychotic sx") == \
        "bipolar current manic episode without psychotic features"
    assert read("Suspected physical abuse, CPS hotline called")[-1] == "child"
    assert read("pressure injury, coccyx")[-1] == "sacral region"
    assert top(engine, ["Depression, not otherwise specified", "GDM A2, on NPH", "Stage 3 pressure injury, sacrum",
                        "Bipolar d/o, current manic episode, no psychotic sx"]) == \
        ["F32.A", "O24.414", "L89.153", "F31.10"]
    codes = [r.results[0].candidates[0].code for r in engine.match_texts(
        ["2 months behind on rent, got a notice to quit", "Needs diapers and clothing for the baby"], ["sdoh"], 1)]
    assert codes == ["housing-instability", "material-hardship"]


def test_index_conventions_for_hip_and_boxers_fractures_and_limb_shorthand(engine):
    assert read("closed fracture of right hip")[-1] == "neck of femur"  # the index: fracture, hip
    assert read("hip pain")[0] == "hip"  # no fracture
    assert top(engine, ["Closed fracture of right hip, initial", "Cellulitis RLE", "Boxer's fracture left hand",
                        "Lumbar strain after lifting"]) == ["S72.001A", "L03.115", "S62.337A", "S39.012A"]


def test_obstetric_and_history_conventions(engine):
    assert read("hyperemesis gravidarum with dehydration")[-3:] == ["with", "metabolic", "disturbance"]
    assert read("low back pain with right sciatica")[-1] == "lumbago"
    assert engine.match_texts(["Hep C cured"], ["icd10cm"], 1)[0].assertion.historical
    assert top(engine, ["Gestational HTN, 3rd trimester", "Advanced maternal age, multigravida, 2nd trimester",
                        "Needle phobia, faints at blood draws", "Hep C cured, SVR12 after treatment"]) == \
        ["O13.3", "O09.522", "F40.231", "Z86.19"]


def test_induced_depression_and_insomnia_read_as_the_f_codes_name_them(engine):
    assert mental.reading("alcohol dependence with alcohol-induced depression") == \
        "alcohol dependence with alcohol-induced mood disorder"
    assert mental.reading("insomnia due to anxiety") == "insomnia due to other mental disorder"
    assert read("CHF exacerbation, chronic systolic")[2:5] == ["acute", "on", "chronic"]
    assert mental.reading("opioid dependence clean since 2019").endswith("in remission")
    assert top(engine, ["Opioid use disorder, severe, with opioid-induced depression",
                        "Alcohol dependence w/ alcohol-induced insomnia", "Insomnia d/t depression",
                        "ADD without hyperactivity"]) == ["F11.24", "F10.282", "F51.05", "F90.0"]


def test_an_alias_is_spelled_out_without_reading_its_ordinary_words_as_abbreviations(engine):
    from server.match.index import _expanded
    assert _expanded("needs an interpreter", terse=False) == "needs an interpreter"  # not anorexia nervosa
    assert _expanded("etoh dep w/wd", terse=True).startswith("alcohol dependence")
    eating = engine.match_texts(["ANOREXIA NERVOSA, RESTRICTING"], ["sdoh"], 1)[0].results[0]
    assert not eating.candidates or eating.candidates[0].code != "language-access"


def test_a_tables_trailing_subs_is_a_subsequent_encounter(engine):
    assert top(engine, ["CERVICAL STRAIN SUBS", "SUBS ABUSE"]) == ["S16.1XXD", "F19.10"]


def test_denied_mentions_leave_a_withdrawal_uncomplicated_and_an_induced_psychosis_has_what_it_has(engine):
    from server.match.implied import _COMPLICATED, undenied
    assert not undenied(_COMPLICATED, "alcohol withdrawal no hallucinations or seizures")
    assert undenied(_COMPLICATED, "alcohol withdrawal no seizures but hallucinating")
    assert mental.reading("stimulant dependence with induced psychosis paranoid delusions no ah").endswith(
        "with delusions")
    assert top(engine, ["Alcohol withdrawal, CIWA 16, no hallucinations or seizures; severe AUD",
                        "Severe alcohol use disorder in withdrawal with tactile hallucinations",
                        "Methamphetamine use disorder, severe, with induced psychosis: paranoid delusions, no AH",
                        "OCD with contamination obsessions and checking rituals"]) == \
        ["F10.230", "F10.232", "F15.250", "F42.2"]


def test_words_read_by_their_neighbours(engine):
    assert [v.text for v in expand(["smoker", "1/2", "ppd"])][1:] == ["smoker 1/2 packs per day of cigarettes"]
    assert read("type 1 diabetic")[-1] == "diabetes"
    assert read("type 2 diabetic neuropathy")[2] == "diabetic"
    assert read("seizure disorder, poorly controlled")[-1] == "intractable"
    assert read("forearm abscess")[0] == "upper limb"
    assert top(engine, ["Smoker 1 ppd x 25 yrs", "POS PPD", "TYPE 1 DIABETIC", "EPILEPTIC-UNCONTROLLED",
                        "Intentional overdose of oxycodone, took 30 tabs after an argument",
                        "Bipolar II, stable on lamotrigine, last depressive episode 2021",
                        "4130 - Alcohol dependence in remission", "Morbid obesity"]) == \
        ["F17.210", "R76.11", "E10.9", "G40.919", "T40.2X2A", "F31.81", "F10.21", "E66.01"]
    assert read("left hemiparesis after stroke")[-7:] == ["following", "cerebral", "infarction", "affecting", "left",
                                                          "non-dominant", "side"]
    assert top(engine, ["Sedative use disorder, severe, in withdrawal; tremulous, no seizures",
                        "Nicotine dependence - cigarettes", "Left hemiparesis after CVA 2019"]) == \
        ["F13.230", "F17.210", "I69.354"]


def test_dementia_severity_pregnancy_by_gravida_and_conditions_a_medicine_caused(engine):
    assert poisoning.drug_caused("hypothyroidism 2/2 lithium").endswith("due to drugs and medicaments")
    assert poisoning.drug_caused("lithium 600 mg for bipolar i") == ""  # no cause said
    assert poisoning.drug_caused("lithium toxicity") == ""  # a poisoning: T-codes
    assert mental.reading("3 wks postpartum relapsed on fentanyl") == "drug use complicating the puerperium"
    assert mental.reading("postpartum depression") != "other mental disorders complicating the puerperium"
    assert top(engine, ["VASC DEMENTIA W PSYCHOTIC DISTURB", "Dementia, moderate, with agitation",
                        "Lewy body dementia with psychotic disturbance", "G3P2 at 22 wks, OUD on buprenorphine",
                        "Hypothyroidism secondary to lithium", "Orthostatic hypotension from quetiapine",
                        "ABSCESS SKIN R LEG", "Cellulitis of left hand", "Preeclampsia w/o severe features, 35 wks"]) == \
        ["F01.52", "F03.B11", "F02.82", "O99.322", "E03.2", "I95.2", "L02.415", "L03.114", "O14.03"]


def test_an_entry_naming_one_substance_is_no_use_of_another(engine):
    assert mental.reading("clean from opiates x2 yrs").endswith("in remission")
    assert [v.text for v in expand(["amphetamine", "dep", "w", "halluc"])][1].endswith("with hallucinations")
    assert top(engine, ["Alprazolam withdrawal, uncomplicated; sedative dependence, taper started",
                        "AMPHETAMINE DEP W INDUCED PSYCH W HALLUC", "HALLUC DEPEND"]) == ["F13.230", "F15.251", "F16.20"]


def test_a_qualifier_the_entry_does_not_state_is_not_assumed(engine):
    # a curated table maps "PTSD COMBAT CHRONIC" to F43.12; an entry saying no chronicity is F43.10
    assert top(engine, ["PTSD, combat-related (Iraq)", "chronic PTSD", "PTSD, acute"]) == ["F43.10", "F43.12", "F43.11"]


def test_korsakoff_of_alcoholism_and_copd_with_a_lower_respiratory_infection(engine):
    assert top(engine, ["Korsakoff syndrome from chronic alcoholism", "COPD W/ ACUTE LRI", "GEST HTN 2ND TRI"]) == \
        ["F10.26", "J44.0", "O13.2"]


def test_a_dementia_reads_its_disturbance_in_the_codes_words(engine):
    assert mental.reading("dementia with paranoid delusions").endswith("with psychotic disturbance")
    assert mental.reading("dementia type not determined nighttime wandering without aggression").endswith(
        "with other behavioral disturbance")  # "not determined" denies no wandering; the aggression is denied
    assert top(engine, ["Dementia w/ paranoid delusions (thinks son steals from her), stage not documented",
                        "Mood d/o d/t phys cond w/ manic feat", "Meth use d/o, severe, declines MOUD (no opioids)",
                        "OCD - intrusive harm thoughts + checking rituals"]) == ["F03.92", "F06.33", "F15.20", "F42.2"]


def test_a_named_disorder_is_coded_over_its_signs(engine):
    assert top(engine, ["Psychosis NOS - hearing voices x 2 wks, UDS negative",
                        "Gambling d/o - online poker, $15k in debt",
                        "MDD, recurrent, severe, passive SI without plan"]) == ["F29", "F63.0", "F33.2"]
    assert top(engine, ["Auditory hallucinations", "Passive SI, no plan"]) == ["R44.0", "R45.851"]


def test_a_use_that_is_not_the_patients_disorder_is_no_use_code(engine):
    assert top(engine, ["Stepdad drinks heavily at home, kids scared", "ETOH abuse counsel/surv",
                        "Self-inflicted laceration of right forearm, initial encounter"]) == \
        ["Z63.72", "Z71.41", "S51.811A"]
    assert top(engine, ["Alcohol abuse", "Nonsuicidal self-harm, cuts thighs when upset"]) == ["F10.10", "R45.88"]


def test_a_missing_device_is_digital_access_not_literacy(engine):
    results = engine.match_texts(["No laptop or wifi at home, can't join video visits",
                                  "Doesn't know how to log into the patient portal"], ["sdoh"], 3)
    assert [r.results[0].candidates[0].code for r in results] == ["digital-access", "digital-literacy"]
    assert results[0].results[0].decision == "auto"  # "no laptop" states the need: not a negated entry


def test_an_assessment_line_that_ends_by_naming_its_diagnosis_is_that_diagnosis(engine):
    assert top(engine, ["Sudden surges of terror with palpitations, ER workup negative twice. Panic disorder - "
                        "start sertraline."]) == ["F41.0"]


def test_a_qualifier_the_entry_denies_leaves_the_plain_sibling(engine):
    assert top(engine, ["Alcohol withdrawal day 2, CIWA 12, tremor, no hx DTs or seizures",
                        "Chronic alcoholic, intoxicated on arrival, no withdrawal or delirium",
                        "HTN, uncontrolled on lisinopril, no CKD or heart dz"]) == ["F10.230", "F10.220", "I10"]


def test_a_withdrawal_whose_signs_are_listed_is_uncomplicated_else_unspecified(engine):
    assert top(engine, ["Clonazepam withdrawal - tremor, sweats, anxious; used 3 mg/day x 3 yr, dependent",
                        "Alcohol dependence with withdrawal",
                        "Uses snuff daily for 15 yrs, wants to quit, started nicotine gum"]) == \
        ["F13.230", "F10.239", "F17.200"]


def test_a_planned_follow_up_is_no_subsequent_encounter(engine):
    assert top(engine, ["Closed displaced fx neck of R 5th metacarpal after punching a door, ulnar gutter splint, "
                        "ortho f/u", "FX L DIST RADIUS F/U"]) == ["S62.336A", "S52.502D"]


def test_paranoid_schizophrenia_is_a_type_the_entry_names(engine):
    assert top(engine, ["schizophrenia, chronic, off meds while incarcerated -- AH & persecutory beliefs returned, "
                        "restarted risperidone 3mg",
                        "Schizophrenia, paranoid type, stable on LAI"]) == ["F20.9", "F20.0"]


def test_an_infarction_is_acute_for_four_weeks_and_an_age_group_needs_an_age(engine):
    assert top(engine, ["s/p NSTEMI 2 wks ago, cath with DES, on DAPT", "h/o NSTEMI 2019, on statin",
                        "Primigravida at 9 wks, first OB visit, no complications"]) == ["I21.4", "I25.2", "Z34.01"]


def test_pregnancy_and_puerperium_codes_are_read_from_what_the_entry_says(engine):
    assert top(engine, ["PREG W/ OUD-3RD TRI", "25 wks pregnant, drinking 3-4 beers on weekends",
                        "Preeclampsia, postpartum onset, day 3", "Anemia, 2 wks postpartum, Hgb 8.4",
                        "OUD in sustained remission on buprenorphine, two years after delivery"]) == \
        ["O99.323", "O99.312", "O14.95", "O90.81", "F11.21"]


def test_shorthand_read_by_its_neighbours_in_a_sentence():
    assert "morbid obesity" not in expand(tokens(normalize("SSI $943/mo, rent takes most of it")))[-1].text
    assert expand(tokens(normalize("lac R thumb, NV intact")))[1].text.endswith("neurovascularly intact")
    assert "chlamydia" not in expand(tokens(normalize("fell, CT head neg")))[1].text
    assert expand(tokens(normalize("PREG W/ OUD-2ND TRI")))[1].text.endswith("opioid use disorder 2nd trimester")


def test_a_disorder_named_before_its_cause_is_coded_over_the_cause(engine):
    assert top(engine, ["Depression due to job loss", "Anxiety related to housing insecurity",
                        "Dementia w/ Lewy bodies -- visual hallucinations, sees strangers in the room at night",
                        "PTSD from combat, nightmares most nights"]) == ["F32.A", "F41.9", "G31.83", "F43.10"]


def test_a_planned_pregnancy_is_none_and_ketones_are_a_metabolic_disturbance(engine):
    assert top(engine, ["Bipolar II, stable on lamotrigine, planning pregnancy -- preconception counseling",
                        "Hyperemesis gravidarum 10 wks, ketones 2+, IVF"]) == ["F31.81", "O21.1"]


def test_a_treatment_is_not_completed_into_a_disease_and_school_failure_is_underachievement(engine):
    assert top(engine, ["Genital condyloma, cryo today", "Failing classes, IEP meeting"]) == ["A63.0", "Z55.3"]


def test_a_wound_reads_the_index_defaults_not_a_structure_it_does_not_name(engine):
    assert top(engine, ["laceration of right index finger", "Lac L thumb from a box cutter, sutured",
                        "Dog bite L hand, two punctures"]) == ["S61.210A", "S61.012A", "S61.452A"]


def test_table_shorthand_a_drug_of_abuse_and_a_maltreatment_of_the_kind_stated(engine):
    assert top(engine, ["SPR R ANKLE UNSP LIG INIT", "ALCOHOL DEPEND W/ ALC-INDUCED DEP D/O", "Khat use",
                        "SUSP ELDER NEGLECT BY SON INIT"]) == ["S93.401A", "F10.24", "F15.90", "T76.01XA"]


def test_history_reads_as_snomed_names_it_and_remission_is_not_history(engine):
    codes = [r.results[0].candidates[0].code for r in engine.match_texts(
        ["Hx depression", "hx schizophrenia, in full remission for years on clozapine",
         "H/O suicide attempt by overdose of pills (2019), none since"], ["snomed"], 3)]
    assert codes == ["161469008", "4926007", "161474000"]


def test_an_external_cause_is_never_first_and_a_cause_named_is_read_apart(engine):
    assert top(engine, ["Lead exposure - old paint in the house",
                        "Closed fx neck of L femur after ground-level fall, 84 F, initial - ortho consulted."]) == \
        ["Z77.011", "S72.002A"]


def test_a_use_that_meets_no_disorder_criteria_and_sites_read_as_the_codes_name_them(engine):
    assert top(engine, ["Smokes cannabis most days, doesnt meet criteria for a use d/o", "MCL sprain L knee, initial",
                        "gout flare right great toe"]) == ["F12.90", "S83.412A", "M10.071"]
    assert "morbid" not in expand(tokens(normalize("uses a few weekends/mo")))[-1].text


def test_a_use_is_no_poisoning_and_a_nonorganic_enuresis_is_f98(engine):
    assert top(engine, ["SYNTHETIC CANNABINOID (K2) DEPENDENCE", "NOCTURNAL ENURESIS, NONORGANIC ORIGIN",
                        "overdose on spice (synthetic cannabinoid), accidental"]) == ["F12.20", "F98.0", "T40.721A"]


def test_a_denial_a_label_and_a_symptom_read_as_a_coder_reads_them(engine):
    assert top(engine, ["Dips Skoal since 16, can't go a day w/o it - nicotine dependence (smokeless)",
                        "Assessment: malingering. Reports AH only when transfer is denied, no observed response to "
                        "internal stimuli.",
                        "Medical clearance: UTI - dysuria, frequency, UA + nitrites, afebrile.",
                        "Cyclothymia - years of hypomanic and depressive periods, never meeting criteria for an "
                        "episode",
                        "Schizotypal PD - odd beliefs, no close friends"]) == \
        ["F17.220", "Z76.5", "N39.0", "F34.0", "F21"]


def test_a_cause_a_drug_class_and_what_is_only_to_be_tested(engine):
    assert top(engine, ["POLYNEUROPATHY 2/2 ETOH", "OD fluoxetine - suicide attempt", "HIV testing",
                        "DEMENTIA IN OTH DZ, MILD, W/ AGITATION", "KCl 20 mEq PO daily for low K",
                        "constipation d/t methadone", "CUD, severe, smokes crack most days"]) == \
        ["G62.1", "T43.222A", "Z11.4", "F02.A11", "E87.6", "K59.03", "F14.20"]


def test_a_withdrawal_shown_a_maintenance_and_the_trimester_of_the_weeks(engine):
    assert top(engine, ["heroin use disorder, moderate, dopesick, COWS 11",
                        "Meth crash after a 4-day run; stimulant use d/o, severe",
                        "Fentanyl use, on buprenorphine 16 mg daily",
                        "34 wks pregnant, OUD on buprenorphine, no use since 1st tri; 3rd trimester labs today",
                        "28 wks pregnant, on buprenorphine for OUD, no illicit use",
                        "COCAINE DEP W/COCAINE-IND DEPRESSIVE D/O"]) == \
        ["F11.23", "F15.23", "F11.20", "O99.323", "O99.323", "F14.24"]


def test_sides_sites_and_shorthand_as_the_codes_name_them(engine):
    assert top(engine, ["tinnitus both ears", "buckle fx distal radius R, initial", "ABSCESS L FOREARM/INJ SITE",
                        "RBD per sleep study", "lives by herself, no family nearby",
                        "2 cm chin lac from fall off bike, initial", "CORNEAL ABRASION RT INIT"]) == \
        ["H93.13", "S52.521A", "L02.414", "G47.52", "Z60.2", "S01.81XA", "S05.01XA"]
    sdoh = engine.match_texts(["no indoor plumbing, hauls water", "takes payday loans to cover rent"], ["sdoh"], 3)
    assert [r.results[0].candidates[0].code for r in sdoh] == ["inadequate-housing", "financial-insecurity"]


def test_a_numbered_type_a_screening_score_and_a_disorder_before_its_factor(engine):
    assert top(engine, ["Type 1 diabetic, poorly controlled, A1c 9.8, switched to basal-bolus",
                        "Anxiety, GAD-7 9, not further specified",
                        "Insomnia due to posttraumatic stress disorder, wakes 4x a night",
                        "PTSD - hx childhood physical abuse by stepfather, flashbacks, startle"]) == \
        ["E10.65", "F41.9", "F51.05", "F43.10"]


def test_a_newborn_a_lost_pregnancy_a_bare_gravida_and_a_low_glucose(engine):
    assert top(engine, ["Newborn, meconium tox + for cocaine, mom used through 3rd trimester, no w/d sx, feeding well",
                        "NAS in newborn, maternal methadone use",
                        "Adj d/o w/ depressed mood since a 2nd trimester loss 2 mo ago - tearful, guilty",
                        "19yo G1 at 10 wks, smoking meth several times a wk",
                        "T1DM, BG 54 at school, shaky and sweaty, juice given"]) == \
        ["P04.41", "P96.1", "F43.21", "O99.321", "E10.649"]


def test_a_sense_by_context_a_cut_remission_an_induced_kind_and_a_conclusion(engine):
    assert top(engine, ["Chronic daily HA since IED blast in 2009, posttraumatic, not intractable",
                        "IED - recurrent explosive outbursts, broke a door",
                        "MAJOR DEPRESSIVE DISORDER RECURRENT IN F", "ALCOHOL IND PSYCHOSIS W/ MILD USE D/O",
                        "Cigar nicotine dep, in remission", "OCD - contamination obsesions, handwashing 3 hrs/day",
                        "History of lying, fights and theft, conduct problems before 15, no remorse - ASPD"]) == \
        ["G44.329", "F63.81", "F33.42", "F10.159", "F17.291", "F42.2", "F60.2"]
    imaging = " ".join(v.text for v in expand(tokens(normalize("CT: nondisplaced nasal bone fx"))))
    assert "computed tomography" in imaging and "chlamydia" not in imaging
    assert "chlamydia" in expand(tokens(normalize("CT NAAT + on urine")))[1].text


def test_a_stress_fracture_an_induced_psychosis_a_pree_and_new_shorthand(engine):
    assert top(engine, ["Stress fx L 3rd metatarsal in a runner, MRI confirmed",
                        "Severe meth use d/o w/ stimulant-induced psychosis: tactile hallucinations, no fixed delusions",
                        "34w1d, BP 150/94 x2, no HA - preE w/o severe features",
                        "Zyn pouches all day, can't cut down - nicotine dependence", "Atypical anorexia, BMI 23; OSFED",
                        "EIB - albuterol pre-exercise", "Alcohol dependent for 30 yrs, alcohol-induced major NCD"]) == \
        ["M84.375A", "F15.251", "O14.03", "F17.290", "F50.89", "J45.990", "F10.27"]
    assert read("cellulitis L lower leg") == ["cellulitis", "l", "lower limb"]  # not "lower lower limb"


def test_a_field_separator_ends_an_abbreviation_and_bulimia_has_a_severity(engine):
    assert top(engine, ["DEMENTIA UNSP; SEV; W/ ANXIETY", "dementia, unsp sev, w/ anxiety",
                        "Recurrent C. diff infection, 2nd episode", "BULIMIA, SEVERE"]) == \
        ["F03.C4", "F03.94", "A04.71", "F50.23"]


def test_a_stated_fracture_explains_its_symptom(engine):
    assert top(engine, ["Hit in the face, swollen nose + epistaxis, CT: nondisplaced nasal bone fx",
                        "Chest wall pain after fall, CXR: R 6th rib fx", "Epistaxis after being hit, no nasal fx"]) == \
        ["S02.2XXA", "S22.31XA", "R04.0"]


def test_a_named_kind_excludes_the_other_and_a_stated_age_the_codes_of_another_age(engine):
    assert top(engine, ["Admitted to crisis unit after hold. MDD, recurrent, current episode severe w/o psychotic "
                        "features; 4th episode since 2015",
                        "HFrEF EF 20%, weight up 5 lb, orthopnea - acute on chronic systolic HF",
                        "FTT - 20 mo, weight < 3rd %ile",
                        "Major NCD, severity not staged, w/ delusions that neighbors steal her mail"]) == \
        ["F33.2", "I50.23", "R62.51", "F03.92"]


def test_lab_values_a_past_complication_and_a_denied_qualifier(engine):
    assert top(engine, ["K 3.0 on BMP after 4 days of diarrhea", "Na 121 after drinking only beer for weeks",
                        "Alcohol withdrawal, hx DTs in 2019. CIWA 14, tremor, sweats, no hallucinations. Severe AUD",
                        "Housebound 3 yrs, fear of crowds and open spaces; denies panic attacks. Agoraphobia."]) == \
        ["E87.6", "E87.1", "F10.230", "F40.02"]
    assert "hypokalemia" not in read("K 4.2, Na 139, HTN")


def test_an_age_before_a_relative_is_the_patient_and_a_cause_after_a_disorder(engine):
    assert top(engine, ["22yo mom w/ mild intellectual disability, needs visual aids for newborn care",
                        "Post-concussive syndrome from blast TBI in Iraq - daily HA, irritability",
                        "Skoal 2 cans/day x 20 yrs, craves it on waking", "s/p L BKA after IED, phantom limb pain",
                        "Pica in a 4yo - eats dirt and paint chips", "Korsakoff's syndrome, long hx of ETOH dependence",
                        "Vasc dementia, moderate, w/ agitation"]) == \
        ["F70", "F07.81", "F17.220", "G54.6", "F98.3", "F10.26", "F01.B11"]
    assert read("Acute cystitis at 20 wks")[-2:] == ["second", "trimester"]  # a point in a pregnancy
    assert read("Miscarriage at 10 wks, grieving") == tokens("miscarriage at 10 wks grieving")  # a lost pregnancy
    assert "trimester" not in read("knee pain, f/u at 12 wks")


def test_episodes_a_week_a_passed_trimester_and_a_kidney_disease_stage(engine):
    assert top(engine, ["BED - 5 binges/wk, no compensatory behaviors", "Bulimia, purging 9x/wk, dental erosion",
                        "Prenatal visit, 21 wks, drinks wine most nights, stopped worrying after 1st trimester",
                        "Rhabdo after a fall with long lie, CK 22,000", "HTN, CKD stage 3a",
                        "ESRD on HD TTS from hypertensive nephrosclerosis",
                        "NCD due to vascular disease, moderate - combative at night"]) == \
        ["F50.811", "F50.23", "O99.312", "M62.82", "I12.9", "I12.0", "F01.B11"]


def test_a_condition_of_another_chapter_in_a_stated_trimester_complicates_the_pregnancy(engine):
    assert top(engine, ["Iron deficiency anemia at 30 wks, Hgb 8.9; oral iron not tolerated",
                        "Smoking 5 cig/day at 20 wks, wants to quit", "Gest HTN at 35 wks, BP 146/94"]) == \
        ["O99.013", "O99.332", "O13.3"]


def test_a_dementias_disturbance_in_plain_words_and_a_disorder_from_its_cause(engine):
    assert top(engine, ["Moderate dementia, unknown type; thinks her son is an impostor",
                        "Vascular dementia, severe; screaming and kicking at staff during care",
                        "PTSD from childhood abuse, chronic - nightmares, hypervigilance",
                        "Nicotine dependence from vaping, all day", "ADHD-PI, in 4th grade", "Lice on scalp, 6 yo",
                        "Bone mets, on denosumab", "Liver mets"]) == \
        ["F03.B2", "F01.C11", "F43.12", "F17.290", "F90.0", "B85.0", "C79.51", "C78.7"]


def test_a_condition_of_another_chapter_in_the_puerperium_and_a_baby_past_it(engine):
    codes = [r.results[0].candidates[0] for r in engine.match_texts(
        ["PP anxiety, 2 wks after delivery", "Asthma flare, 10 days postpartum",
         "Asthma, postpartum, baby now 4 mo"], ["icd10cm"], 3)]
    assert [c.code for c in codes] == ["O99.345", "O99.53", "J45.909"]
    assert codes[0].confidence > 0.3  # supported as the code it displaced, not as a bare title



def first_reading(text: str) -> str:
    readings = expand(tokens(normalize(text)))
    return readings[1].text if len(readings) > 1 else readings[0].text


def test_neighbours_pick_an_abbreviations_sense_or_leave_it_as_typed():
    assert "bronchopulmonary dysplasia" in first_reading("ex 27-weeker w/ bpd on home o2")
    assert "borderline personality disorder" in first_reading("bpd, self-harm urges, in dbt")
    assert "trichomoniasis" in first_reading("trich vaginitis, metronidazole")
    assert "trichotillomania" in first_reading("trich, pulls out eyebrows when anxious")
    assert "prophylaxis" not in first_reading("clue cells on wet prep")  # a slide, not PrEP
    assert "prophylaxis" in first_reading("starting prep, partner hiv+")
    assert "sleep" in first_reading("opioid dependence w opioid-induced sle")  # a 40-character field's cut
    assert "psychotic disorder" in first_reading("cocaine dep w cocaine-induced psych d/o")
    assert "bilateral" in first_reading("cataract ou")
    assert unmet("Worried, doesn't meet GAD criteria, GAD-7 9") == "Worried, no GAD, GAD-7 9"
    assert unmet("does not meet criteria for dependence per eval") == "no dependence per eval"
    assert unmet("meets criteria for MDD") == "meets criteria for MDD"

def test_a_newborns_mothers_use_an_unmet_criterion_and_an_intoxication_without_overdose(engine):
    assert top(engine, ["NICU f/u: infant w/ in utero cocaine exposure, mom + tox at delivery, feeding well",
                        "Baby girl, prenatal marijuana exposure, mom smoked daily; no withdrawal signs",
                        "NAS - neonatal opioid withdrawal, Finnegan 10",
                        "Anxiety, unspecified - restless, doesn't meet GAD criteria",
                        "Opioid intoxication w/o overdose, nodding, severe OUD on fentanyl",
                        "BAL 0.19 on arrival, severe AUD", "Postpartum (5 mo), GAD"]) == \
        ["P04.41", "P04.81", "P96.1", "F41.9", "F11.220", "F10.220", "F41.1"]


def test_a_hemiplegias_side_by_the_hand_an_induced_disorders_kind_and_a_status_clause(engine):
    assert top(engine, ["R hemiparesis after L MCA infarct, left-handed",
                        "L-sided weakness and hemiparesis since R MCA stroke, R-handed",
                        "Cocaine psychotic d/o w/ mod use d/o", "OPIOID DEPEND W OPIOID-INDUCED SLE",
                        "OUD SEV, IN CONTROLLED ENVIRONMENT", "Lac R palm on glass, Td up to date",
                        "CHF chronic systolic, no exacerbation, on coreg", "Trich vaginitis, treated w/ metronidazole"]) == \
        ["I69.353", "I69.354", "F14.259", "F11.282", "F11.21", "S61.411A", "I50.22", "A59.01"]


def test_months_without_use_a_never_symptomatic_hiv_and_a_limb_of_a_crps(engine):
    assert top(engine, ["AUD severe, no drinking for 5 months, AA weekly", "Methamphetamine use d/o, severe - no use x 2 wks",
                        "HIV+ since 2018, undetectable VL, no AIDS-defining illness ever",
                        "CRPS L wrist after distal radius fx",
                        "Psychosis from high-potency THC vapes, hearing voices for 3 days, no use d/o dx"]) == \
        ["F10.21", "F15.20", "Z21", "G90.512", "F12.951"]


def test_plain_words_of_a_dementias_psychosis_and_of_health_and_digital_literacy(engine):
    assert top(engine, ["Dementia, mild, hears voices at night",
                        "Major NCD, moderate, thinks the aide is poisoning her food"]) == ["F03.A2", "F03.B2"]
    assert engine.matching.matcher().index.speller.correct("hears") is None  # a verb's form, not "ears"
    categories = [r.results[0].candidates[0].code for r in engine.match_texts(
        ["Teach-back on inhaler technique failed twice, can't read the pharmacy label",
         "Grandson set up the patient portal but she is not comfortable using it",
         "No smartphone or internet at home, can't do video f/u",
         "Stretching her inhalers to every other day, the copay is $75 even with Medicare",
         "Uninsured since the layoff, can't afford her meds",
         "Released from jail to his mother's place, she wants him out by Friday",
         "Staying at the shelter on 3rd St, has to leave by 7am each day"], ["sdoh"], 3)]
    assert categories == ["personal-health-literacy", "digital-literacy", "digital-access", "medical-cost-burden",
                          "medical-cost-burden", "housing-instability", "homelessness"]


def test_a_specific_phobia_by_what_is_feared(engine):
    assert top(engine, ["Specific phobia, heights - won't go above 2nd floor", "SPEC PHOBIA - FLYING",
                        "Terrified of elevators, takes the stairs to her 9th floor office",
                        "Afraid of dogs since bitten at 6, crosses the street to avoid them - specific phobia",
                        "Specific phobia, other type - vomiting"]) == \
        ["F40.241", "F40.243", "F40.240", "F40.218", "F40.298"]


def test_an_intoxication_beside_uncomplicated_an_opioid_nod_and_a_schizophrenias_disorganized_speech(engine):
    assert top(engine, ["Intoxicated at work, mild AUD, uncomplicated",
                        "Severe OUD, nodding off in clinic waiting room after using heroin",
                        "Chronic schizophrenia, disorganized speech and behavior",
                        "Closed fx R ribs 7 and 8 after a fall while intoxicated, initial"]) == \
        ["F10.120", "F11.220", "F20.9", "S22.41XA"]


def test_remission_not_yet_a_past_delirium_a_named_substances_induced_disorder_an_uncomplicated_withdrawal(engine):
    assert top(engine, ["OUD, moderate, last use 2 wks ago, not yet in remission",
                        "Hx DTs 2015, AUD in sustained remission x 3 yrs",
                        "Cocaine use d/o, severe, w/ substance-induced depressive d/o",
                        "Benzo dependence, in w/d after stopping, tremulous, no seizures or delirium"]) == \
        ["F11.20", "F10.21", "F14.24", "F13.230"]


def test_a_newborns_withdrawal_a_postpartum_day_and_a_tuberculin_reading(engine):
    assert top(engine, ["Newborn with NOWS, mother on methadone", "PPD 2 s/p C-section, OUD on buprenorphine",
                        "PPD 15 mm, no TB sx", "Smokeless, 1 tin a day, nicotine dependence"]) == \
        ["P96.1", "O99.325", "R76.11", "F17.220"]


def test_weeks_that_open_an_entry_this_trimester_an_abuse_and_a_hypertension_in_pregnancy(engine):
    assert top(engine, ["26 wks, smokes about 10 cigarettes a day",
                        "UDS + cocaine at 30 wks, used twice this trimester",
                        "22 wks, boyfriend hit her and pushed her down the stairs, IPV",
                        "Chronic HTN on nifedipine, 16 wks pregnant",
                        "12 wks of low back pain, PT started"]) == \
        ["O99.332", "O99.323", "O9A.312", "O10.012", "M54.50"]


def test_a_second_episode_mixed_adjustment_a_denied_adjective_and_a_diabetics_foot_ulcer(engine):
    assert top(engine, ["Second episode of major depression, moderate", "3rd episode C diff this year",
                        "Adjustment d/o after divorce, both anxious and depressed",
                        "Panic attacks weekly, no agoraphobic avoidance",
                        "DM2 with R heel ulcer, fat layer exposed", "Dx not yet clarified, r/o delusional d/o"]) == \
        ["F33.1", "A04.71", "F43.23", "F41.0", "E11.621", "F22"]


def test_social_needs_utility_debt_several_unaffordable_needs_and_no_shelter(engine):
    categories = [r.results[0].candidates[0].code for r in engine.match_texts(
        ["Owes $900 on the electric bill, shutoff notice came Monday",
         "Can't afford rent, food or utilities since hours were cut",
         "Teach-back on insulin dosing failed, can't explain when to take it"], ["sdoh"], 3)]
    assert categories == ["utility-insecurity", "financial-insecurity", "personal-health-literacy"]
    assert top(engine, ["Sleeping under the bridge, declines shelter",
                        "Drinks 3 beers nightly, PCP documented alcohol use disorder, mild"]) == ["Z59.02", "F10.10"]
