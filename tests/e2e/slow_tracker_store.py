"""Rasa's tracker store for the fault tests: saves take SLOW_SAVE_SECONDS while the file named
by SAMTALE_SLOW_SAVE_FLAG exists, so a turn can be made slower than any timer."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from engine.tracker_store import CachedSQLTrackerStore

SLOW_SAVE_SECONDS = 4.0


class SlowSaveTrackerStore(CachedSQLTrackerStore):
    async def save(self, tracker):  # type: ignore[no-untyped-def]
        flag = os.environ.get("SAMTALE_SLOW_SAVE_FLAG")
        if flag and Path(flag).exists():
            await asyncio.sleep(SLOW_SAVE_SECONDS)
        await super().save(tracker)
