"""Entering, leaving and rounding off the conversations."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import kept, outcomes, parsing, plan
from .content import KIND_LABELS, NEXT_STEP_LABELS, label
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
        slots = {**tracker.slots, "ended": None}  # after a goodbye, writing again continues
        chosen = chosen_value(tracker)
        back = [SlotSet("ended", None)] if tracker.slots.get("ended") else []
        pending = plan.required_slots({**slots, "paused": False}) if slots.get("agenda") else []
        if (slots.get("paused") or back) and pending and kept.is_an_answer_after_pause(tracker):
            return back + self._answer_after_pause(pending[0], dispatcher, tracker)
        conversation = plan.CONVERSATION_BY_INTENT.get(intent) or (
            chosen if chosen in plan.CONVERSATIONS else None)
        if conversation:
            return back + self._enter(conversation, slots, tracker)
        if intent == "join_in" and not plan.is_held("invitation", slots):
            return back + [*kept.keep_for_later("invitation", tracker), FollowupAction(FORM)]
        if intent == "delete_my_data":
            return back + [SlotSet("delete_requested", True), FollowupAction(FORM)]
        if chosen == plan.FINISH:
            return back + [SlotSet("next_step", plan.FINISH), FollowupAction(FORM)]
        if intent == "small_talk":
            dispatcher.utter_message(response="utter_small_talk")
        if not slots.get("agenda"):
            return [SlotSet("agenda", list(plan.CONVERSATIONS)), SlotSet("guided", True),
                    FollowupAction(FORM)]
        if pending:
            dispatcher.utter_message(response="utter_welcome_back")
            return back + [SlotSet("paused", False), FollowupAction(FORM)]
        if plan.not_yet_held(slots):
            dispatcher.utter_message(response="utter_welcome_back")
            return back + [SlotSet("next_step", None), SlotSet("guided", False),
                           FollowupAction(FORM)]
        dispatcher.utter_message(response="utter_all_held")
        return back

    @staticmethod
    def _answer_after_pause(pending: str, dispatcher: CollectingDispatcher,
                            tracker: Tracker) -> Events:
        """Back after a pause (or a goodbye), with the answer to the question left open."""
        dispatcher.utter_message(response="utter_welcome_back_short")
        return [SlotSet("paused", False),
                SlotSet("kept_answer", kept.message(tracker, slot=pending)), FollowupAction(FORM)]

    @staticmethod
    def _enter(conversation: str, slots: Dict[Text, Any], tracker: Tracker) -> Events:
        """Into the conversation the message is about; a message of a few words is its answer,
        taken as soon as the question comes (after consent and role for a new person)."""
        if kept.brings_a_conversation(tracker) == conversation:
            return [*kept.keep_for_later(conversation, tracker), FollowupAction(FORM)]
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


def summary_lines(slots: Dict[Text, Any]) -> List[str]:
    """The person's own answers from this conversation, one line per conversation held, as the
    plan's `summary:` says: the first answer given of `answer`, then `add` in brackets."""
    language = slots.get("language")
    current = plan.current()
    lines = []
    for kind in current.order:
        summary = current.conversations[kind].summary
        text = next((slots.get(slot) for slot in summary.answer if slots.get(slot)), None)
        text = _shown(text, summary.answer, language)
        if text and text != plan.DECLINED:
            added = [str(slots[slot]) for slot in summary.add
                     if slots.get(slot) not in (None, plan.DECLINED)]
            extra = f" ({', '.join(added)})" if added else ""
            lines.append(f"• {label(KIND_LABELS, kind, language)}: “{text}”{extra}")
    return lines


def _shown(value: Any, slots: List[str], language: str | None) -> Any:
    """A choice's answer by its label ("Nej tak"), anything else as it was said."""
    for slot in slots:
        found = plan.question(slot)
        if found and found[1].kind == "choice" and value in (found[1].options or {}):
            return getattr(found[1].options[value], "en" if language == "en" else "da")
    return value


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
        if tracker.get_slot("ended"):
            return self._farewell(dispatcher, tracker)
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

    @staticmethod
    def _farewell(dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        """A goodbye mid-question ends the talk: short, and only what is true for this person."""
        if outcomes.has_consent(tracker):
            dispatcher.utter_message(response="utter_goodbye_answers_kept")
        else:
            dispatcher.utter_message(response="utter_goodbye_nothing_kept")
            outcomes.purge_transcript(tracker.sender_id)
        return []


class ActionGoodbye(Action):
    def name(self) -> Text:
        return "action_goodbye"

    @decided_first
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> Events:
        if outcomes.has_consent(tracker):
            dispatcher.utter_message(response="utter_goodbye")
        else:
            dispatcher.utter_message(response="utter_goodbye_nothing_kept")
            outcomes.purge_transcript(tracker.sender_id)
        return []
