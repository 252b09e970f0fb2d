"""engine/recent_history.py: the policies' tracker of a long conversation holds the same recent
dialogue states, slots and active form as the whole tracker, and stays bounded."""
from __future__ import annotations

from engine_python import run_in_engine

# Runs inside the engine environment with the real domain: a conversation of many turns at the
# form's questions, with side-steps, slot changes and a form interrupted and resumed.
LONG = r"""
import json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from engine.recent_history import RECENT_TURNS, recent_history

domain = Domain.load("domain")
results = []
for turns in json.loads(sys.argv[1]):
    tracker = DialogueStateTracker("long", domain.slots)
    tracker.update(ActionExecuted("action_listen"), domain)
    tracker.update(SlotSet("consent", True), domain)
    tracker.update(ActiveLoop("samtale_form"), domain)
    for turn in range(turns):
        intent = ["ask_why", "help", "affirm", "pause"][turn % 4]
        tracker.update(UserUttered(f"besked {turn}", {"name": intent, "confidence": 0.9}), domain)
        tracker.update(ActionExecuted("action_extract_slots"), domain)
        if intent == "pause":
            tracker.update(ActiveLoop(None), domain)
            tracker.update(SlotSet("paused", True), domain)
        else:
            tracker.update(ActionExecuted("samtale_form"), domain)
            tracker.update(ActiveLoop("samtale_form"), domain)
            tracker.update(SlotSet("requested_slot", ["possibility", "ownership"][turn % 2]), domain)
            tracker.update(SlotSet("paused", None), domain)
        if turn == 7:
            tracker.update(SlotSet("possibility", "en fælleshave"), domain)
        tracker.update(BotUttered(f"svar {turn}"), domain)
        tracker.update(ActionExecuted("action_listen"), domain)
    tracker.update(UserUttered("sidste", {"name": "ask_why", "confidence": 0.9}), domain)
    tracker.update(ActionExecuted("action_extract_slots"), domain)
    recent = recent_history(tracker, domain)
    whole, short = tracker.past_states(domain), recent.past_states(domain)
    tail = 2 * RECENT_TURNS  # the states of the last dozen turns (three states a turn)
    results.append({
        "turns": turns, "events": len(tracker.events), "recent_events": len(recent.events),
        "same_object": recent is tracker,
        "same_tail": short[-tail:] == whole[-tail:] if len(short) >= tail else None,
        "slots": recent.current_slot_values() == tracker.current_slot_values(),
        "loop": [recent.active_loop_name, tracker.active_loop_name],
        "latest": [recent.latest_message.text, recent.latest_action_name],
        "again_same": recent_history(tracker, domain).events == recent.events,
    })
print(json.dumps(results))
"""


def test_the_policies_see_the_same_recent_states_of_a_long_conversation():
    results = run_in_engine(LONG, "[10, 45, 100, 500]")
    short, *long = results
    assert short["same_object"] is True  # a short conversation is left as it is
    for result in long:
        assert result["same_object"] is False
        assert result["same_tail"] is True, result
        assert result["slots"] is True and result["loop"][0] == result["loop"][1]
        assert result["latest"] == ["sidste", "action_extract_slots"]
        assert result["again_same"] is True
    # Bounded: at most twice the recent turns, however long the conversation.
    assert long[-1]["events"] > 10 * long[-1]["recent_events"]
    assert max(r["recent_events"] for r in long) <= 2 * 20 * 8 + 20
