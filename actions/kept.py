"""Answers given before their question: kept in the `kept_answer` slot, used when it comes.

A person may bring a conversation's answer before consent and role were asked ("jeg kan strikke
huer til nyfødte om søndagen"), or come back from a pause by simply answering the question that
was pending. The message is kept in a slot only (nothing goes to the store before consent) and
`ValidateSamtaleForm` takes it as the answer as soon as that question is next.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from . import parsing, plan
from .messages import latest_intent

# A message that only greets, thanks or says "I'm back" brings no answer.
_COMING_BACK = {"greet", "small_talk", "affirm", "thank", "pause", "goodbye"}
# Entering a conversation by what one says: a few words are a message, one or two a topic.
MIN_WORDS = 3
QUOTE_LENGTH = 140


def has_words(text: str) -> bool:
    """Does the message hold a letter or a digit? Emoji, punctuation and spaces are no answer."""
    return bool(re.search(r"[^\W_]", text or ""))


def message(tracker: Tracker, **where: str) -> Dict[Text, Any]:
    """The latest message, as much of it as the validation needs later (no store, just a slot)."""
    latest = tracker.latest_message or {}
    intent, confidence = latest_intent(tracker)
    return {**where, "text": latest.get("text") or "", "message_id": latest.get("message_id"),
            "intent": intent, "confidence": confidence,
            "entities": latest.get("entities") or []}


def brings_a_conversation(tracker: Tracker) -> str | None:
    """The conversation whose answer this message is (a dream, a doubt, an offer, joining in)."""
    intent, _ = latest_intent(tracker)
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/") or (len(parsing.words(text)) < MIN_WORDS and intent != "join_in"):
        return None
    if intent == "join_in":
        return "invitation"
    return plan.CONVERSATION_BY_INTENT.get(intent)


def keep_for_later(conversation: str, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Events that keep this message as the answer of `conversation` and put it next."""
    slots = tracker.slots
    events = [SlotSet("kept_answer", message(tracker, conversation=conversation))]
    if conversation == "invitation":  # joining in: the invitation, accepted, then all six
        if not slots.get("agenda"):
            events += [SlotSet("agenda", list(plan.CONVERSATIONS)), SlotSet("guided", True)]
        return events
    events += [SlotSet(slot, None) for slot in plan.slots_to_reopen(conversation, slots)]
    return events + [SlotSet("agenda", plan.agenda_for_entry(conversation, slots)),
                     SlotSet("guided", False), SlotSet("next_step", None)]


def is_an_answer_after_pause(tracker: Tracker) -> bool:
    """Someone back from a pause who writes more than hello has answered the pending question."""
    intent, _ = latest_intent(tracker)
    text = (tracker.latest_message or {}).get("text") or ""
    if text.startswith("/"):
        return intent == "choose"  # a button of the question left open
    return has_words(text) and intent not in _COMING_BACK


def tracker_for(kept: Dict[Text, Any], tracker: Tracker) -> Tracker:
    """The tracker as it was when the kept message arrived: its text, intent and buttons.
    Slots are shared, so what the validation sets is seen by the form afterwards."""
    view = copy.copy(tracker)
    view.latest_message = {**(tracker.latest_message or {}), "text": kept["text"],
                           "message_id": kept.get("message_id"),
                           "intent": {"name": kept.get("intent"),
                                      "confidence": kept.get("confidence", 1.0)},
                           "entities": kept.get("entities") or []}
    return view


def quote(text: str) -> str:
    """The person's words for a bubble: short, and safe from Rasa's {slot} interpolation."""
    text = " ".join(text.split()).replace("{", "(").replace("}", ")").replace("0[", "0 [")
    return text if len(text) <= QUOTE_LENGTH else text[:QUOTE_LENGTH - 1].rstrip() + "…"
