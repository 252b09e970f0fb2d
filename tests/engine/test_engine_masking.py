"""engine/serve.py masks personal data before Rasa makes the message an event; phone numbers and
e-mail addresses are kept where they answer the pending contact question."""
from __future__ import annotations

import json

from engine_python import run_in_engine

# Runs inside the engine environment: engine.serve's message handling with Rasa's own one
# replaced by a recorder, for trackers waiting at different questions.
MASKING = r"""
import asyncio, json, sys
import engine.serve
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.load("domain")
seen = []
async def rasas_own(processor, message, tracker):
    seen.append({"pending": tracker.get_slot("requested_slot"), "text": message.text,
                 "metadata": message.metadata})
engine.serve.rasas_handle_message = rasas_own

async def main():
    for pending, text, metadata in json.loads(sys.argv[1]):
        tracker = DialogueStateTracker("t", domain.slots)
        tracker.update(SlotSet("requested_slot", pending))
        await engine.serve.handle_message_with_masking(
            None, UserMessage(text, sender_id="t", metadata=metadata), tracker)

asyncio.run(main())
print(json.dumps(seen))
"""

CASES = [
    ["possibility", "ring 12345678 eller skriv a@b.dk", {"language": "da"}],
    ["contact", "ring 12345678 eller skriv a@b.dk", None],
    ["contact", "mit cpr er 0101901234, mail a@b.dk", None],
    ["gift", "Jeg kan bage", {"language": "en"}],
    ["gift", "cpr [CPR-nummer]", {"masked": ["cpr"]}],  # masked at the REST channel already
]


def test_masking_before_the_event_keeps_contact_details_at_the_contact_question():
    seen = run_in_engine(MASKING, json.dumps(CASES))
    assert [s["text"] for s in seen] == [
        "ring [telefonnummer] eller skriv [e-mail]",
        "ring 12345678 eller skriv a@b.dk",
        "mit cpr er [CPR-nummer], mail a@b.dk",
        "Jeg kan bage",
        "cpr [CPR-nummer]",
    ]
    assert [s["metadata"] for s in seen] == [
        {"language": "da", "masked": ["phone", "email"]},
        None,
        {"masked": ["cpr"]},
        {"language": "en"},
        {"masked": ["cpr"]},
    ]
