"""The signed-in user's own page, /staff/account: name, language, password, 2FA, API tokens.

After a change the page redirects to itself with ?done=<what> (so a reload does not repeat it);
a new API token is the exception: it is shown once, in the answer to the POST, and never again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.store import InvalidValue
from bot.web.staff import auth, passwords, totp
from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.templates import LANGUAGES, templates, translate

router = APIRouter(prefix="/staff/account", tags=["staff: account"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
Text = Annotated[str, Form(max_length=2048)]
TOKEN_PREFIX = "smt_"  # recognisable in logs and secret scanners
DONE = ("profile", "password", "2fa_on", "2fa_off", "revoked")


@router.get("")
def account_page(request: Request, user: User, done: str | None = None) -> Response:
    notice = f"account.done_{done}" if done in DONE else None
    return _page(request, user, notice_key=notice)


@router.post("/profile")
def save_profile(request: Request, user: User, display_name: Text = "", language: Text = ""
                 ) -> Response:
    if language not in LANGUAGES:
        return _page(request, user, status_code=400, error_key="account.bad_language")
    try:
        auth.accounts(request).update_user(user.id, display_name=display_name,
                                           language=language)
    except InvalidValue:
        return _page(request, user, status_code=400, error_key="account.bad_name")
    audit(request, user, "account.profile", f"user:{user.id}", {"language": language})
    return RedirectResponse("/staff/account?done=profile", status_code=303)


@router.post("/language")
def switch_language(request: Request, user: User, language: Annotated[str, Form()],
                    next: Text = "") -> Response:
    """The menu's language button: the choice is kept with the user, on every device."""
    if language in LANGUAGES and language != user.language:
        auth.accounts(request).update_user(user.id, language=language)
        audit(request, user, "account.language", f"user:{user.id}", {"language": language})
    return RedirectResponse(auth.safe_next(next or "/staff/"), status_code=303)


@router.post("/password")
def change_password(request: Request, user: User, current: Text = "", new: Text = "",
                    repeat: Text = "") -> Response:
    row = request.state.user_row
    if not passwords.verify_password(row["password_hash"], current):
        audit(request, user, "account.password_refused", f"user:{user.id}", {"reason": "current"})
        return _page(request, user, status_code=400, error_key="account.wrong_current")
    if new != repeat:
        return _page(request, user, status_code=400, error_key="account.passwords_differ")
    try:
        passwords.check_strength(new, username=user.username)
    except passwords.WeakPassword as weak:
        return _page(request, user, status_code=400, error=_weak(request, user, weak))
    # Every other browser signed in as this user is signed out; this one stays.
    auth.accounts(request).update_user(user.id, password_hash=passwords.hash_password(new),
                                       keep_session=request.state.session_hash)
    audit(request, user, "account.password", f"user:{user.id}", None)
    return RedirectResponse("/staff/account?done=password", status_code=303)


@router.get("/2fa")
def two_factor_page(request: Request, user: User) -> Response:
    row = request.state.user_row
    if not row["totp_enabled"] and not row["totp_secret"]:
        row = auth.accounts(request).update_user(user.id, totp_secret=totp.new_secret())
    return _two_factor(request, user, row)


@router.post("/2fa/confirm")
def confirm_two_factor(request: Request, user: User, code: Text = "") -> Response:
    row = request.state.user_row
    if row["totp_enabled"]:
        return RedirectResponse("/staff/account", status_code=303)
    if not row["totp_secret"]:
        return RedirectResponse("/staff/account/2fa", status_code=303)
    step = totp.verify(row["totp_secret"], code, at=auth.now(request), last_step=None)
    if step is None:
        audit(request, user, "account.2fa_refused", f"user:{user.id}", None)
        return _two_factor(request, user, row, status_code=400, error_key="account.2fa_wrong")
    auth.accounts(request).update_user(user.id, totp_enabled=True, totp_last_step=step)
    audit(request, user, "account.2fa_on", f"user:{user.id}", None)
    return RedirectResponse("/staff/account?done=2fa_on", status_code=303)


@router.post("/2fa/disable")
def disable_two_factor(request: Request, user: User, password: Text = "") -> Response:
    row = request.state.user_row
    if _two_factor_required(request, user):
        return _page(request, user, status_code=400, error_key="account.2fa_required")
    if not passwords.verify_password(row["password_hash"], password):
        return _page(request, user, status_code=400, error_key="account.wrong_current")
    auth.accounts(request).update_user(user.id, totp_enabled=False, totp_secret=None,
                                       totp_last_step=None)
    audit(request, user, "account.2fa_off", f"user:{user.id}", None)
    return RedirectResponse("/staff/account?done=2fa_off", status_code=303)


@router.post("/tokens")
def create_token(request: Request, user: User, name: Text = "") -> Response:
    token, token_hash = passwords.new_secret_token(TOKEN_PREFIX)
    try:
        created = auth.accounts(request).create_api_token(user_id=user.id, name=name,
                                                          token_hash=token_hash)
    except InvalidValue:
        return _page(request, user, status_code=400, error_key="account.token_needs_name")
    audit(request, user, "token.create", f"token:{created['id']}", {"name": created["name"]})
    return _page(request, user, new_token=token, new_token_name=created["name"])


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, user: User, token_id: int) -> Response:
    try:
        revoked = auth.accounts(request).revoke_api_token(user_id=user.id, token_id=token_id,
                                                          now=auth.now(request))
    except InvalidValue:
        return _page(request, user, status_code=404, error_key="account.no_such_token")
    audit(request, user, "token.revoke", f"token:{token_id}", {"name": revoked["name"]})
    return RedirectResponse("/staff/account?done=revoked", status_code=303)


def _page(request: Request, user: CurrentUser, *, status_code: int = 200,
          notice_key: str | None = None, error_key: str | None = None, error: str | None = None,
          **extra: Any) -> Response:
    row = auth.accounts(request).get_user(user.id)
    context = {
        "me": row,
        "tokens": auth.accounts(request).list_api_tokens(user.id),
        "notice": translate(user.language, notice_key) if notice_key else None,
        "error": error or (translate(user.language, error_key) if error_key else None),
        "two_factor_required": _two_factor_required(request, user),
        **extra,
    }
    return templates.TemplateResponse(request, "staff/account.html", context,
                                      status_code=status_code)


def _two_factor(request: Request, user: CurrentUser, row: dict[str, Any], *,
                status_code: int = 200, error_key: str | None = None) -> Response:
    uri = totp.provisioning_uri(row["totp_secret"], row["username"]) if row["totp_secret"] else ""
    context = {
        "me": row,
        "otpauth_uri": uri,
        "qr_svg": totp.qr_svg(uri) if uri else "",
        "must_enrol": _two_factor_required(request, user) and not row["totp_enabled"],
        "error": translate(user.language, error_key) if error_key else None,
    }
    return templates.TemplateResponse(request, "staff/account_2fa.html", context,
                                      status_code=status_code)


def _two_factor_required(request: Request, user: CurrentUser) -> bool:
    return bool(getattr(request.app.state.settings, "staff_require_2fa", False)) and (
        user.role == "admin"
    )


def _weak(request: Request, user: CurrentUser, weak: passwords.WeakPassword) -> str:
    return translate(user.language, f"password.{weak.rule}", **weak.params)
