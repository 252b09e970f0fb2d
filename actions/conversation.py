"""Entering, leaving and rounding off the conversations."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import outcomes, parsing, plan
from .content import ANSWER_LABELS, KIND_LABELS, NEXT_STEP_LABELS, label
from .form import ValidateSamtaleForm
from .language import decided_first
from .messages import chosen_value, latest_intent

FORM = "samtale_form"
FORGET_HISTORY = "forget_history"  # custom payload key; bot/channels/webchat reads it
Events = List[Dict[Text, Any]]


class ActionStartConversation(Action):
    """Routes a message that arrives while no question is pending.

    A conversation named by what the person says is entered directly; a new person is taken
    through all six in order; a returning person continues where they left off.
    """

    def name(self) -> Text:
        return "action_start_conversation"

    @decided_first
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        # A fresh start of the form must not take this message as an answer to an old question.
        return [SlotSet("requested_slot", None), *self._route(dispatcher, tracker)]

    def _route(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        intent, _ = latest_intent(tracker)
        slots = tracker.slots
        chosen = chosen_value(tracker)
        conversation = plan.CONVERSATION_BY_INTENT.get(intent) or (
            chosen if chosen in plan.CONVERSATIONS else None)
        if conversation:
            return self._enter(conversation, slots)
        if intent == "delete_my_data":
            return [SlotSet("delete_requested", True), FollowupAction(FORM)]
        if chosen == plan.FINISH:
            return [SlotSet("next_step", plan.FINISH), FollowupAction(FORM)]
        if not slots.get("agenda"):
            return [SlotSet("agenda", list(plan.CONVERSATIONS)), SlotSet("guided", True),
                    FollowupAction(FORM)]
        if plan.required_slots({**slots, "paused": False}):
            dispatcher.utter_message(response="utter_welcome_back")
            return [SlotSet("paused", False), FollowupAction(FORM)]
        if plan.not_yet_held(slots):
            dispatcher.utter_message(response="utter_welcome_back")
            return [SlotSet("next_step", None), SlotSet("guided", False), FollowupAction(FORM)]
        dispatcher.utter_message(response="utter_all_held")
        return []

    @staticmethod
    def _enter(conversation: str, slots: Dict[Text, Any]) -> Events:
        events = [SlotSet(slot, None) for slot in plan.slots_to_reopen(conversation, slots)]
        return events + [SlotSet("agenda", plan.agenda_for_entry(conversation, slots)),
                         SlotSet("guided", False), SlotSet("next_step", None),
                         FollowupAction(FORM)]


class ActionRestart(Action):
    """Rasa's restart, kept from firing on a misread answer.

    Rasa runs action_restart whenever the classifier says `restart`, even mid-question. A long
    answer ("En have til alle…") can be misread that way; wiping the conversation then would be
    a poor reward for talking at length, so such a message is taken as the answer it is.
    """

    def name(self) -> Text:
        return "action_restart"

    @decided_first
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        _, confidence = latest_intent(tracker)
        if text.startswith("/") or (len(parsing.words(text)) <= 8 and confidence >= 0.7):
            dispatcher.utter_message(response="utter_restart")
            return [Restarted()]
        requested = tracker.get_slot("requested_slot")
        if (tracker.active_loop or {}).get("name") == FORM and requested:
            events = ValidateSamtaleForm().take_answer(requested, text, dispatcher, tracker,
                                                       domain)
            return [*events, FollowupAction(FORM)]
        return [FollowupAction("action_start_conversation")]


class ActionAskNextStep(Action):
    """Offers the conversations not yet held, as buttons, plus a way to round off."""

    def name(self) -> Text:
        return "action_ask_next_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        language = tracker.get_slot("language")
        options = plan.not_yet_held(tracker.slots) + [plan.FINISH]
        buttons = [{"title": label(NEXT_STEP_LABELS, option, language),
                    "payload": f'/choose{{"value":"{option}"}}'} for option in options]
        dispatcher.utter_message(response="utter_ask_next_step", buttons=buttons)
        return []


class ActionAskDissent(Action):
    """The dissent question; after a declined invitation it asks what holds the person back."""

    def name(self) -> Text:
        return "action_ask_dissent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        declined = tracker.get_slot("invitation_answer") == "declined"
        dispatcher.utter_message(response="utter_ask_dissent_after_decline" if declined
                                 else "utter_ask_dissent")
        return []


def summary_lines(slots: Dict[Text, Any]) -> List[str]:
    """The person's own answers from this conversation, one line per conversation held."""
    language = slots.get("language")
    answers = {
        "invitation": slots.get("invitation_words") or (
            label(ANSWER_LABELS, slots["invitation_answer"], language)
            if slots.get("invitation_answer") in ANSWER_LABELS else None),
        "possibility": slots.get("possibility"),
        "ownership": slots.get("ownership"),
        "dissent": slots.get("dissent"),
        "commitment": slots.get("commitment"),
        "gift": slots.get("gift") or slots.get("profession_gift"),
    }
    lines = []
    for kind, text in answers.items():
        if text:
            extra = ""
            if kind == "commitment" and slots.get("commitment_due") not in (None, plan.DECLINED):
                extra = f" ({slots['commitment_due']})"
            lines.append(f"• {label(KIND_LABELS, kind, language)}: “{text}”{extra}")
    return lines


class ActionClose(Action):
    """Rounds off when no question is left: a summary in their words, thanks, privacy kept."""

    def name(self) -> Text:
        return "action_close"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        language = tracker.get_slot("language")
        if tracker.get_slot("erased"):
            dispatcher.utter_message(response="utter_data_deleted")
            # Channels that keep a copy of the chat (the web widget's localStorage) drop it too.
            dispatcher.utter_message(json_message={FORGET_HISTORY: True})
            return [AllSlotsReset(), SlotSet("language", language)]
        lines = summary_lines(tracker.slots)
        if lines:
            dispatcher.utter_message(response="utter_summary_intro")
            dispatcher.utter_message(text="\n".join(lines))
        if outcomes.has_consent(tracker):
            dispatcher.utter_message(response="utter_closing_thanks")
        else:
            dispatcher.utter_message(response="utter_closing_thanks_nothing_stored")
            outcomes.purge_transcript(tracker.sender_id)
        return []


class ActionGoodbye(Action):
    def name(self) -> Text:
        return "action_goodbye"

    @decided_first
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        dispatcher.utter_message(response="utter_goodbye")
        if not outcomes.has_consent(tracker):
            outcomes.purge_transcript(tracker.sender_id)
        return []
