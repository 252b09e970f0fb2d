"""The staff follow-up store: inbox, work on outcomes, conversations, matching, reports.

`FollowUp(store)` shares the OutcomeStore's engine and its one session helper; methods take
plain values and return plain dicts, like OutcomeStore's.
"""

from __future__ import annotations

from ..outcome_store import OutcomeStore
from .conversations import Conversations, UnknownConversation
from .filters import InboxFilters
from .inbox import Inbox
from .matching import Matching
from .reports import Reports
from .work import Work


class FollowUp(Inbox, Work, Conversations, Matching, Reports):
    def __init__(self, store: OutcomeStore) -> None:
        self.store = store
        self._session = store._session  # the one place sessions are opened


__all__ = ["FollowUp", "InboxFilters", "UnknownConversation"]
