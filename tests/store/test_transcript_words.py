"""Transcripts show what the person saw: a pressed button's title, and empty messages too.

The events are made by Rasa's own event classes (engine environment), as its tracker store
writes them, then read back through the store on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest

from bot.store import OutcomeStore
from bot.store.rasa_events import transcript_lines
from tests.engine.engine_python import run_in_engine

NOW = 1_700_000_000.0

# Rasa's BotUttered / UserUttered as_dict() for a conversation given as (speaker, text, extra).
RASA_EVENTS = """
import json, sys
from rasa.shared.core.events import BotUttered, UserUttered
rows = []
for speaker, text, extra in json.loads(sys.argv[1]):
    if speaker == "bot":
        event = BotUttered(text, data={"buttons": extra.get("buttons")}, timestamp=extra["at"])
    else:
        event = UserUttered(text, intent={"name": extra.get("intent"), "confidence": 1.0},
                            metadata=extra.get("metadata"), timestamp=extra["at"])
    rows.append([event.type_name, event.timestamp, json.dumps(event.as_dict())])
print(json.dumps(rows))
"""

CONSENT_BUTTONS = [{"title": "Ja, det er i orden", "payload": "/affirm"},
                   {"title": "Nej, gem ikke noget", "payload": "/deny"}]
ROLE_BUTTONS = [{"title": "Som borger", "payload": '/choose{"value":"citizen"}'},
                {"title": "Som medarbejder", "payload": '/choose{"value":"employee"}'}]
HELP_BUTTONS = [{"title": "Tal med et menneske", "payload": "/request_human"},
                {"title": "Vis mine data", "payload": "/show_my_data"}]
LADDER_BUTTONS = [{"title": f"{n} · trin {n}", "payload": f'/choose{{"value":"{n}"}}'}
                  for n in range(1, 5)]

CONVERSATION = [
    ("bot", "Hej og velkommen! Må jeg gemme dine svar?", {"buttons": CONSENT_BUTTONS}),
    ("user", "/affirm", {"intent": "affirm"}),
    ("bot", "Tak for din tillid.", {}),
    ("bot", "Skriver du som borger, eller som medarbejder i kommunen?", {"buttons": ROLE_BUTTONS}),
    ("user", '/choose{"value":"citizen"}', {"intent": "choose"}),
    ("bot", "Hvad drømmer du om?", {}),
    ("user", "", {"intent": None}),
    ("bot", "Jeg fik vist ikke noget med der.", {}),
    ("user", "hjælp", {"intent": "help"}),
    ("bot", "Jeg stiller nogle spørgsmål …", {"buttons": HELP_BUTTONS}),
    ("user", "/request_human", {"intent": "request_human"}),
    ("bot", "Jeg har gemt dit ønske om at tale med en medarbejder.", {}),
    ("user", "Jeg drømmer om en fælleshave", {"intent": "share_possibility"}),
    ("bot", "Hvor ser du dig selv lige nu?", {"buttons": LADDER_BUTTONS}),
    # The channel knew the title: it wins over the lookup.
    ("user", '/choose{"value":"2"}', {"intent": "choose",
                                      "metadata": {"button_title": "2 · som på skærmen"}}),
    # An old consent button pressed much later: its title is still found further back.
    ("user", "/deny", {"intent": "deny"}),
    # A payload no bot message offered (typed by hand, or its message deleted): a label.
    ("user", "/pause", {"intent": "pause"}),
    ("user", '/choose{"value":"declined"}', {"intent": "choose"}),
    ("user", "/no_such_intent", {"intent": "no_such_intent"}),
    ("user", "   ", {"intent": None}),
]


def rasa_rows(conversation) -> list[list]:
    timed = [(speaker, text, {**extra, "at": NOW + i})
             for i, (speaker, text, extra) in enumerate(conversation)]
    return run_in_engine(RASA_EVENTS, json.dumps(timed))


@pytest.fixture(scope="module")
def rows() -> list[list]:
    return rasa_rows(CONVERSATION)


def user_lines(lines: list[dict]) -> list[tuple]:
    return [(line["text"], line["pressed_button"], line["payload"], line["empty"])
            for line in lines if line["speaker"] == "user"]


def test_pressed_buttons_show_their_titles_and_keep_the_payload(rows):
    assert user_lines(transcript_lines(rows, "da")) == [
        ("Ja, det er i orden", True, "/affirm", False),
        ("Som borger", True, '/choose{"value":"citizen"}', False),
        ("", False, None, True),
        ("hjælp", False, None, False),
        ("Tal med et menneske", True, "/request_human", False),
        ("Jeg drømmer om en fælleshave", False, None, False),
        ("2 · som på skærmen", True, '/choose{"value":"2"}', False),
        ("Nej, gem ikke noget", True, "/deny", False),
        ("Hold pause (knap)", True, "/pause", False),
        ("Nej tak (knap)", True, '/choose{"value":"declined"}', False),
        ("/no_such_intent", True, "/no_such_intent", False),
        ("", False, None, True),
    ]


def test_stale_payload_labels_follow_the_conversations_language(rows):
    lines = user_lines(transcript_lines(rows, "en"))
    assert ("Pause (button)", True, "/pause", False) in lines
    assert ("No, thank you (button)", True, '/choose{"value":"declined"}', False) in lines


def test_the_bot_still_says_what_it_said_around_an_empty_message(rows):
    lines = transcript_lines(rows, "da")
    texts = [(line["speaker"], line["text"]) for line in lines]
    empty_at = texts.index(("user", ""))
    assert texts[empty_at - 1] == ("bot", "Hvad drømmer du om?")
    assert texts[empty_at + 1] == ("bot", "Jeg fik vist ikke noget med der.")
    assert not any(line["text"].startswith("/") for line in lines if line["speaker"] == "bot")


def test_a_title_offered_later_than_the_press_is_not_used():
    rows = rasa_rows([
        ("user", "/affirm", {"intent": "affirm"}),
        ("bot", "Slet alt?", {"buttons": [{"title": "Ja, slet det hele", "payload": "/affirm"}]}),
    ])
    assert user_lines(transcript_lines(rows, "da")) == [("Ja (knap)", True, "/affirm", False)]


def test_the_store_reads_titles_from_the_database(store: OutcomeStore, rasa_events, rows):
    store.save_conversation("c1", consent=True, language="da")
    for type_name, timestamp, data in rows:
        event = json.loads(data)
        if type_name == "bot":
            rasa_events.bot("c1", event["text"], timestamp, buttons=event["data"]["buttons"])
        else:
            rasa_events.user("c1", event["text"], timestamp, metadata=event.get("metadata"))
    assert user_lines(store.transcript("c1")) == user_lines(transcript_lines(rows, "da"))
    first = store.transcript("c1")[1]
    assert first == {"at": "2023-11-14T22:13:21+00:00", "speaker": "user",
                     "text": "Ja, det er i orden", "pressed_button": True, "payload": "/affirm",
                     "empty": False}
