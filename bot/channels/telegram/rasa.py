"""The bridge's only way into the bot: Rasa's REST channel over HTTP (we never import rasa)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Long enough for a first message on a busy two-core machine, short enough that a person
# waiting in Telegram hears back that something is wrong.
RASA_TIMEOUT_SECONDS = 20.0


class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict[str, Any]]


class RasaClient:
    def __init__(self, rasa_url: str, timeout: float = RASA_TIMEOUT_SECONDS) -> None:
        self._url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self._http = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender: str, message: str, language: str,
                   button_title: str | None = None) -> list[Reply]:
        metadata = {"language": language}
        if button_title:  # a pressed button: what the person saw, for the transcript
            metadata["button_title"] = button_title
        body = {"sender": sender, "message": message, "metadata": metadata}
        try:
            response = await self._http.post(self._url, json=body)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            # The message text is deliberately not logged: it may hold personal details.
            log.warning("Rasa did not answer for %s: %r", sender, error)
            raise RasaUnavailable(str(error)) from error
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected answer from Rasa: {type(replies).__name__}")
        return [Reply(text=str(r.get("text") or ""), buttons=list(r.get("buttons") or []))
                for r in replies if isinstance(r, dict) and (r.get("text") or r.get("buttons"))]

    async def close(self) -> None:
        await self._http.aclose()
