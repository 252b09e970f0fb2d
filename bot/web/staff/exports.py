"""/staff/exports/outcomes.csv: the inbox's filtered outcomes (all pages) for Danish Excel.

UTF-8 with a byte-order mark and `;` as separator (what Excel with Danish regional settings
opens directly); a cell beginning with = + - @ (or a tab/CR) gets a leading apostrophe so a
spreadsheet never runs it as a formula (CSV injection). Contact details only for the roles in
pages.CONTACT_ROLE. Every export is audited with its filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from bot.web.staff.auth import CurrentUser, audit, require_user
from bot.web.staff.pages import followup, inbox_filters, may_see_contact

router = APIRouter(prefix="/staff/exports", tags=["staff"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("id", "created_at", "kind", "status", "assignee", "language", "role", "text", "due",
           "kept", "step", "skills", "availability", "conversation_id")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cells(outcome: dict[str, Any], contact: bool) -> list[str]:
    details = outcome["details"]
    availability = details.get("availability")
    row = {
        **outcome,
        "kept": {True: "ja", False: "nej"}.get(outcome["kept"], ""),
        "skills": ", ".join(map(str, details.get("skills") or [])),
        "availability": availability.get("text") if isinstance(availability, dict) else availability,
    }
    cells = [safe_cell(row.get(name)) for name in COLUMNS]
    return cells + [safe_cell(outcome.get("contact"))] if contact else cells


def _lines(rows: Iterator[dict[str, Any]], contact: bool) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([*COLUMNS, *(["contact"] if contact else [])])
    yield BOM + buffer.getvalue()
    for outcome in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_cells(outcome, contact))
        yield buffer.getvalue()


@router.get("/outcomes.csv")
def outcomes_csv(request: Request, user: User) -> StreamingResponse:
    filters = inbox_filters(request, user)
    contact = may_see_contact(user)
    rows = followup(request).export_rows(filters)
    audit(request, user, "export.csv", "outcomes",
          {"filters": filters.to_query(), "contact": contact})
    name = f"samtale-{dt.datetime.now(dt.UTC):%Y-%m-%d}.csv"
    return StreamingResponse(
        (line.encode("utf-8") for line in _lines(rows, contact)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
