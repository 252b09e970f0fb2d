"""What the follow-up pages share: the FollowUp store, store errors as friendly pages, links
that keep the filters. `install(app)` mounts the page routers (inbox, outcomes, conversations,
exports, reports, matches)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from bot.store import StoreError, UnknownOutcome
from bot.store.followup import FollowUp, InboxFilters, UnknownConversation
from bot.web.staff import auth, errors
from bot.web.staff.auth import CurrentUser
from bot.web.templates import translate, ui_language

# Who may see a person's contact details (CSV export, outcome and transcript pages): trainers
# and admins. Staff follow up through the outcome itself; widen this one line if a
# municipality decides its caseworkers should call people back directly.
CONTACT_ROLE = "trainer"


def followup(request: Request) -> FollowUp:
    if not hasattr(request.app.state, "followup"):
        request.app.state.followup = FollowUp(request.app.state.store)
    return request.app.state.followup


def may_see_contact(user: CurrentUser) -> bool:
    return user.has_role(CONTACT_ROLE)


def store_error(request: Request, error: StoreError) -> Response:
    """A store error as a page (or JSON): unknown ids 404, bad values 400 with the reason."""
    not_found = isinstance(error, UnknownOutcome | UnknownConversation)
    code = 404 if not_found else 400
    if auth.wants_json(request):
        return JSONResponse({"detail": str(error)}, status_code=code)
    language = ui_language(request)
    if not_found:
        return errors.error_page(request, 404, "errors.not_found_title",
                                 translate(language, "errors.not_found"))
    return errors.error_page(request, 400, "errors.bad_request_title",
                             translate(language, "errors.bad_request"), [str(error)])


def inbox_filters(request: Request, user: CurrentUser) -> InboxFilters:
    return InboxFilters.parse(request.query_params, me=user.username)


def inbox_url(filters: dict[str, Any] | None = None, **extra: Any) -> str:
    """/staff/inbox with these filters (the reports' links, the pages' own links)."""
    params = {k: v for k, v in {**(filters or {}), **extra}.items() if v not in (None, "")}
    return "/staff/inbox" + ("?" + urlencode(params) if params else "")


def install(app: FastAPI) -> None:
    from bot.web.staff import conversations, exports, inbox, matches, outcomes, reports

    for page in (inbox, outcomes, conversations, exports, reports, matches):
        app.include_router(page.router)

    async def handle(request: Request, error: Exception) -> Response:
        assert isinstance(error, StoreError)
        if not request.url.path.startswith("/staff"):
            from bot.web.errors import store_error as api_error

            return await api_error(request, error)
        return store_error(request, error)

    app.add_exception_handler(StoreError, handle)
