"""`rasa run`, with fixes to Rasa 3.6's hot path. The launcher starts Rasa through this module.

Every turn calls the action server once or twice (it was two or three times: see the language
below); under load (py-spy, 50 concurrent conversations) these calls dominated the engine's CPU,
for reasons that have nothing to do with what the actions do:

- Rasa checks every reply with `jsonschema.validate`, which first checks the *schema itself*
  against the JSON-Schema metaschema (58% of the CPU). Here the reply is checked against the same
  schema by a validator built once: same verdict, same error.
- Every call carried the whole domain (35 kB, mostly response texts the actions never read) next
  to the tracker. rasa-sdk 3.x speaks the domain-digest protocol of later Rasa releases: a call
  may send only `domain_digest`, the action server answers 449 if it does not hold that domain,
  and the call is made again with the domain. That is what happens here, so the domain crosses
  once per action-server start rather than on every call.
- Every call carried the conversation's whole history, serialised by Rasa and parsed again by
  the action server, growing with each turn. A call now carries the events of this turn only
  (from the person's latest message on), next to the full slots, latest message and active
  loop: the actions here read nothing older, and the transcript is in the database.
- The request body is encoded with ujson (already one of Rasa's pins), not the standard library:
  the tracker and domain are tens of kB per call and encoding them was ~10% of the CPU.

An action's responses are rendered with the slots the action itself set: Rasa renders them
before it applies the action's events, so an action that switches the reply language would
answer in the old one. That lets the actions decide each turn's language as they run
(actions/language.py) instead of in one more call, action_validate_slot_mappings, on every
message.

And a button's payload ("/choose{...}") skips the NLU pipeline. Rasa runs every message through
the whole pipeline and only then lets its RegexMessageHandler replace the result with the
payload's own intent and entities, discarding everything the pipeline computed (~8 ms a message).
The handler now runs first, alone; a text it cannot unpack ("/no_such_intent") still goes
through the pipeline, as before.
"""
from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any, Optional

# One TensorFlow thread per message (MiniLM's encoder): the machine's other core is serving the
# action server and the web service, and two threads per message fought them. Measured with 50
# paced conversations: p95 162 -> 152 ms, one conversation p50 46 -> 39 ms. Read by Rasa at start.
os.environ.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
os.environ.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
# Sanic's limit on a request body (its default: 100 MB). A chat message is a few kB; the REST
# channel answers longer texts itself (engine/rest_channel.py). Also limits Rasa's model upload
# API, which Samtale does not use (the model is loaded from models/).
os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(1024 * 1024))

import jsonschema
import rasa
import rasa.core.agent
import ujson
from rasa.__main__ import main
from rasa.core.actions.action import (ActionExecutionRejection, RemoteAction,
                                     create_bot_utterance)
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import (ActionExecuted, ActionReverted, Event, Restarted,
                                     SessionStarted, UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import (ENTITIES, INTENT, INTENT_NAME_KEY,
                                      PREDICTED_CONFIDENCE_KEY, TEXT)
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.masking import CPR, KINDS, mask_personal_data
from engine import private_logs
from engine.recent_history import recent_history
from engine.tracker_store import NoSilentFallbackTrackerStore

log = logging.getLogger(__name__)

# rasa-sdk's answer when a call carries a digest of a domain it does not hold.
DOMAIN_MISSING = 449


@functools.cache
def action_result_validator() -> jsonschema.protocols.Validator:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, at the first action call
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    error = jsonschema.exceptions.best_match(action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (". Failed to validate Action server response from API, make sure your "
                          "response from the Action endpoint is valid. For more information "
                          f"about the format visit {DOCS_BASE_URL}/custom-actions")
        raise error
    _action_reply.set(result)  # Rasa renders its responses next: utter_with_the_actions_slots
    return True


# The reply of the action call in progress. Rasa checks a reply (above) and then, in the same
# task, renders its responses; a context variable keeps concurrent conversations apart.
_action_reply: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("action_reply")


class TrackerWithTheActionsSlots:
    """The tracker as an action's responses are rendered: with the slots the action set."""

    def __init__(self, tracker: DialogueStateTracker, slots: dict[str, Any]) -> None:
        self._tracker, self._slots = tracker, slots

    def current_slot_values(self) -> dict[str, Any]:
        return {**self._tracker.current_slot_values(), **self._slots}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)


async def utter_with_the_actions_slots(responses: list[dict[str, Any]], output_channel: Any,
                                       nlg: Any, tracker: DialogueStateTracker) -> Any:
    reply = _action_reply.get({})
    slots = {event["name"]: event.get("value") for event in reply.get("events") or []
             if event.get("event") == "slot" and event.get("name") in tracker.slots}
    speaking = TrackerWithTheActionsSlots(tracker, slots) if slots else tracker
    return await rasas_utter(responses, output_channel, nlg, speaking)


# The loaded model's domain and its digest. Keyed by identity: Domain's own hash is its
# fingerprint, recomputed on every call (5 ms).
_last_domain: list[Any] = [None, ""]

# The digest of the domain the action server at each URL acknowledged last.
_domain_held_by: dict[str, str] = {}


def domain_digest(domain: Domain) -> str:
    if _last_domain[0] is not domain:
        _last_domain[:] = [domain, domain.fingerprint()]
    return _last_domain[1]


def turn_events(tracker: DialogueStateTracker) -> list[Event]:
    """The events since the person's latest message, that message included."""
    turn: list[Event] = []
    for event in reversed(tracker.events):
        turn.append(event)
        if isinstance(event, UserUttered):
            break
    return turn[::-1]


def call_format(action: RemoteAction, tracker: DialogueStateTracker,
                domain: Domain) -> dict[str, Any]:
    """Rasa's action call, with this turn's events and the domain only if the server lacks it."""
    state = tracker.current_state(EventVerbosity.NONE)  # slots, latest message, loop: all of it
    state["events"] = [event.as_dict() for event in turn_events(tracker)]
    body = {"next_action": action.name(), "sender_id": tracker.sender_id, "tracker": state,
            "version": rasa.__version__}
    rasa_would_send_domain = (not action._is_selective_domain_enabled()
                              or domain.does_custom_action_explicitly_need_domain(action.name()))
    if action.action_endpoint is not None:
        body["domain_digest"] = digest = domain_digest(domain)
        if _domain_held_by.get(action.action_endpoint.url) == digest:
            rasa_would_send_domain = False
    if rasa_would_send_domain:
        body["domain"] = domain.as_dict()
    return body


async def run_sending_domain_when_missing(action: RemoteAction, output_channel: Any, nlg: Any,
                                          tracker: Any, domain: Domain) -> Any:
    url = action.action_endpoint.url if action.action_endpoint else None
    try:
        try:
            events = await rasas_run(action, output_channel, nlg, tracker, domain)
        except RasaException as error:
            cause = error.__cause__
            if not (isinstance(cause, ClientResponseError) and cause.status == DOMAIN_MISSING):
                raise
            # The action server refused before running the action (it was restarted, or the
            # model changed): nothing happened yet, so the call is made again with the domain.
            _domain_held_by.pop(url, None)
            events = await rasas_run(action, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # a form declining its slot: Rasa's own flow
    except Exception as error:  # down, crashed, timed out, its database gone
        _domain_held_by.pop(url, None)
        log.warning("action %s failed for conversation %s: %s", action.name(),
                    tracker.sender_id, type(error.__cause__ or error).__name__)
        _action_failed.set(True)  # the turn apologises and listens (below)
        raise ActionServerFailed(action.name()) from None
    if url is not None:
        _domain_held_by[url] = domain_digest(domain)
    return events


# The person's apology when an action cannot run (domain/digressions.yml, both languages).
TECHNICAL_PROBLEM = "utter_technical_problem"

class ActionServerFailed(RasaException):
    """An action call failed. Raised, not answered with events: a form whose validation
    failed must not take the message as a valid answer and move on."""


# Set by a failed action call; read by the turn's prediction loop in the same task.
_action_failed: contextvars.ContextVar[bool] = contextvars.ContextVar("action_failed",
                                                                       default=False)


async def run_action_stopping_after_a_failure(processor: MessageProcessor, action: Any,
                                              tracker: DialogueStateTracker, output_channel: Any,
                                              nlg: Any, prediction: Any) -> bool:
    """Rasa's `_run_action`; when an action call failed, the person gets a short apology and
    the turn ends listening, instead of predicting more actions that would fail the same way
    (Rasa itself logged the failure and went on, usually to silence). The action's events are
    lost, so a form stays at its pending question and the next message continues there."""
    token = _action_failed.set(False)
    try:
        more = await rasas_run_action(processor, action, tracker, output_channel, nlg, prediction)
        if not _action_failed.get():
            return more
        apology = create_bot_utterance(
            await nlg.generate(TECHNICAL_PROBLEM, tracker, output_channel.name()))
        tracker.update(apology)
        await output_channel.send_response(tracker.sender_id, apology.message())
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        return False
    finally:
        _action_failed.reset(token)


async def handle_message_with_masking(processor: MessageProcessor, message: UserMessage,
                                      tracker: DialogueStateTracker) -> None:
    """CPR numbers, and phone numbers and e-mail addresses unless they answer the contact
    question, are masked before Rasa makes the message an event (stored, sent to the actions,
    logged). The message's metadata says what was masked, so the turn's first action tells the
    person (actions/language.py). The REST channel has masked CPR numbers already."""
    kinds = (CPR,) if tracker.get_slot(REQUESTED_SLOT) == CONTACT_QUESTION else KINDS
    text, found = mask_personal_data(message.text, kinds)
    already = list((message.metadata or {}).get(MASKED) or [])
    if found or already:
        message.text = text
        message.metadata = {**(message.metadata or {}),
                            MASKED: sorted(set(found) | set(already), key=KINDS.index)}
    await rasas_handle_message(processor, message, tracker)


CONTACT_QUESTION = "contact"  # the slot whose answer is a phone number or an e-mail address
MASKED = "masked"  # metadata key: the kinds of personal data masked in the message


def session_with_fast_json(endpoint: EndpointConfig) -> Any:
    session = rasas_session(endpoint)
    session._json_serialize = ujson.dumps  # aiohttp's ClientSession(json_serialize=...)
    return session


def parse_payload_without_pipeline(processor: MessageProcessor, message: Any, tracker: Any,
                                   only_output_properties: bool = True) -> dict[str, Any]:
    as_written = Message(data={TEXT: message.text or ""})
    unpacked = RegexMessageHandler().process([as_written], processor.domain)[0]
    if unpacked is as_written:  # not a payload: the pipeline decides
        return rasas_parse_with_graph(processor, message, tracker, only_output_properties)
    parse_data = {TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                  ENTITIES: []}  # Rasa's defaults, as in _parse_message_with_graph
    parse_data.update(unpacked.as_dict(only_output_properties=only_output_properties))
    return parse_data


def predict_from_recent_history(processor: MessageProcessor,
                                tracker: DialogueStateTracker) -> Any:
    """The policies predict from the conversation's recent turns (engine/recent_history.py),
    so a turn costs the same at the 500th message as at the 5th."""
    if tracker.followup_action:  # Rasa's own shortcut, which clears it on the tracker itself
        return rasas_predict(processor, tracker)
    return rasas_predict(processor, recent_history(tracker, processor.domain))


_RESETS, _REVERTS = (Restarted, SessionStarted), (ActionReverted, UserUtteranceReverted)


def _latest_session_unreverted(tracker: DialogueStateTracker) -> Optional[list[Event]]:
    """The events since the latest restart or session start, if none of them reverts another
    (then every one of them is applied); None otherwise, when only Rasa's replay can tell."""
    session: list[Event] = []
    for event in reversed(tracker.events):
        if isinstance(event, _RESETS):
            break
        if isinstance(event, _REVERTS):
            return None
        session.append(event)
    return session


async def update_session_without_replay(processor: MessageProcessor,
                                        tracker: DialogueStateTracker, output_channel: Any,
                                        metadata: Optional[dict] = None) -> None:
    """Rasa's `_update_tracker_session`, which asked `tracker.applied_events()` twice a message
    (is the tracker empty? when was the latest message?): a replay of the whole history that
    undoes every form step, O(history × form steps) -- 94% of Rasa's CPU at the 270th message
    (py-spy). When nothing in the latest session was reverted, both answers are read off the
    events directly; otherwise Rasa's own way."""
    session = _latest_session_unreverted(tracker)
    if session is None:
        return await rasas_update_session(processor, tracker, output_channel, metadata)
    expired = False
    if processor.domain.session_config.are_sessions_enabled():
        # As Rasa: the latest message of the latest session (applied events start there).
        latest = next((e for e in session if isinstance(e, UserUttered)), None)
        expired = latest is not None and ((time.time() - latest.timestamp) / 60 >
                                          processor.domain.session_config.session_expiration_time)
    if session and not expired:
        return None
    return await rasas_update_session(processor, tracker, output_channel, metadata)


rasas_update_session = MessageProcessor._update_tracker_session
MessageProcessor._update_tracker_session = update_session_without_replay
rasas_parse_with_graph = MessageProcessor._parse_message_with_graph
rasas_predict = MessageProcessor._predict_next_with_tracker
MessageProcessor._predict_next_with_tracker = predict_from_recent_history
rasas_handle_message = MessageProcessor._handle_message_with_tracker
rasas_run_action = MessageProcessor._run_action
MessageProcessor._handle_message_with_tracker = handle_message_with_masking
MessageProcessor._run_action = run_action_stopping_after_a_failure
rasas_run = RemoteAction.run
rasas_session = EndpointConfig.session
rasas_utter = RemoteAction._utter_responses
RemoteAction._validate_action_result = validate_action_result
RemoteAction._utter_responses = staticmethod(utter_with_the_actions_slots)
RemoteAction._action_call_format = call_format
RemoteAction.run = run_sending_domain_when_missing
EndpointConfig.session = session_with_fast_json
MessageProcessor._parse_message_with_graph = parse_payload_without_pipeline
# A database gone past the retries fails the turn (an apology) instead of a silent restart.
rasa.core.agent.FailSafeTrackerStore = NoSilentFallbackTrackerStore


# --- Models from the web service (Rasa's `models:` endpoint, bot/web/trainer/model_server.py) ---
#
# Every Sanic worker is its own process with its own Agent: Rasa's `before_server_start`
# listener (rasa/core/run.py, load_agent_on_start) runs in each, and so does load_from_server,
# which schedules the pull job on that process's own scheduler (rasa/core/jobs.py, a module
# global created on first use, i.e. after the fork). So each worker follows the server itself.

# The --model file, remembered for load_from_server (Rasa ignores it once `models:` is set).
_local_model: list[str | None] = [None]


def model_etag(path: str) -> str:
    """The fingerprint the model server gives this file: its sha256, quoted (an HTTP ETag)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as model:
        for block in iter(lambda: model.read(1 << 20), b""):
            digest.update(block)
    return f'"{digest.hexdigest()}"'


async def load_agent_remembering_the_local_model(model_path: str | None = None,
                                                 *args: Any, **kwargs: Any) -> Any:
    _local_model[0] = model_path
    return await rasas_load_agent(model_path, *args, **kwargs)


async def load_local_model_then_follow_server(agent: Any, model_server: EndpointConfig) -> Any:
    """Rasa with a model server starts with no model at all until its first pull succeeds, so
    a Rasa that is up before the web service (honcho starts them together) would answer 409
    for a pull interval. Here it loads models/samtale.tar.gz first, under the fingerprint the
    server gives that file: the first pull is then a 304 while nothing is deployed, or
    downloads the deployed model; if the web service is not up yet the local model serves and
    the pull job tries again."""
    path = _local_model[0]
    if path and os.path.isfile(path) and agent.processor is None:
        agent.load_model(path, fingerprint=model_etag(path))
    return await rasas_load_from_server(agent, model_server)


@contextlib.contextmanager
def one_load_at_a_time(lock_path: str | None) -> Iterator[bool]:
    """True if this worker may load a model now: no other worker is loading one. Workers
    then take turns (a rolling update): while one loads, the others answer on the other core
    instead of all of them loading at once on two shared cores."""
    if not lock_path:
        yield True
        return
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def update_model_off_the_event_loop(model_server: EndpointConfig, agent: Any) -> None:
    """Rasa's `_update_model_from_server`, with the new model loaded in a thread: Rasa loads
    it in the worker's event loop, which then answers nobody for the seconds a load takes
    (the kernel keeps handing that worker new connections meanwhile). The swap itself (the
    agent's processor, domain, responses) happens back in the loop, between two messages.
    One worker loads at a time (`load_lock` in endpoints.yml's `models:`, bot/launcher.py);
    a worker that finds another loading asks again at its next pull."""
    import asyncio

    from rasa.core import agent as rasa_agent
    from rasa.utils.common import TempDirectoryPath, get_temp_dir_name

    if os.environ.get("SAMTALE_RASAS_MODEL_LOADING") == "1":  # bench/model_swap.py compares
        return await rasas_update_model(model_server, agent)
    with one_load_at_a_time(model_server.kwargs.get("load_lock")) as mine, \
            TempDirectoryPath(get_temp_dir_name()) as directory:
        if not mine:
            log.debug("Another worker is loading a model; asking again at the next pull")
            return
        try:
            fingerprint = await rasa_agent._pull_model_and_fingerprint(
                model_server, agent.fingerprint, directory)
            if not fingerprint:
                return
            log.info("Loading the model %s from the model server", fingerprint)
            processor = await asyncio.get_running_loop().run_in_executor(
                None, load_and_warm_up, agent, directory)
            swap_processor(agent, processor, fingerprint)
            log.info("Now running the model %s", processor.model_filename)
        except Exception:  # as Rasa: a model that fails to load leaves the old one serving
            log.exception("Failed to update model. The previous model will stay loaded instead.")


# Parsed once by a freshly loaded model before it takes over: its first parse builds
# TensorFlow's graph for MiniLM (seconds), which would otherwise be some citizen's turn.
WARM_UP_TEXTS = ("hej, jeg drømmer om en have", "hello, I would like to help")


def load_and_warm_up(agent: Any, directory: str) -> MessageProcessor:
    processor = MessageProcessor(
        model_path=directory, tracker_store=agent.tracker_store, lock_store=agent.lock_store,
        action_endpoint=agent.action_endpoint, generator=agent.nlg,
        http_interpreter=agent.http_interpreter)
    for text in WARM_UP_TEXTS:  # a model that cannot parse raises here: the old one stays
        rasas_parse_with_graph(processor, UserMessage(text),
                               DialogueStateTracker("samtale-warm-up", processor.domain.slots))
    return processor


def swap_processor(agent: Any, processor: MessageProcessor, fingerprint: str) -> None:
    """What Agent.load_model does after building the processor (rasa/core/agent.py)."""
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    agent.processor = processor
    agent.domain = processor.domain
    agent._set_fingerprint(fingerprint)
    agent.tracker_store.domain = agent.domain
    if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
        agent.nlg.responses = agent.domain.responses if agent.domain else {}


WORKER_HEADER = "X-Samtale-Worker"
MODEL_HEADER = "X-Samtale-Model"


async def add_worker_header(request: Any, response: Any) -> None:
    """Which worker (pid) answered, and with which model file: how a test or the Deployments
    page sees that every worker switched."""
    response.headers[WORKER_HEADER] = str(os.getpid())
    agent = getattr(request.app.ctx, "agent", None)
    if agent is not None and agent.processor is not None:
        response.headers[MODEL_HEADER] = agent.processor.model_filename


def configure_app_with_worker_header(*args: Any, **kwargs: Any) -> Any:
    app = rasas_configure_app(*args, **kwargs)
    app.register_middleware(add_worker_header, "response")
    return app


def install_model_following() -> None:
    import rasa.core.agent
    import rasa.core.run

    global rasas_load_agent, rasas_load_from_server, rasas_configure_app, rasas_update_model
    rasas_load_agent = rasa.core.agent.load_agent
    rasas_update_model = rasa.core.agent._update_model_from_server
    rasas_load_from_server = rasa.core.agent.load_from_server
    rasas_configure_app = rasa.core.run.configure_app
    rasa.core.agent.load_agent = load_agent_remembering_the_local_model
    rasa.core.agent.load_from_server = load_local_model_then_follow_server
    rasa.core.agent._update_model_from_server = update_model_off_the_event_loop
    rasa.core.run.configure_app = configure_app_with_worker_header


def with_token_from_file(argv: list[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """`--auth-token` read from the 0600 file SAMTALE_RASA_TOKEN_FILE names (bot/launcher.py).

    The token stays off the command line, which `ps` shows every user of the machine; a change
    to sys.argv inside Python does not reach /proc/<pid>/cmdline.
    """
    path = environ.get("SAMTALE_RASA_TOKEN_FILE")
    if not path:
        return argv
    with open(path, encoding="utf-8") as token_file:
        return [*argv, f"--auth-token={token_file.read().strip()}"]


private_logs.install()
install_model_following()

if __name__ == "__main__":
    sys.argv = with_token_from_file(sys.argv)
    sys.exit(main())
