import datetime as dt

import pytest

from actions import parsing

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("text, expected", [
    ("på tirsdag", "2026-11-24"),
    ("paa tirsdag", "2026-11-24"),
    ("næste uge", "2026-11-30"),
    ("inden jul", "2026-12-24"),
    ("by Christmas", "2026-12-24"),
    ("i morgen", "2026-11-24"),
    ("om to uger", "2026-12-07"),
    ("in 3 days", "2026-11-26"),
    ("den 3. december", "2026-12-03"),
    ("next friday", "2026-11-27"),
    ("i weekenden", "2026-11-28"),
    ("jeg ringer til min nabo på fredag", "2026-11-27"),
])
def test_due_dates_in_danish_and_english(text, expected):
    assert parsing.parse_due_date(text, today=MONDAY).isoformat() == expected


@pytest.mark.parametrize("text", ["banan", "I may help", "<script>alert(1)</script>", "", "🙂🙂"])
def test_text_without_a_date_gives_none(text):
    assert parsing.parse_due_date(text, today=MONDAY) is None


def test_skills_are_extracted_in_order_without_repeats():
    text = "Jeg er revisor og kan hjælpe foreninger med regnskab, og så laver jeg gerne lektiehjælp"
    assert parsing.extract_skills(text) == ["bookkeeping", "homework help"]
    assert parsing.extract_skills("I can fix bikes and cook for the elderly") == [
        "repairs", "cooking", "elderly care"]
    assert parsing.extract_skills("ingenting") == []


@pytest.mark.parametrize(("text", "language", "skills"), [
    ("I can bake and I have Saturdays free", "en", ["baking"]),
    ("I can paint, and it is fun for a male choir too", "en", ["arts"]),
    ("jeg har en stor have og kan male", "da", ["gardening", "arts"]),
    ("jeg hjælper med at drive foreningen og kender den slags", "da", []),
    ("I could drive people to the doctor", "en", ["driving"]),
])
def test_words_that_mean_something_else_in_the_other_language_are_not_skills(text, language,
                                                                               skills):
    assert parsing.extract_skills(text, language) == skills


@pytest.mark.parametrize("text, expected", [
    ("Jeg har tid hver onsdag eftermiddag", "hver onsdag eftermiddag"),
    ("maybe 2 hours a week", "2 hours a week"),
    ("i weekenden", "i weekenden"),
    ("I can bake and I have Saturdays free", "Saturdays"),
    ("jeg kan lave mad", None),
])
def test_availability_keeps_the_persons_words(text, expected):
    assert parsing.extract_availability(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("ja tak", True), ("Ja, det er i orden", True), ("yes", True), ("nej tak", False),
    ("no thanks", False), ("hmm", None), ("ja nej", None)])
def test_yes_no(text, expected):
    assert parsing.parse_yes_no(text) is expected


def test_closed_choices():
    assert parsing.parse_role("Jeg er medarbejder i hjemmeplejen") == "employee"
    assert parsing.parse_role("borger") == "citizen"
    assert parsing.parse_role("🙂") is None
    assert parsing.parse_step("trin 3", 4) == 3
    assert parsing.parse_step("the second", 4) == 2
    assert parsing.parse_step("4", 3) is None
    assert parsing.parse_step("Jeg kunne selv starte en gruppe på Facebook", 4) is None
    assert parsing.parse_invitation_answer("ved ikke") == "undecided"
    assert parsing.parse_invitation_answer("nej tak") == "declined"
    assert parsing.is_none_answer("Ingen") and not parsing.is_none_answer("ingen tillid til jer")


def test_language_detection_needs_a_clear_signal():
    assert parsing.detect_language("I would like to help with the garden") == "en"
    assert parsing.detect_language("jeg vil gerne hjælpe med haven") == "da"
    assert parsing.detect_language("ok") is None
    assert parsing.requested_language("can we speak English") == "en"
    assert parsing.requested_language("paa dansk tak") == "da"
