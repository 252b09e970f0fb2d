"""Rasa's SQL tracker store, keeping recently saved trackers in memory.

Rasa rebuilds the tracker from the database on every message: it loads every event of the
conversation session, parses its JSON and replays it, so a turn costs more the longer the
conversation is (with 50 concurrent conversations: ~27% of the engine's CPU, py-spy). Here a
tracker this process has just saved is used again, if the database still holds exactly the events
it was saved with (one COUNT query, the same one Rasa runs before every save). When anything else
changed the events — the action server deleting a transcript (delete my data, no consent), a
new session, a failed turn that was never saved — the counts differ and the tracker is read from
the database as before. One Rasa process owns a conversation at a time (Rasa's lock store), so no
other writer appends events behind this cache's back.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

CACHE_SIZE_VARIABLE = "SAMTALE_TRACKER_CACHE_SIZE"
DEFAULT_CACHE_SIZE = 200  # trackers; a long conversation's tracker is a few hundred kB


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = cache_size if cache_size is not None else os.environ.get(CACHE_SIZE_VARIABLE)
        self.cache_size = int(size) if size not in (None, "") else DEFAULT_CACHE_SIZE
        self._saved: OrderedDict[Text, DialogueStateTracker] = OrderedDict()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        tracker = self._saved.get(sender_id)
        if tracker is not None and self._stored_event_count(sender_id) == len(tracker.events):
            self._saved.move_to_end(sender_id)
            return tracker
        self._saved.pop(sender_id, None)
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._saved.pop(tracker.sender_id, None)  # if saving fails, nothing stale stays behind
        await super().save(tracker)
        if self.cache_size > 0:
            self._saved[tracker.sender_id] = tracker
            while len(self._saved) > self.cache_size:
                self._saved.popitem(last=False)

    def _stored_event_count(self, sender_id: Text) -> int:
        """Events of the latest session in the database, counted as Rasa's own save counts them."""
        with self.session_scope() as session:
            return self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=False).count()
