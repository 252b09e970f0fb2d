"""What the API accepts and returns. Text fields are returned exactly as stored."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from bot.store import KINDS, STATUSES

# Largest id or offset a database takes (a signed 64-bit integer); beyond it SQLite and
# PostgreSQL raise instead of answering "not found".
MAX_DB_INT = 2**63 - 1
# JSON can carry what no database stores: lone surrogates (not encodable as UTF-8) and NUL
# (PostgreSQL text refuses it). Refused with a 422 before they reach a store or Rasa.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    if UNSTORABLE.search(text):
        raise ValueError("text must not contain NUL characters or lone UTF-16 surrogates")
    return text


def safe_text(min_length: int = 0, max_length: int | None = None) -> Any:
    """A str type that a database can store, with length limits checked before that."""
    limits = StringConstraints(min_length=min_length, max_length=max_length)
    return Annotated[str, limits, AfterValidator(storable)]

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
    assignee: safe_text(max_length=255) | None = None
    note: safe_text(max_length=10_000) | None = None


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
