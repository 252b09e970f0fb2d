"""Sign in (password, then the TOTP code when 2FA is on) and sign out, at /staff/login and
/staff/logout. Every attempt is audited with the client address; failures are throttled."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.web.staff import auth, csrf, passwords, throttle, totp
from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.templates import LANGUAGE_COOKIE, LANGUAGES, templates, translate, ui_language

router = APIRouter(prefix="/staff", tags=["staff: sign-in"], include_in_schema=False)
Text = Annotated[str, Form(max_length=2048)]


@router.get("/login")
def login_page(request: Request, next: str = "/staff/", lang: str | None = None) -> Response:
    if auth.load_user(request) is not None:
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return _login_form(request, next_url=auth.safe_next(next), chosen_language=lang)


@router.post("/login")
async def login(
    request: Request, username: Text = "", password: Text = "", next: Text = "/staff/"
) -> Response:
    await csrf.verify(request)
    accounts, at, address = auth.accounts(request), auth.now(request), auth.client_address(request)
    next_url = auth.safe_next(next)
    username = username.strip()
    wait = throttle.blocked(accounts, username, address, at)
    if wait is not None:
        audit(request, None, "login.blocked", f"username:{username[:100]}",
              {"kind": wait.kind, "retry_after": wait.seconds})
        return _blocked_form(request, wait, next_url=next_url, username=username)
    user = accounts.get_user_by_username(username) if username else None
    valid = passwords.verify_password(user and user["password_hash"], password)
    if not valid or user is None or user["disabled"]:
        throttle.record_failure(accounts, username, address, at)
        audit(request, None, "login.failure", f"username:{username[:100]}",
              {"reason": "disabled" if valid and user and user["disabled"] else "password"})
        # The same answer for an unknown name, a wrong password and a disabled account.
        return _login_form(request, next_url=next_url, username=username, status_code=401,
                           error_key="login.failed")
    if passwords.needs_rehash(user["password_hash"]):
        accounts.update_user(user["id"], password_hash=passwords.hash_password(password))
    signed_in = CurrentUser.from_row(user)
    if user["totp_enabled"]:
        response = RedirectResponse(
            f"/staff/login/code?next={quote(next_url, safe='/')}", status_code=303
        )
        auth.start_session(request, response, user["id"], second_factor_pending=True)
        audit(request, signed_in, "login.password_ok", f"user:{user['id']}", {"second_factor": True})
        return response
    throttle.record_success(accounts, username)
    response = RedirectResponse(next_url, status_code=303)
    auth.start_session(request, response, user["id"])
    audit(request, signed_in, "login.success", f"user:{user['id']}", None)
    return response


@router.get("/login/code")
def code_page(request: Request, next: str = "/staff/") -> Response:
    auth.load_user(request)
    if request.state.pending_session is None:
        return RedirectResponse(auth.login_url(auth.safe_next(next)), status_code=303)
    return _code_form(request, next_url=auth.safe_next(next))


@router.post("/login/code")
async def submit_code(request: Request, code: Text = "", next: Text = "/staff/") -> Response:
    auth.load_user(request)
    pending = request.state.pending_session
    next_url = auth.safe_next(next)
    if pending is None:
        return _login_form(request, next_url=next_url, status_code=401,
                           error_key="login.code_expired")
    request.state.session_hash = pending["id_hash"]  # the CSRF token is bound to this session
    await csrf.verify(request)
    accounts, at, address = auth.accounts(request), auth.now(request), auth.client_address(request)
    row = pending["user"]
    user = CurrentUser.from_row(row)
    wait = throttle.blocked(accounts, row["username"], address, at)
    if wait is not None:
        audit(request, user, "login.blocked", f"user:{row['id']}", {"kind": wait.kind})
        response = _blocked_form(request, wait, next_url=next_url, username=row["username"])
        auth.end_session(request, response)
        return response
    step = totp.verify(row["totp_secret"], code, at=at, last_step=row["totp_last_step"])
    if step is None:
        throttle.record_failure(accounts, row["username"], address, at)
        audit(request, user, "login.failure", f"user:{row['id']}", {"reason": "code"})
        return _code_form(request, next_url=next_url, status_code=401, error_key="login.code_wrong")
    accounts.update_user(row["id"], totp_last_step=step)
    auth.complete_second_factor(request)
    throttle.record_success(accounts, row["username"])
    audit(request, user, "login.success", f"user:{row['id']}", {"second_factor": True})
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
def logout(request: Request, user: Annotated[CurrentUser, Depends(require_user)]) -> Response:
    audit(request, user, "logout", f"user:{user.id}", None)
    response = _login_form(request, next_url="/staff/", notice_key="login.signed_out",
                           signed_out=True)
    auth.end_session(request, response)
    return response


def _login_form(
    request: Request, *, next_url: str, username: str = "", status_code: int = 200,
    error_key: str | None = None, notice_key: str | None = None, error: str | None = None,
    chosen_language: str | None = None, headers: dict[str, str] | None = None,
    signed_out: bool = False,
) -> Response:
    if signed_out:  # render as the anonymous reader the person now is
        request.state.user = None
        request.state.session_hash = None
    if chosen_language in LANGUAGES:
        request.state.chosen_language = chosen_language
    language = chosen_language if chosen_language in LANGUAGES else ui_language(request)
    context = {
        "next_url": next_url,
        "username": username,
        "error": error or (translate(language, error_key) if error_key else None),
        "notice": translate(language, notice_key) if notice_key else None,
    }
    response = templates.TemplateResponse(request, "staff/login.html", context,
                                          status_code=status_code, headers=headers)
    _keep_cookies(request, response, chosen_language)
    return response


def _blocked_form(request: Request, wait: throttle.Blocked, *, next_url: str, username: str
                  ) -> Response:
    language = ui_language(request)
    if wait.locked:
        minutes = max(1, -(-wait.seconds // 60))
        message = translate(language, f"login.locked_{wait.kind}", minutes=minutes)
    else:
        message = translate(language, "login.slow_down", seconds=wait.seconds)
    return _login_form(request, next_url=next_url, username=username, status_code=429,
                       error=message, headers={"Retry-After": str(wait.seconds)})


def _code_form(request: Request, *, next_url: str, status_code: int = 200,
               error_key: str | None = None) -> Response:
    language = ui_language(request)
    context = {"next_url": next_url,
               "error": translate(language, error_key) if error_key else None}
    return templates.TemplateResponse(request, "staff/login_code.html", context,
                                      status_code=status_code)


def _keep_cookies(request: Request, response: Response, chosen_language: str | None) -> None:
    secure = auth.served_over_https(request)
    new_prelogin = getattr(request.state, "new_prelogin", None)
    if new_prelogin is not None:
        response.set_cookie(csrf.PRELOGIN_COOKIE, new_prelogin, httponly=True, samesite="lax",
                            secure=secure, path="/staff/")
    if chosen_language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen_language, samesite="lax", secure=secure,
                            path="/", max_age=365 * 24 * 3600)

