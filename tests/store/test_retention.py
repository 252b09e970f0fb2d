"""Retention: what is older than RETENTION_DAYS goes (outcomes, conversation rows, Rasa's
events), open outcomes stay until closed when asked; on SQLite and PostgreSQL, with data made
here with old timestamps."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, update

from bot.retention import run_retention
from bot.store.accounts import AccountStore
from bot.settings import load_settings
from bot.store import OutcomeStore
from bot.store.models import Conversation, Outcome
from bot.web import janitor

DAY = 86400.0
NOW = time.time()


def backdate(database_url: str, conversation_id: str, days: float) -> None:
    """Make a conversation's row and outcomes `days` old, as if stored back then."""
    when = datetime.fromtimestamp(NOW - days * DAY, UTC)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Conversation).where(
            Conversation.conversation_id == conversation_id).values(
                created_at=when, updated_at=when))
        connection.execute(update(Outcome).where(
            Outcome.conversation_id == conversation_id).values(created_at=when, updated_at=when))
    engine.dispose()


def person(store: OutcomeStore, rasa_events, conversation_id: str, days_old: float,
           statuses: tuple[str, ...] = ("done",)) -> None:
    store.save_conversation(conversation_id, consent=True, language="da",
                            contact="person@example.dk")
    for index, status in enumerate(statuses):
        outcome = store.record_outcome(conversation_id=conversation_id, kind="gift",
                                       text=f"svar {index}", language="da",
                                       source_message_id=f"m{index}")
        if status != "new":
            store.update_outcome(outcome["id"], status=status)
    rasa_events.user(conversation_id, "jeg kan bage", NOW - days_old * DAY)
    rasa_events.bot(conversation_id, "Tak", NOW - days_old * DAY + 1)
    backdate(store.database_url, conversation_id, days_old)


def everything_of(store: OutcomeStore, rasa_events, conversation_id: str) -> tuple:
    return (store.get_conversation(conversation_id) is not None,
            len(store.outcomes_for(conversation_id)), rasa_events.count(conversation_id))


def test_old_conversations_go_and_recent_ones_stay(store: OutcomeStore, rasa_events) -> None:
    person(store, rasa_events, "old", 200)
    person(store, rasa_events, "recent", 10)
    person(store, rasa_events, "just-inside", 179)
    counts = store.apply_retention(days=180, keep_open=False, now=NOW)
    assert counts == {"conversations": 1, "outcomes": 1, "events": 2, "kept_open": 0}
    assert everything_of(store, rasa_events, "old") == (False, 0, 0)
    assert everything_of(store, rasa_events, "recent") == (True, 1, 2)
    assert everything_of(store, rasa_events, "just-inside") == (True, 1, 2)
    assert store.apply_retention(days=180, keep_open=False, now=NOW)["conversations"] == 0


def test_a_person_who_came_back_recently_is_not_old(store: OutcomeStore, rasa_events) -> None:
    person(store, rasa_events, "returned", 300)
    rasa_events.user("returned", "hej igen", NOW - 2 * DAY)  # talked again two days ago
    person(store, rasa_events, "new-answer", 300)
    store.record_outcome(conversation_id="new-answer", kind="dissent", text="tvivl",
                         language="da", source_message_id="late")
    assert store.apply_retention(days=180, keep_open=False, now=NOW)["conversations"] == 0
    assert everything_of(store, rasa_events, "returned") == (True, 1, 3)


def test_open_outcomes_are_kept_until_closed(store: OutcomeStore, rasa_events) -> None:
    person(store, rasa_events, "followed-up", 400, statuses=("new", "in_progress", "done"))
    counts = store.apply_retention(days=180, keep_open=True, now=NOW)
    assert counts == {"conversations": 0, "outcomes": 1, "events": 2, "kept_open": 2}
    kept = store.outcomes_for("followed-up")
    assert sorted(o["status"] for o in kept) == ["in_progress", "new"]
    conversation = store.get_conversation("followed-up")
    assert conversation is not None and conversation["contact"] == "person@example.dk"
    assert rasa_events.count("followed-up") == 0  # the closed rest, transcript included, goes

    for outcome in kept:  # staff close them; the next pass takes the rest
        store.update_outcome(outcome["id"], status="done")
    counts = store.apply_retention(days=180, keep_open=True, now=NOW)
    assert counts == {"conversations": 1, "outcomes": 2, "events": 0, "kept_open": 0}
    assert everything_of(store, rasa_events, "followed-up") == (False, 0, 0)


def test_without_keep_open_open_outcomes_go_too(store: OutcomeStore, rasa_events) -> None:
    person(store, rasa_events, "open", 400, statuses=("new", "in_progress"))
    counts = store.apply_retention(days=180, keep_open=False, now=NOW)
    assert counts == {"conversations": 1, "outcomes": 2, "events": 2, "kept_open": 0}
    assert everything_of(store, rasa_events, "open") == (False, 0, 0)


def test_old_transcripts_without_a_conversation_row_go(store: OutcomeStore, rasa_events) -> None:
    rasa_events.user("never-answered", "hej", NOW - 365 * DAY)
    rasa_events.user("yesterday", "hej", NOW - DAY)
    store.save_conversation("declined", consent=False)
    backdate(store.database_url, "declined", 365)
    counts = store.apply_retention(days=180, keep_open=True, now=NOW)
    assert counts == {"conversations": 1, "outcomes": 0, "events": 1, "kept_open": 0}
    assert rasa_events.count("never-answered") == 0 and rasa_events.count("yesterday") == 1
    assert store.get_conversation("declined") is None


def test_retention_before_rasa_created_its_table(store: OutcomeStore) -> None:
    store.save_conversation("early", consent=True)
    backdate(store.database_url, "early", 365)
    assert store.apply_retention(days=180, keep_open=True, now=NOW)["conversations"] == 1


def test_many_conversations_in_one_pass(store: OutcomeStore, rasa_events) -> None:
    ids = [f"bulk-{n}" for n in range(1200)]  # more than one batch of bound parameters
    for conversation_id in ids:
        store.save_conversation(conversation_id, consent=True)
    engine = create_engine(store.database_url)
    with engine.begin() as connection:
        connection.execute(update(Conversation).values(
            updated_at=datetime.fromtimestamp(NOW - 400 * DAY, UTC)))
    engine.dispose()
    assert store.apply_retention(days=180, keep_open=True, now=NOW)["conversations"] == 1200


def test_the_job_logs_counts_only(store: OutcomeStore, rasa_events, tmp_path,
                                  caplog: pytest.LogCaptureFixture) -> None:
    person(store, rasa_events, "tg-secretperson", 400, statuses=("new", "done"))
    settings = load_settings({"DATABASE_URL": store.database_url,
                              "SAMTALE_VAR_DIR": str(tmp_path), "RETENTION_DAYS": "90"})
    with caplog.at_level(logging.INFO):
        assert run_retention(store, settings)["kept_open"] == 1
    assert "Retention (90 days): deleted 0 conversations, 1 outcomes, 2 transcript events; " \
           "kept 1 open outcomes until closed" in caplog.text
    for private in ("secretperson", "svar", "bage", "example.dk"):
        assert private not in caplog.text
    audit = AccountStore(store).list_audit(action="retention.deleted")
    assert [row["detail"] for row in audit] == [
        {"days": 90, "conversations": 0, "outcomes": 1, "events": 2, "kept_open": 1}]
    assert "secretperson" not in repr(audit)


def test_a_pass_that_deletes_nothing_leaves_no_audit_row(store: OutcomeStore, tmp_path) -> None:
    settings = load_settings({"DATABASE_URL": store.database_url,
                              "SAMTALE_VAR_DIR": str(tmp_path)})
    run_retention(store, settings)
    assert AccountStore(store).list_audit(action="retention.deleted") == []


def test_the_web_services_janitor_runs_retention(store: OutcomeStore, rasa_events, tmp_path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    person(store, rasa_events, "old", 400)
    settings = load_settings({"DATABASE_URL": store.database_url,
                              "SAMTALE_VAR_DIR": str(tmp_path)})
    monkeypatch.setattr(janitor, "INTERVAL_SECONDS", 0.01)

    async def run_briefly() -> None:
        task = asyncio.create_task(janitor.run_janitor_forever(store, settings))
        for _ in range(300):
            await asyncio.sleep(0.01)
            if store.get_conversation("old") is None:
                break
        task.cancel()

    asyncio.run(run_briefly())
    assert everything_of(store, rasa_events, "old") == (False, 0, 0)


def test_a_failed_retention_pass_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = OutcomeStore("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    with caplog.at_level(logging.ERROR, logger="bot.web.janitor"):
        assert janitor.run_retention_once(unreachable, load_settings({})) is None
    assert "Retention pass failed" in caplog.text
    unreachable.close()
