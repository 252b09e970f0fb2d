"""The janitor: forget the transcripts of people who never said yes to storage (every minute),
the trainers' idle Try-it conversations, and what is older than RETENTION_DAYS (every hour,
bot/retention.py)."""

from __future__ import annotations

import asyncio
import logging

from bot.retention import run_retention
from bot.settings import Settings
from bot.store import OutcomeStore

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 60
RETENTION_EVERY_PASSES = 60  # hourly: retention counts in days, and its query reads every row


def run_janitor_once(store: OutcomeStore, settings: Settings) -> list[str]:
    """One pass; never raises, because a failed pass must not stop the next one."""
    try:
        purged = store.purge_unconsented(idle_minutes=settings.no_consent_purge_minutes)
        trials = store.erase_idle_trials(idle_minutes=settings.no_consent_purge_minutes)
    except Exception:
        logger.exception("Janitor pass failed; will retry in %s s", INTERVAL_SECONDS)
        return []
    if purged:
        logger.info("Janitor purged the transcripts of %d unconsented senders", len(purged))
    if trials:
        logger.info("Janitor erased %d idle Try-it conversations of trainers", len(trials))
    return purged


def run_retention_once(store: OutcomeStore, settings: Settings) -> dict[str, int] | None:
    """One retention pass; never raises, like the janitor's own pass."""
    try:
        return run_retention(store, settings)
    except Exception:
        logger.exception("Retention pass failed; will retry in %s s",
                         INTERVAL_SECONDS * RETENTION_EVERY_PASSES)
        return None


async def run_janitor_forever(store: OutcomeStore, settings: Settings) -> None:
    passes = 0
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        # The store is synchronous; keep the event loop free for requests.
        await asyncio.to_thread(run_janitor_once, store, settings)
        if passes % RETENTION_EVERY_PASSES == 0:  # the first pass too: soon after a start
            await asyncio.to_thread(run_retention_once, store, settings)
        passes += 1
