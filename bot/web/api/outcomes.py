"""Outcomes: what people offered, and the staff follow-up on each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from bot.web.deps import StoreDep, api_user, require_staff
from bot.web.schemas import Kind, OutcomeList, OutcomePublic, OutcomeUpdate, Status
from bot.web.staff.auth import audit

router = APIRouter(prefix="/outcomes", tags=["outcomes"], dependencies=[Depends(require_staff)])


@router.get("", response_model=OutcomeList)
def list_outcomes(
    store: StoreDep,
    kind: Kind | None = None,
    status: Status | None = None,
    conversation_id: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    filters = {"kind": kind, "status": status, "conversation_id": conversation_id}
    outcomes = store.list_outcomes(**filters, limit=limit, offset=offset)
    # count: this page; total: all that match, so a client knows when to stop paging.
    return {"outcomes": outcomes, "count": len(outcomes), "total": store.count_outcomes(**filters)}


@router.patch("/{outcome_id}", response_model=OutcomePublic)
def update_outcome(
    outcome_id: int, update: OutcomeUpdate, store: StoreDep, request: Request
) -> dict:
    # Only the fields the client sent change; an explicit null status is refused by the store.
    changes = update.model_dump(exclude_unset=True)
    updated = store.update_outcome(outcome_id, **changes)
    # The audit names the fields, never their text (a note may quote the person).
    detail = {"fields": sorted(changes), "status": changes.get("status"), "via": "api"}
    audit(request, api_user(request), "outcome.update", f"outcome:{outcome_id}", detail)
    return updated
