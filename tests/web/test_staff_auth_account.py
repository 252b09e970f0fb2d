"""The own-account page: profile, password, TOTP 2FA (with real pyotp codes), API tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.settings import Settings
from bot.store import OutcomeStore
from bot.store.accounts import AccountStore
from bot.web.app import create_app
from bot.web.staff.auth import SESSION_COOKIE
from tests.conftest import STAFF_TOKEN
from tests.web.conftest import PASSWORD, Clock, csrf_token, sign_in, visible_text


def post(client: TestClient, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """A form POST with the page's CSRF token, as the browser sends it."""
    token = csrf_token(client, "/staff/account")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def enrol(client: TestClient, clock: Clock) -> pyotp.TOTP:
    page = client.get("/staff/account/2fa")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    uri = soup.find(id="otpauth-uri").get_text()
    assert uri.startswith("otpauth://totp/Samtale:") and "issuer=Samtale" in uri
    assert soup.select_one(".qr svg") is not None  # drawn on the server
    secret = soup.find(id="totp-secret").get_text()
    assert f"secret={secret}" in uri
    totp = pyotp.TOTP(secret)
    response = post(client, "/staff/account/2fa/confirm", {"code": totp.at(clock.now)})
    assert response.status_code == 200, visible_text(response)
    assert "Totrinsbekræftelse er slået til." in visible_text(response)
    return totp


def test_profile_name_and_language(signed_in: Callable[..., TestClient],
                                   accounts: AccountStore) -> None:
    client = signed_in("staff", username="karen")
    response = post(client, "/staff/account/profile",
                    {"display_name": "Karen <Holm>", "language": "en"})
    text = visible_text(response)
    assert "Name and language saved." in text and "Karen <Holm>" in text
    assert accounts.get_user_by_username("karen")["language"] == "en"
    bad = post(client, "/staff/account/profile", {"display_name": "K", "language": "sv"})
    assert bad.status_code == 400 and "Choose Danish or English." in visible_text(bad)


def test_change_password_needs_the_current_one_and_signs_out_elsewhere(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    client = signed_in("staff", username="karen")
    elsewhere = TestClient(app)
    sign_in(elsewhere, "karen")
    new = "en-helt-ny-og-lang-kode"
    wrong = post(client, "/staff/account/password",
                 {"current": "not-my-password", "new": new, "repeat": new})
    assert wrong.status_code == 400
    assert "Den nuværende adgangskode passer ikke." in visible_text(wrong)
    differ = post(client, "/staff/account/password",
                  {"current": PASSWORD, "new": new, "repeat": new + "x"})
    assert "De to nye adgangskoder er ikke ens." in visible_text(differ)
    weak = post(client, "/staff/account/password",
                {"current": PASSWORD, "new": "kort", "repeat": "kort"})
    assert "Adgangskoden skal være mindst 12 tegn lang." in visible_text(weak)
    done = post(client, "/staff/account/password", {"current": PASSWORD, "new": new, "repeat": new})
    assert "Adgangskoden er skiftet." in visible_text(done)
    assert client.get("/staff/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/staff/", follow_redirects=False).status_code == 303
    assert sign_in(TestClient(app), "karen", PASSWORD).status_code == 401
    assert sign_in(TestClient(app), "karen", new).status_code == 303
    actions = [row["action"] for row in accounts.list_audit(username="karen")]
    assert "account.password" in actions and "account.password_refused" in actions


def test_two_factor_enrol_then_login_needs_the_code(
    app: FastAPI, signed_in: Callable[..., TestClient], clock: Clock, accounts: AccountStore
) -> None:
    client = signed_in("staff", username="karen")
    # A wrong code does not switch it on.
    client.get("/staff/account/2fa")
    wrong = post(client, "/staff/account/2fa/confirm", {"code": "000000"})
    assert wrong.status_code == 400 and "Koden passer ikke." in visible_text(wrong)
    assert accounts.get_user_by_username("karen")["totp_enabled"] is False
    totp = enrol(client, clock)
    assert accounts.get_user_by_username("karen")["totp_enabled"] is True

    browser = TestClient(app)
    response = sign_in(browser, "karen")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login/code?next=/staff/"
    # Password alone is not a sign-in.
    assert browser.get("/staff/", follow_redirects=False).headers["location"] == (
        "/staff/login/code")
    page = browser.get("/staff/login/code")
    assert "Skriv den 6-cifrede kode" in visible_text(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    clock.advance(seconds=60)
    bad = browser.post("/staff/login/code", data={"code": "123456", "csrf_token": token})
    assert bad.status_code == 401 and "Koden passer ikke." in visible_text(bad)
    good = browser.post("/staff/login/code", data={"code": totp.at(clock.now), "csrf_token": token},
                        follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/staff/"
    assert "Indbakke" in visible_text(browser.get("/staff/"))
    actions = [row["action"] for row in accounts.list_audit(username="karen")]
    assert actions[:3] == ["login.success", "login.failure", "login.password_ok"]
    assert "account.2fa_on" in actions


def test_a_code_cannot_be_used_twice(
    app: FastAPI, signed_in: Callable[..., TestClient], clock: Clock
) -> None:
    client = signed_in("staff", username="karen")
    totp = enrol(client, clock)
    clock.advance(seconds=30)
    code = totp.at(clock.now)
    first = TestClient(app)
    sign_in(first, "karen")
    token = csrf_token(first, "/staff/login/code")
    assert first.post("/staff/login/code", data={"code": code, "csrf_token": token},
                      follow_redirects=False).status_code == 303
    second = TestClient(app)
    sign_in(second, "karen")
    token = csrf_token(second, "/staff/login/code")
    replay = second.post("/staff/login/code", data={"code": code, "csrf_token": token})
    assert replay.status_code == 401


def test_the_code_step_expires_after_five_minutes(
    app: FastAPI, signed_in: Callable[..., TestClient], clock: Clock
) -> None:
    totp = enrol(signed_in("staff", username="karen"), clock)
    browser = TestClient(app)
    sign_in(browser, "karen")
    token = csrf_token(browser, "/staff/login/code")
    clock.advance(minutes=6)
    late = browser.post("/staff/login/code", data={"code": totp.at(clock.now), "csrf_token": token})
    assert late.status_code == 401
    assert "Tiden til at skrive koden er gået. Log ind igen." in visible_text(late)


def test_two_factor_can_be_turned_off_with_the_password(
    app: FastAPI, signed_in: Callable[..., TestClient], clock: Clock, accounts: AccountStore
) -> None:
    client = signed_in("staff", username="karen")
    enrol(client, clock)
    refused = post(client, "/staff/account/2fa/disable", {"password": "wrong-password-1"})
    assert refused.status_code == 400
    off = post(client, "/staff/account/2fa/disable", {"password": PASSWORD})
    assert "Totrinsbekræftelse er slået fra." in visible_text(off)
    assert accounts.get_user_by_username("karen")["totp_secret"] is None
    assert sign_in(TestClient(app), "karen").headers["location"] == "/staff/"


@pytest.fixture
def strict_app(settings: Settings) -> Any:
    """The app with STAFF_REQUIRE_2FA=1."""
    app = create_app(settings.model_copy(update={"staff_require_2fa": True}))
    app.state.clock = Clock()
    yield app
    app.state.store.close()


def test_required_2fa_sends_an_admin_to_enrol_first(strict_app: FastAPI) -> None:
    from bot.web.staff.passwords import hash_password

    accounts: AccountStore = strict_app.state.accounts
    for name, role in (("boss", "admin"), ("karen", "staff")):
        accounts.create_user(username=name, display_name=name, role=role, language="da",
                             password_hash=hash_password(PASSWORD))
    staff = TestClient(strict_app)
    sign_in(staff, "karen")
    assert staff.get("/staff/").status_code == 200  # only admins are required to
    admin = TestClient(strict_app)
    sign_in(admin, "boss")
    for path in ("/staff/", "/staff/account", "/staff/users"):
        response = admin.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/account/2fa"
    page = admin.get("/staff/account/2fa")
    assert "Som administrator skal du slå totrinsbekræftelse til" in visible_text(page)
    secret = BeautifulSoup(page.text, "html.parser").find(id="totp-secret").get_text()
    token = csrf_token(admin, "/staff/account/2fa")
    clock: Clock = strict_app.state.clock
    done = admin.post("/staff/account/2fa/confirm",
                      data={"code": pyotp.TOTP(secret).at(clock.now), "csrf_token": token})
    assert done.status_code == 200
    assert admin.get("/staff/").status_code == 200
    token = csrf_token(admin, "/staff/account")
    refused = admin.post("/staff/account/2fa/disable", data={"password": PASSWORD,
                                                             "csrf_token": token})
    assert "kan ikke slås fra" in visible_text(refused)
    assert accounts.get_user_by_username("boss")["totp_enabled"] is True


def test_api_tokens_are_shown_once_work_and_stop_when_revoked(
    signed_in: Callable[..., TestClient], store: OutcomeStore, accounts: AccountStore,
    database_url: str,
) -> None:
    store.save_conversation("c1", consent=True, language="da")
    outcome = store.record_outcome(conversation_id="c1", kind="gift", text="Jeg kan bage",
                                   language="da")
    client = signed_in("staff", username="karen")
    created = post(client, "/staff/account/tokens", {"name": "Ugentlig rapport <script>"})
    soup = BeautifulSoup(created.text, "html.parser")
    token = soup.find(id="new-token").get_text()
    assert token.startswith("smt_") and len(token) > 40
    assert "Ugentlig rapport <script>" in visible_text(created)
    assert token not in client.get("/staff/account").text  # shown once only
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    engine.dispose()
    assert token not in stored[0]

    api = TestClient(client.app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/outcomes", headers=bearer).json()["total"] == 1
    changed = api.patch(f"/api/outcomes/{outcome['id']}", json={"status": "done", "note": "Ring"},
                        headers=bearer)
    assert changed.status_code == 200
    row = accounts.list_audit(action="outcome.update")[0]
    assert row["username"] == "karen" and row["target"] == f"outcome:{outcome['id']}"
    assert row["detail"] == {"fields": ["note", "status"], "status": "done", "via": "api"}
    assert "Jeg kan bage" not in repr(row) and "Ring" not in repr(row)
    listing = visible_text(client.get("/staff/account"))
    assert "Ugentlig rapport <script>" in listing and "Aktiv" in listing

    token_id = accounts.list_api_tokens(row["user_id"])[0]["id"]
    revoked = post(client, f"/staff/account/tokens/{token_id}/revoke")
    assert "API-nøglen er tilbagekaldt" in visible_text(revoked)
    after = api.get("/api/outcomes", headers=bearer)
    assert after.status_code == 401 and after.json() == {"detail": "Invalid bearer token"}
    actions = [r["action"] for r in accounts.list_audit(username="karen", action="token.")]
    assert actions == ["token.revoke", "token.create"]


def test_shared_staff_token_still_works_and_is_audited_without_a_user(
    client: TestClient, store: OutcomeStore, accounts: AccountStore
) -> None:
    store.save_conversation("c1", consent=True, language="da")
    outcome = store.record_outcome(conversation_id="c1", kind="gift", text="x", language="da")
    response = client.patch(f"/api/outcomes/{outcome['id']}", json={"status": "in_progress"},
                            headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    assert response.status_code == 200
    row = accounts.list_audit(action="outcome.update")[0]
    assert row["username"] is None and row["detail"]["status"] == "in_progress"


def test_a_disabled_users_token_stops_working(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    client = signed_in("staff", username="karen")
    created = post(client, "/staff/account/tokens", {"name": "script"})
    token = BeautifulSoup(created.text, "html.parser").find(id="new-token").get_text()
    api = TestClient(client.app)
    assert api.get("/api/outcomes", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    accounts.update_user(accounts.get_user_by_username("karen")["id"], disabled=True)
    assert api.get("/api/outcomes", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_someone_elses_token_cannot_be_revoked(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    karen = signed_in("staff", username="karen")
    post(karen, "/staff/account/tokens", {"name": "mine"})
    token_id = accounts.list_api_tokens(accounts.get_user_by_username("karen")["id"])[0]["id"]
    other = signed_in("staff", username="ole")
    response = post(other, f"/staff/account/tokens/{token_id}/revoke")
    assert response.status_code == 404
    assert "Du har ingen API-nøgle med det nummer." in visible_text(response)
    assert accounts.list_api_tokens(accounts.get_user_by_username("karen")["id"])[0][
        "revoked_at"] is None


def test_session_cookie_is_not_an_api_token(signed_in: Callable[..., TestClient]) -> None:
    client = signed_in("staff")
    cookie = client.cookies[SESSION_COOKIE]
    response = TestClient(client.app).get("/api/outcomes",
                                          headers={"Authorization": f"Bearer {cookie}"})
    assert response.status_code == 401
