"""Upstream bans: after a ``RateLimited`` with ``retry_after``, no call until the ban ends.

TOP answers code 7 with ``sub_msg`` "This ban will last for N more seconds"; a call made
during the ban only extends it (docs/protocols.md §1.6). The ban covers one API, or the whole
app when the sub_code is the app-level quota ``accesscontrol.limited-by-app-access-count``
(the app+API and API variants are per API). Bans are kept per process and, when Redis is
configured, in keys with a TTL (``productgraph:ban:<channel>:<api>``, ``…:*`` for the app)
so every instance honours them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from channels.clock import Clock
from channels.redis_fallback import RedisFallback

#: TOP's app-level quota: every API of the app is refused until it ends.
APP_WIDE_SUB_CODES = frozenset({"accesscontrol.limited-by-app-access-count"})
ALL_APIS = "*"


@dataclass(frozen=True)
class Ban:
    api: str                 # the banned API, or ``ALL_APIS``
    remaining_s: float
    sub_code: str | None


class BanList:
    """The bans of one channel."""

    def __init__(self, channel_name: str, *, redis: Any = None,
                 clock: Clock = time.monotonic) -> None:
        self._channel_name = channel_name
        self._clock = clock
        self._redis = redis
        self._guard = RedisFallback(channel_name, "ban", clock=clock)
        self._until: dict[str, tuple[float, str | None]] = {}

    def _key(self, scope: str) -> str:
        return f"productgraph:ban:{self._channel_name}:{scope}"

    async def record(self, api: str, seconds: float, sub_code: str | None) -> None:
        """Ban ``api`` (or the whole channel, for an app-level sub_code) for ``seconds``."""
        scope = ALL_APIS if sub_code in APP_WIDE_SUB_CODES else api
        until = self._clock() + seconds
        current = self._until.get(scope)
        if current is None or current[0] < until:
            self._until[scope] = (until, sub_code)
        if self._redis is not None:
            redis = self._redis
            ttl_ms = max(1, round(seconds * 1000))
            await self._guard.run(
                lambda: redis.set(self._key(scope), sub_code or "", px=ttl_ms)
            )

    async def active(self, api: str) -> Ban | None:
        """The ban that blocks ``api`` now (the longer one if both apply), or ``None``."""
        now = self._clock()
        found: Ban | None = None
        for scope in (api, ALL_APIS):
            entry = self._until.get(scope)
            if entry is None:
                continue
            if entry[0] <= now:
                del self._until[scope]
                continue
            if found is None or entry[0] - now > found.remaining_s:
                found = Ban(scope, entry[0] - now, entry[1])
        if found is not None or self._redis is None:
            return found
        return await self._shared(api, now)

    async def _shared(self, api: str, now: float) -> Ban | None:
        redis = self._redis

        async def read() -> list[Any]:
            async with redis.pipeline(transaction=False) as pipe:
                for scope in (api, ALL_APIS):
                    pipe.pttl(self._key(scope))
                    pipe.get(self._key(scope))
                return list(await pipe.execute())

        answer = await self._guard.run(read)
        if answer is None:
            return None
        found: Ban | None = None
        for scope, ttl_ms, raw in ((api, answer[0], answer[1]), (ALL_APIS, answer[2], answer[3])):
            if raw is None or ttl_ms is None or int(ttl_ms) <= 0:
                continue
            remaining = int(ttl_ms) / 1000
            sub_code = (raw.decode() if isinstance(raw, bytes) else str(raw)) or None
            # Remember it here so the next calls in this process need no round trip.
            self._until[scope] = (now + remaining, sub_code)
            if found is None or remaining > found.remaining_s:
                found = Ban(scope, remaining, sub_code)
        return found
