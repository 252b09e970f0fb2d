"""/staff/inbox: outcomes to follow up, filtered by the query string (bookmarkable), with
counts per filter value, search, paging and bulk actions. /staff/inbox.json is its JSON twin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.store import InvalidValue
from bot.store.followup.filters import DAYS, STEPS
from bot.store.validation import KINDS, LANGUAGES, ROLES, STATUSES
from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.staff.pages import followup, inbox_filters, inbox_url
from bot.web.templates import templates

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
BULK_ACTIONS = ("assign_me", "unassign", "status_new", "status_in_progress", "status_done")


@router.get("/inbox.json")
def inbox_json(request: Request, user: User) -> dict:
    filters = inbox_filters(request, user)
    result = followup(request).inbox(filters)
    result["facets"] = {name: [{"value": v, "count": n} for v, n in counts.items()]
                        for name, counts in result["facets"].items()}
    return result | {"filters": filters.to_query(me=user.username)}


@router.get("/inbox")
def inbox(request: Request, user: User) -> Response:
    filters = inbox_filters(request, user)
    result = followup(request).inbox(filters)
    query = filters.to_query(me=user.username)

    def link(**changes: object) -> str:
        """This view with one filter changed (None removes it); paging starts again."""
        params = {k: v for k, v in query.items() if k != "page"}
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = str(value)
        return inbox_url(params)

    context = {
        "result": result, "filters": filters, "query": query, "link": link,
        "choices": {"kind": KINDS, "status": STATUSES, "language": LANGUAGES, "role": ROLES,
                    "step": STEPS, "day": DAYS},
        "page": result["page"], "pages": result["pages"],
        "page_url": lambda n: inbox_url({**query, "page": n}),
        "export_url": "/staff/exports/outcomes.csv" + (link()[len("/staff/inbox"):]),
        "here": str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
        "bulk_actions": BULK_ACTIONS,
    }
    return templates.TemplateResponse(request, "staff/inbox.html", context)


@router.post("/inbox/bulk")
def bulk(request: Request, user: User, action: Annotated[str, Form()],
         ids: Annotated[list[int] | None, Form()] = None,
         next: Annotated[str, Form()] = "/staff/inbox") -> Response:
    if action not in BULK_ACTIONS:
        raise InvalidValue(f"action must be one of {', '.join(BULK_ACTIONS)}; got {action!r}")
    store = followup(request)
    chosen = ids or []
    if action == "assign_me":
        changes = store.assign(chosen, user.username)
    elif action == "unassign":
        changes = store.assign(chosen, None)
    else:
        changes = store.set_status(chosen, action.removeprefix("status_"))
    for change in changes:
        audit(request, user, f"outcome.{'assign' if 'assign' in action else 'status'}",
              f"outcome:{change['id']}", {"before": change["before"], "after": change["after"],
                                          "bulk": len(chosen)})
    # Back to the same view (only a path on this site, so the form cannot redirect elsewhere).
    target = next if next.startswith("/staff/") and not next.startswith("//") else "/staff/inbox"
    return RedirectResponse(target, status_code=303)
