"""actions/parsing.py: ladder steps inside sentences, and "no doubts" told apart from doubts."""
import pytest

from actions import parsing


@pytest.mark.parametrize(("text", "expected"), [
    ("jeg står vist på trin nummer to", 2),
    ("det må være trin tre", 3),
    ("nok nummer fire", 4),
    ("Jeg tror, jeg er på trin 1", 1),
    ("trinnet hedder vel det tredje", 3),
    ("den anden", 2),
    ("det første trin passer bedst på mig", 1),
    ("jeg vil sige nummer 2", 2),
    ("tre", 3),
    ("nok tre", 3),
    ("jeg er vel på to", 2),
    ("Trin 4, helt sikkert", 4),
])
def test_danish_ladder_steps_in_sentences(text, expected):
    assert parsing.parse_step(text, 4) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I'd say the second one", 2),
    ("probably step 3", 3),
    ("the first one", 1),
    ("I think I'm at step two", 2),
    ("number four, I guess", 4),
    ("definitely the third", 3),
    ("level 1", 1),
    ("two", 2),
    ("I want to be on step four", 4),
    ("option 3 fits me", 3),
    ("#2", 2),
    ("the 3rd one", 3),
])
def test_english_ladder_steps_in_sentences(text, expected):
    assert parsing.parse_step(text, 4) == expected


@pytest.mark.parametrize("text", [
    "mellem to og tre",                                  # genuinely unclear
    "between two and three",
    "2 eller 3",
    "Jeg kunne selv starte en gruppe på Facebook",     # "en" is an article
    "jeg har to børn og en hund",                       # numbers that are not steps
    "jeg vil gerne snakke med en anden om det",         # "anden" is "other"
    "I want to go to the meeting",                      # "to" is English "to"
    "at first I was not sure",
    "I have one question first",
    "step 5",                                           # no such step
    "ved ikke",
    "hmm",
])
def test_unclear_answers_give_no_step(text):
    assert parsing.parse_step(text, 4) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("trin 3", 3), ("det er nok nummer to", 2), ("the second one", 2), ("4", None),
    ("trin fire", None), ("step one", 1)])
def test_profession_steps_go_to_three(text, expected):
    assert parsing.parse_step(text, 3) == expected


@pytest.mark.parametrize("text", [
    "nej, egentlig ikke", "ikke rigtig nogen", "nej, jeg er ret tryg ved det", "ingen tvivl her",
    "Ingen", "nej", "nej tak", "ikke noget", "nej, ikke noget jeg kan komme i tanke om",
    "Nej, det er helt fint", "ingen bekymringer", "nej, jeg er ikke bekymret", "intet",
    "egentlig ikke", "nej faktisk ikke",
])
def test_danish_no_doubt_answers(text):
    assert parsing.is_none_answer(text)


@pytest.mark.parametrize("text", [
    "nothing comes to mind", "no, not really", "I have no doubts", "nope", "no thanks, all good",
    "I can't think of anything", "not that I can think of", "None", "nothing really",
    "no concerns here", "no, I'm comfortable with it", "not really, no", "no worries",
])
def test_english_no_doubt_answers(text):
    assert parsing.is_none_answer(text)


@pytest.mark.parametrize("text", [
    "nej, jeg tror ikke kommunen lytter", "ingen tillid til jer",
    "Ingen tvivl om at det ikke virker", "nej, det er for dyrt", "jeg er bekymret for trafikken",
    "nej, men jeg frygter at ingen kommer", "nej, der mangler busser",
    "ikke rigtig tid til den slags", "ved ikke", "no, I don't trust the council",
    "not really sure it will work", "no, the buses are too few", "I don't know",
    "nothing ever changes here", "no one listens",
])
def test_real_doubts_are_not_no_doubt_answers(text):
    assert not parsing.is_none_answer(text)
