"""The trainers' decisions on the review inbox (migration 0005): one row per handled message.

A row holds what was decided about one of Rasa's user events (ignored, added as an example of
an intent, turned into a test story), by whom and when; never the person's words. It belongs
to its conversation and goes with it: PostgreSQL by ON DELETE CASCADE, SQLite by a trigger
(as the flags do), so erasing a person leaves no decision row naming their conversation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime, utcnow

DECISIONS = ("ignored", "example", "story")


class ReviewDecision(Base):
    """What a trainer did with one misunderstood message: it then leaves the inbox."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.conversation_id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(Integer, unique=True)  # Rasa's events.id (user event)
    decision: Mapped[str] = mapped_column(String(16))  # one of DECISIONS
    intent: Mapped[str | None] = mapped_column(String(100))  # the intent it became an example of
    # The commit the example or story went into, or the story file: where to find the result.
    reference: Mapped[str | None] = mapped_column(String(255))
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )
