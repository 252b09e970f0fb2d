"""Widget sessions, issued by the server: 128 random bits, signed with a key kept in var/.

The browser holds "<random>.<issued>.<signature>" (in localStorage, so a reload continues); the
proxy relays only sessions it signed, for WIDGET_SESSION_DAYS after they were issued: a browser
left behind (a library's computer) does not reopen someone's conversation, or their data, months
later. An expired session gets 401 and the widget asks for a new one: a new conversation. Rasa's sender id is "web-<random>" without the signature, so
someone who reads conversation ids (staff, logs) still cannot continue a person's conversation.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from bot.settings import Settings, ensure_secret

KEY_FILE = "widget_session_key"
RANDOM_BYTES = 16  # 128 bits
# token_urlsafe(16) is 22 characters; the time (base64url) 6; the signature (HMAC-SHA256) 43.
ISSUED = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{4,8}\.[A-Za-z0-9_-]{43}")
DAY_SECONDS = 24 * 3600


class SessionSigner:
    def __init__(self, settings: Settings) -> None:
        key = ensure_secret(settings, None, KEY_FILE)
        self.signer = TimestampSigner(key, salt="samtale-widget-session",
                                      digest_method=hashlib.sha256)
        self.max_age = settings.widget_session_days * DAY_SECONDS

    def issue(self) -> str:
        return self.signer.sign(secrets.token_urlsafe(RANDOM_BYTES)).decode()

    def verify(self, session: str) -> str | None:
        """The session's random part if we issued it and it has not expired, else None
        (the signature is checked in constant time)."""
        if not ISSUED.fullmatch(session):
            return None
        try:
            return self.signer.unsign(session, max_age=self.max_age).decode()
        except (SignatureExpired, BadSignature):  # SignatureExpired is a BadSignature too
            return None
