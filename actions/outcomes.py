"""The actions' one door to the outcome store: consent is checked here before anything is kept."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from bot.settings import load_settings
from bot.store import get_store

from .content import DETAIL_LABELS, KIND_LABELS, MONTHS_EN, PROFILE_LABELS, label

DEFAULT_RETENTION_DAYS = 180
DANISH_TIME = ZoneInfo("Europe/Copenhagen")
BUBBLE_LIMIT = 300


def has_consent(tracker: Tracker) -> bool:
    return tracker.get_slot("consent") is True


def _message_id(tracker: Tracker) -> str | None:
    message = tracker.latest_message or {}
    return message.get("message_id")


def save_profile(tracker: Tracker, **fields: Any) -> None:
    """Keep consent, role, language and contact on the conversation row (consent needed)."""
    if not has_consent(tracker) and fields.get("consent") is not True:
        return
    get_store().save_conversation(tracker.sender_id, **fields)


def record(tracker: Tracker, kind: str, text: str, details: dict | None = None) -> int | None:
    """Store one outcome in the person's own words; returns its id, or None without consent."""
    if not has_consent(tracker):
        return None
    outcome = get_store().record_outcome(
        conversation_id=tracker.sender_id,
        kind=kind,
        text=text,
        details=details or {},
        language=tracker.get_slot("language") or "da",
        role=tracker.get_slot("role"),
        source_message_id=_message_id(tracker),
    )
    return outcome["id"]


def add_details(outcome_id: Any, details: dict) -> None:
    if outcome_id is None:
        return
    get_store().update_outcome_details(int(outcome_id), details)


def erase(tracker: Tracker) -> dict:
    """Delete-my-data. The store records the erasure with the deletion, and Rasa's tracker store
    writes back nothing older when it saves this turn (engine/tracker_store.py)."""
    return get_store().erase_conversation(tracker.sender_id)


def purge_transcript(conversation_id: str) -> None:
    """No consent: the transcript goes now; this turn's save writes nothing of it back."""
    get_store().purge_transcript(conversation_id)


def describe_stored_data(tracker: Tracker) -> list[str]:
    """Everything stored about this person, in their language, as chat bubbles of at most
    ~300 characters: consent and when, role, language, contact, each outcome with its
    details. [] when nothing is stored. (That the transcript is kept, and how long, is a
    domain response: utter_show_data_transcript.)"""
    store = get_store()
    language = tracker.get_slot("language")
    conversation = store.get_conversation(tracker.sender_id) or {}
    outcomes = store.outcomes_for(tracker.sender_id)
    if not conversation.get("consent") and not outcomes:
        return []
    profile = []
    if conversation.get("consent"):
        # Rows from before consent_at existed were created at the yes (save_profile refuses
        # to store anything before it).
        when = _when(conversation.get("consent_at") or conversation.get("created_at"), language)
        profile.append(f"• {label(PROFILE_LABELS, 'consent', language)}: "
                       + label(PROFILE_LABELS, "consent_given", language).format(when=when))
    for field in ("role", "language"):
        value = conversation.get(field)
        if value:
            shown = label(PROFILE_LABELS, value, language) if value in PROFILE_LABELS else value
            profile.append(f"• {label(PROFILE_LABELS, field, language)}: {shown}")
    if conversation.get("contact"):
        profile.append(f"• {label(DETAIL_LABELS, 'contact', language)}: {conversation['contact']}")
    lines = [f"• {label(KIND_LABELS, o['kind'], language)}: “{o['text']}”{_detail_text(o, language)}"
             for o in outcomes]
    return bubbles(profile) + bubbles(lines)


def retention_days() -> int:
    """How long transcripts are kept (RETENTION_DAYS); 180 days where the setting is missing."""
    return int(getattr(load_settings(), "retention_days", None) or DEFAULT_RETENTION_DAYS)


def bubbles(lines: list[str], limit: int = BUBBLE_LIMIT) -> list[str]:
    """Lines packed into messages of at most `limit` characters (a longer line stays whole)."""
    packed: list[str] = []
    for line in lines:
        if packed and len(packed[-1]) + 1 + len(line) <= limit:
            packed[-1] += "\n" + line
        else:
            packed.append(line)
    return packed


def _when(given_at: str | None, language: str | None) -> str:
    if not given_at:
        return "?"
    # Stored in UTC; told in Danish time, where the person and the municipality are.
    moment = dt.datetime.fromisoformat(given_at).astimezone(DANISH_TIME)
    return _date(moment.date(), language) + moment.strftime(" %H:%M")


def _date(day: dt.date, language: str | None) -> str:
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d.%m.%Y")


def _detail_text(outcome: dict, language: str | None) -> str:
    details = outcome.get("details") or {}
    parts = []
    if details.get("ladder_step"):
        parts.append(f"{label(DETAIL_LABELS, 'ladder_step', language)} {details['ladder_step']}")
    if details.get("profession_step"):
        parts.append(f"{label(DETAIL_LABELS, 'profession_step', language)} "
                     f"{details['profession_step']}")
    if details.get("due"):
        try:
            due = _date(dt.date.fromisoformat(str(details["due"])), language)
        except ValueError:
            due = str(details["due"])
        parts.append(f"{label(DETAIL_LABELS, 'due', language)} {due}")
    if details.get("skills"):
        # Stored as labels in the conversation's language (bot.lexicon), never as ids.
        parts.append(f"{label(DETAIL_LABELS, 'skills', language)}: {', '.join(details['skills'])}")
    availability = details.get("availability")
    if isinstance(availability, dict):  # {"text", "days", "time_of_day"}: show their words
        availability = availability.get("text")
    if availability:
        parts.append(f"{label(DETAIL_LABELS, 'availability', language)}: {availability}")
    return f" ({'; '.join(parts)})" if parts else ""
