"""The store's vocabulary and the checks every public method applies before touching SQL.

Checks are identical on SQLite and PostgreSQL so that a value accepted in development is
accepted in production (SQLite would silently store an over-long id that PostgreSQL rejects).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from .errors import InvalidValue

KINDS = ("invitation", "possibility", "ownership", "dissent", "commitment", "gift", "handoff")
STATUSES = ("new", "in_progress", "done")
ROLES = ("citizen", "employee")
LANGUAGES = ("da", "en")
MAX_ID_LENGTH = 255
MAX_LIMIT = 1000
# An e-mail address is at most 254 characters (RFC 5321); a phone number far less.
MAX_CONTACT_LENGTH = 254
# A dot-atom e-mail address (RFC 5322 without quoted or bracketed forms); domain labels as DNS
# allows them, Danish letters included (IDN), and a top-level domain of letters.
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])"
    r"(?P<local>[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*)"
    rf"@(?P<domain>(?:{_LABEL}\.)+[^\W\d_]{{2,63}})(?![\w-]|\.\w)"
)
# A Danish number: 8 digits, the first 2-9 (1xx are service numbers), optionally +45 or 0045
# in front; spaces, dashes and dots between digits. Not part of a longer number (a CPR number
# has 10 digits).
_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[ .-])(?:(?:\+|00)45[ .-]?)?(?P<number>[2-9](?:[ .-]?\d){7})(?![ .-]?\d)"
)


def choice(name: str, value: Any, allowed: Iterable[str], *, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    allowed = tuple(allowed)
    if value not in allowed:
        listed = ", ".join(allowed)
        raise InvalidValue(f"{name} must be one of {listed}; got {value!r}")
    return value


def text(name: str, value: Any, *, nullable: bool = False, max_length: int | None = None) -> Any:
    """Check a string without changing it: the person's words are stored as given."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"{name} must be a string; got {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise InvalidValue(f"{name} must be at most {max_length} characters; got {len(value)}")
    if "\x00" in value:
        # PostgreSQL cannot store NUL in text; refuse it everywhere rather than lose data.
        raise InvalidValue(f"{name} must not contain NUL characters")
    return value


def identifier(name: str, value: Any, *, nullable: bool = False) -> Any:
    checked = text(name, value, nullable=nullable, max_length=MAX_ID_LENGTH)
    if checked == "":
        raise InvalidValue(f"{name} must not be empty")
    return checked


def boolean(name: str, value: Any, *, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    if not isinstance(value, bool):
        raise InvalidValue(f"{name} must be true or false; got {value!r}")
    return value


def details(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise InvalidValue("details must be a JSON object (a dict with string keys)")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"details must be JSON-serialisable: {error}") from None
    if _contains_nul(value):
        raise InvalidValue("details must not contain NUL characters")
    return value


def page(limit: Any, offset: Any) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidValue(f"limit must be an integer from 1 to {MAX_LIMIT}; got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidValue(f"offset must be a non-negative integer; got {offset!r}")
    return limit, offset


def minutes(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValue(f"{name} must be a non-negative integer; got {value!r}")
    return value


def contact_details(text: str) -> str | None:
    """The e-mail address and/or Danish phone number in an answer, normalised, without the
    words around them ("skriv til anna@example.dk" -> "anna@example.dk"); None if there is none.

    Pure: the action uses it to ask again kindly, the store to refuse anything else.
    """
    if not isinstance(text, str) or len(text) > 4 * MAX_CONTACT_LENGTH:
        return None
    found = []
    email = _EMAIL.search(text)
    if email is not None and len(email["local"]) <= 64 and len(email[0]) <= MAX_CONTACT_LENGTH:
        found.append(f"{email['local']}@{email['domain'].lower()}")
    phone = _PHONE.search(text if email is None else text.replace(email[0], " "))
    if phone is not None:
        found.append("+45 " + re.sub(r"\D", "", phone["number"]))
    return ", ".join(found) or None


def contact(value: Any) -> Any:
    """A conversation's contact field holds contact details only, within a length limit."""
    checked = text("contact", value, nullable=True, max_length=MAX_CONTACT_LENGTH)
    if checked is not None and contact_details(checked) is None:
        raise InvalidValue("contact must be an e-mail address or a Danish phone number")
    return checked


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_contains_nul(item) for item in value)
    return False
