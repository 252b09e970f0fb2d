"""The contact question: only a valid e-mail address or Danish phone number is kept, apart from
the words around it; anything else gets a kind request to try again or skip."""
import pytest

from actions import plan
from actions.form import ValidateSamtaleForm

from .conftest import make_tracker, responses, run, slot_events
from .test_form import ONBOARDED

FORM = ValidateSamtaleForm()


@pytest.mark.parametrize(("answer", "stored"), [
    ("anna@example.dk", "anna@example.dk"),
    ("min mail er Anna.Hansen@Kommune.DK", "Anna.Hansen@kommune.dk"),
    ("ring på 22 33 44 55 efter kl 16", "+45 22334455"),
    ("+45 40-50-60-70", "+45 40506070"),
])
def test_only_the_contact_detail_is_stored(domain, action_store, answer, stored):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, **{s: "x" for s in plan.ALL_CONVERSATION_SLOTS}}
    events, messages = run(FORM, make_tracker(slots, text=answer, intent="inform",
                                              requested="contact"), domain)
    assert slot_events(events)["contact"] == stored
    assert responses(messages) == ["utter_ack_contact"]
    assert action_store.get_conversation("anna")["contact"] == stored


@pytest.mark.parametrize("answer", ["anna@example", "1234567", "ring mig op i morgen",
                                    "010190-1234", "12345678"])
def test_an_invalid_contact_is_asked_for_again_kindly(domain, action_store, answer):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, **{s: "x" for s in plan.ALL_CONVERSATION_SLOTS}}
    events, messages = run(FORM, make_tracker(slots, text=answer, intent="inform",
                                              requested="contact"), domain)
    assert slot_events(events) == {"contact": None, "requested_slot": "contact", "reasking": True}
    assert responses(messages) == ["utter_contact_invalid"]
    assert action_store.get_conversation("anna")["contact"] is None
