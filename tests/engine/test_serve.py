"""engine/serve.py: the action-reply check built once gives Rasa's own verdicts and messages."""
from __future__ import annotations

import json

from engine_python import ROOT, run_in_engine

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


# Runs inside the engine environment: a real rasa-sdk action server (tests/engine/digest_actions.py)
# that the snippets below start, stop and call through Rasa's RemoteAction, patched by engine.serve.
ACTION_SERVER = r"""
import asyncio, json, os, signal, socket, subprocess, sys, time, urllib.request
import engine.serve
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

project_python = sys.argv[1]
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = str(probe.getsockname()[1])
sent_domain = []
rasas_request = EndpointConfig.request
async def recording_request(endpoint, *args, **kwargs):
    sent_domain.append("domain" in kwargs["json"])
    return await rasas_request(endpoint, *args, **kwargs)
EndpointConfig.request = recording_request

def start_action_server():
    server = subprocess.Popen([project_python, "-m", "rasa_sdk", "--actions", "digest_actions",
                               "--port", port], env={**os.environ, "PYTHONPATH": "tests/engine"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # stop() reaches sanic's worker too
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("action server did not start")

def stop(server):
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()

domain = Domain.load("domain")
tracker = DialogueStateTracker("digest", domain.slots)

async def call(name="action_report_domain"):
    action = RemoteAction(name, EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    return await action.run(CollectingOutputChannel(),
                            TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain)
"""

# Three calls, the action server restarted before the third.
DIGEST = ACTION_SERVER + r"""
async def reply():
    return (await call())[0].text

async def main():  # one event loop, as in Rasa: the pooled connection outlives the restart
    server = start_action_server()
    replies = [await reply(), await reply()]
    stop(server)
    server = start_action_server()  # a restarted action server holds no domain
    replies.append(await reply())
    stop(server)
    return replies

replies = asyncio.run(main())
print(json.dumps({"replies": replies, "sent_domain": sent_domain,
                  "responses": len(domain.responses)}))
"""


# An action that switches the reply language to English and says so, then one that only speaks.
SWITCH = ACTION_SERVER + r"""
async def main():
    server = start_action_server()
    try:
        switched = await call("action_switch_to_english")
        spoken = await call("action_confirm_language")
    finally:
        stop(server)
    return [[type(e).__name__, getattr(e, "text", None) or getattr(e, "value", None)]
            for e in switched + spoken]

print(json.dumps({"events": asyncio.run(main()),
                  "language_after": tracker.get_slot("language")}))
"""


def test_an_actions_responses_are_rendered_with_the_slots_it_set():
    seen = run_in_engine(SWITCH, str(ROOT / ".venv/bin/python"))
    assert seen["events"] == [
        ["BotUttered", "Of course – let's continue in English."],  # the domain's en variation
        ["SlotSet", "en"],
        ["BotUttered", "Selvfølgelig – vi fortsætter på dansk."],  # no slot set: as the tracker is
    ]
    assert seen["language_after"] is None  # rendering changed nothing on the tracker itself


def test_the_domain_crosses_once_and_again_when_the_action_server_lost_it():
    seen = run_in_engine(DIGEST, str(ROOT / ".venv/bin/python"))
    # First call: with the domain. Second: the digest alone. Third, after a restart: the digest
    # alone is refused (449), and the same call is made again with the domain.
    assert seen["sent_domain"] == [True, False, False, True]
    # Each time the actions read the whole domain: every response, though only the first call
    # carried it.
    assert seen["replies"][0].endswith(f" slots, {seen['responses']} responses")
    assert seen["replies"] == [seen["replies"][0]] * 3


# Runs inside the engine environment: the trained model parses each text twice, through Rasa's
# own graph and through engine.serve's shortcut, counting how often the NLU graph ran.
PAYLOADS = r"""
import json, sys, logging
logging.disable(logging.WARNING)
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.core.channels.channel import UserMessage
rasas_own = MessageProcessor._parse_message_with_graph
import engine.serve
agent = Agent.load("models/samtale.tar.gz")
processor = agent.processor
runs = []
graph_run = processor.graph_runner.run
processor.graph_runner.run = lambda *a, **k: runs.append(1) or graph_run(*a, **k)
results = []
for text in json.loads(sys.argv[1]):
    message = UserMessage(text, sender_id="t", metadata={"language": "da"})
    theirs = rasas_own(processor, message, None)
    before = len(runs)
    ours = MessageProcessor._parse_message_with_graph(processor, message, None)
    results.append({"same": ours == theirs, "graph_ran": len(runs) > before,
                    "intent": ours["intent"]["name"], "entities": ours["entities"]})
print(json.dumps(results))
"""


def test_a_payload_skips_the_nlu_pipeline_and_parses_exactly_as_rasa_does():
    texts = ['/affirm', '/choose{"value":"citizen"}', '  /choose{"value": "3"}  ',
             '/deny@0.7', '/no_such_intent', '/', 'hej, jeg vil gerne hjælpe', '']
    results = run_in_engine(PAYLOADS, json.dumps(texts))
    assert [r["same"] for r in results] == [True] * len(texts), results
    assert [r["graph_ran"] for r in results] == [False] * 4 + [True] * 4
    assert [r["intent"] for r in results[:4]] == ["affirm", "choose", "choose", "deny"]
    assert results[1]["entities"][0]["value"] == "citizen"
    assert results[2]["entities"][0]["value"] == "3"


# Runs inside the engine environment: the call body for a three-turn conversation, built by
# Rasa's own format and by engine.serve's.
CALL_FORMAT = r"""
import json
from rasa.core.actions.action import RemoteAction
rasas_own = RemoteAction._action_call_format
import engine.serve
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
domain = Domain.load("domain")
tracker = DialogueStateTracker("turns", domain.slots)
for number, text in enumerate(["hej", "/affirm", "Jeg drømmer om en fælleshave"]):
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_extract_slots"))
    tracker.update(SlotSet("possibility", text))
    tracker.update(BotUttered(f"svar {number}"))
action = RemoteAction("action_report_domain", EndpointConfig("http://127.0.0.1:9/webhook"))
theirs, ours = rasas_own(action, tracker, domain), engine.serve.call_format(action, tracker, domain)
print(json.dumps({"theirs": theirs, "ours": ours}, default=str))
"""


def test_an_action_call_carries_this_turns_events_and_everything_else_as_rasa_sends_it():
    bodies = run_in_engine(CALL_FORMAT)
    theirs, ours = bodies["theirs"], bodies["ours"]
    assert len(theirs["tracker"]["events"]) == 15
    assert ours["tracker"]["events"] == theirs["tracker"]["events"][-4:]
    assert ours["tracker"]["events"][0]["text"] == "Jeg drømmer om en fælleshave"
    for key in ("slots", "latest_message", "active_loop", "latest_action_name", "sender_id",
                "latest_event_time", "followup_action", "paused", "latest_input_channel"):
        assert ours["tracker"][key] == theirs["tracker"][key], key
    assert ours["tracker"]["slots"]["possibility"] == "Jeg drømmer om en fælleshave"
    assert {k: v for k, v in ours.items() if k not in ("tracker", "domain_digest")} == {
        k: v for k, v in theirs.items() if k != "tracker"}
