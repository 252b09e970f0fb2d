"""Side-steps a person can take at any question: help, why, a human, pause, language, their data.

The same handler serves inside the form (the pending question is asked again afterwards) and
outside it (`action_digress`), so a digression behaves the same wherever it happens.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from . import outcomes, plan
from .language import decided_first
from .messages import latest_intent, shown_text
from .parsing import words

DIGRESSIONS = {"help", "ask_why", "bot_challenge", "out_of_scope", "switch_language",
               "show_my_data", "request_human", "pause", "goodbye", "delete_my_data",
               "greet", "small_talk"}

# Answered in kind ("hej" -> "Hej!"), then the pending question in its short form.
SOCIAL = {"greet", "small_talk"}

# Questions answered by a button: any digression intent wins there, answers are short anyway.
CHOICE_SLOTS = {"consent", "role", "invitation_answer", "ladder_step", "profession_step",
                "next_step", "confirm_delete", "commitment_due", "gift_time", "contact"}

# Intents people phrase at length ("could someone from the council call me back about this")
_LONG_FORM = {"request_human", "delete_my_data", "switch_language", "pause"}


def is_digression(tracker: Tracker, requested_slot: str | None) -> bool:
    """Is the latest message a side-step rather than an answer to the pending question?

    Free-text answers often contain words like 'hjælp'; a long answer is an answer.
    """
    intent, confidence = latest_intent(tracker)
    if intent not in DIGRESSIONS or (intent in SOCIAL and requested_slot == "resume"):
        return False  # "hej igen" after a pause is coming back, not small talk
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/"):  # a button or command payload says exactly what it means
        return True
    count = len(words(text))
    if count == 0:  # emoji or punctuation only: not a request for anything
        return False
    if requested_slot in CHOICE_SLOTS or _answered_by_a_button(requested_slot):
        return confidence >= 0.6
    limit = 14 if intent in _LONG_FORM else 9
    return confidence >= 0.7 and count <= limit


def _answered_by_a_button(slot: str | None) -> bool:
    """A question of the plan whose answer is short by its kind (a button, a number, a date)."""
    found = plan.question(slot) if slot else None
    return found is not None and found[1].kind != "free_text"


def handle(intent: str, dispatcher: CollectingDispatcher, tracker: Tracker,
           requested_slot: str | None, domain: Dict[Text, Any] | None = None
           ) -> List[Dict[Text, Any]]:
    """Answer a digression; returns the slot events it causes."""
    if intent == "ask_why":
        why = f"utter_why_{requested_slot or 'general'}"
        if domain is not None and why not in (domain.get("responses") or {}):
            why = "utter_why_general"  # a question added in conversations.yml without its own
        dispatcher.utter_message(response=why)
    elif intent == "help":
        dispatcher.utter_message(response="utter_help")
    elif intent == "bot_challenge":
        dispatcher.utter_message(response="utter_iamabot")
    elif intent == "out_of_scope":
        dispatcher.utter_message(response="utter_out_of_scope")
    elif intent == "greet":
        dispatcher.utter_message(response="utter_greet_back")
    elif intent == "small_talk":
        dispatcher.utter_message(response="utter_small_talk")
    elif intent == "thank":
        dispatcher.utter_message(response="utter_you_are_welcome")
    elif intent == "switch_language":
        # The slot is already switched: see actions/language.py.
        dispatcher.utter_message(response="utter_language_switched")
    elif intent == "show_my_data":
        show_data(dispatcher, tracker)
    elif intent == "request_human":
        return request_human(dispatcher, tracker, requested_slot)
    elif intent == "pause":
        if requested_slot is None:
            dispatcher.utter_message(response="utter_ask_resume")
            return []
        return [SlotSet("paused", True)]
    elif intent == "goodbye":
        # Goodbye ends the conversation (action_close says farewell, and purges without consent).
        return [SlotSet("ended", True)]
    elif intent == "delete_my_data":
        return [SlotSet("delete_requested", True)]
    return []


def show_data(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    stored = outcomes.describe_stored_data(tracker) if outcomes.has_consent(tracker) else []
    if not stored:
        dispatcher.utter_message(response="utter_show_data_nothing")
        return
    dispatcher.utter_message(response="utter_show_data_intro")
    for message in stored:
        dispatcher.utter_message(text=message)
    dispatcher.utter_message(response="utter_show_data_transcript",
                             days=outcomes.retention_days())


def request_human(dispatcher: CollectingDispatcher, tracker: Tracker,
                  requested_slot: str | None) -> List[Dict[Text, Any]]:
    if not outcomes.has_consent(tracker):
        dispatcher.utter_message(response="utter_handoff_no_consent")
        return []
    # A button's title ("Tal med et menneske"), never its payload: staff read what was pressed.
    outcomes.record(tracker, "handoff", shown_text(tracker), {"pending_question": requested_slot})
    # No one is notified: the request is visible to staff, and reaching the person needs a
    # contact, which the contact question offers next (actions/plan.py).
    contact_known = tracker.get_slot("contact") not in (None, plan.DECLINED)
    dispatcher.utter_message(response="utter_handoff_contact_known" if contact_known
                             else "utter_handoff")
    events: List[Dict[Text, Any]] = [SlotSet("handoff_requested", True)]
    if requested_slot is None and not contact_known:
        events.append(FollowupAction("samtale_form"))  # the contact question, now
    return events


class ActionDigress(Action):
    """A digression when no question is pending (before the first or after the last)."""

    def name(self) -> Text:
        return "action_digress"

    @decided_first
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent, _ = latest_intent(tracker)
        return handle(intent or "help", dispatcher, tracker, None)
