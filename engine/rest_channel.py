"""Rasa's REST channel, keeping the message metadata (Rasa's stock RestInput drops it).

Clients send {"sender", "message", "metadata": {"language": "da"|"en"}}; the metadata reaches the
tracker, where the turn's first action reads the reply language from it (actions/language.py).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.request import Request


class RestWithMetadata(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json or {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def _extract_message(self, req: Request) -> Optional[Text]:
        # Keep the person's text verbatim, but never hand Rasa a None (a client may omit it).
        message = (req.json or {}).get("message")
        return message if isinstance(message, str) else ""
