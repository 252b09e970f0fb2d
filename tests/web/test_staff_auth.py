"""Staff sign-in, sessions, roles, CSRF and the shared page furniture, through the real app."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest
from bs4 import BeautifulSoup
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from bot.store.accounts import AccountStore
from bot.web.staff.auth import SESSION_COOKIE, CurrentUser, require_role, require_user
from bot.web.templates import TEMPLATES_DIR, TRANSLATIONS
from tests.web.conftest import PASSWORD, Clock, csrf_token, sign_in, visible_text


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    """Pages guarded the way the staffpages helper guards theirs, one per role."""

    def page_for(role: str) -> Callable[..., dict[str, str]]:
        # A default, not Annotated: with postponed annotations FastAPI could not see `role`.
        def page(user: CurrentUser = Depends(require_role(role))) -> dict[str, str]:  # noqa: B008
            return {"role": role, "user": user.username}

        return page

    for role in ("staff", "trainer", "admin"):
        app.add_api_route(f"/staff/probe/{role}", page_for(role), methods=["GET"])

    def change(user: Annotated[CurrentUser, Depends(require_user)]) -> dict[str, str]:
        return {"changed_by": user.username}

    app.add_api_route("/staff/probe/change", change, methods=["POST"])
    return app


def test_anonymous_page_request_is_sent_to_login_with_next(client: TestClient) -> None:
    response = client.get("/staff/?x=1&y=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/%3Fx%3D1%26y%3D2"
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    form = BeautifulSoup(page.text, "html.parser").find("form", action="/staff/login")
    assert form.find("input", attrs={"name": "next"})["value"] == "/staff/?x=1&y=2"


@pytest.mark.parametrize("headers", [{"Accept": "application/json"},
                                     {"Authorization": "Bearer not-a-token-of-anyone"}])
def test_anonymous_json_request_gets_401(probe_app: FastAPI, headers: dict[str, str]) -> None:
    response = TestClient(probe_app).get("/staff/probe/staff", headers=headers,
                                         follow_redirects=False)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Sign in first: send a session cookie or a personal API token"
    }


def test_htmx_request_without_session_is_told_where_to_go(client: TestClient) -> None:
    response = client.get("/staff/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/staff/login?next=/staff/"


def test_login_success_lands_on_next_page_with_a_session(
    client: TestClient, make_user: Callable[..., Any], accounts: AccountStore
) -> None:
    user = make_user("karen", display_name="Karen Holm")
    response = sign_in(client, "  KAREN ", next="/staff/?view=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/?view=1"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "Min konto: Karen Holm" in visible_text(home)
    assert accounts.count_sessions(user["id"]) == 1


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", "/\\evil", "x"])
def test_next_never_leaves_the_site(
    client: TestClient, make_user: Callable[..., Any], unsafe: str
) -> None:
    make_user("karen")
    response = sign_in(client, "karen", next=unsafe)
    assert response.headers["location"] == "/staff/"


@pytest.mark.parametrize(
    ("username", "password"),
    [("karen", "wrong-password-123"), ("nobody", PASSWORD), ("", ""), ("karen", "x" * 2000)],
)
def test_login_failure_says_the_same_for_every_reason(
    client: TestClient, make_user: Callable[..., Any], username: str, password: str
) -> None:
    make_user("karen")
    response = sign_in(client, username, password)
    assert response.status_code in (401, 400)
    text = visible_text(response)
    if response.status_code == 401:
        assert "Forkert brugernavn eller adgangskode." in text
    assert SESSION_COOKIE not in response.cookies


def test_disabled_user_cannot_sign_in_and_loses_open_sessions(
    client: TestClient, make_user: Callable[..., Any], accounts: AccountStore
) -> None:
    user = make_user("karen")
    assert sign_in(client, "karen").status_code == 303
    accounts.update_user(user["id"], disabled=True)
    assert client.get("/staff/", follow_redirects=False).status_code == 303
    response = sign_in(TestClient(client.app), "karen")
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode." in visible_text(response)


def test_session_cookie_flags_over_http(client: TestClient, make_user: Callable[..., Any]) -> None:
    make_user("karen")
    response = sign_in(client, "karen")
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith(f"{SESSION_COOKIE}="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 40  # 256 random bits


def test_session_cookie_is_secure_over_https(app: FastAPI, make_user: Callable[..., Any]) -> None:
    make_user("karen")
    client = TestClient(app, base_url="https://testserver")
    response = sign_in(client, "karen")
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith(f"{SESSION_COOKIE}="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_the_database_keeps_only_a_hash_of_the_session_id(
    client: TestClient, make_user: Callable[..., Any], database_url: str
) -> None:
    from sqlalchemy import create_engine, text

    make_user("karen")
    cookie = sign_in(client, "karen").cookies[SESSION_COOKIE]
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT id_hash FROM staff_sessions")).scalars().all()
    finally:
        engine.dispose()
    assert len(stored) == 1 and cookie not in stored[0] and len(stored[0]) == 64


def test_session_expires_after_two_idle_hours(
    client: TestClient, make_user: Callable[..., Any], clock: Clock
) -> None:
    make_user("karen")
    sign_in(client, "karen")
    clock.advance(hours=1, minutes=50)
    assert client.get("/staff/").status_code == 200  # a request keeps it alive
    clock.advance(hours=1, minutes=50)
    assert client.get("/staff/").status_code == 200
    clock.advance(hours=2, minutes=1)
    assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_on_the_server(
    client: TestClient, make_user: Callable[..., Any], accounts: AccountStore
) -> None:
    user = make_user("karen")
    sign_in(client, "karen")
    cookie = client.cookies[SESSION_COOKIE]
    response = client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 200
    assert "Du er logget ud." in visible_text(response)
    assert accounts.count_sessions(user["id"]) == 0
    replay = TestClient(client.app, cookies={SESSION_COOKIE: cookie})
    assert replay.get("/staff/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "The form was sent without its security token (CSRF)."),
        ("0" * 64, "The form's security token (CSRF) does not match your session"),
    ],
)
def test_state_changing_forms_need_the_csrf_token(
    probe_app: FastAPI, make_user: Callable[..., Any], token: str | None, message: str
) -> None:
    make_user("karen", language="en")
    client = TestClient(probe_app)
    sign_in(client, "karen")
    for path in ("/staff/logout", "/staff/probe/change", "/staff/account/language"):
        data = {"language": "da"} if token is None else {"language": "da", "csrf_token": token}
        response = client.post(path, data=data)
        assert response.status_code == 403, path
        assert message in visible_text(response)
    assert client.get("/staff/").status_code == 200  # still signed in, still English
    assert "Inbox" in visible_text(client.get("/staff/"))


def test_csrf_token_is_accepted_as_header_for_htmx(
    probe_app: FastAPI, make_user: Callable[..., Any]
) -> None:
    make_user("karen")
    client = TestClient(probe_app)
    sign_in(client, "karen")
    page = BeautifulSoup(client.get("/staff/").text, "html.parser")
    header = page.body["hx-headers"]
    token = re.search(r'"X-CSRF-Token": "([0-9a-f]{64})"', header).group(1)
    response = client.post("/staff/probe/change", headers={"X-CSRF-Token": token})
    assert response.json() == {"changed_by": "karen"}


def test_a_token_from_another_session_is_refused(
    probe_app: FastAPI, make_user: Callable[..., Any]
) -> None:
    make_user("karen")
    first, second = TestClient(probe_app), TestClient(probe_app)
    sign_in(first, "karen")
    sign_in(second, "karen")
    stolen = csrf_token(first, "/staff/")
    response = second.post("/staff/probe/change", data={"csrf_token": stolen})
    assert response.status_code == 403


@pytest.mark.parametrize("form", [{}, {"csrf_token": "forged"}])
def test_login_form_itself_needs_its_csrf_token(
    client: TestClient, make_user: Callable[..., Any], form: dict[str, str]
) -> None:
    make_user("karen")
    client.get("/staff/login")  # the pre-login cookie is set
    response = client.post("/staff/login", data={"username": "karen", "password": PASSWORD, **form})
    assert response.status_code == 403
    assert "Formularen blev afvist" in visible_text(response)
    assert SESSION_COOKIE not in response.cookies


def test_login_without_the_prelogin_cookie_is_explained(app: FastAPI, make_user) -> None:
    make_user("karen")
    token = csrf_token(TestClient(app))
    response = TestClient(app).post(
        "/staff/login", data={"username": "karen", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert "Din browser sendte ikke log ind-cookien." in visible_text(response)


ROLE_CASES = [
    ("staff", {"staff": 200, "trainer": 403, "admin": 403}),
    ("trainer", {"staff": 200, "trainer": 200, "admin": 403}),
    ("admin", {"staff": 200, "trainer": 200, "admin": 200}),
]


@pytest.mark.parametrize(("role", "expected"), ROLE_CASES)
def test_roles_are_ordered_staff_trainer_admin(
    probe_app: FastAPI, make_user: Callable[..., Any], role: str, expected: dict[str, int]
) -> None:
    make_user("someone", role)
    client = TestClient(probe_app)
    sign_in(client, "someone")
    for page, status in expected.items():
        response = client.get(f"/staff/probe/{page}")
        assert response.status_code == status, (role, page)
        if status == 403:
            text = visible_text(response)
            assert "Ingen adgang" in text
            assert "Bed en administrator om adgang" in text


def test_403_for_api_callers_is_json(probe_app: FastAPI, make_user: Callable[..., Any]) -> None:
    make_user("karen")
    client = TestClient(probe_app)
    sign_in(client, "karen")
    response = client.get("/staff/probe/admin", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json() == {"detail": "This needs the role admin"}


def test_admin_links_only_in_an_admins_menu(signed_in: Callable[..., TestClient]) -> None:
    staff_menu = visible_text(signed_in("staff").get("/staff/"))
    admin_menu = visible_text(signed_in("admin").get("/staff/"))
    for item in ("Indbakke", "Samtaler", "Rapporter", "Flag", "Min konto", "Log ud"):
        assert item in staff_menu and item in admin_menu
    assert "Brugere" not in staff_menu and "Brugere" in admin_menu


def test_unknown_staff_page_is_a_friendly_404(signed_in: Callable[..., TestClient]) -> None:
    response = signed_in("staff").get("/staff/no-such-page")
    assert response.status_code == 404
    text = visible_text(response)
    assert "Siden findes ikke" in text and "Til forsiden" in text and "Log ud" in text


def test_invalid_input_on_a_staff_page_is_a_400_page_not_a_500(
    signed_in: Callable[..., TestClient],
) -> None:
    client = signed_in("staff")
    response = client.post("/staff/account/language",
                           data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 400
    assert "Ugyldigt input" in visible_text(response) and "language" in visible_text(response)


@pytest.mark.parametrize("name", ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>"])
def test_display_names_are_shown_escaped(signed_in: Callable[..., TestClient], name: str) -> None:
    page = signed_in("staff", display_name=name).get("/staff/")
    assert name in visible_text(page)  # shown as text...
    soup = BeautifulSoup(page.text, "html.parser")
    assert not soup.find("img")  # ...never as markup
    assert all(script.get("src") for script in soup.find_all("script"))


def test_no_inline_script_in_pages(signed_in: Callable[..., TestClient]) -> None:
    for page in (signed_in("admin").get("/staff/"), TestClient(signed_in("staff").app).get(
            "/staff/login")):
        soup = BeautifulSoup(page.text, "html.parser")
        for script in soup.find_all("script"):
            assert script.get("src", "").startswith("/staff/static/") and not script.string
        assert not [tag for tag in soup.find_all(True)
                    if any(attr.startswith("on") for attr in tag.attrs)]


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/staff/static/staff.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    htmx = client.get("/staff/static/htmx.min.js")
    assert htmx.status_code == 200 and htmx.text.startswith("/*! htmx.org 2.0.11")


def test_language_of_the_login_page_follows_choice_then_browser(client: TestClient) -> None:
    assert "Log ind" in visible_text(client.get("/staff/login"))
    english = client.get("/staff/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Sign in" in visible_text(english) and 'lang="en"' in english.text
    chosen = client.get("/staff/login?lang=da", headers={"Accept-Language": "en"})
    assert "Brugernavn" in visible_text(chosen)
    # the choice is remembered
    assert "Brugernavn" in visible_text(client.get("/staff/login", headers={"Accept-Language": "en"}))


def test_the_user_switches_language_and_it_is_kept(
    signed_in: Callable[..., TestClient], accounts: AccountStore
) -> None:
    client = signed_in("staff", username="karen")
    assert "Indbakke" in visible_text(client.get("/staff/"))
    token = csrf_token(client, "/staff/")
    response = client.post("/staff/account/language",
                           data={"language": "en", "next": "/staff/", "csrf_token": token})
    assert response.status_code == 200 and "Inbox" in visible_text(response)
    assert accounts.get_user_by_username("karen")["language"] == "en"
    audit = accounts.list_audit(action="account.language")
    assert audit[0]["username"] == "karen" and audit[0]["detail"] == {"language": "en"}


def test_logins_and_logouts_are_audited_with_address(
    client: TestClient, make_user: Callable[..., Any], accounts: AccountStore
) -> None:
    user = make_user("karen")
    sign_in(client, "karen", "wrong-password-99")
    sign_in(client, "karen")
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    rows = accounts.list_audit()
    assert [row["action"] for row in rows] == ["logout", "login.success", "login.failure"]
    assert rows[0]["username"] == "karen" and rows[0]["user_id"] == user["id"]
    assert rows[2]["username"] is None and rows[2]["target"] == "username:karen"
    assert rows[2]["detail"] == {"reason": "password"}
    assert all(row["client_address"] == "testclient" for row in rows)
    assert "wrong-password-99" not in repr(rows)


def test_every_text_key_in_the_templates_exists_in_both_languages() -> None:
    used = set()
    for template in Path(TEMPLATES_DIR).rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']\s*[,)]""", template.read_text()))
    assert used, "no t(...) calls found"
    # t("kind." ~ outcome.kind) builds the key: its prefix must name at least one key.
    missing = sorted(key for key in used if key not in TRANSLATIONS and not (
        key.endswith(".") and any(name.startswith(key) for name in TRANSLATIONS)))
    assert not missing
    for key, texts in TRANSLATIONS.items():
        assert set(texts) == {"da", "en"}, key
        assert all(isinstance(text, str) and text.strip() for text in texts.values()), key


def test_every_text_key_the_code_uses_exists() -> None:
    from bot.web.staff import account, csrf, throttle, users
    from bot.web.staff.passwords import WeakPassword, check_strength

    code = "".join(path.read_text() for path in Path(account.__file__).parent.glob("*.py"))
    passed = (r"""(?:_key=|translate\([^,()]+,\s*|CsrfFailed\(|error_page\(request, \d+, )"""
              r"""["']([\w.]+)["']""")
    literal = set(re.findall(passed, code))
    dynamic = {f"account.done_{done}" for done in account.DONE}
    dynamic |= {f"users.done_{done}" for done in users.DONE}
    dynamic |= {f"login.locked_{policy.kind}" for policy in (throttle.ACCOUNT, throttle.ADDRESS)}
    dynamic |= {f"role.{role}" for role in ("staff", "trainer", "admin")}
    dynamic |= {f"language.{code}" for code in ("da", "en")}
    for weak in ("short", "a" * 20, "karen-har-en-kode"):
        with pytest.raises(WeakPassword) as refused:
            check_strength(weak, username="karen")
        dynamic.add(f"password.{refused.value.rule}")
    missing = sorted(key for key in literal | dynamic if key not in TRANSLATIONS)
    assert not missing
    assert len(literal) > 20 and csrf.FIELD == "csrf_token"


@pytest.mark.parametrize("path", ["/staff/", "/staff/account", "/staff/account/2fa"])
def test_every_signed_in_page_needs_a_session(
    client: TestClient, signed_in: Callable[..., TestClient], path: str
) -> None:
    assert client.get(path, follow_redirects=False).headers["location"] == (
        f"/staff/login?next={path}")
    for role in ("staff", "trainer", "admin"):
        assert signed_in(role).get(path).status_code == 200


def test_staff_home_sends_to_the_inbox(signed_in: Callable[..., TestClient]) -> None:
    client = signed_in("staff")
    response = client.get("/staff/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/inbox"
    assert "Indbakke" in visible_text(client.get("/staff/"))
