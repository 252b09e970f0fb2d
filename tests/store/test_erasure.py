"""After delete-my-data nothing of the person is left in ANY table, on SQLite and PostgreSQL.

The search is generic on purpose: it reflects every table the database holds at test time (ours,
Rasa's events, and whatever later migrations add: notes, matches, audit, flags, search indexes)
and reads every value of every row, so a new table that keeps a copy of a person's words fails
this test until erase_conversation reaches it.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from sqlalchemy import MetaData, create_engine, select

from bot.store import OutcomeStore

NOW = time.time()


def searchable(value: Any) -> str:
    """A value as text, JSON unescaped (Rasa stores events as JSON with \\u escapes)."""
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode("utf-8", errors="ignore")
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return value + "\n" + json.dumps(decoded, ensure_ascii=False)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def traces(database_url: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every value in the database that contains a needle."""
    engine = create_engine(database_url)
    found = []
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        assert {"conversations", "outcomes", "events"} <= set(metadata.tables)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)).mappings():
                    for column, value in row.items():
                        text = searchable(value).casefold()
                        found += [(table.name, column, needle) for needle in needles
                                  if needle.casefold() in text]
    finally:
        engine.dispose()
    return found


def a_person(store: OutcomeStore, rasa_events, sender: str, words: dict[str, str]) -> None:
    """A whole conversation: consent, role, contact, outcomes with details, staff follow-up, and
    Rasa's events (user and bot messages, actions, slots) as Rasa writes them."""
    store.save_conversation(sender, consent=True, role="citizen", language="da",
                            contact=words["contact"])
    dream = store.record_outcome(conversation_id=sender, kind="possibility",
                                 text=f"Jeg drømmer om {words['dream']} i gården",
                                 language="da", role="citizen", source_message_id="m1")
    gift = store.record_outcome(
        conversation_id=sender, kind="gift", text=f"Jeg kan {words['skill']} om onsdagen",
        details={"skills": [words["skill"]], "skill_ids": ["cooking"],
                 "availability": {"text": "onsdag", "days": ["wed"], "time_of_day": None}},
        language="da", role="citizen", source_message_id="m2")
    store.update_outcome_details(dream["id"], {"quote": words["dream"]})
    store.update_outcome(gift["id"], status="in_progress", assignee="Lise",
                         note=f"Ringer om {words['skill']}")
    rasa_events.action(sender, "action_session_start", NOW)
    rasa_events.bot(sender, "Må jeg gemme dine svar?", NOW + 1,
                    buttons=[{"title": "Ja", "payload": "/affirm"}])
    rasa_events.user(sender, "ja", NOW + 2)
    rasa_events.user(sender, f"Jeg drømmer om {words['dream']} i gården", NOW + 3)
    rasa_events.bot(sender, f"Tak. {words['dream']} lyder godt.", NOW + 4)
    rasa_events.user(sender, words["contact"], NOW + 5)
    rasa_events.add(sender, "slot", NOW + 6, {"name": "contact", "value": words["contact"]})


def unique_words(tag: str) -> dict[str, str]:
    # Made-up words that no other row, no migration and no NLU data can contain.
    return {"dream": f"kvarterhave{tag}", "skill": f"zorblaxbagning{tag}",
            "contact": f"erasure.{tag}@example.dk"}


def test_nothing_of_the_person_remains_in_any_table(store: OutcomeStore, rasa_events) -> None:
    tag = secrets.token_hex(4)
    sender, other = f"tg-erase{tag}", f"web-keep{tag}"
    anna, bo = unique_words(f"anna{tag}"), unique_words(f"bo{tag}")
    a_person(store, rasa_events, sender, anna)
    a_person(store, rasa_events, other, bo)
    needles = [sender, *anna.values()]

    before = traces(store.database_url, needles)
    # The search sees the person everywhere they were put: the test can fail.
    assert {table for table, _, _ in before} >= {"conversations", "outcomes", "events"}
    assert {needle for _, _, needle in before} == set(needles)

    erased = store.erase_conversation(sender)
    assert erased == {"outcomes": 2, "events": 7, "conversation": 1}
    assert traces(store.database_url, needles) == []
    # The other person is untouched, found by the same search.
    assert {needle for _, _, needle in traces(store.database_url, [other, *bo.values()])} == {
        other, *bo.values()}


def test_erasing_twice_or_an_unknown_person_finds_nothing(store: OutcomeStore,
                                                          rasa_events) -> None:
    tag = secrets.token_hex(4)
    a_person(store, rasa_events, f"tg-twice{tag}", unique_words(tag))
    store.erase_conversation(f"tg-twice{tag}")
    assert store.erase_conversation(f"tg-twice{tag}") == {
        "outcomes": 0, "events": 0, "conversation": 0}
    assert traces(store.database_url, [f"tg-twice{tag}", *unique_words(tag).values()]) == []


def test_the_search_finds_a_copy_in_a_table_it_was_never_told_about(store: OutcomeStore,
                                                                    rasa_events) -> None:
    """What a later table that erase_conversation forgets would look like: caught."""
    from sqlalchemy import Column, Integer, Table, Text

    tag = secrets.token_hex(4)
    sender, words = f"tg-copy{tag}", unique_words(tag)
    a_person(store, rasa_events, sender, words)
    extra = MetaData()
    notes = Table("staff_notes_copy", extra, Column("id", Integer, primary_key=True),
                  Column("body", Text))
    engine = create_engine(store.database_url)
    extra.create_all(engine)
    with engine.begin() as connection:
        connection.execute(notes.insert().values(body=json.dumps({"about": words["dream"]})))
    engine.dispose()
    store.erase_conversation(sender)
    assert traces(store.database_url, [sender, *words.values()]) == [
        ("staff_notes_copy", "body", words["dream"])]
