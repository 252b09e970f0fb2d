"""Telegram bridge: a python-telegram-bot Application that relays citizens' messages to Rasa.

    python -m bot.channels.telegram     long polling, or a webhook when TELEGRAM_WEBHOOK_URL is set

    Telegram ──update──▶ bridge.py ──POST /webhooks/rest/webhook──▶ Rasa
             ◀─sendMessage (+ inline keyboard)── replies in order ◀──┘

- messages.py   pure conversions: language, pseudonymous sender id, splitting, keyboards, commands
- rasa.py       the HTTP client for Rasa's REST channel (RasaUnavailable when it does not answer)
- bridge.py     the handlers, the rate limiter (PTB's AIORateLimiter), the error handler, building the Application
- __main__.py   the entry point: polling or webhook, from bot.settings

Rasa only ever sees "tg-<HMAC of the Telegram user id>" and the language; the chat id needed to
reply is taken from each update and kept nowhere.
"""
