"""The `models:` endpoint the launcher writes, as Rasa itself reads it (rasa.core.utils.
AvailableEndpoints), and engine/serve.py's hooks into Rasa's model pulling."""
from __future__ import annotations

import yaml
from engine_python import run_in_engine

from bot.launcher import write_endpoints
from bot.settings import load_settings
from bot.web.trainer.model_server import PATH, TOKEN_HEADER, model_server_token

READ = r"""
import json, sys
from rasa.core.utils import AvailableEndpoints
model = AvailableEndpoints.read_endpoints(sys.argv[1]).model
print(json.dumps(None if model is None else {
    "url": model.url, "headers": model.headers, "params": model.combine_parameters(),
    "wait": model.kwargs.get("wait_time_between_pulls"), "lock": model.kwargs.get("load_lock")}))
"""


def test_rasa_pulls_from_the_web_service_with_the_token_in_a_header(tmp_path):
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), "WEB_PORT": "8123",
                              "MODEL_PULL_SECONDS": "3"})
    assert run_in_engine(READ, str(write_endpoints(settings))) == {
        "url": f"http://127.0.0.1:8123{PATH}",
        "headers": {TOKEN_HEADER: model_server_token(settings)},
        "params": {},  # no ?token=: it would be written into access logs
        "wait": 3, "lock": str(tmp_path / "model_load.lock")}


def test_with_a_staff_port_rasa_pulls_from_the_staff_side(tmp_path):
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), "WEB_HOST": "0.0.0.0",
                              "STAFF_PORT": "8124", "STAFF_HOST": "0.0.0.0"})
    assert run_in_engine(READ, str(write_endpoints(settings)))["url"] == (
        f"http://127.0.0.1:8124{PATH}")


def test_without_the_model_server_rasa_runs_the_local_model_only(tmp_path):
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), "MODEL_SERVER": "false"})
    endpoints = write_endpoints(settings)
    assert "models" not in yaml.safe_load(endpoints.read_text())
    assert run_in_engine(READ, str(endpoints)) is None


HOOKS = r"""
import json
import rasa.core.agent, rasa.core.run
import engine.serve as serve
print(json.dumps({
    "load_agent": rasa.core.agent.load_agent is serve.load_agent_remembering_the_local_model,
    "load_from_server": rasa.core.agent.load_from_server is serve.load_local_model_then_follow_server,
    "update": rasa.core.agent._update_model_from_server is serve.update_model_off_the_event_loop,
    "configure_app": rasa.core.run.configure_app is serve.configure_app_with_worker_header}))
"""


def test_serve_hooks_into_the_functions_rasa_calls_through_module_globals():
    # rasa/core/run.py calls agent.load_agent and configure_app; agent.py calls
    # load_from_server and _update_model_from_server (from its pull job) by their global names.
    assert run_in_engine(HOOKS) == {"load_agent": True, "load_from_server": True,
                                    "update": True, "configure_app": True}


TAKE_TURNS = r"""
import json, sys
from engine.serve import one_load_at_a_time
path = sys.argv[1]
with one_load_at_a_time(path) as first:
    with one_load_at_a_time(path) as second:  # another worker meanwhile
        pass
with one_load_at_a_time(path) as after:
    pass
with one_load_at_a_time(None) as unlocked:
    pass
print(json.dumps([first, second, after, unlocked]))
"""


def test_the_workers_load_a_new_model_one_at_a_time(tmp_path):
    # The second open is a separate open file description, as another worker's process is.
    assert run_in_engine(TAKE_TURNS, str(tmp_path / "model_load.lock")) == [
        True, False, True, True]


SWAP = r"""
import json, shutil, sys, tempfile
import engine.serve as serve
from rasa.core.agent import Agent
agent = Agent()
agent.load_model("models/samtale.tar.gz", fingerprint='"old"')
old = agent.processor
pulled = tempfile.mkdtemp()
shutil.copy("models/samtale.tar.gz", pulled + "/20260101T000000-0123abcd.tar.gz")
processor = serve.load_and_warm_up(agent, pulled)
before_swap = agent.processor is old  # loading does not touch the running agent
serve.swap_processor(agent, processor, '"new"')
broken = tempfile.mkdtemp()
open(broken + "/broken.tar.gz", "wb").write(b"not a model")
try:
    serve.load_and_warm_up(agent, broken)
    refused = False
except Exception:
    refused = True
print(json.dumps({"before_swap": before_swap, "file": agent.processor.model_filename,
                  "fingerprint": agent.fingerprint, "refused": refused,
                  "responses": agent.nlg.responses is agent.domain.responses,
                  "tracker_domain": agent.tracker_store.domain is agent.domain}))
"""


def test_a_pulled_model_is_loaded_and_warmed_up_aside_then_swapped_in_whole():
    assert run_in_engine(SWAP) == {
        "before_swap": True, "file": "20260101T000000-0123abcd.tar.gz", "fingerprint": '"new"',
        "refused": True, "responses": True, "tracker_domain": True}
