"""Who is signed in, what they may do, and the audit trail. The contract other pages build on:

    from bot.web.staff.auth import CurrentUser, audit, require_role, require_user

    @router.get("/staff/inbox")
    def inbox(request: Request, user: CurrentUser = Depends(require_user)): ...

    @router.post("/staff/users/{user_id}/disable")
    def disable(..., admin: CurrentUser = Depends(require_role("admin"))):
        audit(request, admin, "user.disable", f"user:{user_id}", None)

- `require_user`: a signed-in user, from the session cookie (or a personal API token sent as
  `Authorization: Bearer`). Without one, a page request is redirected (303) to
  /staff/login?next=<this page>, a JSON request gets 401. For POST/PUT/PATCH/DELETE it also
  checks the CSRF token (bot/web/staff/csrf.py), so no state-changing form can skip it.
- `require_role("trainer")`: that role or a higher one (staff < trainer < admin), else 403.
- `audit(request, user, action, target, detail)`: one audit_log row with time and client
  address. Never put a citizen's words in `detail`: erasing a person must leave only the fact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response, status

from bot.store.accounts import AccountStore
from bot.web.staff import csrf
from bot.web.staff.passwords import new_secret_token, sha256

Role = Literal["staff", "trainer", "admin"]
Language = Literal["da", "en"]
ROLE_ORDER: dict[str, int] = {"staff": 0, "trainer": 1, "admin": 2}
SESSION_COOKIE = "samtale_staff"
SESSION_IDLE = timedelta(hours=2)  # signed out after two hours without a request
SESSION_MAX = timedelta(hours=12)  # and after a working day whatever happens
SECOND_FACTOR_WAIT = timedelta(minutes=5)  # to type the TOTP code after the password
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most once a minute
LOGIN_PATH = "/staff/login"
ENROL_PATH = "/staff/account/2fa"
# What an admin who must enrol in 2FA may still open before doing so.
ENROL_ALLOWED = (ENROL_PATH, "/staff/logout", "/staff/static/")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: Role
    language: Language

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CurrentUser:
        return cls(row["id"], row["username"], row["display_name"], row["role"], row["language"])

    def has_role(self, role: str) -> bool:
        return ROLE_ORDER[self.role] >= ROLE_ORDER[role]


class LoginRequired(Exception):
    def __init__(self, next_url: str, *, second_factor: bool = False) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.second_factor = second_factor


class Forbidden(Exception):
    """403: the user is signed in but lacks the role (`needed`)."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed


class EnrolRequired(Exception):
    """STAFF_REQUIRE_2FA=1 and an admin without 2FA: enrol before anything else."""


def accounts(request: Request) -> AccountStore:
    return request.app.state.accounts


def now(request: Request) -> datetime:
    """The clock, from app state so tests can move time (lock-outs, session expiry)."""
    return request.app.state.clock()


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def wants_json(request: Request) -> bool:
    """API and script callers get JSON errors; browsers get pages and redirects."""
    path = request.url.path
    if path.startswith("/api/") or path.endswith(".json") or "authorization" in request.headers:
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def load_user(request: Request) -> CurrentUser | None:
    """The signed-in user of this request (cached on request.state), or None."""
    if hasattr(request.state, "user"):
        return request.state.user
    request.state.user = None
    request.state.user_row = None
    request.state.pending_session = None
    request.state.via_token = False
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return _load_token_user(request, authorization[7:].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 200:
        return None
    at = now(request)
    found = accounts(request).get_session(sha256(cookie), now=at)
    if found is None:
        return None
    if found["second_factor_pending"]:
        request.state.pending_session = found
        return None
    request.state.session_hash = found["id_hash"]
    request.state.user_row = found["user"]
    request.state.user = CurrentUser.from_row(found["user"])
    if at - found["last_seen_at"] >= TOUCH_EVERY:
        expires = min(at + SESSION_IDLE, found["created_at"] + SESSION_MAX)
        accounts(request).touch_session(found["id_hash"], now=at, expires_at=expires)
    return request.state.user


def _load_token_user(request: Request, token: str) -> CurrentUser | None:
    if not token or len(token) > 200:
        return None
    row = accounts(request).user_for_api_token(sha256(token), now=now(request))
    if row is None:
        return None
    request.state.via_token = True
    request.state.user_row = row
    request.state.user = CurrentUser.from_row(row)
    return request.state.user


async def require_user(request: Request) -> CurrentUser:
    user = load_user(request)
    if user is None:
        if wants_json(request):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="Sign in first: send a session cookie or a personal API token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        pending = request.state.pending_session is not None
        raise LoginRequired(_this_page(request), second_factor=pending)
    if not request.state.via_token:  # a bearer token is never sent by a browser on its own
        await csrf.verify(request)
    if _must_enrol(request) and not request.url.path.startswith(ENROL_ALLOWED):
        raise EnrolRequired()
    return user


def require_role(role: str) -> Callable[..., Awaitable[CurrentUser]]:
    if role not in ROLE_ORDER:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLE_ORDER)}")

    async def dependency(user: Annotated[CurrentUser, Depends(require_user)]) -> CurrentUser:
        if not user.has_role(role):
            raise Forbidden(role)
        return user

    dependency.__name__ = f"require_role_{role}"
    return dependency


def audit(
    request: Request, user: CurrentUser | None, action: str, target: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record who did what from where. `detail` holds ids, field names and staff's choices,
    never a citizen's text."""
    accounts(request).add_audit(
        user_id=user.id if user else None,
        username=user.username if user else None,
        action=action,
        target=target,
        detail=detail,
        client_address=client_address(request),
    )


# Sessions (used by the login and account pages)


def start_session(
    request: Request, response: Response, user_id: int, *, second_factor_pending: bool = False
) -> None:
    """A new session id on every sign-in (no fixation); the old cookie's session ends."""
    old = request.cookies.get(SESSION_COOKIE)
    if old and len(old) <= 200:
        accounts(request).delete_session(sha256(old))
    token, token_hash = new_secret_token()
    at = now(request)
    lifetime = SECOND_FACTOR_WAIT if second_factor_pending else SESSION_IDLE
    accounts(request).create_session(
        id_hash=token_hash, user_id=user_id, expires_at=at + lifetime,
        client_address=client_address(request), second_factor_pending=second_factor_pending,
    )
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=served_over_https(request),
        path="/", max_age=int(SESSION_MAX.total_seconds()),
    )


def complete_second_factor(request: Request) -> None:
    pending = request.state.pending_session
    accounts(request).complete_second_factor(
        pending["id_hash"], expires_at=now(request) + SESSION_IDLE
    )


def end_session(request: Request, response: Response) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return
    if len(cookie) <= 200:
        accounts(request).delete_session(sha256(cookie))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=served_over_https(request))


def served_over_https(request: Request) -> bool:
    public_url = getattr(request.app.state.settings, "public_url", None) or ""
    return request.url.scheme == "https" or str(public_url).startswith("https://")


def safe_next(raw: str | None) -> str:
    """Only our own paths: '/staff/x' yes, '//evil.example' or 'https://…' no."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/staff/"
    return raw


def login_url(next_url: str) -> str:
    return f"{LOGIN_PATH}?next={quote(next_url, safe='/')}"


def _this_page(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _must_enrol(request: Request) -> bool:
    settings = request.app.state.settings
    row = request.state.user_row
    return (
        bool(getattr(settings, "staff_require_2fa", False))
        and row["role"] == "admin"
        and not row["totp_enabled"]
        and not request.state.via_token
    )
