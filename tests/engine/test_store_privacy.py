"""The outcome store's side of the engine's privacy work, on SQLite and PostgreSQL: an erasure
is recorded with the deletion (a hash and the time, nothing else), and outcomes are masked."""
from __future__ import annotations

import hashlib
import time

from sqlalchemy import create_engine, text

from bot.store import OutcomeStore


def erasures(database_url: str) -> list[tuple]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                text("SELECT * FROM erasures ORDER BY id"))]
    finally:
        engine.dispose()


def test_an_erasure_is_recorded_with_the_deletion_and_holds_only_a_hash_and_the_time(
        store: OutcomeStore, database_url: str, rasa_events) -> None:
    store.save_conversation("anna-7", consent=True, language="da", contact="anna@example.dk")
    store.record_outcome(conversation_id="anna-7", kind="gift", text="Jeg kan bage",
                         language="da")
    rasa_events.user("anna-7", "Jeg kan bage", time.time())
    before = time.time()
    counts = store.erase_conversation("anna-7")
    assert counts == {"outcomes": 1, "events": 1, "conversation": 1}
    store.purge_transcript("bo-3")  # no consent: the conversation ended
    rows = erasures(database_url)
    assert [row[1] for row in rows] == [hashlib.sha256(b"anna-7").hexdigest(),
                                        hashlib.sha256(b"bo-3").hexdigest()]
    assert all(before <= row[2] <= time.time() for row in rows)
    assert all(len(row) == 3 for row in rows)  # id, hash, time: nothing of the person


def test_outcomes_are_stored_with_personal_data_masked(store: OutcomeStore) -> None:
    store.save_conversation("c1", consent=True, language="da")
    stored = store.record_outcome(
        conversation_id="c1", kind="gift", language="da",
        text="Jeg kan bage. Ring 12 34 56 78 eller skriv anna@example.dk, cpr 010190-1234",
        details={"availability": {"text": "tirsdag, sms 87654321"}, "skills": ["bage"]})
    expected_text = ("Jeg kan bage. Ring [telefonnummer] eller skriv [e-mail], "
                     "cpr [CPR-nummer]")
    assert stored["text"] == expected_text
    assert stored["details"] == {"availability": {"text": "tirsdag, sms [telefonnummer]"},
                                 "skills": ["bage"]}
    assert store.outcomes_for("c1")[0]["text"] == expected_text
