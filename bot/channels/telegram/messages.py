"""Pure conversions between Telegram and Rasa's REST channel: no network, no state."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup

SENDER_PREFIX = "tg-"  # tells staff which channel a conversation came from
MESSAGE_LIMIT = 4096  # Telegram's maximum message length, in UTF-16 code units
CALLBACK_DATA_LIMIT = 64  # bytes; Telegram refuses longer callback_data

# Telegram command -> what Rasa is sent. Rasa reads "/intent" as that intent with certainty.
COMMAND_PAYLOADS: dict[str, str] = {
    "start": "/greet",
    "help": "/help",
    "hjaelp": "/help",
    "pause": "/pause",
    "restart": "/restart",
    "slet": "/delete_my_data",
    "delete": "/delete_my_data",
    "mine": "/show_my_data",
    "mydata": "/show_my_data",
    "sprog": "/switch_language",
    "language": "/switch_language",
}

# The menu Telegram shows next to the text field, per language of the person's app.
COMMAND_MENUS: dict[str, list[tuple[str, str]]] = {
    "da": [
        ("start", "Begynd samtalen"),
        ("help", "Hvad kan jeg skrive?"),
        ("pause", "Hold pause – fortsæt en anden dag"),
        ("restart", "Start forfra"),
        ("mine", "Vis de data, jeg har gemt om dig"),
        ("slet", "Slet dine data"),
        ("sprog", "Skift til engelsk (English)"),
    ],
    "en": [
        ("start", "Begin the conversation"),
        ("help", "What can I write?"),
        ("pause", "Take a break – continue another day"),
        ("restart", "Start again"),
        ("mydata", "Show the data I have stored about you"),
        ("delete", "Delete your data"),
        ("language", "Switch to Danish (dansk)"),
    ],
}

UNAVAILABLE = {
    "da": "Jeg kan ikke svare lige nu – prøv igen om lidt.",
    "en": "I can't answer right now – please try again in a moment.",
}
TEXT_ONLY = {
    "da": "Jeg kan kun læse tekst. Skriv gerne dit svar med ord.",
    "en": "I can only read text. Please write your answer in words.",
}


def language_for(language_code: str | None, default: str) -> str:
    """The reply language for a Telegram user's app language ("da-DK" -> "da")."""
    code = (language_code or "").lower()
    if code.startswith("da"):
        return "da"
    if code.startswith("en"):
        return "en"
    return default


def pseudonym(key: str, telegram_user_id: int) -> str:
    """A stable sender id for Rasa from which the Telegram user id cannot be read back."""
    digest = hmac.new(key.encode(), str(telegram_user_id).encode(), hashlib.sha256).hexdigest()
    return SENDER_PREFIX + digest[:24]


def bot_commands(language: str) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in COMMAND_MENUS[language]]


def keyboard(buttons: Iterable[Mapping[str, Any]]) -> InlineKeyboardMarkup | None:
    """Rasa's buttons as an inline keyboard, one button per row (titles are sentences)."""
    rows = [[InlineKeyboardButton(str(b["title"]), callback_data=callback_data(b))]
            for b in buttons if b.get("title")]
    return InlineKeyboardMarkup(rows) if rows else None


def callback_data(button: Mapping[str, Any]) -> str:
    """The button's payload; a payload too long for Telegram is sent as its title instead,
    which Rasa understands as if the person had typed it."""
    payload = str(button.get("payload") or button["title"])
    if len(payload.encode()) <= CALLBACK_DATA_LIMIT:
        return payload
    return _cut_utf8(str(button["title"]), CALLBACK_DATA_LIMIT)


def button_title(query: Any) -> str | None:
    """The title of the inline button a callback query came from, read off the message's own
    keyboard (what the person saw); None when the message or its keyboard is gone."""
    message = getattr(query, "message", None)
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", None) or ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a reply into Telegram-sized parts, preferring paragraph, line, sentence, word ends."""
    parts: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        fits = _longest_prefix(rest, limit)
        cut = _best_cut(rest[:fits])
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not parts:
        parts.append(rest)
    return [part for part in parts if part] or [text]


def _best_cut(window: str) -> int:
    # The last boundary of the strongest kind, unless that leaves a needlessly small part.
    for separator in ("\n\n", "\n", ". ", " "):
        index = window.rfind(separator)
        if index >= len(window) // 4:
            return index + len(separator)
    return len(window)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _longest_prefix(text: str, limit: int) -> int:
    """How many characters of text fit in limit UTF-16 units (emoji count twice)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_utf8(text: str, limit: int) -> str:
    return text.encode()[:limit].decode(errors="ignore")
