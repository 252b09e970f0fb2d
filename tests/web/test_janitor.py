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


def test_a_pass_erases_idle_try_it_conversations_even_with_consent(
    store: OutcomeStore, settings: Settings, rasa_events
) -> None:
    long_ago, just_now = time.time() - 2 * 3600, time.time()
    for sender in ("try-" + "a" * 32, "try-" + "b" * 32, "citizen-try-this"):
        store.save_conversation(sender, consent=True)
        store.record_outcome(conversation_id=sender, kind="possibility", text="en cykelsti",
                             details={}, language="da", role="citizen", source_message_id=None)
    rasa_events.user("try-" + "a" * 32, "hej", long_ago)
    rasa_events.user("try-" + "b" * 32, "hej", just_now)  # the trainer is still trying
    rasa_events.user("citizen-try-this", "hej", long_ago)

    janitor.run_janitor_once(store, settings)
    assert store.get_conversation("try-" + "a" * 32) is None
    assert store.outcomes_for("try-" + "a" * 32) == []
    assert rasa_events.count("try-" + "a" * 32) == 0
    assert len(store.outcomes_for("try-" + "b" * 32)) == 1
    assert len(store.outcomes_for("citizen-try-this")) == 1  # a citizen's, whatever its name


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
