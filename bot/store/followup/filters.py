"""The inbox's filters, parsed from a query string and checked once for the page and its JSON.

Every value is checked against the store's vocabulary; a wrong one raises InvalidValue with a
message naming the parameter, which the pages show as-is (never a 500).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from .. import validation as check
from ..errors import InvalidValue

SORTS = ("newest", "due")
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25
MAX_QUERY_LENGTH = 200
STEPS = (1, 2, 3, 4)  # empowerment ladder 1..4, profession ladder 1..3
# Parameters as they appear in the URL, in the order links are built.
PARAMETERS = ("q", "kind", "status", "language", "role", "assignee", "step", "since", "until",
              "due", "kept", "skill", "day", "sort", "page", "per_page")
DUE_WINDOWS = ("overdue", "this_week")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class InboxFilters:
    kind: str | None = None
    status: str | None = None
    language: str | None = None
    role: str | None = None
    assignee: str | None = None  # a name (the page turns "mine" into the user's own)
    unassigned: bool = False
    step: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    q: str | None = None
    due: str | None = None  # commitments overdue or due this week (the reports link here)
    kept: bool | None = None
    skill: str | None = None  # a skill id among a gift's skill_ids
    day: str | None = None  # a weekday among a gift's available days
    sort: str | None = None  # None: by due date for commitments, otherwise newest first
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, params: Mapping[str, str], *, me: str | None = None) -> InboxFilters:
        """From query-string values; blank values count as absent. `me` is whose "mine" is."""
        get = {name: (params.get(name) or "").strip() or None for name in PARAMETERS}
        assignee = get["assignee"]
        unassigned = assignee == "unassigned"
        if assignee == "mine":
            if not me:
                raise InvalidValue("assignee=mine needs a signed-in user")
            assignee = me
        return cls(
            kind=check.choice("kind", get["kind"], check.KINDS, nullable=True),
            status=check.choice("status", get["status"], check.STATUSES, nullable=True),
            language=check.choice("language", get["language"], check.LANGUAGES, nullable=True),
            role=check.choice("role", get["role"], check.ROLES, nullable=True),
            assignee=None if unassigned else check.identifier("assignee", assignee, nullable=True),
            unassigned=unassigned,
            step=_integer("step", get["step"], allowed=STEPS),
            since=_date("since", get["since"]),
            until=_date("until", get["until"]),
            q=check.text("q", get["q"], nullable=True, max_length=MAX_QUERY_LENGTH),
            due=check.choice("due", get["due"], DUE_WINDOWS, nullable=True),
            kept=YES_NO[check.choice("kept", get["kept"], YES_NO, nullable=True)]
            if get["kept"] else None,
            skill=check.identifier("skill", get["skill"], nullable=True),
            day=check.choice("day", get["day"], DAYS, nullable=True),
            sort=check.choice("sort", get["sort"], SORTS, nullable=True),
            page=_integer("page", get["page"], minimum=1) or 1,
            per_page=_integer("per_page", get["per_page"], minimum=1, maximum=MAX_PER_PAGE)
            or DEFAULT_PER_PAGE,
        ).checked()

    def checked(self) -> InboxFilters:
        if self.since and self.until and self.since > self.until:
            raise InvalidValue(f"since ({self.since}) must not be after until ({self.until})")
        return self

    @property
    def effective_sort(self) -> str:
        return self.sort or ("due" if self.kind == "commitment" else "newest")

    def but(self, **changes: Any) -> InboxFilters:
        """A copy with some filters changed (paging starts again unless page is given)."""
        return replace(self, **({"page": 1} | changes))

    def to_query(self, me: str | None = None) -> dict[str, str]:
        """Back to query-string values (only those set), for links that keep the filters."""
        values = asdict(self)
        out: dict[str, str] = {}
        for name in PARAMETERS:
            if name == "assignee":
                if self.unassigned:
                    out[name] = "unassigned"
                elif self.assignee:
                    out[name] = "mine" if me and self.assignee == me else self.assignee
                continue
            value = values[name]
            if value is None or (name == "page" and value == 1) or (
                name == "per_page" and value == DEFAULT_PER_PAGE
            ):
                continue
            if isinstance(value, bool):
                out[name] = "yes" if value else "no"
            else:
                out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


def _integer(name: str, value: str | None, *, allowed: tuple[int, ...] | None = None,
             minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidValue(f"{name} must be a whole number; got {value!r}") from None
    if allowed is not None and number not in allowed:
        raise InvalidValue(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        limits = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidValue(f"{name} must be {limits}; got {value!r}")
    return number


def _date(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"{name} must be a date as YYYY-MM-DD; got {value!r}") from None
