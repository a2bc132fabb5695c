"""Search pages cached like product parts: the same backend (in process, or Redis shared by
every worker and instance), stale-while-revalidate, single flight, never a failed page.

A page is keyed by what the upstream is asked: channel, normalized keyword (whitespace
collapsed, case folded), filters, sort, upstream page number and size — the page before the
cursor window is applied, so two cursors inside one upstream page share it. Fresh for
``PRODUCTGRAPH_CACHE_TTL_SEARCH`` seconds (60 by default: search rankings and prices move),
then served stale for up to ``PRODUCTGRAPH_CACHE_MAX_AGE_SEARCH`` (300) while one refresh
runs or while the upstream fails. A request that reads a page is fresh for at most what is
left of the page's TTL (resolvers/freshness.py). Counted in
``productgraph_cache_requests_total{part="search"}`` (hit, stale, miss, bypass).

Shop listings (``shopProducts``) are not cached: an ERP's incremental sync pages through
``modifiedSince`` windows and must see every change at once; a cached page could hide an
edit for a whole TTL.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from channels.model import ListingPage
from resolvers.freshness import note_fresh_for
from resolvers.part_cache import CACHE_REQUESTS, CachedPart, LruMemoryCache, PartCache

log = logging.getLogger("productgraph.cache")

#: v2: the pickled ProductRecord gained ``coupon``.
KEY_PREFIX = "productgraph:page:v2:"
DEFAULT_SEARCH_TTL_S = 60.0
DEFAULT_SEARCH_MAX_AGE_S = 300.0


def normalized_keyword(keyword: str) -> str:
    return " ".join(keyword.split()).casefold()


def page_key(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    return KEY_PREFIX + digest


class PageCache:
    """Listing pages over a ``PartCache``'s backend."""

    def __init__(self, parts: PartCache, *, kind: str = "search",
                 ttl_s: float = DEFAULT_SEARCH_TTL_S,
                 max_age_s: float = DEFAULT_SEARCH_MAX_AGE_S) -> None:
        self._parts = parts
        self.ttl_s = ttl_s
        self.max_age_s = max(ttl_s, max_age_s)
        self._inflight: dict[str, asyncio.Future[ListingPage]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._counters = {r: CACHE_REQUESTS.labels(kind, r)
                          for r in ("hit", "stale", "miss", "bypass")}

    async def get(self, key: str, fetch: Callable[[], Awaitable[ListingPage]]) -> ListingPage:
        """The page under ``key``: fresh from the cache, stale (refreshing once in the
        background), or fetched — one fetch per key at a time; a failure is raised to
        every waiter and never stored."""
        entry = await self._read(key)
        now = self._parts.clock()
        if entry is not None and isinstance(entry.value, ListingPage):
            age = now - entry.stored_at
            if age < self.max_age_s:
                # The request's freshness (resolvers/freshness.py): a stale page makes
                # the answer uncacheable.
                note_fresh_for(self.ttl_s - age)
            if age < self.ttl_s:
                self._counters["hit"].inc()
                return entry.value
            if age < self.max_age_s:
                self._counters["stale"].inc()
                if key not in self._inflight:
                    self._start(key, fetch)
                return entry.value
        self._counters["miss"].inc()
        future = self._inflight.get(key) or self._start(key, fetch)
        await asyncio.wait({future})
        page = future.result()
        note_fresh_for(self.ttl_s)      # fetched now (or joined): stored now
        return page

    def _start(self, key: str,
               fetch: Callable[[], Awaitable[ListingPage]]) -> asyncio.Future[ListingPage]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ListingPage] = loop.create_future()
        self._inflight[key] = future

        async def run() -> None:
            try:
                page = await fetch()
            except BaseException as exc:
                if not future.done():
                    future.set_exception(exc)
                    future.exception()          # retrieved: a refresh nobody awaits
                if not isinstance(exc, Exception):
                    raise
                return
            finally:
                if self._inflight.get(key) is future and future.done():
                    del self._inflight[key]
            future.set_result(page)
            try:
                await self._write(key, page)
            finally:
                if self._inflight.get(key) is future:
                    del self._inflight[key]

        task = loop.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    async def _read(self, key: str) -> CachedPart | None:
        backend = self._parts.backend
        if isinstance(backend, LruMemoryCache):
            raw = backend.peek_many([key])
        else:
            raw = await self._parts._guarded(lambda: backend.multi_get([key]))
            if raw is None:
                self._counters["bypass"].inc()
                return None
        entry = raw[0]
        return entry if isinstance(entry, CachedPart) else None

    async def _write(self, key: str, page: ListingPage) -> None:
        backend = self._parts.backend
        ttl = None if isinstance(backend, LruMemoryCache) else int(self.max_age_s) + 1
        entry = CachedPart(page, self._parts.clock())
        await self._parts._guarded(lambda: backend.multi_set([(key, entry)], ttl=ttl))
