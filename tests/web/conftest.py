"""Staff-page fixtures: users made through the real AccountStore, clients signed in through the
real login form (CSRF token read from the page), a clock the test can move, HTML as text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store.accounts import AccountStore
from bot.store.models import utcnow
from bot.web.staff import passwords
from bot.web.staff.passwords import hash_password

PASSWORD = "kaffe-og-kage-hver-dag"  # every test user's password unless a test picks another
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """app.state.clock for tests: starts at the real now, moves only when told."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, at a lower cost than production's 64 MiB x 3 passes: hundreds of sign-ins
    per run would otherwise take minutes on two shared cores. The CLI test runs as a separate
    process and checks that production's parameters are the ones stored."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192,
                                                             parallelism=1))


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    clock = Clock()
    app.state.clock = clock
    return clock


@pytest.fixture
def accounts(app: FastAPI) -> AccountStore:
    return app.state.accounts


@pytest.fixture
def make_user(accounts: AccountStore) -> Callable[..., dict[str, Any]]:
    def make(username: str, role: str = "staff", *, password: str = PASSWORD,
             language: str = "da", display_name: str | None = None) -> dict[str, Any]:
        return accounts.create_user(
            username=username, display_name=display_name or username.title(),
            password_hash=hash_password(password), role=role, language=language,
        )

    return make


def csrf_token(client: TestClient, path: str = "/staff/login") -> str:
    page = client.get(path)
    found = CSRF_FIELD.search(page.text)
    assert found, f"no CSRF field on {path} ({page.status_code})"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, **extra: str) -> Any:
    token = csrf_token(client)
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/staff/login", data=form, follow_redirects=False)


def visible_text(response: Any) -> str:
    """What a reader sees: the page's text without tags, whitespace collapsed."""
    soup = BeautifulSoup(response.text, "html.parser")
    for hidden in soup(["script", "style", "head"]):
        hidden.decompose()
    return " ".join(soup.get_text(" ").split())


@pytest.fixture
def signed_in(app: FastAPI, make_user: Callable[..., dict[str, Any]]
              ) -> Callable[..., TestClient]:
    """signed_in("admin") -> a new client signed in as a new user with that role."""

    def client_for(role: str = "staff", username: str | None = None, **user: Any) -> TestClient:
        name = username or f"{role}-user"
        make_user(name, role, **user)
        client = TestClient(app)
        response = sign_in(client, name, user.get("password", PASSWORD))
        assert response.status_code == 303, visible_text(response)
        return client

    return client_for


# The trainer pages: a TEMPORARY copy of the data folders in its own git repository, so no
# test ever writes the real domain/ or nlu/.

CONTENT = ("domain", "nlu", "stories", "lexicons", "config.yml", "conversations.yml")


def content_copy(repo: Any) -> Any:
    """The data folders copied into `repo`, committed there as a git repository of their own."""
    import shutil
    import subprocess

    from bot.settings import ROOT

    for name in CONTENT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name)
        else:
            shutil.copy2(source, repo / name)
    env = {"GIT_AUTHOR_NAME": "Samtale", "GIT_AUTHOR_EMAIL": "dev@samtale.invalid",
           "GIT_COMMITTER_NAME": "Samtale", "GIT_COMMITTER_EMAIL": "dev@samtale.invalid",
           "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    for command in (["git", "init", "-q", "-b", "content"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", "The content as shipped"]):
        subprocess.run(command, cwd=repo, env=env, check=True)
    return repo


@pytest.fixture
def content_repo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return content_copy(tmp_path_factory.mktemp("content"))


@pytest.fixture
def studio(app: FastAPI, content_repo: Any) -> Any:
    from bot.settings import ROOT
    from bot.trainer.studio import Studio

    app.state.studio = Studio(content_repo, ROOT / ".venv-engine" / "bin" / "rasa", ROOT)
    return app.state.studio


# The trainer tests run on SQLite and PostgreSQL (tests/conftest.py's `database_url`): their
# database work is accounts, sessions and audit rows. A test whose save runs `rasa data
# validate` (15-40 s each on two shared cores) runs on SQLite only: its database calls are the
# same ones the quick trainer tests (lexicon saves, refusals, try-it, access) make on both.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
