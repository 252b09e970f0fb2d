"""Try it: a trainer talks to the running bot through the channel citizens use, and sees how each
message was understood.

    turns = await send(settings, token, "try-<32 hex>", "hej", language="da")
    turns[-1].intent, .confidence, .ranking, .slots, .replies

The message goes to Rasa's REST webhook exactly as the widget's proxy sends it (engine/
rest_channel.py masks and checks it the same way); then Rasa's HTTP API hands back the tracker
(`GET /conversations/{id}/tracker`, with the API token of bot/launcher.py), and `read_turns`
reads each user event's parse data and the slot and bot events that followed it in that turn.
The page keeps no state of its own: the tracker is the conversation.

Try-it conversations have their own sender prefix, `try-`, so nothing else takes them for a
citizen's; "Start over" erases one through the store's own erasure (outcomes, consent row,
transcript and an erasure mark for Rasa's tracker store), so a trainer who said yes to storage
leaves nothing behind for staff's inbox or reports.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.settings import Settings
from bot.store.followup.common import TRIAL_PREFIX as PREFIX  # staff never see these

CONVERSATION_ID = re.compile(re.escape(PREFIX) + r"[0-9a-f]{32}")
RANKING_SHOWN = 3  # the top of Rasa's intent ranking shown beside the winner
TIMEOUT_SECONDS = 45.0  # as the widget's proxy: the first turn of a session can be slow


class RasaUnavailable(Exception):
    """Rasa did not answer, or not as expected; the message says which call and why."""


@dataclass
class Turn:
    text: str  # what Rasa received (after masking)
    intent: str | None
    confidence: float | None
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[tuple[str, str]] = field(default_factory=list)
    slots: list[tuple[str, Any]] = field(default_factory=list)  # set in this turn, in order
    replies: list[dict[str, Any]] = field(default_factory=list)  # {text, buttons}, as sent
    button_title: str | None = None  # the button pressed (text is then its payload)

    @property
    def slots_shown(self) -> list[tuple[str, str]]:
        """(slot, value as JSON): a list stays a list, null stays null, æøå stay readable."""
        return [(name, json.dumps(value, ensure_ascii=False)) for name, value in self.slots]


def new_conversation_id() -> str:
    return PREFIX + secrets.token_hex(16)


def is_try_conversation(conversation_id: str) -> bool:
    """Only ids this page made: a trainer cannot read or erase a citizen's conversation here."""
    return bool(CONVERSATION_ID.fullmatch(conversation_id))


def read_turns(tracker: dict[str, Any]) -> list[Turn]:
    """Every user message of a Rasa tracker (GET /conversations/{id}/tracker), each with its
    intent, confidence, the top of the ranking, entities, the slots set after it and the bot's
    replies, up to the next user message."""
    turns: list[Turn] = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "user":
            turns.append(_turn_of(event))
        elif turns and kind == "slot":
            turns[-1].slots.append((str(event.get("name")), event.get("value")))
        elif turns and kind == "bot":
            data = event.get("data") or {}
            buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                       for b in data.get("buttons") or [] if b.get("payload")]
            if event.get("text") or buttons:
                turns[-1].replies.append({"text": event.get("text") or "", "buttons": buttons})
    return turns


def _turn_of(user: dict[str, Any]) -> Turn:
    parsed = user.get("parse_data") or {}
    intent = parsed.get("intent") or {}
    ranking = [(str(item.get("name")), float(item.get("confidence") or 0.0))
               for item in (parsed.get("intent_ranking") or [])[:RANKING_SHOWN]
               if item.get("name")]
    entities = [(str(e.get("entity")), str(e.get("value"))) for e in parsed.get("entities") or []]
    confidence = intent.get("confidence")
    title = (user.get("metadata") or {}).get("button_title")
    return Turn(text=str(user.get("text") or ""), intent=intent.get("name"),
                confidence=float(confidence) if confidence is not None else None,
                ranking=ranking, entities=entities,
                button_title=str(title) if isinstance(title, str) and title else None)


async def conversation(settings: Settings, token: str, conversation_id: str) -> list[Turn]:
    """The turns so far (an unknown conversation has none)."""
    try:
        async with httpx.AsyncClient(base_url=settings.rasa_url, timeout=TIMEOUT_SECONDS) as rasa:
            return await _turns(rasa, token, conversation_id)
    except httpx.HTTPError as error:
        raise _unavailable(settings, error) from None


async def send(settings: Settings, token: str, conversation_id: str, message: str, *,
               language: str, button_title: str | None = None) -> list[Turn]:
    """Say `message` to the bot as `conversation_id`; every turn so far, the new one last.
    A pressed button sends its payload and, as the widget does, its title in the metadata."""
    metadata = {"language": language}
    if button_title and message.startswith("/"):
        metadata["button_title"] = button_title
    body = {"sender": conversation_id, "message": message, "metadata": metadata}
    try:
        async with httpx.AsyncClient(base_url=settings.rasa_url, timeout=TIMEOUT_SECONDS) as rasa:
            answer = await rasa.post("/webhooks/rest/webhook", json=body)
            _raise_for(answer, "the REST webhook")
            turns = await _turns(rasa, token, conversation_id)
    except httpx.HTTPError as error:
        raise _unavailable(settings, error) from None
    if not turns:
        raise RasaUnavailable("Rasa answered, but its tracker holds no user message")
    return turns


async def _turns(rasa: httpx.AsyncClient, token: str, conversation_id: str) -> list[Turn]:
    tracker = await rasa.get(f"/conversations/{conversation_id}/tracker",
                             params={"token": token, "include_events": "AFTER_RESTART"})
    _raise_for(tracker, "the tracker API")
    try:
        data = tracker.json()
    except ValueError:
        raise RasaUnavailable("Rasa's tracker API answered something that is not JSON") from None
    return read_turns(data if isinstance(data, dict) else {})


def _unavailable(settings: Settings, error: Exception) -> RasaUnavailable:
    return RasaUnavailable(f"Rasa at {settings.rasa_url} did not answer ({type(error).__name__})")


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code == 401 or response.status_code == 403:
        raise RasaUnavailable(f"Rasa refused {what} ({response.status_code}): the web service "
                              "does not have Rasa's API token (var/rasa_api_token)")
    if response.status_code != 200:
        raise RasaUnavailable(f"Rasa answered {response.status_code} to {what}")
