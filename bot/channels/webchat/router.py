"""The widget's channel: a REST proxy on our own web service, in front of Rasa's REST webhook.

Why a proxy here rather than Rasa's socket.io channel:
- Rasa itself stays on 127.0.0.1, never exposed to the internet; the widget talks to this
  service only (same origin on the demo page, CORS for the sites in WIDGET_ALLOWED_ORIGINS);
- no third-party socket.io client file to ship, pin and audit — `fetch` is enough;
- it survives scale-out: the conversation state lives in Rasa's tracker store and the signed
  session in the browser, so any web worker can relay any message (no sticky sockets);
- one place to check sessions, limit rates and sizes, and turn "Rasa is down" into a kind,
  translated answer.

    POST /chat/api/sessions {"language": "da"}  -> 200 {"session": "<random>.<signature>"}
    POST /chat/api/messages {"session": "...", "message": "...", "language": "da"}
    -> 200 {"replies": [{"text": "...", "buttons": [{"title": "...", "payload": "..."}]}],
            "forget": false}
    -> 401 a session this server did not issue (the widget asks for a new one)
    -> 422 a message too long or not storable, 429 too many messages, 503 Rasa does not answer;
       each {"detail": "<a kind sentence in the page's language>"}
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

from bot.channels.webchat.sessions import SessionSigner
from bot.settings import Settings
from bot.web.schemas import UNSTORABLE

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"  # served as is at /chat/
TEMPLATES = HERE / "templates"  # the demo pages, filled in with the public address
SENDER_PREFIX = "web-"  # tells staff (and the janitor's logs) which channel a conversation used
# Rasa on a busy two-core machine can take a while for the first message of a session.
RASA_TIMEOUT_SECONDS = 45.0
MAX_MESSAGE_CHARS = 4000  # the widget's text box stops there too
Language = Literal["da", "en"]
UNAVAILABLE = {
    "da": "Samtale kan ikke svare lige nu. Prøv igen om lidt.",
    "en": "Samtale can't answer right now. Please try again in a moment.",
}
SLOW_DOWN = {
    "da": "Du skriver hurtigere, end jeg kan følge med. Vent et øjeblik, og prøv så igen.",
    "en": "You're writing faster than I can keep up. Please wait a moment and try again.",
}
TOO_LONG = {
    "da": f"Din besked er lidt for lang til mig. Prøv at skrive den kortere "
          f"(højst {MAX_MESSAGE_CHARS} tegn) eller i flere beskeder.",
    "en": f"Your message is a little too long for me. Please write it shorter "
          f"(at most {MAX_MESSAGE_CHARS} characters) or in several messages.",
}
UNREADABLE = {
    "da": "Din besked indeholder tegn, jeg ikke kan læse. Prøv at skrive den igen.",
    "en": "Your message contains characters I can't read. Please try writing it again.",
}
NOT_ISSUED = {
    "da": "Samtalen kunne ikke genkendes. Start en ny samtale.",
    "en": "The conversation could not be recognised. Please start a new one.",
}

router = APIRouter(tags=["webchat"])
static_files = StaticFiles(directory=STATIC)  # mounted at /chat by the app factory


class SessionRequest(BaseModel):
    language: Language = "da"  # for a "slow down" answer


class Session(BaseModel):
    session: str


class ChatMessage(BaseModel):
    session: str = Field(max_length=200)  # checked against our signature in the handler
    message: str  # its length is checked in the handler, to answer kindly
    language: Language = "da"
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


def _signer(request: Request) -> SessionSigner:
    return request.app.state.session_signer  # made once by the app factory


async def _limit_address(request: Request, language: Language) -> None:
    address = request.client.host if request.client else "unknown"
    if not await request.app.state.rate_limiter.allow_address(address):
        raise HTTPException(429, detail=SLOW_DOWN[language])


@router.post("/chat/api/sessions", response_model=Session)
async def new_session(request: Request, body: SessionRequest | None = None) -> dict[str, str]:
    await _limit_address(request, (body or SessionRequest()).language)
    return {"session": _signer(request).issue()}


@router.post("/chat/api/messages", response_model=ChatReplies)
async def relay_message(body: ChatMessage, request: Request) -> dict[str, Any]:
    language = body.language
    await _limit_address(request, language)
    random_part = _signer(request).verify(body.session)
    if random_part is None:
        raise HTTPException(401, detail=NOT_ISSUED[language])
    if not await request.app.state.rate_limiter.allow_session(random_part):
        raise HTTPException(429, detail=SLOW_DOWN[language])
    if len(body.message) > MAX_MESSAGE_CHARS:
        raise HTTPException(422, detail=TOO_LONG[language])
    if UNSTORABLE.search(body.message) or UNSTORABLE.search(body.button_title or ""):
        raise HTTPException(422, detail=UNREADABLE[language])
    sender = SENDER_PREFIX + random_part
    url = rasa_webhook_url(request.app.state.settings)
    metadata: dict[str, str] = {"language": language}
    if body.button_title and body.message.startswith("/"):  # a title only names a payload
        metadata["button_title"] = body.button_title
    forwarded = {"sender": sender, "message": body.message, "metadata": metadata}
    try:
        # A client per message keeps the app factory free of lifecycle wiring; people type slowly.
        async with httpx.AsyncClient(timeout=RASA_TIMEOUT_SECONDS) as client:
            response = await client.post(url, json=forwarded)
            response.raise_for_status()
            payload = response.json()
    except (httpx.HTTPError, ValueError) as error:
        # Ids and sizes only: never the person's words, nor the error's text (it may quote them).
        log.warning("Rasa did not answer the web chat (%s) for %s, a message of %d characters",
                    type(error).__name__, sender, len(body.message))
        raise HTTPException(503, detail=UNAVAILABLE[language]) from None
    return {"replies": replies_from_rasa(payload), "forget": forget_requested(payload)}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def demo_page(request: Request, lang: Language = "da") -> str:
    """A mock municipal page embedding the widget exactly as a web editor would."""
    template = Template((TEMPLATES / f"demo.{lang}.html").read_text(encoding="utf-8"))
    # The configured public address, never the request's Host header (anyone can send one).
    server = request.app.state.settings.public_url
    return template.substitute(server=html.escape(server, quote=True))
