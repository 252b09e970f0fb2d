"""The policies see a conversation's recent turns, not its whole history.

Rasa predicts each next action by turning the whole tracker into dialogue states, one per past
action, replaying the conversation from its first event (RulePolicy's `prediction_states`), and
does that for every action of every turn: a turn of a 225-message conversation took ~1 s of CPU
instead of ~100 ms. A rule here spans a few turns, and what came before them reaches a
prediction only through the slots and the active form. So the policies get a tracker that
starts with those (slot values and active loop as they were at the cut) followed by the last
RECENT_TURNS..2×RECENT_TURNS user turns. The cut moves in steps of RECENT_TURNS so that the
state at the cut, which takes a replay of the history to compute, is computed once per step and
remembered.
"""
from __future__ import annotations

from collections import OrderedDict
from itertools import islice
from typing import Any

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

RECENT_TURNS = 20
_CUTS_REMEMBERED = 500
_states_at_cut: OrderedDict[tuple[str, int, float], list[Event]] = OrderedDict()


def _cut_index(events: list[Event]) -> int | None:
    """Where the recent history starts: at the action_listen before a user message, leaving
    RECENT_TURNS to 2×RECENT_TURNS user turns after it; None when the history is short."""
    messages = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(messages) < 2 * RECENT_TURNS:
        return None
    kept = RECENT_TURNS + (len(messages) - RECENT_TURNS) % RECENT_TURNS
    cut = messages[-kept]
    previous = events[cut - 1] if cut > 0 else None
    if isinstance(previous, ActionExecuted) and previous.action_name == ACTION_LISTEN_NAME:
        cut -= 1
    return cut


def _state_events(tracker: DialogueStateTracker, domain: Any, timestamp: float) -> list[Event]:
    events: list[Event] = [SlotSet(name, slot.value, timestamp=timestamp)
                           for name, slot in tracker.slots.items()
                           if slot.value != slot.initial_value]
    loop = tracker.active_loop_name
    if loop:
        events.append(ActiveLoop(loop, timestamp=timestamp))
    return events


def recent_history(tracker: DialogueStateTracker, domain: Any) -> DialogueStateTracker:
    """The tracker the policies predict from (the tracker itself when it is short)."""
    events = list(tracker.events)
    cut = _cut_index(events)
    if cut is None:
        return tracker
    key = (tracker.sender_id, cut, events[cut].timestamp)
    state = _states_at_cut.get(key)
    if state is None:
        before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut],
                                                  slots=domain.slots)
        state = _states_at_cut[key] = _state_events(before, domain, events[cut].timestamp)
        while len(_states_at_cut) > _CUTS_REMEMBERED:
            _states_at_cut.popitem(last=False)
    _states_at_cut.move_to_end(key)
    recent = DialogueStateTracker.from_events(tracker.sender_id,
                                              state + list(islice(events, cut, None)),
                                              slots=domain.slots)
    recent.followup_action = tracker.followup_action
    return recent
