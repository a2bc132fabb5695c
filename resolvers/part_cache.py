"""The shared cache of product parts: one entry per ``(channel, canonical id, part)``.

An entry holds one part's value (a frozen record of ``channels.model``), or "loaded, but
empty" (an item with no SKUs), or — for a short while — "no such product". It carries the
wall-clock time it was stored, so every process reading a shared Redis agrees on its age:

    age < ttl(part)              fresh: served
    ttl ≤ age < max_age(part)    stale: served at once while one refresh runs, and served
                                 as long as the upstream fails, bans or times out
    max_age ≤ age                gone: fetched as if never cached

Backends (aiocache): ``LruMemoryCache`` in process (bounded, least recently used first out)
by default; ``RedisCache`` (pickled entries, expiring at max age) when
``PRODUCTGRAPH_CACHE_URL=redis://…``, shared by every worker and instance. Redis holds only
what this server wrote, so unpickling its entries is as trusted as this code.

A cache that fails never fails a query: a Redis error or a lookup slower than
``timeout_s`` counts as ``bypass`` and the query goes upstream; after a failure Redis is
left alone for a few seconds so a dead server costs one timeout, not one per query. The
in-memory backend has no timeout at all (``asyncio.timeout`` would cost more than the
lookup).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.serializers import PickleSerializer
from redis.exceptions import RedisError

from channels.loop_metrics import LoopCounter
from channels.model import Channel, Part
from resolvers.freshness import current as current_freshness

log = logging.getLogger("productgraph.cache")

#: Seconds a cached part is fresh. Price and stock (CORE), the SKU matrix and the price after
#: coupons change often; images, the description, the shop and the Tmall SPU rarely.
DEFAULT_CACHE_TTL_S: dict[Part, float] = {
    Part.CORE: 60.0, Part.VARIANTS: 60.0, Part.COUPON: 60.0,
    Part.MEDIA: 3600.0, Part.DESCRIPTION: 3600.0, Part.SELLER: 3600.0, Part.CATALOG: 3600.0,
}
#: Seconds a part may be served stale (past its TTL, while one refresh runs or while the
#: upstream is down or banning us). Past this age it is fetched as if never cached.
DEFAULT_CACHE_MAX_AGE_S: dict[Part, float] = {
    Part.CORE: 900.0, Part.VARIANTS: 900.0, Part.COUPON: 900.0,
    Part.MEDIA: 86400.0, Part.DESCRIPTION: 86400.0, Part.SELLER: 86400.0,
    Part.CATALOG: 86400.0,
}


@dataclass(frozen=True)
class CacheSettings:
    """The shared part cache (``PRODUCTGRAPH_CACHE_*``, read by graph/settings.py):
    ``url`` empty or ``memory://`` = in process, ``redis://…`` = shared by every worker and
    instance, ``off`` = no cache (coalescing still applies). ``url`` may carry a Redis
    password, so it is left out of the ``repr``."""

    url: str = field(default="", repr=False)
    ttl_s: dict[Part, float] = field(default_factory=lambda: dict(DEFAULT_CACHE_TTL_S))
    max_age_s: dict[Part, float] = field(
        default_factory=lambda: dict(DEFAULT_CACHE_MAX_AGE_S))
    #: Seconds a "no such product" answer is remembered (0: never).
    not_found_ttl_s: float = 30.0
    #: Bound of the in-process cache, in parts (LRU eviction past it).
    max_entries: int = 100_000
    #: A Redis operation slower than this is abandoned and the cache bypassed.
    timeout_s: float = 0.05
    #: Search pages (``resolvers.page_cache``): fresh for ``PRODUCTGRAPH_CACHE_TTL_SEARCH``,
    #: served stale up to ``PRODUCTGRAPH_CACHE_MAX_AGE_SEARCH``.
    search_ttl_s: float = 60.0
    search_max_age_s: float = 300.0

    @property
    def backend(self) -> str:
        """``memory``, ``redis`` or ``off``."""
        if self.url.lower() in ("off", "none", "disabled"):
            return "off"
        if self.url.startswith(("redis://", "rediss://", "unix://")):
            return "redis"
        return "memory"


CACHE_REQUESTS = LoopCounter(
    "productgraph_cache_requests",
    "Part cache lookups by result: hit, stale (served while refreshing or while the "
    "upstream fails), miss, bypass (the cache backend failed or was too slow).",
    ["part", "result"],
)

#: Bumped when the pickled model changes shape, so old Redis entries are never read.
KEY_PREFIX = "productgraph:part:v2:"


@dataclass(frozen=True, slots=True)
class CachedPart:
    """One cache entry. ``value`` is the part's record, ``None`` for "loaded, empty";
    ``missing`` (a NotFound message) marks a short negative entry."""

    value: object | None
    stored_at: float
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a lookup found: ``entry`` is ``None`` on a miss; ``stale`` entries are served
    but should be refreshed."""

    entry: CachedPart | None
    stale: bool = False


MISS = Lookup(None)


class FreshPeek:
    """Keys prepared for ``PartCache.peek_prepared``: their parts, their backend keys and
    the counters a hit of each increments, made once per set of keys."""

    __slots__ = ("hits", "names", "parts", "ttls")

    def __init__(self, keys: Sequence[tuple[Channel, str, Part]]) -> None:
        self.parts = [part for _, _, part in keys]
        self.names = [cache_key(*key) for key in keys]
        self.hits = [CACHE_REQUESTS.labels(part.value, "hit") for part in self.parts]
        #: The TTL of each part, for the TTLs they were read from (``peek_prepared``).
        self.ttls: tuple[Mapping[Part, float], list[float]] | None = None


def cache_key(channel: Channel, source_id: str, part: Part) -> str:
    return f"{KEY_PREFIX}{channel.value}:{source_id}:{part.value}"


class LruMemoryCache(SimpleMemoryCache):  # type: ignore[misc]
    """aiocache's in-process dict, bounded: past ``max_entries`` the least recently used
    entry goes. No per-call timeout (``timeout=None``): a dict lookup cannot hang."""

    def __init__(self, max_entries: int, **kwargs: Any) -> None:
        super().__init__(timeout=None, **kwargs)
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self._cache: OrderedDict[str, object] = OrderedDict()

    def __len__(self) -> int:
        return len(self._cache)

    async def _get(self, key: str, encoding: str = "utf-8", _conn: Any = None) -> object:
        value = self._cache.get(key)
        if value is not None:
            self._cache.move_to_end(key)
        return value

    async def _multi_get(self, keys: Sequence[str], encoding: str = "utf-8",
                         _conn: Any = None) -> list[object]:
        return self.peek_many(keys)

    def peek_many(self, keys: Sequence[str]) -> list[object]:
        """``multi_get`` without aiocache's per-call layers (plugin hooks, timeout, an
        environment lookup, the null serializer, a debug log line): a dict lookup needs
        none of them, and a warm query makes one per request."""
        if self.namespace is not None:
            keys = [self.build_key(key) for key in keys]
        cache = self._cache
        values = []
        for key in keys:
            value = cache.get(key)
            if value is not None:
                cache.move_to_end(key)
            values.append(value)
        return values

    async def _set(self, key: str, value: object, ttl: float | None = None,
                   _cas_token: Any = None, _conn: Any = None) -> Any:
        result = await super()._set(key, value, ttl=ttl, _cas_token=_cas_token)
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_entries:
            oldest, _ = self._cache.popitem(last=False)
            handle = self._handlers.pop(oldest, None)
            if handle is not None:
                handle.cancel()
        return result

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        await super()._clear(namespace)
        if not isinstance(self._cache, OrderedDict):
            self._cache = OrderedDict(self._cache)
        return True


def redis_cache(url: str, *, timeout_s: float) -> RedisCache:
    """aiocache's Redis backend for ``redis://[:password@]host[:port][/db]``; its
    ``.client`` (a ``redis.asyncio.Redis``) is shared with the QPS budget and bans."""
    parts = urlsplit(url)
    db = (parts.path or "/0").lstrip("/") or "0"
    return RedisCache(
        serializer=PickleSerializer(),
        endpoint=parts.hostname or "127.0.0.1", port=parts.port or 6379, db=int(db),
        password=unquote(parts.password) if parts.password else None,
        ssl=parts.scheme == "rediss",
        create_connection_timeout=max(timeout_s, 0.25),
        timeout=None,   # PartCache applies its own timeout around each round trip
    )


class PartCache:
    """Reads and writes part entries with per-part TTL and max age; never raises."""

    def __init__(
        self,
        backend: Any,
        *,
        ttl_s: Mapping[Part, float] | None = None,
        max_age_s: Mapping[Part, float] | None = None,
        not_found_ttl_s: float = 30.0,
        timeout_s: float | None = None,
        retry_after_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``timeout_s`` bounds each backend round trip (``None``: no bound, for memory)."""
        self.backend = backend
        #: Read-only: ``peek_prepared`` reads each key's TTL from it once.
        self.ttl_s: Mapping[Part, float] = MappingProxyType(dict(ttl_s or DEFAULT_CACHE_TTL_S))
        self.max_age_s = {p: max(self.ttl_s[p], (max_age_s or DEFAULT_CACHE_MAX_AGE_S)[p])
                          for p in Part}
        self.not_found_ttl_s = not_found_ttl_s
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self.clock = clock
        self.bypassed = 0
        self._down_until = 0.0
        self._counters = {(p, r): CACHE_REQUESTS.labels(p.value, r)
                          for p in Part for r in ("hit", "stale", "miss", "bypass")}

    # -- reads

    async def get_many(self, keys: Sequence[tuple[Channel, str, Part]]) -> list[Lookup]:
        """One lookup per key, in order, in one backend round trip."""
        if not keys:
            return []
        raw: list[object] | None
        if isinstance(self.backend, LruMemoryCache):
            raw = self.backend.peek_many([cache_key(*k) for k in keys])
        else:
            raw = await self._guarded(
                lambda: self.backend.multi_get([cache_key(*k) for k in keys]))
        if raw is None:
            for _, _, part in keys:
                self._counters[(part, "bypass")].inc()
            return [MISS] * len(keys)
        now = self.clock()
        freshness = current_freshness()
        found: list[Lookup] = []
        for (_, _, part), entry in zip(keys, raw, strict=True):
            lookup = self._classify(part, entry, now)
            result = "miss" if lookup.entry is None else "stale" if lookup.stale else "hit"
            self._counters[(part, result)].inc()
            found.append(lookup)
            if freshness is not None and lookup.entry is not None:
                # A miss is noted by whoever fetches it (resolvers/fetcher.py).
                freshness.note(self.fresh_for(part, lookup.entry, now))
        return found

    def fresh_for(self, part: Part, entry: CachedPart, now: float) -> float:
        """Seconds ``entry`` stays fresh from ``now`` (0 or less: stale)."""
        ttl = self.not_found_ttl_s if entry.missing is not None else self.ttl_s[part]
        return entry.stored_at + ttl - now

    def peek_fresh(self, keys: Sequence[tuple[Channel, str, Part]]) -> list[object] | None:
        """The values of ``keys`` when every one is a fresh entry of the in-process backend,
        read without awaiting (counted as hits); ``None``, counting nothing, when any is
        missing, stale or "not found", and always with another backend: the caller then
        takes ``get_many``, which counts and classifies."""
        entries = self.peek_prepared(FreshPeek(keys))
        return None if entries is None else [entry.value for entry in entries]

    def peek_prepared(self, peek: FreshPeek) -> list[CachedPart] | None:
        """``peek_fresh`` of keys prepared once (``FreshPeek``: their backend keys and hit
        counters), answering the entries themselves: a warm product asked for again and
        again builds no key and looks up no counter (resolvers/fetcher.py)."""
        backend = self.backend
        if not isinstance(backend, LruMemoryCache):
            return None
        now = self.clock()
        ttls = peek.ttls
        if ttls is None or ttls[0] is not self.ttl_s:  # read once per TTL table
            ttls = peek.ttls = (self.ttl_s, [self.ttl_s[part] for part in peek.parts])
        fresh_for = float("inf")
        entries = backend.peek_many(peek.names)
        for ttl, entry in zip(ttls[1], entries, strict=True):
            if not isinstance(entry, CachedPart) or entry.missing is not None:
                return None
            remaining = entry.stored_at + ttl - now
            if remaining <= 0:
                return None
            if remaining < fresh_for:
                fresh_for = remaining
        for hit in peek.hits:
            hit.inc()
        freshness = current_freshness()
        if freshness is not None:
            freshness.note(fresh_for)
        return entries  # type: ignore[return-value]

    def _classify(self, part: Part, entry: object, now: float) -> Lookup:
        if not isinstance(entry, CachedPart):
            return MISS
        age = now - entry.stored_at
        if entry.missing is not None:
            return Lookup(entry) if age < self.not_found_ttl_s else MISS
        if age < self.ttl_s[part]:
            return Lookup(entry)
        if age < self.max_age_s[part]:
            return Lookup(entry, stale=True)
        return MISS

    # -- other key spaces (category names): raw entries under their own keys

    def peek_entries(self, keys: Sequence[str]) -> list[CachedPart | None] | None:
        """The entries of ``keys`` read without awaiting, with the in-process backend;
        ``None`` with any other (the caller then awaits ``get_entries``)."""
        if not isinstance(self.backend, LruMemoryCache):
            return None
        return [e if isinstance(e, CachedPart) else None
                for e in self.backend.peek_many(list(keys))]

    async def get_entries(self, keys: Sequence[str]) -> list[CachedPart | None]:
        """The entries of ``keys`` (``None``: none, or the backend failed) in one round
        trip; classifying their age is the caller's (its key space has its own TTLs)."""
        if not keys:
            return []
        peeked = self.peek_entries(keys)
        if peeked is not None:
            return peeked
        raw = await self._guarded(lambda: self.backend.multi_get(list(keys)))
        if raw is None:
            return [None] * len(keys)
        return [e if isinstance(e, CachedPart) else None for e in raw]

    async def put_entries(self, values: Mapping[str, object], max_age_s: float) -> None:
        """Store ``values`` under their keys, now; the backend may drop them past
        ``max_age_s``."""
        now = self.clock()
        await self._write([(key, CachedPart(value, now)) for key, value in values.items()],
                          max_age_s)

    # -- writes

    async def put_many(self, values: Mapping[tuple[Channel, str, Part], object | None]) -> None:
        """Store complete part values (``None`` = loaded, empty)."""
        now = self.clock()
        pairs = [(cache_key(*key), CachedPart(value, now)) for key, value in values.items()]
        ttl = max((self.max_age_s[key[2]] for key in values), default=0.0)
        await self._write(pairs, ttl)

    async def put_not_found(self, keys: Sequence[tuple[Channel, str, Part]],
                            message: str) -> None:
        if self.not_found_ttl_s <= 0 or not keys:
            return
        now = self.clock()
        await self._write([(cache_key(*k), CachedPart(None, now, missing=message))
                           for k in keys], self.not_found_ttl_s)

    async def _write(self, pairs: list[tuple[str, CachedPart]], ttl: float) -> None:
        if not pairs:
            return
        # Expiry is judged on read (by part); the backend only needs to drop the entry
        # once no part could use it. Memory entries leave by LRU instead of timers.
        backend_ttl = None if isinstance(self.backend, SimpleMemoryCache) else int(ttl) + 1
        await self._guarded(lambda: self.backend.multi_set(pairs, ttl=backend_ttl))

    async def _guarded(self, operation: Callable[[], Any]) -> Any:
        """The operation's result, or ``None`` when the backend failed or was too slow."""
        if self.timeout_s is None:
            try:
                return await operation()
            except Exception:  # a broken entry must not fail the query
                log.exception("part cache operation failed")
                self.bypassed += 1
                return None
        if self._down_until and self.clock() < self._down_until:
            self.bypassed += 1
            return None
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await operation()
        except (RedisError, OSError, TimeoutError, EOFError, ValueError) as exc:
            self.bypassed += 1
            if not self._down_until:
                # The exception's text may name host and port, never the password.
                log.warning("part cache unavailable, bypassing it for %g s (%s)",
                            self.retry_after_s, type(exc).__name__)
            self._down_until = self.clock() + self.retry_after_s
            return None
        except Exception:
            log.exception("part cache operation failed")
            self.bypassed += 1
            return None
        self._down_until = 0.0
        return result

    async def clear(self) -> None:
        await self._guarded(self.backend.clear)

    async def aclose(self) -> None:
        client = getattr(self.backend, "client", None)   # RedisCache: redis.asyncio.Redis
        close = client.aclose if client is not None else getattr(self.backend, "close", None)
        if close is not None:
            try:
                await close()
            except Exception:
                log.debug("closing the part cache failed", exc_info=True)


def part_cache_from_settings(settings: CacheSettings) -> PartCache | None:
    """The cache ``settings`` describe, or ``None`` when it is ``off``."""
    common: dict[str, Any] = {
        "ttl_s": settings.ttl_s, "max_age_s": settings.max_age_s,
        "not_found_ttl_s": settings.not_found_ttl_s,
    }
    if settings.backend == "off":
        return None
    if settings.backend == "redis":
        return PartCache(redis_cache(settings.url, timeout_s=settings.timeout_s),
                         timeout_s=settings.timeout_s, **common)
    return PartCache(LruMemoryCache(settings.max_entries), timeout_s=None, **common)
