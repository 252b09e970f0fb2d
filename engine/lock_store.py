"""Rasa's ticket locks kept in files, so several Rasa workers on one machine can share them.

Rasa serves one conversation's messages one at a time, in the order they came, with a ticket lock
per conversation. Its default lock store lives in the process's memory, so Rasa refuses to run
more than one worker with it; the shared alternative is Redis, which `make run` does not have.
This store keeps each conversation's TicketLock as JSON in a file, and does every
read-modify-write of a lock under an exclusive `flock`, so two workers cannot issue the same
ticket or lose each other's updates. One machine only: flock does not reach across hosts (there,
use Rasa's Redis lock store).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore

# Locks are guarded in buckets by the hash of the conversation id: a bounded set of guard files
# that are never deleted (deleting a file others wait to flock would let two holders in).
GUARD_BUCKETS = 64


class FileLockStore(LockStore):
    def __init__(self, endpoint_config: Any = None, directory: Optional[str] = None) -> None:
        kwargs = getattr(endpoint_config, "kwargs", None) or {}
        self.directory = Path(directory or kwargs.get("directory") or "var/locks")
        self.directory.mkdir(parents=True, exist_ok=True)
        self._held: set[int] = set()  # guard buckets this process holds right now

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        try:
            return TicketLock.from_dict(json.loads(self._path(conversation_id).read_text()))
        except FileNotFoundError:
            return None

    def save_lock(self, lock: TicketLock) -> None:
        path = self._path(lock.conversation_id)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_text(lock.dumps())
        os.replace(partial, path)  # a reader sees the old lock or the new one, never half

    def delete_lock(self, conversation_id: Text) -> None:
        self._path(conversation_id).unlink(missing_ok=True)

    # The base class's read-modify-write steps, each under the conversation's guard.
    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._guard(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        with self._guard(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        with self._guard(conversation_id):
            super().cleanup(conversation_id, ticket_number)

    def _path(self, conversation_id: Text) -> Path:
        return self.directory / f"{_digest(conversation_id)}.json"

    @contextmanager
    def _guard(self, conversation_id: Text) -> Iterator[None]:
        bucket = int(_digest(conversation_id)[:8], 16) % GUARD_BUCKETS
        if bucket in self._held:  # already ours (cleanup calls finish_serving): flock would wait
            yield
            return
        descriptor = os.open(self.directory / f"guard-{bucket:02d}", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            self._held.add(bucket)
            yield
        finally:
            self._held.discard(bucket)
            os.close(descriptor)  # closing releases the flock


def _digest(conversation_id: Text) -> str:
    # Conversation ids come from clients: hashed, they are always a safe file name.
    return hashlib.sha256(conversation_id.encode()).hexdigest()
