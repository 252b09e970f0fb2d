"""Rasa's REST channel, keeping the message metadata (Rasa's stock RestInput drops it), checking
what it is given, and masking CPR numbers before Rasa sees them.

Clients send {"sender", "message", "metadata": {"language": "da"|"en"}}; the metadata reaches the
tracker, where the turn's first action reads the reply language from it (actions/language.py).

Every channel (the widget's proxy, the Telegram bridge, `make shell`) comes through here, so
this is the edge of the engine. Rasa's own channel answered 500 to a body that is not a JSON
object, a lone surrogate in a message or a sender id too long for the database, accepted a
message of any size and wrote the text into rasa.log when the turn failed. Here:

- a body that is not a JSON object (empty, an array, not UTF-8) -> 400; a sender that is not a
  string of 1-255 characters, or a message that is not a string -> 422; a body over Sanic's
  REQUEST_MAX_SIZE (engine/serve.py) -> 413. Errors name the field, never echo the input.
- a message over MAX_MESSAGE_CHARS is not processed: the person gets a kind reply, in the normal
  reply format, saying so. Lone surrogates become U+FFFD, control characters spaces.
- CPR numbers are masked here, always (never an answer to anything); phone numbers and e-mail
  addresses where the pending question is known (engine/serve.py, before the message becomes an
  event). `metadata.masked` lists what was masked.
- a turn that fails or times out gets an apology (utter_technical_problem), logged with the
  conversation id and the message's size, not its text.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.masking import CPR, mask_personal_data

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000  # a long e-mail's worth; the widget and Telegram limit below it
MAX_SENDER_CHARS = 255  # the tracker store's and the outcome store's column
MASKED = "masked"
TOO_LONG, TECHNICAL_PROBLEM = "utter_message_too_long", "utter_technical_problem"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BadRequest(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def read_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads((request.body or b"").decode("utf-8"))  # not UTF-16/32 guessed
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return body


def read_sender(body: dict[str, Any]) -> str:
    sender = body.get("sender")
    if (not isinstance(sender, str) or not 1 <= len(sender) <= MAX_SENDER_CHARS
            or _SURROGATE.search(sender) or _CONTROL.search(sender)):
        raise BadRequest(422, f"sender must be a string of 1-{MAX_SENDER_CHARS} printable "
                              "characters")
    return sender


def read_message(body: dict[str, Any]) -> str:
    message = body.get("message", "")
    if message is None:
        return ""
    if not isinstance(message, str):
        raise BadRequest(422, "message must be a string")
    return _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", message))


def read_metadata(body: dict[str, Any]) -> dict[str, Any]:
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return {}
    return {key: value for key, value in metadata.items() if key != MASKED}  # ours to set


def response_text(domain: Any, name: str, language: Optional[str]) -> str:
    """A response's text in the language (the Danish default, or the variation for `en`)."""
    variations = (getattr(domain, "responses", None) or {}).get(name) or [{}]
    for variation in variations:
        for condition in variation.get("condition") or []:
            if condition.get("name") == "language" and condition.get("value") == language:
                return variation.get("text") or ""
    return next((v.get("text") for v in variations if not v.get("condition")), "") or ""


class RestWithMetadata(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = read_body(request)
                sender, text = read_sender(body), read_message(body)
            except BadRequest as bad:
                return response.json({"error": bad.error}, status=bad.status)
            metadata = read_metadata(body)
            domain = getattr(getattr(request.app.ctx, "agent", None), "domain", None)
            language = metadata.get("language")
            if len(text) > MAX_MESSAGE_CHARS:
                log.info("conversation %s: a message of %d characters was not processed",
                         sender, len(text))
                return response.json([{"recipient_id": sender,
                                       "text": response_text(domain, TOO_LONG, language)}])
            text, masked = mask_personal_data(text, (CPR,))
            if masked:
                metadata[MASKED] = masked
            input_channel = body.get("input_channel")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(
                    text, collector, sender,
                    input_channel=input_channel if isinstance(input_channel, str)
                    else self.name(), metadata=metadata or None))
            except (asyncio.CancelledError, Exception) as error:  # the person is told, kindly
                log.error("conversation %s: a turn (message of %d characters) failed: %s",
                          sender, len(text), type(error).__name__)
                return response.json(collector.messages + [{
                    "recipient_id": sender,
                    "text": response_text(domain, TECHNICAL_PROBLEM, language)}])
            return response.json(collector.messages)

        return webhook

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        try:
            return read_metadata(read_body(request)) or None
        except BadRequest:
            return None
