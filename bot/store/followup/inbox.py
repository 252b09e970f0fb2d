"""The inbox: filtered, searched, paged outcomes with counts per filter value."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy import func, not_, nulls_last, or_, select

from .. import search
from ..models import Conversation, Outcome
from .common import (
    DUE,
    NOT_SEEN_BY_STAFF,
    OPEN_HANDOFF,
    PINNED_FIRST,
    STEP,
    consented,
    data_version,
    in_range,
    json_contains,
    outcome_dict,
)
from .filters import InboxFilters

# The filters shown with counts, and the column each one counts.
FACETS = ("kind", "status", "language", "role", "assignee", "step")
EXPORT_BATCH = 1000
FACET_CACHE_SIZE = 256
_FACET_CACHE: dict[tuple, tuple[dict[str, dict], int]] = {}


class Inbox:
    _session: Any

    def _search_ready(self, filters: InboxFilters) -> None:
        """Bring SQLite's stemmed copy up to date before a search reads it."""
        if not filters.q:
            return
        with self._session() as session:
            stale = search.needs_sync(session)
        if stale:
            with self._session(write=True) as session:
                search.sync(session)

    def inbox(self, filters: InboxFilters) -> dict[str, Any]:
        """One page of outcomes: open handoffs first, then newest first (or by due date)."""
        self._search_ready(filters)
        offset = (filters.page - 1) * filters.per_page
        with self._session() as session:
            query = self._where(session, consented(select(Outcome)), filters)
            # The open handoffs and the rest are read apart, so each walks an index in order
            # and stops at the page (one ORDER BY over a CASE would sort every outcome).
            pinned = query.where(OPEN_HANDOFF)
            pinned_total = session.scalar(select(func.count()).select_from(pinned.subquery())) or 0
            rows = list(session.scalars(
                self._ordered(pinned, filters).limit(filters.per_page).offset(offset)
            )) if offset < pinned_total else []
            if len(rows) < filters.per_page:
                rest = self._ordered(query.where(not_(OPEN_HANDOFF)), filters)
                rows += session.scalars(
                    rest.limit(filters.per_page - len(rows)).offset(max(0, offset - pinned_total))
                ).all()
            facets, total = self._facets(session, filters)
        return {
            "outcomes": [outcome_dict(row) for row in rows],
            "total": total,
            "page": filters.page,
            "per_page": filters.per_page,
            "pages": max(1, -(-total // filters.per_page)),
            "facets": facets,
        }

    def export_rows(self, filters: InboxFilters) -> Iterator[dict[str, Any]]:
        """Every outcome the filters select (all pages), in inbox order, with contact details.

        The caller decides whether contact details may be shown; the store hands them over.
        """
        self._search_ready(filters)
        last_page = 0
        while True:
            with self._session() as session:
                query = self._where(
                    session,
                    consented(select(Outcome, Conversation.contact)).outerjoin(
                        Conversation, Conversation.conversation_id == Outcome.conversation_id
                    ),
                    filters,
                )
                rows = session.execute(
                    self._ordered(query, filters, pinned_first=True)
                    .limit(EXPORT_BATCH)
                    .offset(last_page * EXPORT_BATCH)
                ).all()
                batch = [outcome_dict(row) | {"contact": contact} for row, contact in rows]
            yield from batch
            if len(batch) < EXPORT_BATCH:
                return
            last_page += 1

    @staticmethod
    def _where(session: Any, query: Any, filters: InboxFilters, *, facets: bool = True) -> Any:
        conditions = in_range(Outcome.created_at, filters.since, filters.until)
        if filters.q:
            conditions.append(search.matches(session, filters.q))
        conditions.extend(_detail_conditions(session, filters))
        if facets:
            conditions.extend(_facet_conditions(filters).values())
        return query.where(*conditions)

    @staticmethod
    def _ordered(query: Any, filters: InboxFilters, *, pinned_first: bool = False) -> Any:
        order = [PINNED_FIRST] if pinned_first else []
        if filters.effective_sort == "due":
            order.append(nulls_last(DUE.asc()))
        return query.order_by(*order, Outcome.created_at.desc(), Outcome.id.desc())

    def _facets(self, session: Any, filters: InboxFilters) -> tuple[dict[str, dict], int]:
        """Counts per value of each filter, as if that filter alone were not set (so the panel
        shows where else one could go), from one grouped query; and the total that match.

        Served again while nothing they count has changed (paging, the back button)."""
        key = (replace(filters, page=1, sort=None, per_page=1), data_version(session))
        cached = _FACET_CACHE.get(key)
        if cached is None:
            cached = self._count_facets(session, filters)
            if len(_FACET_CACHE) >= FACET_CACHE_SIZE:
                _FACET_CACHE.pop(next(iter(_FACET_CACHE)))
            _FACET_CACHE[key] = cached
        return cached

    def _count_facets(self, session: Any, filters: InboxFilters) -> tuple[dict[str, dict], int]:
        columns = {
            "kind": Outcome.kind, "status": Outcome.status, "language": Outcome.language,
            "role": Outcome.role, "assignee": Outcome.assignee, "step": STEP,
        }  # fmt: skip
        labelled = [c.label(n) for n, c in columns.items()]
        # All outcomes, minus those of conversations without consent (outcomes are stored only
        # with consent, so that list is short): an index-only scan instead of a lookup per row.
        grouped = self._where(session, select(*labelled, func.count()), filters, facets=False)
        refused = self._where(
            session,
            select(*labelled, func.count())
            .join(Conversation, Conversation.conversation_id == Outcome.conversation_id)
            .where(NOT_SEEN_BY_STAFF),
            filters,
            facets=False,
        )
        tally: Counter = Counter()
        for query, sign in ((grouped, 1), (refused, -1)):
            for row in session.execute(query.group_by(*columns.values())):
                tally[tuple(row[:-1])] += sign * row[-1]
        groups = [(dict(zip(FACETS, key, strict=True)), n) for key, n in tally.items() if n > 0]
        wanted = _facet_tests(filters)
        counts: dict[str, Counter] = {name: Counter() for name in FACETS}
        total = 0
        for values, count in groups:
            failed = [name for name, test in wanted.items() if not test(values[name])]
            if not failed:
                total += count
                for name in FACETS:
                    counts[name][values[name]] += count
            elif len(failed) == 1:  # counts for the one filter this group fails
                counts[failed[0]][values[failed[0]]] += count
        facets = {
            name: dict(sorted(counter.items(), key=lambda item: (-item[1], str(item[0]))))
            for name, counter in counts.items()
        }
        return facets, total


def _detail_conditions(session: Any, filters: InboxFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.due is not None:
        today = dt.datetime.now(dt.UTC).date()
        conditions += [Outcome.kind == "commitment", Outcome.status != "done"]
        if filters.due == "overdue":
            conditions.append(DUE < today.isoformat())
        else:
            monday = today - dt.timedelta(days=today.weekday())
            sunday = monday + dt.timedelta(days=6)
            conditions.append(DUE.between(monday.isoformat(), sunday.isoformat()))
    if filters.kept is not None:
        conditions.append(Outcome.kept.is_(filters.kept))
    if filters.skill is not None:
        conditions.append(or_(json_contains(session, "skill_ids", filters.skill),
                              json_contains(session, "skills", filters.skill)))
    if filters.day is not None:
        conditions.append(json_contains(session, "availability.days", filters.day))
    return conditions


def _facet_conditions(filters: InboxFilters) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    for name in ("kind", "status", "language", "role"):
        value = getattr(filters, name)
        if value is not None:
            conditions[name] = getattr(Outcome, name) == value
    if filters.unassigned:
        conditions["assignee"] = Outcome.assignee.is_(None)
    elif filters.assignee is not None:
        conditions["assignee"] = Outcome.assignee == filters.assignee
    if filters.step is not None:
        conditions["step"] = STEP == filters.step
    return conditions


def _facet_tests(filters: InboxFilters) -> dict[str, Any]:
    """The same filters as Python tests on one group's values."""
    tests: dict[str, Any] = {}
    for name in ("kind", "status", "language", "role", "step"):
        value = getattr(filters, name)
        if value is not None:
            tests[name] = lambda seen, wanted=value: seen == wanted
    if filters.unassigned:
        tests["assignee"] = lambda seen: seen is None
    elif filters.assignee is not None:
        tests["assignee"] = lambda seen, wanted=filters.assignee: seen == wanted
    return tests
