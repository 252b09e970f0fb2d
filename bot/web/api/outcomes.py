"""Outcomes: what people offered, and the staff follow-up on each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from bot.web.deps import StoreDep, api_user, require_staff
from bot.web.schemas import (
    MAX_DB_INT,
    Kind,
    OutcomeList,
    OutcomePublic,
    OutcomeUpdate,
    Status,
    safe_text,
)
from bot.web.staff.auth import audit

router = APIRouter(prefix="/outcomes", tags=["outcomes"], dependencies=[Depends(require_staff)])


@router.get("", response_model=OutcomeList)
def list_outcomes(
    store: StoreDep,
    kind: Kind | None = None,
    status: Status | None = None,
    conversation_id: Annotated[safe_text(1, 255) | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> dict:
    filters = {"kind": kind, "status": status, "conversation_id": conversation_id}
    outcomes = store.list_outcomes(**filters, limit=limit, offset=offset)
    # count: this page; total: all that match, so a client knows when to stop paging.
    return {"outcomes": outcomes, "count": len(outcomes), "total": store.count_outcomes(**filters)}


@router.patch("/{outcome_id}", response_model=OutcomePublic)
def update_outcome(
    outcome_id: Annotated[int, Path(ge=1, le=MAX_DB_INT)], update: OutcomeUpdate, store: StoreDep,
    request: Request,
) -> dict:
    # Only the fields the client sent change; an explicit null status is refused by the store.
    changes = update.model_dump(exclude_unset=True)
    updated = store.update_outcome(outcome_id, **changes)
    # The audit names the fields, never their text (a note may quote the person).
    detail = {"fields": sorted(changes), "status": changes.get("status"), "via": "api"}
    audit(request, api_user(request), "outcome.update", f"outcome:{outcome_id}", detail)
    return updated
