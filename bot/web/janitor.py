"""The janitor: forget the transcripts of people who never said yes to storage."""

from __future__ import annotations

import asyncio
import logging

from bot.settings import Settings
from bot.store import OutcomeStore

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 60


def run_janitor_once(store: OutcomeStore, settings: Settings) -> list[str]:
    """One pass; never raises, because a failed pass must not stop the next one."""
    try:
        purged = store.purge_unconsented(idle_minutes=settings.no_consent_purge_minutes)
    except Exception:
        logger.exception("Janitor pass failed; will retry in %s s", INTERVAL_SECONDS)
        return []
    if purged:
        logger.info("Janitor purged the transcripts of %d unconsented senders", len(purged))
    return purged


async def run_janitor_forever(store: OutcomeStore, settings: Settings) -> None:
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        # The store is synchronous; keep the event loop free for requests.
        await asyncio.to_thread(run_janitor_once, store, settings)
