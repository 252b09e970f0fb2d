"""OutcomeStore against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.settings import load_settings
from bot.store import (
    ConsentRequired,
    InvalidValue,
    OutcomeStore,
    UnknownOutcome,
    get_store,
)

NOW = 1_700_000_000.0  # a fixed "now" for the purge, in unix seconds
OUTCOME_KEYS = {
    "id", "conversation_id", "kind", "text", "details", "language", "role",
    "status", "assignee", "note", "created_at", "updated_at",
}  # fmt: skip


def consent(store: OutcomeStore, conversation_id: str = "c1") -> None:
    store.save_conversation(conversation_id, consent=True, language="da", role="citizen")


def record(store: OutcomeStore, **overrides: Any) -> dict[str, Any]:
    values = {"conversation_id": "c1", "kind": "gift", "text": "Jeg kan bage", "language": "da"}
    return store.record_outcome(**(values | overrides))


def is_utc_iso(value: str) -> bool:
    return datetime.fromisoformat(value).utcoffset() == timedelta(0)


# Conversations


def test_save_conversation_creates_then_changes_only_given_fields(store: OutcomeStore) -> None:
    assert store.get_conversation("c1") is None
    created = store.save_conversation("c1", consent=True, language="da")
    assert created["consent"] is True and created["role"] is None
    updated = store.save_conversation("c1", role="employee", contact="anna@example.dk")
    assert updated == store.get_conversation("c1")
    assert (updated["consent"], updated["language"]) == (True, "da")
    assert (updated["role"], updated["contact"]) == ("employee", "anna@example.dk")
    assert is_utc_iso(updated["created_at"]) and is_utc_iso(updated["updated_at"])
    assert updated["created_at"] == created["created_at"]


def test_save_conversation_can_clear_a_field(store: OutcomeStore) -> None:
    store.save_conversation("c1", consent=True, contact="22345678")
    assert store.save_conversation("c1", contact=None)["contact"] is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("role", "admin", "role must be one of citizen, employee"),
        ("language", "de", "language must be one of da, en"),
        ("consent", "yes", "consent must be true or false"),
        ("contact", "ring til mig", "contact must be an e-mail address or a Danish phone"),
        ("contact", "anna@example.dk " + "x" * 250, "contact must be at most 254 characters"),
    ],
)
def test_save_conversation_rejects_bad_values(
    store: OutcomeStore, field: str, value: str, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        store.save_conversation("c1", **{field: value})
    assert store.get_conversation("c1") is None


def test_conversation_id_must_fit_the_column(store: OutcomeStore) -> None:
    with pytest.raises(InvalidValue, match="at most 255"):
        store.save_conversation("x" * 256, consent=True)


# Recording outcomes


@pytest.mark.parametrize("given", [None, False, "missing"])
def test_record_outcome_requires_consent(store: OutcomeStore, given: Any) -> None:
    if given != "missing":
        store.save_conversation("c1", consent=given)
    with pytest.raises(ConsentRequired, match="'c1'"):
        record(store)
    assert store.list_outcomes() == []


def test_record_outcome_returns_a_plain_dict(store: OutcomeStore) -> None:
    consent(store)
    outcome = record(store, details={"when": "tirsdag"}, role="citizen")
    assert set(outcome) == OUTCOME_KEYS
    assert outcome["status"] == "new" and outcome["details"] == {"when": "tirsdag"}
    assert record(store, kind="dissent")["details"] == {}
    assert is_utc_iso(outcome["created_at"])


def test_record_outcome_is_idempotent_per_source_message(store: OutcomeStore) -> None:
    consent(store)
    first = record(store, source_message_id="m1")
    again = record(store, source_message_id="m1", text="changed on retry")
    assert again == first
    other_kind = record(store, source_message_id="m1", kind="commitment")
    assert other_kind["id"] != first["id"]
    record(store)  # without a source message id there is nothing to deduplicate on
    record(store)
    assert len(store.outcomes_for("c1")) == 4


def test_concurrent_retries_store_one_row(store: OutcomeStore) -> None:
    consent(store)
    barrier = threading.Barrier(6)
    results: list[dict[str, Any]] = []

    def retry() -> None:
        barrier.wait()
        results.append(record(store, source_message_id="m1"))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and len({r["id"] for r in results}) == 1
    assert len(store.outcomes_for("c1")) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "wish"}, "kind must be one of invitation, possibility"),
        ({"language": "sv"}, "language must be one of da, en"),
        ({"role": "boss"}, "role must be one of citizen, employee"),
        ({"text": None}, "text must be a string"),
        ({"text": "a\x00b"}, "text must not contain NUL"),
        ({"details": ["a"]}, "details must be a JSON object"),
        ({"details": {"when": datetime(2025, 1, 1)}}, "details must be JSON-serialisable"),
        ({"source_message_id": "m" * 256}, "source_message_id must be at most 255"),
    ],
)
def test_record_outcome_validates(
    store: OutcomeStore, overrides: dict[str, Any], message: str
) -> None:
    consent(store)
    with pytest.raises(InvalidValue, match=message):
        record(store, **overrides)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE outcomes; --",
        "Æbler, østers og ål 🌱👩🏽‍🍳 " * 2,
        "x" * 10_000,
        "  leading and trailing space\n",
    ],
)
def test_text_is_stored_verbatim(store: OutcomeStore, text: str) -> None:
    consent(store)
    outcome = record(store, text=text)
    store.update_outcome(outcome["id"], note=text)
    stored = store.outcomes_for("c1")[0]
    assert stored["text"] == text and stored["note"] == text
    assert store.list_outcomes()[0]["text"] == text


# Details and follow-up


def test_update_outcome_details_merges(store: OutcomeStore) -> None:
    consent(store)
    outcome = record(store, details={"what": "lektiecafé", "when": "mandag"})
    merged = store.update_outcome_details(outcome["id"], {"when": "tirsdag", "hours": 2})
    assert merged["details"] == {"what": "lektiecafé", "when": "tirsdag", "hours": 2}
    assert store.outcomes_for("c1")[0]["details"] == merged["details"]
    with pytest.raises(UnknownOutcome, match="no outcome with id 999"):
        store.update_outcome_details(999, {"a": 1})


def test_update_outcome_changes_only_given_fields(store: OutcomeStore) -> None:
    consent(store)
    outcome = record(store)
    assigned = store.update_outcome(outcome["id"], status="in_progress", assignee="karen")
    assert (assigned["status"], assigned["assignee"], assigned["note"]) == (
        "in_progress", "karen", None,
    )  # fmt: skip
    noted = store.update_outcome(outcome["id"], note="Ringet op")
    assert (noted["status"], noted["assignee"], noted["note"]) == (
        "in_progress",
        "karen",
        "Ringet op",
    )
    assert store.update_outcome(outcome["id"], assignee=None)["assignee"] is None


@pytest.mark.parametrize("status", ["closed", None, ""])
def test_update_outcome_validates_status(store: OutcomeStore, status: Any) -> None:
    consent(store)
    outcome = record(store)
    with pytest.raises(InvalidValue, match="status must be one of new, in_progress, done"):
        store.update_outcome(outcome["id"], status=status)
    assert store.outcomes_for("c1")[0]["status"] == "new"


def test_update_unknown_outcome(store: OutcomeStore) -> None:
    with pytest.raises(UnknownOutcome, match="no outcome with id 42"):
        store.update_outcome(42, status="done")


# Listing


def test_listing_orders_and_filters(store: OutcomeStore) -> None:
    consent(store, "c1")
    consent(store, "c2")
    gift = record(store, kind="gift")
    dissent = record(store, kind="dissent")
    other = record(store, conversation_id="c2", kind="gift")
    store.update_outcome(dissent["id"], status="done")

    assert [o["id"] for o in store.outcomes_for("c1")] == [gift["id"], dissent["id"]]
    assert [o["id"] for o in store.list_outcomes()] == [other["id"], dissent["id"], gift["id"]]
    assert [o["id"] for o in store.list_outcomes(kind="gift")] == [other["id"], gift["id"]]
    assert [o["id"] for o in store.list_outcomes(status="done")] == [dissent["id"]]
    assert [o["id"] for o in store.list_outcomes(conversation_id="c2")] == [other["id"]]
    assert store.list_outcomes(kind="gift", status="done") == []
    assert [o["id"] for o in store.list_outcomes(limit=1, offset=1)] == [dissent["id"]]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "wish"}, "kind must be one of"),
        ({"status": "closed"}, "status must be one of"),
        ({"limit": 0}, "limit must be an integer from 1 to 1000"),
        ({"limit": 1001}, "limit must be an integer from 1 to 1000"),
        ({"offset": -1}, "offset must be a non-negative integer"),
    ],
)
def test_listing_validates(store: OutcomeStore, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        store.list_outcomes(**arguments)


def test_get_store_is_cached_per_url(database_url: str) -> None:
    settings = load_settings({"DATABASE_URL": database_url})
    assert get_store(settings) is get_store(settings)
    get_store(settings).close()
