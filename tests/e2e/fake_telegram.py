"""A stand-in for Telegram's Bot API: a real HTTP server on 127.0.0.1 (Starlette under uvicorn in
a thread), because the bridge must be tested over the wire but the machine has no internet.

It serves /bot<token>/<method> for the methods the bridge uses, records every call, holds a
queue of updates per bot for getUpdates (offset confirms, timeout long-polls), and can answer the
next call of a method with an error such as a 429 flood limit. `TelegramUser` plays a person.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# PTB sends form fields; non-string values arrive JSON-encoded, these stay plain strings.
STRING_FIELDS = {"text", "callback_query_id", "action", "language_code", "url", "secret_token",
                 "parse_mode", "data"}
TOO_MANY_REQUESTS = {"ok": False, "error_code": 429,
                     "description": "Too Many Requests: retry after 1",
                     "parameters": {"retry_after": 1}}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    result: Any
    at: float = field(default_factory=time.monotonic)


@dataclass
class BotState:
    bot_id: int
    calls: list[Call] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)
    next_update_id: int = 1
    next_message_id: int = 1


class FakeTelegram:
    def __init__(self) -> None:
        self._bots: dict[str, BotState] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- running -------------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint,
                                      methods=["GET", "POST"])])
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "fake Telegram did not start"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what a test does ----------------------------------------------------------------------
    def enqueue(self, token: str, update: dict) -> None:
        with self._lock:
            bot = self._bot(token)
            bot.updates.append({"update_id": bot.next_update_id, **update})
            bot.next_update_id += 1

    def fail_next(self, token: str, method: str, status: int = 429,
                  body: dict | None = None) -> None:
        with self._lock:
            self._bot(token).failures.setdefault(method, []).append(
                (status, body or TOO_MANY_REQUESTS))

    def calls(self, token: str, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._bot(token).calls if method is None or c.method == method]

    def wait_for(self, token: str, condition: Callable[[list[Call]], bool],
                 timeout: float = 60) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls(token)
            if condition(calls):
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[c.method for c in calls]}")
            time.sleep(0.05)

    # --- the Bot API ---------------------------------------------------------------------------
    def _bot(self, token: str) -> BotState:
        if token not in self._bots:
            self._bots[token] = BotState(bot_id=int(token.split(":")[0]))
        return self._bots[token]

    async def _endpoint(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        params = await _params(request)
        if method == "getUpdates":
            result = await self._get_updates(token, params)
            return self._record(token, method, params, 200, result)
        with self._lock:
            failures = self._bot(token).failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure:
            return self._record(token, method, params, failure[0], None, failure[1])
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return self._record(token, method, params, 404, None, {
                "ok": False, "error_code": 404, "description": "Not Found: method not found"})
        with self._lock:
            result = handler(self._bot(token), params)
        return self._record(token, method, params, 200, result)

    def _record(self, token: str, method: str, params: dict, status: int, result: Any,
                body: dict | None = None) -> JSONResponse:
        with self._lock:
            self._bot(token).calls.append(Call(method, params, status, result))
        return JSONResponse(body or {"ok": True, "result": result}, status_code=status)

    async def _get_updates(self, token: str, params: dict) -> list[dict]:
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        while True:
            with self._lock:
                bot = self._bot(token)
                bot.updates = [u for u in bot.updates if u["update_id"] >= offset]  # confirmed
                if bot.updates or time.monotonic() >= deadline:
                    return bot.updates[:limit]
            await asyncio.sleep(0.05)

    def _getMe(self, bot: BotState, params: dict) -> dict:
        return _bot_user(bot)

    def _sendMessage(self, bot: BotState, params: dict) -> dict:
        message = {"message_id": bot.next_message_id, "date": int(time.time()),
                   "chat": {"id": params["chat_id"], "type": "private"}, "from": _bot_user(bot),
                   "text": params["text"]}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        bot.next_message_id += 1
        return message

    def _getWebhookInfo(self, bot: BotState, params: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _true(self, bot: BotState, params: dict) -> bool:
        return True

    _answerCallbackQuery = _sendChatAction = _setMyCommands = _true
    _deleteWebhook = _setWebhook = _editMessageReplyMarkup = _true


def _bot_user(bot: BotState) -> dict:
    return {"id": bot.bot_id, "is_bot": True, "first_name": "Samtale",
            "username": "samtale_test_bot", "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False}


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return await request.json()
    # PTB posts urlencoded forms when no file is attached (the bridge never sends files).
    raw = dict(parse_qsl((await request.body()).decode())) if request.method == "POST" \
        else dict(request.query_params)
    return {key: value if key in STRING_FIELDS else _json_or_raw(value)
            for key, value in raw.items()}


def _json_or_raw(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


class TelegramUser:
    """A person in a private chat with the bot: types, taps buttons, reads what comes back."""

    SETTLE_SECONDS = 1.5  # replies of one turn arrive back to back; then the chat goes quiet

    def __init__(self, fake: FakeTelegram, token: str, user_id: int, language_code: str | None,
                 first_name: str = "Anna") -> None:
        self.fake, self.token, self.id = fake, token, user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.user["language_code"] = language_code
        self._message_ids = iter(range(1, 1_000_000))

    def send(self, text: str | None = None, **extra: Any) -> int:
        """Type a message (a /command gets Telegram's bot_command entity); returns the mark."""
        mark = len(self.fake.calls(self.token))
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": self.id, "type": "private", "first_name": self.user["first_name"]},
                   "from": self.user, **extra}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": len(text.split()[0])}]
        self.fake.enqueue(self.token, {"message": message})
        return mark

    def press(self, replies: list[Call], title_start: str) -> tuple[int, str]:
        """Tap the button whose title starts with title_start; returns the mark and query id."""
        for call in reversed(replies):
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"].startswith(title_start):
                        mark = len(self.fake.calls(self.token))
                        query_id = f"q{time.monotonic_ns()}"
                        self.fake.enqueue(self.token, {"callback_query": {
                            "id": query_id, "from": self.user, "chat_instance": f"c{self.id}",
                            "message": call.result, "data": button["callback_data"]}})
                        return mark, query_id
        raise AssertionError(f"no button {title_start!r} in {buttons(replies)}")

    def say(self, text: str, until: str, **extra: Any) -> list[Call]:
        return self.replies(self.send(text, **extra), until)

    def tap(self, replies: list[Call], title_start: str, until: str) -> list[Call]:
        return self.replies(self.press(replies, title_start)[0], until)

    def replies(self, mark: int, until: str, timeout: float = 120) -> list[Call]:
        """This chat's sendMessage calls after mark, once one shows `until` (in its text or a
        button title) and the chat has gone quiet."""
        def mine() -> list[Call]:
            return [c for c in self.fake.calls(self.token)[mark:]
                    if c.method == "sendMessage" and c.params.get("chat_id") == self.id]

        def arrived(_: list[Call]) -> bool:
            return any(until in c.params["text"] or until in str(buttons([c])) for c in mine())

        try:
            self.fake.wait_for(self.token, arrived, timeout)
        except AssertionError:
            raise AssertionError(f"{until!r} never arrived; got: {texts(mine())!r}") from None
        while time.monotonic() - mine()[-1].at < self.SETTLE_SECONDS:
            time.sleep(0.1)
        return [c for c in mine() if c.status == 200]


def texts(replies: list[Call]) -> str:
    return "\n".join(c.params["text"] for c in replies)


def buttons(replies: list[Call]) -> list[dict]:
    return [b for c in replies
            for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]
