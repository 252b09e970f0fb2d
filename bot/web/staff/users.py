"""Admins manage staff accounts at /staff/users: create, change role, disable and enable,
reset a password (a generated one, shown once), reset 2FA, lift a login lock. All audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.store import InvalidValue
from bot.store.account_models import ROLES
from bot.web.staff import auth, passwords, throttle
from bot.web.staff.auth import CurrentUser, audit, require_role
from bot.web.templates import LANGUAGES, templates, translate

router = APIRouter(prefix="/staff/users", tags=["staff: users"], include_in_schema=False)
Admin = Annotated[CurrentUser, Depends(require_role("admin"))]
Text = Annotated[str, Form(max_length=2048)]
DONE = ("role", "disabled", "enabled", "unlocked", "2fa_reset")


@router.get("")
def list_users(request: Request, admin: Admin, done: str | None = None) -> Response:
    return _page(request, admin, notice_key=f"users.done_{done}" if done in DONE else None)


@router.post("")
def create_user(
    request: Request, admin: Admin, username: Text = "", display_name: Text = "",
    role: Text = "staff", language: Text = "da", password: Text = "",
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role,
            "language": language}
    if role not in ROLES or language not in LANGUAGES:
        return _page(request, admin, status_code=400, error_key="users.bad_choice", form=form)
    generated = not password
    chosen = password or passwords.generate_password()
    try:
        passwords.check_strength(chosen, username=username.strip())
        created = auth.accounts(request).create_user(
            username=username, display_name=display_name or username, role=role,
            language=language, password_hash=passwords.hash_password(chosen),
        )
    except passwords.WeakPassword as weak:
        message = translate(admin.language, f"password.{weak.rule}", **weak.params)
        return _page(request, admin, status_code=400, error=message, form=form)
    except InvalidValue as invalid:  # taken or malformed username: the store says which
        return _page(request, admin, status_code=400, error=_invalid(admin, invalid), form=form)
    audit(request, admin, "user.create", f"user:{created['id']}",
          {"username": created["username"], "role": role, "generated_password": generated})
    return _page(request, admin, shown_once=_shown_once(created, chosen if generated else None))


@router.post("/{user_id}/role")
def change_role(request: Request, admin: Admin, user_id: int, role: Text = "") -> Response:
    target = _target(request, user_id)
    if role not in ROLES:
        return _page(request, admin, status_code=400, error_key="users.bad_choice")
    if target["id"] == admin.id and role != "admin":
        return _page(request, admin, status_code=400, error_key="users.not_yourself")
    if role != target["role"]:
        auth.accounts(request).update_user(user_id, role=role)
        audit(request, admin, "user.role", f"user:{user_id}",
              {"username": target["username"], "from": target["role"], "to": role})
    return RedirectResponse("/staff/users?done=role", status_code=303)


@router.post("/{user_id}/disable")
def disable_user(request: Request, admin: Admin, user_id: int) -> Response:
    target = _target(request, user_id)
    if target["id"] == admin.id:
        return _page(request, admin, status_code=400, error_key="users.not_yourself")
    # Disabling ends the user's sessions, and their API tokens stop working (store query).
    auth.accounts(request).update_user(user_id, disabled=True)
    audit(request, admin, "user.disable", f"user:{user_id}", {"username": target["username"]})
    return RedirectResponse("/staff/users?done=disabled", status_code=303)


@router.post("/{user_id}/enable")
def enable_user(request: Request, admin: Admin, user_id: int) -> Response:
    target = _target(request, user_id)
    auth.accounts(request).update_user(user_id, disabled=False)
    audit(request, admin, "user.enable", f"user:{user_id}", {"username": target["username"]})
    return RedirectResponse("/staff/users?done=enabled", status_code=303)


@router.post("/{user_id}/password")
def reset_password(request: Request, admin: Admin, user_id: int) -> Response:
    target = _target(request, user_id)
    password = passwords.generate_password()
    auth.accounts(request).update_user(user_id, password_hash=passwords.hash_password(password),
                                       keep_session=request.state.session_hash)
    throttle.record_success(auth.accounts(request), target["username"])
    audit(request, admin, "user.password_reset", f"user:{user_id}",
          {"username": target["username"]})
    return _page(request, admin, shown_once=_shown_once(target, password))


@router.post("/{user_id}/2fa/reset")
def reset_two_factor(request: Request, admin: Admin, user_id: int) -> Response:
    """For a lost phone: the user signs in with the password and enrols again."""
    target = _target(request, user_id)
    auth.accounts(request).update_user(user_id, totp_enabled=False, totp_secret=None,
                                       totp_last_step=None)
    audit(request, admin, "user.2fa_reset", f"user:{user_id}", {"username": target["username"]})
    return RedirectResponse("/staff/users?done=2fa_reset", status_code=303)


@router.post("/{user_id}/unlock")
def unlock_user(request: Request, admin: Admin, user_id: int) -> Response:
    target = _target(request, user_id)
    throttle.record_success(auth.accounts(request), target["username"])
    audit(request, admin, "user.unlock", f"user:{user_id}", {"username": target["username"]})
    return RedirectResponse("/staff/users?done=unlocked", status_code=303)


def _target(request: Request, user_id: int) -> dict[str, Any]:
    user = auth.accounts(request).get_user(user_id)
    if user is None:
        raise HTTPException(404, detail=f"no user with id {user_id}")
    return user


def _shown_once(user: dict[str, Any], password: str | None) -> dict[str, Any]:
    return {"username": user["username"], "password": password}


def _invalid(admin: CurrentUser, invalid: InvalidValue) -> str:
    key = "users.taken" if "already taken" in str(invalid) else "users.bad_username"
    return translate(admin.language, key)


def _page(request: Request, admin: CurrentUser, *, status_code: int = 200,
          notice_key: str | None = None, error_key: str | None = None,
          error: str | None = None, **extra: Any) -> Response:
    accounts = auth.accounts(request)
    users = accounts.list_users()
    locks = accounts.throttles([throttle.keys(user["username"], None)["account"]
                                for user in users])
    at = auth.now(request)
    for user in users:
        lock = locks.get(throttle.keys(user["username"], None)["account"])
        user["locked"] = bool(lock and lock["blocked_until"] and lock["blocked_until"] > at)
    context = {
        "users": users,
        "roles": ROLES,
        "form": extra.pop("form", {"role": "staff", "language": admin.language}),
        "notice": translate(admin.language, notice_key) if notice_key else None,
        "error": error or (translate(admin.language, error_key) if error_key else None),
        **extra,
    }
    return templates.TemplateResponse(request, "staff/users.html", context,
                                      status_code=status_code)
