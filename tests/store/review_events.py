"""Rasa's events for the review inbox's tests, in the shape Rasa 3.6's SQLTrackerStore writes
them: user events with the whole parse_data (intent, confidence, intent_ranking), bot events
with the response's name in metadata.utter_action, slot events, active_loop events."""

from __future__ import annotations

import secrets
from typing import Any


class Conversation:
    """Writes one conversation's events in order, one second apart, through tests/conftest.py's
    RasaEvents (the real `events` table). `ids` maps a label to the event id written."""

    def __init__(self, rasa_events: Any, sender: str, start: float = 1_764_590_000.0) -> None:
        self.events, self.sender, self.clock = rasa_events, sender, start

    def _next(self) -> float:
        self.clock += 1
        return self.clock

    def _last_id(self) -> int:
        table = self.events.table
        with self.events.engine.connect() as connection:
            return connection.execute(
                table.select().with_only_columns(table.c.id)
                .where(table.c.sender_id == self.sender).order_by(table.c.id.desc()).limit(1)
            ).scalar_one()

    def user(self, text: str, intent: str = "inform", confidence: float = 0.95,
             ranking: list[tuple[str, float]] | None = None,
             entities: list[dict[str, Any]] | None = None) -> int:
        ranking = ranking or [(intent, confidence)]
        message_id = secrets.token_hex(16)
        parse_data = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
            "message_id": message_id,
            "metadata": {},
            "intent_ranking": [{"name": name, "confidence": value} for name, value in ranking],
            "response_selector": {"all_retrieval_intents": [], "default": {}},
        }
        self.events.add(self.sender, "user", self._next(), {
            "metadata": {}, "text": text, "parse_data": parse_data, "input_channel": "rest",
            "message_id": message_id}, intent_name=intent)
        return self._last_id()

    def bot(self, response: str, text: str, buttons: list[dict[str, str]] | None = None) -> int:
        payload = {"elements": None, "quick_replies": None, "buttons": buttons,
                   "attachment": None, "image": None, "custom": None}
        self.events.add(self.sender, "bot", self._next(), {
            "metadata": {"utter_action": response, "model_id": "abc123",
                         "assistant_id": "samtale"}, "text": text, "data": payload})
        return self._last_id()

    def action(self, name: str) -> int:
        self.events.add(self.sender, "action", self._next(), {
            "name": name, "policy": "RulePolicy", "confidence": 1.0, "action_text": None,
            "hide_rule_turn": False, "metadata": {"model_id": "abc123"}}, action_name=name)
        return self._last_id()

    def slot(self, name: str, value: Any) -> int:
        self.events.add(self.sender, "slot", self._next(), {
            "name": name, "value": value, "metadata": {"model_id": "abc123"}})
        return self._last_id()

    def loop(self, name: str | None) -> int:
        self.events.add(self.sender, "active_loop", self._next(), {
            "name": name, "metadata": {"model_id": "abc123"}})
        return self._last_id()

    def session_start(self) -> None:
        self.action("action_session_start")
        self.events.add(self.sender, "session_started", self._next(), {"metadata": {}})
        self.action("action_listen")

    def ask(self, slot: str, response: str, text: str,
            buttons: list[dict[str, str]] | None = None) -> None:
        """The form asking for a slot, as Rasa logs it."""
        self.action("samtale_form")
        self.loop("samtale_form")
        self.slot("requested_slot", slot)
        self.bot(response, text, buttons)
        self.action("action_listen")


def a_conversation(store: Any, rasa_events: Any, sender: str, *, consent: bool | None = True,
                   language: str = "da") -> Conversation:
    store.save_conversation(sender, consent=consent, role="citizen", language=language)
    conversation = Conversation(rasa_events, sender)
    conversation.session_start()
    return conversation
