"""The actions' one door to the outcome store: consent is checked here before anything is kept."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker

from bot.store import get_store

from .content import DETAIL_LABELS, KIND_LABELS, label

log = logging.getLogger(__name__)

# Rasa saves the turn's events after the action returns; purging a transcript must wait for that.
PURGE_DELAY_SECONDS = 3.0


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
    counts = get_store().erase_conversation(tracker.sender_id)
    purge_transcript_later(tracker.sender_id)
    return counts


def purge_transcript_now(conversation_id: str) -> None:
    """Delete the transcript at once (a goodbye without consent), and once more after Rasa has
    written this turn, so the goodbye itself does not stay behind either."""
    try:
        get_store().purge_transcript(conversation_id)
    except Exception:  # the later purge and the janitor retry; never fail the goodbye
        log.exception("purging the transcript of %s failed", conversation_id)
    purge_transcript_later(conversation_id)


def purge_transcript_later(conversation_id: str) -> None:
    """Delete the transcript once Rasa has written this turn (the janitor catches any miss)."""
    async def _purge() -> None:
        await asyncio.sleep(PURGE_DELAY_SECONDS)
        try:
            await asyncio.to_thread(get_store().purge_transcript, conversation_id)
        except Exception:  # the janitor retries; a citizen must never see this fail
            log.exception("purging the transcript of %s failed", conversation_id)

    try:
        asyncio.get_running_loop().create_task(_purge())
    except RuntimeError:  # no loop (unit tests): purge now
        get_store().purge_transcript(conversation_id)


def describe_stored_data(tracker: Tracker) -> str | None:
    """What is stored about this person, in their language; None when nothing is."""
    store = get_store()
    language = tracker.get_slot("language")
    outcomes = store.outcomes_for(tracker.sender_id)
    conversation = store.get_conversation(tracker.sender_id) or {}
    lines = [f"• {label(KIND_LABELS, o['kind'], language)}: “{o['text']}”{_detail_text(o, language)}"
             for o in outcomes]
    if conversation.get("contact"):
        lines.append(f"• {label(DETAIL_LABELS, 'contact', language)}: {conversation['contact']}")
    return "\n".join(lines) or None


def _detail_text(outcome: dict, language: str | None) -> str:
    details = outcome.get("details") or {}
    parts = []
    for key in ("due", "ladder_step", "availability"):
        if details.get(key):
            parts.append(f"{label(DETAIL_LABELS, key, language)} {details[key]}")
    if details.get("skills"):
        parts.append(f"{label(DETAIL_LABELS, 'skills', language)}: {', '.join(details['skills'])}")
    return f" ({'; '.join(parts)})" if parts else ""
