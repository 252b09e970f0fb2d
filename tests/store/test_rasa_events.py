"""What the store reads and deletes in Rasa's `events` table."""

from __future__ import annotations

import pytest

from bot.store import InvalidValue, OutcomeStore

NOW = 1_700_000_000.0  # a fixed "now" for the purge, in unix seconds
HOUR = 3600.0


def test_transcript_has_what_was_said_in_order(store: OutcomeStore, rasa_events) -> None:
    rasa_events.action("c1", "action_session_start", NOW)
    rasa_events.bot("c1", "Hej! Må jeg gemme dine svar?", NOW + 1)
    rasa_events.user("c1", "Ja <gerne> 🙂", NOW + 2)
    rasa_events.bot(
        "c1",
        None,
        NOW + 3,
        buttons=[{"title": "Ja", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}],
    )
    rasa_events.bot("c1", None, NOW + 4)  # e.g. a custom payload: nothing to show
    rasa_events.user("someone-else", "Not mine", NOW + 5)

    plain = {"pressed_button": False, "payload": None, "empty": False}
    assert store.transcript("c1") == [
        {
            "at": "2023-11-14T22:13:21+00:00",
            "speaker": "bot",
            "text": "Hej! Må jeg gemme dine svar?",
            **plain,
        },
        {"at": "2023-11-14T22:13:22+00:00", "speaker": "user", "text": "Ja <gerne> 🙂", **plain},
        {"at": "2023-11-14T22:13:23+00:00", "speaker": "bot", "text": "Ja / Nej", **plain},
    ]


def test_transcript_before_rasa_created_its_table(store: OutcomeStore) -> None:
    assert store.transcript("c1") == []


def test_erase_conversation_leaves_nothing(store: OutcomeStore, rasa_events) -> None:
    for conversation_id in ("c1", "c2"):
        store.save_conversation(conversation_id, consent=True)
        store.record_outcome(conversation_id=conversation_id, kind="gift", text="t", language="da")
        rasa_events.user(conversation_id, "hej", NOW)
    store.record_outcome(conversation_id="c1", kind="dissent", text="nej", language="da")
    rasa_events.bot("c1", "Tak", NOW + 1)

    assert store.erase_conversation("c1") == {"outcomes": 2, "events": 2, "conversation": 1}
    assert store.get_conversation("c1") is None
    assert store.outcomes_for("c1") == [] and store.transcript("c1") == []
    assert rasa_events.count("c1") == 0
    assert len(store.outcomes_for("c2")) == 1 and rasa_events.count("c2") == 1
    assert store.erase_conversation("c1") == {"outcomes": 0, "events": 0, "conversation": 0}


def test_erase_conversation_without_events_table(store: OutcomeStore) -> None:
    store.save_conversation("c1", consent=False)
    assert store.erase_conversation("c1") == {"outcomes": 0, "events": 0, "conversation": 1}


def test_purge_transcript_keeps_outcomes(store: OutcomeStore, rasa_events) -> None:
    store.save_conversation("c1", consent=True)
    store.record_outcome(conversation_id="c1", kind="gift", text="t", language="da")
    rasa_events.user("c1", "hej", NOW)
    rasa_events.bot("c1", "Hej", NOW + 1)
    assert store.purge_transcript("c1") == 2
    assert store.transcript("c1") == [] and len(store.outcomes_for("c1")) == 1
    assert store.purge_transcript("c1") == 0


def test_purge_unconsented(store: OutcomeStore, rasa_events) -> None:
    old, recent = NOW - 2 * HOUR, NOW - 60
    store.save_conversation("consented", consent=True)
    store.save_conversation("declined", consent=False)
    store.save_conversation("undecided")  # consent not asked yet: None
    for sender in ("consented", "declined", "undecided", "no-row"):
        rasa_events.user(sender, "hej", old)
    rasa_events.user("no-row-recent", "hej", recent)
    rasa_events.user("came-back", "hej", old)
    rasa_events.user("came-back", "igen", recent)

    purged = store.purge_unconsented(idle_minutes=30, now=NOW)

    assert purged == ["declined", "no-row", "undecided"]
    assert [rasa_events.count(s) for s in purged] == [0, 0, 0]
    assert rasa_events.count("consented") == 1
    assert rasa_events.count("no-row-recent") == 1 and rasa_events.count("came-back") == 2
    # The conversation rows stay: they hold the person's "no", which the bot must remember.
    assert store.get_conversation("declined")["consent"] is False
    assert store.purge_unconsented(idle_minutes=30, now=NOW) == []


def test_purge_unconsented_without_events_table(store: OutcomeStore) -> None:
    assert store.purge_unconsented(idle_minutes=30) == []


def test_purge_unconsented_validates(store: OutcomeStore) -> None:
    with pytest.raises(InvalidValue, match="idle_minutes must be a non-negative integer"):
        store.purge_unconsented(idle_minutes=-1)
