"""The reply language of a turn, decided by whichever action runs first in it.

Rasa renders every response in the language the `language` slot holds (domain: a Danish default
and an English variation). Each turn's first custom action decides it before it says anything
(`decided_first`); the engine renders an action's responses with the slots the action set
(engine/serve.py), so a switch is answered in the new language.
"""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from . import parsing
from .messages import latest_intent

Events = list[dict[str, Any]]

# Greetings and small talk are short, and yet plainly one language: "hi" then "how are you?" is
# English even from someone the bot has addressed in Danish so far.
SOCIAL_INTENTS = {"greet", "small_talk"}
_SOCIAL_WORDS = {
    "en": {"hi", "hello", "hiya", "morning", "evening", "afternoon", "how", "are", "you",
           "doing", "going", "what's", "whats", "up", "fine", "thanks", "good", "day"},
    "da": {"hej", "hejsa", "hejhej", "goddag", "godmorgen", "godaften", "morn", "davs", "dav",
           "halløj", "hvordan", "går", "gaar", "det", "har", "du", "dig", "med", "godt", "tak"},
}


def social_language(text: str) -> str | None:
    """The language of a greeting or small talk, by its words; None when it does not say."""
    tokens = parsing.words(text)
    english = sum(t in _SOCIAL_WORDS["en"] for t in tokens)
    danish = sum(t in _SOCIAL_WORDS["da"] for t in tokens)
    if english == danish:
        return None
    return "en" if english > danish else "da"


def decide(tracker: Tracker) -> str | None:
    """The language this message calls for, or None to keep the current one."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    current = tracker.get_slot("language")
    intent, confidence = latest_intent(tracker)
    if intent == "switch_language" and (confidence >= 0.5 or text.startswith("/")):
        # "English please" asks for English, even twice; "another language" for the other one.
        return parsing.requested_language(text) or ("da" if current == "en" else "en")
    client_language = (message.get("metadata") or {}).get("language")
    if current is None and client_language in ("da", "en"):
        return client_language
    detected = parsing.detect_language(text)
    if intent in SOCIAL_INTENTS and confidence >= 0.7:
        detected = social_language(text) or detected
        if detected and detected != current:
            return detected
    if current is None:
        return detected or "da"
    if detected and detected != current and len(parsing.words(text)) >= 5:
        return detected
    return None


def decided_this_turn(tracker: Tracker) -> bool:
    """Did an earlier action of this turn set the language? (A switch must not flip back.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "language":
            return True
    return False


# Rasa's own actions that may run before the turn's first custom one.
_RASAS_OWN = {"action_listen", "action_extract_slots", "action_session_start"}


def first_action_this_turn(tracker: Tracker) -> bool:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        name = event.get("name") or ""
        # A form is Rasa's own loop; its validation (a custom action) runs inside it.
        if event.get("event") == "bot" or (event.get("event") == "action"
                                           and name not in _RASAS_OWN
                                           and not name.endswith("_form")):
            return False
    return True


def masked_this_turn(tracker: Tracker) -> bool:
    """Did the engine mask a CPR number, phone number or e-mail address in the message?
    (engine/serve.py, engine/rest_channel.py put what they masked in its metadata.)"""
    return bool(((tracker.latest_message or {}).get("metadata") or {}).get("masked"))


def decided_first(run: Callable[..., Awaitable[Events]]) -> Callable[..., Awaitable[Events]]:
    """Wraps an action's `run`: the turn's language is decided before the action speaks, and
    the person hears first if personal data was masked in their message."""
    @functools.wraps(run)
    async def run_in_the_persons_language(self: Any, dispatcher: Any, tracker: Tracker,
                                          domain: Any) -> Events:
        if masked_this_turn(tracker) and first_action_this_turn(tracker):
            dispatcher.utter_message(response="utter_personal_data_masked")
        language = None if decided_this_turn(tracker) else decide(tracker)
        if language is None or language == tracker.get_slot("language"):
            return await run(self, dispatcher, tracker, domain)
        decided = [SlotSet("language", language)]
        tracker.add_slots(decided)
        return decided + await run(self, dispatcher, tracker, domain)
    return run_in_the_persons_language
