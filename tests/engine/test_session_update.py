"""engine/serve.py's session check gives Rasa's own answer (start a session or not) without
replaying the history, and falls back to Rasa's way when events were reverted."""
from __future__ import annotations

from engine_python import run_in_engine

# Runs inside the engine environment: Rasa's own `_update_tracker_session` and engine.serve's on
# copies of the same trackers; "ran" says whether action_session_start ran.
SESSIONS = r"""
import asyncio, json, time
from rasa.core.processor import MessageProcessor
rasas_own = MessageProcessor._update_tracker_session
import engine.serve
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Restarted,
                                     SessionStarted, SlotSet, UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

domain = Domain.load("domain")
week = domain.session_config.session_expiration_time * 60

class Processor:  # what _update_tracker_session reads of the processor
    def __init__(self):
        self.domain, self.nlg, self.ran = domain, None, 0
    def _get_action(self, name):
        return name
    async def _run_action(self, action, tracker, output_channel, nlg, prediction):
        self.ran += 1
    _has_session_expired = MessageProcessor._has_session_expired

def tracker_with(events):
    return DialogueStateTracker.from_events("s", events, slots=domain.slots)

now = time.time()
def turn(at, text="hej"):
    return [ActionExecuted("action_listen", timestamp=at), UserUttered(text, {"name": "greet"}, timestamp=at),
            ActionExecuted("samtale_form", timestamp=at), ActiveLoop("samtale_form", timestamp=at),
            SlotSet("requested_slot", "possibility", timestamp=at)]
cases = {
    "empty": [],
    "fresh": [SessionStarted(timestamp=now)] + turn(now),
    "long": [SessionStarted(timestamp=now)] + sum((turn(now - 100 + i) for i in range(300)), []),
    "expired": [SessionStarted(timestamp=now - 2 * week)] + turn(now - 2 * week),
    "no_message_yet": [SessionStarted(timestamp=now), ActionExecuted("action_listen", timestamp=now)],
    "just_started": turn(now - 2 * week) + [SessionStarted(timestamp=now)],
    "restarted": turn(now) + [Restarted(timestamp=now)],
    "reverted": [SessionStarted(timestamp=now)] + turn(now) + [UserUtteranceReverted(timestamp=now)],
    "action_reverted": [SessionStarted(timestamp=now)] + turn(now - 2 * week) + [ActionReverted(timestamp=now)],
}

async def ran(update, events):
    processor = Processor()
    await update(processor, tracker_with(events), None, None)
    return processor.ran

async def main():
    return {name: [await ran(rasas_own, events),
                   await ran(engine.serve.update_session_without_replay, events)]
            for name, events in cases.items()}

print(json.dumps(asyncio.run(main())))
"""


def test_the_session_check_agrees_with_rasas_own():
    results = run_in_engine(SESSIONS)
    for name, (rasas, ours) in results.items():
        assert ours == rasas, name
    assert results["fresh"] == results["long"] == results["no_message_yet"] == [0, 0]
    assert results["empty"] == results["expired"] == results["just_started"] == [1, 1]
