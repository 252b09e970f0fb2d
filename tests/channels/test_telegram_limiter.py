"""The bridge's rate limiter: PTB's AIORateLimiter waits out Telegram's 429s; Telegram's own brief
trouble is tried again; our own bad requests are not. (The bridge against a fake Bot API server
is tests/e2e/test_telegram.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

from bot.channels.telegram import bridge
from bot.channels.telegram.bridge import TelegramLimiter, build_application


def calling(limiter: TelegramLimiter, failures: list[Exception],
            calls: list[float] | None = None) -> tuple[object, list[float]]:
    """Run one request through the limiter; the callback fails with `failures` in turn."""
    calls = [] if calls is None else calls

    async def callback() -> dict:
        calls.append(time.monotonic())
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return {"ok": True}

    async def main() -> object:
        await limiter.initialize()
        try:
            return await limiter.process_request(callback, (), {}, "sendMessage",
                                                 {"chat_id": 42, "text": "hej"}, None)
        finally:
            await limiter.shutdown()

    return asyncio.run(main()), calls


def test_the_bridge_uses_ptbs_own_rate_limiter() -> None:
    application = build_application(token="123:TEST", rasa_url="http://127.0.0.1:9",
                                    pseudonym_key="k" * 32, default_language="en")
    assert isinstance(application.bot.rate_limiter, AIORateLimiter)


def test_a_flood_limit_is_waited_out() -> None:
    result, calls = calling(TelegramLimiter(), [RetryAfter(dt.timedelta(seconds=1))])
    assert result == {"ok": True} and len(calls) == 2
    assert calls[1] - calls[0] >= 1.0  # retry_after, as Telegram asked


def test_flood_limits_give_up_after_three_attempts() -> None:
    calls: list[float] = []
    with pytest.raises(RetryAfter):
        calling(TelegramLimiter(), [RetryAfter(dt.timedelta(0))] * 3, calls)
    assert len(calls) == 3


@pytest.mark.parametrize("error", [NetworkError("Bad Gateway"), TimedOut()])
def test_telegrams_brief_trouble_is_tried_again(monkeypatch, error) -> None:
    monkeypatch.setattr(bridge, "NETWORK_PAUSE_SECONDS", 0.01)
    result, calls = calling(TelegramLimiter(), [error, error])
    assert result == {"ok": True} and len(calls) == 3
    with pytest.raises(NetworkError):
        calling(TelegramLimiter(), [error] * 3)


@pytest.mark.parametrize("error", [BadRequest("Message text is empty"), Forbidden("blocked")])
def test_our_own_bad_request_or_a_block_is_not_retried(error) -> None:
    calls: list[float] = []
    with pytest.raises(type(error)):
        calling(TelegramLimiter(), [error], calls)
    assert len(calls) == 1
