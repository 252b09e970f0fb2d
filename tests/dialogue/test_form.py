"""The form's validation action with a real Tracker, the real domain and a real database."""
from actions import plan
from actions.conversation import ActionClose, ActionStartConversation
from actions.digressions import ActionDigress
from actions.form import ValidateSamtaleForm

from .conftest import make_tracker, responses, run, slot_events

FORM = ValidateSamtaleForm()
ONBOARDED = {"consent": True, "role": "citizen", "agenda": list(plan.CONVERSATIONS),
             "guided": True}


def test_consent_yes_is_stored_and_the_role_is_asked_next(domain, action_store):
    tracker = make_tracker({"agenda": plan.CONVERSATIONS, "guided": True}, text="ja tak",
                           intent="affirm", requested="consent")
    events, messages = run(FORM, tracker, domain)
    assert slot_events(events) == {"consent": True, "requested_slot": "role"}
    assert responses(messages) == ["utter_consent_given"]
    assert action_store.get_conversation("anna")["consent"] is True


def test_an_unclear_consent_answer_is_asked_again_kindly(domain, action_store):
    tracker = make_tracker({"agenda": plan.CONVERSATIONS}, text="hmm måske?", intent="nlu_fallback",
                           requested="consent")
    events, messages = run(FORM, tracker, domain)
    assert slot_events(events) == {"consent": None, "reasking": True, "requested_slot": "consent"}
    assert responses(messages) == ["utter_choose_from_buttons"]


def test_a_dream_is_stored_verbatim_and_acknowledged(domain, action_store):
    action_store.save_conversation("anna", consent=True, language="da")
    dream = "En fælleshave <script>alert(1)</script> med plads til alle 🌱"
    tracker = make_tracker({**ONBOARDED, "invitation_answer": "accepted"}, text=dream,
                           intent="share_possibility", requested="possibility")
    events, messages = run(FORM, tracker, domain)
    assert slot_events(events)["requested_slot"] == "ownership"
    assert responses(messages) == ["utter_ack_possibility"]
    [outcome] = action_store.outcomes_for("anna")
    assert (outcome["kind"], outcome["text"], outcome["role"]) == ("possibility", dream, "citizen")


def test_nothing_is_stored_without_consent(domain, action_store):
    tracker = make_tracker({**ONBOARDED, "consent": False, "invitation_answer": "accepted"},
                           text="en legeplads", intent="share_possibility", requested="possibility")
    events, _ = run(FORM, tracker, domain)
    assert slot_events(events)["possibility"] == "en legeplads"
    assert action_store.outcomes_for("anna") == []


def test_help_at_a_question_is_answered_and_the_question_stays_pending(domain, action_store):
    tracker = make_tracker({**ONBOARDED, "invitation_answer": "accepted"}, text="hjælp",
                           intent="help", requested="possibility")
    events, messages = run(FORM, tracker, domain)
    assert slot_events(events) == {"possibility": None, "reasking": True,
                                   "requested_slot": "possibility"}
    assert responses(messages) == ["utter_help"]
    assert action_store.outcomes_for("anna") == []


def test_why_is_answered_for_the_pending_question(domain, action_store):
    tracker = make_tracker({**ONBOARDED, "invitation_answer": "accepted", "possibility": "x"},
                           text="hvorfor spørger du?", intent="ask_why", requested="ownership")
    _, messages = run(FORM, tracker, domain)
    assert responses(messages) == ["utter_why_ownership"]
    assert "utter_why_ownership" in domain["responses"]


def test_a_long_answer_mentioning_help_is_an_answer_not_a_digression(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    text = "Jeg drømmer om at der kommer mere hjælp til de ældre i vores opgang og på vejen"
    tracker = make_tracker({**ONBOARDED, "invitation_answer": "accepted"}, text=text,
                           intent="help", confidence=0.8, requested="possibility")
    events, _ = run(FORM, tracker, domain)
    assert slot_events(events)["possibility"] == text


def test_a_request_for_a_human_records_a_handoff(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker({**ONBOARDED, "invitation_answer": "accepted"},
                           text="kan jeg tale med et menneske", intent="request_human",
                           requested="possibility")
    events, messages = run(FORM, tracker, domain)
    assert responses(messages) == ["utter_handoff"]
    [handoff] = action_store.outcomes_for("anna")
    assert handoff["kind"] == "handoff" and handoff["details"] == {"pending_question": "possibility"}
    # Nobody is notified: the person is offered to leave a contact first, then the question.
    assert slot_events(events)["requested_slot"] == "contact"


def test_pause_waits_and_resuming_asks_the_pending_question(domain, action_store):
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    events, _ = run(FORM, make_tracker(slots, text="pause", intent="pause",
                                       requested="possibility"), domain)
    assert slot_events(events) == {"possibility": None, "paused": True, "requested_slot": "resume"}
    events, messages = run(FORM, make_tracker({**slots, "paused": True}, text="hej igen",
                                              intent="greet", requested="resume"), domain)
    assert responses(messages) == ["utter_welcome_back"]
    assert slot_events(events)["requested_slot"] == "possibility"


def test_declining_the_invitation_leads_gently_to_dissent(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker(ONBOARDED, text='/choose{"value":"declined"}', intent="choose",
                           requested="invitation_answer",
                           entities=[{"entity": "value", "value": "declined"}])
    events, messages = run(FORM, tracker, domain)
    slots = slot_events(events)
    assert responses(messages) == ["utter_invitation_declined"]
    assert slots["agenda"] == ["invitation", "dissent"] and slots["guided"] is False
    assert slots["requested_slot"] == "dissent"
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"] == {"answer": "declined"} and outcome["text"] == "Nej tak"


def test_a_commitment_with_a_date_needs_no_date_question(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker({**ONBOARDED, "agenda": ["commitment"]},
                           text="Jeg lover at ringe til min nabo inden jul",
                           intent="make_commitment", requested="commitment")
    events, _ = run(FORM, tracker, domain)
    slots = slot_events(events)
    assert slots["commitment_due"].endswith("-12-24")
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["details"]["due"].endswith("-12-24")


def test_a_date_question_answered_without_a_date_is_asked_again(domain, action_store):
    slots = {**ONBOARDED, "agenda": ["commitment"], "commitment": "gå en tur"}
    events, messages = run(FORM, make_tracker(slots, text="blå", intent="nlu_fallback",
                                              requested="commitment_due"), domain)
    assert responses(messages) == ["utter_not_a_date"]
    assert slot_events(events) == {"commitment_due": None, "reasking": True,
                                   "requested_slot": "commitment_due"}


def test_a_gift_keeps_skills_and_availability(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    tracker = make_tracker({**ONBOARDED, "agenda": ["gift"]},
                           text="Jeg kan hjælpe med lektier hver onsdag eftermiddag",
                           intent="offer_gift", requested="gift")
    events, _ = run(FORM, tracker, domain)
    assert slot_events(events)["gift_time"] == "hver onsdag eftermiddag"
    [gift] = action_store.outcomes_for("anna")
    assert gift["details"] == {
        "skills": ["lektiehjælp"], "skill_ids": ["homework_help"],
        "availability": {"text": "hver onsdag eftermiddag", "days": ["wed"],
                         "time_of_day": "afternoon"}}


def test_delete_my_data_asks_first_then_erases_everything(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    action_store.record_outcome(conversation_id="anna", kind="possibility", text="x", language="da")
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    events, _ = run(FORM, make_tracker(slots, text="slet mine data", intent="delete_my_data",
                                       requested="possibility"), domain)
    assert slot_events(events)["requested_slot"] == "confirm_delete"
    events, _ = run(FORM, make_tracker({**slots, "delete_requested": True}, text="/affirm",
                                       intent="affirm", requested="confirm_delete"), domain)
    assert slot_events(events)["erased"] is True and slot_events(events)["requested_slot"] is None
    assert action_store.outcomes_for("anna") == [] and action_store.get_conversation("anna") is None
    _, messages = run(ActionClose(), make_tracker({"erased": True}), domain)
    assert responses(messages)[0] == "utter_data_deleted"
    assert [m["custom"] for m in messages[1:]] == [{"forget_history": True}]  # for the widget


def test_entering_a_conversation_by_what_is_said(domain, action_store):
    events, _ = run(ActionStartConversation(),
                    make_tracker({}, text="jeg kan bage kage", intent="offer_gift"), domain)
    slots = slot_events(events)
    assert slots["agenda"] == ["gift"] and slots["guided"] is False
    assert events[-1] == {"event": "followup", "name": "samtale_form", "timestamp": None}


def test_the_first_message_takes_the_clients_language(domain, action_store):
    events, _ = run(ActionStartConversation(), make_tracker(
        {"language": None}, text="hej", intent="greet", metadata={"language": "en"}), domain)
    assert events[0] == {"event": "slot", "name": "language", "value": "en",
                         "timestamp": None}  # first: set before anything is said
    events, _ = run(ActionStartConversation(),
                    make_tracker({"language": None}, text="hej", intent="greet"), domain)
    assert slot_events(events)["language"] == "da"  # no client language, too short to tell


def test_a_switch_request_at_a_question_is_answered_in_the_new_language(domain, action_store):
    tracker = make_tracker({**ONBOARDED, "language": "en", "invitation_answer": "accepted"},
                           text="dansk tak", intent="switch_language", requested="possibility")
    events, messages = run(FORM, tracker, domain)
    assert slot_events(events) == {"language": "da", "possibility": None, "reasking": True,
                                   "requested_slot": "possibility"}
    assert responses(messages) == ["utter_language_switched"]


def test_a_long_message_in_the_other_language_switches_it(domain, action_store):
    action_store.save_conversation("anna", consent=True, language="da")
    text = "I would love a community garden where the neighbours meet"
    tracker = make_tracker({**ONBOARDED, "invitation_answer": "accepted"}, text=text,
                           intent="share_possibility", requested="possibility")
    events, _ = run(FORM, tracker, domain)
    assert slot_events(events)["language"] == "en"
    [outcome] = action_store.outcomes_for("anna")
    assert outcome["language"] == "en"  # the outcome is stored in the language just decided


def test_a_first_thank_you_is_answered_in_its_own_language(domain, action_store):
    events, messages = run(ActionDigress(), make_tracker(
        {"language": None}, text="thank you so much for this", intent="thank"), domain)
    assert slot_events(events) == {"language": "en"}
    assert responses(messages) == ["utter_you_are_welcome"]


def test_the_language_is_decided_once_a_turn(domain, action_store):
    """A switch decided by the turn's first action is not flipped back by the form after it."""
    tracker = make_tracker({**ONBOARDED, "language": "en", "invitation_answer": "accepted"},
                           text="english please", intent="switch_language")
    tracker.events.append({"event": "action", "name": "action_digress"})
    tracker.events.append({"event": "slot", "name": "language", "value": "en"})
    events, _ = run(FORM, tracker, domain)
    assert "language" not in slot_events(events)
    events, _ = run(FORM, make_tracker({**ONBOARDED, "language": "en"}, text="english please",
                                       intent="switch_language"), domain)
    assert "language" not in slot_events(events)  # asked for the language it already speaks
    events, _ = run(FORM, make_tracker({**ONBOARDED, "language": "en"}, text="another language",
                                       intent="switch_language"), domain)
    assert slot_events(events)["language"] == "da"  # none named: the other one


def test_the_last_gift_answer_leads_to_the_contact_question(domain, action_store):
    slots = {**ONBOARDED, **{s: "x" for s in plan.ALL_CONVERSATION_SLOTS}, "gift_time": None,
             "role": "citizen"}
    events, _ = run(FORM, make_tracker(slots, text="weekender", intent="nlu_fallback",
                                       requested="gift_time"), domain)
    assert slot_events(events) == {"gift_time": "weekender", "requested_slot": "contact"}


def test_starting_the_form_does_not_repeat_or_restore_earlier_answers(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, "invitation_answer": "accepted", "possibility": "a garden"}
    tracker = make_tracker(slots, text="hej igen", intent="greet",
                           latest_action="action_start_conversation")
    events, messages = run(FORM, tracker, domain)
    assert messages == [] and action_store.outcomes_for("anna") == []
    assert slot_events(events) == {"requested_slot": "ownership"}


def test_a_stale_button_is_not_taken_as_a_free_text_answer(domain, action_store):
    slots = {**ONBOARDED, "invitation_answer": "accepted"}
    events, messages = run(FORM, make_tracker(slots, text='/choose{"value":"3"}', intent="choose",
                                              requested="possibility"), domain)
    assert slot_events(events) == {"possibility": None, "reasking": True,
                                   "requested_slot": "possibility"}
    assert responses(messages) == ["utter_empty_answer"]


def test_a_clear_answer_is_never_a_side_step(domain, action_store):
    action_store.save_conversation("anna", consent=True)
    slots = {**ONBOARDED, **{s: "x" for s in plan.ALL_CONVERSATION_SLOTS}}
    events, messages = run(FORM, make_tracker(slots, text="anna@example.dk",
                                              intent="out_of_scope", requested="contact"), domain)
    assert slot_events(events) == {"contact": "anna@example.dk", "requested_slot": None}
    assert action_store.get_conversation("anna")["contact"] == "anna@example.dk"


def test_coming_back_after_a_pause_in_a_new_session_resumes_the_question(domain, action_store):
    slots = {**ONBOARDED, "invitation_answer": "accepted", "paused": True}
    events, messages = run(ActionStartConversation(),
                           make_tracker(slots, text="hej igen", intent="greet"), domain)
    assert responses(messages) == ["utter_welcome_back"]
    assert slot_events(events) == {"requested_slot": None, "paused": False}
    assert events[-1]["event"] == "followup"


def test_a_long_answer_misread_as_restart_is_kept_as_the_answer(domain, action_store):
    from actions.conversation import ActionRestart

    action_store.save_conversation("anna", consent=True)
    text = "En have til alle. " * 20
    slots = {**ONBOARDED, "invitation_answer": "accepted", "requested_slot": "possibility"}
    tracker = make_tracker(slots, text=text, intent="restart", confidence=0.55)
    tracker.active_loop = {"name": "samtale_form"}
    events, messages = run(ActionRestart(), tracker, domain)
    assert slot_events(events)["possibility"] == text
    assert events[-1]["event"] == "followup" and "restart" not in str(events)
    assert [o["kind"] for o in action_store.outcomes_for("anna")] == ["possibility"]


def test_a_short_clear_restart_restarts(domain, action_store):
    from actions.conversation import ActionRestart

    events, messages = run(ActionRestart(), make_tracker(ONBOARDED, text="start forfra",
                                                         intent="restart"), domain)
    assert responses(messages) == ["utter_restart"] and events[-1]["event"] == "restart"
