"""Run the Telegram bridge: `python -m bot.channels.telegram` (the launcher's "telegram" line).

Long polling by default: nothing needs to be reachable from the internet. With
TELEGRAM_WEBHOOK_URL set, Telegram posts updates to that URL instead; a reverse proxy forwards
them to 127.0.0.1:TELEGRAM_WEBHOOK_PORT, and PTB rejects any request without our secret token.
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import urlparse

from bot.channels.telegram.bridge import ALLOWED_UPDATES, build_application
from bot.settings import Settings, ensure_secret, load_settings

PSEUDONYM_KEY_FILE = "pseudonym_key"
WEBHOOK_SECRET_FILE = "telegram_webhook_secret"


def run(settings: Settings) -> None:
    if not settings.telegram_bot_token:
        sys.exit("TELEGRAM_BOT_TOKEN is not set: there is no Telegram bot to connect")
    application = build_application(
        token=settings.telegram_bot_token,
        rasa_url=settings.rasa_url,
        pseudonym_key=ensure_secret(settings, settings.pseudonym_key, PSEUDONYM_KEY_FILE),
        default_language=settings.telegram_default_language,
        api_url=settings.telegram_api_url,
    )
    # bootstrap_retries=-1: if Telegram is unreachable at start, keep trying rather than exit,
    # since under honcho one exiting process stops the whole stack.
    if settings.telegram_webhook_url:
        application.run_webhook(
            listen="127.0.0.1",
            port=settings.telegram_webhook_port,
            url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
            webhook_url=settings.telegram_webhook_url,
            secret_token=ensure_secret(settings, settings.telegram_webhook_secret,
                                       WEBHOOK_SECRET_FILE),
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=-1,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=-1)


def main() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except ValueError as error:
        sys.exit(f"Configuration error: {error}")
    run(settings)


if __name__ == "__main__":
    main()
