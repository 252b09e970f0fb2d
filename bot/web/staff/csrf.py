"""CSRF protection for every state-changing staff form: a synchronizer token per session.

Why our own ~50 lines instead of starlette-csrf / asgi-csrf: those are double-submit cookies,
a token that lives beside the session rather than in it. We already keep server-side sessions,
so the token is derived from the session (HMAC of its id with a server key): it dies with the
session at logout or when an admin disables the user, needs no extra cookie or table, and is
checked in one dependency (`require_user`, for every POST/PUT/PATCH/DELETE) that reads the form
field `csrf_token` or the `X-CSRF-Token` header (htmx sends that one, see staff/base.html).
Before sign-in (the login form) the token is bound to a random pre-login cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

FIELD = "csrf_token"
HEADER = "x-csrf-token"
PRELOGIN_COOKIE = "samtale_prelogin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(Exception):
    """The message tells staff precisely what was wrong and what to do."""


def token_for(request: Request) -> str:
    """The token the current page's forms must send back."""
    session_hash = getattr(request.state, "session_hash", None)
    if session_hash is not None:
        return _sign(request, f"session:{session_hash}")
    return _sign(request, f"prelogin:{prelogin_value(request)}")


def prelogin_value(request: Request) -> str:
    """The pre-login cookie's value; a new one (to be set by the login page) if absent."""
    value = request.cookies.get(PRELOGIN_COOKIE)
    if not value or len(value) > 100:
        value = getattr(request.state, "new_prelogin", None) or secrets.token_urlsafe(24)
        request.state.new_prelogin = value
    return value


async def verify(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else None
    if not sent:
        raise CsrfFailed("csrf.missing")
    if getattr(request.state, "session_hash", None) is None and PRELOGIN_COOKIE not in (
        request.cookies
    ):
        raise CsrfFailed("csrf.no_cookie")
    if not hmac.compare_digest(sent.encode(), token_for(request).encode()):
        raise CsrfFailed("csrf.mismatch")


def _sign(request: Request, message: str) -> str:
    key: bytes = request.app.state.csrf_key
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
