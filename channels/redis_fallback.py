"""Run one Redis operation, or report that Redis cannot be used right now.

Redis holds what instances share (the QPS budget, bans). Its outage must never fail an
upstream call: the caller falls back to its per-process state. After a failure Redis is
left alone for ``retry_after_s`` so a dead server costs one timeout, not one per call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from channels.clock import Clock
from channels.metrics import REDIS_FALLBACKS

T = TypeVar("T")

log = logging.getLogger("productgraph.upstream")


class RedisFallback:
    """Guards the Redis calls of one channel's shared state (``purpose`` names which)."""

    def __init__(
        self,
        channel_name: str,
        purpose: str,
        *,
        timeout_s: float = 0.25,
        retry_after_s: float = 5.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._channel_name = channel_name
        self._purpose = purpose
        self._timeout_s = timeout_s
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._down_until: float | None = None

    @property
    def available(self) -> bool:
        return self._down_until is None or self._clock() >= self._down_until

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T | None:
        """The operation's result, or ``None`` (counted and logged) when Redis failed."""
        if not self.available:
            REDIS_FALLBACKS.labels(self._channel_name, self._purpose).inc()
            return None
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await operation()
        except (RedisError, OSError, TimeoutError) as exc:
            REDIS_FALLBACKS.labels(self._channel_name, self._purpose).inc()
            if self._down_until is None:
                # Logged once per outage; the exception text names host and port, no secret.
                log.warning("redis unavailable for %s %s, using per-process state (%s)",
                            self._channel_name, self._purpose, type(exc).__name__)
            self._down_until = self._clock() + self._retry_after_s
            return None
        if self._down_until is not None:
            log.info("redis back for %s %s", self._channel_name, self._purpose)
            self._down_until = None
        return result
