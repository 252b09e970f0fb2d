"""Our tables. Rasa's `events` table shares the database but is deliberately not modelled here,
so that neither create_all nor Alembic autogenerate ever touches it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (JSON, DateTime, Float, Index, MetaData, String, Text, UniqueConstraint,
                        func)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite drops the offset on the way in)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Conversation(Base):
    __tablename__ = "conversations"

    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    consent: Mapped[bool | None]
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it became yes
    role: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    contact: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Outcome(Base):
    __tablename__ = "outcomes"
    __table_args__ = (
        # A retried webhook call must not record the same answer twice.
        UniqueConstraint("conversation_id", "kind", "source_message_id"),
        Index(None, "kind", "status"),
        Index(None, "created_at"),  # the inbox and the reports read newest first, by date
        Index(None, "updated_at"),  # the reports' cache asks for the newest change
        # The inbox's counts per filter value read this index alone (bot/store/followup/inbox.py).
        Index("ix_outcomes_facets", "kind", "status", "language", "role", "assignee", "step",
              "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    language: Mapped[str] = mapped_column(String(2))
    role: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    assignee: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    source_message_id: Mapped[str | None] = mapped_column(String(255))
    # Staff follow-up (migration 0004): whether a commitment was kept, once it is done, and when
    # staff first answered (a status change or a note), for the handoff response time.
    kept: Mapped[bool | None]
    # details' ladder_step (ownership) or profession_step (employees' gifts), as a column so the
    # inbox can filter and count it from an index; the store keeps it equal to the details.
    step: Mapped[int | None]
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class Erasure(Base):
    """That a sender's data was deleted, and when (bot/erasure.py): nothing of the person."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Unix seconds, the clock of Rasa's event timestamps, which the tracker store compares.
    erased_at: Mapped[float] = mapped_column(Float)
