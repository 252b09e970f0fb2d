"""engine/tracker_store.py: a cached tracker is used only while the database agrees with it."""
from __future__ import annotations

from engine_python import ROOT, run_in_engine

# Runs inside the engine environment against a real SQLite file; prints what each step saw.
SCENARIO = r"""
import asyncio, json, sqlite3, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from engine.tracker_store import CachedSQLTrackerStore

db = sys.argv[1]
domain = Domain.from_yaml('''
version: "3.1"
intents: [greet]
slots:
  possibility: {type: text, mappings: [{type: custom}]}
''')
cached = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
plain = SQLTrackerStore(domain=domain, dialect="sqlite", db=db)
seen = {}

def state(tracker):
    return None if tracker is None else [len(tracker.events), tracker.get_slot("possibility")]

async def main():
    tracker = await cached.create_tracker("anna")
    tracker.update(UserUttered("hej", {"name": "greet", "confidence": 1.0}))
    tracker.update(SlotSet("possibility", "en fælleshave"))
    await cached.save(tracker)
    again = await cached.retrieve("anna")
    seen["hit_is_same_object"] = again is tracker
    seen["hit"] = state(again)
    seen["database"] = state(await plain.retrieve("anna"))

    again.update(SlotSet("possibility", "never saved"))  # a turn that failed before saving
    seen["after_unsaved_change"] = state(await cached.retrieve("anna"))

    tracker = await cached.retrieve("anna")
    tracker.update(SlotSet("possibility", "en legeplads"))
    await cached.save(tracker)
    with sqlite3.connect(db) as connection:  # the action server purges the transcript
        connection.execute("DELETE FROM events WHERE sender_id = 'anna'")
    seen["after_purge"] = state(await cached.retrieve("anna"))

    tracker = await cached.create_tracker("bo")
    tracker.update(SlotSet("possibility", "old session"))
    await cached.save(tracker)
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await cached.save(tracker)
    seen["new_session"] = state(await cached.retrieve("bo"))

    # Another Rasa worker replaced the conversation with as many events, written later.
    worker = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    tracker = await cached.create_tracker("wil")
    tracker.update(SlotSet("possibility", "seen by the first worker"))
    await cached.save(tracker)
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM events WHERE sender_id = 'wil'")
    tracker = await worker.create_tracker("wil")
    tracker.update(SlotSet("possibility", "written by another worker"))
    await worker.save(tracker)
    seen["other_worker"] = state(await cached.retrieve("wil"))

    with cached.session_scope() as session:  # the count both save and the cache check rely on
        seen["counts"] = [[cached._session_summary(session, sender)[0],
                           plain._event_query(session, sender, False).count()]
                          for sender in ("anna", "bo", "nobody")]

    # The same turn saved by Rasa's store and by ours: the same rows.
    for store, sender in ((plain, "rasa"), (cached, "ours")):
        tracker = await store.create_tracker(sender)
        tracker.update(UserUttered("Jeg drømmer om en <b>have</b>", {"name": "greet", "confidence": 0.9}))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
    with sqlite3.connect(db) as connection:
        seen["rows"] = {sender: [list(row) for row in connection.execute(
            "SELECT type_name, intent_name, action_name, json_extract(data, '$.event'),"
            " json_extract(data, '$.text') FROM events WHERE sender_id = ? ORDER BY id", (sender,))]
            for sender in ("rasa", "ours")}

    small = CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db, cache_size=1)
    first = await small.create_tracker("c1")
    await small.create_tracker("c2")
    seen["evicted_is_reloaded"] = (await small.retrieve("c1")) is not first

asyncio.run(main())
print(json.dumps(seen))
"""


def test_cached_trackers_agree_with_the_database(tmp_path):
    seen = run_in_engine(SCENARIO, str(tmp_path / "rasa.db"))
    # action_listen, then the user's message and the slot: 3 events.
    assert seen["hit_is_same_object"] is True
    assert seen["hit"] == seen["database"] == [3, "en fælleshave"]
    assert seen["after_unsaved_change"] == [3, "en fælleshave"]  # read back from the database
    assert seen["after_purge"] is None  # a deleted transcript never comes back from memory
    assert seen["new_session"] == [2, None]  # only the latest session, as Rasa's own store
    assert seen["evicted_is_reloaded"] is True
    assert seen["other_worker"] == [2, "written by another worker"]
    assert seen["counts"] == [[0, 0], [2, 2], [0, 0]]
    assert seen["rows"]["ours"] == seen["rows"]["rasa"]
    assert [row[:3] for row in seen["rows"]["ours"]] == [
        ["action", None, "action_listen"], ["user", "greet", None], ["action", None, "action_listen"]]


# Runs inside the engine environment: a turn in which the action server deletes the person's
# data (the real OutcomeStore, run in the project environment, as the action server does) while
# Rasa holds the whole session in memory, and Rasa then saves the turn.
ERASED_DURING_THE_TURN = r"""
import asyncio, json, subprocess, sys, time
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from engine.tracker_store import CachedSQLTrackerStore

config, database_url, project_python = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
config.pop("type")
domain = Domain.from_yaml('''
version: "3.1"
intents: [greet]
slots:
  possibility: {type: text, mappings: [{type: custom}]}
''')
store = CachedSQLTrackerStore(domain=domain, **config)
seen = {}

def action_server_erases(sender):
    subprocess.run([project_python, "-c", "import sys; from bot.store import OutcomeStore; "
                    "OutcomeStore(sys.argv[1]).erase_conversation(sys.argv[2])",
                    database_url, sender], check=True)

def words(tracker):
    return [e.text for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]

async def main():
    tracker = await store.create_tracker("anna")
    tracker.update(UserUttered("Jeg drømmer om en fælleshave i Vollsmose", {"name": "greet"}))
    tracker.update(SlotSet("possibility", "Jeg drømmer om en fælleshave i Vollsmose"))
    await store.save(tracker)
    tracker = await store.retrieve("anna")
    tracker.update(UserUttered("ja, slet mine data", {"name": "greet"}))
    action_server_erases("anna")  # mid-turn: the action runs, then Rasa saves
    time.sleep(0.01)
    tracker.update(SlotSet("possibility", None))
    tracker.update(BotUttered("Dine data er slettet."))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    with store.session_scope() as session:
        seen["rows"] = [list(row) for row in session.execute(
            store.SQLEvent.__table__.select().with_only_columns(
                store.SQLEvent.type_name, store.SQLEvent.data)
            .where(store.SQLEvent.sender_id == "anna"))]
    again = await store.retrieve("anna") or await store.create_tracker("anna")
    seen["retrieved_is_cached"] = again is tracker
    seen["retrieved_words"] = words(again)
    seen["retrieved_slot"] = again.get_slot("possibility")
    # The next turn after the erasure is saved as any other.
    again.update(UserUttered("hej igen", {"name": "greet"}))
    await store.save(again)
    seen["next_turn"] = words(await store.retrieve("anna"))
    # A sender with no erasure is untouched by another's.
    other = await store.create_tracker("bo")
    other.update(UserUttered("Jeg kan bage", {"name": "greet"}))
    await store.save(other)
    seen["other"] = words(await store.retrieve("bo"))

asyncio.run(main())
print(json.dumps(seen))
"""


def test_an_erasure_during_the_turn_leaves_nothing_older_in_the_save(database_url, tmp_path):
    import json

    from bot.settings import load_settings, rasa_tracker_store_config

    settings = load_settings({"DATABASE_URL": database_url, "SAMTALE_VAR_DIR": str(tmp_path)})
    seen = run_in_engine(ERASED_DURING_THE_TURN, json.dumps(rasa_tracker_store_config(settings)),
                         database_url, str(ROOT / ".venv/bin/python"))
    assert seen["rows"] == []  # nothing of the person, nor of the turn that erased
    assert seen["retrieved_is_cached"] is False
    assert seen["retrieved_words"] == [] and seen["retrieved_slot"] is None
    assert seen["next_turn"] == ["hej igen"]  # the next message is kept, as any other
    assert seen["other"] == ["Jeg kan bage"]
