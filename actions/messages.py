"""Reading the latest message off a tracker: its intent and the value behind a button."""
from __future__ import annotations

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def chosen_value(tracker: Tracker) -> str | None:
    """The value behind a button (`/choose{"value": "citizen"}`), if the message was a button."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "value":
            return str(entity.get("value"))
    return None
