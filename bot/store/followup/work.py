"""Staff follow-up on outcomes: status, assignee, notes, due dates, kept or not kept.

Each change returns what it was before and after, so the web layer can audit it precisely.
The first status change or note marks the outcome answered (the handoff response time).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from .. import validation as check
from ..errors import InvalidValue
from ..followup_models import Note
from ..models import Outcome, utcnow
from .common import iso, outcome_dict, outcome_row

MAX_NOTE_LENGTH = 5000
MAX_BULK = 500


class Work:
    _session: Any

    def outcome(self, outcome_id: int) -> dict[str, Any]:
        """One consented outcome with its notes (UnknownOutcome otherwise)."""
        with self._session() as session:
            row = outcome_row(session, outcome_id)
            return outcome_dict(row) | {"notes": _notes(session, row.id)}

    def set_status(self, outcome_ids: list[int], status: str) -> list[dict[str, Any]]:
        """Set the status of one or many outcomes; returns {id, before, after} per outcome."""
        check.choice("status", status, check.STATUSES)
        return self._change(outcome_ids, "status", status)

    def assign(self, outcome_ids: list[int], assignee: str | None) -> list[dict[str, Any]]:
        """Give one or many outcomes to a staff member (None: nobody)."""
        check.identifier("assignee", assignee, nullable=True)
        return self._change(outcome_ids, "assignee", assignee)

    def _change(self, outcome_ids: list[int], field: str, value: Any) -> list[dict[str, Any]]:
        ids = _ids(outcome_ids)
        changes = []
        with self._session(write=True) as session:
            rows = {row.id: row for row in (outcome_row(session, i) for i in ids)}
            for row in rows.values():
                before = getattr(row, field)
                if before == value:
                    continue
                setattr(row, field, value)
                if field == "status":
                    _answered(row)
                changes.append({"id": row.id, "before": before, "after": value})
        return changes

    def add_note(self, outcome_id: int, *, author: str, text: str) -> dict[str, Any]:
        check.identifier("author", author)
        check.text("note", text, max_length=MAX_NOTE_LENGTH)
        if not text.strip():
            raise InvalidValue("a note must not be empty")
        with self._session(write=True) as session:
            row = outcome_row(session, outcome_id)
            note = Note(outcome_id=row.id, author=author, text=text)
            session.add(note)
            _answered(row)
            session.flush()
            return _note_dict(note)

    def set_due(self, outcome_id: int, due: dt.date | None) -> dict[str, Any]:
        """Change a commitment's due date (details["due"], where the bot puts it)."""
        if due is not None and not isinstance(due, dt.date):
            raise InvalidValue(f"due must be a date; got {due!r}")
        with self._session(write=True) as session:
            row = _commitment(session, outcome_id)
            before = row.details.get("due")
            after = due.isoformat() if due else None
            row.details = {**row.details, "due": after}  # a new dict, so the change is seen
            return {"id": row.id, "before": before, "after": after}

    def set_kept(self, outcome_id: int, kept: bool | None) -> dict[str, Any]:
        """Record whether a commitment was kept; saying so also marks it done."""
        check.boolean("kept", kept, nullable=True)
        with self._session(write=True) as session:
            row = _commitment(session, outcome_id)
            before = row.kept
            row.kept = kept
            if kept is not None and row.status != "done":
                row.status = "done"
                _answered(row)
            return {"id": row.id, "before": before, "after": kept, "status": row.status}


def _ids(outcome_ids: list[int]) -> list[int]:
    if not isinstance(outcome_ids, list | tuple) or not outcome_ids:
        raise InvalidValue("choose at least one outcome")
    if len(outcome_ids) > MAX_BULK:
        raise InvalidValue(f"at most {MAX_BULK} outcomes at a time; got {len(outcome_ids)}")
    return list(dict.fromkeys(outcome_ids))


def _commitment(session: Any, outcome_id: int) -> Outcome:
    row = outcome_row(session, outcome_id)
    if row.kind != "commitment":
        raise InvalidValue(f"outcome {outcome_id} is a {row.kind}, not a commitment")
    return row


def _answered(row: Outcome) -> None:
    if row.answered_at is None:
        row.answered_at = utcnow()


def _notes(session: Any, outcome_id: int) -> list[dict[str, Any]]:
    query = select(Note).where(Note.outcome_id == outcome_id).order_by(Note.created_at, Note.id)
    return [_note_dict(note) for note in session.scalars(query)]


def _note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.id, "outcome_id": note.outcome_id, "author": note.author,
            "text": note.text, "created_at": iso(note.created_at)}


