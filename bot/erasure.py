"""The fact of a deletion, as both the action server and the Rasa engine read it (stdlib only).

When a person deletes their data (or a conversation without consent ends), the action server
deletes everything and, in the same transaction, adds a row to `erasures`: a hash of the sender
id and the time, nothing else. Rasa saves the turn after the action has run, holding the whole
session in memory; its tracker store (engine/tracker_store.py) looks for an erasure at or after
the tracker's events and then writes back only what is newer than the erasure.
"""
from __future__ import annotations

import hashlib

TABLE = "erasures"


def sender_hash(sender_id: str) -> str:
    """What `erasures` keeps of a sender id: its SHA-256, hex."""
    return hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()
