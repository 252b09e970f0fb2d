"""/staff/matches: every gift and possibility staff have matched (who, when, note)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bot.web.staff.auth import CurrentUser, require_user
from bot.web.staff.pages import followup
from bot.web.templates import templates

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
PER_PAGE = 50


@router.get("/matches.json")
def matches_json(request: Request, user: User, page: Annotated[int, Query(ge=1)] = 1) -> dict:
    return {"matches": followup(request).matches(limit=PER_PAGE, offset=(page - 1) * PER_PAGE)}


@router.get("/matches")
def matches(request: Request, user: User, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    rows = followup(request).matches(limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return templates.TemplateResponse(request, "staff/matches.html", {"matches": rows})
