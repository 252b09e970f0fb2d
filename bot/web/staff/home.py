"""/staff/ itself: the inbox, where staff start."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from bot.web.staff.auth import CurrentUser, require_user

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
INBOX = "/staff/inbox"


@router.get("/")
def home(request: Request, user: Annotated[CurrentUser, Depends(require_user)]) -> Response:
    return RedirectResponse(INBOX, status_code=303)
