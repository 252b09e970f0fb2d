"""Starts the real stack — Rasa engine, action server, web service — exactly as `make run` does
(the launcher's own Procfile commands), on test ports and a fresh database of each kind."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from bot.launcher import prepare, procfile_lines
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-staff-token-0123456789"
STARTUP_SECONDS = 240


class Stack:
    def __init__(self, settings, processes, log_dir: Path):
        self.settings, self.processes, self.log_dir = settings, processes, log_dir
        self.rasa = f"http://127.0.0.1:{settings.rasa_port}"
        self.web = f"http://127.0.0.1:{settings.web_port}"
        self.staff = httpx.Client(base_url=self.web, timeout=30,
                                  headers={"Authorization": f"Bearer {TOKEN}"})

    def say(self, sender: str, message: str, language: str | None = None) -> list[dict]:
        body: dict = {"sender": sender, "message": message}
        if language:
            body["metadata"] = {"language": language}
        response = httpx.post(f"{self.rasa}/webhooks/rest/webhook", json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def outcomes(self, conversation_id: str) -> list[dict]:
        response = self.staff.get("/api/outcomes", params={"conversation_id": conversation_id})
        assert response.status_code == 200, response.text
        return sorted(response.json()["outcomes"], key=lambda o: o["id"])

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.read_text()[-3000:]}"
                         for p in sorted(self.log_dir.glob("*.log")))


def _wait_until_ready(stack: Stack) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                pytest.fail(f"{name} exited with {process.returncode}\n{stack.logs()}")
        try:
            rasa = httpx.get(f"{stack.rasa}/status", params={"token": rasa_token(stack)}, timeout=2)
            web = httpx.get(f"{stack.web}/api/health", timeout=2)
            actions = httpx.get(f"http://127.0.0.1:{stack.settings.action_port}/health", timeout=2)
            if rasa.status_code == web.status_code == actions.status_code == 200 \
                    and rasa.json().get("model_file"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"the stack was not ready within {STARTUP_SECONDS} s\n{stack.logs()}")


def rasa_token(stack: Stack) -> str:
    return (stack.settings.var_dir / "rasa_api_token").read_text().strip()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql",
                                                                  marks=pytest.mark.postgres)])
def stack(request, tmp_path_factory) -> Iterator[Stack]:
    if not (ROOT / "models" / "samtale.tar.gz").exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    var_dir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    env = {
        **os.environ,
        "SAMTALE_VAR_DIR": str(var_dir),
        "STAFF_API_TOKEN": TOKEN,
        "RASA_PORT": "5105" if request.param == "sqlite" else "5205",
        "ACTION_PORT": "5155" if request.param == "sqlite" else "5255",
        "WEB_PORT": "8100" if request.param == "sqlite" else "8200",
        "NO_CONSENT_PURGE_MINUTES": "30",
    }
    database = None
    if request.param == "postgresql":
        database = f"samtale_e2e_{uuid.uuid4().hex[:8]}"
        _psql(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    else:
        env.pop("DATABASE_URL", None)
    settings = load_settings(env)
    env["DATABASE_URL"] = settings.database_url
    procfile = prepare(settings)
    processes = {}
    for line in procfile_lines(settings, settings.var_dir / "endpoints.yml"):
        name, command = line.split(": ", 1)
        log = open(var_dir / f"{name}.log", "w")
        processes[name] = subprocess.Popen(["bash", "-c", command],
                                           cwd=ROOT, env=env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)
    stack = Stack(settings, processes, var_dir)
    try:
        _wait_until_ready(stack)
        yield stack
    finally:
        for process in processes.values():
            _signal_group(process, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
        if database:
            _psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _psql(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql)


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def buttons(replies: list[dict]) -> list[dict]:
    return [b for r in replies for b in r.get("buttons") or []]


def button(replies: list[dict], title_start: str) -> str:
    """The payload of the button whose title starts with the given words (as a person taps it)."""
    for b in buttons(replies):
        if b["title"].startswith(title_start):
            return b["payload"]
    raise AssertionError(f"no button {title_start!r} in {[b['title'] for b in buttons(replies)]}")
