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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.erasure import sender_hash
from bot.masking import mask_personal_data
from bot.settings import Settings, load_settings

from . import validation as check
from .database import WRITE_TRANSACTION, create_store_engine
from .errors import ConsentRequired, UnknownOutcome
from .models import Conversation, Erasure, Outcome, utcnow
from .rasa_events import EVENTS, SPOKEN_TYPES, events_table_exists, transcript_lines


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
            if "consent" in changes and changes["consent"] is not row.consent:
                # The moment of the yes (not of a later update); a no or "not asked" has none.
                row.consent_at = utcnow() if changes["consent"] is True else None
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
        """Store what the person said. Needs consent; a repeated source_message_id is a no-op.

        CPR numbers, phone numbers and e-mail addresses in the text and details are masked
        (bot/masking.py): the engine masks them before Rasa stores the message, this is the
        second line, so staff never see them whatever a caller passes."""
        values = {
            "conversation_id": check.identifier("conversation_id", conversation_id),
            "kind": check.choice("kind", kind, check.KINDS),
            "text": mask_personal_data(check.text("text", text))[0],
            "details": _masked(check.details(details)),
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
            conversation = session.get(Conversation, conversation_id)
            language = conversation.language if conversation is not None else None
            return transcript_lines(session.execute(query), language)

    def purge_transcript(self, conversation_id: str) -> int:
        """Delete Rasa's events for one sender; returns the number of rows deleted.

        Also records the erasure, so that Rasa's tracker store, saving the turn that is still
        running, writes back nothing older (engine/tracker_store.py): no timer needed."""
        check.identifier("conversation_id", conversation_id)
        with self._session(write=True) as session:
            _record_erasure(session, conversation_id)
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
            _record_erasure(session, conversation_id)
            return {"outcomes": outcomes, "events": events, "conversation": conversation}

    def apply_retention(
        self, *, days: int, keep_open: bool, now: float | None = None
    ) -> dict[str, int]:
        """Delete what is older than `days`: outcomes, conversation rows and Rasa's events.

        A conversation is old when nothing of the person's is newer than the cutoff: not its
        row's last change, not an outcome's creation, not an event (staff follow-up does not
        count; it is not the person's data getting younger). With keep_open, outcomes still
        open (new, in_progress) and their conversation row stay until closed; its closed
        outcomes and transcript go. Returns counts only, for logs that name no one.
        """
        check.minutes("days", days)
        cutoff_ts = (time.time() if now is None else now) - days * 86400
        cutoff = datetime.fromtimestamp(cutoff_ts, UTC)
        open_statuses = ("new", "in_progress")
        with self._session(write=True) as session:
            has_events = events_table_exists(session.connection())
            old = [
                Conversation.updated_at < cutoff,
                ~exists().where(Outcome.conversation_id == Conversation.conversation_id,
                                Outcome.created_at >= cutoff),
            ]
            if has_events:
                old.append(~exists().where(EVENTS.c.sender_id == Conversation.conversation_id,
                                           EVENTS.c.timestamp >= cutoff_ts))
            expired = set(session.scalars(select(Conversation.conversation_id).where(*old)))
            # Outcomes whose conversation row is gone, and transcripts with no row at all.
            no_row = ~exists().where(Conversation.conversation_id == Outcome.conversation_id)
            expired |= set(session.scalars(
                select(Outcome.conversation_id).where(no_row, Outcome.created_at < cutoff)))
            if has_events:
                idle = (select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
                        .having(func.max(EVENTS.c.timestamp) < cutoff_ts).subquery())
                expired |= set(session.scalars(select(idle.c.sender_id).where(~exists().where(
                    Conversation.conversation_id == idle.c.sender_id))))
            counts = {"conversations": 0, "outcomes": 0, "events": 0, "kept_open": 0}
            kept: set[str] = set()
            for batch in _batches(sorted(expired)):
                outcomes = delete(Outcome).where(Outcome.conversation_id.in_(batch))
                if keep_open:
                    still_open = list(session.scalars(select(Outcome.conversation_id).where(
                        Outcome.conversation_id.in_(batch), Outcome.status.in_(open_statuses))))
                    kept.update(still_open)
                    counts["kept_open"] += len(still_open)
                    outcomes = outcomes.where(Outcome.status.not_in(open_statuses))
                counts["outcomes"] += session.execute(
                    outcomes.execution_options(synchronize_session=False)).rowcount
                counts["events"] += _delete_events(session, batch)
            for batch in _batches(sorted(expired - kept)):
                counts["conversations"] += session.execute(
                    delete(Conversation).where(Conversation.conversation_id.in_(batch))
                    .execution_options(synchronize_session=False)).rowcount
            return counts

    def erase_idle_trials(self, *, idle_minutes: int, now: float | None = None) -> list[str]:
        """Erase, entirely, the trainers' "Try it" conversations idle for `idle_minutes`: they
        are tests, and a trainer who said yes to storage there must not leave outcomes behind
        (staff never see them meanwhile: bot/store/followup/common.py)."""
        from .followup.common import TRIAL_PREFIX

        check.minutes("idle_minutes", idle_minutes)
        cutoff = (time.time() if now is None else now) - idle_minutes * 60
        with self._session() as session:
            if not events_table_exists(session.connection()):
                return []
            trials = list(session.scalars(
                select(EVENTS.c.sender_id)
                .where(EVENTS.c.sender_id.like(f"{TRIAL_PREFIX}%"))
                .group_by(EVENTS.c.sender_id)
                .having(func.max(EVENTS.c.timestamp) < cutoff)
                .order_by(EVENTS.c.sender_id)))
        for conversation_id in trials:
            self.erase_conversation(conversation_id)
        return trials

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
    "contact": check.contact,
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


MAX_INTEGER_ID = 2**31 - 1  # the largest value of an SQL INTEGER (PostgreSQL int4)


def _get_outcome(session: Session, outcome_id: int) -> Outcome:
    if isinstance(outcome_id, bool) or not isinstance(outcome_id, int):
        raise UnknownOutcome(f"outcome id must be an integer; got {outcome_id!r}")
    # Outcome ids are INTEGER columns: PostgreSQL raises on a larger value rather than not find it.
    row = session.get(Outcome, outcome_id) if 0 < outcome_id <= MAX_INTEGER_ID else None
    if row is None:
        raise UnknownOutcome(f"no outcome with id {outcome_id}")
    return row


def _record_erasure(session: Session, conversation_id: str) -> None:
    session.add(Erasure(sender_hash=sender_hash(conversation_id), erased_at=time.time()))
    session.flush()


def _masked(value: Any) -> Any:
    """Details with personal data masked in every string (skills, availability text, ...)."""
    if isinstance(value, str):
        return mask_personal_data(value)[0]
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _batches(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):  # stay under SQLite's bound-parameter limit
        yield ids[start : start + size]


def _delete_events(session: Session, sender_ids: list[str]) -> int:
    if not sender_ids or not events_table_exists(session.connection()):
        return 0
    deleted = 0
    for batch in _batches(sender_ids):
        deleted += session.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(batch))).rowcount
    return deleted


def _conversation_dict(row: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "consent": row.consent,
        "consent_at": row.consent_at.isoformat() if row.consent_at else None,
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
