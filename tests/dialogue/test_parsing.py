import datetime as dt

import pytest

from actions import parsing

MONDAY = dt.date(2026, 11, 23)


def test_a_gifts_skills_are_labels_in_the_conversations_language_and_ids():
    text = "Jeg er revisor og kan hjælpe foreninger med regnskab, og så laver jeg gerne lektiehjælp"
    assert parsing.gift_skills(text, "da") == {
        "skills": ["regnskab og bogføring", "lektiehjælp"],
        "skill_ids": ["bookkeeping", "homework_help"]}
    assert parsing.gift_skills("I can fix bikes and cook for the elderly", "en") == {
        "skills": ["repairs", "cooking"], "skill_ids": ["repairs", "cooking"]}
    assert parsing.gift_skills("ingenting", "da") == {"skills": [], "skill_ids": []}


@pytest.mark.parametrize(("text", "language", "skills"), [
    ("I can bake and I have Saturdays free", "en", ["baking"]),
    ("I can paint, and it is fun for a male choir too", "en", ["arts", "music"]),
    ("jeg har en stor have og kan male", "da", ["gardening", "arts"]),
    ("jeg hjælper med at drive foreningen og kender den slags", "da", []),
    ("I could drive people to the doctor", "en", ["driving"]),
])
def test_words_that_mean_something_else_in_the_other_language_are_not_skills(text, language,
                                                                               skills):
    assert parsing.gift_skills(text, language)["skill_ids"] == skills


@pytest.mark.parametrize("text, expected", [
    ("ja tak", True), ("Ja, det er i orden", True), ("yes", True), ("nej tak", False),
    ("no thanks", False), ("hmm", None), ("ja nej", None)])
def test_yes_no(text, expected):
    assert parsing.parse_yes_no(text) is expected


def test_closed_choices():
    assert parsing.parse_role("Jeg er medarbejder i hjemmeplejen") == "employee"
    assert parsing.parse_role("borger") == "citizen"
    assert parsing.parse_role("🙂") is None
    assert parsing.parse_invitation_answer("ved ikke") == "undecided"
    assert parsing.parse_invitation_answer("nej tak") == "declined"


def test_a_language_switch_names_the_language():
    assert parsing.requested_language("can we speak English") == "en"
    assert parsing.requested_language("paa dansk tak") == "da"
