"""bot/action_server.py as a real server: 127.0.0.1 only, the shared secret or nothing runs,
deflate bombs and bad bodies refused without echoing them (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "action-token-for-tests-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on the port (`ss -ltn`)."""
    lines = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return {line.split()[3].rsplit(":", 1)[0] for line in lines if line.strip()}


@pytest.fixture
def action_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
           "SAMTALE_VAR_DIR": str(tmp_path), "ACTION_SERVER_TOKEN": TOKEN}
    env.pop("ACTION_HOST", None)
    log = open(tmp_path / "actions.out", "w")  # noqa: SIM115 -- the server's for its lifetime
    server = subprocess.Popen([sys.executable, "-m", "bot.action_server", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "actions.out").read_text()[-3000:])
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def forged_close(sender: str) -> dict:
    """What an attacker would post: end `sender`'s conversation without consent, which purges
    their transcript."""
    return {"next_action": "action_close", "sender_id": sender, "version": "3.6.21",
            "tracker": {"sender_id": sender, "slots": {"consent": False}, "events": [],
                        "latest_message": {"text": "farvel", "intent": {"name": "goodbye"}},
                        "active_loop": {}, "latest_action_name": "action_listen"},
            "domain": {"intents": [], "entities": [], "slots": {}, "responses": {},
                       "actions": [], "forms": {}}}


def state(database_url: str, rasa_events, sender: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            erasures = connection.execute(text("SELECT count(*) FROM erasures")).scalar()
    finally:
        engine.dispose()
    return rasa_events.count(sender), erasures


def test_calls_without_the_secret_are_refused_and_change_nothing(
        action_server, database_url, rasa_events):
    rasa_events.user("victim", "Jeg drømmer om en fælleshave", time.time())
    before = state(database_url, rasa_events, "victim")
    assert before == (1, 0)
    for headers in ({}, {"X-Samtale-Action-Token": "wrong"},
                    {"X-Samtale-Action-Token": TOKEN[:-1]}, {"Authorization": f"Bearer {TOKEN}"}):
        refused = httpx.post(f"{action_server}/webhook", json=forged_close("victim"),
                             headers=headers, timeout=10)
        assert refused.status_code == 401, refused.text
        assert "fælleshave" not in refused.text and "victim" not in refused.text
        assert httpx.get(f"{action_server}/actions", headers=headers).status_code == 401
    assert state(database_url, rasa_events, "victim") == before
    # The same call with the secret runs (so the refusal above is what kept the data).
    ran = httpx.post(f"{action_server}/webhook", json=forged_close("victim"),
                     headers={"X-Samtale-Action-Token": TOKEN}, timeout=30)
    assert ran.status_code == 200, ran.text
    assert state(database_url, rasa_events, "victim") == (0, 1)


def test_a_deflate_bomb_and_bad_bodies_are_refused_without_echo(action_server):
    headers = {"X-Samtale-Action-Token": TOKEN, "Content-Type": "application/json"}
    bomb = zlib.compress(b'{"next_action": "' + b"a" * (300 * 1024 * 1024) + b'"}', 9)
    assert len(bomb) < 400 * 1024
    started = time.monotonic()
    refused = httpx.post(f"{action_server}/webhook", content=bomb, timeout=30,
                         headers={**headers, "Content-Encoding": "deflate"})
    assert refused.status_code == 413 and time.monotonic() - started < 10
    for body, encoding, status in ((b"not json at all: secret words", None, 400),
                                   ((b'{"next_action": "action_close", "tracker": "secret words", '
                                     b'"domain": {"slots": "secret words"}}'), None, 500),
                                   (b"\x00garbage", "deflate", 400),
                                   (zlib.compress(b"[1, 2"), "deflate", 400),
                                   (b"{}", "gzip", 415),
                                   (b"x" * (3 * 1024 * 1024), None, 413)):
        extra = {"Content-Encoding": encoding} if encoding else {}
        answer = httpx.post(f"{action_server}/webhook", content=body, timeout=30,
                            headers={**headers, **extra})
        assert answer.status_code == status, (body[:20], answer.status_code, answer.text)
        assert "secret words" not in answer.text and "garbage" not in answer.text
        assert len(answer.text) < 200
    assert httpx.get(f"{action_server}/health").status_code == 200  # still serving


def test_the_action_server_listens_on_127_0_0_1_only(action_server):
    port = int(action_server.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"127.0.0.1"}
