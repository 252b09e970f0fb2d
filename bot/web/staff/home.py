"""/staff/ itself: the inbox once it exists (the staffpages routers), a start page until then."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from bot.web.staff.auth import CurrentUser, require_user
from bot.web.templates import templates

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
INBOX = "/staff/inbox"


@router.get("/")
def home(request: Request, user: Annotated[CurrentUser, Depends(require_user)]) -> Response:
    if any(getattr(route, "path", None) == INBOX for route in request.app.routes):
        return RedirectResponse(INBOX, status_code=303)
    return templates.TemplateResponse(request, "staff/home.html", {})
