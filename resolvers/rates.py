"""The process's currency rates: the bundled ECB table, refreshed from a URL when one is set.

``RateBook.current()`` is what a conversion reads (``table``, noting for the response cache
that an answer converted with it is good until the next refresh: resolvers/freshness.py);
it never waits on the network. With
``PRODUCTGRAPH_RATES_URL`` set, ``refresh`` (run at start-up and every ``refresh_s`` by the
app's lifespan) downloads the ECB file through an ``UpstreamClient`` (budget, breaker,
deadline) and swaps the table; with a Redis cache the file is shared, so one instance's
download serves every instance for ``refresh_s``. A failed refresh keeps the table in use
(logged) and never fails a query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, cast

import httpx
from redis.exceptions import RedisError

from channels.errors import ChannelError, UpstreamError
from channels.http import UpstreamClient
from channels.model import Channel
from channels.policy import UpstreamPolicy
from channels.rates import RateTable, bundled_table
from channels.translation import Service
from resolvers.freshness import note_fresh_for

log = logging.getLogger("productgraph.rates")
REDIS_KEY = "productgraph:rates:v1:file"


class RateBook:
    """The rates in use, and how they are refreshed."""

    def __init__(self, *, url: str = "", refresh_s: float = 6 * 3600.0, redis: Any = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout_s: float = 10.0) -> None:
        self.table: RateTable = bundled_table()
        self.url = url
        self.refresh_s = refresh_s
        self.redis = redis
        self.client: UpstreamClient | None = None
        if url:
            self.client = UpstreamClient(
                cast(Channel, Service.RATES), url, transport=transport,
                timeout_s=timeout_s, policy=UpstreamPolicy(qps=1.0, deadline_s=30.0),
                upstream="rates")
        self._task: asyncio.Task[None] | None = None
        #: ``time.monotonic()`` of the next refresh (``None``: no URL, the table is fixed).
        self.next_refresh_at: float | None = time.monotonic() if url else None

    def current(self) -> RateTable:
        """The table in use; with a URL, the request's answer is fresh until the next
        refresh could swap it."""
        if self.next_refresh_at is not None:
            note_fresh_for(self.next_refresh_at - time.monotonic())
        return self.table

    async def _download(self) -> bytes:
        assert self.client is not None
        client = self.client

        async def attempt() -> bytes:
            response = await client.request("GET", "", api="rates")
            if response.status_code != 200:
                raise UpstreamError(f"the rates URL answered HTTP {response.status_code}",
                                    retryable=response.status_code >= 500)
            return response.content

        return await client.call("rates", attempt)

    async def refresh(self) -> bool:
        """Load the configured URL's rates (or the shared copy); True when swapped."""
        if self.client is None:
            return False
        data: bytes | None = None
        if self.redis is not None:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                data = await self.redis.get(REDIS_KEY)
        shared = data is not None
        try:
            if data is None:
                data = await self._download()
            table = await asyncio.to_thread(RateTable.from_bytes, data,
                                            source=f"ECB via {httpx.URL(self.url).host}")
        except (ChannelError, ValueError) as exc:
            log.warning("rates: refresh failed, keeping the rates of %s (%s)",
                        self.table.latest_date, exc)
            return False
        self.table = table
        if self.redis is not None and not shared:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await self.redis.set(REDIS_KEY, data, ex=max(1, int(self.refresh_s)))
        log.info("rates: %d currencies as of %s", len(table.currencies), table.latest_date)
        return True

    def start(self) -> None:
        """Refresh now and every ``refresh_s`` in the background (no-op without a URL)."""
        if self.client is None or self._task is not None:
            return

        async def loop() -> None:
            while True:
                await self.refresh()
                self.next_refresh_at = time.monotonic() + self.refresh_s
                await asyncio.sleep(self.refresh_s)

        self._task = asyncio.get_running_loop().create_task(loop())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.client is not None:
            await self.client.aclose()
