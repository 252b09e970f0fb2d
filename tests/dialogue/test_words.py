"""What the person pressed or typed is what is stored and quoted (issue 13.9)."""
from __future__ import annotations

import pytest

from actions.conversation import summary_lines
from actions.digressions import ActionDigress
from actions.form import ValidateSamtaleForm

from .conftest import make_tracker, run, slot_events

CONSENTED = {"consent": True, "role": "citizen"}


@pytest.fixture
def action_store(action_store):
    action_store.save_conversation("anna", consent=True, role="citizen")
    return action_store


@pytest.mark.parametrize("language, metadata, stored", [
    ("da", {"button_title": "Tal med et menneske"}, "Tal med et menneske"),
    ("en", {"button_title": "Talk to a person"}, "Talk to a person"),
    ("da", {}, "Bad om at tale med en medarbejder (knap)"),  # a channel without titles
    ("en", {"language": "en"}, "Asked to talk to a staff member (button)"),
])
def test_a_handoff_by_button_is_stored_with_what_the_button_said(domain, action_store,
                                                                 language, metadata, stored):
    tracker = make_tracker({**CONSENTED, "language": language}, text="/request_human",
                           intent="request_human", metadata=metadata)
    run(ActionDigress(), tracker, domain)
    [handoff] = action_store.outcomes_for("anna")
    assert handoff["kind"] == "handoff" and handoff["text"] == stored


def test_a_typed_handoff_keeps_the_persons_words(domain, action_store):
    words = "kan jeg ikke bare snakke med en rigtig person?"
    run(ActionDigress(), make_tracker(CONSENTED, text=words, intent="request_human"), domain)
    assert action_store.outcomes_for("anna")[0]["text"] == words


@pytest.mark.parametrize("typed, answer", [
    ("nej, det har jeg ikke overskud til lige nu", "declined"),
    ("ja, det vil jeg rigtig gerne være med til", "accepted"),
])
def test_the_summary_quotes_a_typed_invitation_answer(domain, action_store, typed, answer):
    tracker = make_tracker({**CONSENTED, "agenda": ["invitation", "possibility"]}, text=typed,
                           intent="deny" if answer == "declined" else "affirm",
                           requested="invitation_answer")
    events, _ = run(ValidateSamtaleForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["invitation_answer"] == answer and slots["invitation_words"] == typed
    assert action_store.outcomes_for("anna")[0]["text"] == typed
    lines = summary_lines({"language": "da", **slots})
    assert lines == [f"• Invitationen: “{typed}”"]


def test_a_pressed_invitation_button_is_summarised_by_its_title(domain, action_store):
    tracker = make_tracker({**CONSENTED, "agenda": ["invitation"], "language": "en"},
                           text='/choose{"value":"declined"}', intent="choose",
                           entities=[{"entity": "value", "value": "declined"}],
                           requested="invitation_answer",
                           metadata={"button_title": "No, thank you"})
    events, _ = run(ValidateSamtaleForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["invitation_words"] is None
    assert action_store.outcomes_for("anna")[0]["text"] == "No, thank you"
    assert summary_lines({"language": "en", **slots}) == ["• The invitation: “No, thank you”"]


@pytest.mark.parametrize("payload, language, shown", [
    ("/affirm", "da", "Ja (knap)"),
    ("/deny", "en", "No (button)"),
    ("/request_human", "da", "Bad om at tale med en medarbejder (knap)"),
    ("/greet", "da", "(åbnede chatten)"),
    ('/choose{"value":"citizen"}', "da", "Som borger (knap)"),
    ('/choose{"value": "employee"}', "en", "As an employee (button)"),
    ('/choose{"value":"accepted"}', "da", "Ja, gerne (knap)"),
    ('/choose{"value":"finish"}', "en", "Finish for now (button)"),
    ('/choose{"value":"3"}', "da", "3 (knap)"),
    ('/choose{"value":', "da", '/choose{"value":'),  # broken JSON: shown as sent
    ("/made_up", "en", "/made_up"),
])
def test_payload_labels_are_readable(payload, language, shown):
    from actions.content import payload_label

    assert payload_label(payload, language) == shown
