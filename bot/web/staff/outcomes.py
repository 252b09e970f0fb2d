"""/staff/outcomes/{id}: one outcome, its context and its follow-up; every change is audited.
/staff/outcomes/{id}.json is its JSON twin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.store import InvalidValue
from bot.store.validation import STATUSES
from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.staff.pages import followup, may_see_contact
from bot.web.templates import templates

router = APIRouter(prefix="/staff/outcomes", tags=["staff"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
CONTEXT_LINES = 3  # transcript lines shown before and after the message that made the outcome


def _view(request: Request, user: CurrentUser, outcome_id: int) -> dict[str, Any]:
    store = followup(request)
    outcome = store.outcome(outcome_id)
    conversation = store.conversation(outcome["conversation_id"])
    lines = conversation["transcript"]
    source = next((o.get("source_message_id") for o in conversation["outcomes"]
                   if o["id"] == outcome_id), None)
    at = next((i for i, line in enumerate(lines) if source and line.get("message_id") == source), None)
    around = lines[max(0, at - CONTEXT_LINES): at + CONTEXT_LINES + 1] if at is not None else lines[-2 * CONTEXT_LINES:]
    return {
        "outcome": outcome,
        "conversation": {k: conversation[k] for k in ("conversation_id", "language", "role", "created_at")}
        | ({"contact": conversation["contact"]} if may_see_contact(user) else {}),
        "around": around,
        "source_message_id": source,
        "matches": store.matches_for(outcome_id),
        "suggestions": store.suggestions(outcome_id, language=user.language),
    }


@router.get("/{outcome_id}.json")
def outcome_json(request: Request, user: User, outcome_id: int) -> dict:
    return _view(request, user, outcome_id)


@router.get("/{outcome_id}")
def outcome_page(request: Request, user: User, outcome_id: int) -> Response:
    view = _view(request, user, outcome_id)
    audit(request, user, "outcome.view", f"outcome:{outcome_id}", None)
    return templates.TemplateResponse(request, "staff/outcome.html", view | {"statuses": STATUSES})


def _back(outcome_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/staff/outcomes/{outcome_id}{anchor}", status_code=303)


@router.post("/{outcome_id}/status")
def change_status(request: Request, user: User, outcome_id: int,
                  status: Annotated[str, Form()]) -> Response:
    for change in followup(request).set_status([outcome_id], status):
        audit(request, user, "outcome.status", f"outcome:{outcome_id}",
              {"before": change["before"], "after": change["after"]})
    return _back(outcome_id)


@router.post("/{outcome_id}/assignee")
def change_assignee(request: Request, user: User, outcome_id: int,
                    assignee: Annotated[str, Form()] = "") -> Response:
    # "me" is the usual case (the button); any other name may be typed.
    name = user.username if assignee == "me" else (assignee.strip() or None)
    for change in followup(request).assign([outcome_id], name):
        audit(request, user, "outcome.assign", f"outcome:{outcome_id}",
              {"before": change["before"], "after": change["after"]})
    return _back(outcome_id)


@router.post("/{outcome_id}/notes")
def add_note(request: Request, user: User, outcome_id: int,
             text: Annotated[str, Form()] = "") -> Response:
    note = followup(request).add_note(outcome_id, author=user.username, text=text)
    audit(request, user, "outcome.note", f"outcome:{outcome_id}", {"note_id": note["id"]})
    return _back(outcome_id, "#notes")


@router.post("/{outcome_id}/due")
def change_due(request: Request, user: User, outcome_id: int,
               due: Annotated[str, Form()] = "") -> Response:
    try:
        day = dt.date.fromisoformat(due) if due.strip() else None
    except ValueError:
        raise InvalidValue(f"due must be a date as YYYY-MM-DD; got {due!r}") from None
    change = followup(request).set_due(outcome_id, day)
    audit(request, user, "outcome.due", f"outcome:{outcome_id}",
          {"before": change["before"], "after": change["after"]})
    return _back(outcome_id)


@router.post("/{outcome_id}/kept")
def change_kept(request: Request, user: User, outcome_id: int,
                kept: Annotated[str, Form()]) -> Response:
    values = {"yes": True, "no": False, "unknown": None}
    if kept not in values:
        raise InvalidValue(f"kept must be yes, no or unknown; got {kept!r}")
    change = followup(request).set_kept(outcome_id, values[kept])
    audit(request, user, "outcome.kept", f"outcome:{outcome_id}",
          {"before": change["before"], "after": change["after"]})
    return _back(outcome_id)


@router.post("/{outcome_id}/matches")
def mark_match(request: Request, user: User, outcome_id: int,
               other_id: Annotated[int, Form()], note: Annotated[str, Form()] = "") -> Response:
    store = followup(request)
    kind = store.outcome(outcome_id)["kind"]
    gift, possibility = (outcome_id, other_id) if kind == "gift" else (other_id, outcome_id)
    match = store.mark_match(gift, possibility, author=user.username, note=note.strip() or None)
    audit(request, user, "match.create", f"match:{match['id']}",
          {"gift_id": gift, "possibility_id": possibility})
    return _back(outcome_id, "#matches")
