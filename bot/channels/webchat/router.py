"""The widget's channel: a REST proxy on our own web service, in front of Rasa's REST webhook.

Why a proxy here rather than Rasa's socket.io channel:
- same origin: the widget only ever talks to the server that served widget.js, so the browser
  needs no CORS rules and Rasa itself stays on 127.0.0.1, never exposed to the internet;
- no third-party socket.io client file to ship, pin and audit — `fetch` is enough;
- it survives scale-out: the conversation state lives in Rasa's tracker store and the session
  id lives in the browser, so any web worker can relay any message (no sticky sockets);
- one place to validate input and turn "Rasa is down" into a kind, translated answer.

    POST /chat/api/messages {"session": "<16-64 of A-Za-z0-9_->", "message": "...", "language": "da"}
    -> 200 {"replies": [{"text": "...", "buttons": [{"title": "...", "payload": "..."}]}]}
    -> 422 on a bad session id, 503 {"detail": "..."} when Rasa does not answer
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from string import Template
from typing import Any, Literal

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from bot.settings import Settings

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"  # served as is at /chat/
TEMPLATES = HERE / "templates"  # the demo pages, filled in with the server address
SENDER_PREFIX = "web-"  # tells staff (and the janitor's logs) which channel a conversation used
# Rasa on a busy two-core machine can take a while for the first message of a session.
RASA_TIMEOUT_SECONDS = 45.0
UNAVAILABLE = {
    "da": "Samtale kan ikke svare lige nu. Prøv igen om lidt.",
    "en": "Samtale can't answer right now. Please try again in a moment.",
}

router = APIRouter(tags=["webchat"])
static_files = StaticFiles(directory=STATIC)  # mounted at /chat by the app factory


class ChatMessage(BaseModel):
    # Made by the browser (crypto.getRandomValues); the pattern keeps it a safe Rasa sender id.
    session: str = Field(pattern=r"^[A-Za-z0-9_-]{16,64}$")
    message: str = Field(max_length=20_000)
    language: Literal["da", "en"] = "da"
    # The title of the button the person pressed (message is then its payload): transcripts
    # and outcomes show what the person saw.
    button_title: str | None = Field(default=None, max_length=500)


class Button(BaseModel):
    title: str
    payload: str


class Reply(BaseModel):
    text: str
    buttons: list[Button]


class ChatReplies(BaseModel):
    replies: list[Reply]
    forget: bool = False  # the person's data was deleted: the browser drops its copy of the chat


def replies_from_rasa(payload: Any) -> list[dict[str, Any]]:
    """Rasa's REST answer as neutral replies; images and custom payloads are left out."""
    replies = []
    for item in payload if isinstance(payload, list) else []:
        text = item.get("text") or ""
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in item.get("buttons") or [] if b.get("payload")]
        if text or buttons:
            replies.append({"text": text, "buttons": buttons})
    return replies


def forget_requested(payload: Any) -> bool:
    """True when the bot's custom payload asks channels to drop their copy of the chat."""
    return any(isinstance(item, dict) and isinstance(item.get("custom"), dict)
               and item["custom"].get("forget_history") is True
               for item in (payload if isinstance(payload, list) else []))


def rasa_webhook_url(settings: Settings) -> str:
    return f"{settings.rasa_url}/webhooks/rest/webhook"


@router.post("/chat/api/messages", response_model=ChatReplies)
async def relay_message(body: ChatMessage, request: Request) -> dict[str, Any]:
    url = rasa_webhook_url(request.app.state.settings)
    metadata: dict[str, str] = {"language": body.language}
    if body.button_title:
        metadata["button_title"] = body.button_title
    forwarded = {"sender": SENDER_PREFIX + body.session, "message": body.message,
                 "metadata": metadata}
    try:
        # A client per message keeps the app factory free of lifecycle wiring; people type slowly.
        async with httpx.AsyncClient(timeout=RASA_TIMEOUT_SECONDS) as client:
            response = await client.post(url, json=forwarded)
            response.raise_for_status()
            payload = response.json()
    except (httpx.HTTPError, ValueError) as error:
        log.warning("Rasa did not answer the web chat at %s: %r", url, error)
        raise HTTPException(503, detail=UNAVAILABLE[body.language]) from None
    return {"replies": replies_from_rasa(payload), "forget": forget_requested(payload)}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page(request: Request, lang: Literal["da", "en"] = "da") -> str:
    """A mock municipal page embedding the widget exactly as a web editor would."""
    template = Template((TEMPLATES / f"demo.{lang}.html").read_text(encoding="utf-8"))
    server = str(request.base_url).rstrip("/")
    return template.substitute(server=html.escape(server, quote=True))
