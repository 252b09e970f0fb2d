"""Reading Rasa's tracker table, which Rasa creates and owns in the same database.

`events` is described with a lightweight `table()` clause, not a model, so it never joins our
metadata: migrations and create_all cannot create or alter it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, column, inspect, table

EVENTS = table(
    "events",
    column("id"),
    column("sender_id"),
    column("type_name"),
    column("timestamp"),
    column("data"),
)
SPOKEN_TYPES = ("user", "bot")


def events_table_exists(connection: Connection) -> bool:
    # Rasa creates the table on its first start, which may come after ours.
    return inspect(connection).has_table("events")


def transcript_line(type_name: str, timestamp: float | None, data: str | None) -> dict | None:
    """One line of a transcript from an events row, or None if nothing was said."""
    text = spoken_text(_load(data))
    if text is None:
        return None
    at = datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp is not None else None
    return {"at": at, "speaker": type_name, "text": text}


def spoken_text(event: dict[str, Any]) -> str | None:
    text = event.get("text")
    if isinstance(text, str) and text:
        return text
    # A bot message may be buttons only; staff still need to see what was offered.
    payload = event.get("data")
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    titles = [str(b["title"]) for b in buttons or [] if isinstance(b, dict) and b.get("title")]
    return " / ".join(titles) if titles else None


def _load(data: str | None) -> dict[str, Any]:
    try:
        event = json.loads(data) if data else {}
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}
