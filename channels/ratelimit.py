"""The QPS budget: callers wait for a slot, so no request fails because of the budget.

Both limiters keep a sliding log of grant times: a call is granted when fewer than
``limit`` calls were granted in the last ``window_s``. So no window of ``window_s`` seconds
(and no calendar second at the gateway) ever sees more than ``limit`` calls, while a burst
up to the budget still goes out at once (a TOP fan-out is not spaced needlessly).

``RedisQpsLimiter`` keeps the log in one sorted set (``productgraph:qps:<channel>``) updated
by an atomic Lua script on the Redis server's clock, so every worker and instance shares
one budget; when Redis fails it falls back to the per-process ``LocalQpsLimiter``.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from channels.clock import Clock, Sleep
from channels.redis_fallback import RedisFallback

#: How much later than its grant a call may reach the gateway, and still be counted in the
#: same window there.
TRANSIT_MARGIN_S = 0.05


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` calls in any ``window_s`` seconds."""

    limit: int
    window_s: float

    @classmethod
    def per_second(cls, qps: float, *, transit_margin_s: float = TRANSIT_MARGIN_S) -> Budget:
        """``qps`` calls a second, as the gateway counts them: on arrival.

        A grant reaches the gateway a little later than it is given (event-loop lag, the
        network), and not always equally late, so ``qps + 1`` arrivals could fall inside
        one second at the gateway although no second of grants held more than ``qps``. The
        window is widened by ``transit_margin_s`` to absorb that jitter; it costs the budget
        ``margin / (1 + margin)`` of its throughput (under 5 % at the default).
        """
        if qps <= 0:
            raise ValueError(f"qps must be positive, got {qps}")
        if qps >= 1:
            return cls(limit=math.floor(qps), window_s=1.0 + transit_margin_s)
        return cls(limit=1, window_s=1.0 / qps + transit_margin_s)


class QpsLimiter(Protocol):
    async def acquire(self) -> None:
        """Return once the caller may send one request (waiting as long as needed)."""
        ...


class LocalQpsLimiter:
    """The budget of one process. Waiters are served in arrival order."""

    def __init__(self, budget: Budget, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.budget = budget
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque()
        self._lock = asyncio.Lock()   # FIFO: the first waiter gets the next free slot

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                horizon = now - self.budget.window_s
                while self._grants and self._grants[0] <= horizon:
                    self._grants.popleft()
                if len(self._grants) < self.budget.limit:
                    self._grants.append(now)
                    return
                await self._sleep(self._grants[0] - horizon)


# KEYS[1] the log; ARGV: limit, window (µs), a token unique to this grant.
# Returns {1, 0} when granted, else {0, µs until the oldest grant leaves the window}.
# TIME in a script that writes needs effect replication, the default since Redis 5.
_SLIDING_LOG_LUA = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + window - now)}
"""


class RedisQpsLimiter:
    """One budget shared by every process that uses the same Redis and ``key``."""

    def __init__(
        self,
        redis: Any,
        channel_name: str,
        budget: Budget,
        *,
        fallback: LocalQpsLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.budget = budget
        self.key = f"productgraph:qps:{channel_name}"
        self._script = redis.register_script(_SLIDING_LOG_LUA)
        self._fallback = fallback or LocalQpsLimiter(budget, clock=clock, sleep=sleep)
        self._guard = RedisFallback(channel_name, "qps", clock=clock)
        self._sleep = sleep
        self._lock = asyncio.Lock()   # one ask in flight per process; local waiters queue

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                answer = await self._guard.run(self._ask)
                if answer is None:
                    # Redis is down: this process alone keeps the whole budget meanwhile.
                    await self._fallback.acquire()
                    return
                granted, wait_us = answer
                if granted:
                    return
                await self._sleep(wait_us / 1_000_000)

    async def _ask(self) -> tuple[int, int]:
        window_us = round(self.budget.window_s * 1_000_000)
        result = await self._script(
            keys=[self.key], args=[self.budget.limit, window_us, secrets.token_hex(6)]
        )
        return int(result[0]), int(result[1])
