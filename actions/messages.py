"""Reading the latest message off a tracker: its intent, the value behind a button, and what
the person saw (the words typed or the pressed button's title)."""
from __future__ import annotations

from rasa_sdk import Tracker

from .content import payload_label


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def chosen_value(tracker: Tracker) -> str | None:
    """The value behind a button (`/choose{"value": "citizen"}`), if the message was a button."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "value":
            return str(entity.get("value"))
    return None


def shown_text(tracker: Tracker) -> str:
    """What the person's screen showed for the latest message: the words they typed, or the
    title of the button they pressed. The channels send the title along (metadata
    `button_title`); a channel that does not gets a label for the payload."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    if not text.startswith("/"):
        return text
    title = (message.get("metadata") or {}).get("button_title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    return payload_label(text, tracker.get_slot("language"))
