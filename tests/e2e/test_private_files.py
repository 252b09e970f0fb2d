"""The running stack keeps its files private and its secrets off every command line.

`ps` and /proc/<pid>/cmdline show every process's arguments to every user of the machine; the
environment and 0600 files in a 0700 var/ are the owner's alone.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest

from bot.stack import _group_pids

from .conftest import TOKEN

pytestmark = pytest.mark.e2e


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_and_what_the_servers_wrote_there_are_private(stack):
    stack.say("private-files-1", "hej")  # Rasa has written its log and the database by now
    var_dir = stack.stack.settings.var_dir
    assert mode(var_dir) == 0o700
    expected = {"Procfile", "endpoints.yml", "rasa_api_token", "rasa.log",
                "rasa.out", "actions.out", "web.out"}
    if stack.stack.settings.database_url.startswith("sqlite"):
        expected |= {"samtale.db", "samtale.db-wal", "samtale.db-shm"}
    present = {path.name for path in var_dir.iterdir() if path.is_file()}
    assert expected <= present, expected - present
    wider = {path.name: oct(mode(path)) for path in var_dir.rglob("*")
             if path.is_file() and mode(path) & 0o077}
    assert wider == {}


def test_no_secret_in_any_servers_command_line(stack):
    settings = stack.stack.settings
    rasa_token = (settings.var_dir / "rasa_api_token").read_text().strip()
    secrets = [rasa_token, TOKEN]
    secrets += [(settings.var_dir / name).read_text().strip()
                for name in ("pseudonym_key", "action_server_token", "telegram_webhook_secret")
                if (settings.var_dir / name).exists()]
    if "@" in settings.database_url and ":" in settings.database_url.split("@")[0][12:]:
        secrets.append(settings.database_url.split("@")[0].rsplit(":", 1)[1])
    pids = [pid for process in stack.stack.processes.values()
            for pid in _group_pids(process.pid)]
    assert len(pids) >= 3  # bash + the servers (and Rasa's workers)
    command_lines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                     for pid in pids if Path(f"/proc/{pid}/cmdline").exists()}
    assert any("engine.serve" in line for line in command_lines.values())
    for pid, line in command_lines.items():
        for secret in secrets:
            assert secret not in line, f"a secret on the command line of {pid}: {line[:80]}"
    # The token still reached Rasa, through the file: its API answers with it and not without.
    status = f"{stack.stack.rasa_url}/status"
    assert httpx.get(status, params={"token": rasa_token}, timeout=10).status_code == 200
    assert httpx.get(status, timeout=10).status_code == 401
    assert os.environ.get("SAMTALE_RASA_TOKEN_FILE") is None  # nothing leaked into the tests
