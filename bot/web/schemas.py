"""What the API accepts and returns. Text fields are returned exactly as stored."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.store import KINDS, STATUSES

# Subscripting Literal with a tuple spells out its members, so OpenAPI lists the allowed values.
Kind = Literal[KINDS]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]


class OutcomePublic(BaseModel):
    id: int
    conversation_id: str
    kind: str
    text: str
    details: dict[str, Any]
    language: str
    role: str | None
    status: str
    assignee: str | None
    note: str | None
    created_at: str
    updated_at: str


class OutcomeList(BaseModel):
    outcomes: list[OutcomePublic]
    count: int  # outcomes on this page
    total: int  # outcomes matching the filters, over all pages


class OutcomeUpdate(BaseModel):
    """PATCH body: fields left out stay as they are; assignee or note null clears them."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    assignee: str | None = Field(default=None, max_length=255)
    note: str | None = None


class TranscriptLine(BaseModel):
    at: str | None
    speaker: Literal["user", "bot"]
    text: str  # for a pressed button: its title, as the person saw it
    pressed_button: bool = False
    payload: str | None = None  # the pressed button's payload, e.g. /affirm
    empty: bool = False  # the person sent an empty message


class ConversationPublic(BaseModel):
    conversation_id: str
    consent: bool | None
    role: str | None
    language: str | None
    contact: str | None
    transcript: list[TranscriptLine]
    outcomes: list[OutcomePublic]
