"""The launcher's `rasa run` command line, parsed by Rasa's own argument parser; the files the
launcher writes (modes) and the secrets its command lines must not carry."""
from __future__ import annotations

import os
import shlex
import sqlite3
import stat

from engine_python import run_in_engine

from bot.launcher import prepare, procfile_lines, write_endpoints
from bot.settings import load_settings

PARSE = r"""
import json, os, sys
from engine.serve import with_token_from_file
from rasa.__main__ import create_argument_parser
os.environ["SAMTALE_RASA_TOKEN_FILE"] = sys.argv[1]
args = create_argument_parser().parse_args(with_token_from_file(sys.argv[2:]))
print(json.dumps({"auth_token": args.auth_token, "port": args.port, "model": args.model,
                  "enable_api": args.enable_api}))
"""


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_token(tmp_path):
    # URL-safe tokens start with "-" one time in 64; "--auth-token -x" made `rasa run` exit with 2.
    (tmp_path / "rasa_api_token").write_text("-Xy_secret-token")
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), "RASA_PORT": "5123"})
    rasa_line = next(line for line in procfile_lines(settings, write_endpoints(settings))
                     if line.startswith("rasa:"))
    assert "-Xy_secret-token" not in rasa_line  # the token travels in a file, not in argv
    command = shlex.split(rasa_line.split(" && ", 1)[1])
    token_file = next(word.split("=", 1)[1] for word in command
                      if word.startswith("SAMTALE_RASA_TOKEN_FILE="))
    assert token_file == str(tmp_path / "rasa_api_token")
    arguments = command[command.index("engine.serve") + 1:]
    assert run_in_engine(PARSE, token_file, *arguments) == {
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


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_prepare_creates_var_and_every_file_private(tmp_path):
    var_dir = tmp_path / "fresh" / "var"
    env = {"SAMTALE_VAR_DIR": str(var_dir), "RASA_WORKERS": "2", "TELEGRAM_BOT_TOKEN": "1:x",
           "DATABASE_URL": f"sqlite:///{var_dir}/samtale.db"}
    old_umask = os.umask(0o022)  # a usual login umask: without care, files come out 0644
    try:
        procfile = prepare(load_settings(env))
    finally:
        os.umask(old_umask)
    assert mode(var_dir) == 0o700
    for name in ("samtale.db", "endpoints.yml", "Procfile", "rasa_api_token"):
        assert mode(var_dir / name) == 0o600, name
    assert procfile == var_dir / "Procfile"
    # SQLite gives -wal and -shm the database file's mode: open it as the servers do.
    database = sqlite3.connect(var_dir / "samtale.db")
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("CREATE TABLE probe (x)")
    try:
        for name in ("samtale.db-wal", "samtale.db-shm"):
            assert mode(var_dir / name) == 0o600, name
    finally:
        database.close()
    assert not [p.name for p in var_dir.iterdir() if p.name.endswith(".draft")]


def test_an_existing_world_readable_var_and_procfile_are_narrowed(tmp_path):
    tmp_path.chmod(0o755)
    (tmp_path / "Procfile").write_text("old\n")
    (tmp_path / "Procfile").chmod(0o644)
    (tmp_path / "endpoints.yml").write_text("old: 1\n")
    (tmp_path / "endpoints.yml").chmod(0o666)
    prepare(load_settings({"SAMTALE_VAR_DIR": str(tmp_path)}))
    assert mode(tmp_path) == 0o700
    assert mode(tmp_path / "Procfile") == mode(tmp_path / "endpoints.yml") == 0o600
    assert "old" not in (tmp_path / "Procfile").read_text()


def test_no_secret_on_any_command_line(tmp_path):
    secrets_env = {"STAFF_API_TOKEN": "staff-secret-0123456789",
                   "ACTION_SERVER_TOKEN": "action-secret-0123456789",
                   "SAMTALE_PSEUDONYM_KEY": "pseudonym-secret-0123456789",
                   "TELEGRAM_BOT_TOKEN": "123:telegram-secret",
                   "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-0123456789",
                   "DATABASE_URL": "postgresql://sam:database-secret@127.0.0.1:1/samtale"}
    settings = load_settings({"SAMTALE_VAR_DIR": str(tmp_path), **secrets_env})
    lines = procfile_lines(settings, write_endpoints(settings))
    assert {line.split(":", 1)[0] for line in lines} == {"rasa", "actions", "web", "telegram"}
    generated = [(tmp_path / name).read_text().strip() for name in ("rasa_api_token",)]
    for secret in [*generated, "staff-secret", "action-secret", "pseudonym-secret",
                   "telegram-secret", "webhook-secret", "database-secret"]:
        assert all(secret not in line for line in lines), secret
    # The database password is in endpoints.yml (Rasa reads it there), which is 0600.
    assert "database-secret" in (tmp_path / "endpoints.yml").read_text()
    assert mode(tmp_path / "endpoints.yml") == 0o600
