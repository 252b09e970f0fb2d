"""Widget sessions, issued by the server: 128 random bits, signed with a key kept in var/.

The browser holds "<random>.<signature>" (in localStorage, so a reload continues); the proxy
relays only sessions it signed. Rasa's sender id is "web-<random>" without the signature, so
someone who reads conversation ids (staff, logs) still cannot continue a person's conversation.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from itsdangerous import BadSignature, Signer

from bot.settings import Settings, ensure_secret

KEY_FILE = "widget_session_key"
RANDOM_BYTES = 16  # 128 bits
# token_urlsafe(16) is 22 characters; the signature (HMAC-SHA256, base64url) is 43.
ISSUED = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")


class SessionSigner:
    def __init__(self, settings: Settings) -> None:
        key = ensure_secret(settings, None, KEY_FILE)
        self.signer = Signer(key, salt="samtale-widget-session", digest_method=hashlib.sha256)

    def issue(self) -> str:
        return self.signer.sign(secrets.token_urlsafe(RANDOM_BYTES)).decode()

    def verify(self, session: str) -> str | None:
        """The session's random part if we issued it, else None (checked in constant time)."""
        if not ISSUED.fullmatch(session):
            return None
        try:
            return self.signer.unsign(session).decode()
        except BadSignature:
            return None
