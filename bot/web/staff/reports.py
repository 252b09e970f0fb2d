"""/staff/reports: the effects made visible. Charts are SVG drawn here on the server (no
script, nothing from another site), each with its numbers as a table beside it, and every bar
a link to the inbox filtered to the outcomes behind it. /staff/reports.json is the JSON twin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot.store.followup.filters import InboxFilters
from bot.web.staff.auth import CurrentUser, require_user
from bot.web.staff.pages import followup, inbox_url
from bot.web.templates import templates, translate

router = APIRouter(prefix="/staff", tags=["staff"], include_in_schema=False)
User = Annotated[CurrentUser, Depends(require_user)]
KIND_ORDER = ("invitation", "possibility", "ownership", "dissent", "commitment", "gift", "handoff")


def _report(request: Request, user: CurrentUser) -> tuple[dict[str, Any], dict[str, str]]:
    filters = InboxFilters.parse(request.query_params, me=user.username)
    scope = {k: v for k, v in filters.to_query().items() if k in ("since", "until", "role")}
    report = followup(request).report(since=filters.since, until=filters.until,
                                      role=filters.role, language=user.language)
    return report, scope


@router.get("/reports.json")
def reports_json(request: Request, user: User) -> dict:
    return _report(request, user)[0]


def _bars(items: list[dict[str, Any]], label: Any, scope: dict[str, str]) -> list[dict[str, Any]]:
    return [{"label": label(item), "count": item["count"],
             "href": inbox_url({**scope, **item["filter"]}) if item.get("filter") else None}
            for item in items]


@router.get("/reports")
def reports(request: Request, user: User) -> Response:
    report, scope = _report(request, user)
    lang = user.language

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    def step_label(item: dict) -> str:
        step = item["step"]
        return t("kind." + step) if step in KIND_ORDER else t("reports.funnel." + step)

    weekly = [{"label": week["label"], "count": week["total"],
               "filter": {"since": week["since"], "until": week["until"]}} for week in report["weekly"]]
    charts = [
        ("funnel", _bars(report["funnel"], step_label, scope)),
        ("ladder_citizens", _bars(report["ladder"]["citizens"], lambda i: t("inbox.step", step=i["step"]), scope)),
        ("ladder_employees", _bars(report["ladder"]["employees"], lambda i: t("inbox.step", step=i["step"]), scope)),
        ("came_back", _bars(report["ladder"]["came_back"], lambda i: t("reports.move." + i["move"]), scope)),
        ("weekly", _bars(weekly, lambda i: i["label"], scope)),
        ("commitments", _bars(report["commitments"], lambda i: t("reports.commitments." + i["key"]), scope)),
        ("skills", _bars(report["gifts"]["skills"], lambda i: i["label"], scope)),
        ("days", _bars(report["gifts"]["days"], lambda i: i["label"], scope)),
        ("themes", _bars(report["themes"], lambda i: i["label"], scope)),
    ]
    context = {"charts": charts, "report": report, "scope": scope,
               "handoffs_url": inbox_url({**scope, "kind": "handoff"}),
               "weekly_kinds": [(w, [(k, w["kinds"].get(k, 0)) for k in KIND_ORDER]) for w in report["weekly"]]}
    return templates.TemplateResponse(request, "staff/reports.html", context)
