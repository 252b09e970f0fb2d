"""Retention: forget what is older than RETENTION_DAYS (`make retention`, `python -m bot.retention`).

The web service runs the same pass every hour (bot/web/janitor.py); this entry point is for cron
or a one-off after lowering RETENTION_DAYS. It logs and audits counts only: no ids, no text.
"""
from __future__ import annotations

import logging
import sys

from bot.settings import Settings, load_settings
from bot.store import OutcomeStore, get_store, migrate
from bot.store.accounts import AccountStore

logger = logging.getLogger("bot.retention")


def run_retention(store: OutcomeStore, settings: Settings) -> dict[str, int]:
    counts = store.apply_retention(days=settings.retention_days,
                                   keep_open=settings.retention_keep_open)
    logger.info(
        "Retention (%d days): deleted %d conversations, %d outcomes, %d transcript events; "
        "kept %d open outcomes until closed", settings.retention_days, counts["conversations"],
        counts["outcomes"], counts["events"], counts["kept_open"])
    if any(counts.values()):
        # The audit log says that retention deleted, and how much: counts, never whom or what.
        AccountStore(store).add_audit(
            user_id=None, username=None, action="retention.deleted", target="retention",
            detail={"days": settings.retention_days, **counts}, client_address=None)
    return counts


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = load_settings()
    except ValueError as error:
        sys.exit(f"Configuration error: {error}")
    migrate(settings.database_url)  # a no-op once `make run` has run; a fresh database works too
    run_retention(get_store(settings), settings)


if __name__ == "__main__":
    main()
