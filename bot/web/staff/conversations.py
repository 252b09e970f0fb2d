"""/staff/conversations (list) and /staff/conversations/{id} (transcript, printable), flags on
bot messages, and /staff/flags (the list trainers turn into training data). JSON twins: .json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from bot.store.followup.filters import InboxFilters
from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.staff.pages import followup, may_see_contact
from bot.web.templates import templates

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
PER_PAGE = 25


def _list(request: Request, user: CurrentUser, page: int) -> dict[str, Any]:
    # The same checks as the inbox's filters, so a bad value gets the same clear message.
    filters = InboxFilters.parse(request.query_params, me=user.username)
    result = followup(request).conversations(
        language=filters.language, role=filters.role, since=filters.since, until=filters.until,
        limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return result | {"page": page, "pages": max(1, -(-result["total"] // PER_PAGE))}


@router.get("/conversations.json")
def conversations_json(request: Request, user: User, page: Annotated[int, Query(ge=1)] = 1) -> dict:
    return _list(request, user, page)


@router.get("/conversations")
def conversations(request: Request, user: User, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    result = _list(request, user, page)
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    context = result | {"params": params,
                        "page_url": lambda n: "/staff/conversations?" + "&".join(
                            f"{k}={v}" for k, v in {**params, "page": n}.items())}
    return templates.TemplateResponse(request, "staff/conversations.html", context)


def _conversation(request: Request, user: CurrentUser, conversation_id: str) -> dict[str, Any]:
    view = followup(request).conversation(conversation_id)
    if not may_see_contact(user):
        view.pop("contact")
    audit(request, user, "transcript.view", f"conversation:{conversation_id}", None)
    return view


@router.get("/conversations/{conversation_id}.json")
def conversation_json(request: Request, user: User, conversation_id: str) -> dict:
    return _conversation(request, user, conversation_id)


@router.get("/conversations/{conversation_id}")
def conversation(request: Request, user: User, conversation_id: str) -> Response:
    view = _conversation(request, user, conversation_id)
    return templates.TemplateResponse(request, "staff/conversation.html",
                                      {"c": view, "flaggable": True, "source_message_id": None,
                                       "conversation_id": conversation_id})


@router.post("/conversations/{conversation_id}/flags")
def flag(request: Request, user: User, conversation_id: str,
         event_id: Annotated[int, Form()], comment: Annotated[str, Form()] = "") -> Response:
    created = followup(request).flag_message(conversation_id, event_id, author=user.username,
                                             comment=comment)
    audit(request, user, "flag.create", f"conversation:{conversation_id}",
          {"flag_id": created["id"], "event_id": event_id})
    return RedirectResponse(f"/staff/conversations/{conversation_id}#e-{event_id}", status_code=303)


@router.get("/flags.json")
def flags_json(request: Request, user: User, page: Annotated[int, Query(ge=1)] = 1) -> dict:
    return followup(request).flags(limit=50, offset=(page - 1) * 50)


@router.get("/flags")
def flags(request: Request, user: User, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    result = followup(request).flags(limit=50, offset=(page - 1) * 50)
    context = result | {"page": page, "pages": max(1, -(-result["total"] // 50)),
                        "page_url": lambda n: f"/staff/flags?page={n}"}
    return templates.TemplateResponse(request, "staff/flags.html", context)
