"""The effects made visible: aggregates for the reports page, by date range and role.

Every figure counts consented conversations only, except the funnel's first step, "started",
which is a bare count of conversations begun (with or without consent; no content, no link):
without it the funnel could not show how many people said yes.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select

from .. import validation as check
from ..errors import InvalidValue
from ..followup_models import Match
from ..models import Conversation, Outcome
from .common import DUE, IS_TRIAL, SEEN_BY_STAFF, consented, data_version, in_range
from .matching import DAYS, days_in, label, terms_of

CACHE_SIZE = 64
_CACHE: dict[tuple, tuple[tuple, dict[str, Any]]] = {}
SIX = ("invitation", "possibility", "ownership", "dissent", "commitment", "gift")
TOP = 10


class Reports:
    _session: Any

    def report(self, *, since: dt.date | None = None, until: dt.date | None = None,
               role: str | None = None, language: str = "da",
               today: dt.date | None = None) -> dict[str, Any]:
        """Every chart's numbers; `today` fixes "this week" and "overdue" (tests)."""
        check.choice("role", role, check.ROLES, nullable=True)
        if since and until and since > until:
            raise InvalidValue(f"since ({since}) must not be after until ({until})")
        today = today or dt.datetime.now(dt.UTC).date()
        key = (since, until, role, language, today)
        with self._session() as session:
            # Aggregates over every outcome take a while at tens of thousands; the same report
            # is served again until anything it counts changes (the version below moves).
            version = data_version(session, matches=True)
            cached = _CACHE.get(key)
            if cached is not None and cached[0] == version:
                return cached[1]
            def outcomes(*columns: Any) -> Any:
                query = consented(select(*columns)).where(*in_range(Outcome.created_at, since, until))
                return query.where(Outcome.role == role) if role else query

            result = {
                "funnel": _funnel(session, outcomes, since, until, role),
                "ladder": _ladder(session, outcomes),
                "weekly": _weekly(session, outcomes),
                "handoffs": _handoffs(session, outcomes),
                "commitments": _commitments(session, outcomes, today),
                "gifts": _gifts(session, outcomes, language),
                "themes": _themes(session, outcomes, language),
                "matches": _matches(session, since, until, role),
            }
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (version, result)
        return result


def _funnel(session: Any, outcomes: Any, since: Any, until: Any, role: Any) -> list[dict]:
    conditions = [~IS_TRIAL, *in_range(Conversation.created_at, since, until)]
    if role:
        conditions.append(Conversation.role == role)
    started = session.scalar(select(func.count()).select_from(Conversation).where(*conditions))
    consented_count = session.scalar(
        select(func.count()).select_from(Conversation).where(*conditions, SEEN_BY_STAFF)
    )
    held = session.execute(
        outcomes(Outcome.conversation_id, Outcome.kind).where(Outcome.kind.in_(SIX)).distinct()
    ).all()
    per_kind = Counter(kind for _, kind in held)
    kinds_of: dict[str, set[str]] = defaultdict(set)
    for conversation_id, kind in held:
        kinds_of[conversation_id].add(kind)
    completed = sum(1 for kinds in kinds_of.values() if len(kinds) == len(SIX))
    steps = [{"step": "started", "count": int(started or 0)},
             {"step": "consented", "count": int(consented_count or 0)}]
    steps += [{"step": kind, "count": per_kind[kind], "filter": {"kind": kind}} for kind in SIX]
    steps.append({"step": "completed", "count": completed})
    return steps


def _ladder(session: Any, outcomes: Any) -> dict[str, Any]:
    ownership = session.execute(
        outcomes(Outcome.conversation_id, Outcome.created_at, Outcome.id, Outcome.details)
        .where(Outcome.kind == "ownership", Outcome.role == "citizen")
        .order_by(Outcome.created_at, Outcome.id)
    ).all()
    profession = session.execute(
        outcomes(Outcome.details).where(Outcome.kind == "gift", Outcome.role == "employee")
    ).all()
    citizens = Counter(d.get("ladder_step") for *_, d in ownership if d.get("ladder_step"))
    employees = Counter(d.get("profession_step") for (d,) in profession if d.get("profession_step"))
    steps_by_person: dict[str, list[int]] = defaultdict(list)
    for conversation_id, _, _, details in ownership:
        if details.get("ladder_step"):
            steps_by_person[conversation_id].append(int(details["ladder_step"]))
    moves = Counter()
    for steps in steps_by_person.values():
        if len(steps) > 1:  # came back: more than one ownership answer
            moves["up" if steps[-1] > steps[0] else "down" if steps[-1] < steps[0] else "same"] += 1
    return {
        "citizens": [{"step": s, "count": citizens[s], "filter": {"kind": "ownership", "role": "citizen", "step": s}} for s in (1, 2, 3, 4)],
        "employees": [{"step": s, "count": employees[s], "filter": {"kind": "gift", "role": "employee", "step": s}} for s in (1, 2, 3)],
        "came_back": [{"move": m, "count": moves[m]} for m in ("up", "same", "down")],
    }


def _weekly(session: Any, outcomes: Any) -> list[dict[str, Any]]:
    """Outcomes per ISO week (Monday first) and kind; days are grouped in SQL, weeks here."""
    if session.get_bind().dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", Outcome.created_at), "YYYY-MM-DD")
    else:
        day = func.strftime("%Y-%m-%d", Outcome.created_at)
    rows = session.execute(outcomes(day.label("day"), Outcome.kind, func.count(Outcome.id)).group_by(day, Outcome.kind)).all()
    weeks: dict[dt.date, Counter] = defaultdict(Counter)
    for day_text, kind, count in rows:
        date = dt.date.fromisoformat(day_text)
        weeks[date - dt.timedelta(days=date.weekday())][kind] += count
    return [
        {"week": monday.isoformat(), "label": f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
         "since": monday.isoformat(), "until": (monday + dt.timedelta(days=6)).isoformat(),
         "kinds": dict(weeks[monday]), "total": sum(weeks[monday].values())}
        for monday in sorted(weeks)
    ]


def _handoffs(session: Any, outcomes: Any) -> dict[str, Any]:
    rows = session.execute(
        outcomes(Outcome.status, Outcome.created_at, Outcome.answered_at).where(Outcome.kind == "handoff")
    ).all()
    hours = sorted((a - c).total_seconds() / 3600 for _, c, a in rows if a is not None)
    return {
        "total": len(rows),
        "answered": len(hours),
        "waiting": sum(1 for status, _, answered in rows if answered is None and status != "done"),
        "median_hours": round(statistics.median(hours), 1) if hours else None,
        "within_24h": sum(1 for h in hours if h <= 24),
        "filter": {"kind": "handoff"},
    }


def _commitments(session: Any, outcomes: Any, today: dt.date) -> list[dict[str, Any]]:
    rows = session.execute(
        outcomes(DUE.label("due"), Outcome.status, Outcome.kept).where(Outcome.kind == "commitment")
    ).all()
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    open_rows = [(due, kept) for due, status, kept in rows if status != "done" and due]
    counts = {
        "this_week": sum(1 for due, _ in open_rows if monday.isoformat() <= due <= sunday.isoformat()),
        "overdue": sum(1 for due, _ in open_rows if due < today.isoformat()),
        "kept": sum(1 for _, _, kept in rows if kept is True),
        "not_kept": sum(1 for _, _, kept in rows if kept is False),
    }
    filters = {"this_week": {"due": "this_week"}, "overdue": {"due": "overdue"},
               "kept": {"kept": "yes"}, "not_kept": {"kept": "no"}}
    return [{"key": key, "count": counts[key], "filter": {"kind": "commitment", **filters[key]}} for key in counts]


def _gifts(session: Any, outcomes: Any, language: str) -> dict[str, Any]:
    rows = session.execute(
        outcomes(Outcome.text, Outcome.details, Outcome.language).where(Outcome.kind == "gift")
    ).all()
    skills, days = Counter(), Counter()
    for text, details, lang in rows:
        stored = details.get("skill_ids") or details.get("skills") or []
        skills.update({str(s) for s in stored})
        availability = details.get("availability")
        if isinstance(availability, dict):
            days.update({d for d in availability.get("days") or [] if d in DAYS})
        elif isinstance(availability, str):  # stored before availability had its days
            days.update(days_in(availability))
    return {
        "skills": [{"id": key, "label": label("skill", key, language), "count": n,
                    "filter": {"kind": "gift", "skill": key}} for key, n in skills.most_common(TOP)],
        "days": [{"id": d, "label": label("day", d, language), "count": days[d],
                  "filter": {"kind": "gift", "day": d}} for d in DAYS],
    }


def _themes(session: Any, outcomes: Any, language: str) -> list[dict[str, Any]]:
    rows = session.execute(
        outcomes(Outcome.text, Outcome.details, Outcome.language).where(Outcome.kind == "possibility")
    ).all()
    themes = Counter()
    for text, details, lang in rows:
        themes.update(terms_of({"text": text, "details": details, "language": lang}).themes)
    return [{"id": key, "label": label("theme", key, language), "count": n,
             "filter": {"kind": "possibility", "q": label("theme", key, language)}}
            for key, n in themes.most_common(TOP)]


def _matches(session: Any, since: Any, until: Any, role: Any) -> dict[str, Any]:
    query = select(func.count(Match.id)).where(*in_range(Match.created_at, since, until))
    if role:
        query = query.join(Outcome, Outcome.id == Match.gift_id).where(Outcome.role == role)
    return {"count": int(session.scalar(query) or 0)}
