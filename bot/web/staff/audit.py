"""The audit log page, /staff/audit (admins): newest first, filtered by user, action and date
(Danish local days), 50 rows a page. The filters live in the URL, so a view can be bookmarked.

Rows show what auth.audit() wrote: who, what, which target, details (ids, field names, staff's
choices; never a citizen's words), when and from which address.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bot.web.staff import auth
from bot.web.staff.auth import CurrentUser, require_role
from bot.web.templates import LOCAL_TIME, templates, translate

router = APIRouter(prefix="/staff/audit", tags=["staff: audit"], include_in_schema=False)
Admin = Annotated[CurrentUser, Depends(require_role("admin"))]
Filter = Annotated[str, Query(max_length=100)]
PAGE_SIZE = 50
GROUPS = ("login.", "account.", "user.", "token.", "outcome.")  # action prefixes to filter by


@router.get("")
def audit_page(request: Request, admin: Admin, user: Filter = "", action: Filter = "",
               since: Filter = "", until: Filter = "",
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    problems: list[str] = []
    start = _day(since, "since", admin, problems)
    end = _day(until, "until", admin, problems)
    filters: dict[str, Any] = {
        "username": user.strip() or None,
        "action": action.strip() or None,
        "since": None if start is None else _local_midnight(start),
        "until": None if end is None else _local_midnight(end + timedelta(days=1)),
    }
    if problems:
        rows, total = [], 0
    else:
        accounts = auth.accounts(request)
        total = accounts.count_audit(**filters)
        rows = accounts.list_audit(**filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    query = {"user": user, "action": action, "since": since, "until": until}

    def page_url(number: int) -> str:
        kept = {key: value for key, value in query.items() if value}
        return f"/staff/audit?{urlencode({**kept, 'page': number})}"

    context = {
        "rows": [{**row, "detail_text": _detail(row["detail"])} for row in rows],
        "total": total,
        "query": query,
        "actions": auth.accounts(request).audit_actions(),
        "groups": GROUPS,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "page_url": page_url,
        "error": "; ".join(problems) or None,
    }
    return templates.TemplateResponse(request, "staff/audit.html", context,
                                      status_code=400 if problems else 200)


def _day(raw: str, name: str, admin: CurrentUser, problems: list[str]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(translate(admin.language, "audit.bad_date", field=name, value=raw))
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TIME)


def _detail(detail: dict[str, Any] | None) -> str:
    return "" if not detail else json.dumps(detail, ensure_ascii=False, sort_keys=True)
