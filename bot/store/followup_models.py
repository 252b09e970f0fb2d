"""Tables of the staff follow-up (migration 0004): notes, flags on bot messages, matches.

Each row belongs to an outcome or a conversation and goes with it: PostgreSQL by ON DELETE
CASCADE, SQLite (which leaves foreign keys unenforced here) by triggers, so erasing a person
leaves no note, flag or match about them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime, utcnow


class Note(Base):
    """A staff note on an outcome; never shown to the person."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(
        ForeignKey("outcomes.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )


class Flag(Base):
    """Staff saying "the bot misunderstood this" about one bot message of a transcript."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.conversation_id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(Integer)  # Rasa's events.id of the bot message
    bot_text: Mapped[str] = mapped_column(Text)  # what the bot said, kept for the trainers
    user_text: Mapped[str | None] = mapped_column(Text)  # the message it answered, if any
    comment: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )


class Match(Base):
    """A gift and a possibility that staff decided belong together."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("gift_id", "possibility_id"),
        Index(None, "possibility_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"))
    possibility_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )
