"""Rate limits on the public chat, with the `limits` library: per widget session and per client
address (CHAT_RATE_LIMIT_SESSION, CHAT_RATE_LIMIT_ADDRESS), moving windows.

Counters live in this process's memory, or in Redis when REDIS_URL is set, so several web
processes share them. If Redis cannot be reached the chat stays open (logged): a municipality's
citizens should not lose the chat because a counter store is down.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from bot.settings import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "samtale-ratelimit"


class ChatRateLimiter:
    def __init__(self, settings: Settings, *, key_prefix: str = KEY_PREFIX) -> None:
        if settings.redis_url:
            storage = storage_from_string(f"async+{settings.redis_url}", implementation="redispy",
                                          key_prefix=key_prefix)
        else:
            storage = storage_from_string("async+memory://")
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_session = parse(settings.chat_rate_limit_session)
        self.per_address = parse(settings.chat_rate_limit_address)

    async def allow_address(self, address: str) -> bool:
        return await self._hit(self.per_address, "address", address)

    async def allow_session(self, session: str) -> bool:
        return await self._hit(self.per_session, "session", session)

    async def _hit(self, limit: RateLimitItem, kind: str, key: str) -> bool:
        try:
            return await self.limiter.hit(limit, "chat", kind, key)
        except Exception as error:  # noqa: BLE001 - any storage failure: fail open, say so
            log.warning("Rate-limit storage failed (%s); letting the request through",
                        type(error).__name__)
            return True
