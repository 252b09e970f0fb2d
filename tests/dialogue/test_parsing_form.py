"""The form methods that use the parsers: a due date only from a date, a vague "when?" answer
asked about once, and a gift's skills and time as structured details (real Tracker, real DB)."""
import datetime as dt

import pytest

from actions import plan
from actions.form import ValidateSamtaleForm

from .conftest import make_tracker, responses, run, slot_events

FORM = ValidateSamtaleForm()
ONBOARDED = {"consent": True, "role": "citizen", "agenda": ["commitment"], "guided": False}


@pytest.mark.parametrize("promise", [
    "Jeg lover at hjælpe, jeg er sygeplejerske", "I promise to help, I am a nurse",
    "jeg vil ringe til min nabo når jeg kan", "I will call my neighbour when I can"])
def test_a_promise_without_a_date_stores_no_date_and_asks_when(promise, domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker(ONBOARDED, text=promise, intent="make_commitment",
                           requested="commitment")
    events, _ = run(FORM, tracker, domain)
    slots = slot_events(events)
    assert "commitment_due" not in slots and slots["requested_slot"] == "commitment_due"
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"]["due"] is None


def test_a_promise_with_a_date_in_it_keeps_that_date(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker(ONBOARDED, text="Jeg ringer til kommunen fredag i næste uge",
                           intent="make_commitment", requested="commitment")
    events, _ = run(FORM, tracker, domain)
    today = dt.date.today()
    friday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=11)
    assert slot_events(events)["commitment_due"] == friday.isoformat()
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"]["due"] == friday.isoformat()


@pytest.mark.parametrize("vague", ["når jeg får tid", "snart", "whenever suits", "soon"])
def test_a_vague_when_is_asked_once_more_then_no_date_is_accepted(vague, domain, action_store):
    action_store.save_conversation("anna", consent=True)
    first = run(FORM, make_tracker(ONBOARDED, text="Jeg rydder op i parken",
                                   intent="make_commitment", requested="commitment"), domain)[0]
    slots = {**ONBOARDED, **slot_events(first)}
    events, messages = run(FORM, make_tracker(slots, text=vague, intent="nlu_fallback",
                                              requested="commitment_due"), domain)
    assert responses(messages) == ["utter_not_a_date"]
    assert slot_events(events)["commitment_due"] is None
    # The question was asked again (the form marks that with `reasking`); still no date: fine.
    events, messages = run(FORM, make_tracker({**slots, "reasking": True}, text=vague,
                                              intent="nlu_fallback", requested="commitment_due"),
                           domain)
    assert responses(messages) == ["utter_ack_no_date"]
    assert slot_events(events)["commitment_due"] == plan.DECLINED
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"]["due"] is None


def test_a_date_given_at_the_second_ask_is_stored(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    first = run(FORM, make_tracker(ONBOARDED, text="I will tidy the park",
                                   intent="make_commitment", requested="commitment"), domain)[0]
    slots = {**ONBOARDED, **slot_events(first), "reasking": True, "language": "en"}
    events, messages = run(FORM, make_tracker(slots, text="before the month is out",
                                              intent="nlu_fallback", requested="commitment_due"),
                           domain)
    assert responses(messages) == ["utter_ack_date"]
    due = slot_events(events)["commitment_due"]
    assert dt.date.fromisoformat(due).month == dt.date.today().month
    assert action_store.outcomes_for("anna")[0]["details"]["due"] == due


@pytest.mark.parametrize(("text", "language", "skills", "ids", "availability"), [
    ("Jeg er pensioneret tømrer og har tid torsdag formiddag", "da",
     ["tømrerarbejde", "reparationer"], ["carpentry", "repairs"],
     {"text": "torsdag formiddag", "days": ["thu"], "time_of_day": "morning"}),
    ("I keep the books for a small firm, Sunday mornings", "en", ["bookkeeping"],
     ["bookkeeping"], {"text": "Sunday mornings", "days": ["sun"], "time_of_day": "morning"}),
    ("jeg kan bage", "da", ["bagning"], ["baking"], None),
])
def test_a_gift_stores_skills_in_the_conversations_language_and_structured_time(
        text, language, skills, ids, availability, domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker({**ONBOARDED, "agenda": ["gift"], "language": language}, text=text,
                           intent="offer_gift", requested="gift")
    events, _ = run(FORM, tracker, domain)
    [gift] = action_store.outcomes_for("anna")
    assert gift["details"] == {"skills": skills, "skill_ids": ids, "availability": availability}
    assert slot_events(events).get("gift_time") == (availability or {}).get("text")


@pytest.mark.parametrize(("text", "availability"), [
    ("hver tirsdag og torsdag efter kl. 16",
     {"text": "hver tirsdag og torsdag efter kl. 16", "days": ["tue", "thu"],
      "time_of_day": "afternoon"}),
    ("når det passer", {"text": "når det passer", "days": [], "time_of_day": None}),
])
def test_the_time_question_stores_structured_availability(text, availability, domain,
                                                          action_store):
    action_store.save_conversation("anna", consent=True)
    first = run(FORM, make_tracker({**ONBOARDED, "agenda": ["gift"]}, text="jeg kan lave mad",
                                   intent="offer_gift", requested="gift"), domain)[0]
    slots = {**ONBOARDED, "agenda": ["gift"], **slot_events(first)}
    events, _ = run(FORM, make_tracker(slots, text=text, intent="nlu_fallback",
                                       requested="gift_time"), domain)
    assert slot_events(events)["gift_time"] == availability["text"]
    [gift] = action_store.outcomes_for("anna")
    assert gift["details"]["availability"] == availability
