"""OutcomeStore: every query the bot and the staff service make, one method each.

Both the action server and the web service use this class. Methods take and return plain
values (dicts ready for JSON), never ORM objects, so callers cannot trigger lazy SQL.
"""

from __future__ import annotations

import enum
import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, load_settings

from . import validation as check
from .database import WRITE_TRANSACTION, create_store_engine
from .errors import ConsentRequired, UnknownOutcome
from .models import Conversation, Outcome, utcnow
from .rasa_events import EVENTS, SPOKEN_TYPES, events_table_exists, transcript_line


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset.UNSET
"""Marks an argument that was not passed, as distinct from an explicit None."""


class OutcomeStore:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine = create_store_engine(database_url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    def close(self) -> None:
        """Close pooled connections (the store stays usable and reconnects on demand)."""
        self._engine.dispose()

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        """The one place sessions are opened: one transaction, committed or rolled back."""
        with self._sessions() as session, session.begin():
            if write:
                session.connection(execution_options={WRITE_TRANSACTION: True})
            yield session

    # Conversations

    def save_conversation(
        self,
        conversation_id: str,
        *,
        consent: bool | None | _Unset = UNSET,
        role: str | None | _Unset = UNSET,
        language: str | None | _Unset = UNSET,
        contact: str | None | _Unset = UNSET,
    ) -> dict[str, Any]:
        """Create or update a conversation; only the fields passed change."""
        check.identifier("conversation_id", conversation_id)
        given = {"consent": consent, "role": role, "language": language, "contact": contact}
        changes = {
            name: _CONVERSATION_CHECKS[name](value)
            for name, value in given.items()
            if value is not UNSET
        }
        try:
            return self._upsert_conversation(conversation_id, changes)
        except IntegrityError:
            # Another process inserted the row after we looked; now it exists, so update it.
            return self._upsert_conversation(conversation_id, changes)

    def _upsert_conversation(self, conversation_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self._session(write=True) as session:
            row = session.get(Conversation, conversation_id)
            if row is None:
                row = Conversation(conversation_id=conversation_id)
                session.add(row)
            for name, value in changes.items():
                setattr(row, name, value)
            session.flush()
            return _conversation_dict(row)

    def get_conversation(self, conversation_id: str) -> dict[str, Any] | None:
        check.identifier("conversation_id", conversation_id)
        with self._session() as session:
            row = session.get(Conversation, conversation_id)
            return None if row is None else _conversation_dict(row)

    # Outcomes

    def record_outcome(
        self,
        *,
        conversation_id: str,
        kind: str,
        text: str,
        details: dict[str, Any] | None = None,
        language: str,
        role: str | None = None,
        source_message_id: str | None = None,
    ) -> dict[str, Any]:
        """Store what the person said. Needs consent; a repeated source_message_id is a no-op."""
        values = {
            "conversation_id": check.identifier("conversation_id", conversation_id),
            "kind": check.choice("kind", kind, check.KINDS),
            "text": check.text("text", text),
            "details": check.details(details),
            "language": check.choice("language", language, check.LANGUAGES),
            "role": check.choice("role", role, check.ROLES, nullable=True),
            "source_message_id": check.identifier(
                "source_message_id", source_message_id, nullable=True
            ),
        }
        try:
            with self._session(write=True) as session:
                _require_consent(session, conversation_id)
                existing = _find_recorded(session, values)
                if existing is not None:
                    return _outcome_dict(existing)
                row = Outcome(**values, step=_step(values["details"]))
                session.add(row)
                session.flush()
                return _outcome_dict(row)
        except IntegrityError:
            # A concurrent retry of the same webhook call won the insert; return its row.
            with self._session() as session:
                existing = _find_recorded(session, values)
                if existing is None:
                    raise
                return _outcome_dict(existing)

    def update_outcome_details(self, outcome_id: int, details: dict[str, Any]) -> dict[str, Any]:
        """Merge keys into an outcome's details (later answers add to earlier ones)."""
        check.details(details)
        with self._session(write=True) as session:
            row = _get_outcome(session, outcome_id)
            row.details = {**row.details, **details}  # a new dict, so the change is detected
            row.step = _step(row.details)
            session.flush()
            return _outcome_dict(row)

    def outcomes_for(self, conversation_id: str) -> list[dict[str, Any]]:
        check.identifier("conversation_id", conversation_id)
        query = (
            select(Outcome)
            .where(Outcome.conversation_id == conversation_id)
            .order_by(Outcome.created_at, Outcome.id)
        )
        with self._session() as session:
            return [_outcome_dict(row) for row in session.scalars(query)]

    def list_outcomes(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        conversation_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Outcomes newest first, optionally filtered."""
        check.page(limit, offset)
        query = self._filtered(select(Outcome), kind, status, conversation_id)
        query = query.order_by(Outcome.created_at.desc(), Outcome.id.desc())
        with self._session() as session:
            return [
                _outcome_dict(row) for row in session.scalars(query.limit(limit).offset(offset))
            ]

    def count_outcomes(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        conversation_id: str | None = None,
    ) -> int:
        """How many outcomes match the filters (for paging through list_outcomes)."""
        query = self._filtered(select(func.count(Outcome.id)), kind, status, conversation_id)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    @staticmethod
    def _filtered(query, kind: str | None, status: str | None, conversation_id: str | None):
        if kind is not None:
            query = query.where(Outcome.kind == check.choice("kind", kind, check.KINDS))
        if status is not None:
            query = query.where(Outcome.status == check.choice("status", status, check.STATUSES))
        if conversation_id is not None:
            check.identifier("conversation_id", conversation_id)
            query = query.where(Outcome.conversation_id == conversation_id)
        return query

    def update_outcome(
        self,
        outcome_id: int,
        *,
        status: str | _Unset = UNSET,
        assignee: str | None | _Unset = UNSET,
        note: str | None | _Unset = UNSET,
    ) -> dict[str, Any]:
        """Staff follow-up: change status, assignee or note; only the fields passed change."""
        changes: dict[str, Any] = {}
        if status is not UNSET:
            changes["status"] = check.choice("status", status, check.STATUSES)
        if assignee is not UNSET:
            changes["assignee"] = check.identifier("assignee", assignee, nullable=True)
        if note is not UNSET:
            changes["note"] = check.text("note", note, nullable=True)
        with self._session(write=True) as session:
            row = _get_outcome(session, outcome_id)
            for name, value in changes.items():
                setattr(row, name, value)
            if row.answered_at is None and ("status" in changes or changes.get("note")):
                row.answered_at = utcnow()  # the first answer, for the handoff response time
            session.flush()
            return _outcome_dict(row)

    # Rasa's transcript

    def transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        """What the person and the bot said, oldest first; [] before Rasa has created its table."""
        check.identifier("conversation_id", conversation_id)
        query = (
            select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
            .where(EVENTS.c.sender_id == conversation_id, EVENTS.c.type_name.in_(SPOKEN_TYPES))
            .order_by(EVENTS.c.id)
        )
        with self._session() as session:
            if not events_table_exists(session.connection()):
                return []
            lines = (transcript_line(*row) for row in session.execute(query))
            return [line for line in lines if line is not None]

    def purge_transcript(self, conversation_id: str) -> int:
        """Delete Rasa's events for one sender; returns the number of rows deleted."""
        check.identifier("conversation_id", conversation_id)
        with self._session(write=True) as session:
            return _delete_events(session, [conversation_id])

    def erase_conversation(self, conversation_id: str) -> dict[str, int]:
        """Forget a person entirely (outcomes, conversation row, transcript) in one transaction."""
        check.identifier("conversation_id", conversation_id)
        with self._session(write=True) as session:
            outcomes = session.execute(
                delete(Outcome)
                .where(Outcome.conversation_id == conversation_id)
                .execution_options(synchronize_session=False)
            ).rowcount
            conversation = session.execute(
                delete(Conversation)
                .where(Conversation.conversation_id == conversation_id)
                .execution_options(synchronize_session=False)
            ).rowcount
            events = _delete_events(session, [conversation_id])
            return {"outcomes": outcomes, "events": events, "conversation": conversation}

    def purge_unconsented(self, *, idle_minutes: int, now: float | None = None) -> list[str]:
        """Delete the transcripts of idle senders who have not said yes to storage.

        A sender qualifies when their conversation row is missing or its consent is not True,
        and their newest event is older than `now - idle_minutes * 60` (unix seconds).
        """
        check.minutes("idle_minutes", idle_minutes)
        cutoff = (time.time() if now is None else now) - idle_minutes * 60
        idle_senders = (
            select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < cutoff)
            .subquery()
        )
        query = (
            select(idle_senders.c.sender_id)
            .outerjoin(Conversation, Conversation.conversation_id == idle_senders.c.sender_id)
            .where(or_(Conversation.consent.is_(None), Conversation.consent.is_(False)))
            .order_by(idle_senders.c.sender_id)
        )
        with self._session(write=True) as session:
            if not events_table_exists(session.connection()):
                return []
            sender_ids = list(session.scalars(query))
            _delete_events(session, sender_ids)
            return sender_ids


@functools.cache
def _store_for_url(database_url: str) -> OutcomeStore:
    return OutcomeStore(database_url)


def get_store(settings: Settings | None = None) -> OutcomeStore:
    """The process-wide store for settings.database_url (one engine and pool per URL)."""
    return _store_for_url((settings or load_settings()).database_url)


_CONVERSATION_CHECKS = {
    "consent": lambda value: check.boolean("consent", value, nullable=True),
    "role": lambda value: check.choice("role", value, check.ROLES, nullable=True),
    "language": lambda value: check.choice("language", value, check.LANGUAGES, nullable=True),
    "contact": lambda value: check.text("contact", value, nullable=True),
}


def _step(details: dict[str, Any]) -> int | None:
    """The ladder step an outcome's details carry, kept as a column for the staff inbox."""
    step = details.get("ladder_step") or details.get("profession_step")
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def _require_consent(session: Session, conversation_id: str) -> None:
    row = session.get(Conversation, conversation_id)
    if row is None:
        raise ConsentRequired(
            f"conversation {conversation_id!r} is unknown; save its consent before recording"
        )
    if row.consent is not True:
        raise ConsentRequired(
            f"conversation {conversation_id!r} has not consented to storage (consent={row.consent})"
        )


def _find_recorded(session: Session, values: dict[str, Any]) -> Outcome | None:
    if values["source_message_id"] is None:
        return None
    return session.scalars(
        select(Outcome).where(
            and_(
                Outcome.conversation_id == values["conversation_id"],
                Outcome.kind == values["kind"],
                Outcome.source_message_id == values["source_message_id"],
            )
        )
    ).first()


def _get_outcome(session: Session, outcome_id: int) -> Outcome:
    if isinstance(outcome_id, bool) or not isinstance(outcome_id, int):
        raise UnknownOutcome(f"outcome id must be an integer; got {outcome_id!r}")
    row = session.get(Outcome, outcome_id)
    if row is None:
        raise UnknownOutcome(f"no outcome with id {outcome_id}")
    return row


def _delete_events(session: Session, sender_ids: list[str]) -> int:
    if not sender_ids or not events_table_exists(session.connection()):
        return 0
    deleted = 0
    for start in range(0, len(sender_ids), 500):  # stay under SQLite's bound-parameter limit
        batch = sender_ids[start : start + 500]
        deleted += session.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(batch))).rowcount
    return deleted


def _conversation_dict(row: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "consent": row.consent,
        "role": row.role,
        "language": row.language,
        "contact": row.contact,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def _outcome_dict(row: Outcome) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "kind": row.kind,
        "text": row.text,
        "details": dict(row.details),
        "language": row.language,
        "role": row.role,
        "status": row.status,
        "assignee": row.assignee,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
