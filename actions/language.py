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


def decided_first(run: Callable[..., Awaitable[Events]]) -> Callable[..., Awaitable[Events]]:
    """Wraps an action's `run`: the turn's language is decided before the action speaks."""
    @functools.wraps(run)
    async def run_in_the_persons_language(self: Any, dispatcher: Any, tracker: Tracker,
                                          domain: Any) -> Events:
        language = None if decided_this_turn(tracker) else decide(tracker)
        if language is None or language == tracker.get_slot("language"):
            return await run(self, dispatcher, tracker, domain)
        decided = [SlotSet("language", language)]
        tracker.add_slots(decided)
        return decided + await run(self, dispatcher, tracker, domain)
    return run_in_the_persons_language
