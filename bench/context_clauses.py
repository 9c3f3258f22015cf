"""Clauses clinicians add to a problem-list entry that do not change its code: how
long, how often, who follows it, where it was seen, what is used for it, what is
pending ("Asthma, for three weeks", "GERD - per pt"). Training entries carry them
at times, so that words of the entry no term has are not read as a stand-in for
words a longer, more specific term adds. Generated from a small grammar; no
assertion cue ("denies", "resolved", "years ago"), no qualifier a coder codes
by (side, severity, course) and no drug named in ICD-10-CM titles."""

from __future__ import annotations

import random

COUNTS = ("two", "three", "four", "several", "a few", "2", "3", "4", "6", "10")
UNITS = ("days", "weeks", "months")
TERSE_UNITS = ("d", "wk", "wks", "mo")
DRUGS = ("lisinopril", "amlodipine", "metformin", "atorvastatin", "levothyroxine", "omeprazole", "sertraline",
         "fluoxetine", "escitalopram", "bupropion", "trazodone", "hydroxyzine", "gabapentin", "albuterol",
         "fluticasone", "montelukast", "losartan", "metoprolol", "furosemide", "apixaban", "prednisone",
         "ibuprofen", "acetaminophen", "tamsulosin", "propranolol", "melatonin", "docusate", "cetirizine",
         "meds", "home meds", "PT", "therapy", "counseling")
SERVICES = ("cardiology", "psychiatry", "PCP", "GI", "nephrology", "pulmonology", "endocrinology", "behavioral health",
            "case management", "social work", "ortho", "neurology", "urology", "dermatology", "the care team")
PLACES = ("ED", "urgent care", "clinic", "the hospital", "walk-in clinic", "telehealth")
SOURCES = ("patient", "pt", "family", "chart", "outside records", "ED note", "caregiver", "referral")
TEMPLATES = (
    "for {n} {u}", "x {n} {u}", "x{d}{tu}", "since {year}", "dx {year}", "diagnosed {year}", "onset {n} {u} ago",
    "started {n} {u} ago", "ongoing", "daily", "weekly", "most days", "several times a week", "{d} times a month",
    "nightly", "seen in {place}", "{place} visit last month", "f/u {d} {u}", "follow-up in {n} {u}",
    "recheck next visit", "referred to {svc}", "{svc} consult", "{svc} following", "being followed",
    "monitoring", "labs pending", "workup pending", "discussed at visit", "education given", "counseled",
    "plan reviewed", "per {src}", "{src} reports", "self-reported", "noted on exam", "stable", "improving", "new",
    "{drug} prn", "uses {drug} as needed", "{drug} helps", "{drug} started", "prescribed {drug}",
    "{drug} refilled", "tried {drug}")
JOINS = ((", ", "", 0.6), (" - ", "", 0.15), ("; ", "", 0.1), (" (", ")", 0.1), (" ", "", 0.05))


def clause(rnd: random.Random) -> str:
    return rnd.choice(TEMPLATES).format(
        n=rnd.choice(COUNTS), u=rnd.choice(UNITS), d=rnd.randint(2, 12), tu=rnd.choice(TERSE_UNITS),
        year=rnd.randint(2005, 2025), place=rnd.choice(PLACES), svc=rnd.choice(SERVICES), src=rnd.choice(SOURCES),
        drug=rnd.choice(DRUGS))


def add(entry: str, rnd: random.Random) -> str:
    """The entry with a context clause after it."""
    before, after, _ = rnd.choices(JOINS, weights=[j[2] for j in JOINS])[0]
    text = clause(rnd)
    return f"{entry}{before}{text.upper() if entry.isupper() else text}{after}"
