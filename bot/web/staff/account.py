"""The signed-in user's own page, /staff/account: name, language, password, 2FA, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.web.staff import auth
from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.templates import LANGUAGES

router = APIRouter(prefix="/staff/account", tags=["staff: account"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]


@router.post("/language")
def switch_language(
    request: Request, user: User, language: Annotated[str, Form()], next: Annotated[str, Form()] = ""
) -> Response:
    """The menu's language button: the choice is kept with the user, on every device."""
    if language in LANGUAGES and language != user.language:
        auth.accounts(request).update_user(user.id, language=language)
        audit(request, user, "account.language", f"user:{user.id}", {"language": language})
    return RedirectResponse(auth.safe_next(next or "/staff/"), status_code=303)
