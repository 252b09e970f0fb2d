"""Dependencies shared by the routers: the store and the staff token check.

The JSON API takes the shared STAFF_API_TOKEN or a personal API token (made on /staff/account);
with a personal one, `request.state.user` is its owner and API changes are audited in their name.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.settings import Settings
from bot.store import OutcomeStore
from bot.web.staff.auth import CurrentUser, load_user

_bearer = HTTPBearer(auto_error=False)  # we answer 401 ourselves; FastAPI would say 403


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> OutcomeStore:
    return request.app.state.store


def require_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is None:
        raise _unauthorised("Missing bearer token")
    expected: str = request.app.state.staff_token
    if secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        request.state.user = None  # the shared token speaks for no one in particular
        return
    if load_user(request) is None or not request.state.via_token:
        raise _unauthorised("Invalid bearer token")


def api_user(request: Request) -> CurrentUser | None:
    """The owner of the personal API token of this request; None for STAFF_API_TOKEN."""
    return getattr(request.state, "user", None)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


StoreDep = Annotated[OutcomeStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
