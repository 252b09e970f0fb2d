"""Reading Rasa's tracker table, which Rasa creates and owns in the same database.

`events` is described with a lightweight `table()` clause, not a model, so it never joins our
metadata: migrations and create_all cannot create or alter it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, column, inspect, table

from actions.content import payload_label

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


def transcript_line(
    type_name: str,
    timestamp: float | None,
    data: str | None,
    offered: list[dict[str, Any]] | None = None,
    language: str | None = None,
) -> dict | None:
    """One line of a transcript from an events row, or None if nothing was said.

    `offered` holds the buttons of the bot messages before it, newest first: a pressed button
    arrives as its payload (`/affirm`), but staff must read what the person saw, its title.
    """
    event = _load(data)
    at = datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp is not None else None
    # Every line has the same shape: staff tools need not guess which keys exist.
    line = {"at": at, "speaker": type_name, "text": "", "pressed_button": False,
            "payload": None, "empty": False}
    if type_name == "user":
        return {**line, **user_words(event, offered or [], language)}
    text = spoken_text(event)
    if text is None:
        return None
    return {**line, "text": text}


def transcript_lines(
    rows: Iterable[tuple[str, float | None, str | None]], language: str | None = None
) -> list[dict]:
    """A transcript from events rows (type_name, timestamp, data), oldest first; `language`
    is the conversation's, for labels of buttons no longer on record."""
    lines: list[dict] = []
    offered: list[dict[str, Any]] = []
    for type_name, timestamp, data in rows:
        line = transcript_line(type_name, timestamp, data, offered, language)
        if type_name == "bot":
            offered = _buttons(_load(data)) + offered
        if line is not None:
            lines.append(line)
    return lines


def user_words(
    event: dict[str, Any], offered: list[dict[str, Any]], language: str | None = None
) -> dict[str, Any]:
    """What the person typed, or the title of the button they pressed (payload kept aside).

    The title comes from the channel (metadata `button_title`, what the person's screen
    showed), else from the newest offered button with that payload, else from a label per
    known payload (a stale button whose message is gone), else the payload itself.
    """
    text = event.get("text")
    text = text if isinstance(text, str) else ""
    if not text.strip():
        return {"text": "", "empty": True}
    if not text.startswith("/"):
        return {"text": text}
    metadata = event.get("metadata")
    title = metadata.get("button_title") if isinstance(metadata, dict) else None
    if not isinstance(title, str) or not title.strip():
        title = next((str(b["title"]) for b in offered if _same_payload(b.get("payload"), text)),
                     None) or payload_label(text, language)
    return {"text": title, "pressed_button": True, "payload": text}


def _buttons(event: dict[str, Any]) -> list[dict[str, Any]]:
    payload = event.get("data")
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    return [b for b in buttons or [] if isinstance(b, dict) and b.get("title")]


def _same_payload(offered: Any, sent: str) -> bool:
    # Rasa's templates write '/choose{{"value":"1"}}' in YAML; the channel may reformat JSON.
    return isinstance(offered, str) and "".join(offered.split()) == "".join(sent.split())


def spoken_text(event: dict[str, Any]) -> str | None:
    text = event.get("text")
    if isinstance(text, str) and text:
        return text
    # A bot message may be buttons only; staff still need to see what was offered.
    titles = [str(b["title"]) for b in _buttons(event)]
    return " / ".join(titles) if titles else None


def _load(data: str | None) -> dict[str, Any]:
    try:
        event = json.loads(data) if data else {}
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}
