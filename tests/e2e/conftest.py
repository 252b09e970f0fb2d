"""Starts the real stack — Rasa engine, action server, web service — exactly as `make run` does
(the launcher's own Procfile commands), on test ports and a fresh database of each kind."""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, sync_playwright

from bot.settings import load_settings
from bot.stack import Stack, StackFailed
from bot.store import get_store

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-staff-token-0123456789"
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "var" / "test-screenshots"


# What a person who holds every conversation leaves behind, one outcome per conversation.
ALL_SIX = {"invitation", "possibility", "ownership", "dissent", "commitment", "gift"}


class Client:
    """What a chat channel and a staff member do: talk to Rasa, read the staff API."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.staff = httpx.Client(base_url=stack.web_url, timeout=30,
                                  headers={"Authorization": f"Bearer {TOKEN}"})

    def say(self, sender: str, message: str, language: str | None = None) -> list[dict]:
        body: dict = {"sender": sender, "message": message}
        if language:
            body["metadata"] = {"language": language}
        response = httpx.post(f"{self.stack.rasa_url}/webhooks/rest/webhook", json=body,
                              timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def transcript(self, conversation_id: str) -> list[str]:
        """What Rasa's tracker store holds of the conversation, read from the database itself."""
        return [line["text"] for line in get_store(self.stack.settings).transcript(conversation_id)]

    def outcomes(self, conversation_id: str) -> list[dict]:
        response = self.staff.get("/api/outcomes", params={"conversation_id": conversation_id})
        assert response.status_code == 200, response.text
        return sorted(response.json()["outcomes"], key=lambda o: o["id"])


def free_port() -> str:
    # Several test runs may share the machine; the kernel hands out an unused port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def stack_env(var_dir: Path, database: str | None) -> dict[str, str]:
    rasa, actions, web = free_port(), free_port(), free_port()
    env = {**os.environ, "SAMTALE_VAR_DIR": str(var_dir), "STAFF_API_TOKEN": TOKEN,
           "RASA_PORT": rasa, "ACTION_PORT": actions, "WEB_PORT": web,
           # A municipal page on this port embeds the widget across origins (test_widget.py).
           "WIDGET_ALLOWED_ORIGINS": f"http://127.0.0.1:{free_port()}"}
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{database}"
    env["DATABASE_URL"] = load_settings(env).database_url
    return env


def running_stack(kind: str, tmp_path_factory, *, workers: str, name: str = "e2e",
                  extra_env: dict[str, str] | None = None,
                  tracker_store_type: str | None = None) -> Iterator[Client]:
    """The three real servers on a fresh database of `kind` ("sqlite" or "postgresql"), stopped
    (and the database dropped) when the caller is done."""
    if not (ROOT / "models" / "samtale.tar.gz").exists():
        pytest.fail("no trained model: run `make train` (make test does it for you)")
    database = f"samtale_{name}_{uuid.uuid4().hex[:8]}" if kind == "postgresql" else None
    if database:
        _psql(f'CREATE DATABASE "{database}"')
    var_dir = tmp_path_factory.mktemp(f"{name}-{kind}")
    env = {**stack_env(var_dir, database), "RASA_WORKERS": workers}
    env.update({key: value.format(var_dir=var_dir) for key, value in (extra_env or {}).items()})
    running = Stack(load_settings(env), tracker_store_type=tracker_store_type).start(env)
    try:
        running.wait_until_ready()
        yield Client(running)
    except StackFailed as failure:
        pytest.fail(str(failure))
    finally:
        running.stop()
        if database:
            _psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql",
                                                                  marks=pytest.mark.postgres)])
def stack(request, tmp_path_factory) -> Iterator[Client]:
    # PostgreSQL as a two-core production server runs (two Rasa workers sharing conversation
    # locks, the default there); SQLite with one worker, Rasa's own in-memory locks.
    workers = "2" if request.param == "postgresql" else "1"
    yield from running_stack(request.param, tmp_path_factory, workers=workers)


def _psql(sql: str) -> None:
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("no Chromium at /usr/bin/chromium: run `make chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
