"""Real rasa-sdk objects for action tests: a Tracker built like Rasa builds it, the real domain,
a CollectingDispatcher, and the outcome store on a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.store import OutcomeStore

ROOT = Path(__file__).resolve().parents[2]


def load_domain() -> dict[str, Any]:
    """domain/*.yml merged the way Rasa merges a domain folder."""
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text())
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def action_store(database_url: str, monkeypatch: pytest.MonkeyPatch):
    """The store the actions reach through get_store(), pointed at this test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    store = OutcomeStore(database_url)
    yield store
    store.close()


def make_tracker(slots: dict[str, Any] | None = None, *, text: str = "", intent: str | None = None,
                 confidence: float = 0.99, requested: str | None = None,
                 entities: list[dict] | None = None, sender: str = "anna",
                 metadata: dict | None = None, latest_action: str = "action_listen") -> Tracker:
    """A tracker as the form's validation action receives it right after a user message:
    the requested slot (if any) holds the message text, extracted by Rasa's from_text mapping."""
    slots = {"language": "da", **(slots or {})}
    if requested:
        slots["requested_slot"] = requested
    message = {"text": text, "intent": {"name": intent, "confidence": confidence},
               "entities": entities or [], "message_id": f"m-{abs(hash(text))}",
               "metadata": metadata or {}}
    events: list[dict[str, Any]] = [{"event": "action", "name": "action_listen"},
                                    {"event": "user", "text": text, "parse_data": message}]
    if requested and latest_action == "action_listen":
        # What Rasa's FormAction sends: the form's own action, then this turn's candidate.
        slots[requested] = text
        events += [{"event": "action", "name": "samtale_form"},
                   {"event": "slot", "name": requested, "value": text}]
        latest_action = "samtale_form"
    return Tracker(sender, slots, message, events, False, None,
                   {"name": "samtale_form"} if requested else {}, latest_action)


def run(action, tracker: Tracker, domain: dict) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return events, dispatcher.messages


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict]) -> list[str]:
    return [m.get("response") or m.get("text") for m in messages]
