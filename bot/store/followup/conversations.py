"""Conversations for staff: the list, a transcript with buttons and outcomes, flags.

Rasa's events are read directly (bot/store/rasa_events.EVENTS) because staff need more than
the plain transcript: which buttons were offered and pressed, and each message's event id, so
that a bot message can be flagged. Conversations without consent are never returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from .. import validation as check
from ..errors import InvalidValue, StoreError
from ..followup_models import Flag
from ..models import Conversation, Outcome
from ..rasa_events import EVENTS, SPOKEN_TYPES, _load, events_table_exists
from .common import SEEN_BY_STAFF, TRIAL_PREFIX, in_range, iso, outcome_dict

MAX_COMMENT_LENGTH = 2000


class UnknownConversation(StoreError):
    """No consented conversation has the given id."""


class Conversations:
    _session: Any

    def conversations(
        self,
        *,
        language: str | None = None,
        role: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> dict[str, Any]:
        """Consented conversations, most recently active first, with their outcome counts."""
        check.page(limit, offset)
        conditions = [SEEN_BY_STAFF]
        if language is not None:
            conditions.append(Conversation.language == check.choice("language", language, check.LANGUAGES))
        if role is not None:
            conditions.append(Conversation.role == check.choice("role", role, check.ROLES))
        conditions += in_range(Conversation.created_at, since, until)
        counts = (
            select(Outcome.conversation_id, func.count(Outcome.id).label("outcomes"))
            .group_by(Outcome.conversation_id)
            .subquery()
        )
        query = (
            select(Conversation, func.coalesce(counts.c.outcomes, 0))
            .outerjoin(counts, counts.c.conversation_id == Conversation.conversation_id)
            .where(*conditions)
            .order_by(Conversation.updated_at.desc(), Conversation.conversation_id)
        )
        with self._session() as session:
            total = session.scalar(select(func.count()).select_from(Conversation).where(*conditions))
            rows = session.execute(query.limit(limit).offset(offset)).all()
            return {
                "conversations": [
                    _conversation_summary(row) | {"outcomes": count} for row, count in rows
                ],
                "total": int(total or 0),
            }

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        """Everything staff may see of one conversation: transcript, outcomes, flags."""
        check.identifier("conversation_id", conversation_id)
        with self._session() as session:
            row = _consented_conversation(session, conversation_id)
            outcome_rows = session.scalars(
                select(Outcome)
                .where(Outcome.conversation_id == conversation_id)
                .order_by(Outcome.created_at, Outcome.id)
            ).all()
            outcomes = [outcome_dict(o) | {"source_message_id": o.source_message_id} for o in outcome_rows]
            flags = session.scalars(
                select(Flag).where(Flag.conversation_id == conversation_id).order_by(Flag.id)
            ).all()
            lines = _transcript(session, conversation_id)
        flagged: dict[int, list[dict]] = {}
        for flag in flags:
            flagged.setdefault(flag.event_id, []).append(_flag_dict(flag))
        by_message: dict[str, list[dict]] = {}
        for outcome in outcomes:
            if outcome["source_message_id"]:
                by_message.setdefault(outcome["source_message_id"], []).append(outcome)
        placed = set()
        for line in lines:
            line["flags"] = flagged.get(line["id"], [])
            line["outcomes"] = by_message.get(line.get("message_id") or "", [])
            placed.update(o["id"] for o in line["outcomes"])
        return {
            **_conversation_summary(row),
            "contact": row.contact,
            "transcript": lines,
            "outcomes": outcomes,
            "unplaced_outcomes": [o for o in outcomes if o["id"] not in placed],
        }

    def flag_message(
        self, conversation_id: str, event_id: int, *, author: str, comment: str
    ) -> dict[str, Any]:
        """Flag one bot message as misunderstood; the comment says what went wrong."""
        check.identifier("author", author)
        check.text("comment", comment, max_length=MAX_COMMENT_LENGTH)
        if not comment.strip():
            raise InvalidValue("say in a few words what the bot misunderstood")
        with self._session(write=True) as session:
            _consented_conversation(session, conversation_id)
            lines = _transcript(session, conversation_id)
            index = next((i for i, line in enumerate(lines) if line["id"] == event_id), None)
            if index is None or lines[index]["speaker"] != "bot":
                raise InvalidValue(f"event {event_id!r} is not a bot message of this conversation")
            before = next(
                (line["text"] for line in reversed(lines[:index]) if line["speaker"] == "user"),
                None,
            )
            flag = Flag(
                conversation_id=conversation_id, event_id=event_id, author=author,
                bot_text=lines[index]["text"], user_text=before, comment=comment,
            )  # fmt: skip
            session.add(flag)
            session.flush()
            return _flag_dict(flag)

    def flags(self, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Every flag, newest first (only of conversations that still exist and consented)."""
        check.page(limit, offset)
        query = (
            select(Flag)
            .join(Conversation, Conversation.conversation_id == Flag.conversation_id)
            .where(SEEN_BY_STAFF)
        )
        with self._session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(
                query.order_by(Flag.created_at.desc(), Flag.id.desc()).limit(limit).offset(offset)
            ).all()
            return {"flags": [_flag_dict(row) for row in rows], "total": int(total or 0)}


def _consented_conversation(session: Any, conversation_id: str) -> Conversation:
    row = session.get(Conversation, conversation_id)
    if row is None or row.consent is not True or row.conversation_id.startswith(TRIAL_PREFIX):
        # Without consent a conversation is not staff's to see: it answers as if absent.
        raise UnknownConversation(f"no conversation with id {conversation_id!r}")
    return row


def _transcript(session: Any, conversation_id: str) -> list[dict[str, Any]]:
    if not events_table_exists(session.connection()):
        return []
    query = (
        select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id == conversation_id, EVENTS.c.type_name.in_(SPOKEN_TYPES))
        .order_by(EVENTS.c.id)
    )
    lines: list[dict[str, Any]] = []
    offered: dict[str, Any] | None = None  # the last bot line with buttons
    for event_id, type_name, timestamp, data in session.execute(query):
        event = _load(data)
        at = dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat() if timestamp else None
        line: dict[str, Any] = {"id": event_id, "at": at, "speaker": type_name,
                                "text": event.get("text") or "", "buttons": [], "pressed": None}
        if type_name == "bot":
            payload = event.get("data") if isinstance(event.get("data"), dict) else {}
            line["buttons"] = [
                {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or ""),
                 "pressed": False}
                for b in payload.get("buttons") or [] if isinstance(b, dict)
            ]
            if not line["text"] and not line["buttons"]:
                continue
            if line["buttons"]:
                offered = line
        else:
            line["message_id"] = event.get("message_id")
            if offered is not None:
                for button in offered["buttons"]:
                    if button["payload"] and button["payload"] == line["text"]:
                        button["pressed"] = True
                        line["pressed"] = button["title"]
                offered = None
            if not line["text"]:
                continue
        lines.append(line)
    return lines


def _conversation_summary(row: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "language": row.language,
        "role": row.role,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _flag_dict(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.id, "conversation_id": flag.conversation_id, "event_id": flag.event_id,
        "bot_text": flag.bot_text, "user_text": flag.user_text, "comment": flag.comment,
        "author": flag.author, "created_at": iso(flag.created_at),
    }  # fmt: skip
