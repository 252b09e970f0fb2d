"""Rasa's SQL tracker store, keeping recently saved trackers in memory and writing in bulk.

Rasa rebuilds the tracker from the database on every message: it loads every event of the
conversation session, parses its JSON and replays it, so a turn costs more the longer the
conversation is (with 50 concurrent conversations: ~27% of the engine's CPU, py-spy). Here a
tracker this process has just saved is used again if the database still holds exactly the events
it was saved with: as many, and the newest of them as new (one aggregate query). When anything
else changed the events — another Rasa worker served the conversation's next turn, the action
server deleted a transcript (delete my data, no consent), a new session began, a turn failed
before it was saved — the database disagrees and the tracker is read from it as before.

Rasa counts a session's events through an ORM query that selects whole rows (their JSON included)
and sorts them, then adds each new event as an ORM object: under load those two were ~20% of the
engine's CPU. Here the same count is one aggregate, built once (building a SQLAlchemy statement
took 0.8 ms of the 0.9 a count cost), and the same rows are written with one multi-row INSERT.
A SQLite file also gets a connection pool: SQLAlchemy 1.4 opens a new connection per session.

Deleting a person's data is part of the save. Rasa saves a turn after its actions have run, from
the tracker it holds in memory, the whole session included; the action that deleted the
transcript (delete my data, a conversation without consent ending) records an erasure in the
same transaction (bot/erasure.py). A save that finds an erasure at or after any of the tracker's
events deletes the sender's events and writes nothing of the turn that erased (only what the
person wrote after the erasure, if anything), in one transaction, and keeps nothing of the
tracker in memory: the next message starts afresh. No timer, no second pass.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections import OrderedDict
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.erasure import TABLE as ERASURES, sender_hash

CACHE_SIZE_VARIABLE = "SAMTALE_TRACKER_CACHE_SIZE"
DEFAULT_CACHE_SIZE = 200  # trackers; a long conversation's tracker is a few hundred kB


SQLITE_BUSY_SECONDS = 10  # waiting for another writer's lock (Rasa's default: 5)
RETRY_DELAYS = (0.5, 1.0, 2.0)  # seconds before each new attempt after a database error

log = logging.getLogger(__name__)


async def _retrying(attempt: Any) -> Any:
    """Runs the coroutine `attempt()` makes, again after a database error (a connection the
    server ended, a locked SQLite file), a few times; then the error goes to Rasa (and the
    REST channel apologises)."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return await attempt()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            if delay is None:
                raise
            log.warning("tracker store: %s, trying again in %.1f s", type(error.orig).__name__,
                        delay)
            await asyncio.sleep(delay)


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = cache_size if cache_size is not None else os.environ.get(CACHE_SIZE_VARIABLE)
        self.cache_size = int(size) if size not in (None, "") else DEFAULT_CACHE_SIZE
        self._saved: OrderedDict[Text, DialogueStateTracker] = OrderedDict()
        if self.engine.dialect.name == "sqlite":
            self.engine.dispose()
            self.engine = sa.create_engine(self.engine.url, poolclass=sa.pool.QueuePool,
                                           connect_args={"check_same_thread": False,
                                                         "timeout": SQLITE_BUSY_SECONDS})
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        else:  # a restarted database server leaves dead connections in the pool: test first
            self.engine.dispose()
            self.engine = sa.create_engine(self.engine.url, pool_pre_ping=True)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._summary_query = self._session_summary_query()
        self._insert = self.SQLEvent.__table__.insert()
        self._erasures = sa.Table(ERASURES, sa.MetaData(), sa.Column("sender_hash", sa.String),
                                  sa.Column("erased_at", sa.Float))
        self._erased_at_query = (sa.select(sa.func.max(self._erasures.c.erased_at))
                                 .where(self._erasures.c.sender_hash == sa.bindparam("hash")))
        self._delete_sender = (self.SQLEvent.__table__.delete()
                               .where(self.SQLEvent.__table__.c.sender_id
                                      == sa.bindparam("sender_id")))
        self._erasures_exist = False  # the migrations create the table; until then, none

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await _retrying(lambda: self._retrieve_or_reuse(sender_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save: the events the database does not hold yet, as the same rows. A save is
        one transaction, so after a lost connection or a locked file it is simply made again."""
        await _retrying(lambda: self._save_new_events(tracker))

    async def _retrieve_or_reuse(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        tracker = self._saved.get(sender_id)
        if tracker is not None and tracker.events:
            with self.session_scope() as session:
                stored = self._session_summary(session, sender_id)
            if stored == (len(tracker.events), max(event.timestamp for event in tracker.events)):
                self._saved.move_to_end(sender_id)
                return tracker
        self._saved.pop(sender_id, None)
        return await super().retrieve(sender_id)

    async def _save_new_events(self, tracker: DialogueStateTracker) -> None:
        self._saved.pop(tracker.sender_id, None)  # if saving fails, nothing stale stays behind
        await self.stream_events(tracker)
        with self.session_scope() as session:
            erased_at = self._erased_at(session, tracker.sender_id)
            if erased_at is not None and any(event.timestamp <= erased_at
                                             for event in tracker.events):
                # The person's data was deleted during this turn (or since the tracker was
                # read): nothing from before the erasure is written back.
                session.execute(self._delete_sender, {"sender_id": tracker.sender_id})
                rows = [self._row(tracker.sender_id, event)
                        for event in self._written_after(tracker, erased_at)]
                if rows:
                    session.execute(self._insert, rows)
                session.commit()
                return  # the tracker in memory still holds what was erased: never cached
            stored, _ = self._session_summary(session, tracker.sender_id)
            rows = [self._row(tracker.sender_id, event)
                    for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                session.execute(self._insert, rows)
            session.commit()
        if self.cache_size > 0:
            self._saved[tracker.sender_id] = tracker
            while len(self._saved) > self.cache_size:
                self._saved.popitem(last=False)

    @staticmethod
    def _written_after(tracker: DialogueStateTracker, erased_at: float) -> list[Event]:
        """What of the tracker may be written after an erasure: from the first message the
        person sent after it, if any. The rest of the turn that erased (the confirmation, the
        goodbye) is not kept either, so the next message starts a conversation afresh."""
        events = list(tracker.events)
        for index, event in enumerate(events):
            if isinstance(event, UserUttered) and event.timestamp > erased_at:
                return events[index:]
        return []

    def _erased_at(self, session: Any, sender_id: Text) -> Optional[float]:
        """When the sender's data was last erased, or None."""
        if not self._erasures_exist:
            self._erasures_exist = sa.inspect(session.connection()).has_table(ERASURES)
            if not self._erasures_exist:
                return None
        return session.execute(self._erased_at_query, {"hash": sender_hash(sender_id)}).scalar()

    def _session_summary(self, session: Any, sender_id: Text) -> tuple[int, Optional[float]]:
        count, newest = session.execute(self._summary_query, {"sender_id": sender_id}).one()
        return count, newest

    def _session_summary_query(self) -> sa.sql.Select:
        """How many events the latest session has, counted as Rasa's `_event_query(...).count()`
        counts them (those at or after the latest SessionStarted, or all when there is none),
        and the newest one's timestamp."""
        events, sender_id = self.SQLEvent.__table__, sa.bindparam("sender_id")
        session_start = (sa.select(sa.func.max(events.c.timestamp))
                         .where(events.c.sender_id == sender_id,
                                events.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        return (sa.select(sa.func.count(), sa.func.max(events.c.timestamp)).select_from(events)
                .where(events.c.sender_id == sender_id,
                       sa.or_(events.c.timestamp >= session_start, session_start.is_(None))))

    @staticmethod
    def _row(sender_id: Text, event: Event) -> dict[str, Any]:
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data)}


class NoSilentFallbackTrackerStore(FailSafeTrackerStore):
    """Rasa wraps every tracker store in a FailSafeTrackerStore: a retrieve that fails returns
    None, so the person is greeted as a stranger mid-conversation; a save that fails goes to an
    in-memory store nobody reads again, so the turn looks kept and is not. Here the error goes
    on, after the retries above: the turn fails, the REST channel apologises, and the person's
    next message continues from what the database holds (engine/serve.py installs this)."""

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._tracker_store.save(tracker)
