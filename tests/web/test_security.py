"""The web service's public edge (issue 10: 3, 5, 6, 8, 9): widget sessions, CORS, the demo
page's address, rate limits, the two surfaces, security headers, API docs, size limits and logs.

Rasa is not running here (rasa_url points at a closed port), so a message the proxy accepts is
answered 503 "can't answer right now": that 503 is how these tests see that a request got past
the checks. The real widget against the real stack is tests/e2e/test_widget.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from bot.channels.webchat.router import NOT_ISSUED, SLOW_DOWN, TOO_LONG, UNAVAILABLE, UNREADABLE
from bot.launcher import procfile_lines
from bot.settings import Settings, load_settings
from bot.web.app import create_app

CLOSED = "http://127.0.0.1:9"  # nothing listens there: Rasa "down", answered at once
ALLOWED = "https://www.kommune.dk"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., FastAPI]]:
    apps: list[FastAPI] = []

    def make(surface: str = "all", **changes: object) -> FastAPI:
        changes = {"rasa_url": CLOSED, "widget_allowed_origins": (ALLOWED,), **changes}
        app = create_app(settings.model_copy(update=changes), surface=surface)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.store.close()


@pytest.fixture
def chat(make_app: Callable[..., FastAPI]) -> TestClient:
    return TestClient(make_app())


def new_session(client: TestClient, **kwargs: object) -> str:
    response = client.post("/chat/api/sessions", json={"language": "da"}, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["session"]


def say(client: TestClient, session: str, message: str = "hej", language: str = "da",
        **kwargs: object) -> httpx.Response:
    # json.dumps escapes as JSON does (\ud800 stays an escape), as a browser's JSON.stringify.
    body = json.dumps({"session": session, "message": message, "language": language})
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return client.post("/chat/api/messages", content=body, headers=headers, **kwargs)


# ---- 3. sessions issued and signed by the server ------------------------------------------

def test_sessions_are_issued_random_and_signed_with_a_private_key(
    chat: TestClient, settings: Settings
) -> None:
    sessions = {new_session(chat) for _ in range(50)}
    assert len(sessions) == 50
    for session in sessions:
        random_part, issued, signature = session.split(".")
        assert len(random_part) == 22 and len(signature) == 43  # 128 random bits, HMAC-SHA256
        assert 4 <= len(issued) <= 8
    key = settings.var_dir / "widget_session_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) >= 43
    session = sessions.pop()
    response = say(chat, session, language="en")
    assert response.status_code == 503  # accepted: relayed to Rasa, which is down here
    assert response.json() == {"detail": UNAVAILABLE["en"]}


def _tampered(session: str) -> str:
    last = session[-2]
    return session[:-2] + ("A" if last != "A" else "B") + session[-1]


@pytest.mark.parametrize("make_session", [
    lambda valid: "a" * 16,  # the weak ids today's proxy takes
    lambda valid: "a" * 32,
    lambda valid: secrets.token_hex(16),  # what today's widget makes for itself
    lambda valid: secrets.token_urlsafe(48),
    lambda valid: valid.split(".")[0],  # the random part without its signature
    lambda valid: valid.split(".")[0] + ".",
    lambda valid: "." + valid.split(".", 1)[1],
    _tampered,
    lambda valid: secrets.token_urlsafe(16) + "." + valid.split(".", 1)[1],  # another's signature
    lambda valid: ".".join(valid.split(".")[::2]),  # without its time: the old format
    lambda valid: valid + "x",
    lambda valid: valid.upper(),
    lambda valid: "",
    lambda valid: "../../etc/passwd/abcdef",
    lambda valid: "æøå" * 6,
], ids=["16-equal", "32-equal", "hex-from-browser", "long-random", "unsigned", "empty-sig",
        "no-random", "tampered", "swapped-sig", "timeless", "suffix", "upper", "empty", "path", "non-ascii"])
@pytest.mark.parametrize("language", ["da", "en"])
def test_the_proxy_refuses_sessions_it_did_not_issue(
    chat: TestClient, make_session: Callable[[str], str], language: str
) -> None:
    forged = make_session(new_session(chat))
    response = say(chat, forged, language=language)
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_ISSUED[language]}


def test_a_session_expires_after_widget_session_days(
    make_app: Callable[..., FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    import itsdangerous.timed

    chat = TestClient(make_app())
    days = chat.app.state.settings.widget_session_days
    issued_at = time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: issued_at)
    session = new_session(chat)
    monkeypatch.setattr(itsdangerous.timed.time, "time",
                        lambda: issued_at + days * 86400 - 60)
    assert say(chat, session).status_code == 503  # still valid: relayed (Rasa is down here)
    monkeypatch.setattr(itsdangerous.timed.time, "time",
                        lambda: issued_at + days * 86400 + 60)
    response = say(chat, session, language="en")
    assert response.status_code == 401
    assert response.json() == {"detail": NOT_ISSUED["en"]}


def test_a_session_signed_with_another_servers_key_is_refused(
    make_app: Callable[..., FastAPI], tmp_path
) -> None:
    ours = TestClient(make_app())
    theirs = TestClient(make_app(var_dir=tmp_path / "elsewhere"))
    assert say(ours, new_session(theirs)).status_code == 401
    assert say(ours, new_session(ours)).status_code == 503


def test_the_key_is_kept_so_sessions_survive_a_restart(make_app: Callable[..., FastAPI]) -> None:
    session = new_session(TestClient(make_app()))
    assert say(TestClient(make_app()), session).status_code == 503  # a new process, same key


# ---- 3. CORS for the configured sites only; the demo page's address -----------------------

PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


@pytest.mark.parametrize("path", ["/chat/api/sessions", "/chat/api/messages"])
def test_an_allowed_site_gets_cors_answers(chat: TestClient, path: str) -> None:
    preflight = chat.options(path, headers={"Origin": ALLOWED, **PREFLIGHT})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    session = new_session(chat, headers={"Origin": ALLOWED})
    answer = say(chat, session, headers={"Origin": ALLOWED})
    assert answer.status_code == 503  # relayed
    assert answer.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize("origin", ["https://attacker.example", "http://www.kommune.dk",
                                    "https://www.kommune.dk.attacker.example", "null",
                                    "https://kommune.dk"])
def test_any_other_site_gets_no_cors_answer_and_is_refused(chat: TestClient, origin: str) -> None:
    preflight = chat.options("/chat/api/messages", headers={"Origin": origin, **PREFLIGHT})
    assert "access-control-allow-origin" not in preflight.headers
    session = new_session(chat)  # made without an Origin, as curl would
    for response in (say(chat, session, headers={"Origin": origin}),
                     chat.post("/chat/api/sessions", json={}, headers={"Origin": origin})):
        assert response.status_code == 403
        assert response.json() == {"detail": "This site may not use the Samtale chat."}
        assert "access-control-allow-origin" not in response.headers


def test_the_staff_api_answers_no_cors_even_for_the_widgets_sites(chat: TestClient) -> None:
    response = chat.options("/api/outcomes", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert "access-control-allow-origin" not in response.headers


def test_the_demo_page_uses_the_public_url_not_the_host_header(
    make_app: Callable[..., FastAPI]
) -> None:
    client = TestClient(make_app(public_url="https://chat.kommune.dk"))
    for lang in ("da", "en"):
        page = client.get(f"/?lang={lang}", headers={"Host": "attacker.example"})
        assert page.status_code == 200
        assert "attacker.example" not in page.text
        assert 'src="https://chat.kommune.dk/chat/widget.js"' in page.text
        assert 'data-server="https://chat.kommune.dk"' in page.text


def test_public_url_defaults_to_the_web_port_on_loopback() -> None:
    assert load_settings({"WEB_PORT": "8123"}).public_url == "http://127.0.0.1:8123"
    with pytest.raises(ValueError, match="WIDGET_ALLOWED_ORIGINS"):
        load_settings({"WIDGET_ALLOWED_ORIGINS": "*"})


# ---- 5. rate limits ------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["da", "en"])
def test_one_session_is_slowed_down_kindly(make_app: Callable[..., FastAPI],
                                           language: str) -> None:
    client = TestClient(make_app(chat_rate_limit_session="3/minute"))
    session, other = new_session(client), new_session(client)
    assert [say(client, session, language=language).status_code for _ in range(3)] == [503] * 3
    slowed = say(client, session, language=language)
    assert slowed.status_code == 429 and slowed.json() == {"detail": SLOW_DOWN[language]}
    assert say(client, other).status_code == 503  # another session is not held up


def test_one_client_address_is_slowed_down_over_all_its_sessions(
    make_app: Callable[..., FastAPI]
) -> None:
    app = make_app(chat_rate_limit_address="6/minute")
    client = TestClient(app, client=("203.0.113.7", 4000))
    sessions = [new_session(client) for _ in range(3)]
    assert [say(client, s).status_code for s in sessions] == [503] * 3
    slowed = client.post("/chat/api/sessions", json={"language": "en"})
    assert slowed.status_code == 429 and slowed.json() == {"detail": SLOW_DOWN["en"]}
    assert say(client, sessions[0]).status_code == 429
    neighbour = TestClient(app, client=("203.0.113.8", 4000))
    assert say(neighbour, new_session(neighbour)).status_code == 503


def test_with_redis_every_web_process_shares_the_counts(make_app: Callable[..., FastAPI]) -> None:
    # Two apps stand for two web processes: in memory each would allow 4; through Redis, 4 in all.
    address = f"198.51.100.{secrets.randbelow(250) + 1}-{secrets.token_hex(4)}"
    settings = {"redis_url": REDIS_URL, "chat_rate_limit_address": "4/minute"}
    with TestClient(make_app(**settings), client=(address, 1)) as one, \
         TestClient(make_app(**settings), client=(address, 1)) as two:
        codes = [client.post("/chat/api/sessions", json={}).status_code
                 for client in (one, two, one, two, one, two)]
    assert codes == [200, 200, 200, 200, 429, 429]
    with TestClient(make_app(chat_rate_limit_address="4/minute"), client=(address, 1)) as mem:
        assert mem.post("/chat/api/sessions", json={}).status_code == 200  # memory: its own count


def test_redis_down_leaves_the_chat_open(make_app: Callable[..., FastAPI], caplog) -> None:
    with TestClient(make_app(redis_url="redis://127.0.0.1:9/0")) as client:
        response = client.post("/chat/api/sessions", json={})
    assert response.status_code == 200
    assert "Rate-limit storage failed" in caplog.text


# ---- 5. the public and the staff surfaces --------------------------------------------------

def test_the_public_surface_has_no_staff_api(make_app: Callable[..., FastAPI],
                                             staff_headers: dict) -> None:
    public = TestClient(make_app("public"))
    for path in ("/api/outcomes", "/api/conversations/c1"):
        assert public.get(path, headers=staff_headers).status_code == 404
    assert public.patch("/api/outcomes/1", json={}, headers=staff_headers).status_code == 404
    assert public.get("/api/health").json() == {"status": "ok"}
    assert public.get("/").status_code == 200 and public.get("/chat/widget.js").status_code == 200
    assert say(public, new_session(public)).status_code == 503


def test_the_staff_surface_has_no_chat(make_app: Callable[..., FastAPI],
                                       staff_headers: dict) -> None:
    staff = TestClient(make_app("staff"))
    assert staff.post("/chat/api/messages", json={"session": "x", "message": "hej"}
                      ).status_code == 404
    assert staff.post("/chat/api/sessions", json={}).status_code == 404
    assert staff.get("/").status_code == 404 and staff.get("/chat/widget.js").status_code == 404
    assert staff.get("/api/outcomes", headers=staff_headers).status_code == 200
    assert staff.get("/api/health").json() == {"status": "ok"}


def test_the_launcher_runs_the_staff_side_apart_when_asked(tmp_path) -> None:
    env = {"SAMTALE_VAR_DIR": str(tmp_path), "WEB_PORT": "8100"}
    joint = [line for line in procfile_lines(load_settings(env), tmp_path / "e.yml")
             if line.startswith(("web:", "staff:"))]
    assert len(joint) == 1 and re.search(r"create_app --host 127\.0\.0\.1 --port 8100$", joint[0])
    split = load_settings({**env, "STAFF_HOST": "10.0.0.5", "STAFF_PORT": "8200"})
    lines = [line for line in procfile_lines(split, tmp_path / "e.yml")
             if line.startswith(("web:", "staff:"))]
    assert [line.split(":")[0] for line in lines] == ["web", "staff"]
    assert re.search(r"create_public_app --host 127\.0\.0\.1 --port 8100$", lines[0])
    assert re.search(r"create_staff_app --host 10\.0\.0\.5 --port 8200$", lines[1])
    with pytest.raises(ValueError, match="STAFF_PORT"):
        load_settings({**env, "STAFF_HOST": "10.0.0.5"})


# ---- 6. security headers, API docs ---------------------------------------------------------

def _requests(client: TestClient, staff_headers: dict) -> list[tuple[str, httpx.Response]]:
    session = new_session(client)
    return [
        ("demo", client.get("/")),
        ("widget.js", client.get("/chat/widget.js")),
        ("health", client.get("/api/health")),
        ("outcomes", client.get("/api/outcomes", headers=staff_headers)),
        ("outcomes 401", client.get("/api/outcomes")),
        ("session", client.post("/chat/api/sessions", json={})),
        ("message 503", say(client, session)),
        ("message 401", say(client, "a" * 16)),
        ("message 422", client.post("/chat/api/messages", json={"message": 1})),
        ("message 413", client.post("/chat/api/messages", content=b"x" * 70_000,
                                    headers={"Content-Type": "application/json"})),
        ("404", client.get("/nowhere")),
    ]


def test_every_response_carries_the_security_headers(chat: TestClient,
                                                     staff_headers: dict) -> None:
    for name, response in _requests(chat, staff_headers):
        headers = response.headers
        csp = headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp and "default-src 'self'" in csp, name
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("referrer-policy") == "same-origin", name
        assert headers.get("x-frame-options") == "DENY", name


def test_personal_data_is_never_cached(chat: TestClient, staff_headers: dict) -> None:
    responses = dict(_requests(chat, staff_headers))
    for name in ("outcomes", "outcomes 401", "session", "message 503", "message 401",
                 "message 422"):
        assert responses[name].headers.get("cache-control") == "no-store", name
    assert responses["widget.js"].headers.get("cache-control") != "no-store"  # may be cached


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or "style" in names or any(n.startswith("on") for n in names):
            self.inline.append(tag)
        if tag == "script":
            src = dict(attrs).get("src")
            self.scripts.append(src or "")
            if not src:
                self.inline.append("script")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_demo_page_has_no_inline_script_or_style(chat: TestClient, lang: str) -> None:
    finder = _InlineFinder()
    finder.feed(chat.get(f"/?lang={lang}").text)
    assert finder.inline == []
    assert finder.scripts == ["http://127.0.0.1:8000/chat/widget.js"]
    assert chat.get("/chat/demo.css").status_code == 200


def test_api_docs_are_off_by_default(chat: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/static/swagger-ui-bundle.js"):
        assert chat.get(path).status_code == 404, path


def test_api_docs_when_enabled_load_nothing_from_elsewhere(
    make_app: Callable[..., FastAPI]
) -> None:
    client = TestClient(make_app(enable_api_docs=True))
    page = client.get("/docs")
    assert page.status_code == 200
    finder = _InlineFinder()
    finder.feed(page.text)
    assert "script" not in finder.inline and "//" not in "".join(finder.scripts)
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    for src in [*finder.scripts, "/docs/static/swagger-ui.css"]:
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 200, src
    assert "cdn" not in client.get("/docs/static/init.js").text
    assert client.get("/openapi.json").json()["paths"].keys() >= {"/api/outcomes",
                                                                   "/chat/api/messages"}


# ---- 8. size limits, unstorable text, huge ids: 4xx without echo, never 500 ----------------

MARK = "UNIQUE-MARKER-7f3a9c"


def test_a_10_mb_message_is_refused_at_the_edge_without_echo(chat: TestClient) -> None:
    body = json.dumps({"session": new_session(chat), "message": MARK * 500_000})
    started = time.monotonic()
    response = chat.post("/chat/api/messages", content=body,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and MARK not in response.text
    assert response.json() == {"detail": "Request body too large: at most 65536 bytes."}
    chunks = (body[i:i + 65536].encode() for i in range(0, len(body), 65536))  # no length
    chunked = chat.post("/chat/api/messages", content=chunks,
                        headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413 and MARK not in chunked.text
    assert time.monotonic() - started < 10


def test_a_big_staff_body_is_refused_too(chat: TestClient, staff_headers: dict) -> None:
    note = {"note": MARK * 100_000}  # 2 MB
    response = chat.patch("/api/outcomes/1", json=note, headers=staff_headers)
    assert response.status_code == 413 and MARK not in response.text


@pytest.mark.parametrize("language", ["da", "en"])
def test_a_long_message_gets_a_kind_answer_in_the_page_language(chat: TestClient,
                                                                  language: str) -> None:
    session = new_session(chat)
    longest = say(chat, session, "a" * 4000, language)
    assert longest.status_code == 503  # 4000 characters go through
    too_long = say(chat, session, MARK + "a" * 4000, language)
    assert too_long.status_code == 422 and too_long.json() == {"detail": TOO_LONG[language]}


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "hej \ud83d", "nul\x00byte"])
@pytest.mark.parametrize("language", ["da", "en"])
def test_unstorable_characters_in_a_message_get_a_kind_422(chat: TestClient, text: str,
                                                           language: str) -> None:
    response = say(chat, new_session(chat), text, language)
    assert response.status_code == 422 and response.json() == {"detail": UNREADABLE[language]}


@pytest.mark.parametrize("body", [
    {"session": 1, "message": MARK}, {"session": [MARK], "message": "hej"},
    {"message": MARK}, {"session": "x", "message": {"text": MARK}},
    {"session": "x", "message": "hej", "language": MARK}, [MARK], MARK,
    {"session": MARK * 20, "message": "hej"},
])
def test_invalid_chat_bodies_get_a_422_without_the_input(chat: TestClient, body: object) -> None:
    response = chat.post("/chat/api/messages", json=body)
    assert response.status_code == 422
    assert MARK not in response.text and '"input"' not in response.text
    assert all({"loc", "msg", "type"} == set(error) for error in response.json()["detail"])


@pytest.mark.parametrize("raw", [b"\xff\xfe{not json", b"{\"session\": \"x\", ", b"",
                                 "{\"message\": \"\u00e6\"}".encode("latin-1")])
def test_malformed_bodies_are_4xx(chat: TestClient, raw: bytes) -> None:
    response = chat.post("/chat/api/messages", content=raw,
                         headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422) and "Traceback" not in response.text


# ---- 9. the web service logs ids and sizes, never what people wrote ------------------------

@pytest.fixture
def served(make_app: Callable[..., FastAPI]) -> Iterator[str]:
    """The app under a real uvicorn in this process, so its own error logging is captured."""
    app = make_app()

    @app.post("/api/boom")
    async def boom(request: Request) -> None:
        # What a database error does: quote the statement's parameters in its message.
        raise RuntimeError(f"INSERT failed [parameters: {(await request.body()).decode()!r}]")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_failing_requests_log_no_user_text(served: str, caplog, staff_headers: dict) -> None:
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=served) as client:
        session = client.post("/chat/api/sessions", json={}).json()["session"]
        failures = [
            client.post("/api/boom", content=MARK),
            client.post("/chat/api/messages", json={"session": session, "message": MARK}),
            client.post("/chat/api/messages", json={"session": MARK, "message": MARK}),
            client.post("/chat/api/messages", json={"session": session, "message": 7,
                                                    "language": MARK}),
            client.post("/chat/api/messages", json={"session": session,
                                                    "message": MARK * 5000}),
            client.patch("/api/outcomes/1", json={"note": MARK, "x": MARK},
                         headers=staff_headers),
        ]
    assert [r.status_code for r in failures] == [500, 503, 401, 422, 413, 422]
    assert failures[0].json() == {"detail": "Internal server error"}
    assert all(MARK not in r.text for r in failures)
    # The failures were logged, as ids and sizes: the type and the place, not the words.
    assert "Unhandled error in POST /api/boom: builtins.RuntimeError" in caplog.text
    assert re.search(r"Rasa did not answer the web chat \(ConnectError\) for web-\S{22}, "
                     r"a message of 20 characters", caplog.text)
    assert MARK not in caplog.text


def test_the_janitor_runs_once_per_deployment(make_app: Callable[..., FastAPI]) -> None:
    async def tasks() -> set[asyncio.Task]:
        return asyncio.all_tasks()

    def janitor_running(app: FastAPI) -> bool:
        with TestClient(app) as client:  # the lifespan's tasks live on the client's event loop
            return any("run_janitor_forever" in repr(task.get_coro())
                       for task in client.portal.call(tasks))

    assert janitor_running(make_app("all"))
    assert janitor_running(make_app("staff", staff_port=8200))
    assert not janitor_running(make_app("public", staff_port=8200))  # the staff process has it
    assert janitor_running(make_app("public"))  # no staff process: the public one does it
