"""What the follow-up queries share: the consent rule, date bounds, row shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, Text, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from ..errors import UnknownOutcome
from ..models import Conversation, Outcome

# Ownership outcomes carry the empowerment ladder step, employees' gifts the profession step;
# the store copies either into the `step` column.
STEP = Outcome.step
DUE = Outcome.details["due"].as_string()
OPEN_HANDOFF = and_(Outcome.kind == "handoff", Outcome.status != "done")
PINNED_FIRST = case((OPEN_HANDOFF, 0), else_=1)


# A trainer's "Try it" conversations (bot/trainer/try_it.py) are tests, not a citizen's words:
# staff never see them, even where the trainer said yes to storage (the janitor erases them).
TRIAL_PREFIX = "try-"
IS_TRIAL = Conversation.conversation_id.like(f"{TRIAL_PREFIX}%")
SEEN_BY_STAFF = and_(Conversation.consent.is_(True), ~IS_TRIAL)
NOT_SEEN_BY_STAFF = or_(Conversation.consent.is_not(True), IS_TRIAL)


def consented(query: Select) -> Select:
    """Only outcomes of conversations whose person said yes: the rest never appear anywhere.

    Written as "not among the few conversations without consent" so that the inbox's counts
    read an index alone (outcomes are only ever stored with consent; a person who withdraws
    it is in that short list).
    """
    refused = select(Conversation.conversation_id).where(NOT_SEEN_BY_STAFF)
    return query.where(Outcome.conversation_id.not_in(refused))


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def in_range(column: Any, since: dt.date | None, until: dt.date | None) -> list[Any]:
    """Conditions for since <= column's day <= until (UTC days, both ends included)."""
    conditions = []
    if since is not None:
        conditions.append(column >= day_start(since))
    if until is not None:
        conditions.append(column < day_start(until + dt.timedelta(days=1)))
    return conditions


def outcome_row(session: Session, outcome_id: Any) -> Outcome:
    """A consented outcome by id, or UnknownOutcome (also for ids that are not integers)."""
    if isinstance(outcome_id, bool) or not isinstance(outcome_id, int):
        raise UnknownOutcome(f"outcome id must be an integer; got {outcome_id!r}")
    row = session.scalars(
        consented(select(Outcome)).where(Outcome.id == outcome_id)
    ).first()
    if row is None:
        raise UnknownOutcome(f"no outcome with id {outcome_id}")
    return row


def outcome_dict(row: Outcome) -> dict[str, Any]:
    details = dict(row.details or {})
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "kind": row.kind,
        "text": row.text,
        "details": details,
        "language": row.language,
        "role": row.role,
        "status": row.status,
        "assignee": row.assignee,
        "note": row.note,
        "kept": row.kept,
        "due": details.get("due"),
        "step": details.get("ladder_step") or details.get("profession_step"),
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def json_contains(session: Session, path: str, value: str) -> Any:
    """details' array at a dotted path (e.g. "availability.days") contains value."""
    if session.get_bind().dialect.name == "postgresql":
        array = Outcome.details[tuple(path.split("."))] if "." in path else Outcome.details[path]
        return array.op("@>")(func.jsonb_build_array(cast(literal(value), Text)))
    json_path = "$." + ".".join(f'"{part}"' for part in path.split("."))
    each = func.json_each(Outcome.details, json_path).table_valued("value")
    return select(each.c.value).where(each.c.value == value).exists()


def data_version(session: Session, *, matches: bool = False) -> tuple:
    """Changes whenever an outcome or a conversation (or, asked for, a match) is added, changed
    or removed: the key under which counts and reports may be served again."""
    from ..followup_models import Match

    outcomes = session.execute(
        select(func.count(Outcome.id), func.max(Outcome.id), func.max(Outcome.updated_at))
    ).one()
    conversations = session.execute(
        select(func.count(), func.max(Conversation.updated_at)).select_from(Conversation)
    ).one()
    version = (session.get_bind().url.render_as_string(), *outcomes, *conversations)
    if matches:
        version += tuple(session.execute(select(func.count(Match.id), func.max(Match.id))).one())
    return version


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
