"""Staff-page fixtures: users made through the real AccountStore, clients signed in through the
real login form (CSRF token read from the page), a clock the test can move, HTML as text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store.accounts import AccountStore
from bot.store.models import utcnow
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
