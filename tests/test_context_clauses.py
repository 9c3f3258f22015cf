"""The clauses added to training entries say nothing a code depends on: no assertion
cue, no qualifier a coder codes by."""

import random

from bench import context_clauses
from server.match import features
from server.match.assertion import detect


def test_context_clauses_carry_no_assertion_cue_and_no_qualifier():
    rnd = random.Random(3)
    for _ in range(2000):
        text = context_clauses.add("Asthma", rnd)
        assert text.lower().startswith("asthma") and len(text) > len("asthma ")
        parsed = detect(text)
        assert parsed.assertion.flags() == [], text
        assert not features.qualifiers(text[len("asthma"):]), text


def test_a_terse_entry_gets_its_clause_in_capitals():
    rnd = random.Random(5)
    assert all(context_clauses.add("COPD", rnd).isupper() for _ in range(50))
