"""engine/serve.py: the action-reply check built once gives Rasa's own verdicts and messages."""
from __future__ import annotations

import json

from engine_python import run_in_engine

# Runs inside the engine environment: Rasa's own check first, then ours, on the same replies.
COMPARE = r"""
import json, sys
from rasa.core.actions.action import RemoteAction
rasas_own = RemoteAction._validate_action_result
import engine.serve
assert RemoteAction._validate_action_result is engine.serve.validate_action_result
replies = json.loads(sys.argv[1])
action = object.__new__(RemoteAction)  # the check reads nothing of the action but its schema
def verdict(check, reply):
    try:
        return check(action, reply)
    except Exception as error:
        return f"{type(error).__name__}: {getattr(error, 'message', error)}"
print(json.dumps([[verdict(rasas_own, r), verdict(engine.serve.validate_action_result, r)]
                  for r in replies]))
"""

REPLIES = [
    {"events": [{"event": "slot", "name": "possibility", "value": "en fælleshave"}],
     "responses": [{"text": "Tak!", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]},
    {"events": [], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "name": 3}], "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": ["plain text instead of a message"]},
]


def test_same_verdicts_and_messages_as_rasas_own_check():
    verdicts = run_in_engine(COMPARE, json.dumps(REPLIES))
    assert [ours for _, ours in verdicts][:2] == [True, True]
    for rasas, ours in verdicts:
        assert ours == rasas
    rejected = [ours for _, ours in verdicts[2:]]
    assert all(v.startswith("ValidationError:") and "Failed to validate Action server response"
               in v for v in rejected), rejected
