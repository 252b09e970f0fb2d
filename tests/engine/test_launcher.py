"""The launcher's `rasa run` command line, parsed by Rasa's own argument parser."""
from __future__ import annotations

import os
import shlex

from engine_python import run_in_engine

from bot.launcher import procfile_lines, write_endpoints
from bot.settings import load_settings

PARSE = r"""
import json, sys
from rasa.__main__ import create_argument_parser
args = create_argument_parser().parse_args(sys.argv[1:])
print(json.dumps({"auth_token": args.auth_token, "port": args.port, "model": args.model,
                  "enable_api": args.enable_api}))
"""


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_token(tmp_path):
    # URL-safe tokens start with "-" one time in 64; "--auth-token -x" made `rasa run` exit with 2.
    (tmp_path / "rasa_api_token").write_text("-Xy_secret-token")
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), "RASA_PORT": "5123"})
    rasa_line = next(line for line in procfile_lines(settings, write_endpoints(settings))
                     if line.startswith("rasa:"))
    command = shlex.split(rasa_line.split(" && ", 1)[1])
    arguments = command[command.index("engine.serve") + 1:]
    assert run_in_engine(PARSE, *arguments) == {
        "auth_token": "-Xy_secret-token", "port": 5123, "model": "models/samtale.tar.gz",
        "enable_api": True}


# What Rasa itself makes of the launcher's endpoints.yml and SANIC_WORKERS.
WORKERS = r"""
import json, os, sys
from rasa.core.lock_store import LockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import read_endpoint_config
os.environ["SANIC_WORKERS"] = sys.argv[2]
config = read_endpoint_config(sys.argv[1], "lock_store")
print(json.dumps({"workers": number_of_sanic_workers(config),
                  "lock_store": type(LockStore.create(config)).__name__}))
"""


def rasa_workers_for(tmp_path, env):
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), **env})
    endpoints = write_endpoints(settings)
    rasa_line = next(line for line in procfile_lines(settings, endpoints)
                     if line.startswith("rasa:"))
    workers = next(word.split("=", 1)[1] for word in shlex.split(rasa_line)
                   if word.startswith("SANIC_WORKERS="))
    return run_in_engine(WORKERS, str(endpoints), workers)


def test_one_rasa_worker_keeps_rasas_own_lock_store(tmp_path):
    assert rasa_workers_for(tmp_path, {"RASA_WORKERS": "1"}) == {
        "workers": 1, "lock_store": "InMemoryLockStore"}


def test_by_default_one_rasa_worker_per_core_at_most_two(tmp_path):
    cores = len(os.sched_getaffinity(0))
    expected = {"workers": min(cores, 2),
                "lock_store": "FileLockStore" if cores > 1 else "InMemoryLockStore"}
    assert rasa_workers_for(tmp_path, {}) == expected
    (tmp_path / "auto").mkdir()
    assert rasa_workers_for(tmp_path / "auto", {"RASA_WORKERS": "auto"}) == expected


def test_several_rasa_workers_share_locks_through_files(tmp_path):
    assert rasa_workers_for(tmp_path, {"RASA_WORKERS": "2"}) == {
        "workers": 2, "lock_store": "FileLockStore"}
    assert (tmp_path / "locks").is_dir()
