"""Admin pages: /staff/users and /staff/audit — permissions, every action, its audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.store.accounts import AccountStore
from tests.web.conftest import PASSWORD, Clock, csrf_token, sign_in, visible_text

ADMIN_PAGES = ["/staff/users", "/staff/audit"]


def post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/staff/")})


def user_id(accounts: AccountStore, username: str) -> int:
    return accounts.get_user_by_username(username)["id"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_by_role(signed_in: Callable[..., TestClient], client: TestClient,
                             path: str) -> None:
    anonymous = client.get(path, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/staff/login?next={path}"
    assert client.get(path, headers={"Accept": "application/json"}).status_code == 401
    for role in ("staff", "trainer"):
        response = signed_in(role).get(path)
        assert response.status_code == 403
        assert "Siden kræver rollen Administrator." in visible_text(response)
    assert signed_in("admin").get(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "data"),
    [("/staff/users", {"username": "ny", "password": "en-lang-nok-kode-1"}),
     ("/staff/users/1/disable", {}), ("/staff/users/1/role", {"role": "admin"}),
     ("/staff/users/1/password", {})],
)
def test_staff_cannot_post_to_admin_actions(
    signed_in: Callable[..., TestClient], accounts: AccountStore, path: str,
    data: dict[str, str],
) -> None:
    client = signed_in("staff")  # user id 1: the staff member themself
    assert post(client, path, data).status_code == 403
    assert accounts.get_user(1)["role"] == "staff" and not accounts.get_user(1)["disabled"]
    assert accounts.get_user_by_username("ny") is None


def test_admin_creates_a_user_with_a_generated_password_shown_once(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    response = post(admin, "/staff/users", {"username": "Lise", "display_name": "Lise <b>L</b>",
                                            "role": "trainer", "language": "en", "password": ""})
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    password = soup.find(id="shown-password").get_text()
    assert len(password) == 16
    assert "Adgangskoden til lise – den vises kun denne ene gang:" in visible_text(response)
    assert "Lise <b>L</b>" in visible_text(response) and not soup.find("b")
    assert password not in admin.get("/staff/users").text
    lise = accounts.get_user_by_username("lise")
    assert (lise["role"], lise["language"]) == ("trainer", "en")
    assert sign_in(TestClient(app), "lise", password).status_code == 303
    row = accounts.list_audit(action="user.create")[0]
    assert row["username"] == "boss"
    assert row["detail"] == {"username": "lise", "role": "trainer", "generated_password": True}
    assert password not in repr(accounts.list_audit())


def test_admin_creates_a_user_with_a_chosen_password(
    app: FastAPI, signed_in: Callable[..., TestClient]
) -> None:
    admin = signed_in("admin", username="boss")
    response = post(admin, "/staff/users", {"username": "ole", "role": "staff", "language": "da",
                                            "password": "min-egen-lange-kode-42"})
    assert "Brugeren ole er oprettet med den adgangskode, du valgte." in visible_text(response)
    assert "min-egen-lange-kode-42" not in response.text
    assert sign_in(TestClient(app), "ole", "min-egen-lange-kode-42").status_code == 303


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "boss"}, "Brugernavnet er allerede i brug."),
        ({"username": "BOSS "}, "Brugernavnet er allerede i brug."),
        ({"username": "<script>"}, "Brugernavnet skal være 2-64 tegn"),
        ({"username": ""}, "Brugernavnet skal være 2-64 tegn"),
        ({"username": "ole", "password": "kort"}, "Adgangskoden skal være mindst 12 tegn lang."),
        ({"username": "ole", "password": "ole-er-min-kode"}, "må ikke indeholde brugernavnet"),
        ({"username": "ole", "role": "boss"}, "Vælg en af rollerne"),
        ({"username": "ole", "language": "de"}, "Vælg en af rollerne og et af sprogene"),
    ],
)
def test_create_user_refusals_are_precise_and_keep_the_form(
    signed_in: Callable[..., TestClient], accounts: AccountStore, form: dict[str, str],
    message: str,
) -> None:
    admin = signed_in("admin", username="boss")
    data = {"role": "staff", "language": "da", "password": "", "display_name": "Ole Ø", **form}
    response = post(admin, "/staff/users", data)
    assert response.status_code == 400
    assert message in visible_text(response)
    field = BeautifulSoup(response.text, "html.parser").find("input", id="display_name")
    assert field["value"] == "Ole Ø"
    assert len(accounts.list_users()) == 1


def test_disable_ends_sessions_and_enable_restores(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    karen = signed_in("staff", username="karen")
    karen_id = user_id(accounts, "karen")
    response = post(admin, f"/staff/users/{karen_id}/disable")
    assert "Brugeren er deaktiveret og logget ud overalt." in visible_text(response)
    assert karen.get("/staff/", follow_redirects=False).status_code == 303
    assert sign_in(TestClient(app), "karen").status_code == 401
    post(admin, f"/staff/users/{karen_id}/enable")
    assert sign_in(TestClient(app), "karen").status_code == 303
    actions = [row["action"] for row in accounts.list_audit(action="user.")]
    assert actions == ["user.enable", "user.disable"]
    assert accounts.list_audit(action="user.disable")[0]["detail"] == {"username": "karen"}


def test_admin_cannot_lock_themself_out(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    boss = user_id(accounts, "boss")
    for path, data in ((f"/staff/users/{boss}/disable", {}),
                       (f"/staff/users/{boss}/role", {"role": "staff"})):
        response = post(admin, path, data)
        assert response.status_code == 400
        assert "Du kan ikke deaktivere dig selv" in visible_text(response)
    assert accounts.get_user(boss)["role"] == "admin"


def test_change_role_is_audited_with_before_and_after(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    karen = signed_in("staff", username="karen")
    karen_id = user_id(accounts, "karen")
    assert karen.get("/staff/users").status_code == 403
    post(admin, f"/staff/users/{karen_id}/role", {"role": "admin"})
    assert karen.get("/staff/users").status_code == 200  # the same session, the new role
    row = accounts.list_audit(action="user.role")[0]
    assert row["detail"] == {"username": "karen", "from": "staff", "to": "admin"}


def test_reset_password_shows_a_new_one_once_and_the_old_stops(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    karen = signed_in("staff", username="karen")
    response = post(admin, f"/staff/users/{user_id(accounts, 'karen')}/password")
    password = BeautifulSoup(response.text, "html.parser").find(id="shown-password").get_text()
    assert karen.get("/staff/", follow_redirects=False).status_code == 303  # signed out
    assert sign_in(TestClient(app), "karen", PASSWORD).status_code == 401
    assert sign_in(TestClient(app), "karen", password).status_code == 303
    assert admin.get("/staff/users").status_code == 200  # the admin's own session stays
    assert accounts.list_audit(action="user.password_reset")[0]["detail"] == {"username": "karen"}


def test_unknown_user_id_is_a_friendly_404(signed_in: Callable[..., TestClient]) -> None:
    admin = signed_in("admin")
    for path in ("/staff/users/999/disable", "/staff/users/999/password"):
        response = post(admin, path)
        assert response.status_code == 404 and "Siden findes ikke" in visible_text(response)
    response = post(admin, "/staff/users/abc/disable")
    assert response.status_code == 400 and "Ugyldigt input" in visible_text(response)


def test_locked_user_is_shown_and_unlocked_by_an_admin(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore, clock: Clock
) -> None:
    admin = signed_in("admin", username="boss")
    signed_in("staff", username="karen")
    for _ in range(5):
        sign_in(TestClient(app), "karen", "wrong-password-x")
    assert sign_in(TestClient(app), "karen").status_code == 429
    assert "Spærret efter fejlede log ind" in visible_text(admin.get("/staff/users"))
    post(admin, f"/staff/users/{user_id(accounts, 'karen')}/unlock")
    assert sign_in(TestClient(app), "karen").status_code == 303
    assert accounts.list_audit(action="user.unlock")[0]["username"] == "boss"


def test_reset_two_factor_lets_the_user_enrol_again(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    signed_in("staff", username="karen")
    karen = user_id(accounts, "karen")
    accounts.update_user(karen, totp_secret=pyotp.random_base32(), totp_enabled=True)
    assert "Nulstil 2FA" in visible_text(admin.get("/staff/users"))
    post(admin, f"/staff/users/{karen}/2fa/reset")
    assert accounts.get_user(karen)["totp_enabled"] is False
    assert accounts.list_audit(action="user.2fa_reset")[0]["detail"] == {"username": "karen"}


def audit_rows(response: Any) -> list[list[str]]:
    soup = BeautifulSoup(response.text, "html.parser")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all("td")]
            for row in soup.select("tr.audit-row")]


def test_audit_page_newest_first_filters_and_pages(
    app: FastAPI, signed_in: Callable[..., TestClient], accounts: AccountStore, clock: Clock
) -> None:
    admin = signed_in("admin", username="boss")
    for number in range(60):
        accounts.add_audit(user_id=None, username="karen", action="outcome.view",
                           target=f"outcome:{number}", detail={"n": number},
                           client_address="10.0.0.7")
    sign_in(TestClient(app), "karen", "wrong-password-1")
    page = admin.get("/staff/audit")
    rows = audit_rows(page)
    assert len(rows) == 50
    assert rows[0][2] == "login.failure" and rows[0][3] == "username:karen"
    assert rows[1][1:4] == ["karen", "outcome.view", "outcome:59"]
    assert rows[1][5] == "10.0.0.7"
    assert "62 hændelser" in visible_text(page)  # 60 + the admin's sign-in + the failure
    second = admin.get("/staff/audit?page=2")
    assert audit_rows(second)[-1][2] == "login.success"
    only = audit_rows(admin.get("/staff/audit?user=karen&action=outcome.view&page=2"))
    assert len(only) == 10 and only[-1][3] == "outcome:0"
    logins = audit_rows(admin.get("/staff/audit?action=login."))
    assert [row[2] for row in logins] == ["login.failure", "login.success"]
    next_link = BeautifulSoup(page.text, "html.parser").find("a", rel="next")
    assert next_link["href"] == "/staff/audit?page=2"


def test_audit_date_filter_in_local_days_and_bad_dates(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    today = accounts.list_audit()[0]["at"].astimezone(__import__("zoneinfo").ZoneInfo(
        "Europe/Copenhagen")).date()
    assert len(audit_rows(admin.get(f"/staff/audit?since={today}&until={today}"))) == 1
    assert audit_rows(admin.get("/staff/audit?until=2020-01-01")) == []
    bad = admin.get("/staff/audit?since=i+går")
    assert bad.status_code == 400
    assert 'since skal være en dato som 2026-12-01; fik "i går"' in visible_text(bad)
    assert admin.get("/staff/audit?page=0").status_code == 400


def test_audit_page_shows_user_text_escaped(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    admin = signed_in("admin", username="boss")
    sign_in(TestClient(admin.app), "<script>alert(1)</script>", "wrong-password-1")
    page = admin.get("/staff/audit")
    assert "username:<script>alert(1)</script>" in visible_text(page)
    assert all(script.get("src") for script in BeautifulSoup(page.text, "html.parser")("script"))
