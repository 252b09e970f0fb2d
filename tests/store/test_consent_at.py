"""When consent was given is kept: set at the yes, untouched by later updates, gone with a no."""
from __future__ import annotations

import time

from bot.store import OutcomeStore


def test_consent_at_is_the_moment_of_the_yes(store: OutcomeStore) -> None:
    assert store.save_conversation("c1", role="citizen")["consent_at"] is None
    store.save_conversation("c1", consent=False)
    assert store.get_conversation("c1")["consent_at"] is None
    time.sleep(0.01)
    given = store.save_conversation("c1", consent=True)["consent_at"]
    assert given is not None and given > store.get_conversation("c1")["created_at"]
    time.sleep(0.01)
    store.save_conversation("c1", consent=True, contact="anna@example.dk", language="da")
    assert store.get_conversation("c1")["consent_at"] == given
    assert store.save_conversation("c1", consent=False)["consent_at"] is None


def test_a_new_conversation_consenting_at_once_has_consent_at(store: OutcomeStore) -> None:
    row = store.save_conversation("c2", consent=True)
    assert row["consent_at"] is not None and row["consent_at"][:10] == row["created_at"][:10]
