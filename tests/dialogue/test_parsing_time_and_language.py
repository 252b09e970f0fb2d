"""actions/availability.py (the time offered, structured) and actions/langid.py (reply language)."""
import pytest

from actions import parsing

ALL_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.mark.parametrize(("text", "words", "days", "time_of_day"), [
    ("torsdag formiddag", "torsdag formiddag", ["thu"], "morning"),
    ("Jeg kan hver tirsdag og torsdag efter kl. 16", "hver tirsdag og torsdag efter kl. 16",
     ["tue", "thu"], "afternoon"),
    ("Jeg kan hjælpe med lektier hver onsdag eftermiddag", "hver onsdag eftermiddag", ["wed"],
     "afternoon"),
    ("i weekenden", "i weekenden", ["sat", "sun"], None),
    ("weekender passer mig bedst", "weekender", ["sat", "sun"], None),
    ("mandag til fredag om aftenen", "mandag til fredag om aftenen", ALL_WEEKDAYS, "evening"),
    ("jeg kan strikke huer til nyfødte om søndagen", "om søndagen", ["sun"], None),
    ("på hverdage efter arbejde", "på hverdage efter arbejde", ALL_WEEKDAYS, "evening"),
    ("fra kl 10 til 12 om lørdagen", "fra kl 10 til 12 om lørdagen", ["sat"], "morning"),
    ("hver anden onsdag", "hver anden onsdag", ["wed"], None),
    ("om aftenen, kl. 19", "om aftenen, kl. 19", [], "evening"),
    ("loerdag formiddag", "loerdag formiddag", ["sat"], "morning"),   # typed without ø
])
def test_danish_availability_keeps_day_and_part_of_day(text, words, days, time_of_day):
    found = parsing.extract_availability(text)
    assert (found["text"], found["days"], found["time_of_day"]) == (words, days, time_of_day)


@pytest.mark.parametrize(("text", "words", "days", "time_of_day"), [
    ("Sunday mornings", "Sunday mornings", ["sun"], "morning"),
    ("weekends", "weekends", ["sat", "sun"], None),
    ("I can bake and I have Saturdays free", "Saturdays", ["sat"], None),
    ("Monday to Wednesday, after 5 pm", "Monday to Wednesday, after 5 pm",
     ["mon", "tue", "wed"], "evening"),
    ("I can do evenings", "evenings", [], "evening"),
    ("every other Thursday", "every other Thursday", ["thu"], None),
    ("I have time on Tuesdays and Fridays", "on Tuesdays and Fridays", ["tue", "fri"], None),
    ("weekday afternoons", "weekday afternoons", ALL_WEEKDAYS, "afternoon"),
    ("on weekdays from 2 pm", "on weekdays from 2 pm", ALL_WEEKDAYS, "afternoon"),
    ("every day after work", "every day after work",
     ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "evening"),
    ("I am free at 10am", "10am", [], "morning"),
    ("Wednesday lunchtime", "Wednesday lunchtime", ["wed"], "afternoon"),
])
def test_english_availability_keeps_day_and_part_of_day(text, words, days, time_of_day):
    found = parsing.extract_availability(text)
    assert (found["text"], found["days"], found["time_of_day"]) == (words, days, time_of_day)


@pytest.mark.parametrize(("text", "key", "hours"), [
    ("2 timer om ugen", "hours_per_week", 2.0),
    ("et par timer om måneden", "hours_per_month", 2.0),
    ("en halv time om ugen", "hours_per_week", 0.5),
    ("maybe 2 hours a week", "hours_per_week", 2.0),
    ("a few hours every week", "hours_per_week", 3.0),
    ("3 hours per month", "hours_per_month", 3.0),
])
def test_how_much_time_is_kept_when_said(text, key, hours):
    found = parsing.extract_availability(text)
    assert found[key] == hours and found["days"] == [] and found["text"] in text


@pytest.mark.parametrize("text", [
    "jeg kan lave mad", "jeg er sygeplejerske", "I help at 3 schools", "I can fix bikes",
    "", "/deny", "jeg har to børn",
])
def test_no_time_named_gives_none(text):
    assert parsing.extract_availability(text) is None


def test_stored_availability_is_shown_as_the_persons_words():
    assert parsing.availability_text({"text": "torsdag formiddag", "days": ["thu"],
                                      "time_of_day": "morning"}) == "torsdag formiddag"
    assert parsing.availability_text("onsdag") == "onsdag"  # outcomes stored before the change
    assert parsing.availability_text(None) is None


@pytest.mark.parametrize("text", [
    "jeg bor i Odense", "hej, hvordan går det?", "jeg er sygeplejerske", "kan du hjælpe mig",
    "jeg har tid om tirsdagen", "nej, egentlig ikke", "jeg er ret tryg ved det",
    "Jeg bor i Vollsmose med min familie", "jeg kommer fra Aarhus", "hvorfor spørger du om det?",
    "vi mangler en bus til Tarup", "min datter går i skole i Bolbro", "tusind tak for hjælpen",
])
def test_danish_is_recognised(text):
    assert parsing.detect_language(text) == "da"


@pytest.mark.parametrize("text", [
    "I live in Odense", "hi, how are you?", "I am a nurse", "can you help me",
    "I have time on Tuesdays", "no, not really", "I feel quite safe about it",
    "I live in Vollsmose with my family", "I come from Aarhus", "why are you asking?",
    "we need a bus to Tarup", "my daughter goes to school in Bolbro", "thanks a lot for the help",
])
def test_english_is_recognised(text):
    assert parsing.detect_language(text) == "en"


@pytest.mark.parametrize("text", ["ok", "👍", "hej", "tak", "hello", "?", "", "123 456", "😀 😀"])
def test_too_short_to_say_gives_none(text):
    assert parsing.detect_language(text) is None


def test_the_switch_and_the_clients_language_stay_stronger_than_the_identifier():
    from actions.language import decide

    from .conftest import make_tracker
    # The first message decides, by the identifier, when the client names no language.
    assert decide(make_tracker({"language": None}, text="I live in Odense")) == "en"
    assert decide(make_tracker({"language": None}, text="jeg bor i Odense")) == "da"
    assert decide(make_tracker({"language": None}, text="ok")) == "da"  # unsure: Danish first
    # The client's language wins over the words of the first message.
    assert decide(make_tracker({"language": None}, text="jeg bor i Odense",
                               metadata={"language": "en"})) == "en"
    # An explicit switch wins over the words it is written in.
    assert decide(make_tracker({"language": "en"}, text="kan vi tale dansk",
                               intent="switch_language")) == "da"
    assert decide(make_tracker({"language": "da"}, text="English please",
                               intent="switch_language")) == "en"
