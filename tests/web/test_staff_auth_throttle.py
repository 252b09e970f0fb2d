"""Failed sign-ins slow down, then lock — per account and per client address — and the login
page says so precisely without telling whether the username exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store.accounts import AccountStore
from tests.web.conftest import PASSWORD, Clock, sign_in, visible_text

WRONG = "not-the-password-1"


def from_address(app: FastAPI, address: str) -> TestClient:
    """A browser at its own client address (TestClient's `client` is the ASGI peer)."""
    return TestClient(app, client=(address, 50000))


def attempt(app: FastAPI, username: str, password: str = WRONG, address: str = "10.1.1.1") -> Any:
    return sign_in(from_address(app, address), username, password)


@pytest.mark.parametrize("username", ["karen", "nobody-by-this-name"])
def test_account_slows_down_then_locks_the_same_for_real_and_unknown_names(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock, username: str
) -> None:
    make_user("karen")
    # Each failure from a different address: only the per-account count is at work here.
    statuses = [attempt(app, username, address=f"10.0.0.{n}").status_code for n in range(2)]
    assert statuses == [401, 401]
    attempt(app, username, address="10.0.0.3")  # 3rd failure: wait 2 s
    slowed = attempt(app, username, address="10.0.0.4")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "2"
    assert "For mange mislykkede forsøg. Vent 2 sekunder" in visible_text(slowed)
    clock.advance(seconds=2)
    attempt(app, username, address="10.0.0.5")  # 4th: wait 4 s
    assert attempt(app, username, address="10.0.0.6").headers["Retry-After"] == "4"
    clock.advance(seconds=4)
    assert attempt(app, username, address="10.0.0.7").status_code == 401  # 5th: locked
    locked = attempt(app, username, PASSWORD, address="10.0.0.8")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert ("Log ind med dette brugernavn er spærret i 15 minutter efter for mange "
            "mislykkede forsøg.") in visible_text(locked)
    clock.advance(minutes=14)
    assert "spærret i 1 minutter" in visible_text(attempt(app, username, PASSWORD))
    clock.advance(minutes=1, seconds=1)
    after = attempt(app, username, PASSWORD, address="10.0.0.9")
    assert after.status_code == (303 if username == "karen" else 401)


def test_the_right_password_is_not_even_checked_while_locked(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock, accounts: AccountStore
) -> None:
    make_user("karen")
    for n in range(5):
        clock.advance(seconds=10)
        attempt(app, "karen", address=f"10.0.1.{n}")
    response = attempt(app, "karen", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert accounts.list_audit(action="login.blocked")[0]["detail"] == {
        "kind": "account", "retry_after": 900}
    assert not accounts.list_audit(action="login.success")


def test_success_resets_the_account_count(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock
) -> None:
    make_user("karen")
    for round_ in range(3):
        for n in range(2):
            attempt(app, "karen", address=f"10.2.{round_}.{n}")
        assert attempt(app, "karen", PASSWORD, address=f"10.2.{round_}.9").status_code == 303
    assert attempt(app, "karen", address="10.2.9.1").status_code == 401  # no wait yet


def test_old_failures_are_forgotten_after_fifteen_minutes(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock
) -> None:
    make_user("karen")
    for n in range(2):
        attempt(app, "karen", address=f"10.3.0.{n}")
    clock.advance(minutes=16)
    for n in range(2):
        assert attempt(app, "karen", address=f"10.3.1.{n}").status_code == 401


def test_one_address_trying_many_names_is_locked(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock
) -> None:
    make_user("karen")
    for n in range(9):  # different names, so no account count builds up
        assert attempt(app, f"guess{n}", address="192.0.2.7").status_code == 401
    attempt(app, "guess9", address="192.0.2.7")  # 10th failure: the address waits 2 s
    slowed = attempt(app, "karen", PASSWORD, address="192.0.2.7")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "2"
    for n in range(10, 19):
        clock.advance(seconds=61)  # past each slow-down (at most 60 s), inside the window
        assert attempt(app, f"guess{n}", address="192.0.2.7").status_code == 401
    clock.advance(seconds=61)
    assert attempt(app, "guess19", address="192.0.2.7").status_code == 401  # the 20th
    locked = attempt(app, "karen", PASSWORD, address="192.0.2.7")
    assert locked.status_code == 429
    assert ("Log ind fra din netværksadresse er spærret i 15 minutter"
            in visible_text(locked))
    # Karen elsewhere is not affected.
    assert attempt(app, "karen", PASSWORD, address="198.51.100.1").status_code == 303


def test_address_lock_is_kept_per_address(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock, accounts: AccountStore
) -> None:
    from bot.web.staff import throttle

    make_user("karen")
    for n in range(20):
        throttle.record_failure(accounts, f"name{n}", "203.0.113.5", clock.now)
    assert attempt(app, "karen", PASSWORD, address="203.0.113.5").status_code == 429
    assert attempt(app, "karen", PASSWORD, address="203.0.113.6").status_code == 303


def test_messages_in_english_too(app: FastAPI, clock: Clock) -> None:
    for n in range(5):
        clock.advance(seconds=20)
        attempt(app, "someone", address=f"10.4.0.{n}")
    client = from_address(app, "10.4.1.1")
    client.get("/staff/login?lang=en")
    response = sign_in(client, "someone", WRONG)
    assert response.status_code == 429
    assert ("Sign-in with this username is locked for 15 minutes after too many failed "
            "attempts.") in visible_text(response)


def test_wrong_totp_codes_count_towards_the_lock(
    app: FastAPI, make_user: Callable[..., Any], clock: Clock, accounts: AccountStore
) -> None:
    user = make_user("karen")
    accounts.update_user(user["id"], totp_secret=pyotp.random_base32(), totp_enabled=True)
    from tests.web.conftest import csrf_token

    browser = from_address(app, "10.5.0.1")
    assert sign_in(browser, "karen").status_code == 303
    token = csrf_token(browser, "/staff/login/code")
    codes = [browser.post("/staff/login/code", data={"code": f"{n:06d}", "csrf_token": token})
             for n in range(3)]
    assert [r.status_code for r in codes] == [401, 401, 401]
    clock.advance(seconds=3)
    codes = [browser.post("/staff/login/code", data={"code": f"{n:06d}", "csrf_token": token})
             for n in range(2)]
    blocked = codes[-1]
    assert blocked.status_code == 429
    assert accounts.count_sessions(user["id"]) == 0  # the half-signed-in session is gone


def test_forgotten_failures_do_not_pile_up(accounts: AccountStore, clock: Clock) -> None:
    from bot.web.staff import throttle

    for n in range(30):
        throttle.record_failure(accounts, f"typo{n}", "10.6.0.1", clock.now)
    clock.advance(minutes=16)
    throttle.record_failure(accounts, "karen", "10.6.0.2", clock.now)
    typed = [throttle.keys(f"typo{n}", None)["account"] for n in range(30)]
    assert accounts.throttles(typed) == {}  # forgotten and deleted
    assert accounts.throttles(["address:10.6.0.1"]) == {}
    assert accounts.throttles(["account:karen"])["account:karen"]["failures"] == 1
