"""The janitor forgets transcripts of idle senders who never said yes to storage."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.settings import Settings, load_settings
from bot.store import OutcomeStore
from bot.web import janitor


def test_one_pass_purges_only_idle_unconsented(
    store: OutcomeStore, settings: Settings, rasa_events
) -> None:
    long_ago, just_now = time.time() - 2 * 3600, time.time()
    store.save_conversation("consented", consent=True)
    for sender in ("consented", "silent"):
        rasa_events.user(sender, "hej", long_ago)
    rasa_events.user("talking", "hej", just_now)

    assert janitor.run_janitor_once(store, settings) == ["silent"]
    assert rasa_events.count("silent") == 0
    assert rasa_events.count("consented") == 1 and rasa_events.count("talking") == 1


def test_a_failed_pass_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings({})
    unreachable = OutcomeStore("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    with caplog.at_level(logging.ERROR, logger="bot.web.janitor"):
        assert janitor.run_janitor_once(unreachable, settings) == []
    assert "Janitor pass failed" in caplog.text
    unreachable.close()


def test_the_loop_keeps_running(
    store: OutcomeStore, settings: Settings, rasa_events, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(janitor, "INTERVAL_SECONDS", 0.01)
    rasa_events.user("silent", "hej", time.time() - 2 * 3600)

    async def run_briefly() -> None:
        task = asyncio.create_task(janitor.run_janitor_forever(store, settings))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if rasa_events.count("silent") == 0:
                break
        task.cancel()

    asyncio.run(run_briefly())
    assert rasa_events.count("silent") == 0
