"""Rasa's logs without what people write, rotated and limited in size.

Rasa writes the person's text into its log when a turn fails or times out (the REST channel's
`rest.message.received.failure` / `.timeout` carry `text=`), its debug lines quote messages, and a
traceback's exception message may hold any value. Here:

- structlog events (Rasa's newer logging) have every key Rasa itself marks as user content
  (`text`, `user_text`, `message`, `parse_data_text`, ... — rasa.utils.log_utils' list) replaced
  by its size;
- every log record, whichever handler writes it (the file, stdout, Sanic's), is masked (bot/masking.py), cut to a few hundred characters, and a
  traceback keeps the exception types and where they were raised, not their messages;
- `--log-file` (var/rasa.log) is a RotatingFileHandler: at most LOG_FILE_BYTES, LOG_BACKUPS old
  files, created 0600.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import traceback
from typing import Any

from bot.masking import mask_personal_data

LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_BACKUPS = 3
MAX_MESSAGE = 500


def _size(value: Any) -> str:
    return f"<{len(value) if isinstance(value, (str, bytes, list, dict)) else 1} redacted>"


def without_user_content(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: Rasa's user-content keys become their sizes."""
    for key in list(event_dict):
        if key in _USER_CONTENT_KEYS:
            event_dict[key] = _size(event_dict[key])
    return event_dict


_USER_CONTENT_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
    "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states",
    "old_states", "successes", "current_entity", "next_entity", "states", "entity",
    "token_text", "user_message", "json_message", "body", "metadata",
})


def exception_outline(exc_info: Any) -> str:
    """A traceback's shape: exception types and the frames they passed, not their messages."""
    _, error, _ = exc_info
    lines = []
    while error is not None:
        frames = traceback.extract_tb(error.__traceback__)[-3:]
        where = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}"
                            for f in reversed(frames))
        lines.append(f"{type(error).__module__}.{type(error).__qualname__} at {where}")
        error = error.__cause__ or error.__context__
    return "\n  caused by ".join(lines)


class PrivateRecords(logging.Filter):
    """Masks and shortens a record's message; replaces its traceback by an outline."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "samtale_private", False):
            return True
        record.samtale_private = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 -- a broken format string must not hide the record
            message = str(record.msg)
        masked, _ = mask_personal_data(message)
        if len(masked) > MAX_MESSAGE:
            masked = f"{masked[:MAX_MESSAGE]}… <{len(masked)} characters>"
        if record.exc_info and record.exc_info[1] is not None:
            masked = f"{masked}\n  {exception_outline(record.exc_info)}"
        record.msg, record.args = masked, None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def rotating_file_logging(logger_obj: logging.Logger, log_file: str | None, use_syslog: Any,
                          *args: Any, **kwargs: Any) -> None:
    """Rasa's configure_file_logging, with a rotating 0600 file."""
    if not log_file:
        return
    if not os.path.exists(log_file):
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT, 0o600))
    handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_FILE_BYTES,
                                                   backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setLevel(logger_obj.level)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)-5.5s]  %(message)s"))
    logger_obj.addHandler(handler)


_private = PrivateRecords()
_handle = logging.Handler.handle


def _handle_privately(handler: logging.Handler, record: logging.LogRecord) -> Any:
    _private.filter(record)
    return _handle(handler, record)


def protect_every_handler() -> None:
    """Every handler of the process (files, stdout, Sanic's error and access logs) writes
    filtered records. Used by the engine and the action server."""
    logging.Handler.handle = _handle_privately


def install() -> None:
    """Patches Rasa's logging set-up; engine/serve.py calls it before Rasa configures logging."""
    import rasa.core.utils
    import rasa.utils.log_utils

    rasa.utils.log_utils._anonymizer = without_user_content  # first of structlog's processors
    rasa.core.utils.configure_file_logging = rotating_file_logging
    protect_every_handler()
